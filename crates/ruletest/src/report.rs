//! What a test run found: files, cases, failures with their explanations, coverage; and
//! the text that shows a failed case.

use scoreline_engine::Explanation;
use scoreline_syntax::Diagnostic;
use serde::Serialize;

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
    pub(super) fn from_diagnostic(d: &Diagnostic) -> Problem {
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

    pub(super) fn plain(file: &str, message: String, help: Option<String>) -> Problem {
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
    /// Whether [`CoverageItem::label`] is a label (else it is the clause's source text).
    #[serde(skip)]
    pub labelled: bool,
    /// 1-based line in the rule file.
    pub line: usize,
    pub covered: bool,
}

impl CoverageItem {
    /// How a report names it: `rule "Dormant"`, `arm "hot"`, or an unlabelled clause's text
    /// on one line (`each page_view => +1`, which starts with its kind already).
    pub fn describe(&self) -> String {
        if self.labelled {
            format!("{} \"{}\"", self.kind, self.label)
        } else {
            self.label.split_whitespace().collect::<Vec<_>>().join(" ")
        }
    }
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
            if m.key == "fired" || m.key == "not_fired" {
                let _ = writeln!(
                    out,
                    "    {:<width$}  {}, but {}{at}",
                    m.key, m.expected, m.actual
                );
            } else {
                let _ = writeln!(
                    out,
                    "    {:<width$}  expected {}, got {}{at}",
                    m.key, m.expected, m.actual
                );
            }
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

#[cfg(test)]
mod coverage_item_tests {
    use super::CoverageItem;

    fn item(kind: &'static str, label: &str, labelled: bool) -> CoverageItem {
        CoverageItem {
            kind,
            owner: "fit".into(),
            label: label.into(),
            labelled,
            line: 3,
            covered: false,
        }
    }

    #[test]
    fn a_clause_is_named_by_its_kind_once() {
        assert_eq!(item("rule", "Big", true).describe(), "rule \"Big\"");
        assert_eq!(item("arm", "hot", true).describe(), "arm \"hot\"");
        assert_eq!(
            item("each", "each view   => +1\n  max 3", false).describe(),
            "each view => +1 max 3"
        );
        assert_eq!(
            item("rule", "rule when x > 1 => +1", false).describe(),
            "rule when x > 1 => +1"
        );
    }
}
