//! End-to-end tests of `scoreline diff` through the binary: cases as data (two rule files,
//! data, the expected JSON), git revisions in a temporary repository (a plugin that changed
//! between revisions included), the CI guard's exit codes, bad inputs, and the HTML report.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{scoreline, stderr, stdout};

use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// Structural equality, numbers within 1e-12; an expected `"VERSION"` is any ruleset
/// version (12 hex digits).
fn same(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), Value::String(a)) if e == "VERSION" => {
            a.len() == 12 && a.chars().all(|c| c.is_ascii_hexdigit())
        }
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

fn json(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The data flags of a case folder: its contacts, its events if any, as of 2026-11-01.
fn data_args(dir: &Path) -> Vec<&'static str> {
    let mut args = vec!["--contacts", "contacts.csv", "--as-of", "2026-11-01"];
    if dir.join("events.csv").exists() {
        args.extend(["--events", "events.csv"]);
    }
    args
}

/// Every folder of `tests/diff/cases`: `old.score`, `new.score`, `contacts.csv`, maybe
/// `events.csv`, and `expected.json` (computed by hand).
#[test]
fn cases_give_their_expected_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff/cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 2, "no cases in {}", root.display());
    for case in &cases {
        let mut args = vec!["diff", "old.score", "new.score", "--format", "json"];
        args.extend(data_args(case));
        let actual = json(&scoreline(&args, case));
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
                .unwrap();
        assert!(
            same(&expected, &actual),
            "{}: expected\n{expected:#}\ngot\n{actual:#}",
            case.display()
        );
        // A version compared with itself changes nothing, and every contact stays.
        let mut args = vec!["diff", "new.score", "new.score", "--format", "json"];
        args.extend(data_args(case));
        let itself = json(&scoreline(&args, case));
        for s in itself["scores"].as_array().unwrap() {
            assert_eq!(s["changed"], 0, "{}", case.display());
            assert_eq!(s["increases"].as_array().unwrap().len(), 0);
        }
        for s in itself["segments"].as_array().unwrap() {
            assert_eq!(s["moved"], 0, "{}", case.display());
            for cell in s["matrix"].as_array().unwrap() {
                assert_eq!(cell["from"], cell["to"], "{}", case.display());
            }
        }
    }
}

/// The first case's folder.
fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/diff/cases")
        .join(name)
}

const MOVED: &str = "points_thresholds_added_removed";

fn diff_in(dir: &Path, more: &[&str]) -> Output {
    let mut args = vec!["diff", "old.score", "new.score"];
    args.extend(data_args(dir));
    args.extend(more);
    scoreline(&args, dir)
}

#[test]
fn fail_if_moved_is_a_ci_guard() {
    let dir = case(MOVED);
    // One contact of six (16.7 %) changes label in `tier`.
    let o = diff_in(&dir, &["--format", "json", "--fail-if-moved", "20"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = diff_in(&dir, &["--format", "json", "--fail-if-moved", "16"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "16.7 % of the contacts change label in segment `tier`, more than `--fail-if-moved 16`"
        ),
        "{}",
        stderr(&o)
    );
    // The report is still printed, for the pull request to show.
    assert!(stdout(&o).contains("\"moved\": 1"), "{}", stdout(&o));
    let o = diff_in(&dir, &["--fail-if-moved", "150"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is not a percentage"), "{}", stderr(&o));
}

#[test]
fn text_and_markdown_show_the_same_numbers() {
    let dir = case(MOVED);
    let o = diff_in(&dir, &["--format", "text"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for needle in [
        "score `fit`: 3 of 6 contacts changed (50.0 %), mean 16.67 → 17.50",
        "`Decision maker` 20 → 25",
        "scores added: `intent`",
        "scores removed: `legacy`",
        "segment `tier`: 1 of 6 contacts moved (16.7 %)",
    ] {
        assert!(text.contains(needle), "no `{needle}` in\n{text}");
    }
    let o = diff_in(&dir, &["--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = stdout(&o);
    for needle in [
        "| `fit` | 3 (50.0 %) | 16.67 | 17.50 |",
        "| `tier` | 1 (16.7 %) |",
        "| hot | 1 | **1** | 0 |",
        "| e | 30 | 35 | `Decision maker` 20 → 25, `Mid-market` 10 → 5, `Enterprise` - → 5 |",
    ] {
        assert!(md.contains(needle), "no `{needle}` in\n{md}");
    }
}

#[test]
fn a_rule_file_that_fails_to_check_is_named_with_its_side() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for f in ["old.score", "contacts.csv"] {
        std::fs::copy(case(MOVED).join(f), dir.join(f)).unwrap();
    }
    write(
        dir,
        "new.score",
        "score fit {\n  rule \"x\" when nope == 1 => +1\n}\n",
    );
    let o = diff_in(dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("new.score:2:"), "{err}");
    assert!(
        err.contains("error: the head version `new.score` has errors; nothing was compared"),
        "{err}"
    );
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    write(
        dir,
        "new.score",
        "score fit {\n  rule \"x\" when => +1\n}\n",
    );
    let o = scoreline(
        &[
            "diff",
            "new.score",
            "old.score",
            "--contacts",
            "contacts.csv",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error: the base version `new.score` has errors"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn data_that_one_version_rejects_gives_the_errors_of_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let from = case("schema_changed");
    for f in ["old.score", "contacts.csv"] {
        std::fs::copy(from.join(f), dir.join(f)).unwrap();
    }
    // `employees` required: contact `b` has none.
    let new = std::fs::read_to_string(from.join("new.score")).unwrap();
    write(dir, "new.score", &new.replace("number?", "number"));
    let o = diff_in(dir, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("contacts.csv:3, column 3 (`employees`)"),
        "{err}"
    );
    assert!(err.contains("nothing was scored"), "{err}");
    assert!(
        err.contains("the data was read with the head version's schema"),
        "{err}"
    );
    assert!(stdout(&o).is_empty());
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

const RULES: &str = r#"ruleset leads
schema {
  contact { id: text, role: text }
}
plugin people = "../plugins/people.rhai"
score fit {
  rule "Decision maker" when people.decides(role) => +20
}
segment tier {
  "hot"  when fit >= 20
  "cold"
}
"#;

/// A repository: `project/` (rules, data, `scoreline.yaml`) and `plugins/`, two commits in
/// which only the plugin changes, then a rule edited in the working tree.
fn repository() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q"]);
    write(dir, "project/leads.score", RULES);
    write(
        dir,
        "project/contacts.csv",
        "id,role\na,ceo\nb,cto\nc,intern\nd,cto\n",
    );
    write(
        dir,
        "project/scoreline.yaml",
        "ruleset: leads.score\ndata:\n  contacts: contacts.csv\nas_of: 2026-11-01\n",
    );
    write(
        dir,
        "plugins/people.rhai",
        "fn decides(role) { role == \"ceo\" }\n",
    );
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "first"]);
    write(
        dir,
        "plugins/people.rhai",
        "fn decides(role) { role == \"ceo\" || role == \"cto\" }\n",
    );
    git(dir, &["commit", "-q", "-am", "ctos decide too"]);
    std::fs::write(
        dir.join("project/leads.score"),
        RULES.replace("=> +20", "=> +25"),
    )
    .unwrap();
    tmp
}

#[test]
fn git_revisions_bring_their_own_plugins() {
    let tmp = repository();
    let project = tmp.path().join("project");
    // The rule file is the same at both commits: only the plugin moved the ctos.
    let o = scoreline(
        &[
            "diff",
            "HEAD~1:leads.score",
            "HEAD:leads.score",
            "--format",
            "json",
        ],
        &project,
    );
    let report = json(&o);
    assert_eq!(report["scores"][0]["changed"], 2, "{report:#}");
    assert_eq!(report["scores"][0]["increases"][0]["id"], "b");
    assert_eq!(
        report["scores"][0]["increases"][0]["clauses"][0]["before"],
        0.0
    );
    assert_eq!(
        report["scores"][0]["increases"][0]["clauses"][0]["after"],
        20.0
    );
    assert_ne!(report["base"]["version"], report["head"]["version"]);
    assert_eq!(report["segments"][0]["moved"], 2);
    // `--rev` compares the project's ruleset at a revision with the working tree.
    let report = json(&scoreline(
        &["diff", "--rev", "HEAD", "--format", "json"],
        &project,
    ));
    assert_eq!(report["scores"][0]["changed"], 3, "{report:#}");
    assert_eq!(report["scores"][0]["increases"][0]["before"], 20.0);
    assert_eq!(report["scores"][0]["increases"][0]["after"], 25.0);
    assert_eq!(report["segments"][0]["moved"], 0);
    let report = json(&scoreline(
        &["diff", "--rev", "HEAD~1", "--format", "json"],
        &project,
    ));
    assert_eq!(report["segments"][0]["moved"], 2, "{report:#}");
    // The same from the repository's root, through `--project`.
    let report = json(&scoreline(
        &[
            "diff",
            "--rev",
            "HEAD~1",
            "--project",
            "project",
            "--format",
            "json",
        ],
        tmp.path(),
    ));
    assert_eq!(report["segments"][0]["moved"], 2, "{report:#}");
}

#[test]
fn bad_revisions_and_paths_are_clear_errors() {
    let tmp = repository();
    let project = tmp.path().join("project");
    let fails = |args: &[&str], dir: &Path| {
        let o = scoreline(args, dir);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?} printed {}", stdout(&o));
        stderr(&o)
    };
    let err = fails(&["diff", "--rev", "nosuch"], &project);
    assert!(
        err.contains("error: `nosuch` is not a revision of this repository"),
        "{err}"
    );
    assert!(err.contains("`git log --oneline -- leads.score`"), "{err}");
    let err = fails(&["diff", "HEAD:other.score", "leads.score"], &project);
    assert!(
        err.contains("error: `other.score` does not exist at revision `HEAD`"),
        "{err}"
    );
    assert!(err.contains("`git log --oneline -- other.score`"), "{err}");
    // Outside any repository.
    let outside = tempfile::tempdir().unwrap();
    for f in ["leads.score", "contacts.csv"] {
        std::fs::copy(project.join(f), outside.path().join(f)).unwrap();
    }
    let err = fails(
        &[
            "diff",
            "main:leads.score",
            "leads.score",
            "--contacts",
            "contacts.csv",
        ],
        outside.path(),
    );
    assert!(
        err.contains("error: `main:leads.score` names a git revision, but this folder is not in a git repository"),
        "{err}"
    );
    // Usage: nothing to compare.
    let o = scoreline(&["diff", "--contacts", "contacts.csv"], outside.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no versions to compare"),
        "{}",
        stderr(&o)
    );
}

/// Each chart's `<svg>` with its id and its title.
fn assert_charts(html: &str, charts: &[(&str, &str)]) {
    for (id, title) in charts {
        let at = html
            .find(&format!("data-chart=\"{id}\""))
            .unwrap_or_else(|| panic!("no chart `{id}`"));
        let svg = &html[at..html[at..].find("</svg>").map_or(html.len(), |e| at + e)];
        assert!(
            svg.contains(&format!("<title id=\"{id}-title\">{title}</title>")),
            "chart `{id}` has no title `{title}`"
        );
        for needle in ["class=\"axis-label\"", "<title>"] {
            assert!(svg.contains(needle), "chart `{id}` has no `{needle}`");
        }
    }
}

const CHARTS: &[(&str, &str)] = &[
    (
        "migration-tier",
        "Migration of tier: old label to new label",
    ),
    ("before-fit", "fit before the change"),
    ("after-fit", "fit after the change"),
];

fn report(dir: &Path, out: &Path) -> String {
    let o = diff_in(
        dir,
        &["--format", "json", "--report", out.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn the_report_is_self_contained_html_with_every_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let html = report(&case(MOVED), &tmp.path().join("diff.html"));
    assert!(html.starts_with("<!doctype html>"));
    for banned in [
        "http://", "https://", "<script", "<link", "<img", "<iframe", "@import", "url(", "src=",
    ] {
        assert!(!html.contains(banned), "the report holds `{banned}`");
    }
    assert_charts(&html, CHARTS);
    // The heat map's cells say their numbers on hover; the movers are in a table.
    assert!(
        html.contains("<title>hot → warm: 1 contacts (16.7%)</title>"),
        "{html}"
    );
    assert!(html.contains("Decision maker: 20 → 25; Mid-market: 10 → 5; Enterprise: - → 5"));
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn browse(browser: &Path, page: &Path, args: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
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
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

#[test]
fn the_report_renders_in_a_real_browser() {
    let Some(browser) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed, and CI must run the browser test: install the Debian package `chromium` (.ci/run does)");
        }
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_report_renders_in_a_real_browser: chromium is not installed (`apt-get install chromium`); CI runs it"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("diff.html");
    report(&case(MOVED), &path);
    let dom = browse(&browser, &path, &["--dump-dom"]);
    assert!(dom.status.success(), "{}", stderr(&dom));
    let dom = stdout(&dom);
    assert_charts(&dom, CHARTS);
    let shot = tmp.path().join("shot.png");
    let o = browse(
        &browser,
        &path,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,2400",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&shot).expect("a screenshot"),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let share = |f: &dyn Fn(&[u8]) -> bool| {
        pixels.iter().filter(|p| f(p)).count() as f64 / pixels.len() as f64
    };
    let not_white = share(&|p| p[..3].iter().any(|&c| c < 235));
    // The heat map's amber cells (who moves) are drawn.
    let amber = share(&|p| p[0] > 180 && p[1] > 100 && p[1] < 200 && p[2] < 120);
    assert!(not_white > 0.05, "the page looks blank ({not_white})");
    assert!(
        amber > 0.0005,
        "no heat-map colour of a move on the page ({amber})"
    );
}
