//! End-to-end tests of `scoreline test` and `scoreline init` through the binary.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

#[path = "ruletest/accounts.rs"]
mod accounts;
use common::{repo, scoreline, stderr, stdout};

fn last_line(o: &Output) -> String {
    stdout(o).lines().last().unwrap_or_default().to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

const RULES: &str = r#"ruleset mini "Mini"
schema {
  contact { id: text, industry: text, employees: number? }
  event page_view { url: text }
}
score fit "Fit" {
  rule "SaaS" when industry == "SaaS" => +30
  rule "Big" when employees >= 100 => +20
  each page_view where url starts_with "/pricing" => +10 max 30
}
segment tier {
  "hot" when fit >= 50 => "Call"
  "cold" => "Wait"
}
"#;

/// A folder with the mini rule file and, in `tests/`, a test file with `cases`.
fn project(cases: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.score", RULES);
    write(
        dir.path(),
        "tests/mini.test.yaml",
        &format!("ruleset: ../rules.score\nas_of: 2026-11-01\ncases:\n{cases}"),
    );
    dir
}

const PASSING: &str = r#"  - name: a big SaaS company is hot
    contacts:
      - id: a
        industry: SaaS
        employees: 500
    expect:
      a: { fit: 50, tier: hot, tier_action: Call, fired: [SaaS, Big] }
"#;

#[test]
fn the_example_rulesets_pass_their_tests() {
    let out = scoreline(&["test", "rulesets"], &repo());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let ok = stdout(&out).matches("\n  ok ").count();
    assert!(ok >= 5, "{}", stdout(&out));
    assert_eq!(last_line(&out), format!("{ok} passed, 0 failed"));
}

#[test]
fn a_passing_file_exits_0() {
    let dir = project(PASSING);
    // With no path, the current folder is searched.
    let out = scoreline(&["test"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("tests/mini.test.yaml\n  ok     a big SaaS company is hot\n"));
    assert_eq!(last_line(&out), "1 passed, 0 failed");
}

#[test]
fn a_failing_expectation_shows_expected_actual_and_the_explanation() {
    let dir = project(&format!(
        "{PASSING}{}",
        r#"  - name: a small SaaS company with pricing visits
    contacts:
      - id: b
        industry: SaaS
        employees: 20
        events:
          - { type: page_view, at: 2026-10-20, url: /pricing }
    expect:
      b:
        fit: ">= 50"
        tier: hot
        fired: [Big]
        not_fired: [SaaS]
"#
    ));
    let out = scoreline(&["test", "tests/mini.test.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("  FAIL   a small SaaS company with pricing visits  (line 11)\n"),
        "{text}"
    );
    assert!(
        text.contains("      fit        expected >= 50, got 40  (line 20)\n"),
        "{text}"
    );
    assert!(
        text.contains("      tier       expected \"hot\", got \"cold\"  (line 21)\n"),
        "{text}"
    );
    assert!(
        text.contains("      fired      \"Big\" should fire, but it did not  (line 22)\n"),
        "{text}"
    );
    assert!(
        text.contains("      not_fired  \"SaaS\" should not fire, but it did  (line 23)\n"),
        "{text}"
    );
    // The explanation of the contact follows.
    assert!(text.contains("    why b got these outputs:\n"), "{text}");
    assert!(text.contains("score fit \"Fit\" = 40"), "{text}");
    assert!(text.contains("        Big      "), "{text}");
    assert!(
        text.contains("—   (did not fire: employees = 20)"),
        "{text}"
    );
    assert!(text.contains("→ \"cold\" (Wait)"), "{text}");
    assert_eq!(last_line(&out), "1 passed, 1 failed");
}

/// Runs a test file with `text` in a folder holding the mini rule file; returns stdout.
fn bad(text: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.score", RULES);
    write(dir.path(), "bad.test.yaml", text);
    let out = scoreline(&["test", "bad.test.yaml"], dir.path());
    let s = stdout(&out);
    (out, s)
}

fn header(body: &str) -> String {
    format!("ruleset: rules.score\nas_of: 2026-11-01\ncases:\n{body}")
}

#[test]
fn invalid_yaml_is_an_error_at_its_line() {
    let (out, text) = bad(&header(
        "  - name: x\n    contacts:\n      - id: a\n        industry: [SaaS\n    expect:\n      a: { fit: 1 }\n",
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("error[T0001]: this is not valid YAML"),
        "{text}"
    );
    assert!(text.contains("bad.test.yaml:8:11"), "{text}");
    assert_eq!(last_line(&out), "0 passed, 1 failed");
}

#[test]
fn a_missing_rule_file_is_named_with_a_suggestion() {
    let (out, text) = bad(
        "ruleset: rule.score\nas_of: 2026-11-01\ncases:\n  - name: x\n    contacts:\n      - id: a\n    expect:\n      a: { fit: 1 }\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("cannot read the rule file `rule.score`: no such file or folder"),
        "{text}"
    );
    assert!(text.contains("bad.test.yaml:1:10"), "{text}");
    assert!(text.contains("did you mean `rules.score`?"), "{text}");
    assert!(text.contains("ERROR  x  (line 4): not run"), "{text}");
    assert_eq!(last_line(&out), "0 passed, 1 failed");
}

#[test]
fn unknown_outputs_clauses_and_contacts_are_errors_with_suggestions() {
    let (out, text) = bad(&header(
        r#"  - name: typos
    contacts:
      - id: a
        industry: SaaS
    expect:
      a:
        fitt: 30
        teir: hot
        fit: ">= thirty"
        fired: ["Bigg"]
      b:
        fit: 1
"#,
    ));
    assert_eq!(out.status.code(), Some(1));
    for (code, message, at, help) in [
        (
            "T0005",
            "`fitt` is not a score or segment of `rules.score`",
            "bad.test.yaml:10:9",
            "did you mean `fit`?",
        ),
        (
            "T0005",
            "`teir` is not a score or segment of `rules.score`",
            "bad.test.yaml:11:9",
            "did you mean `tier`?",
        ),
        (
            "T0010",
            "score `fit`: `>= thirty` is not a number or a bound",
            "bad.test.yaml:12:9",
            "a bound in quotes",
        ),
        (
            "T0008",
            "`Bigg` is not a clause of `rules.score`",
            "bad.test.yaml:13:9",
            "did you mean `Big`?",
        ),
        (
            "T0011",
            "case `typos` has no contact `b`",
            "bad.test.yaml:14:7",
            "did you mean `a`?",
        ),
    ] {
        let block = format!("error[{code}]: {message}");
        let at_block = text
            .split("error[")
            .find(|b| format!("error[{b}").starts_with(&block))
            .unwrap_or_else(|| panic!("no `{block}` in:\n{text}"));
        assert!(at_block.contains(at), "{at} in {at_block}");
        assert!(at_block.contains(help), "{help} in {at_block}");
    }
    assert!(text.contains("ERROR  typos  (line 4)"), "{text}");
    assert_eq!(last_line(&out), "0 passed, 1 failed");
}

#[test]
fn contacts_without_id_or_with_unknown_fields_are_errors_at_their_line() {
    let (out, text) = bad(&header(
        r#"  - name: bad contacts
    contacts:
      - id: a
        industry: SaaS
        employes: 500
        events:
          - { type: page_view, at: 2026-10-01 }
      - industry: Retail
      - id: c
        industry: SaaS
        employees: many
    expect:
      a: { fit: 30 }
"#,
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("error[T0007]: field `employes` is not in the schema"),
        "{text}"
    );
    assert!(text.contains("bad.test.yaml:8:9"), "{text}");
    assert!(text.contains("did you mean `employees`?"), "{text}");
    assert!(
        text.contains("error[T0007]: field `url` of event `page_view` is missing"),
        "{text}"
    );
    assert!(text.contains("bad.test.yaml:10:13"), "{text}");
    assert!(
        text.contains("error[T0006]: contact without an id"),
        "{text}"
    );
    assert!(text.contains("bad.test.yaml:11:9"), "{text}");
    assert!(text.contains("bad.test.yaml:14:9"), "{text}");
    assert!(text.contains("`employees`"), "{text}");
    assert_eq!(last_line(&out), "0 passed, 1 failed");
}

#[test]
fn a_case_with_no_expectations_is_an_error_not_a_pass() {
    let (out, text) = bad(&header(
        "  - name: nothing expected\n    contacts:\n      - id: a\n        industry: SaaS\n    expect: {}\n",
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("error[T0009]: case `nothing expected` expects nothing"),
        "{text}"
    );
    assert!(text.contains("bad.test.yaml:8:5"), "{text}");
    assert_eq!(last_line(&out), "0 passed, 1 failed");
}

#[test]
fn missing_required_fields_point_at_the_contact_and_defaults_fill_them() {
    let body = "  - name: no industry\n    contacts:\n      - id: a\n        employees: 5\n    expect:\n      a: { fit: 0 }\n";
    let (out, text) = bad(&header(body));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("error[T0007]: field `industry` is missing"),
        "{text}"
    );
    assert!(text.contains("bad.test.yaml:6:9"), "{text}");
    assert!(text.contains("`defaults:`"), "{text}");
    let with_defaults = format!(
        "ruleset: rules.score\nas_of: 2026-11-01\ndefaults:\n  industry: Retail\ncases:\n{body}"
    );
    let (out, text) = bad(&with_defaults);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(last_line(&out), "1 passed, 0 failed");
}

#[test]
fn a_rule_file_with_errors_shows_its_diagnostics_and_fails() {
    let dir = project(PASSING);
    write(
        dir.path(),
        "rules.score",
        &RULES.replace("employees >= 100", "employes >= 100"),
    );
    let out = scoreline(&["test"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("error[E0101]: unknown name `employes`"),
        "{text}"
    );
    assert!(text.contains("rules.score:8:"), "{text}");
    assert!(
        text.contains(
            "ERROR  a big SaaS company is hot  (line 4): not run: its rule file has errors"
        ),
        "{text}"
    );
    assert_eq!(last_line(&out), "0 passed, 1 failed");
}

#[test]
fn no_test_files_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = scoreline(&["test"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no test files (`*.test.yaml`) found"));
    let out = scoreline(&["test", "nowhere"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`nowhere` does not exist"));
    // Files named almost like test files are pointed out.
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    std::fs::write(dir.path().join("tests/leads.tests.yaml"), "cases: []\n").unwrap();
    std::fs::write(dir.path().join("leads_test.yml"), "cases: []\n").unwrap();
    std::fs::write(dir.path().join("data.yaml"), "[]\n").unwrap();
    let out = scoreline(&["test"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rename `leads_test.yml`, `tests/leads.tests.yaml`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn coverage_lists_what_no_case_fired_and_min_coverage_fails_below() {
    let dir = project(
        r#"  - name: a small SaaS company
    contacts:
      - id: a
        industry: SaaS
    expect:
      a: { fit: 30, tier: cold }
"#,
    );
    let out = scoreline(&["test", "--coverage"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "coverage of rules.score: 2 of 5 (40%); no case fired:\n  \
             rules.score:8  rule \"Big\" (score fit)\n  \
             rules.score:9  each page_view where url starts_with \"/pricing\" => +10 max 30 (score fit)\n  \
             rules.score:12  arm \"hot\" (segment tier)\n\
             coverage: 40% (2 of 5 rules, each clauses and segment arms)\n"
        ),
        "{text}"
    );
    assert_eq!(last_line(&out), "1 passed, 0 failed");

    let out = scoreline(&["test", "--min-coverage", "40"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let out = scoreline(&["test", "--min-coverage", "41"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error: coverage 40% is below the minimum of 41%"),
        "{}",
        stderr(&out)
    );
    let out = scoreline(&["test", "--min-coverage", "140"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_output_has_every_case_and_failure() {
    let dir = project(&PASSING.replace("fit: 50", "fit: 45"));
    let out = scoreline(&["test", "--format", "json", "--coverage"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["passed"], 0);
    assert_eq!(v["failed"], 1);
    let case = &v["files"][0]["cases"][0];
    assert_eq!(case["status"], "failed");
    assert_eq!(case["line"], 4);
    let m = &case["failures"][0]["mismatches"][0];
    assert_eq!(m["key"], "fit");
    assert_eq!(m["expected"], "45");
    assert_eq!(m["actual"], "50");
    assert_eq!(m["line"], 10);
    assert_eq!(
        case["failures"][0]["explanation"]["scores"][0]["value"],
        50.0
    );
    assert_eq!(v["coverage"]["total"], 5);
}

/// A small well-formedness check: tags nest and close, attributes are quoted, and text
/// holds no raw `<` or bare `&`.
fn assert_well_formed_xml(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("XML declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("tag closes") + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "closing tag");
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = tag.split_whitespace().next().unwrap().to_string();
            let attrs = &tag[name.len()..];
            // Every attribute is name="value" without a raw quote or < inside.
            let mut a = attrs.trim();
            while !a.is_empty() {
                let eq = a.find("=\"").expect("attribute =\"");
                let end = a[eq + 2..].find('"').expect("attribute closes") + eq + 2;
                let value = &a[eq + 2..end];
                assert!(!value.contains('<') && !value.contains('\n'), "{value}");
                check_text(value);
                a = a[end + 1..].trim();
            }
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#10;", "&#13;"].contains(&entity),
            "bare & in {text}"
        );
    }
}

#[test]
fn junit_report_is_well_formed_xml() {
    let dir = project(&format!(
        "{}{}",
        PASSING.replace("fit: 50", "fit: 45"),
        "  - name: <quotes> & \"ampersands\"\n    contacts:\n      - id: b\n        industry: SaaS\n    expect:\n      b: { fit: 30 }\n",
    ));
    write(dir.path(), "tests/broken.test.yaml", "cases: [\n");
    let out = scoreline(&["test", "--junit", "report.xml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(last_line(&out), "1 passed, 2 failed");
    let xml = std::fs::read_to_string(dir.path().join("report.xml")).unwrap();
    assert_well_formed_xml(&xml);
    assert!(
        xml.contains("<testsuites name=\"scoreline test\" tests=\"3\" failures=\"1\" errors=\"1\"")
    );
    assert!(xml.contains(
        "<testcase name=\"&lt;quotes&gt; &amp; &quot;ampersands&quot;\" classname=\"tests/mini.test.yaml\""
    ));
    assert!(xml.contains("<failure message=\"1 expectation not met\" type=\"expectation\">"));
    assert!(xml.contains("fit  expected 45, got 50  (line 10)"));
    assert!(xml.contains("<error message=\"this is not valid YAML"));
}

#[test]
fn init_creates_a_project_that_runs_and_tests_green() {
    let tmp = tempfile::tempdir().unwrap();
    let out = scoreline(&["init", "leads"], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("created `leads` from the b2b-leads template"),
        "{text}"
    );
    assert!(
        text.contains("next steps:\n  cd leads\n  scoreline run"),
        "{text}"
    );
    let dir = tmp.path().join("leads");
    let rules = std::fs::read_to_string(dir.join("leads.score")).unwrap();
    assert!(rules.contains("plugin mailbox = \"plugins/email_domain.rhai\""));
    assert!(dir.join("plugins/email_domain.rhai").is_file());

    let run = scoreline(&["run"], &dir);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(dir.join("out/scores.csv").is_file());
    let test = scoreline(&["test", "--min-coverage", "100"], &dir);
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    assert!(last_line(&test).ends_with(" passed, 0 failed"));

    // Never overwrites: nothing is written, the first file in the way is named.
    std::fs::write(dir.join("leads.score"), "changed").unwrap();
    let again = scoreline(&["init", "leads"], tmp.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains(
            "error: `leads/leads.score` already exists (and 8 more); nothing was written"
        ),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("leads.score")).unwrap(),
        "changed"
    );
}

#[test]
fn every_template_runs_and_tests_green() {
    for template in ["ecommerce-rfm", "subscription-churn", "b2b-accounts"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = scoreline(&["init", "--template", template, "p"], tmp.path());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let dir = tmp.path().join("p");
        let run = scoreline(&["run"], &dir);
        assert_eq!(run.status.code(), Some(0), "{template}: {}", stderr(&run));
        let test = scoreline(&["test"], &dir);
        assert_eq!(test.status.code(), Some(0), "{template}: {}", stdout(&test));
        assert!(last_line(&test).ends_with(" passed, 0 failed"));
    }
}
