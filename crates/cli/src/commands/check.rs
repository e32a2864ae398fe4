//! `scoreline check`: parse, resolve and type-check rule files and their plugins.

use std::path::PathBuf;

use scoreline_syntax::{Diagnostic, Severity};

use crate::args::{CheckArgs, DiagnosticFormat};
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use scoreline_runner::pipeline::check_rule_file;
use scoreline_runner::project;
use scoreline_runner::sources::find_rule_files;

/// Runs `scoreline check`.
pub fn run(args: CheckArgs) -> u8 {
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
            eprintln!("{e}");
            return EXIT_USAGE;
        }
    };
    if files.is_empty() {
        eprintln!("error: no rule files (`*.score`) found\n  = help: name the rule files to check: `scoreline check rules.score`");
        return EXIT_USAGE;
    }
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut unreadable = 0;
    for file in &files {
        match check_rule_file(file, None) {
            Ok(checked) => diagnostics.extend(checked.diagnostics),
            Err(message) => {
                unreadable += 1;
                eprintln!("{message}");
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

fn default_paths(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, String> {
    if !paths.is_empty() {
        return Ok(paths);
    }
    if let Some(project) = project::load(None)? {
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
