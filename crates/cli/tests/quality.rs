//! `scoreline check --data` end to end: the text and JSON on the example's planted
//! problems, `--deny-warnings`, the HTML report (in a real browser when one is installed)
//! and data that fails to load.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{repo, scoreline, stderr, stdout};

fn example() -> PathBuf {
    repo().join("rulesets/b2b-leads")
}

const PROBLEMS: &[&str] = &[
    "check",
    "--data",
    "--contacts",
    "data/problems/contacts.csv",
    "--events",
    "data/problems/events.csv",
];

fn with(extra: &[&str]) -> Vec<String> {
    PROBLEMS
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
}

fn run(args: &[String], dir: &Path) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    scoreline(&args, dir)
}

#[test]
fn the_planted_problems_are_found_with_their_lines_and_rules() {
    let o = run(&with(&[]), &example());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for block in [
        "warning: `form == \"whitepaper\"` matches only 1 of 173 `form_submit` events with a value\n  --> data/problems/events.csv:95\n   | c13,form_submit,2025-12-31T22:05:08Z,,Whitepaper,\n  = affects: `engagement / each form_submit where form == \"whitepaper\"`\n  = help: the data has `Whitepaper` (60): fix the rule, or the data if the CRM changed how it writes it\n",
        "warning: `industry` has values that differ only by case or blanks: `SaaS` (72), `SaaS\\u{a0}` (3), `saas` (2)\n",
        "warning: 2 contacts share their `email` with another contact (case and blanks aside)\n  --> data/problems/contacts.csv:302\n",
        "warning: `employees` is 0 for 1 of 245 contacts with a value\n  --> data/problems/contacts.csv:42\n   | c40,omar.jones40@jones2660.com,Manufacturing,CMO,0,US,,2026-07-20\n  = affects: `fit / Mid-market`, `fit / Too small`\n",
        "warning: 1 event is dated after the as-of (2026-11-01): no rule sees it\n  --> data/problems/events.csv:2774\n",
        "note: no rule names `email_open` events (549): only `any` filters see them\n",
    ] {
        assert!(out.contains(block), "missing:\n{block}\nin:\n{out}");
    }
    assert!(
        out.ends_with("checked the data: 6 warnings, 3 notes\n"),
        "{out}"
    );
}

#[test]
fn deny_warnings_fails_on_warnings_but_not_on_notes() {
    let o = run(&with(&["--deny-warnings"]), &example());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The sample data as shipped has notes only.
    let o = scoreline(&["check", "--data", "--deny-warnings"], &example());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).ends_with("checked the data: 0 warnings, 3 notes\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_json_and_the_report_hold_the_same_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("quality.html");
    let o = run(
        &with(&["--format", "json", "--report", page.to_str().unwrap()]),
        &example(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(json["warnings"], 6);
    assert_eq!(json["notes"], 3);
    let findings = json["findings"].as_array().unwrap();
    let rare = findings
        .iter()
        .find(|f| f["kind"] == "rare_literal")
        .expect("the rare literal");
    assert_eq!(rare["literal"], "whitepaper");
    assert_eq!(rare["values"][0]["value"], "Whitepaper");
    assert_eq!(rare["example"]["line"], 95);
    let html = std::fs::read_to_string(&page).expect("the report");
    // The page's text with minijinja's escapes undone.
    let text = html
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    for f in findings {
        let message = f["message"].as_str().unwrap().replace('`', "");
        assert!(text.contains(&message), "the report lacks `{message}`");
    }
    if let Some(browser) = chromium() {
        let dom = Command::new(browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
            .arg(format!(
                "--user-data-dir={}",
                tmp.path().join("profile").display()
            ))
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        assert!(dom.status.success(), "{}", stderr(&dom));
        let dom = stdout(&dom);
        // Every finding is a row of the findings table, as the browser built it.
        let rows = dom.matches("<tr>").count();
        assert!(rows > findings.len(), "{rows} rows in the rendered page");
        assert!(dom.contains("Data quality"));
    }
}

/// Chromium, when installed.
fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn data_that_fails_to_load_gets_the_errors_of_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("rules.score"),
        "schema {\n  contact {\n    id: text\n    employees: number\n  }\n}\n\nscore fit {\n  rule when employees > 10 => +1\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("contacts.csv"),
        "id,employees\nc1,12\nc2,twelve\nc3,\n",
    )
    .unwrap();
    let args = [
        "--ruleset",
        "rules.score",
        "--contacts",
        "contacts.csv",
        "--as-of",
        "2026-11-01",
    ];
    let check: Vec<&str> = ["check", "--data"].iter().chain(&args).copied().collect();
    let run: Vec<&str> = ["run", "--out", "scores.csv"]
        .iter()
        .chain(&args)
        .copied()
        .collect();
    let checked = scoreline(&check, dir);
    let ran = scoreline(&run, dir);
    assert_eq!(checked.status.code(), Some(1));
    assert_eq!(ran.status.code(), Some(1));
    assert!(
        stderr(&checked).contains("contacts.csv:3"),
        "{}",
        stderr(&checked)
    );
    assert_eq!(stderr(&checked), stderr(&ran));
    assert_eq!(stdout(&checked), "");
}

#[test]
fn data_flags_without_data_are_a_usage_error() {
    let o = scoreline(&["check", "--contacts", "data/contacts.csv"], &example());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: `--contacts` only applies to `check --data`\n  = help: add `--data` to check the data against the rules\n"
    );
}
