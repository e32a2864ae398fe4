//! `scoreline check`: parse, resolve and type-check rule files and their plugins.

use scoreline_runner::failure::Message;
use std::path::PathBuf;

use scoreline_syntax::{Diagnostic, Severity};

use crate::args::{CheckArgs, DiagnosticFormat};
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use scoreline_runner::pipeline::{check_rule_file, resolve};
use scoreline_runner::project;
use scoreline_runner::quality::{self, check_data};
use scoreline_runner::sources::find_rule_files;

/// Runs `scoreline check`.
pub fn run(args: CheckArgs) -> u8 {
    if args.data {
        return run_data(args);
    }
    if let Some(flag) = data_flag(&args.inputs) {
        crate::render::error(
            &Message::new(format!("`{flag}` only applies to `check --data`"))
                .help("add `--data` to check the data against the rules"),
        );
        return EXIT_USAGE;
    }
    let paths = match default_paths(args.paths) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_USAGE;
        }
    };
    let files = match find_rule_files(&paths) {
        Ok(f) => f,
        Err(e) => {
            crate::render::error(&e.0);
            return EXIT_USAGE;
        }
    };
    if files.is_empty() {
        crate::render::error(
            &Message::new("no rule files (`*.score`) found")
                .help("name the rule files to check: `scoreline check rules.score`"),
        );
        return EXIT_USAGE;
    }
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut unreadable = 0;
    for file in &files {
        match check_rule_file(file, None) {
            Ok(checked) => diagnostics.extend(checked.diagnostics),
            Err(message) => {
                unreadable += 1;
                crate::render::error(&message);
            }
        }
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count() + unreadable;
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    match args.format {
        DiagnosticFormat::Json => {
            let json: Vec<_> = diagnostics.iter().map(Diagnostic::to_json).collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into())
            );
        }
        DiagnosticFormat::Human => {
            for d in &diagnostics {
                eprintln!("{}", d.render());
            }
            eprintln!("{}", summary(files.len(), errors, warnings));
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}

/// The first data flag given, which plain `check` does not read.
fn data_flag(inputs: &crate::args::InputArgs) -> Option<&'static str> {
    let given = [
        ("--project", inputs.project.is_some()),
        ("--ruleset", inputs.ruleset.is_some()),
        ("--contacts", inputs.contacts.is_some()),
        ("--events", !inputs.events.is_empty()),
        ("--accounts", inputs.accounts.is_some()),
        ("--account-column", inputs.account_column.is_some()),
        ("--as-of", inputs.as_of.is_some()),
        ("--id-column", inputs.id_column.is_some()),
        ("--delimiter", inputs.delimiter.is_some()),
        ("--decimal", inputs.decimal.is_some()),
        ("--thousands", inputs.thousands.is_some()),
        ("--encoding", inputs.encoding.is_some()),
        ("--list-separator", inputs.list_separator.is_some()),
        ("--skip-bad-rows", inputs.skip_bad_rows.is_some()),
        ("--threads", inputs.threads.is_some()),
    ];
    given
        .into_iter()
        .find(|(_, set)| *set)
        .map(|(flag, _)| flag)
}

/// Runs `scoreline check --data`: the data read against the rule file, without scoring.
fn run_data(args: CheckArgs) -> u8 {
    let mut inputs = args.inputs.to_inputs();
    match args.paths.as_slice() {
        [] => {}
        [file] if inputs.ruleset.is_none() && !file.is_dir() => inputs.ruleset = Some(file.clone()),
        _ => {
            crate::render::error(&Message::new("`check --data` checks one rule file").help(
                "name it with `--ruleset FILE`, or run in a project folder with a `scoreline.yaml`",
            ));
            return EXIT_USAGE;
        }
    }
    let settings = match resolve(&inputs) {
        Ok(s) => s,
        Err(failure) => return crate::render::fail(failure),
    };
    let (report, warnings) = match check_data(&settings) {
        Ok(r) => r,
        Err(failure) => return crate::render::fail(failure),
    };
    if !warnings.is_empty() {
        eprintln!("{warnings}");
    }
    match args.format {
        DiagnosticFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into())
        ),
        DiagnosticFormat::Human => out!("{}", quality::render::text(&report)),
    }
    if let Some(path) = &args.report {
        if let Err(message) = scoreline_runner::report::write(
            path,
            &quality::render::page(
                &report,
                &scoreline_runner::report::Titles::read(&settings.ruleset),
            ),
        ) {
            crate::render::error(&message);
            return EXIT_ERRORS;
        }
    }
    if args.deny_warnings && report.warnings > 0 {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}

fn default_paths(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, String> {
    if !paths.is_empty() {
        return Ok(paths);
    }
    if let Some(project) = project::load(None).map_err(|m| crate::render::message(&m))? {
        if let Some(ruleset) = &project.project.ruleset {
            return Ok(vec![project.path(ruleset)]);
        }
    }
    Ok(vec![PathBuf::from(".")])
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn summary(files: usize, errors: usize, warnings: usize) -> String {
    let checked = plural(files, "file");
    if errors == 0 && warnings == 0 {
        format!("checked {checked}: no problems")
    } else {
        format!(
            "checked {checked}: {}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}
