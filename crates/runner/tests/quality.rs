//! `scoreline check --data` on small data sets, one folder per case in `tests/quality/`:
//! `rules.score`, `contacts.csv`, an optional `events.csv`, an optional `as-of` (default
//! `2026-11-01`) and `expected.json`: the report as `--format json` prints it, with the
//! file names relative to the case's folder and without the ruleset's version (a hash).
//! `UPDATE_EXPECTED=1 cargo test -p scoreline-runner --test quality` rewrites the expected
//! files, to be read before they are committed. Every case is also checked on one thread
//! and on four: the same bytes.

use std::path::{Path, PathBuf};

use scoreline_runner::pipeline::resolve;
use scoreline_runner::quality::check_data;
use scoreline_runner::Inputs;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/quality");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/quality exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// The report of a case as JSON text, on `threads` threads.
fn report(case: &Path, threads: usize) -> String {
    let events = case.join("events.csv");
    let as_of = std::fs::read_to_string(case.join("as-of"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "2026-11-01".into());
    let inputs = Inputs {
        ruleset: Some(case.join("rules.score")),
        contacts: Some(case.join("contacts.csv")),
        events: if events.exists() {
            vec![events]
        } else {
            Vec::new()
        },
        as_of: Some(as_of),
        threads: Some(threads),
        ..Inputs::default()
    };
    let settings =
        resolve(&inputs).unwrap_or_else(|f| panic!("{}: {:?}", case.display(), f.problems));
    let (report, _) =
        check_data(&settings).unwrap_or_else(|f| panic!("{}: {:?}", case.display(), f.problems));
    let mut json = serde_json::to_value(&report).unwrap();
    json["version"] = serde_json::Value::Null;
    let text = serde_json::to_string_pretty(&json).unwrap();
    let prefix = format!("{}/", case.display());
    text.replace(&prefix, "") + "\n"
}

#[test]
fn findings_match_the_expected_reports() {
    let cases = cases();
    assert!(cases.len() >= 8, "the quality cases are missing");
    let update = std::env::var_os("UPDATE_EXPECTED").is_some();
    let mut failed = Vec::new();
    for case in &cases {
        let got = report(case, 1);
        assert_eq!(
            got,
            report(case, 4),
            "{}: one thread and four differ",
            case.display()
        );
        let path = case.join("expected.json");
        if update {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            eprintln!("--- {}: expected\n{want}\n--- got\n{got}", case.display());
            failed.push(case.display().to_string());
        }
    }
    assert!(failed.is_empty(), "reports differ: {failed:?}");
}
