//! Printing results (text or `--json`) and progress (bars on a terminal, plain lines
//! otherwise).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use serde::Serialize;

use super::Common;
use super::units::{format_rate, format_size};

/// Where results go.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
}

impl Output {
    pub fn new(common: &Common) -> Output {
        Output {
            json: common.json,
            quiet: common.quiet,
        }
    }

    /// Prints `value` as JSON when `--json`, else the text from `text`.
    pub fn result<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        let mut out = std::io::stdout().lock();
        let line = if self.json {
            serde_json::to_string_pretty(value).expect("API objects serialize")
        } else {
            text()
        };
        if !line.is_empty() {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    /// How to show progress.
    pub fn progress_mode(&self) -> ProgressMode {
        if self.quiet {
            ProgressMode::Off
        } else if std::io::stdout().is_terminal() && std::io::stderr().is_terminal() {
            ProgressMode::Bars
        } else if self.json {
            ProgressMode::Off
        } else {
            ProgressMode::Lines
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// indicatif bars on stderr.
    Bars,
    /// Plain lines on stderr, at most about one a second per file plus events.
    Lines,
    Off,
}

/// Progress of a whole command: one bar per file and, for several files, a total.
pub struct Progress {
    mode: ProgressMode,
    multi: MultiProgress,
    total: Option<ProgressBar>,
}

impl Progress {
    pub fn new(mode: ProgressMode, files: usize, total_bytes: u64) -> Progress {
        let multi = MultiProgress::with_draw_target(match mode {
            ProgressMode::Bars => ProgressDrawTarget::stderr(),
            _ => ProgressDrawTarget::hidden(),
        });
        let total = (files > 1 && mode == ProgressMode::Bars).then(|| {
            let bar =
                multi.add(ProgressBar::new(total_bytes).with_finish(ProgressFinish::AndClear));
            bar.set_style(style());
            bar.set_prefix(format!("total ({files} files)"));
            bar
        });
        Progress { mode, multi, total }
    }

    /// A bar for one file of `size` bytes.
    pub fn file(&self, name: &str, size: u64) -> FileProgress {
        let bar = match self.mode {
            ProgressMode::Bars => {
                // Dropped unfinished (Ctrl-C), the bar clears itself rather than stay half-drawn.
                let bar = ProgressBar::new(size).with_finish(ProgressFinish::AndClear);
                let bar = match &self.total {
                    Some(total) => self.multi.insert_before(total, bar),
                    None => self.multi.add(bar),
                };
                bar.set_style(style());
                bar.set_prefix(truncate(name, 30));
                bar
            }
            _ => ProgressBar::hidden(),
        };
        FileProgress {
            mode: self.mode,
            name: name.to_string(),
            size,
            bar,
            total: self.total.clone(),
            multi: self.multi.clone(),
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }
    }

    /// A result line on stdout that does not tear the bars.
    pub fn println(&self, line: &str) {
        let print = || {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        };
        if self.mode == ProgressMode::Bars {
            self.multi.suspend(print);
        } else {
            print();
        }
    }

    pub fn finish(&self) {
        if let Some(t) = &self.total {
            t.finish();
        }
    }
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix:<30} [{bar:30.cyan/blue}] {binary_bytes:>10}/{binary_total_bytes:<10} {binary_bytes_per_sec:>12} ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

fn truncate(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        let tail: String = name
            .chars()
            .rev()
            .take(max - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

/// Progress of one file.
pub struct FileProgress {
    mode: ProgressMode,
    name: String,
    size: u64,
    bar: ProgressBar,
    total: Option<ProgressBar>,
    multi: MultiProgress,
    started: Instant,
    last_line: Mutex<Instant>,
}

impl FileProgress {
    /// Counts bytes already done before this run (a resumed transfer).
    pub fn skip(&self, bytes: u64) {
        self.bar.inc(bytes);
        if let Some(t) = &self.total {
            t.inc(bytes);
        }
        self.bar.reset_eta();
    }

    pub fn inc(&self, bytes: u64) {
        self.bar.inc(bytes);
        if let Some(t) = &self.total {
            t.inc(bytes);
        }
        if self.mode == ProgressMode::Lines {
            let mut last = self.last_line.lock().expect("not poisoned");
            if last.elapsed() >= Duration::from_secs(1) {
                *last = Instant::now();
                drop(last);
                self.line(&format!(
                    "{} / {} ({})",
                    format_size(self.bar.position()),
                    format_size(self.size),
                    format_rate(self.bar.position(), self.started.elapsed())
                ));
            }
        }
    }

    /// Takes back bytes that must be sent again (a failed part).
    pub fn dec(&self, bytes: u64) {
        self.bar.dec(bytes);
        if let Some(t) = &self.total {
            t.dec(bytes);
        }
    }

    /// An event worth a line of its own (part acknowledged, retry, resume).
    pub fn event(&self, msg: &str) {
        match self.mode {
            ProgressMode::Bars => self.multi.suspend(|| say!("{}: {msg}", self.name)),
            ProgressMode::Lines => self.line(msg),
            ProgressMode::Off => {}
        }
    }

    /// A line only in plain-lines mode (too chatty for bars): parts acknowledged and such.
    pub fn detail(&self, msg: &str) {
        if self.mode == ProgressMode::Lines {
            self.line(msg);
        }
    }

    fn line(&self, msg: &str) {
        say!("{}: {msg}", self.name);
    }

    /// The file is done: its bar goes, and the summary line printed next takes its place (a
    /// finished bar left in place would be drawn again under that line).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// The file failed: its bar stays where it stopped, above the error.
    pub fn abandon(&self) {
        self.bar.abandon();
    }
}
