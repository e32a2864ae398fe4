//! End-to-end tests of `scoreline watch`: the binary runs on a temporary project and the tests
//! wait on its status lines (NDJSON on stdout), never on fixed sleeps.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// How long to wait for one status line, even on a busy CI machine.
const PATIENCE: Duration = Duration::from_secs(30);

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

const PROJECT: &str = "ruleset: rules.score
data:
  contacts: contacts.csv
  events: events.csv
as_of: 2026-11-01
output:
  scores: out/scores.csv
  changes: out/changes.ndjson
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "scoreline.yaml", PROJECT);
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
    tmp
}

/// A running `scoreline watch --format json`.
struct Watch {
    child: Child,
    statuses: Receiver<Value>,
    stderr: Arc<Mutex<String>>,
    dir: PathBuf,
}

impl Watch {
    fn start(dir: &Path) -> Watch {
        Watch::start_with(dir, &[], "rescored")
    }

    fn start_expecting(dir: &Path, outcome: &str) -> Watch {
        Watch::start_with(dir, &[], outcome)
    }

    fn start_with(dir: &Path, extra: &[&str], outcome: &str) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scoreline"))
            .args(["watch", "--format", "json"])
            .args(extra)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let (tx, statuses) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("status line is not JSON ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let watch = Watch {
            child,
            statuses,
            stderr,
            dir: dir.to_path_buf(),
        };
        let first = watch.next();
        assert_eq!(first["changed"], serde_json::json!(["start"]), "{first}");
        assert_eq!(first["outcome"], outcome, "{first}\n{}", watch.stderr());
        // The watch is set up right after the first status; wait for its announcement.
        watch.wait_stderr("watching ");
        watch
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn wait_stderr(&self, text: &str) {
        let deadline = std::time::Instant::now() + PATIENCE;
        while !self.stderr().contains(text) {
            assert!(
                std::time::Instant::now() < deadline,
                "no `{text}` on stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The next status line.
    fn next(&self) -> Value {
        self.statuses.recv_timeout(PATIENCE).unwrap_or_else(|_| {
            panic!(
                "no status line within {PATIENCE:?}; stderr:\n{}",
                self.stderr()
            )
        })
    }

    /// The next status line about `file`.
    fn next_about(&self, file: &str) -> Value {
        loop {
            let status = self.next();
            if status["changed"].as_array().is_some_and(|c| {
                c.iter()
                    .any(|f| f.as_str().is_some_and(|f| f.ends_with(file)))
            }) {
                return status;
            }
        }
    }

    /// SIGTERM; the runner must exit 0 and leave no temporary file.
    fn stop(self) {
        self.stop_with("-TERM");
    }

    /// SIGINT, as Ctrl-C sends; the same clean stop.
    fn interrupt(self) {
        self.stop_with("-INT");
    }

    fn stop_with(mut self, signal: &str) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(killed.success());
        let deadline = std::time::Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the runner did not stop"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(status.code(), Some(0), "stderr:\n{}", self.stderr());
        for dir in [self.dir.clone(), self.dir.join("out")] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                assert!(!name.ends_with(".tmp"), "temporary file left: {name}");
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn edits_renames_deletions_and_recreations_are_picked_up() {
    let tmp = project();
    let dir = tmp.path();
    let watch = Watch::start(dir);
    assert!(read(dir, "out/scores.csv").contains("a,15,4,19,hot,Call"));

    // In place.
    write(dir, "rules.score", &RULES.replace("=> +10", "=> +20"));
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(s["score_changed"], 2, "{s}");
    assert_eq!(s["segment_changed"], 1, "{s}");
    assert_eq!(
        s["moves"],
        serde_json::json!([{"segment": "tier", "from": "cold", "to": "hot", "count": 1}])
    );
    assert!(read(dir, "out/scores.csv").contains("c,20,0,20,hot,Call"));

    // Save by rename, with an editor's swap file and vim's probe file around it.
    write(dir, ".rules.score.swp", "swap");
    write(dir, "4913", "");
    write(dir, "rules.score.new", &RULES.replace("=> +10", "=> +30"));
    std::fs::rename(dir.join("rules.score.new"), dir.join("rules.score")).unwrap();
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert!(read(dir, "out/scores.csv").contains("c,30,0,30,hot,Call"));

    // Deleted: the last good state stays.
    let before = read(dir, "out/scores.csv");
    std::fs::remove_file(dir.join("rules.score")).unwrap();
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "failed", "{s}");
    assert_eq!(read(dir, "out/scores.csv"), before);

    // Recreated.
    write(dir, "rules.score", &RULES.replace("=> +10", "=> +40"));
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert!(read(dir, "out/scores.csv").contains("c,40,0,40,hot,Call"));

    // A comment changes nothing.
    write(
        dir,
        "rules.score",
        &format!("# tuned\n{}", RULES.replace("=> +10", "=> +40")),
    );
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "unchanged", "{s}");
    watch.stop();
}

#[test]
fn polling_sees_saves_too() {
    let tmp = project();
    let dir = tmp.path();
    let watch = Watch::start_with(dir, &["--poll"], "rescored");
    write(dir, "rules.score.new", &RULES.replace("=> +10", "=> +20"));
    std::fs::rename(dir.join("rules.score.new"), dir.join("rules.score")).unwrap();
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert!(read(dir, "out/scores.csv").contains("c,20,0,20,hot,Call"));
    watch.interrupt();
}

#[test]
fn a_bad_edit_keeps_the_last_good_state_until_fixed() {
    let tmp = project();
    let dir = tmp.path();
    let watch = Watch::start(dir);
    let good = read(dir, "out/scores.csv");
    let bad = RULES.replace("industry == \"SaaS\"", "industy == \"SaaS\"");
    write(dir, "rules.score", &bad);
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "failed", "{s}");
    assert_eq!(read(dir, "out/scores.csv"), good, "outputs untouched");

    // The diagnostics are exactly those of `scoreline check`.
    let check = Command::new(env!("CARGO_BIN_EXE_scoreline"))
        .args(["check", "rules.score"])
        .current_dir(dir)
        .output()
        .unwrap();
    let check = String::from_utf8_lossy(&check.stderr);
    let diagnostics = check.rsplit_once("checked ").unwrap().0.trim_end();
    assert!(diagnostics.contains("industy"), "{check}");
    // Standard error is read by another thread: wait for the whole report.
    watch.wait_stderr(diagnostics);
    // The status line carries them as data, as `check --format json` gives them.
    let json = Command::new(env!("CARGO_BIN_EXE_scoreline"))
        .args(["check", "--format", "json", "rules.score"])
        .current_dir(dir)
        .output()
        .unwrap();
    let expected: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(s["diagnostics"], expected, "{s}");
    assert_eq!(s["diagnostics"][0]["line"], 7, "{s}");

    // A data change meanwhile is scored with the last good rules.
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\nb,SaaS,\nc,SaaS,50\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert!(s.get("diagnostics").is_none(), "{s}");
    assert!(read(dir, "out/scores.csv").contains("b,10,0,10,cold,Newsletter"));
    // A data problem: the status names the file, line and column.
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,many\nb,SaaS,\nc,SaaS,50\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "failed", "{s}");
    let d = &s["diagnostics"][0];
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("contacts.csv"), Some(2), Some(3)),
        "{s}"
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("`many` is not a number"),
        "{s}"
    );
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\nb,SaaS,\nc,SaaS,50\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");

    // The fix picks up from there.
    write(dir, "rules.score", &RULES.replace("=> +10", "=> +11"));
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert!(read(dir, "out/scores.csv").contains("b,11,0,11,cold,Newsletter"));
    watch.stop();
}

#[test]
fn a_runner_started_on_a_broken_rule_file_waits_for_the_fix() {
    let tmp = project();
    let dir = tmp.path();
    write(dir, "rules.score", "score broken {");
    let watch = Watch::start_expecting(dir, "failed");
    assert!(!dir.join("out/scores.csv").exists());
    // A data edit cannot help: still no good rules.
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\nb,SaaS,\nc,SaaS,50\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "failed", "{s}");
    write(dir, "rules.score", RULES);
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}\n{}", watch.stderr());
    assert!(read(dir, "out/scores.csv").contains("b,10,0,10,cold,Newsletter"));
    watch.stop();
}

#[test]
fn a_burst_of_saves_rescores_once_or_twice() {
    let tmp = project();
    let dir = tmp.path();
    // Saves closer together than the debounce time are a burst. 200 ms rather than the
    // default 50: on a busy CI machine this thread can stall for tens of milliseconds between
    // two saves, which would split the burst and test the machine, not the runner.
    let watch = Watch::start_with(dir, &["--debounce", "200"], "rescored");
    for i in 1..=50 {
        write(
            dir,
            "rules.score",
            &RULES.replace("=> +10", &format!("=> +{i}")),
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    // A later change to another file marks the end of the burst's statuses.
    let mut rescores = 0;
    let mut sentinel_sent = false;
    loop {
        let s = watch.next();
        let changed = s["changed"].to_string();
        if changed.contains("rules.score") {
            assert_eq!(s["outcome"], "rescored", "{s}");
            rescores += 1;
            if !sentinel_sent && read(dir, "out/scores.csv").contains("c,50,0,50,hot,Call") {
                sentinel_sent = true;
                write(
                    dir,
                    "contacts.csv",
                    "id,industry,employees\na,SaaS,500\nb,Retail,\nc,SaaS,51\n",
                );
            }
        } else if changed.contains("contacts.csv") {
            break;
        }
    }
    assert!(
        (1..=2).contains(&rescores),
        "{rescores} rescores for one burst"
    );
    watch.stop();
}

#[test]
fn data_and_plugin_edits_feed_the_change_log() {
    let tmp = project();
    let dir = tmp.path();
    let watch = Watch::start(dir);

    // A data edit.
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\nb,SaaS,\nc,SaaS,50\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(s["score_changed"], 1, "{s}");
    let feed = read(dir, "out/changes.ndjson");
    let lines: Vec<Value> = feed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{feed}");
    assert_eq!(lines[0]["id"], "b");
    assert_eq!(
        lines[0]["before"],
        serde_json::json!({"fit": 0, "engagement": 0, "total": 0, "tier": "cold"})
    );
    assert_eq!(
        lines[0]["after"],
        serde_json::json!({"fit": 10, "engagement": 0, "total": 10, "tier": "cold"})
    );
    assert_eq!(lines[0]["ruleset_version"], s["ruleset_version"]);
    assert_eq!(lines[0]["as_of"], "2026-11-01T00:00:00Z");
    assert!(lines[0]["time"].as_str().unwrap().starts_with("20"));

    // A plugin added to the rule file is watched.
    write(
        dir,
        "bonus.rhai",
        "fn bonus(industry) { if industry == \"SaaS\" { 1 } else { 0 } }\n",
    );
    let with_plugin = RULES.replace(
        "score fit {",
        "plugin p = \"bonus.rhai\"\nscore fit {\n  rule \"Bonus\" when p.bonus(industry) > 0 => +1",
    );
    write(dir, "rules.score", &with_plugin);
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}\n{}", watch.stderr());
    assert_eq!(s["score_changed"], 3, "{s}");
    write(dir, "bonus.rhai", "fn bonus(industry) { 0 }\n");
    let s = watch.next_about("bonus.rhai");
    assert_eq!(s["outcome"], "rescored", "{s}\n{}", watch.stderr());
    assert_eq!(s["score_changed"], 3, "{s}");
    assert!(read(dir, "out/scores.csv").contains("b,10,0,10,cold,Newsletter"));

    // Removed from the rule file: no longer watched.
    write(dir, "rules.score", RULES);
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}");
    write(dir, "bonus.rhai", "fn bonus(industry) { 5 }\n");
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\nb,Retail,\nc,SaaS,50\n",
    );
    let s = watch.next();
    assert_eq!(s["changed"], serde_json::json!(["contacts.csv"]), "{s}");
    // 1 (b) + 3 (plugin added) + 3 (plugin edited) + 0 (plugin removed) + 1 (b again).
    assert_eq!(read(dir, "out/changes.ndjson").lines().count(), 8);
    watch.stop();
}

#[test]
fn appended_events_rescore_incrementally_like_a_full_run() {
    let tmp = project();
    let dir = tmp.path();
    let watch = Watch::start(dir);
    // A full run's scores; its manifest must describe the same inputs as the watcher's.
    let full_run = |name: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_scoreline"))
            .args(["run", "--out", name])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Value =
            serde_json::from_str(&read(dir, &name.replace(".csv", ".manifest.json"))).unwrap();
        let ours = manifest(dir);
        for key in ["ruleset", "as_of", "inputs"] {
            assert_eq!(ours[key], theirs[key], "{key}");
        }
        read(dir, name)
    };
    let append = |text: &str| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("events.csv"))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };

    append("b,page_view,2026-10-05,/pricing\nb,page_view,2026-09-01,/docs\n");
    let s = watch.next_about("events.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(s["incremental"], true, "{s}");
    assert_eq!(s["rescored"], 1, "{s}");
    assert_eq!(s["score_changed"], 1, "{s}");
    assert_eq!(read(dir, "out/scores.csv"), full_run("full1.csv"));

    // Same time as an existing event, and a contact with events after the as-of.
    append("a,page_view,2026-10-01,/again\nc,page_view,2026-10-20,/now\n");
    let s = watch.next_about("events.csv");
    assert_eq!(s["incremental"], true, "{s}");
    assert_eq!(s["rescored"], 2, "{s}");
    assert_eq!(read(dir, "out/scores.csv"), full_run("full2.csv"));

    // An earlier line rewritten (same size) as a line is added: not an append, the whole
    // file is read again.
    let events = read(dir, "events.csv").replace("2026-10-05,/pricing", "2026-10-06,/pricing");
    write(
        dir,
        "events.csv",
        &format!("{events}a,page_view,2026-10-07,/docs\n"),
    );
    let s = watch.next_about("events.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(s["incremental"], false, "{s}");
    assert_eq!(read(dir, "out/scores.csv"), full_run("full3.csv"));
    append("b,page_view,2026-10-08,/pricing\n");
    let s = watch.next_about("events.csv");
    assert_eq!(s["incremental"], true, "{s}");
    assert_eq!(read(dir, "out/scores.csv"), full_run("full4.csv"));

    // An event for an unknown contact cannot be added incrementally: a full load reports it.
    append("zz,page_view,2026-10-20,/who\n");
    let s = watch.next_about("events.csv");
    assert_eq!(s["outcome"], "failed", "{s}");
    watch.wait_stderr("zz");
    watch.stop();
}

/// The SHA-256 of a file's bytes, in lowercase hex.
fn sha256_of(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn manifest(dir: &Path) -> Value {
    let text = read(dir, "out/scores.manifest.json");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

/// The manifest's inputs as `(path, sha256, rows)`.
fn inputs(manifest: &Value) -> Vec<(String, String, u64)> {
    manifest["inputs"]
        .as_array()
        .unwrap_or_else(|| panic!("{manifest}"))
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["sha256"].as_str().unwrap().to_string(),
                i["rows"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Each cycle that writes the outputs rewrites the manifest after them: the ruleset version
/// of the status line, the data files' hashes and records as they are on disk (rewritten or
/// appended to); a cycle that writes nothing leaves it as it was.
#[test]
fn the_manifest_follows_the_outputs() {
    let tmp = project();
    let dir = tmp.path();
    let watch = Watch::start(dir);
    let on_disk = |events: u64| {
        vec![
            (
                "contacts.csv".to_string(),
                sha256_of(&dir.join("contacts.csv")),
                3,
            ),
            (
                "events.csv".to_string(),
                sha256_of(&dir.join("events.csv")),
                events,
            ),
        ]
    };
    let m = manifest(dir);
    assert_eq!(m["as_of"], "2026-11-01T00:00:00Z");
    assert_eq!(m["ruleset"]["name"], "mini");
    assert_eq!(inputs(&m), on_disk(3));
    assert_eq!(
        m["outputs"],
        serde_json::json!([{"role": "scores", "path": "out/scores.csv", "format": "csv", "rows": 3}])
    );
    let version = m["ruleset"]["version"].clone();

    // A rule edit: a new version, written after the scores.
    write(dir, "rules.score", &RULES.replace("=> +10", "=> +20"));
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}");
    let m = manifest(dir);
    assert_ne!(m["ruleset"]["version"], version);
    assert_eq!(m["ruleset"]["version"], s["ruleset_version"]);
    let modified = |name: &str| {
        std::fs::metadata(dir.join(name))
            .unwrap()
            .modified()
            .unwrap()
    };
    assert!(modified("out/scores.manifest.json") >= modified("out/scores.csv"));

    // A bad edit, then a comment: nothing written, the manifest stays as it was.
    let good = read(dir, "out/scores.manifest.json");
    write(dir, "rules.score", "score broken {");
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "failed", "{s}");
    assert_eq!(read(dir, "out/scores.manifest.json"), good);
    write(
        dir,
        "rules.score",
        &format!("# tuned\n{}", RULES.replace("=> +10", "=> +20")),
    );
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "unchanged", "{s}");
    assert_eq!(read(dir, "out/scores.manifest.json"), good);

    // A data file rewritten: its new hash.
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\nb,SaaS,\nc,SaaS,50\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(inputs(&manifest(dir)), on_disk(3));

    // Lines appended, rescored incrementally: the whole file's hash and records.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("events.csv"))
            .unwrap();
        f.write_all(b"b,page_view,2026-10-05,/pricing\nb,page_view,2026-09-01,/docs\n")
            .unwrap();
    }
    let s = watch.next_about("events.csv");
    assert_eq!(s["incremental"], true, "{s}");
    assert_eq!(inputs(&manifest(dir)), on_disk(5));

    // A data file that fails to load, then a rule edit: rescored with the last good data,
    // which the manifest still describes (not the bytes now on disk).
    let good_inputs = on_disk(5);
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\na,SaaS,\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "failed", "{s}");
    write(dir, "rules.score", &RULES.replace("=> +10", "=> +30"));
    let s = watch.next_about("rules.score");
    assert_eq!(s["outcome"], "rescored", "{s}");
    let m = manifest(dir);
    assert_eq!(m["ruleset"]["version"], s["ruleset_version"]);
    assert_eq!(inputs(&m), good_inputs);
    watch.stop();
}

#[test]
fn a_european_export_is_watched_and_appended_to_like_any_other() {
    // `;` between cells, decimal commas, Windows-1252 (`é` is one byte), set in the project.
    let latin1 = |t: &str| -> Vec<u8> {
        t.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect()
    };
    let tmp = project();
    let dir = tmp.path();
    write(
        dir,
        "scoreline.yaml",
        &PROJECT.replace(
            "  events: events.csv\n",
            "  events: events.csv\n  decimal: \",\"\n  encoding: windows-1252\n",
        ),
    );
    std::fs::write(
        dir.join("contacts.csv"),
        latin1("id;industry;employees\na;SaaS;500,5\nb;Télécoms;\nc;SaaS;50\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("events.csv"),
        latin1(
            "contact_id;type;at;url\na;page_view;2026-10-01;/tarifs\na;page_view;2026-10-02;/été\n",
        ),
    )
    .unwrap();
    let watch = Watch::start(dir);
    assert!(read(dir, "out/scores.csv").contains("a,15,4,19,hot,Call"));
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("events.csv"))
            .unwrap();
        f.write_all(&latin1("b;page_view;2026-10-05;/café\n"))
            .unwrap();
    }
    let s = watch.next_about("events.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(s["incremental"], true, "{s}");
    assert_eq!(s["score_changed"], 1, "{s}");
    let out = Command::new(env!("CARGO_BIN_EXE_scoreline"))
        .args(["run", "--out", "full.csv"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read(dir, "out/scores.csv"), read(dir, "full.csv"));
    assert!(read(dir, "full.csv").contains("b,0,2,2,cold,Newsletter"));
    watch.stop();
}

#[test]
fn a_write_in_progress_waits_and_is_handled_once_the_file_is_closed() {
    let tmp = project();
    let dir = tmp.path();
    // A debounce of a minute: a change can only be handled before it once it is known to be
    // finished.
    let watch = Watch::start_with(dir, &["--debounce", "60000"], "rescored");

    // A file still open for writing is not read while it may change...
    use std::io::Write;
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("events.csv"))
        .unwrap();
    log.write_all(b"b,page_view,2026-10-05,/pricing\n").unwrap();
    log.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        watch.statuses.try_recv().is_err(),
        "a file still open for writing was handled before the debounce time"
    );
    // ...and is handled as soon as its writer closes it, well before the minute is up.
    drop(log);
    let s = watch.next_about("events.csv");
    assert_eq!(s["incremental"], true, "{s}");
    assert_eq!(s["rescored"], 1, "{s}");
    watch.stop();
}

#[test]
fn a_line_cut_off_in_the_change_feed_is_removed() {
    let tmp = project();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let whole = r#"{"id":"a","before":null,"after":null,"ruleset_version":"x","as_of":"2026-11-01T00:00:00Z","time":"2026-11-01T09:00:00.000Z"}"#;
    write(
        dir,
        "out/changes.ndjson",
        &format!("{whole}\n{{\"id\":\"b\",\"bef"),
    );
    let watch = Watch::start(dir);
    watch.wait_stderr("ended with an unfinished line");
    assert_eq!(read(dir, "out/changes.ndjson"), format!("{whole}\n"));
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,500\nb,SaaS,\nc,SaaS,50\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["feed_lines"], 1, "{s}");
    let feed = read(dir, "out/changes.ndjson");
    for line in feed.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert_eq!(feed.lines().count(), 2, "{feed}");
    watch.stop();
}

#[test]
fn appended_events_rescore_incrementally_with_population_functions() {
    let tmp = project();
    let dir = tmp.path();
    // Quartiles of visits: an appended visit moves the contact, and may move others.
    write(
        dir,
        "rules.score",
        r#"ruleset ranks "Ranks"
schema {
  contact { id: text, industry: text, employees: number? }
  event page_view { url: text }
}
let visits = count(page_view)
score quartile = ntile(visits, 4)
score rank = percent_rank(employees)
"#,
    );
    let mut contacts = String::from("id,industry,employees\n");
    let mut events = String::from("contact_id,type,at,url\n");
    for i in 0..12 {
        contacts += &format!("k{i},SaaS,{}\n", 10 * i);
        for d in 0..(i % 5) {
            events += &format!("k{i},page_view,2026-10-0{},/p\n", d + 1);
        }
    }
    write(dir, "contacts.csv", &contacts);
    write(dir, "events.csv", &events);
    let watch = Watch::start(dir);
    let full_run = |name: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_scoreline"))
            .args(["run", "--out", name])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        read(dir, name)
    };
    let append = |text: &str| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("events.csv"))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    // k0 had no visit: now 3, which moves it up a quartile and moves others' ranks.
    append("k0,page_view,2026-10-01,/a\nk0,page_view,2026-10-02,/b\nk0,page_view,2026-10-03,/c\n");
    let s = watch.next_about("events.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(s["incremental"], true, "{s}");
    // k0 and the contacts it overtook, not all twelve.
    let rescored = s["rescored"].as_u64().unwrap();
    assert!((2..12).contains(&rescored), "{s}");
    assert_eq!(read(dir, "out/scores.csv"), full_run("full1.csv"));
    // A visit that changes no contact's rank: only that contact is rescored.
    append("k4,page_view,2026-10-09,/d\n");
    let s = watch.next_about("events.csv");
    assert_eq!(s["incremental"], true, "{s}");
    assert_eq!(read(dir, "out/scores.csv"), full_run("full2.csv"));
    watch.stop();
}

#[test]
fn keep_when_reads_the_last_good_scoring() {
    let tmp = project();
    let dir = tmp.path();
    let sticky = RULES.replace(
        "\"hot\" when total >= 15 => \"Call\"",
        "\"hot\" when total >= 15 keep when total >= 12 => \"Call\"",
    );
    write(dir, "rules.score", &sticky);
    let watch = Watch::start(dir);
    // a: SaaS 10 + big 5 + two page views 4 = 19, hot.
    assert!(read(dir, "out/scores.csv").contains("a,15,4,19,hot,Call"));

    // a is no longer big: 14, under 15 but above the keep margin of 12: still hot. d, new
    // with the same 14 points... d has no events: 10. c stays as it was.
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,SaaS,50\nb,Retail,\nc,SaaS,50\nd,SaaS,500\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "rescored", "{s}\n{}", watch.stderr());
    let scores = read(dir, "out/scores.csv");
    assert!(scores.contains("a,10,4,14,hot,Call"), "{scores}");
    assert!(scores.contains("d,15,0,15,hot,Call"), "{scores}");

    // An appended event (the incremental path) keeps it too: c gets a page view (10 + 2 =
    // 12, never hot: not kept), a stays hot.
    let mut events = read(dir, "events.csv");
    events.push_str("c,page_view,2026-10-03,/pricing\n");
    write(dir, "events.csv", &events);
    let s = watch.next_about("events.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    let scores = read(dir, "out/scores.csv");
    assert!(scores.contains("c,10,2,12,cold,Newsletter"), "{scores}");
    assert!(scores.contains("a,10,4,14,hot,Call"), "{scores}");

    // Below the margin: a leaves the tier.
    write(
        dir,
        "contacts.csv",
        "id,industry,employees\na,Retail,50\nb,Retail,\nc,SaaS,50\nd,SaaS,500\n",
    );
    let s = watch.next_about("contacts.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert!(read(dir, "out/scores.csv").contains("a,0,4,4,cold,Newsletter"));
    watch.stop();
}

/// The accounts file (LANGUAGE.md §13) is watched like the other data files: a link that
/// breaks fails the cycle at its place and keeps the last good outputs; the fix rescores in
/// full, and an appended event too (never incrementally with accounts).
#[test]
fn the_accounts_file_is_watched() {
    let tmp = project();
    let dir = tmp.path();
    write(
        dir,
        "scoreline.yaml",
        &PROJECT.replace(
            "  events: events.csv\n",
            "  events: events.csv\n  accounts: accounts.csv\n",
        ),
    );
    write(
        dir,
        "rules.score",
        &RULES.replace(
            "employees: number? }",
            "employees: number?, account_id: text? }",
        ),
    );
    write(
        dir,
        "contacts.csv",
        "id,industry,employees,account_id\na,SaaS,500,acme\nb,Retail,,\nc,SaaS,50,globex\n",
    );
    write(dir, "accounts.csv", "id\nacme\nglobex\n");
    let watch = Watch::start(dir);
    let good = read(dir, "out/scores.csv");
    assert!(good.starts_with("id,fit,"), "{good}");
    let read_inputs = inputs(&manifest(dir));
    assert_eq!(read_inputs.len(), 3, "{read_inputs:?}");
    assert_eq!(read_inputs[2].0, "accounts.csv", "{read_inputs:?}");

    // `globex` goes away: contact `c` links to nothing.
    write(dir, "accounts.csv", "id\nacme\n");
    let s = watch.next_about("accounts.csv");
    assert_eq!(s["outcome"], "failed", "{s}");
    let d = &s["diagnostics"][0];
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("contacts.csv"), Some(4), Some(4)),
        "{s}"
    );
    assert_eq!(d["message"], "unknown account `globex`", "{s}");
    assert_eq!(read(dir, "out/scores.csv"), good, "outputs untouched");

    write(dir, "accounts.csv", "id\nacme\nglobex\ninitech\n");
    let s = watch.next_about("accounts.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(inputs(&manifest(dir))[2].2, 3, "three accounts read");

    // Appended events: a full rescore, with the same result as a run.
    let events = read(dir, "events.csv");
    write(
        dir,
        "events.csv",
        &format!("{events}c,page_view,2026-10-20,/pricing\n"),
    );
    let s = watch.next_about("events.csv");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_ne!(s["incremental"], true, "{s}");
    let run = Command::new(env!("CARGO_BIN_EXE_scoreline"))
        .args(["run", "--out", "out/run.csv"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(read(dir, "out/scores.csv"), read(dir, "out/run.csv"));
    watch.stop();
}

#[test]
fn a_sqlite_database_is_watched_like_the_files() {
    let tmp = project();
    let dir = tmp.path();
    // The contacts and the events in one SQLite file, the scores to a table of another.
    let db = rusqlite::Connection::open(dir.join("crm.db")).unwrap();
    db.execute_batch(
        "CREATE TABLE contacts (id TEXT, industry TEXT, employees INTEGER);
         INSERT INTO contacts VALUES ('a', 'SaaS', 500), ('b', 'Retail', NULL), ('c', 'SaaS', 50);
         CREATE TABLE events (contact_id TEXT, type TEXT, at TEXT, url TEXT);
         INSERT INTO events VALUES ('a', 'page_view', '2026-10-01', '/pricing'),
           ('a', 'page_view', '2026-10-02', '/blog'), ('c', 'page_view', '2026-12-01', '/future');",
    )
    .unwrap();
    write(
        dir,
        "scoreline.yaml",
        &PROJECT
            .replace(
                "  contacts: contacts.csv\n  events: events.csv\n",
                "  contacts: sqlite:crm.db?table=contacts\n  events: sqlite:crm.db?table=events\n",
            )
            .replace(
                "  scores: out/scores.csv\n",
                "  scores: sqlite:out/scores.db?table=scores\n  history: sqlite:out/history.db\n",
            ),
    );
    let watch = Watch::start(dir);
    let scores = || -> Vec<(String, f64, String)> {
        let out = rusqlite::Connection::open(dir.join("out/scores.db")).unwrap();
        let mut stmt = out
            .prepare("SELECT id, total, tier FROM scores ORDER BY id")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert_eq!(
        scores(),
        [
            ("a".to_string(), 19.0, "hot".to_string()),
            ("b".to_string(), 0.0, "cold".to_string()),
            ("c".to_string(), 10.0, "cold".to_string())
        ]
    );
    // An event committed to the database: `c` has one more page view, and is hot.
    db.execute_batch(
        "INSERT INTO events VALUES ('c', 'page_view', '2026-10-20', '/pricing'),
           ('c', 'page_view', '2026-10-21', '/docs'), ('c', 'page_view', '2026-10-22', '/demo');",
    )
    .unwrap();
    let s = watch.next_about("crm.db");
    assert_eq!(s["outcome"], "rescored", "{s}\n{}", watch.stderr());
    assert_eq!(s["score_changed"], 1, "{s}");
    assert_eq!(scores()[2], ("c".to_string(), 16.0, "hot".to_string()));
    let feed = read(dir, "out/changes.ndjson");
    assert_eq!(feed.lines().count(), 1, "{feed}");
    assert!(feed.contains("\"id\":\"c\""), "{feed}");
    // The history names the tables read, with their rows' hash, for each cycle appended.
    let history = rusqlite::Connection::open(dir.join("out/history.db")).unwrap();
    let runs: Vec<String> = history
        .prepare("SELECT inputs FROM scoreline_runs ORDER BY run_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let inputs: Value = serde_json::from_str(&runs[1]).unwrap();
    assert_eq!(inputs[1]["path"], "sqlite:crm.db?table=events", "{inputs}");
    assert_eq!(inputs[1]["rows"], 6, "{inputs}");
    let before: Value = serde_json::from_str(&runs[0]).unwrap();
    assert_eq!(
        before[0]["sha256"], inputs[0]["sha256"],
        "the contacts did not change"
    );
    assert_ne!(before[1]["sha256"], inputs[1]["sha256"], "the events did");
    // A contact's industry changes: both tables are read again, the scores follow.
    db.execute("UPDATE contacts SET industry = 'Retail' WHERE id = 'a'", [])
        .unwrap();
    let s = watch.next_about("crm.db");
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert_eq!(scores()[0], ("a".to_string(), 9.0, "cold".to_string()));
    // A table that goes away: the failure is named, the scores stay as they were.
    db.execute_batch("ALTER TABLE events RENAME TO events_old")
        .unwrap();
    let s = watch.next_about("crm.db");
    assert_eq!(s["outcome"], "failed", "{s}");
    assert!(
        watch.stderr().contains("has no table `events`"),
        "{}",
        watch.stderr()
    );
    assert_eq!(scores()[0], ("a".to_string(), 9.0, "cold".to_string()));
    drop(db);
    watch.stop();
}

#[test]
fn a_postgresql_input_is_refused_with_what_to_do_instead() {
    let tmp = project();
    let dir = tmp.path();
    let out = Command::new(env!("CARGO_BIN_EXE_scoreline"))
        .args([
            "watch",
            "--contacts",
            "postgres://ops:secret@db.example:5432/crm?table=contacts",
        ])
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`scoreline watch` follows files and SQLite databases, not a PostgreSQL server (`postgres://ops@db.example:5432/crm?table=contacts`)"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
    assert!(
        stderr.contains("run `scoreline run` on a schedule"),
        "{stderr}"
    );
}

#[test]
fn a_sqlite_database_in_wal_mode_is_watched_without_waking_on_its_own_reads() {
    sqlite_in_wal_mode(&[]);
}

#[test]
fn a_sqlite_database_in_wal_mode_is_polled_without_waking_on_its_own_reads() {
    sqlite_in_wal_mode(&["--poll"]);
}

/// An application writing to a SQLite database in WAL mode while `watch` (with `extra`)
/// scores from it.
fn sqlite_in_wal_mode(extra: &[&str]) {
    let tmp = project();
    let dir = tmp.path();
    let open = || rusqlite::Connection::open(dir.join("crm.db")).unwrap();
    let db = open();
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE contacts (id TEXT, industry TEXT, employees INTEGER);
         INSERT INTO contacts VALUES ('a', 'SaaS', 500), ('b', 'Retail', NULL);
         CREATE TABLE events (contact_id TEXT, type TEXT, at TEXT, url TEXT);",
    )
    .unwrap();
    // Closed: the log is moved into the database and removed, as an application does.
    drop(db);
    write(
        dir,
        "scoreline.yaml",
        &PROJECT.replace(
            "  contacts: contacts.csv\n  events: events.csv\n",
            "  contacts: sqlite:crm.db?table=contacts\n  events: sqlite:crm.db?table=events\n",
        ),
    );
    let watch = Watch::start_with(dir, extra, "rescored");
    // An application keeps its connection open and commits into the log, which stays. Reading
    // the database touches the log's files, which must not wake the runner up again and again.
    let app = open();
    for (n, at) in ["2026-10-01", "2026-10-02"].iter().enumerate() {
        app.execute(
            "INSERT INTO events VALUES ('b', 'page_view', ?1, '/pricing')",
            [at],
        )
        .unwrap();
        let mut unchanged = 0;
        let s = loop {
            let s = watch.next_about("crm.db");
            if s["outcome"] != "unchanged" {
                break s;
            }
            unchanged += 1;
        };
        assert_eq!(s["outcome"], "rescored", "{s}\n{}", watch.stderr());
        assert!(unchanged <= 1, "{unchanged} cycles woken by its own reads");
        let scores = read(dir, "out/scores.csv");
        let b = scores.lines().find(|l| l.starts_with("b,")).unwrap();
        assert!(b.starts_with(&format!("b,0,{},", 2 * (n + 1))), "{scores}");
    }
    // The application closes: the log is moved into the database (a change of the files, not
    // of the rows), then a last write by a connection of its own.
    drop(app);
    let db = open();
    db.execute(
        "INSERT INTO events VALUES ('b', 'page_view', '2026-10-03', '/pricing')",
        [],
    )
    .unwrap();
    drop(db);
    let s = loop {
        let s = watch.next_about("crm.db");
        if s["outcome"] != "unchanged" {
            break s;
        }
    };
    assert_eq!(s["outcome"], "rescored", "{s}");
    assert!(read(dir, "out/scores.csv").contains("\nb,0,6,"));
    // Then nothing moves: the cycles until a change of the rule file are at most the one the
    // last write's log removal gives. A runner woken by its own reads would cycle on and on;
    // the pause gives such a loop the time to show (a correct runner prints nothing in it,
    // however long it is).
    std::thread::sleep(Duration::from_millis(500));
    write(dir, "rules.score", &format!("{RULES}# a comment\n"));
    let mut between = 0;
    loop {
        let s = watch.next();
        let changed = s["changed"].as_array().cloned().unwrap_or_default();
        if changed.iter().any(|c| c == "rules.score") {
            break;
        }
        between += 1;
        assert!(between <= 1, "{between} cycles with nothing changed: {s}");
    }
    watch.stop();
}
