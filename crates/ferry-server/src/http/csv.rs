//! CSV exports (RFC 4180): the audit log's and the users list's. Written by hand: quoting a
//! field is four lines, less than a dependency.

/// One CSV field, quoted when it must be.
pub fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// One line of fields.
pub fn row(fields: &[&str]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(&mut out, f);
    }
    out.push('\n');
    out
}

/// Text a user typed, made inert for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or
/// carriage return would start a formula when the file is opened (OWASP "CSV injection"), so
/// such a value gets a leading `'`.
pub fn inert(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(
            row(&["plain", "a,b", "say \"hi\"", "two\nlines", ""]),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n"
        );
    }

    #[test]
    fn formulas_are_made_inert() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("alice"), "alice");
    }
}
