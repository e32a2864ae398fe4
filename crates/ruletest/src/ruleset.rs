//! The rule file a test file names: read and checked once, with what coverage counts (its
//! rules, `each` clauses and segment arms) and what the cases fired.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use scoreline_engine::explain::ArmResult;
use scoreline_engine::Explanation;
use scoreline_syntax::ast::{Clause, Item, ScoreBody};
use scoreline_syntax::Diagnostic;

use super::file::TestFile;
use super::{codes, did_you_mean, line_of, CoverageItem, Problem};
use scoreline_runner::pipeline::{check_rule_file, CheckedFile};
use scoreline_runner::sources::io_reason;

/// A rule file, checked once however many test files use it.
pub(super) struct Ruleset {
    pub(super) display: String,
    pub(super) file: CheckedFile,
    pub(super) plugins: Vec<(String, Arc<scoreline_plugins::Plugin>)>,
    /// Every clause label, for `fired` / `not_fired`.
    pub(super) labels: Vec<String>,
    /// Coverage items and, for lookups, (owner, index in owner) → item.
    pub(super) items: Vec<CoverageItem>,
    pub(super) index: HashMap<(String, usize), usize>,
    pub(super) hits: RefCell<Vec<bool>>,
}

pub(super) enum LoadFailure {
    /// The rule file cannot be read: an error at the test file's `ruleset:` line.
    NotFound(Diagnostic),
    /// The rule file has errors.
    Broken(Vec<Problem>),
}

pub(super) fn load_ruleset(tf: &TestFile) -> Result<Ruleset, LoadFailure> {
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
                    let (kind, label, labelled) = match clause {
                        Clause::Rule(r) => match &r.label {
                            Some(l) => ("rule", l.value.clone(), true),
                            None => ("rule", source.slice(r.span).to_string(), false),
                        },
                        Clause::Each(e) => ("each", source.slice(e.span).to_string(), false),
                        Clause::Clamp(_) => continue,
                    };
                    labels.push(label.clone());
                    index.insert((s.name.name.clone(), k), items.len());
                    items.push(CoverageItem {
                        kind,
                        owner: s.name.name.clone(),
                        label,
                        labelled,
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
                        labelled: true,
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

pub(super) fn record_coverage(rs: &Ruleset, explanations: &[Explanation]) {
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
