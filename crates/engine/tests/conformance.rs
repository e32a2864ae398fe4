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

use support::{explain, load_case, score, to_csv};

fn run_case(dir: &Path) -> Result<(), String> {
    let case = load_case(dir)?;
    let sequential = score(&case.plan, &case.data, case.as_of, false);
    let parallel = score(&case.plan, &case.data, case.as_of, true);
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
    // Scored in partitions, population statistics merged: the same rows and errors.
    let n = case.data.contacts.len();
    for parts in [2, 3] {
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
            let e = case.plan.evaluate(p, o, &all, as_of, Default::default());
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
        let explanation = explain(&case.plan, &case.data, i, case.as_of);
        for (score, value) in explanation.scores.iter().zip(&row[1..]) {
            let shown = match value {
                scoreline_data::Value::Number(n) => Some(*n),
                _ => None,
            };
            if score.value != shown {
                return Err(format!(
                    "explanation of row {i} gives `{}` = {:?}, the row has {:?}",
                    score.name, score.value, shown
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
