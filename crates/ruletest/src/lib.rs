//! Ruleset tests (`scoreline test`): test files (`*.test.yaml`) list cases of made-up
//! contacts and what each must get; every case is scored as its own population and its
//! outputs compared with the expectations. Coverage says which rules, `each` clauses and
//! segment arms no case ever fired. The format is documented in docs/testing.md.
#![forbid(unsafe_code)]

mod case;
mod contacts;
mod expect;
mod file;
pub mod junit;
mod locate;
mod report;
mod ruleset;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use scoreline_syntax::ast::Span;
use scoreline_syntax::{Diagnostic, SourceFile};

use file::TestFile;
pub use report::{
    details, CaseReport, ContactFailure, Coverage, CoverageItem, FileReport, Mismatch, Problem,
    Report, Status,
};
use ruleset::{load_ruleset, LoadFailure, Ruleset};
use scoreline_model::suggest::did_you_mean;
use scoreline_runner::sources::io_reason;

/// The codes of test file errors (listed in docs/testing.md).
pub(crate) mod codes {
    /// The file is not valid YAML.
    pub const YAML: &str = scoreline_syntax::codes::T0001;
    /// A key that a test file does not have.
    pub const UNKNOWN_KEY: &str = scoreline_syntax::codes::T0002;
    /// A part of the file has the wrong shape (a list where a map is needed, no name…).
    pub const SHAPE: &str = scoreline_syntax::codes::T0003;
    /// The rule file cannot be read.
    pub const RULESET: &str = scoreline_syntax::codes::T0004;
    /// An expectation names no score or segment of the ruleset.
    pub const UNKNOWN_OUTPUT: &str = scoreline_syntax::codes::T0005;
    /// A contact without an id.
    pub const NO_ID: &str = scoreline_syntax::codes::T0006;
    /// A contact does not fit the ruleset's schema.
    pub const DATA: &str = scoreline_syntax::codes::T0007;
    /// `fired` / `not_fired` names no clause of the ruleset.
    pub const UNKNOWN_CLAUSE: &str = scoreline_syntax::codes::T0008;
    /// A case (or a contact of it) with nothing expected.
    pub const NO_EXPECTATIONS: &str = scoreline_syntax::codes::T0009;
    /// A value that is not a number, bound or label.
    pub const BAD_VALUE: &str = scoreline_syntax::codes::T0010;
    /// `expect` names a contact that the case does not have.
    pub const UNKNOWN_CONTACT: &str = scoreline_syntax::codes::T0011;
    /// An id in `expect` names both a contact and an account of the case.
    pub const AMBIGUOUS_ID: &str = scoreline_syntax::codes::T0012;
}

/// Every test file in `paths`: files as given, folders searched for `*.test.yaml` (and
/// `*.test.yml`), sorted. `Err` is a message for a path that does not exist.
pub fn find_test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found).map_err(|e| {
                format!(
                    "error: cannot read folder `{}`: {}",
                    path.display(),
                    io_reason(&e)
                )
            })?;
            found.sort();
            out.extend(found.into_iter().map(|p| tidy(&p)));
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(format!(
                "error: `{}` does not exist\n  = help: name test files (`*.test.yaml`) or folders that hold them",
                path.display()
            ));
        }
    }
    Ok(out)
}

/// A path without `.` parts and with `dir/..` pairs removed, for display: the rule file
/// `tests/../leads.score` is shown as `leads.score`.
pub fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// Whether a file name is a test file's.
pub fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}

/// Files under `paths` that look like test files by another name (`leads.tests.yaml`,
/// `leads_test.yaml`, `test_leads.yml`): what to point out when no test file is found.
pub fn near_miss_test_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn looks_like(name: &str) -> bool {
        let lower = name.to_lowercase();
        let yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
        yaml && lower.contains("test") && !is_test_file(Path::new(name))
    }
    fn scan(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            if path.is_dir() && depth < 8 {
                scan(&path, out, depth + 1);
            } else if looks_like(name) {
                out.push(tidy(&path));
            }
        }
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            scan(path, &mut out, 0);
        }
    }
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_test_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

enum Loaded {
    Ready(Rc<Ruleset>),
    /// The rule file has errors: shown with the first test file that uses it.
    Broken {
        display: String,
    },
}

/// Runs every case of every test file.
pub fn run(files: &[PathBuf]) -> Report {
    let mut cache: HashMap<PathBuf, Loaded> = HashMap::new();
    let mut order: Vec<PathBuf> = Vec::new();
    let mut reports = Vec::new();
    for path in files {
        reports.push(run_file(path, &mut cache, &mut order));
    }
    let coverage = order
        .iter()
        .filter_map(|key| match cache.get(key) {
            Some(Loaded::Ready(rs)) => {
                let hits = rs.hits.borrow();
                Some(Coverage {
                    ruleset: rs.display.clone(),
                    items: rs
                        .items
                        .iter()
                        .zip(hits.iter())
                        .map(|(i, &covered)| CoverageItem {
                            kind: i.kind,
                            owner: i.owner.clone(),
                            label: i.label.clone(),
                            labelled: i.labelled,
                            line: i.line,
                            covered,
                        })
                        .collect(),
                })
            }
            _ => None,
        })
        .collect();
    Report {
        files: reports,
        coverage,
    }
}

fn run_file(
    path: &Path,
    cache: &mut HashMap<PathBuf, Loaded>,
    order: &mut Vec<PathBuf>,
) -> FileReport {
    let name = path.display().to_string();
    let mut report = FileReport {
        file: name.clone(),
        ruleset: None,
        errors: Vec::new(),
        cases: Vec::new(),
    };
    let text = match std::fs::read(path) {
        Err(e) => {
            report.errors.push(Problem::plain(
                &name,
                format!("cannot read the test file: {}", io_reason(&e)),
                None,
            ));
            return report;
        }
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                report.errors.push(Problem::plain(
                    &name,
                    "the test file is not UTF-8 text".into(),
                    Some("save the file as UTF-8".into()),
                ));
                return report;
            }
        },
    };
    let tf = match file::read(path, text) {
        Ok(tf) => tf,
        Err(diagnostics) => {
            report.errors = diagnostics.iter().map(Problem::from_diagnostic).collect();
            return report;
        }
    };
    report.ruleset = Some(tf.ruleset.display().to_string());
    let key = std::fs::canonicalize(&tf.ruleset).unwrap_or_else(|_| tf.ruleset.clone());
    if !cache.contains_key(&key) {
        match load_ruleset(&tf) {
            Ok(rs) => {
                order.push(key.clone());
                cache.insert(key.clone(), Loaded::Ready(Rc::new(rs)));
            }
            Err(LoadFailure::NotFound(d)) => {
                report.errors.push(Problem::from_diagnostic(&d));
                report.cases = not_run(&tf, "its rule file cannot be read");
                return report;
            }
            Err(LoadFailure::Broken(problems)) => {
                report.errors = problems;
                cache.insert(
                    key.clone(),
                    Loaded::Broken {
                        display: tf.ruleset.display().to_string(),
                    },
                );
                report.cases = not_run(&tf, "its rule file has errors");
                return report;
            }
        }
    }
    let rs = match cache.get(&key) {
        Some(Loaded::Ready(rs)) => Rc::clone(rs),
        Some(Loaded::Broken { display }) => {
            report.errors.push(Problem::plain(
                &name,
                format!("the rule file `{display}` has errors (shown above)"),
                Some("fix the rule file; `scoreline check` lists its errors".into()),
            ));
            report.cases = not_run(&tf, "its rule file has errors");
            return report;
        }
        None => return report,
    };
    for (i, case) in tf.cases.iter().enumerate() {
        let errors: Vec<Diagnostic> = tf
            .case_errors
            .iter()
            .filter(|(c, _)| *c == i)
            .map(|(_, d)| d.clone())
            .collect();
        report.cases.push(case::run(&rs, &tf, case, errors));
    }
    report
}

fn not_run(tf: &TestFile, why: &str) -> Vec<CaseReport> {
    tf.cases
        .iter()
        .map(|c| CaseReport {
            name: c.name.clone(),
            line: line_of(&tf.source, c.span),
            status: Status::Error,
            failures: Vec::new(),
            errors: vec![Problem::plain(
                &tf.source.name,
                format!("not run: {why}"),
                None,
            )],
            seconds: 0.0,
        })
        .collect()
}

fn line_of(source: &SourceFile, span: Span) -> usize {
    source.line_col(span.start as usize).line
}
