//! Human sizes (`64MiB`, `1.5G`, `500k`) and durations (`15m`, `1h30m`, `500ms`) for flags,
//! and their display.

use std::time::Duration;

/// Parses a size in bytes: a number with an optional unit. `K`, `M`, `G`, `T` (with or without
/// `iB`) are binary (1024-based, as in `dd` and `curl`); `KB`, `MB`, `GB`, `TB` are decimal. Case
/// and a space before the unit do not matter; fractions are allowed (`1.5GiB`).
pub fn parse_size(input: &str) -> Result<u64, String> {
    let s = input.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() {
        return Err(format!(
            "invalid size `{input}`: expected e.g. 64MiB, 500k, 1048576"
        ));
    }
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "invalid size `{input}`: unknown unit `{other}` (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)"
            ));
        }
    };
    let value = if number.contains('.') {
        let f: f64 = number
            .parse()
            .map_err(|_| format!("invalid size `{input}`"))?;
        let bytes = (f * multiplier as f64).round();
        if !bytes.is_finite() || bytes > u64::MAX as f64 {
            return Err(format!("size `{input}` is too large"));
        }
        bytes as u64
    } else {
        let n: u64 = number
            .parse()
            .map_err(|_| format!("invalid size `{input}`"))?;
        n.checked_mul(multiplier)
            .ok_or_else(|| format!("size `{input}` is too large"))?
    };
    Ok(value)
}

/// Parses a duration: a plain number of seconds, or one or more `<number><unit>` groups with
/// units `ms`, `s`, `m`, `h`, `d`, `w` (`90`, `15m`, `1h30m`, `500ms`, `2d`).
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("invalid duration ``: expected e.g. 30s, 15m, 1h30m".into());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = s
            .parse()
            .map_err(|_| format!("duration `{input}` is too large"))?;
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "invalid duration `{input}`: expected e.g. 30s, 15m, 1h30m"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("duration `{input}` is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit.trim() {
            "ms" => Some(Duration::from_millis(n)),
            "s" | "sec" | "secs" => Some(Duration::from_secs(n)),
            "m" | "min" | "mins" => n.checked_mul(60).map(Duration::from_secs),
            "h" => n.checked_mul(3600).map(Duration::from_secs),
            "d" => n.checked_mul(86_400).map(Duration::from_secs),
            "w" => n.checked_mul(604_800).map(Duration::from_secs),
            "" => {
                return Err(format!(
                    "invalid duration `{input}`: a number without a unit must stand alone"
                ));
            }
            other => {
                return Err(format!(
                    "invalid duration `{input}`: unknown unit `{other}` (use ms, s, m, h, d or w)"
                ));
            }
        };
        total = part
            .and_then(|p| total.checked_add(p))
            .ok_or_else(|| format!("duration `{input}` is too large"))?;
    }
    Ok(total)
}

/// `12.0 MiB`, `512 B`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `1.2s`, `3m 05s`, `2h 01m`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

/// `3.4 MiB/s`.
pub fn format_rate(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    format!("{}/s", format_size((bytes as f64 / secs) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64mib"), Ok(64 << 20));
        assert_eq!(parse_size("5M"), Ok(5 << 20));
        assert_eq!(parse_size("5 MiB"), Ok(5 << 20));
        assert_eq!(parse_size("500k"), Ok(500 << 10));
        assert_eq!(parse_size("2KB"), Ok(2_000));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2T"), Ok(2 << 40));
        assert_eq!(parse_size(" 7B "), Ok(7));
    }

    #[test]
    fn bad_sizes() {
        for bad in [
            "",
            "MiB",
            "12XB",
            "-5M",
            "1.2.3M",
            "99999999999999999999T",
            "1e3",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(parse_size("17000000T").unwrap_err().contains("too large"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
    }

    #[test]
    fn bad_durations() {
        for bad in [
            "",
            "m",
            "15x",
            "1h30",
            "-5s",
            "1.5h",
            "99999999999999999999w",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn display() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1024), "1.0 KiB");
        assert_eq!(format_size(12 << 20), "12.0 MiB");
        assert_eq!(format_size(3 << 29), "1.5 GiB");
        assert_eq!(format_duration(Duration::from_millis(1200)), "1.2s");
        assert_eq!(format_duration(Duration::from_secs(185)), "3m 05s");
        assert_eq!(format_duration(Duration::from_secs(7260)), "2h 01m");
        assert_eq!(format_rate(1 << 20, Duration::from_secs(1)), "1.0 MiB/s");
    }
}
