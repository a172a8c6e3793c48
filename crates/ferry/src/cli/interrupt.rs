//! Ctrl-C during a transfer: the command is dropped (its bars clear themselves, see
//! `output`), and what to run to resume is printed. What was transferred is kept either way:
//! acknowledged parts on the server, `.part` files and their state on disk.
//!
//! The command to run again starts as the command line itself; `ferry upload` narrows it to
//! the files not uploaded yet as it goes (run whole, it would upload the finished ones again).

use std::sync::Mutex;

/// The arguments (after the program) that resume the running command; `None`: nothing to
/// resume (e.g. a download to standard output).
static RERUN: Mutex<Option<Vec<String>>> = Mutex::new(None);

/// Sets what to run to resume.
pub fn set_rerun(args: Option<Vec<String>>) {
    *RERUN.lock().unwrap_or_else(|e| e.into_inner()) = args;
}

/// This process's own arguments, after the program, as the default way to resume.
pub fn own_args() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// The message for an interrupt: what was kept and the exact command to resume with.
pub fn message() -> String {
    let rerun = RERUN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let Some(args) = rerun else {
        return "interrupted".to_string();
    };
    let program = std::env::args().next().unwrap_or_else(|| "ferry".into());
    let dir = std::env::current_dir()
        .map(|d| format!(" (in {})", d.display()))
        .unwrap_or_default();
    format!(
        "interrupted; what was transferred is kept. To resume, run{dir}:\n  {} {}",
        shell_quote(&program),
        shell_line(&args)
    )
}

/// `args` as POSIX shell words.
pub fn shell_line(args: &[String]) -> String {
    args.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `arg` as a POSIX shell word: as is when it is plain, else in single quotes.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("--part-size=5MiB"), "--part-size=5MiB");
        assert_eq!(shell_quote("/tmp/a b.txt"), "'/tmp/a b.txt'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }
}
