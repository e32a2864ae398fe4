//! The `scoreline` command-line tool.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod inputs;
mod project;
mod sources;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// Exit codes (PRODUCT.md): 0 ok, 1 rule or data errors, 2 usage errors.
pub const EXIT_OK: u8 = 0;
/// Rule, plugin or data errors.
pub const EXIT_ERRORS: u8 = 1;
/// The command line or the project file is wrong.
pub const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Explain(args) => commands::explain::run(args),
    };
    ExitCode::from(code)
}
