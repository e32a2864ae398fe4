//! Language conformance: every folder under `tests/conformance/` is a case with `rules.score`,
//! `contacts.csv`, optional `events.csv`, `as_of.txt` and `expected.csv` (computed by hand,
//! the arithmetic in a comment of `rules.score`), and the plugin scripts the rules declare.
//! The harness parses, resolves, compiles and evaluates each case (sequentially and in
//! parallel) and compares the CSV output. A case where plugin calls fail lists them in
//! `errors.txt`, one `ID: message` line per row with a failure; without that file, no call
//! may fail.

#[path = "conformance/support.rs"]
mod support;

use std::path::Path;

use scoreline_engine::PreviousScoring;
use support::{load_case, to_csv};

/// Scores `data` as `run` does: on a pool of 4 threads, or on this thread.
fn score(
    plan: &scoreline_engine::Plan,
    data: &scoreline_data::Dataset,
    as_of: i64,
    parallel: bool,
    previous: Option<&PreviousScoring>,
) -> scoreline_engine::Evaluation {
    score_with(plan, data, as_of, parallel, false, previous)
}

fn score_with(
    plan: &scoreline_engine::Plan,
    data: &scoreline_data::Dataset,
    as_of: i64,
    parallel: bool,
    explain: bool,
    previous: Option<&PreviousScoring>,
) -> scoreline_engine::Evaluation {
    let pool = parallel.then(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .expect("a thread pool")
    });
    plan.score(
        data,
        scoreline_engine::AsOf::from_millis(as_of),
        scoreline_engine::EvalOptions {
            explain,
            pool: pool.as_ref(),
            previous,
        },
    )
}

/// One contact's explanation.
#[allow(dead_code)]
fn explain(
    plan: &scoreline_engine::Plan,
    data: &scoreline_data::Dataset,
    contact: usize,
    as_of: i64,
    previous: Option<&PreviousScoring>,
) -> scoreline_engine::Explanation {
    plan.explain_with(
        data,
        contact,
        scoreline_engine::AsOf::from_millis(as_of),
        previous,
    )
    .0
}

/// A case's `previous.csv`: the previous scoring `keep when` reads (`id` first, then one
/// column per segment; an empty cell is no label). Cells hold no commas or quotes.
fn previous_scoring(dir: &Path) -> Result<Option<PreviousScoring>, String> {
    let Ok(text) = std::fs::read_to_string(dir.join("previous.csv")) else {
        return Ok(None);
    };
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or("previous.csv is empty")?
        .split(',')
        .collect();
    let mut previous = PreviousScoring::new();
    for segment in &header[1..] {
        previous.add_segment(segment);
    }
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        for (segment, label) in header[1..].iter().zip(&cells[1..]) {
            if !label.is_empty() {
                previous.insert(segment, cells[0], label);
            }
        }
    }
    Ok(Some(previous))
}

fn run_case(dir: &Path) -> Result<(), String> {
    let case = load_case(dir)?;
    let previous = previous_scoring(dir)?;
    let previous = previous.as_ref();
    let sequential = score(&case.plan, &case.data, case.as_of, false, previous);
    let parallel = score(&case.plan, &case.data, case.as_of, true, previous);
    let got = to_csv(&sequential.columns, sequential.rows());
    let got_parallel = to_csv(&parallel.columns, parallel.rows());
    if got != got_parallel {
        return Err(format!(
            "parallel output differs from sequential:\n{got}\n---\n{got_parallel}"
        ));
    }
    if sequential.errors != parallel.errors || sequential.plugin_errors != parallel.plugin_errors {
        return Err("parallel plugin errors differ from sequential".to_string());
    }
    // Accounts: their own output, sequential and parallel alike.
    let accounts = |e: &scoreline_engine::Evaluation| {
        e.accounts
            .as_ref()
            .map(|a| to_csv(&a.columns, a.rows()))
            .unwrap_or_default()
    };
    let (got_accounts, parallel_accounts) = (accounts(&sequential), accounts(&parallel));
    if got_accounts != parallel_accounts {
        return Err(format!(
            "parallel accounts differ from sequential:\n{got_accounts}\n---\n{parallel_accounts}"
        ));
    }
    let expected_accounts =
        std::fs::read_to_string(dir.join("expected_accounts.csv")).unwrap_or_default();
    if normalize(&expected_accounts) != normalize(&got_accounts) {
        return Err(format!(
            "accounts differ from expected_accounts.csv:\n{}",
            diff(&expected_accounts, &got_accounts)
        ));
    }
    // Every account's explanation agrees with its row; `explained_accounts.txt`, when the case
    // has one, holds them all as text.
    let mut explained = String::new();
    if let Some(accounts) = &sequential.accounts {
        let as_of = scoreline_engine::AsOf::from_millis(case.as_of);
        for (a, row) in accounts.rows().enumerate() {
            let (explanation, _) = case
                .plan
                .explain_account(&case.data, a, as_of, false)
                .ok_or("the plan has accounts but cannot explain one")?;
            for segment in &explanation.segments {
                let column = accounts.columns.iter().position(|c| *c == segment.name);
                let shown = match column.map(|c| &row[c]) {
                    Some(scoreline_data::Value::Text(t)) => Some(&**t),
                    _ => None,
                };
                if segment.label.as_deref() != shown {
                    return Err(format!(
                        "explanation of account {a} gives `{}` = {:?}, the row has {:?}",
                        segment.name, segment.label, shown
                    ));
                }
            }
            explained.push_str(&explanation.render_text());
            explained.push('\n');
        }
    }
    if let Ok(expected) = std::fs::read_to_string(dir.join("explained_accounts.txt")) {
        if normalize(&expected) != normalize(&explained) {
            return Err(format!(
                "account explanations differ from explained_accounts.txt:\n{}",
                diff(&expected, &explained)
            ));
        }
    }
    // Scored in partitions, population statistics merged: the same rows and errors. (A plan
    // that uses accounts scores the data set whole: an account's contacts are all in it.)
    let n = case.data.contacts.len();
    let part_counts: &[usize] = if case.plan.uses_accounts() {
        &[]
    } else {
        &[2, 3]
    };
    for &parts in part_counts {
        let as_of = scoreline_engine::AsOf::from_millis(case.as_of);
        let bounds: Vec<usize> = (0..=parts).map(|k| n * k / parts).collect();
        let partitions: Vec<_> = bounds
            .windows(2)
            .map(|w| case.data.partition(w[0]..w[1]))
            .collect();
        let own: Vec<_> = partitions
            .iter()
            .map(|p| case.plan.statistics(p, as_of, None))
            .collect();
        let all = scoreline_engine::Statistics::merge(own.iter().map(|o| o.summary()));
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        for (k, (p, o)) in partitions.iter().zip(&own).enumerate() {
            let options = scoreline_engine::EvalOptions {
                previous,
                ..Default::default()
            };
            let e = case.plan.evaluate(p, o, &all, as_of, options);
            rows.extend(e.rows().map(<[_]>::to_vec));
            errors.extend(e.errors.into_iter().map(|mut r| {
                r.row += bounds[k];
                r
            }));
        }
        let got_parts = to_csv(&sequential.columns, rows.iter().map(Vec::as_slice));
        if got_parts != got {
            return Err(format!(
                "scored in {parts} partitions, the output differs:\n{got}\n---\n{got_parts}"
            ));
        }
        if errors != sequential.errors {
            return Err(format!(
                "scored in {parts} partitions, the plugin errors differ"
            ));
        }
    }
    let errors: String = sequential
        .errors
        .iter()
        .map(|e| format!("{}: {}\n", case.data.contacts[e.row].id(), e.message))
        .collect();
    let expected_errors = std::fs::read_to_string(dir.join("errors.txt")).unwrap_or_default();
    if normalize(&expected_errors) != normalize(&errors) {
        return Err(format!(
            "plugin errors differ from errors.txt:\n{}",
            diff(&expected_errors, &errors)
        ));
    }
    // Every contact's explanation must agree with its row.
    for (i, row) in sequential.rows().enumerate() {
        let explanation = explain(&case.plan, &case.data, i, case.as_of, previous);
        for segment in &explanation.segments {
            let column = sequential.columns.iter().position(|c| *c == segment.name);
            let shown = match column.map(|c| &row[c]) {
                Some(scoreline_data::Value::Text(t)) => Some(&**t),
                _ => None,
            };
            if segment.label.as_deref() != shown {
                return Err(format!(
                    "explanation of row {i} gives `{}` = {:?}, the row has {:?}",
                    segment.name, segment.label, shown
                ));
            }
        }
        let explained = (!explanation.errors.is_empty()).then(|| explanation.errors.join("; "));
        if explained.as_deref() != sequential.row_error(i) {
            return Err(format!(
                "explanation of row {i} gives errors {:?}, the run has {:?}",
                explained,
                sequential.row_error(i)
            ));
        }
    }
    let expected = std::fs::read_to_string(dir.join("expected.csv"))
        .map_err(|e| format!("cannot read expected.csv: {e}"))?;
    if normalize(&expected) != normalize(&got) {
        return Err(format!(
            "output differs from expected.csv:\n{}",
            diff(&expected, &got)
        ));
    }
    Ok(())
}

fn normalize(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn diff(expected: &str, got: &str) -> String {
    let (e, g) = (normalize(expected), normalize(got));
    let mut out = String::new();
    for i in 0..e.len().max(g.len()) {
        let (a, b) = (e.get(i).map_or("", |s| s), g.get(i).map_or("", |s| s));
        if a == b {
            out.push_str(&format!("    {a}\n"));
        } else {
            out.push_str(&format!("  - {a}\n  + {b}\n"));
        }
    }
    out
}

#[test]
fn conformance_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("conformance folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 25,
        "expected at least 25 cases, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        if let Err(message) = run_case(dir) {
            failures.push(format!(
                "case `{}`:\n{message}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
