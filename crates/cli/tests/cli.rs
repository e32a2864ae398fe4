//! End-to-end tests of the `scoreline` binary: exit codes, messages and files written.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

#[path = "cli/accounts.rs"]
mod accounts;
use common::{repo, scoreline, stderr, stdout};

/// A temporary copy of the b2b-leads sample project (with the plugins it uses).
fn sample_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = repo().join("rulesets/b2b-leads");
    let dst = tmp.path().join("rulesets/b2b-leads");
    std::fs::create_dir_all(dst.join("data")).unwrap();
    for f in [
        "leads.score",
        "scoreline.yaml",
        "data/contacts.csv",
        "data/events.csv",
    ] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    std::fs::create_dir_all(tmp.path().join("plugins")).unwrap();
    std::fs::copy(
        repo().join("plugins/email_domain.rhai"),
        tmp.path().join("plugins/email_domain.rhai"),
    )
    .unwrap();
    tmp
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const RULES: &str = r#"ruleset mini "Mini"
schema {
  contact { id: text, industry: text, employees: number? }
  event page_view { url: text }
}
score fit {
  rule "SaaS" when industry == "SaaS" => +10
  rule "Big" when employees > 100 => +5
}
score engagement {
  each page_view => +2 max 6
}
score total = fit + engagement
segment tier {
  "hot" when total >= 15 => "Call"
  "cold" => "Newsletter"
}
"#;

fn mini_project(dir: &Path) {
    write(dir, "rules.score", RULES);
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\nb,Retail,\nc,SaaS,50\n",
    );
    write(
        dir,
        "events.csv",
        "contact_id,type,at,url\na,page_view,2026-10-01,/pricing\na,page_view,2026-10-02,/blog\nc,page_view,2026-12-01,/future\n",
    );
}

fn run_mini(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "--ruleset",
        "rules.score",
        "--contacts",
        "contacts.csv",
        "--events",
        "events.csv",
        "--as-of",
        "2026-11-01",
    ];
    args.extend_from_slice(extra);
    scoreline(&args, dir)
}

#[test]
fn run_scores_the_sample_project_deterministically() {
    let tmp = sample_project();
    let project = tmp.path().join("rulesets/b2b-leads");
    let out = scoreline(&["run", "--project", project.to_str().unwrap()], tmp.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let first = std::fs::read_to_string(project.join("out/scores.csv")).unwrap();
    let mut lines = first.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,fit,engagement,total,tier,tier_action,grade"
    );
    assert_eq!(first.lines().count(), 1 + 300);
    let manifest = std::fs::read(project.join("out/scores.manifest.json")).unwrap();
    let explain = std::fs::read(project.join("out/explain.ndjson")).unwrap();
    assert!(
        stderr(&out).contains("scored 300 contacts"),
        "{}",
        stderr(&out)
    );
    assert!(project.join("out/explain.ndjson").exists());

    // One thread gives the same bytes as every core.
    let out = scoreline(
        &[
            "run",
            "--project",
            project.to_str().unwrap(),
            "--threads",
            "1",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let second = std::fs::read_to_string(project.join("out/scores.csv")).unwrap();
    assert_eq!(first, second);
    // The manifest holds no clock time: the same inputs and as-of give the same bytes.
    assert_eq!(
        std::fs::read(project.join("out/scores.manifest.json")).unwrap(),
        manifest
    );
    assert_eq!(
        std::fs::read(project.join("out/explain.ndjson")).unwrap(),
        explain
    );
}

#[test]
fn run_writes_exact_scores_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    mini_project(tmp.path());
    let out = run_mini(tmp.path(), &["--out", "scores.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(tmp.path().join("scores.csv")).unwrap();
    // The event after as-of (c, 2026-12-01) does not exist for the run.
    let body: Vec<&str> = csv.lines().collect();
    assert_eq!(
        body,
        [
            "id,fit,engagement,total,tier,tier_action",
            "a,15,4,19,hot,Call",
            "b,0,0,0,cold,Newsletter",
            "c,10,0,10,cold,Newsletter",
        ]
    );

    let out = run_mini(tmp.path(), &["--out", "scores.ndjson"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nd = std::fs::read_to_string(tmp.path().join("scores.ndjson")).unwrap();
    let first: serde_json::Value = serde_json::from_str(nd.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], "a");
    assert_eq!(first["total"], 19.0);
    assert_eq!(first["ruleset"]["name"], "mini");

    let out = run_mini(tmp.path(), &["--out", "stamped.csv", "--stamp"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stamped = std::fs::read_to_string(tmp.path().join("stamped.csv")).unwrap();
    assert!(
        stamped.starts_with("id,fit,engagement,total,tier,tier_action,ruleset,ruleset_version\n")
    );
}

/// The SHA-256 of a file's bytes, in lowercase hex.
fn sha256_of(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

/// The ruleset version in `run`'s summary line (`… with NAME VERSION as of …`).
fn summary_version(out: &Output) -> String {
    let err = stderr(out);
    let after = err
        .split(" with ")
        .nth(1)
        .unwrap_or_else(|| panic!("{err}"));
    after.split(' ').nth(1).unwrap().to_string()
}

/// A CSV output opens as it is, as Excel, a CRM import or pandas' `read_csv` would open it:
/// no comment line, the header first, and a CSV reader gets the rows back; `--stamp` adds
/// the ruleset's two columns to the same rows.
#[test]
fn csv_scores_are_a_plain_table() {
    let tmp = tempfile::tempdir().unwrap();
    mini_project(tmp.path());
    let out = run_mini(tmp.path(), &["--out", "scores.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let version = summary_version(&out);
    let bytes = std::fs::read(tmp.path().join("scores.csv")).unwrap();
    assert!(
        bytes.starts_with(b"id,"),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let read = |name: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::Reader::from_path(tmp.path().join(name)).unwrap();
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    };
    let strings = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let (header, rows) = read("scores.csv");
    assert_eq!(
        header,
        strings(&["id", "fit", "engagement", "total", "tier", "tier_action"])
    );
    assert_eq!(
        rows,
        [
            strings(&["a", "15", "4", "19", "hot", "Call"]),
            strings(&["b", "0", "0", "0", "cold", "Newsletter"]),
            strings(&["c", "10", "0", "10", "cold", "Newsletter"]),
        ]
    );

    let out = run_mini(tmp.path(), &["--out", "stamped.csv", "--stamp"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (stamped_header, stamped_rows) = read("stamped.csv");
    assert_eq!(stamped_header[..6], header[..]);
    assert_eq!(
        stamped_header[6..],
        strings(&["ruleset", "ruleset_version"])
    );
    for (stamped, row) in stamped_rows.iter().zip(&rows) {
        assert_eq!(stamped[..6], row[..]);
        assert_eq!(stamped[6..], [String::from("mini"), version.clone()]);
    }
    assert_eq!(stamped_rows.len(), rows.len());
}

/// The manifest beside the scores says what produced them: the tool, the ruleset, the as-of,
/// and each data file's path, SHA-256 (computed here independently) and records.
#[test]
fn the_manifest_describes_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    mini_project(dir);
    let out = run_mini(dir, &["--out", "out/scores.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let version = summary_version(&out);
    assert_eq!(version.len(), 12, "{version}");
    let expected = serde_json::json!({
        "manifest_version": 1,
        "tool": {"name": "scoreline", "version": env!("CARGO_PKG_VERSION")},
        "ruleset": {"name": "mini", "version": version},
        "as_of": "2026-11-01T00:00:00Z",
        "inputs": [
            {"role": "contacts", "path": "contacts.csv", "sha256": sha256_of(&dir.join("contacts.csv")), "rows": 3, "skipped": 0},
            {"role": "events", "path": "events.csv", "sha256": sha256_of(&dir.join("events.csv")), "rows": 3, "skipped": 0},
        ],
        "outputs": [
            {"role": "scores", "path": "out/scores.csv", "format": "csv", "rows": 3},
        ],
    });
    assert_eq!(read_json(&dir.join("out/scores.manifest.json")), expected);
    let names: Vec<String> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");

    // The same ruleset and as-of as the stamp of a JSON output, whose objects keep it.
    let out = run_mini(dir, &["--out", "scores.ndjson"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let nd = std::fs::read_to_string(dir.join("scores.ndjson")).unwrap();
    let first: serde_json::Value = serde_json::from_str(nd.lines().next().unwrap()).unwrap();
    assert_eq!(first["ruleset"], expected["ruleset"]);
    let manifest = read_json(&dir.join("scores.manifest.json"));
    assert_eq!(manifest["inputs"], expected["inputs"]);
    assert_eq!(
        manifest["outputs"],
        serde_json::json!([{"role": "scores", "path": "scores.ndjson", "format": "ndjson", "rows": 3}])
    );

    // Scores on standard output: no file to put a manifest beside.
    let before: usize = std::fs::read_dir(dir).unwrap().count();
    let out = run_mini(dir, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("id,fit,"), "{}", stdout(&out));
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), before);

    // Scores into a named pipe (what `--out /dev/stdout` is in a pipeline): written through
    // it, the pipe left a pipe (never replaced by a file), and no manifest beside it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let pipe = dir.join("scores.pipe");
        assert!(std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success());
        // The manifest `scores.pipe` would have is the NDJSON run's, from above.
        let manifest = std::fs::read(dir.join("scores.manifest.json")).unwrap();
        let reader = {
            let pipe = pipe.clone();
            std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
        };
        let out = run_mini(dir, &["--out", "scores.pipe"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(std::fs::metadata(&pipe).unwrap().file_type().is_fifo());
        assert!(reader.join().unwrap().starts_with("id,fit,"));
        assert_eq!(
            std::fs::read(dir.join("scores.manifest.json")).unwrap(),
            manifest,
            "no manifest for scores sent through a pipe"
        );
    }
}

/// With `--skip-bad-rows`, each input's records count the rows set aside, and the manifest
/// lists every file written: the scores, the explanations and the rows set aside.
#[test]
fn the_manifest_counts_the_rows_set_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    mini_project(dir);
    write(
        dir,
        "contacts.csv",
        "id,industry,employees
a,SaaS,500
b,Retail,many
c,SaaS,50
d,Retail,
",
    );
    let out = run_mini(
        dir,
        &[
            "--out",
            "scores.csv",
            "--explain",
            "explain.ndjson",
            "--skip-bad-rows",
            "bad.csv",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest = read_json(&dir.join("scores.manifest.json"));
    let counts: Vec<(String, u64, u64)> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["rows"].as_u64().unwrap(),
                i["skipped"].as_u64().unwrap(),
            )
        })
        .collect();
    // b is set aside; with it, nothing of events.csv (b has no event).
    assert_eq!(
        counts,
        [("contacts.csv".into(), 4, 1), ("events.csv".into(), 3, 0)]
    );
    assert_eq!(
        manifest["inputs"][0]["sha256"],
        sha256_of(&dir.join("contacts.csv"))
    );
    let bad_rows = csv::Reader::from_path(dir.join("bad.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(bad_rows, 1);
    assert_eq!(
        manifest["outputs"],
        serde_json::json!([
            {"role": "scores", "path": "scores.csv", "format": "csv", "rows": 3},
            {"role": "explain", "path": "explain.ndjson", "format": "ndjson", "rows": 3},
            {"role": "skipped_rows", "path": "bad.csv", "format": "csv", "rows": bad_rows},
        ])
    );
}

#[test]
fn bad_data_fails_with_every_problem_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    mini_project(tmp.path());
    write(
        tmp.path(),
        "contacts.csv",
        "id,industry,employees\na,SaaS,many\nb,Retail,\na,SaaS,3\n",
    );
    let out = run_mini(tmp.path(), &["--out", "scores.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("contacts.csv:2, column 3 (`employees`): `many` is not a number"),
        "{err}"
    );
    assert!(
        err.contains("contacts.csv:4, column 1 (`id`): duplicate contact id `a`"),
        "{err}"
    );
    assert!(!tmp.path().join("scores.csv").exists());
    assert!(!tmp.path().join("scores.manifest.json").exists());

    // With --skip-bad-rows the bad rows are set aside, with their reasons, and the rest scored.
    let out = run_mini(
        tmp.path(),
        &["--out", "scores.csv", "--skip-bad-rows", "bad.csv"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bad = std::fs::read_to_string(tmp.path().join("bad.csv")).unwrap();
    assert!(bad.contains("contacts.csv"), "{bad}");
    let scores = std::fs::read_to_string(tmp.path().join("scores.csv")).unwrap();
    assert!(scores.contains("\nb,"), "{scores}");
}

#[test]
fn explain_shows_each_clause_and_the_segment() {
    let tmp = tempfile::tempdir().unwrap();
    mini_project(tmp.path());
    let args = [
        "explain",
        "a",
        "--ruleset",
        "rules.score",
        "--contacts",
        "contacts.csv",
        "--events",
        "events.csv",
        "--as-of",
        "2026-11-01",
    ];
    let out = scoreline(&args, tmp.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("SaaS"), "{text}");
    assert!(text.contains("\"hot\""), "{text}");
    // Each rule shows what it read; events are listed only when asked.
    assert!(text.contains("+5   (employees = 500)"), "{text}");
    assert!(text.contains("(2 events matched)\n"), "{text}");
    assert!(!text.contains("days old"), "{text}");
    let mut listing = args.to_vec();
    listing.push("--show-events");
    let out = scoreline(&listing, tmp.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("(2 events matched)\n      page_view 2026-10-01T00:00:00Z  31 days old  +2 × 1  = +2\n      page_view 2026-10-02T00:00:00Z  30 days old  +2 × 1  = +2\n"),
        "{text}"
    );
    listing.extend(["--format", "json"]);
    let out = scoreline(&listing, tmp.path());
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let events = &json["scores"][1]["clauses"][0]["events"];
    assert_eq!(events[1]["at"], "2026-10-02T00:00:00Z");
    assert_eq!(events[1]["age_days"], 30.0);
    assert_eq!(
        json["scores"][0]["clauses"][1]["values_read"][0]["value"],
        500.0
    );

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let out = scoreline(&json_args, tmp.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["id"], "a");

    let mut missing = args.to_vec();
    missing[1] = "nobody";
    let out = scoreline(&missing, tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no contact with id `nobody`"));
    assert!(
        stderr(&out).contains("help: ids are compared exactly, case included"),
        "{}",
        stderr(&out)
    );
    // An id that differs only by case, or by a typo, is suggested.
    missing[1] = "A";
    let out = scoreline(&missing, tmp.path());
    assert!(
        stderr(&out).contains("help: did you mean `a`? ids are compared exactly"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_reports_every_error_with_position_and_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "bad.score",
        "schema { contact { id: text, industry: text } }\nscore s {\n  rule when industy == \"SaaS\" => +10\n  rule when lowr(industry) == \"x\" => +1\n}\n",
    );
    let out = scoreline(&["check", "bad.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad.score:3:13"), "{err}");
    assert!(err.contains("industry"), "{err}");
    assert!(err.contains("bad.score:4:"), "{err}");

    let out = scoreline(&["check", "--format", "json", "bad.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let first = &json[0];
    assert_eq!(first["file"], "bad.score");
    assert_eq!(first["line"], 3);
    assert_eq!(first["column"], 13);
    assert_eq!(first["end_column"], 20);
    assert_eq!(first["severity"], "error");
}

#[test]
fn check_and_fmt_show_every_syntax_error() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "schema { contact { id: text, industry: text } }\nlet a = industry ==\nscore s {\n  rule when a => +1\n  rule when industry + 1 > 0 => +1\n}\nsegment t {\n  \"x\" when s > 1 => call\n}\nlet b = (1 +\n";
    let path = write(tmp.path(), "broken.score", text);
    let out = scoreline(&["check", "broken.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    // Three syntax errors, each at its own place, and the type error of an item that parsed;
    // not the unknown `a` (its `let` is broken).
    for at in [
        "broken.score:3:1",
        "broken.score:5:22",
        "broken.score:8:21",
        "broken.score:11:1",
    ] {
        assert!(err.contains(at), "{at} missing:\n{err}");
    }
    assert!(!err.contains("unknown name"), "{err}");
    assert!(
        err.contains("checked 1 file: 4 errors, 0 warnings"),
        "{err}"
    );

    let out = scoreline(&["check", "--format", "json", "broken.score"], tmp.path());
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let codes: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["E0001", "E0301", "E0001", "E0001"]);

    // `fmt` refuses the file and shows every syntax error (the type error is not its business).
    let out = scoreline(&["fmt", "broken.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for at in ["broken.score:3:1", "broken.score:8:21", "broken.score:11:1"] {
        assert!(err.contains(at), "{at} missing:\n{err}");
    }
    assert!(!err.contains("broken.score:5:22"), "{err}");
    assert!(
        err.contains("not formatted: `broken.score` has syntax errors"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn warnings_pass_unless_denied() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "warn.score",
        "score s { rule when true => +1 }\nsegment t { \"a\" when s > 0 }\n",
    );
    let out = scoreline(&["check", "warn.score"], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning"));
    let out = scoreline(&["check", "--deny-warnings", "warn.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn check_warns_of_a_plugin_reading_global_of_a_top_level_let() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "p.rhai",
        "let RATE = 2;\nconst BONUS = 3;\nfn f(x) { x * global::RATE + global::BONUS }\n",
    );
    write(
        tmp.path(),
        "r.score",
        "plugin p = \"p.rhai\"\nscore a = p.f(1)\n",
    );
    let out = scoreline(&["check", "r.score"], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "warning[W0804]: `global::RATE` reads a top-level `let`, which functions cannot see"
        ),
        "{err}"
    );
    assert!(err.contains("p.rhai:3:15"), "{err}");
    assert!(err.contains("help: declare it `const RATE = …`"), "{err}");
    assert_eq!(err.matches("warning[W0804]").count(), 1, "{err}");
    let out = scoreline(&["check", "--deny-warnings", "r.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn format_says_what_is_printed_and_out_format_the_scores_file() {
    let tmp = tempfile::tempdir().unwrap();
    mini_project(tmp.path());
    // The scores file's format comes from `--out-format`, whatever its extension.
    let out = run_mini(tmp.path(), &["--out", "s.txt", "--out-format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("s.txt")).unwrap()).unwrap();
    assert_eq!(json[0]["id"], "a");
    // `--format`, its old name, still works.
    let out = run_mini(tmp.path(), &["--out", "s.txt", "--format", "ndjson"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(tmp.path().join("s.txt")).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with("{\"id\":\"a\""), "{text}");
    // Old names are hidden from the help.
    let help = stdout(&scoreline(&["run", "--help"], tmp.path()));
    assert!(help.contains("--out-format <FORMAT>"), "{help}");
    assert!(!help.contains("--format"), "{help}");
    let help = stdout(&scoreline(&["watch", "--help"], tmp.path()));
    assert!(help.contains("--out-format <FORMAT>"), "{help}");
    assert!(!help.contains("--scores-format"), "{help}");
    // `watch --scores-format` is still read as `--out-format` (here with a wrong value).
    let out = scoreline(&["watch", "--scores-format", "xml"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid value 'xml' for '--out-format <FORMAT>'"),
        "{}",
        stderr(&out)
    );
    // `check --format` takes `text` (and `human`, its old name) or `json`.
    write(
        tmp.path(),
        "warn.score",
        "score s { rule when true => +1 }\n",
    );
    for format in ["text", "human"] {
        let out = scoreline(&["check", "--format", format, "warn.score"], tmp.path());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).contains("warning[W0105]"), "{}", stderr(&out));
    }
    let help = stdout(&scoreline(&["check", "--help"], tmp.path()));
    assert!(help.contains("- text:"), "{help}");
    assert!(!help.contains("human"), "{help}");
}

#[test]
fn fmt_rewrites_and_check_lists_files() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), "ugly.score", "score   s{rule when  1>0=>10}\n");
    let out = scoreline(&["fmt", "--check", "ugly.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("ugly.score"));
    let out = scoreline(&["fmt", "ugly.score"], tmp.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("=> +10"), "{text}");
    let out = scoreline(&["fmt", "--check", "ugly.score"], tmp.path());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn unreadable_rule_files_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("latin1.score"),
        b"score s { rule when x == \"caf\xe9\" => 1 }",
    )
    .unwrap();
    let out = scoreline(&["check", "latin1.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not UTF-8"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("latin1.score:1:30"),
        "{}",
        stderr(&out)
    );

    std::fs::write(
        tmp.path().join("junk.score"),
        [0u8, 159, 146, 150, 1, 2, 3, b'{', b'('],
    )
    .unwrap();
    let out = scoreline(&["check", "junk.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("panicked"));

    let out = scoreline(&["check", "nope.score"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read `nope.score`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    mini_project(tmp.path());
    let out = scoreline(
        &[
            "run",
            "--ruleset",
            "rules.score",
            "--contacts",
            "contacts.csv",
            "--as-of",
            "yesterday",
        ],
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`yesterday` is not a valid as-of"));
    let out = scoreline(&["run"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no rule file given"));
}

#[test]
fn failing_plugin_calls_fail_the_run_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "picky.rhai",
        "fn size(n) {\n  if n > 100 { throw \"too big\"; }\n  n\n}\n",
    );
    write(
        tmp.path(),
        "rules.score",
        "schema { contact { id: text, employees: number } }\nplugin picky = \"picky.rhai\"\nscore s = picky.size(employees)\n",
    );
    write(
        tmp.path(),
        "contacts.csv",
        "id,employees\na,5\nb,500\nc,7\nd,900\n",
    );
    let base = [
        "run",
        "--ruleset",
        "rules.score",
        "--contacts",
        "contacts.csv",
        "--as-of",
        "2026-11-01",
        "--out",
        "scores.csv",
    ];
    let out = scoreline(&base, tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("picky.rhai:2:"), "{err}");
    assert!(err.contains("too big"), "{err}");
    assert!(err.contains("failed for 2 contacts (first: b, d)"), "{err}");
    assert!(!tmp.path().join("scores.csv").exists());
    assert!(!tmp.path().join("scores.manifest.json").exists());

    let mut allowed = base.to_vec();
    allowed.push("--allow-plugin-errors");
    let out = scoreline(&allowed, tmp.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(tmp.path().join("scores.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,s,errors");
    assert_eq!(lines[1], "a,5,");
    assert!(lines[2].starts_with("b,,"), "{csv}");
    assert!(lines[2].contains("picky.size failed at"), "{csv}");
    assert!(lines[2].contains("too big"), "{csv}");
    assert_eq!(lines[3], "c,7,");
}

#[test]
fn plugin_prints_go_to_the_log_with_the_plugin_name() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "chatty.rhai",
        "fn twice(n) {\n  print(`got ${n}`);\n  n * 2\n}\n",
    );
    write(
        tmp.path(),
        "rules.score",
        "schema { contact { id: text, employees: number } }\nplugin chatty = \"chatty.rhai\"\nscore s = chatty.twice(employees)\n",
    );
    write(tmp.path(), "contacts.csv", "id,employees\na,5\n");
    let out = scoreline(
        &[
            "run",
            "--ruleset",
            "rules.score",
            "--contacts",
            "contacts.csv",
            "--as-of",
            "2026-11-01",
        ],
        tmp.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("chatty: got 5"), "{}", stderr(&out));
    let scores = stdout(&out);
    assert!(scores.contains("\na,10\n"), "{scores}");
    assert!(!scores.contains("got 5"), "{scores}");
}

/// Text as Windows-1252 bytes (Latin-1 characters only), as a European Excel saves it.
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
        .collect()
}

/// The mini project's data as a French CRM exports it: `;` between cells, quoted cells holding
/// `;`, decimal commas, a space between thousands, accents in Windows-1252, CRLF.
fn european_mini(dir: &Path) {
    write(dir, "rules.score", RULES);
    std::fs::write(
        dir.join("contacts.csv"),
        windows_1252(
            "id;industry;employees\r\na;SaaS;1 500,5\r\nb;\"Télécoms; réseaux\";\r\nc;SaaS;50\r\n",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("events.csv"),
        windows_1252("contact_id;type;at;url\r\na;page_view;2026-10-01;/tarifs\r\na;page_view;2026-10-02;/blog/été\r\nc;page_view;2026-12-01;/futur\r\n"),
    )
    .unwrap();
}

#[test]
fn a_european_export_scores_without_rework() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    european_mini(dir);
    let expected = [
        "id,fit,engagement,total,tier,tier_action",
        "a,15,4,19,hot,Call",
        "b,0,0,0,cold,Newsletter",
        "c,10,0,10,cold,Newsletter",
    ];
    let body = |name: &str| -> Vec<String> {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    // Flags: the delimiter is detected from the header.
    let flags = [
        "--decimal",
        ",",
        "--thousands",
        "space",
        "--encoding",
        "windows-1252",
    ];
    let out = run_mini(dir, &[&["--out", "flags.csv"][..], &flags].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(body("flags.csv"), expected);
    // The delimiter given.
    let out = run_mini(
        dir,
        &[&["--out", "given.csv", "--delimiter", ";"][..], &flags].concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(body("given.csv"), expected);
    // The same keys in `scoreline.yaml`, with `explain` reading the same data.
    write(
        dir,
        "scoreline.yaml",
        "ruleset: rules.score\ndata:\n  contacts: contacts.csv\n  events: events.csv\n  decimal: \",\"\n  thousands: \" \"\n  encoding: windows-1252\nas_of: 2026-11-01\noutput:\n  scores: out/scores.csv\n",
    );
    let out = scoreline(&["run"], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(body("out/scores.csv"), expected);
    let out = scoreline(&["explain", "a", "--format", "json"], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let big = &json["scores"][0]["clauses"][1];
    assert_eq!(
        (&big["label"], &big["fired"]),
        (&"Big".into(), &true.into()),
        "{json}"
    );
    // A flag goes over the file, key by key: told `,`, the header is one column.
    let out = scoreline(&["run", "--delimiter", ","], dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "contacts.csv:1: the header is read as one single column `id;industry;employees`, which holds `;`\n  help: the cells seem to be separated by `;`, not `,`: set `delimiter: \";\"` (or `--delimiter ';'`)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_export_read_with_the_wrong_settings_says_what_to_set() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    european_mini(dir);
    // Without `--encoding`: the Windows-1252 accents are not UTF-8.
    let out = run_mini(
        dir,
        &["--out", "s.csv", "--decimal", ",", "--thousands", " "],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("contacts.csv:3, column 2 (`industry`): field `industry` is not valid UTF-8 text\n  help: the file is not UTF-8: if Excel or a CRM saved it, set `encoding: windows-1252` (or pass `--encoding windows-1252`), or save it as UTF-8"),
        "{err}"
    );
    // Without `--decimal ,`: `1 500,5` is not a number.
    let out = run_mini(dir, &["--out", "s.csv", "--encoding", "windows-1252"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("contacts.csv:2, column 3 (`employees`): `1 500,5` is not a number"),
        "{err}"
    );
    // A decimal dot where decimal commas were announced.
    write(dir, "contacts.csv", "id;industry;employees\na;SaaS;12.5\n");
    let out = run_mini(dir, &["--out", "s.csv", "--decimal", ","]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("contacts.csv:2, column 3 (`employees`): `12.5` is not a number\n  help: write numbers with a comma for decimals and no thousands separator, like `1250,5`"),
        "{err}"
    );
    assert!(!dir.join("s.csv").exists());
    // Settings that cannot be, on the command line or in the project file: usage errors.
    let out = run_mini(dir, &["--delimiter", "|"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`|` is not a delimiter"),
        "{}",
        stderr(&out)
    );
    let out = run_mini(dir, &["--decimal", ".", "--thousands", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`.` cannot be both the decimal and the thousands separator"),
        "{}",
        stderr(&out)
    );
    write(
        dir,
        "scoreline.yaml",
        "ruleset: rules.score\ndata:\n  contacts: contacts.csv\n  encoding: klingon\n",
    );
    let out = scoreline(&["run"], dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("data: `encoding`: `klingon` is not an encoding Scoreline knows"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn tab_separated_files_score_like_comma_separated_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    mini_project(dir);
    let out = run_mini(dir, &["--out", "comma.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for name in ["contacts.csv", "events.csv"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        write(dir, name, &text.replace(',', "\t"));
    }
    let out = run_mini(dir, &["--out", "tab.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.join("tab.csv")).unwrap(),
        std::fs::read_to_string(dir.join("comma.csv")).unwrap()
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::BufRead;
    // A rule file with many errors: its JSON is larger than a pipe holds.
    let tmp = tempfile::tempdir().unwrap();
    let rules: String = std::iter::once("schema {\n  contact { id: text }\n}\n".to_string())
        .chain((0..400).map(|i| format!("score s{i} = unknown_{i}\n")))
        .collect();
    std::fs::write(tmp.path().join("many.score"), rules).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scoreline"))
        .args(["check", "--format", "json", "many.score"])
        .current_dir(tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "[");
    // The reader is gone (like `| head -1`).
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn skip_bad_rows_is_offered_only_for_bad_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("rules.score"),
        "schema {\n  contact { id: text, employees: number }\n}\nscore s = employees\n",
    )
    .unwrap();
    // A file that is not there: setting rows aside would not help.
    let out = scoreline(
        &[
            "run",
            "--ruleset",
            "rules.score",
            "--contacts",
            "nope.csv",
            "--as-of",
            "2026-11-01",
        ],
        dir,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("nope.csv: cannot read the file: it does not exist"),
        "{stderr}"
    );
    assert!(!stderr.contains("--skip-bad-rows"), "{stderr}");
    // A bad row: it could be set aside.
    std::fs::write(dir.join("c.csv"), "id,employees\na,12\nb,many\n").unwrap();
    let out = scoreline(
        &[
            "run",
            "--ruleset",
            "rules.score",
            "--contacts",
            "c.csv",
            "--as-of",
            "2026-11-01",
        ],
        dir,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("c.csv:3, column 2 (`employees`)"),
        "{stderr}"
    );
    assert!(stderr.contains("--skip-bad-rows FILE"), "{stderr}");
}

#[test]
fn one_contact_is_one_contact() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("rules.score"), "score s = 1\n").unwrap();
    std::fs::write(dir.join("c.csv"), "id\na\n").unwrap();
    std::fs::write(
        dir.join("e.csv"),
        "contact_id,type,at\na,visit,2026-10-01\n",
    )
    .unwrap();
    let out = scoreline(
        &[
            "run",
            "--ruleset",
            "rules.score",
            "--contacts",
            "c.csv",
            "--events",
            "e.csv",
            "--as-of",
            "2026-11-01",
            "--out",
            "s.csv",
        ],
        dir,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("scored 1 contact (1 event) with rules "),
        "{stderr}"
    );
}

#[test]
fn fmt_says_what_it_did() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("a.score"), "score   s = 1\n").unwrap();
    let out = scoreline(&["fmt", "a.score"], dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("formatted `a.score`\nformatted 1 of 1 file"),
        "{stderr}"
    );
    let out = scoreline(&["fmt", "a.score"], dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 file already formatted, nothing rewritten"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0));
}

const STICKY: &str = r#"ruleset sticky
schema {
  contact { id: text, points: number }
}
score total { rule => points }
segment tier {
  "hot"  when total >= 70 keep when total >= 60 => "Call"
  "cold"
}
"#;

/// Runs the sticky rules (as `ruleset`) on `points` per contact, with `extra` arguments.
fn run_sticky(dir: &Path, ruleset: &str, points: &str, extra: &[&str]) -> Output {
    write(dir, "rules.score", &STICKY.replace("sticky", ruleset));
    write(dir, "contacts.csv", &format!("id,points\n{points}"));
    let mut args = vec![
        "run",
        "--ruleset",
        "rules.score",
        "--contacts",
        "contacts.csv",
        "--as-of",
        "2026-11-01",
    ];
    args.extend_from_slice(extra);
    scoreline(&args, dir)
}

#[test]
fn run_previous_keeps_a_label_while_the_keep_condition_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let first = run_sticky(dir, "sticky", "a,75\nb,65\n", &["--out", "first.csv"]);
    assert!(first.status.success(), "{}", stderr(&first));
    for previous in ["first.csv", "first.json"] {
        if previous == "first.json" {
            let o = run_sticky(dir, "sticky", "a,75\nb,65\n", &["--out", "first.json"]);
            assert!(o.status.success(), "{}", stderr(&o));
        }
        // a was hot and stays hot at 65; b was cold and stays cold at 65; c is new.
        let second = run_sticky(
            dir,
            "sticky",
            "a,65\nb,65\nc,65\n",
            &["--out", "second.csv", "--previous", previous],
        );
        assert!(second.status.success(), "{}", stderr(&second));
        assert!(!stderr(&second).contains("warning"), "{}", stderr(&second));
        let scores = std::fs::read_to_string(dir.join("second.csv")).unwrap();
        assert_eq!(
            scores, "id,total,tier,tier_action\na,65,hot,Call\nb,65,cold,\nc,65,cold,\n",
            "with {previous}"
        );
    }
    // Without --previous, `keep when` is ignored.
    let plain = run_sticky(dir, "sticky", "a,65\n", &["--out", "plain.csv"]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    let scores = std::fs::read_to_string(dir.join("plain.csv")).unwrap();
    assert_eq!(scores, "id,total,tier,tier_action\na,65,cold,\n");
}

#[test]
fn run_previous_of_another_ruleset_or_without_the_column_is_ignored_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let first = run_sticky(dir, "sticky", "a,75\n", &["--out", "first.csv"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let version = summary_version(&first);
    let other = run_sticky(
        dir,
        "other",
        "a,65\n",
        &["--out", "other.csv", "--previous", "first.csv"],
    );
    assert!(other.status.success(), "{}", stderr(&other));
    let err = stderr(&other);
    assert!(
        err.contains(&format!(
            "warning: the previous scores `first.csv` were written by ruleset `sticky` (version {version}), not `other` (version {})",
            summary_version(&other)
        )),
        "{err}"
    );
    assert!(err.contains("`keep when` is ignored"), "{err}");
    let scores = std::fs::read_to_string(dir.join("other.csv")).unwrap();
    assert_eq!(scores, "id,total,tier,tier_action\na,65,cold,\n");

    write(dir, "no_tier.csv", "id,total\na,75\n");
    let missing = run_sticky(
        dir,
        "sticky",
        "a,65\n",
        &["--out", "m.csv", "--previous", "no_tier.csv"],
    );
    assert!(missing.status.success(), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains(
            "warning: the previous scores `no_tier.csv` have no `tier` column: `keep when` in `tier` is ignored"
        ),
        "{}",
        stderr(&missing)
    );
    let scores = std::fs::read_to_string(dir.join("m.csv")).unwrap();
    assert_eq!(scores, "id,total,tier,tier_action\na,65,cold,\n");

    let absent = run_sticky(dir, "sticky", "a,65\n", &["--previous", "nope.csv"]);
    assert!(!absent.status.success());
    assert!(
        stderr(&absent).contains("error: cannot read the previous scores `nope.csv`"),
        "{}",
        stderr(&absent)
    );
}
