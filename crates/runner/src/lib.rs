//! Scoreline's runner: the project file, the pipeline that turns a rule file and data files
//! into a compiled plan and a data set, the output writers, and the hot-reloading watcher.
#![forbid(unsafe_code)]
// The runner tells the user things through `console`, never by printing.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod console;

pub mod database;
pub mod diff;
pub mod evaluate;
pub mod failure;
pub mod fit;
pub mod history;
pub mod manifest;
pub mod output;
pub mod pipeline;
pub mod preset;
pub mod previous;
pub mod project;
pub mod quality;
pub mod report;
pub mod score;
pub mod sources;
pub mod watch;

/// Exit codes (PRODUCT.md): 0 ok.
pub const EXIT_OK: u8 = 0;
/// Rule, plugin or data errors.
pub const EXIT_ERRORS: u8 = 1;
/// The command line or the project file is wrong.
pub const EXIT_USAGE: u8 = 2;

/// The inputs shared by `run`, `explain` and `watch`; each overrides `scoreline.yaml`.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The project folder holding `scoreline.yaml` (default: the current folder, if it has one).
    pub project: Option<std::path::PathBuf>,
    pub ruleset: Option<std::path::PathBuf>,
    pub contacts: Option<std::path::PathBuf>,
    pub events: Vec<std::path::PathBuf>,
    /// The accounts file (LANGUAGE.md §13).
    pub accounts: Option<std::path::PathBuf>,
    /// The contact field that links each contact to its account (default `account_id`).
    pub account_column: Option<String>,
    pub as_of: Option<String>,
    pub id_column: Option<String>,
    /// How the data files are written (`--delimiter`, `--decimal`, …).
    pub dialect: project::DialectKeys,
    pub skip_bad_rows: Option<std::path::PathBuf>,
    pub threads: Option<usize>,
}
