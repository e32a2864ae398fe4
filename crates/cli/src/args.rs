//! The command line, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use scoreline_data::dialect::{parse_list_separator, BadSetting};
use scoreline_data::{Decimal, Delimiter, Encoding, Thousands};
use scoreline_runner::project::DialectKeys;

/// Scoreline: score contacts with rule files you can read, test and version.
#[derive(Debug, Parser)]
#[command(name = "scoreline", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve and type-check rule files and their plugins; report every problem.
    Check(CheckArgs),
    /// Rewrite rule files in the canonical layout (comments are kept).
    Fmt(FmtArgs),
    /// Score a data set once and write the scores.
    Run(RunArgs),
    /// Show how one contact's scores and segments were reached, clause by clause.
    Explain(ExplainArgs),
    /// Score as of a past day and compare with what happened next: AUC, lift, segments.
    Evaluate(crate::commands::evaluate::EvaluateArgs),
    /// Score the same contacts with two versions of a ruleset and show what a change moves.
    Diff(crate::commands::diff::DiffArgs),
    /// Relearn the points of a score's clauses from outcomes; write the same rules with them.
    Fit(crate::commands::fit::FitArgs),
    /// Score, then rescore whenever the rules, plugins, data or `scoreline.yaml` change.
    Watch(WatchArgs),
    /// Run ruleset test files (`*.test.yaml`): cases of contacts and what they must get.
    Test(TestArgs),
    /// A contact's (or `--account`'s) scores and segments over past runs, from the score history.
    History(HistoryArgs),
    /// Start a project from a template: rules, sample data, tests and plugins.
    Init(InitArgs),
    /// The language server for editors, over standard input and output (see docs/editors.md).
    Lsp(LspArgs),
}

/// `scoreline lsp`
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Talk over standard input and output (the only way; accepted because editors' clients
    /// pass it).
    #[arg(long)]
    pub stdio: bool,
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// For people: file:line:column, the source line and an underline.
    // Printed and parsed as `text` (as every command's `--format` says it); `human`, its old
    // name, is kept as a hidden alias. The variant keeps its name for the code that uses it.
    #[value(name = "text", alias = "human")]
    Human,
    /// One JSON array of diagnostics, for editors and CI.
    Json,
}

/// `scoreline check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Rule files or folders to check (folders are searched for `*.score`). Default: the
    /// project's ruleset if `scoreline.yaml` is here, else every `*.score` below here.
    pub paths: Vec<PathBuf>,
    /// What is printed: the diagnostics as text, or as JSON.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Check the data against the rules instead (the project's data, or the data flags):
    /// variants, rare literals, duplicates, odd numbers, events after as-of. No scoring.
    #[arg(long)]
    pub data: bool,
    /// With `--data`: also write an HTML report of the findings to this file.
    #[arg(long, value_name = "FILE.html", requires = "data")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub inputs: InputArgs,
}

/// `scoreline fmt`
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Rule files or folders to format (folders are searched for `*.score`).
    pub paths: Vec<PathBuf>,
    /// Change nothing; list the files that would change and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
}

/// Output formats of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Csv,
    Json,
    Ndjson,
}

impl OutputFormat {
    /// The data crate's format.
    pub fn to_data(self) -> scoreline_data::OutputFormat {
        match self {
            OutputFormat::Csv => scoreline_data::OutputFormat::Csv,
            OutputFormat::Json => scoreline_data::OutputFormat::Json,
            OutputFormat::Ndjson => scoreline_data::OutputFormat::Ndjson,
        }
    }
}

/// The inputs shared by `run` and `explain`; each overrides `scoreline.yaml`.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// The project folder holding `scoreline.yaml` (default: the current folder, if it has one).
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// The rule file.
    #[arg(long)]
    pub ruleset: Option<PathBuf>,
    /// The contacts file (CSV, NDJSON, JSON or YAML, by extension).
    #[arg(long)]
    pub contacts: Option<PathBuf>,
    /// An events file (CSV or NDJSON); may be given several times.
    #[arg(long = "events")]
    pub events: Vec<PathBuf>,
    /// The accounts file (CSV, NDJSON, JSON or YAML, by extension), one row per account with
    /// an `id` column: the companies that account items score.
    #[arg(long, value_name = "FILE")]
    pub accounts: Option<PathBuf>,
    /// The contact field that names each contact's account (default `account_id`).
    #[arg(long, value_name = "NAME")]
    pub account_column: Option<String>,
    /// The reference instant: `now`, a date (`2026-11-01`, meaning 00:00 UTC) or RFC 3339.
    #[arg(long)]
    pub as_of: Option<String>,
    /// The column (field) that identifies a contact.
    #[arg(long)]
    pub id_column: Option<String>,
    /// What separates CSV cells: `,`, `;` or `tab` (default: detected from each header).
    #[arg(long, value_name = "CHAR", value_parser = delimiter)]
    pub delimiter: Option<Delimiter>,
    /// The decimal separator of numbers in CSV cells: `.` (default) or `,`.
    #[arg(long, value_name = "CHAR", value_parser = decimal)]
    pub decimal: Option<Decimal>,
    /// The thousands separator of numbers in CSV cells: `none` (default), `space`, `.`, `,`, `'`.
    #[arg(long, value_name = "CHAR", value_parser = thousands)]
    pub thousands: Option<ThousandsFlag>,
    /// The data files' text encoding: `utf-8` (default), `windows-1252`, `latin-1`, `utf-16`, …
    #[arg(long, value_name = "NAME", value_parser = encoding)]
    pub encoding: Option<Encoding>,
    /// What separates list items in CSV cells (default: `;`, or `|` when `;` separates cells).
    #[arg(long, value_name = "CHAR", value_parser = list_separator)]
    pub list_separator: Option<char>,
    /// A format of dates in the data (strftime, such as `%d/%m/%Y`); repeat it for several.
    #[arg(long = "date-format", value_name = "FORMAT")]
    pub date_formats: Vec<String>,
    /// The time zone of times written without an offset (an IANA name, default UTC).
    #[arg(long, value_name = "NAME", value_parser = timezone)]
    pub timezone: Option<scoreline_data::dates::Tz>,
    /// Write bad data rows to this file (with the reason) and score the rest.
    #[arg(long, value_name = "FILE")]
    pub skip_bad_rows: Option<PathBuf>,
    /// Number of worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// `scoreline run`
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Where to write the scores (with `NAME.manifest.json` beside them: the ruleset, the
    /// as-of and each input's SHA-256 and rows).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The scores file's format (default: from its extension, else csv).
    // `--format` is this flag's old name, kept hidden: `--format` now says what is printed.
    #[arg(
        long = "out-format",
        alias = "format",
        value_name = "FORMAT",
        value_enum
    )]
    pub out_format: Option<OutputFormat>,
    /// Also write every contact's explanation to this file (NDJSON).
    #[arg(long, value_name = "FILE")]
    pub explain: Option<PathBuf>,
    /// Write the accounts' scores and segments to this file (CSV, JSON or NDJSON by
    /// extension), one row per account; the ruleset must have account items.
    #[arg(long, value_name = "FILE")]
    pub accounts_out: Option<PathBuf>,
    /// In CSV, also record the ruleset as `ruleset` and `ruleset_version` columns ending
    /// each row.
    #[arg(long)]
    pub stamp: bool,
    /// Do not fail when plugin calls fail: put their errors in an `errors` column.
    #[arg(long)]
    pub allow_plugin_errors: bool,
    /// Also write a report (score distributions, segment sizes) as one self-contained HTML
    /// file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// The scores of a previous run (CSV, JSON or NDJSON), which `keep when` arms read: a
    /// contact keeps its previous label while the arm's keep condition holds.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// Append this run (ruleset, as-of, inputs, every contact's scores and segments) to the
    /// score history in a database: `sqlite:history.db` or `postgres://…`.
    #[arg(long, value_name = "URL")]
    pub history: Option<PathBuf>,
}

/// `scoreline history`
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The contact's id (or the account's, with `--account`).
    pub id: String,
    /// Show an account's scores and segments rather than a contact's.
    #[arg(long)]
    pub account: bool,
    /// Show the last N runs only.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// The score history (`sqlite:history.db`, `postgres://…`); default: `output.history` of
    /// `scoreline.yaml`.
    #[arg(long, value_name = "URL")]
    pub history: Option<PathBuf>,
    /// The project folder holding `scoreline.yaml` (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// What to print: a table (`text`) or `json`.
    #[arg(long, value_enum, default_value = "text")]
    pub format: HistoryFormat,
}

/// Formats of `scoreline history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Text,
    Json,
}

/// Formats of `watch`'s status lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// One line of text per cycle.
    Text,
    /// One JSON object per line (NDJSON), for tools.
    Json,
}

/// `scoreline watch`
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Where to write the scores (required, here or in `scoreline.yaml`), with
    /// `NAME.manifest.json` beside them.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The scores file's format (default: from its extension, else csv).
    // `--scores-format` is this flag's old name, kept hidden.
    #[arg(
        long = "out-format",
        alias = "scores-format",
        value_name = "FORMAT",
        value_enum
    )]
    pub out_format: Option<OutputFormat>,
    /// Also write every contact's explanation to this file (NDJSON).
    #[arg(long, value_name = "FILE")]
    pub explain: Option<PathBuf>,
    /// Append a line to this file (NDJSON) for every contact whose score or segment changes.
    #[arg(long, value_name = "FILE")]
    pub changes: Option<PathBuf>,
    /// Append the first scoring and every cycle that moves a score or a segment to the score
    /// history in a database (`sqlite:history.db`, `postgres://…`).
    #[arg(long, value_name = "URL")]
    pub history: Option<PathBuf>,
    /// Write the accounts' scores and segments to this file (CSV, JSON or NDJSON by
    /// extension), one row per account; the ruleset must have account items.
    #[arg(long, value_name = "FILE")]
    pub accounts_out: Option<PathBuf>,
    /// In CSV, also record the ruleset as `ruleset` and `ruleset_version` columns ending
    /// each row.
    #[arg(long)]
    pub stamp: bool,
    /// What is printed: the status lines as text, or as JSON (one object per line).
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
    /// Check the files by polling, for folders where change events never arrive (network
    /// drives, some containers).
    #[arg(long)]
    pub poll: bool,
    /// How long (milliseconds) the files must stay quiet before a change that may still be
    /// under way, or a burst of saves, is handled; a finished save is handled at once.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    pub debounce: u64,
    /// Do not fail when plugin calls fail: write the scores with those values missing.
    #[arg(long)]
    pub allow_plugin_errors: bool,
}

/// Formats of `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

/// `scoreline explain`
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The id of the contact to explain (of the account, with `--account`).
    pub id: String,
    /// Explain an account (its account items, and the contacts that contributed to each
    /// `contacts` aggregate) instead of a contact.
    #[arg(long)]
    pub account: bool,
    #[command(flatten)]
    pub inputs: InputArgs,
    /// What is printed: the explanation as text, or as JSON.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    /// Also list the events each `each` clause matched: date, age, decay factor and points.
    #[arg(long)]
    pub show_events: bool,
}

impl InputArgs {
    /// The runner's view of these flags.
    pub fn to_inputs(&self) -> scoreline_runner::Inputs {
        scoreline_runner::Inputs {
            project: self.project.clone(),
            ruleset: self.ruleset.clone(),
            contacts: self.contacts.clone(),
            events: self.events.clone(),
            accounts: self.accounts.clone(),
            account_column: self.account_column.clone(),
            as_of: self.as_of.clone(),
            id_column: self.id_column.clone(),
            dialect: DialectKeys {
                delimiter: self.delimiter,
                decimal: self.decimal,
                thousands: self.thousands.map(|t| t.0),
                encoding: self.encoding,
                list_separator: self.list_separator,
                date_formats: (!self.date_formats.is_empty()).then(|| self.date_formats.clone()),
                timezone: self.timezone,
            },
            skip_bad_rows: self.skip_bad_rows.clone(),
            threads: self.threads,
        }
    }
}

/// Formats of `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// For people: each failure with expected and actual values and the explanation.
    Text,
    /// One JSON object with every file, case and failure, for tools.
    Json,
}

/// `scoreline test`
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files or folders (folders are searched for `*.test.yaml`). Default: the current folder.
    pub paths: Vec<std::path::PathBuf>,
    /// What is printed: the results as text, or as JSON.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    pub format: TestFormat,
    /// Also write a JUnit XML report to this file, for CI.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// List the rules, `each` clauses and segment arms that no case fired.
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 1) when coverage is below this percentage (implies `--coverage`).
    #[arg(long, value_name = "PCT")]
    pub min_coverage: Option<f64>,
}

/// `scoreline init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to create the project in (created if needed).
    pub dir: std::path::PathBuf,
    /// The template to start from.
    #[arg(long, value_enum, default_value_t = crate::commands::init::Template::B2bLeads)]
    pub template: crate::commands::init::Template,
    /// Start from a CRM's export instead: its sample data, a schema mapping its standard
    /// columns and `preset: hubspot` or `preset: salesforce`.
    #[arg(long, value_enum, conflicts_with = "template", value_name = "CRM")]
    pub from: Option<crate::commands::init::Crm>,
}

/// A dialect flag's value, or the message clap shows for it (with our help line).
fn flag<T>(parsed: Result<T, BadSetting>) -> Result<T, String> {
    parsed.map_err(|bad| format!("{}\n  = help: {}", bad.message, bad.help))
}

fn delimiter(text: &str) -> Result<Delimiter, String> {
    flag(Delimiter::parse(text))
}

fn decimal(text: &str) -> Result<Decimal, String> {
    flag(Decimal::parse(text))
}

/// `--thousands`: a separator, or none (a type of its own: clap reads `Option<Option<_>>` as
/// a flag whose value may be left out).
#[derive(Debug, Clone, Copy)]
pub struct ThousandsFlag(pub Option<Thousands>);

fn thousands(text: &str) -> Result<ThousandsFlag, String> {
    flag(Thousands::parse(text)).map(ThousandsFlag)
}

fn encoding(text: &str) -> Result<Encoding, String> {
    flag(Encoding::parse(text))
}

fn list_separator(text: &str) -> Result<char, String> {
    flag(parse_list_separator(text))
}

fn timezone(text: &str) -> Result<scoreline_data::dates::Tz, String> {
    flag(scoreline_data::dates::parse_timezone(text))
}
