//! The `scoreline` command-line tool.
#![forbid(unsafe_code)]

mod args;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

pub use scoreline_runner::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Watch(args) => commands::watch::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Init(args) => commands::init::run(args),
    };
    ExitCode::from(code)
}
