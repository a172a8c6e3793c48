//! `ferry`: the Ferry server (`ferry serve`) and its command line client (`ferry login`,
//! `ls`, `upload`, `download`...).
#![deny(unsafe_code)] // one exception: `serve::fixed_malloc_thresholds`

mod cli;
mod serve;
mod transfer;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        command => cli::run(command),
    }
}
