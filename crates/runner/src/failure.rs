//! Why a command could not do its job, as data: the rule file's diagnostics, the data's
//! problems, messages with their help lines. The runner builds a [`Failure`] and returns it
//! (or, in `watch`'s loop, hands it to [`crate::console::failure`]); the program renders it:
//! the CLI as text on standard error (`scoreline_cli::render`), `watch` as the
//! `diagnostics` of its JSON status lines ([`Failure::to_json`]). The kind of a failure is
//! mapped to the process's exit code here and nowhere else ([`Kind::exit_code`]).

use scoreline_data::{DataProblem, LoadError};
use scoreline_syntax::Diagnostic;

use crate::{EXIT_ERRORS, EXIT_USAGE};

/// What went wrong, which decides the exit code (PRODUCT.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line or the project file is wrong.
    Usage,
    /// The rule file, a plugin or the data has errors, or an output cannot be written.
    Errors,
}

impl Kind {
    /// The process's exit code for this kind: the one place they are mapped.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Usage => EXIT_USAGE,
            Kind::Errors => EXIT_ERRORS,
        }
    }
}

/// An error message: one short lowercase sentence with the user's words in backticks, and
/// what to do about it. Shown as `error: TEXT` and one `  = help: …` line per help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub help: Vec<String>,
}

impl Message {
    /// A message without help.
    pub fn new(text: impl Into<String>) -> Message {
        Message {
            text: text.into(),
            help: Vec::new(),
        }
    }

    /// The same message with one more help line.
    pub fn help(mut self, help: impl Into<String>) -> Message {
        self.help.push(help.into());
        self
    }

    /// The message as a JSON diagnostic (no file or position; the help lines joined by `; `).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": null,
            "line": null,
            "column": null,
            "severity": "error",
            "code": null,
            "message": self.text,
            "help": (!self.help.is_empty()).then(|| self.help.join("; ")),
        })
    }
}

/// One part of a failure, in the order it is shown.
#[derive(Debug, Clone)]
pub enum Problem {
    /// Diagnostics of a rule file or its plugins (`check`'s).
    Rules(Vec<Diagnostic>),
    /// Problems in the data, each at its file:line:column (or table, key and column).
    Data(Vec<DataProblem>),
    /// An error message.
    Message(Message),
    /// A message that sums up the problems before it (`the data has 3 problems; nothing was
    /// scored`): shown, but not one of the failure's diagnostics.
    Summary(Message),
    /// A line of context, shown as it is (`… and 12 more problems`, a report that lists the
    /// plugin failures).
    Note(String),
}

/// A stage that failed: everything wrong, and the kind of failure.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: Kind,
    pub problems: Vec<Problem>,
}

impl Failure {
    /// A failure of `kind` with one message.
    pub fn new(kind: Kind, message: Message) -> Failure {
        Failure {
            kind,
            problems: vec![Problem::Message(message)],
        }
    }

    /// The command line or the project file is wrong.
    pub fn usage(message: Message) -> Failure {
        Failure::new(Kind::Usage, message)
    }

    /// The inputs have errors, or an output cannot be written.
    pub fn errors(message: Message) -> Failure {
        Failure::new(Kind::Errors, message)
    }

    /// Rule file (or plugin) diagnostics.
    pub fn rules(diagnostics: &[Diagnostic]) -> Failure {
        Failure {
            kind: Kind::Errors,
            problems: vec![Problem::Rules(diagnostics.to_vec())],
        }
    }

    /// A data load that failed: every problem, then what it means (and, when the problems are
    /// in rows, that they can be set aside).
    pub fn load(e: &LoadError) -> Failure {
        let mut problems = vec![Problem::Data(e.problems.clone())];
        if e.more > 0 {
            problems.push(Problem::Note(format!("… and {} more problems", e.more)));
        }
        let mut summary = Message::new(format!(
            "the data has {} problem{}; nothing was scored",
            e.count(),
            if e.count() == 1 { "" } else { "s" }
        ));
        // Only bad rows can be set aside: a file that cannot be read, or lacks a column,
        // must be fixed.
        if e.in_rows {
            summary = summary.help(
                "fix the rows above, or pass `--skip-bad-rows FILE` to set them aside and score the rest",
            );
        }
        problems.push(Problem::Summary(summary));
        Failure {
            kind: Kind::Errors,
            problems,
        }
    }

    /// The same failure with one more part at the end.
    pub fn with(mut self, problem: Problem) -> Failure {
        self.problems.push(problem);
        self
    }

    /// The process's exit code.
    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }

    /// The failure's diagnostics as JSON objects (the shape of `check --format json`; data
    /// problems and messages with `code` null), for machine-readable outputs such as
    /// `watch`'s status lines. Summaries and notes are left out: they repeat the others.
    pub fn to_json(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for p in &self.problems {
            match p {
                Problem::Rules(d) => out.extend(d.iter().map(Diagnostic::to_json)),
                Problem::Data(d) => out.extend(d.iter().map(DataProblem::to_json)),
                Problem::Message(m) => out.push(m.to_json()),
                Problem::Summary(_) | Problem::Note(_) => {}
            }
        }
        out
    }

    /// The first message of the failure, if it has one (for tests and short reports).
    pub fn message(&self) -> Option<&Message> {
        self.problems.iter().find_map(|p| match p {
            Problem::Message(m) | Problem::Summary(m) => Some(m),
            _ => None,
        })
    }
}

impl From<scoreline_db::DbError> for Message {
    fn from(e: scoreline_db::DbError) -> Message {
        Message {
            text: e.message,
            help: e.help.into_iter().collect(),
        }
    }
}
