//! One case: its expectations checked against the ruleset, its contacts loaded like real
//! data (as records of values, no text in between), scored as their own population, and the
//! outputs compared.

use std::time::Instant;

use scoreline_data::{LoadOptions, Value};
use scoreline_engine::Explanation;
use scoreline_syntax::ast::Item;
use scoreline_syntax::Diagnostic;

use super::expect::{self, NumberCheck, BOUND_HELP};
use super::file::{self, Case, TestFile};
use super::ruleset::{record_coverage, Ruleset};
use super::{codes, contacts, did_you_mean, line_of};
use super::{CaseReport, ContactFailure, Mismatch, Problem, Status};

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
pub(super) fn run(
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
    let (Some(_), Some(checked)) = (&rs.file.ast, &rs.file.checked) else {
        return report;
    };

    // What the case expects, against the ruleset's outputs (an account's, against the
    // account items').
    let columns = output_columns(rs, false);
    let account_columns = output_columns(rs, true);
    let mut expectations: Vec<(String, Vec<Expectation>)> = Vec::new();
    let mut account_expectations: Vec<(String, Vec<Expectation>)> = Vec::new();
    for ce in &case.expect {
        let mut list = Vec::new();
        for (key, value, span) in &ce.items {
            let checked = if ce.account {
                account_expectation(rs, &account_columns, key, value)
            } else {
                expectation(rs, &columns, key, value)
            };
            match checked {
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
        if ce.account {
            account_expectations.push((ce.id.clone(), list));
        } else {
            expectations.push((ce.id.clone(), list));
        }
    }

    // Fields the schema does not have: the loader would only warn and ignore them, but in
    // a test a misspelt field would make the case pass or fail for the wrong reason.
    if let Some(schema) = &checked.schema {
        unknown_fields(tf, case, schema, &mut diagnostics);
        unknown_account_fields(tf, case, schema, &mut diagnostics);
    }

    // The contacts (and accounts), loaded like real data.
    let records = contacts::records(&tf.source.name, &case.contacts);
    let account_records = contacts::records(&accounts_name(tf), &case.accounts);
    let options = LoadOptions {
        schema: checked.schema.as_ref(),
        threads: 1,
        accounts: scoreline_data::AccountOptions {
            input: (!case.accounts.is_empty())
                .then_some(scoreline_data::Input::Records(&account_records)),
            wanted: has_account_items(rs) || !account_expectations.is_empty(),
            link: tf.account_column.clone(),
            dialect: None,
        },
        ..LoadOptions::default()
    };
    let loaded = match scoreline_data::load_inputs(
        scoreline_data::Input::Records(&records),
        &[],
        &options,
    ) {
        Ok(l) => Some(l),
        Err(e) => {
            for p in &e.problems {
                diagnostics.push(data_problem(tf, case, p));
            }
            None
        }
    };
    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(|d| d.span.start);
        // A default field shared by every contact is reported once.
        diagnostics.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        let diagnostics = merge_missing_fields(diagnostics);
        report.errors = diagnostics.iter().map(Problem::from_diagnostic).collect();
        report.seconds = started.elapsed().as_secs_f64();
        return report;
    }
    let Some(loaded) = loaded else {
        return report;
    };
    let dataset = loaded.dataset;
    let plan = match scoreline_engine::compile(checked, &dataset.schema, &rs.plugins) {
        Ok(p) => p,
        Err(diagnostics) => {
            report.errors = diagnostics.iter().map(Problem::from_diagnostic).collect();
            return report;
        }
    };
    let mut evaluation = plan.score(
        &dataset,
        scoreline_engine::AsOf::from_millis(case.as_of),
        scoreline_engine::EvalOptions {
            explain: true,
            pool: None,
            previous: None,
        },
    );
    let explanations = std::mem::take(&mut evaluation.explanations);
    record_coverage(rs, &explanations);
    let accounts = account_evaluation(&mut evaluation);

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
    // The accounts' values, by account id.
    if let Some(accounts) = &accounts {
        let column_of = |name: &str| accounts.columns.iter().position(|c| c == name);
        for (row, account) in dataset.accounts.rows.iter().enumerate() {
            let id = account.id().to_string();
            let Some((_, list)) = account_expectations.iter().find(|(i, _)| *i == id) else {
                continue;
            };
            let values = accounts.row(row);
            let explanation = accounts
                .explanations
                .get(row)
                .cloned()
                .unwrap_or_else(|| no_explanation(&id));
            let mut mismatches = Vec::new();
            for e in list {
                compare(e, values, &column_of, &explanation, &mut mismatches);
            }
            if !mismatches.is_empty() {
                report.failures.push(ContactFailure {
                    contact: format!("account {id}"),
                    mismatches,
                    explanation,
                });
            }
        }
    } else {
        // Account values expected of a ruleset that scored no accounts: every expectation
        // fails, rather than passing for lack of values.
        for (id, list) in &account_expectations {
            let mismatches: Vec<Mismatch> = list
                .iter()
                .map(|e| Mismatch {
                    key: e.key.clone(),
                    line: Some(e.line),
                    expected: "an account value".into(),
                    actual: "the ruleset scored no accounts".into(),
                })
                .collect();
            if !mismatches.is_empty() {
                report.failures.push(ContactFailure {
                    contact: format!("account {id}"),
                    mismatches,
                    explanation: no_explanation(id),
                });
            }
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

/// The outputs of the ruleset's contact items, or (with `accounts`) of its account items.
fn output_columns(rs: &Ruleset, accounts: bool) -> Columns {
    let mut out = Columns {
        scores: Vec::new(),
        segments: Vec::new(),
        with_actions: Vec::new(),
    };
    if let Some(ast) = &rs.file.ast {
        for item in ast.items.iter().filter(|i| is_account_item(i) == accounts) {
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

/// Whether an item of the rule file is an account item (`account score`, `account
/// segment`, `account let`: LANGUAGE.md §13).
fn is_account_item(item: &Item) -> bool {
    scoreline_engine::resolve::item_account(item).is_some()
}

/// Whether the ruleset has account items or reads `account.`: then the case's accounts are
/// built (from `accounts:`, or implied by the contacts' links).
fn has_account_items(rs: &Ruleset) -> bool {
    let reads_accounts = rs
        .file
        .checked
        .as_ref()
        .is_some_and(|c| !c.typed.account_fields.is_empty());
    reads_accounts
        || rs
            .file
            .ast
            .as_ref()
            .is_some_and(|ast| ast.items.iter().any(is_account_item))
}

/// The accounts' evaluation of a case (one row per account, in `dataset.accounts` order,
/// with explanations), when the ruleset has account items.
fn account_evaluation(
    evaluation: &mut scoreline_engine::Evaluation,
) -> Option<scoreline_engine::Evaluation> {
    evaluation.accounts.take().map(|a| *a)
}

/// An empty explanation, for an account the engine did not explain.
fn no_explanation(id: &str) -> Explanation {
    Explanation {
        kind: Some("account"),
        id: id.to_string(),
        ruleset: None,
        scores: Vec::new(),
        segments: Vec::new(),
        errors: Vec::new(),
        list_events: false,
    }
}

/// The name of a case's accounts as records given as values (in the loader's problems).
fn accounts_name(tf: &TestFile) -> String {
    format!("{} (accounts)", tf.source.name)
}

/// An expectation on an account: an account score, segment or action (clauses are
/// expected of contacts).
fn account_expectation(
    rs: &Ruleset,
    columns: &Columns,
    key: &str,
    value: &serde_yaml::Value,
) -> Result<Check, ExpectError> {
    if key == "fired" || key == "not_fired" {
        return Err((
            codes::UNKNOWN_OUTPUT,
            format!("`{key}` is expected of contacts, not of accounts"),
            Some("expect the account's scores and segments (`buying_group: \">= 60\"`, `account_tier: target`)".into()),
        ));
    }
    if columns.scores.is_empty() && columns.segments.is_empty() {
        return Err((
            codes::UNKNOWN_OUTPUT,
            format!("`{key}` is expected of an account, but `{}` has no account items", rs.display),
            Some("expect values of contacts, or add `account score` / `account segment` items to the rule file".into()),
        ));
    }
    expectation(rs, columns, key, value).map_err(|(code, message, help)| {
        (
            code,
            message.replace(
                "is not a score or segment of",
                "is not an account score or segment of",
            ),
            help,
        )
    })
}

/// Account fields that the schema's `account` block does not declare (as for contacts: an
/// error in a test, where the loader would only warn).
fn unknown_account_fields(
    tf: &TestFile,
    case: &Case,
    schema: &scoreline_data::Schema,
    out: &mut Vec<Diagnostic>,
) {
    let mut fields: Vec<&str> = schema.account.iter().map(|f| f.name.as_str()).collect();
    if !fields.contains(&"id") {
        fields.push("id");
    }
    let why = "a test may only use the schema's fields (the loader would ignore this one)";
    for account in &case.accounts {
        for (name, _, span) in &account.fields {
            if fields.contains(&name.as_str()) {
                continue;
            }
            let help = match did_you_mean(name, fields.iter().copied()) {
                Some(d) => format!("{d} {why}"),
                None => format!(
                    "declare it in the `account` block of the ruleset's `schema`, or remove it: {why}"
                ),
            };
            out.push(
                Diagnostic::error(
                    &tf.source,
                    codes::DATA,
                    *span,
                    format!("account field `{name}` is not in the schema"),
                )
                .with_help(help),
            );
        }
    }
}

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
                            format!("\"{label}\" should fire")
                        } else {
                            format!("\"{label}\" should not fire")
                        },
                        actual: if fired {
                            "it did".into()
                        } else {
                            "it did not".into()
                        },
                    });
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

/// The required fields a contact lacks, in one error per contact rather than one per field.
fn merge_missing_fields(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let missing = |d: &Diagnostic| {
        d.message
            .strip_prefix("field `")
            .and_then(|r| r.strip_suffix("` is missing"))
            .filter(|f| !f.contains('`'))
            .map(str::to_string)
    };
    let mut out: Vec<Diagnostic> = Vec::new();
    let mut fields: Vec<Vec<String>> = Vec::new();
    for d in diagnostics {
        if let Some(field) = missing(&d) {
            if let Some(i) = out
                .iter()
                .position(|o| o.span == d.span && missing(o).is_some())
            {
                fields[i].push(field);
                continue;
            }
            fields.push(vec![field]);
        } else {
            fields.push(Vec::new());
        }
        out.push(d);
    }
    for (d, f) in out.iter_mut().zip(fields) {
        if f.len() > 1 {
            let list: Vec<String> = f.iter().map(|x| format!("`{x}`")).collect();
            d.message = format!("fields {} are missing", list.join(", "));
            d.help = Some(
                "the schema requires them: give them here, or once under `defaults:` at the top of the test file for every contact"
                    .into(),
            );
        }
    }
    out
}

/// A problem the data loader found in a case's contacts, at the test file's line.
fn data_problem(tf: &TestFile, case: &Case, p: &scoreline_data::DataProblem) -> Diagnostic {
    let specs = if p.file == accounts_name(tf) {
        &case.accounts
    } else {
        &case.contacts
    };
    let span = p
        .record
        .as_deref()
        .and_then(|at| contacts::origin(specs, at))
        .unwrap_or(case.span);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use scoreline_syntax::ast::Span;
    use scoreline_syntax::SourceFile;

    use super::*;

    #[test]
    fn missing_fields_of_one_contact_make_one_error() {
        let file = Arc::new(SourceFile::new("t.test.yaml", "- id: a\n- id: b\n"));
        let d =
            |at: usize, m: &str| Diagnostic::error(&file, codes::DATA, Span::new(at, at + 5), m);
        let merged = merge_missing_fields(vec![
            d(2, "field `email` is missing"),
            d(2, "field `country` is missing"),
            d(2, "field `at`: `x` is not a date"),
            d(10, "field `email` is missing"),
        ]);
        let messages: Vec<&str> = merged.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "fields `email`, `country` are missing",
                "field `at`: `x` is not a date",
                "field `email` is missing"
            ]
        );
    }
}
