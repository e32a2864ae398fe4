//! The `scoreline` command-line tool.
#![forbid(unsafe_code)]

/// `println!` to standard output, except that a reader that went away (`scoreline check
/// --format json | head`) ends the program quietly instead of a panic.
macro_rules! outln {
    () => { $crate::write_out(format_args!(""), true) };
    ($($t:tt)*) => { $crate::write_out(format_args!($($t)*), true) };
}

/// `print!`, as [`outln!`].
macro_rules! out {
    ($($t:tt)*) => { $crate::write_out(format_args!($($t)*), false) };
}

mod args;
mod commands;
mod render;

use scoreline_runner::failure::Message;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

pub use scoreline_runner::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// Writes to standard output; when it is closed (a pipe whose reader exited), exits at once
/// with success, as `head` expects of the program before it.
pub fn write_out(args: std::fmt::Arguments, newline: bool) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_fmt(args).and_then(|()| {
        if newline {
            stdout.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        crate::render::error(&Message::new(format!(
            "cannot write to standard output: {e}"
        )));
        std::process::exit(1);
    }
}

/// The runner's messages and failures on standard error, watch's status lines on standard
/// output: the runner itself never prints, nor renders a failure.
struct Terminal;

impl scoreline_runner::console::Sink for Terminal {
    fn message(&self, text: &str) {
        eprintln!("{text}");
    }

    fn status(&self, line: &str) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn failure(&self, failure: &scoreline_runner::failure::Failure) {
        render::say(&render::failure(failure));
    }
}

fn main() -> ExitCode {
    scoreline_runner::console::install(Box::new(Terminal));
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Fit(args) => commands::fit::run(args),
        Command::Watch(args) => commands::watch::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::History(args) => commands::history::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::Lsp(_) => scoreline_lsp::run(),
    };
    ExitCode::from(code)
}
