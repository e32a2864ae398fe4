//! End-to-end tests of `scoreline evaluate` through the binary: both outcome forms, the JSON
//! of TRUST.md, drift, and every bad input with its message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{scoreline, stderr, stdout};

use serde_json::{json, Value};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `each any` would count a `closed_won` event if scoring saw it.
const RULES: &str = r#"ruleset mini "Mini"
schema {
  contact { id: text, industry: text, converted: bool?, employees: number? }
  event page_view { url: text }
}
score fit { rule "SaaS" when industry == "SaaS" => +10 }
score engagement { each any => +2 max 6 }
score total = fit + engagement
segment tier {
  "hot" when total >= 12
  "warm" when total >= 10
  "cold" when total >= 4
}
"#;

/// A project as of 2026-06-01: outcomes in a separate events file, and a bool field.
fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "rules.score", RULES);
    write(
        dir,
        "contacts.csv",
        "id,industry,converted,employees\na,SaaS,true,\nb,Retail,false,\nc,SaaS,,\nd,Retail,false,\ne,SaaS,true,\n",
    );
    write(
        dir,
        "events.csv",
        "contact_id,type,at,url\na,page_view,2026-05-01,/\na,page_view,2026-05-02,/\nb,page_view,2026-05-03,/\nc,page_view,2026-05-01,/\nc,page_view,2026-05-02,/\nc,page_view,2026-05-03,/\nd,page_view,2026-06-10,/\n",
    );
    // a and c win within 30 days; b after the horizon; e before the as-of.
    write(
        dir,
        "closed_won.csv",
        "contact_id,type,at,amount\na,closed_won,2026-06-15,900\nb,closed_won,2026-08-01,100\ne,closed_won,2026-05-01,50\nc,closed_won,2026-06-20,10\n",
    );
    write(
        dir,
        "scoreline.yaml",
        "ruleset: rules.score\ndata:\n  contacts: contacts.csv\n  events: events.csv\nas_of: 2026-06-01\n",
    );
    tmp
}

const WON: &[&str] = &[
    "evaluate",
    "--events",
    "events.csv",
    "--events",
    "closed_won.csv",
    "--outcome",
    "closed_won",
    "--horizon",
    "30d",
];

fn with(base: &[&str], more: &[&str]) -> Vec<String> {
    base.iter().chain(more).map(|s| s.to_string()).collect()
}

fn run(dir: &Path, args: &[String]) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    scoreline(&args, dir)
}

/// Structural equality, numbers within 1e-12.
fn same(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            (e.as_f64().unwrap() - a.as_f64().unwrap()).abs() <= 1e-12
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len() && e.iter().all(|(k, v)| a.get(k).is_some_and(|x| same(v, x)))
        }
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| same(e, a))
        }
        (e, a) => e == a,
    }
}

#[test]
fn outcome_events_from_a_separate_file_give_the_json_of_trust_md() {
    let tmp = project();
    let o = run(tmp.path(), &with(WON, &["--score", "total", "--bins", "2"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Not a terminal: JSON by default.
    let text = stdout(&o);
    let actual: Value = serde_json::from_str(&text).expect("JSON on stdout");
    let version = actual["ruleset"]["version"].as_str().unwrap().to_string();
    let expected = json!({
        "ruleset": {"name": "mini", "version": version},
        "as_of": "2026-06-01T00:00:00Z",
        "outcome": {"type": "closed_won", "horizon_days": 30},
        "contacts": 5, "unknown_outcome": 0, "positives": 2, "base_rate": 0.4,
        "scores": [{"name": "total", "present": 5, "positives": 2, "auc": 1.0, "ks": 1.0,
            "buckets": [
                {"bucket": 1, "contacts": 3, "positives": 0, "rate": 0.0, "lift": 0.0, "min": 0.0, "max": 10.0},
                {"bucket": 2, "contacts": 2, "positives": 2, "rate": 1.0, "lift": 2.5, "min": 14.0, "max": 16.0}],
            "thresholds": [
                {"at": 0.0, "share": 1.0, "precision": 0.4, "recall": 1.0},
                {"at": 14.0, "share": 0.4, "precision": 1.0, "recall": 1.0}]}],
        // e scores 10 (warm): its `closed_won` before the as-of is not an event to `any`.
        "segments": [{"name": "tier", "labels": [
            {"label": "hot", "contacts": 2, "positives": 2, "rate": 1.0, "lift": 2.5, "share_of_positives": 1.0},
            {"label": "warm", "contacts": 1, "positives": 0, "rate": 0.0, "lift": 0.0, "share_of_positives": 0.0},
            {"label": "cold", "contacts": 0, "positives": 0, "rate": null, "lift": null, "share_of_positives": 0.0},
            {"label": null, "contacts": 2, "positives": 0, "rate": 0.0, "lift": 0.0, "share_of_positives": 0.0}]}]
    });
    assert!(
        same(&expected, &actual),
        "expected\n{expected:#}\ngot\n{actual:#}"
    );
    // Keys in the order of TRUST.md.
    let order = [
        "\"ruleset\"",
        "\"as_of\"",
        "\"outcome\"",
        "\"contacts\"",
        "\"unknown_outcome\"",
        "\"positives\"",
        "\"base_rate\"",
        "\"scores\"",
        "\"segments\"",
    ];
    let at: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    // The scores are those of `run` without the outcome file.
    let r = scoreline(&["run"], tmp.path());
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(
        stderr(&r).contains("tier: hot 2, warm 1, cold 0, (no label) 2"),
        "{}",
        stderr(&r)
    );
    // A label no contact got needs no note: its 0 contacts say why its rate is null.
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
}

#[test]
fn undefined_metrics_are_null_with_the_reason() {
    let tmp = project();
    // Deals come after the as-of, but none within an hour: no positive.
    let hour: Vec<&str> = WON
        .iter()
        .map(|a| if *a == "30d" { "1h" } else { a })
        .collect();
    let o = run(tmp.path(), &with(&hour, &["--score", "total"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["positives"], json!(0));
    assert_eq!(v["outcome"]["horizon_days"].as_f64(), Some(1.0 / 24.0));
    let total = &v["scores"][0];
    assert_eq!((&total["auc"], &total["ks"]), (&Value::Null, &Value::Null));
    assert!(total["buckets"][0]["lift"].is_null());
    assert!(total["thresholds"][0]["recall"].is_null());
    assert!(v["segments"][0]["labels"][0]["share_of_positives"].is_null());
    let err = stderr(&o);
    for line in [
        "note: auc of `total` is null: no contact with a `total` score is positive",
        "note: ks of `total` is null: no contact with a `total` score is positive",
        "note: recall of `total` is null: no contact with a `total` score is positive",
        "note: share_of_positives of `tier` is null: no contact with a known outcome is positive",
    ] {
        assert!(err.contains(line), "{err}");
    }
    let t = run(tmp.path(), &with(&hour, &["--format", "text"]));
    assert!(
        stdout(&t).contains(
            "note: auc of `total` is undefined: no contact with a `total` score is positive"
        ),
        "{}",
        stdout(&t)
    );
}

#[test]
fn outcome_field_and_text_tables() {
    let tmp = project();
    let o = scoreline(
        &[
            "evaluate",
            "--outcome-field",
            "converted",
            "--format",
            "json",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["outcome"], json!({"field": "converted"}));
    assert_eq!(
        (
            &v["contacts"],
            &v["unknown_outcome"],
            &v["positives"],
            &v["base_rate"]
        ),
        (&json!(5), &json!(1), &json!(2), &json!(0.5))
    );
    let names: Vec<&str> = v["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fit", "engagement", "total"]);
    // c has no known outcome: 4 contacts; the converted ones (a 14, e 10) outscore the
    // others (b 2, d 0).
    assert_eq!(v["scores"][2]["present"], json!(4));
    assert_eq!(v["scores"][2]["auc"], json!(1.0));
    assert!(v["scores"][0].get("psi").is_none());

    let t = scoreline(
        &[
            "evaluate",
            "--outcome-field",
            "converted",
            "--format",
            "text",
            "--bins",
            "2",
        ],
        tmp.path(),
    );
    assert_eq!(t.status.code(), Some(0), "{}", stderr(&t));
    let text = stdout(&t);
    let auc = text.find("AUC").unwrap();
    let bucket = text.find("total: conversion by bucket").unwrap();
    let segment = text.find("segment tier").unwrap();
    assert!(auc < bucket && bucket < segment, "{text}");
    assert!(text.contains("(no label)"), "{text}");
}

#[test]
fn baseline_as_of_adds_psi_per_score() {
    let tmp = project();
    let o = run(
        tmp.path(),
        &with(
            WON,
            &[
                "--baseline-as-of",
                "2026-05-01T12:00:00Z",
                "--format",
                "json",
            ],
        ),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    for s in v["scores"].as_array().unwrap() {
        assert!(s["psi"].as_f64().is_some_and(|p| p >= 0.0), "{s}");
    }
    // fit does not depend on time: no drift.
    assert_eq!(v["scores"][0]["psi"], json!(0.0));
    // engagement moved: 0, 0, 0, 2, 2 (a, c) as of the baseline; 0, 0, 2, 4, 6 now.
    // Shares 0.6, 0.4 then 0.4, 0.6 in the baseline's two buckets.
    let psi = v["scores"][1]["psi"].as_f64().unwrap();
    assert!((psi - 0.4 * 1.5f64.ln()).abs() < 1e-12, "{psi}");
}

#[test]
fn outcome_types_are_loaded_as_usual_without_a_schema() {
    let tmp = project();
    let dir = tmp.path();
    write(
        dir,
        "rules.score",
        "score engagement { each page_view => +2 max 6 }\nscore won { rule \"won\" when count(closed_won) > 0 => +1 }\n",
    );
    let o = run(dir, &with(WON, &["--format", "json"]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["positives"], json!(2));
    // The rules see `closed_won` before the as-of (e's), as `run` does.
    let won = &v["scores"][1]["buckets"];
    let total: u64 = won
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["min"] == json!(1.0))
        .map(|b| b["contacts"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1, "{won}");
}

/// Runs evaluate with `args` and gives the exit code and stderr.
fn fails(args: &[&str]) -> (Option<i32>, String) {
    let tmp = project();
    let o = scoreline(args, tmp.path());
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    (o.status.code(), stderr(&o))
}

#[test]
fn bad_inputs_are_clear_errors() {
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["evaluate"],
            2,
            "error: no outcome given: evaluate compares the scores with what happened\n  = help: pass `--outcome TYPE --horizon D`",
        ),
        (
            &["evaluate", "--outcome", "closed_won"],
            2,
            "error: `--outcome closed_won` needs `--horizon`\n  = help: say how long after the as-of the event counts, such as `--horizon 90d`",
        ),
        (
            &["evaluate", "--outcome", "page_view", "--horizon", "0d"],
            2,
            "error: the horizon must be longer than zero, not `0d`",
        ),
        (
            &["evaluate", "--outcome", "page_view", "--horizon=-5d"],
            2,
            "error: the horizon must be longer than zero, not `-5d`",
        ),
        (
            &["evaluate", "--outcome", "page_view", "--horizon", "90"],
            2,
            "error: `90` is not a horizon\n  = help: write the horizon in days or hours, such as `90d` or `12h`",
        ),
        (
            &["evaluate", "--outcome-field", "converted", "--outcome", "x", "--horizon", "1d"],
            2,
            "error: `--outcome` and `--outcome-field` cannot be used together",
        ),
        (
            &["evaluate", "--outcome-field", "converted", "--score", "totl"],
            2,
            "error: `--score totl` names no score\n  = help: did you mean `total`?",
        ),
        (
            &["evaluate", "--outcome-field", "converted", "--bins", "0"],
            2,
            "error: `--bins` must be at least 1",
        ),
        (
            &["evaluate", "--outcome-field", "employees"],
            1,
            "error: the outcome field `employees` is a number, not a bool\n  = help: the outcome field says whether each contact converted",
        ),
        (
            &["evaluate", "--outcome-field", "convertd"],
            1,
            "error: the contacts have no field `convertd`\n  = help: did you mean `converted`?",
        ),
        (
            &["evaluate", "--outcome", "page_view", "--horizon", "30d", "--as-of", "2026-07-01"],
            1,
            "error: no `page_view` event is after the as-of (2026-07-01T00:00:00Z)\n  = help: the 7 `page_view` events end at 2026-06-10T00:00:00Z; pick an earlier `--as-of`",
        ),
        (
            &["evaluate", "--outcome", "closed_won", "--horizon", "30d"],
            1,
            "error: no event has the type `closed_won`\n  = help: add the file that holds the outcome events with `--events FILE`",
        ),
        (
            &["evaluate", "--outcome", "page_veiw", "--horizon", "30d"],
            1,
            "error: no event has the type `page_veiw`\n  = help: did you mean `page_view`?",
        ),
        (
            &["evaluate", "--outcome-field", "converted", "--baseline-as-of", "yesterday"],
            2,
            "error: `yesterday` is not a valid baseline as-of",
        ),
    ];
    for (args, code, message) in cases {
        let (got, err) = fails(args);
        assert_eq!(got, Some(*code), "{args:?}: {err}");
        assert!(
            err.contains(message),
            "{args:?}:\n{err}\nexpected it to hold\n{message}"
        );
    }
}

#[test]
fn an_outcome_field_missing_for_every_contact_is_an_error() {
    let tmp = project();
    write(
        tmp.path(),
        "contacts.csv",
        "id,industry,converted\na,SaaS,\nb,Retail,\n",
    );
    write(tmp.path(), "events.csv", "contact_id,type,at,url\n");
    let o = scoreline(&["evaluate", "--outcome-field", "converted"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error: the outcome field `converted` is missing for every contact\n  = help: fill it with `true` or `false`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_undeclared_outcome_field_is_an_error_with_a_schema() {
    let tmp = project();
    write(
        tmp.path(),
        "contacts.csv",
        "id,industry,churned\na,SaaS,true\nb,Retail,false\n",
    );
    write(tmp.path(), "events.csv", "contact_id,type,at,url\n");
    let o = scoreline(&["evaluate", "--outcome-field", "churned"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("column `churned` is not in the schema and is ignored"),
        "{err}"
    );
    assert!(
        err.contains("error: the contacts have no field `churned`\n  = help: declare it in the schema's `contact` block (`churned: bool?`)"),
        "{err}"
    );
}

/// Writes the run and evaluate reports of the test project; gives their paths and the
/// charts (`data-chart` id and title) each must hold.
fn reports(dir: &Path) -> Vec<(PathBuf, Vec<(&'static str, &'static str)>)> {
    let o = scoreline(
        &["run", "--out", "scores.csv", "--report", "out/run.html"],
        dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("wrote the report to out/run.html"),
        "{}",
        stderr(&o)
    );
    let o = run(
        dir,
        &with(WON, &["--format", "json", "--report", "out/evaluate.html"]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    vec![
        (
            dir.join("out/run.html"),
            vec![
                ("distribution-fit", "Distribution of fit"),
                ("distribution-engagement", "Distribution of engagement"),
                ("distribution-total", "Distribution of total"),
                ("segment-tier", "Contacts per label of tier"),
            ],
        ),
        (
            dir.join("out/evaluate.html"),
            vec![
                (
                    "roc",
                    "ROC curve · AUC fit 0.83, engagement 1.00, total 1.00",
                ),
                (
                    "gains",
                    "Gains curve: conversions captured by targeting the top scores",
                ),
                ("buckets-fit", "Conversion and lift by bucket · fit"),
                (
                    "buckets-engagement",
                    "Conversion and lift by bucket · engagement",
                ),
                ("buckets-total", "Conversion and lift by bucket · total"),
                ("segment-tier", "Conversion and lift by label · tier"),
            ],
        ),
    ]
}

/// Each chart's `<svg>` with its id and its title.
fn assert_charts(html: &str, charts: &[(&str, &str)], what: &str) {
    for (id, title) in charts {
        let at = html
            .find(&format!("data-chart=\"{id}\""))
            .unwrap_or_else(|| panic!("{what}: no chart `{id}`"));
        let svg = &html[at..html[at..].find("</svg>").map_or(html.len(), |e| at + e)];
        assert!(
            svg.contains(&format!("<title id=\"{id}-title\">{title}</title>")),
            "{what}: chart `{id}` has no title `{title}`:\n{}",
            &svg[..svg.len().min(600)]
        );
        for needle in ["class=\"axis-label\"", "<title>"] {
            assert!(
                svg.contains(needle),
                "{what}: chart `{id}` has no `{needle}`"
            );
        }
    }
}

#[test]
fn reports_are_self_contained_html_with_every_chart() {
    let tmp = project();
    for (path, charts) in reports(tmp.path()) {
        let html = std::fs::read_to_string(&path).unwrap();
        let what = path.display().to_string();
        assert!(html.starts_with("<!doctype html>"), "{what}");
        for banned in [
            "http://", "https://", "<script", "<link", "<img", "<iframe", "@import", "url(", "src=",
        ] {
            assert!(!html.contains(banned), "{what} holds `{banned}`");
        }
        assert_charts(&html, &charts, &what);
        // Every number is also in a table.
        assert!(
            html.matches("<table>").count() >= charts.len() - 1,
            "{what}"
        );
    }
}

/// Chromium, when installed.
fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs headless Chromium on a page with `args`.
fn browse(browser: &Path, page: &Path, args: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs")
}

#[test]
fn reports_render_in_a_real_browser() {
    let Some(browser) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed, and CI must run the browser test: install the Debian package `chromium` (.ci/run does)");
        }
        // Straight to the process's stderr: the test harness would swallow `println!`.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED reports_render_in_a_real_browser: chromium is not installed (`apt-get install chromium`); CI runs it"
        );
        return;
    };
    let tmp = project();
    for (path, charts) in reports(tmp.path()) {
        let what = path.display().to_string();
        // The DOM as the browser built it holds every chart.
        let dom = browse(&browser, &path, &["--dump-dom"]);
        assert!(dom.status.success(), "{what}: {}", stderr(&dom));
        let dom = stdout(&dom);
        assert!(dom.contains("<svg"), "{what}: no SVG in the rendered DOM");
        assert_charts(&dom, &charts, &what);
        // The screenshot is not blank: dark text and blue bars on a light page.
        let shot = tmp.path().join("shot.png");
        let o = browse(
            &browser,
            &path,
            &[
                &format!("--screenshot={}", shot.display()),
                "--window-size=1200,2400",
            ],
        );
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&shot).expect("a screenshot"),
        ));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (1200, 2400), "{what}");
        let channels = info.color_type.samples();
        let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
        let share = |f: &dyn Fn(&[u8]) -> bool| {
            pixels.iter().filter(|p| f(p)).count() as f64 / pixels.len() as f64
        };
        let not_white = share(&|p| p[..3].iter().any(|&c| c < 235));
        let blue = share(&|p| p[2] > 150 && p[0] < 80 && p[1] < 130);
        assert!(
            not_white > 0.05,
            "{what}: the page looks blank ({not_white})"
        );
        assert!(blue > 0.002, "{what}: no chart colour on the page ({blue})");
    }
}
