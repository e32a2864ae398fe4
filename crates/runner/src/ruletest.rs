//! Ruleset tests (`scoreline test`): test files (`*.test.yaml`) list cases of made-up
//! contacts and what each must get; every case is scored as its own population and its
//! outputs compared with the expectations. Coverage says which rules, `each` clauses and
//! segment arms no case ever fired. The format is documented in docs/testing.md.

mod contacts;
mod expect;
mod file;
pub mod junit;
mod locate;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use scoreline_data::{Format, LoadOptions, Source, Value};
use scoreline_engine::explain::ArmResult;
use scoreline_engine::Explanation;
use scoreline_syntax::ast::{Clause, Item, ScoreBody, Span};
use scoreline_syntax::{Diagnostic, SourceFile};
use serde::Serialize;

use crate::pipeline::{check_rule_file, CheckedFile};
use crate::sources::io_reason;
use expect::{NumberCheck, BOUND_HELP};
use file::{Case, TestFile};

/// The codes of test file errors (listed in docs/testing.md).
pub(crate) mod codes {
    /// The file is not valid YAML.
    pub const YAML: &str = "T0001";
    /// A key that a test file does not have.
    pub const UNKNOWN_KEY: &str = "T0002";
    /// A part of the file has the wrong shape (a list where a map is needed, no name…).
    pub const SHAPE: &str = "T0003";
    /// The rule file cannot be read.
    pub const RULESET: &str = "T0004";
    /// An expectation names no score or segment of the ruleset.
    pub const UNKNOWN_OUTPUT: &str = "T0005";
    /// A contact without an id.
    pub const NO_ID: &str = "T0006";
    /// A contact does not fit the ruleset's schema.
    pub const DATA: &str = "T0007";
    /// `fired` / `not_fired` names no clause of the ruleset.
    pub const UNKNOWN_CLAUSE: &str = "T0008";
    /// A case (or a contact of it) with nothing expected.
    pub const NO_EXPECTATIONS: &str = "T0009";
    /// A value that is not a number, bound or label.
    pub const BAD_VALUE: &str = "T0010";
    /// `expect` names a contact that the case does not have.
    pub const UNKNOWN_CONTACT: &str = "T0011";
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

/// Everything a test run found.
#[derive(Debug, Serialize)]
pub struct Report {
    pub files: Vec<FileReport>,
    /// Per rule file, what the cases fired (in the order the rule files were first used).
    pub coverage: Vec<Coverage>,
}

impl Report {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.cases)
            .filter(|c| c.status == Status::Passed)
            .count()
    }

    /// Cases that failed or could not run, plus each test file that could not be read into
    /// cases at all (it counts as one failure, so that a broken file never passes).
    pub fn failed(&self) -> usize {
        self.files
            .iter()
            .map(|f| {
                let cases = f
                    .cases
                    .iter()
                    .filter(|c| c.status != Status::Passed)
                    .count();
                if f.cases.is_empty() && !f.errors.is_empty() {
                    cases + 1
                } else {
                    cases
                }
            })
            .sum()
    }

    /// Covered and total clauses and arms, over every rule file.
    pub fn coverage_totals(&self) -> (usize, usize) {
        let items = self.coverage.iter().flat_map(|c| &c.items);
        let total = items.clone().count();
        (items.filter(|i| i.covered).count(), total)
    }
}

/// One test file's results.
#[derive(Debug, Serialize)]
pub struct FileReport {
    /// The test file, as found.
    pub file: String,
    /// The rule file it tests, when the test file says.
    pub ruleset: Option<String>,
    /// Problems that kept the whole file (or its rule file) from running.
    pub errors: Vec<Problem>,
    pub cases: Vec<CaseReport>,
}

/// An error, with where it is (a test file or a rule file).
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based line and column, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub code: Option<String>,
    pub message: String,
    pub help: Option<String>,
    /// The problem as people read it (with the source line underlined when known).
    #[serde(skip)]
    pub rendered: String,
}

impl Problem {
    fn from_diagnostic(d: &Diagnostic) -> Problem {
        let at = d.file.line_col(d.span.start as usize);
        Problem {
            file: d.file.name.clone(),
            line: Some(at.line),
            column: Some(at.column),
            code: Some(d.code.to_string()),
            message: d.message.clone(),
            help: d.help.clone(),
            rendered: d.render(),
        }
    }

    fn plain(file: &str, message: String, help: Option<String>) -> Problem {
        let mut rendered = format!("error: {message}\n  --> {file}\n");
        if let Some(h) = &help {
            rendered.push_str(&format!("  = help: {h}\n"));
        }
        Problem {
            file: file.to_string(),
            line: None,
            column: None,
            code: None,
            message,
            help,
            rendered,
        }
    }
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    /// An expectation was not met.
    Failed,
    /// The case could not run (bad input, or its rule file has errors).
    Error,
}

/// One case's result.
#[derive(Debug, Serialize)]
pub struct CaseReport {
    pub name: String,
    /// The line where the case starts in its test file.
    pub line: usize,
    pub status: Status,
    /// The contacts whose outputs did not meet the expectations.
    pub failures: Vec<ContactFailure>,
    /// Why the case could not run.
    pub errors: Vec<Problem>,
    /// How long the case took, in seconds.
    pub seconds: f64,
}

/// A contact whose outputs did not meet the expectations, and why it got them.
#[derive(Debug, Serialize)]
pub struct ContactFailure {
    pub contact: String,
    pub mismatches: Vec<Mismatch>,
    pub explanation: Explanation,
}

/// One expectation not met.
#[derive(Debug, Serialize)]
pub struct Mismatch {
    /// The expected output (`fit`, `tier`, `fired`…), or `errors` for failed plugin calls.
    pub key: String,
    /// Where the expectation is written in the test file.
    pub line: Option<usize>,
    pub expected: String,
    pub actual: String,
}

/// What the cases of every test file fired in one rule file.
#[derive(Debug, Serialize)]
pub struct Coverage {
    pub ruleset: String,
    pub items: Vec<CoverageItem>,
}

/// A rule, `each` clause or segment arm, and whether any case fired it.
#[derive(Debug, Serialize)]
pub struct CoverageItem {
    /// `rule`, `each` or `arm`.
    pub kind: &'static str,
    /// The score or segment it belongs to.
    pub owner: String,
    /// The clause's label (its text when it has none) or the arm's label.
    pub label: String,
    /// 1-based line in the rule file.
    pub line: usize,
    pub covered: bool,
}

/// What went wrong in a case, as people read it: for a failure, each contact's expected
/// and actual outputs, then its explanation; for an error, the problems found.
pub fn details(case: &CaseReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for p in &case.errors {
        out.push_str(&p.rendered);
        if !p.rendered.ends_with('\n') {
            out.push('\n');
        }
    }
    for failure in &case.failures {
        let _ = writeln!(out, "  contact {}", failure.contact);
        let width = failure
            .mismatches
            .iter()
            .map(|m| m.key.chars().count())
            .max()
            .unwrap_or(0);
        for m in &failure.mismatches {
            let at = m.line.map(|l| format!("  (line {l})")).unwrap_or_default();
            let _ = writeln!(
                out,
                "    {:<width$}  expected {}, got {}{at}",
                m.key, m.expected, m.actual
            );
        }
        let _ = writeln!(out, "  why {} got these outputs:", failure.contact);
        for line in failure.explanation.render_text().lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

/// A rule file, checked once however many test files use it.
struct Ruleset {
    display: String,
    file: CheckedFile,
    plugins: Vec<(String, Arc<scoreline_plugins::Plugin>)>,
    /// Every clause label, for `fired` / `not_fired`.
    labels: Vec<String>,
    /// Coverage items and, for lookups, (owner, index in owner) → item.
    items: Vec<CoverageItem>,
    index: HashMap<(String, usize), usize>,
    hits: RefCell<Vec<bool>>,
}

enum Loaded {
    Ready(Rc<Ruleset>),
    /// The rule file has errors: shown with the first test file that uses it.
    Broken {
        display: String,
        shown: bool,
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
                        shown: true,
                    },
                );
                report.cases = not_run(&tf, "its rule file has errors");
                return report;
            }
        }
    }
    let rs = match cache.get_mut(&key) {
        Some(Loaded::Ready(rs)) => Rc::clone(rs),
        Some(Loaded::Broken { display, shown }) => {
            if !*shown {
                *shown = true;
            }
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
        report.cases.push(run_case(&rs, &tf, case, errors));
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

enum LoadFailure {
    /// The rule file cannot be read: an error at the test file's `ruleset:` line.
    NotFound(Diagnostic),
    /// The rule file has errors.
    Broken(Vec<Problem>),
}

fn load_ruleset(tf: &TestFile) -> Result<Ruleset, LoadFailure> {
    let display = tf.ruleset.display().to_string();
    let not_found = |reason: String| {
        let mut d = Diagnostic::error(
            &tf.source,
            codes::RULESET,
            tf.ruleset_span,
            format!("cannot read the rule file `{display}`: {reason}"),
        );
        let folder = match tf.ruleset.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let wanted = tf
            .ruleset
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let candidates: Vec<String> = std::fs::read_dir(folder)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".score"))
                    .collect()
            })
            .unwrap_or_default();
        let help =
            did_you_mean(&wanted, candidates.iter().map(String::as_str)).unwrap_or_else(|| {
                "the path is relative to the test file, e.g. `ruleset: ../leads.score`".into()
            });
        d = d.with_help(help);
        LoadFailure::NotFound(d)
    };
    if tf.ruleset.is_dir() {
        return Err(not_found("it is a folder".into()));
    }
    let checked = match check_rule_file(&tf.ruleset, None) {
        Ok(c) => c,
        Err(_) => {
            let reason = match std::fs::metadata(&tf.ruleset) {
                Err(e) => io_reason(&e),
                Ok(_) => "it is not UTF-8 text".into(),
            };
            return Err(not_found(reason));
        }
    };
    let errors: Vec<&Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    let (Some(ast), Some(_)) = (&checked.ast, &checked.checked) else {
        return Err(LoadFailure::Broken(
            checked
                .diagnostics
                .iter()
                .map(Problem::from_diagnostic)
                .collect(),
        ));
    };
    if !errors.is_empty() {
        return Err(LoadFailure::Broken(
            errors.into_iter().map(Problem::from_diagnostic).collect(),
        ));
    }
    let mut plugins = Vec::new();
    let mut labels = Vec::new();
    let mut items = Vec::new();
    let mut index = HashMap::new();
    let source = &checked.source;
    for item in &ast.items {
        match item {
            Item::Plugin(p) => {
                if let Some(loaded) = checked.plugins.get(&p.path.value) {
                    plugins.push((p.name.name.clone(), Arc::clone(&loaded.plugin)));
                }
            }
            Item::Score(s) => {
                let ScoreBody::Block { clauses } = &s.body else {
                    continue;
                };
                let mut k = 0;
                for clause in clauses {
                    let (kind, label) = match clause {
                        Clause::Rule(r) => (
                            "rule",
                            match &r.label {
                                Some(l) => l.value.clone(),
                                None => source.slice(r.span).to_string(),
                            },
                        ),
                        Clause::Each(e) => ("each", source.slice(e.span).to_string()),
                        Clause::Clamp(_) => continue,
                    };
                    labels.push(label.clone());
                    index.insert((s.name.name.clone(), k), items.len());
                    items.push(CoverageItem {
                        kind,
                        owner: s.name.name.clone(),
                        label,
                        line: line_of(source, clause.span()),
                        covered: false,
                    });
                    k += 1;
                }
            }
            Item::Segment(s) => {
                for (k, arm) in s.arms.iter().enumerate() {
                    index.insert((s.name.name.clone(), k), items.len());
                    items.push(CoverageItem {
                        kind: "arm",
                        owner: s.name.name.clone(),
                        label: arm.label.value.clone(),
                        line: line_of(source, arm.span),
                        covered: false,
                    });
                }
            }
            _ => {}
        }
    }
    let hits = RefCell::new(vec![false; items.len()]);
    Ok(Ruleset {
        display,
        file: checked,
        plugins,
        labels,
        items,
        index,
        hits,
    })
}

/// An expectation, once its key is known to name an output of the ruleset.
enum Check {
    Score { check: NumberCheck },
    Label { want: Option<String> },
    Fired(Vec<String>),
    NotFired(Vec<String>),
}

struct Expectation {
    key: String,
    line: usize,
    check: Check,
}

/// Runs a case; `diagnostics` are the problems already found in it (it is then checked
/// further, but not run).
fn run_case(
    rs: &Ruleset,
    tf: &TestFile,
    case: &Case,
    mut diagnostics: Vec<Diagnostic>,
) -> CaseReport {
    let started = Instant::now();
    let mut report = CaseReport {
        name: case.name.clone(),
        line: line_of(&tf.source, case.span),
        status: Status::Error,
        failures: Vec::new(),
        errors: Vec::new(),
        seconds: 0.0,
    };
    let (Some(ast), Some(checked)) = (&rs.file.ast, &rs.file.checked) else {
        return report;
    };

    // What the case expects, against the ruleset's outputs.
    let columns = output_columns(rs);
    let mut expectations: Vec<(String, Vec<Expectation>)> = Vec::new();
    for ce in &case.expect {
        let mut list = Vec::new();
        for (key, value, span) in &ce.items {
            match expectation(rs, &columns, key, value) {
                Ok(check) => list.push(Expectation {
                    key: key.clone(),
                    line: line_of(&tf.source, *span),
                    check,
                }),
                Err((code, message, help)) => {
                    let mut d = Diagnostic::error(&tf.source, code, *span, message);
                    if let Some(h) = help {
                        d = d.with_help(h);
                    }
                    diagnostics.push(d);
                }
            }
        }
        expectations.push((ce.id.clone(), list));
    }

    // Fields the schema does not have: the loader would only warn and ignore them, but in
    // a test a misspelt field would make the case pass or fail for the wrong reason.
    if let Some(schema) = &checked.schema {
        unknown_fields(tf, case, schema, &mut diagnostics);
    }

    // The contacts, loaded like real data.
    let json = contacts::ContactsJson::new(&case.contacts, case.span);
    let source = Source {
        name: tf.source.name.clone(),
        format: Format::Json,
        bytes: json.text.clone().into_bytes(),
    };
    let options = LoadOptions {
        schema: checked.schema.as_ref(),
        threads: 1,
        ..LoadOptions::default()
    };
    let loaded = match scoreline_data::load_sources(&source, &[], &options) {
        Ok(l) => Some(l),
        Err(e) => {
            for p in &e.problems {
                diagnostics.push(data_problem(tf, &json, case, p));
            }
            None
        }
    };
    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(|d| d.span.start);
        // A default field shared by every contact is reported once.
        diagnostics.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        report.errors = diagnostics.iter().map(Problem::from_diagnostic).collect();
        report.seconds = started.elapsed().as_secs_f64();
        return report;
    }
    let Some(loaded) = loaded else {
        return report;
    };
    let dataset = loaded.dataset;
    let plan = match scoreline_engine::compile(
        &rs.file.source,
        ast,
        &checked.symbols,
        &dataset.schema,
        &rs.plugins,
    ) {
        Ok(p) => p,
        Err(diagnostics) => {
            report.errors = diagnostics.iter().map(Problem::from_diagnostic).collect();
            return report;
        }
    };
    let (evaluation, explanations) = plan.evaluate_with_explanations(&dataset, case.as_of, false);
    record_coverage(rs, &explanations);

    // Compare.
    let column_of = |name: &str| evaluation.columns.iter().position(|c| c == name);
    for (row, explanation) in explanations.into_iter().enumerate() {
        let id = dataset.contacts[row].id().to_string();
        let mut mismatches = Vec::new();
        if let Some((_, list)) = expectations.iter().find(|(i, _)| *i == id) {
            let values = evaluation.row(row);
            for e in list {
                compare(e, values, &column_of, &explanation, &mut mismatches);
            }
        }
        if let Some(message) = evaluation.row_error(row) {
            mismatches.push(Mismatch {
                key: "errors".into(),
                line: None,
                expected: "no plugin errors".into(),
                actual: message.to_string(),
            });
        }
        if !mismatches.is_empty() {
            report.failures.push(ContactFailure {
                contact: id,
                mismatches,
                explanation,
            });
        }
    }
    report.status = if report.failures.is_empty() {
        Status::Passed
    } else {
        Status::Failed
    };
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// The ruleset's outputs by kind: scores, segments, and segments' action columns.
struct Columns {
    scores: Vec<String>,
    segments: Vec<String>,
    /// Segments that have actions.
    with_actions: Vec<String>,
}

fn output_columns(rs: &Ruleset) -> Columns {
    let mut out = Columns {
        scores: Vec::new(),
        segments: Vec::new(),
        with_actions: Vec::new(),
    };
    if let Some(ast) = &rs.file.ast {
        for item in &ast.items {
            match item {
                Item::Score(s) => out.scores.push(s.name.name.clone()),
                Item::Segment(s) => {
                    out.segments.push(s.name.name.clone());
                    if s.arms.iter().any(|a| a.action.is_some()) {
                        out.with_actions.push(s.name.name.clone());
                    }
                }
                _ => {}
            }
        }
    }
    out
}

type ExpectError = (&'static str, String, Option<String>);

fn expectation(
    rs: &Ruleset,
    columns: &Columns,
    key: &str,
    value: &serde_yaml::Value,
) -> Result<Check, ExpectError> {
    let bad = |message: String, help: &str| (codes::BAD_VALUE, message, Some(help.to_string()));
    if columns.scores.iter().any(|s| s == key) {
        return NumberCheck::parse(value)
            .map(|check| Check::Score { check })
            .map_err(|m| bad(format!("score `{key}`: {m}"), BOUND_HELP));
    }
    let label_help = "write the label as text (`tier: hot`), or `missing` for no label";
    if columns.segments.iter().any(|s| s == key) {
        return expect::parse_label(value)
            .map(|want| Check::Label { want })
            .map_err(|m| bad(format!("segment `{key}`: {m}"), label_help));
    }
    if let Some(segment) = key.strip_suffix("_action") {
        if columns.with_actions.iter().any(|s| s == segment) {
            return expect::parse_label(value)
                .map(|want| Check::Label { want })
                .map_err(|m| bad(format!("`{key}`: {m}"), label_help));
        }
        if columns.segments.iter().any(|s| s == segment) {
            return Err((
                codes::UNKNOWN_OUTPUT,
                format!("segment `{segment}` has no actions, so there is no `{key}`"),
                Some(format!(
                    "expect the segment's label instead: `{segment}: …`"
                )),
            ));
        }
    }
    if key == "fired" || key == "not_fired" {
        let labels = expect::parse_labels(value).map_err(|m| {
            bad(
                format!("`{key}`: {m}"),
                "write the labels of the clauses in a list: `[\"Decision maker\", \"Demo requested\"]`",
            )
        })?;
        for label in &labels {
            if !rs.labels.iter().any(|l| l == label) {
                let help = did_you_mean(label, rs.labels.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        "use a rule's label as written in the rule file (`rule \"Decision maker\" when …`)".into()
                    });
                return Err((
                    codes::UNKNOWN_CLAUSE,
                    format!("`{label}` is not a clause of `{}`", rs.display),
                    Some(help),
                ));
            }
        }
        return Ok(if key == "fired" {
            Check::Fired(labels)
        } else {
            Check::NotFired(labels)
        });
    }
    let mut candidates: Vec<String> = columns.scores.clone();
    candidates.extend(columns.segments.iter().cloned());
    candidates.extend(columns.with_actions.iter().map(|s| format!("{s}_action")));
    candidates.extend(["fired".to_string(), "not_fired".to_string()]);
    let help = did_you_mean(key, candidates.iter().map(String::as_str)).unwrap_or_else(|| {
        let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        format!("expect one of {}", list.join(", "))
    });
    Err((
        codes::UNKNOWN_OUTPUT,
        format!("`{key}` is not a score or segment of `{}`", rs.display),
        Some(help),
    ))
}

fn compare(
    e: &Expectation,
    values: &[Value],
    column_of: &dyn Fn(&str) -> Option<usize>,
    explanation: &Explanation,
    out: &mut Vec<Mismatch>,
) {
    let line = Some(e.line);
    let value = |key: &str| column_of(key).and_then(|c| values.get(c)).cloned();
    match &e.check {
        Check::Score { check } => {
            let actual = match value(&e.key) {
                Some(Value::Number(n)) => Some(n),
                _ => None,
            };
            if !check.holds(actual) {
                out.push(Mismatch {
                    key: e.key.clone(),
                    line,
                    expected: check.describe(),
                    actual: actual.map_or("missing".into(), expect::number),
                });
            }
        }
        Check::Label { want } => {
            let actual = match value(&e.key) {
                Some(Value::Text(t)) => Some(t.to_string()),
                _ => None,
            };
            if actual != *want {
                let show = |v: &Option<String>| match v {
                    Some(t) => format!("\"{t}\""),
                    None => "missing".into(),
                };
                out.push(Mismatch {
                    key: e.key.clone(),
                    line,
                    expected: show(want),
                    actual: show(&actual),
                });
            }
        }
        Check::Fired(labels) | Check::NotFired(labels) => {
            let must_fire = matches!(e.check, Check::Fired(_));
            for label in labels {
                let fired = explanation
                    .scores
                    .iter()
                    .flat_map(|s| &s.clauses)
                    .any(|c| c.label == *label && c.fired);
                if fired != must_fire {
                    out.push(Mismatch {
                        key: e.key.clone(),
                        line,
                        expected: if must_fire {
                            format!("\"{label}\" fires")
                        } else {
                            format!("\"{label}\" does not fire")
                        },
                        actual: if fired {
                            "it fired".into()
                        } else {
                            "it did not fire".into()
                        },
                    });
                }
            }
        }
    }
}

fn record_coverage(rs: &Ruleset, explanations: &[Explanation]) {
    let mut hits = rs.hits.borrow_mut();
    for x in explanations {
        for score in &x.scores {
            for (k, clause) in score.clauses.iter().enumerate() {
                if clause.fired {
                    if let Some(&i) = rs.index.get(&(score.name.clone(), k)) {
                        hits[i] = true;
                    }
                }
            }
        }
        for segment in &x.segments {
            for (k, arm) in segment.arms.iter().enumerate() {
                if arm.result == ArmResult::True {
                    if let Some(&i) = rs.index.get(&(segment.name.clone(), k)) {
                        hits[i] = true;
                    }
                }
            }
        }
    }
}

/// Contact fields and event properties that the schema does not declare.
fn unknown_fields(
    tf: &TestFile,
    case: &Case,
    schema: &scoreline_data::Schema,
    out: &mut Vec<Diagnostic>,
) {
    let fields: Vec<&str> = schema.contact.iter().map(|f| f.name.as_str()).collect();
    let why = "a test may only use the schema's fields (the loader would ignore this one)";
    for contact in &case.contacts {
        for (name, _, span) in &contact.fields {
            if fields.contains(&name.as_str()) {
                continue;
            }
            let help = match did_you_mean(name, fields.iter().copied()) {
                Some(d) => format!("{d} {why}"),
                None => format!("declare it in the ruleset's `schema` block, or remove it: {why}"),
            };
            out.push(
                Diagnostic::error(
                    &tf.source,
                    codes::DATA,
                    *span,
                    format!("field `{name}` is not in the schema"),
                )
                .with_help(help),
            );
        }
        let Some((serde_yaml::Value::Sequence(events), _, spans)) = &contact.events else {
            continue;
        };
        for (n, event) in events.iter().enumerate() {
            let Some(map) = event.as_mapping() else {
                continue;
            };
            let Some(ty) = map.get("type").and_then(|t| t.as_str()) else {
                continue;
            };
            let Some(spec) = schema.events.iter().find(|e| e.name == ty) else {
                continue;
            };
            let props: Vec<&str> = spec.fields.iter().map(|f| f.name.as_str()).collect();
            for key in map.keys() {
                let key = file::key_text(key);
                if key == "type" || key == "at" || props.contains(&key.as_str()) {
                    continue;
                }
                let help = match did_you_mean(&key, props.iter().copied()) {
                    Some(d) => format!("{d} {why}"),
                    None if props.is_empty() => {
                        format!("a `{ty}` event has only `type` and `at`: {why}")
                    }
                    None => {
                        format!("declare it in `event {ty}` of the schema, or remove it: {why}")
                    }
                };
                let span = spans.get(n).copied().unwrap_or(case.span);
                out.push(
                    Diagnostic::error(
                        &tf.source,
                        codes::DATA,
                        span,
                        format!("event `{ty}` has no field `{key}`"),
                    )
                    .with_help(help),
                );
            }
        }
    }
}

/// A problem the data loader found in a case's contacts, at the test file's line.
fn data_problem(
    tf: &TestFile,
    json: &contacts::ContactsJson,
    case: &Case,
    p: &scoreline_data::DataProblem,
) -> Diagnostic {
    let span = json.origin(p.line).unwrap_or(case.span);
    let message = p.message.clone();
    let mut help = p.help.clone();
    if message.ends_with("is missing") && !message.contains(" of event ") {
        help = Some(match help {
            Some(h) => format!(
                "{h}; or give it under `defaults:` at the top of the test file, for every contact"
            ),
            None => "give it here, or under `defaults:` at the top of the test file".into(),
        });
    }
    let mut d = Diagnostic::error(&tf.source, codes::DATA, span, message);
    if let Some(h) = help {
        d = d.with_help(h);
    }
    d
}

/// `did you mean `x`?` for the candidate closest to `name`, if one is close enough.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = distance(&lower, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Levenshtein distance, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            row[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(row[j] + 1);
        }
        prev = row;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("tierr", ["tier", "fit"]).as_deref(),
            Some("did you mean `tier`?")
        );
        assert_eq!(did_you_mean("zzz", ["tier", "fit"]), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
