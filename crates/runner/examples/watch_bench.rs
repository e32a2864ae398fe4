//! Latency of `scoreline watch`: from a file save to new outputs on disk.
//!
//! Starts the release binary on a project over a generated data set (with a change feed),
//! then, one change every 300 ms,
//! - edits the rule file N times (a point value flips), measuring save → scores file replaced;
//! - appends one event N times, opening and closing the file each time as most tools do
//!   (incremental rescoring), measuring the same;
//! - appends one event N times through a file kept open, as a logger does (the runner cannot
//!   tell when such a writer is done, so it waits for the debounce time).
//!
//! Reports the median (min–max) of each series, and the runner's own cycle times from its JSON
//! status lines.
//!
//! ```text
//! cargo run --release -p scoreline-data --example generate -- --contacts 100000 --seed 1 --out bench-data/100k
//! cargo build --release -p scoreline-cli
//! cargo run --release -p scoreline-runner --example watch_bench -- --data bench-data/100k --bin target/release/scoreline
//! ```

use std::io::{BufRead, BufReader, Write};
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const RULES: &str = r#"ruleset b2b_leads "B2B lead scoring"

schema {
  contact {
    id: text
    email: text
    industry: text
    role: text
    employees: number?
    country: text
    tags: list
    created_at: date
  }
  event page_view { url: text }
  event email_open {}
  event email_click {}
  event form_submit { form: text }
  event demo_request {}
  event unsubscribe {}
  event order { amount: number }
}

let days_inactive = days_since(last(any))

score fit "Profile fit" {
  rule "Target industry"  when industry in ["SaaS", "Retail", "Fintech"] => +15
  rule "Decision maker"   when lower(role) matches "(ceo|cmo|head|director|vp)" => +20
  rule "Mid-market"       when employees between 50 and 1000 => +10
  rule "Too small"        when employees < 10 => -10
  rule "France first"     when country == "FR" => +5
  clamp 0..50
}

score engagement "Engagement" {
  each page_view where url starts_with "/pricing" => +10 max 30 decay half_life 30d
  each page_view => +1 max 10 decay half_life 14d
  each email_click => +5 max 20 decay half_life 30d
  each form_submit where form == "whitepaper" => +10 within 180d
  rule "Demo requested"   when count(demo_request within 60d) > 0 => +40
  rule "Dormant"          when days_inactive > 90 => -20
  rule "Unsubscribed"     when count(unsubscribe) > 0 => -50
  clamp 0..60
}

score total "Lead score" = fit + engagement clamp 0..100

segment tier {
  "hot"  when total >= 70 => "Sales follow-up within 24h"
  "warm" when total >= 40 => "Nurturing sequence"
  "cold"                  => "Mass campaigns"
}
"#;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `median (min–max)` of a series, in whole milliseconds.
fn spread(v: &[f64]) -> String {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    format!("{:.0} ms ({min:.0}–{max:.0})", median(v.to_vec()))
}

/// The scores file's inode: it changes when the runner renames a new file over it.
#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.ino()).unwrap_or(0)
}

/// Elsewhere, the modification time stands in for the inode.
#[cfg(not(unix))]
fn inode(path: &Path) -> u64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

fn main() {
    let data = PathBuf::from(arg("--data").expect("pass --data DIR (from the generator)"));
    // Absolute: the runner is started in the project's folder.
    let bin = PathBuf::from(arg("--bin").unwrap_or_else(|| "target/release/scoreline".into()));
    let bin = bin
        .canonicalize()
        .unwrap_or_else(|e| panic!("no binary at {}: {e}", bin.display()));
    let edits: usize = arg("--edits").and_then(|n| n.parse().ok()).unwrap_or(15);
    let dir = std::env::temp_dir().join(format!("scoreline-watch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(data.join("contacts.csv"), dir.join("contacts.csv")).unwrap();
    std::fs::copy(data.join("events.csv"), dir.join("events.csv")).unwrap();
    std::fs::write(dir.join("rules.score"), RULES).unwrap();
    std::fs::write(
        dir.join("scoreline.yaml"),
        "ruleset: rules.score\ndata:\n  contacts: contacts.csv\n  events: events.csv\nas_of: 2026-11-01\noutput:\n  scores: out/scores.csv\n  changes: out/changes.ndjson\n",
    )
    .unwrap();
    let scores = dir.join("out/scores.csv");

    let mut child = Command::new(&bin)
        .args(["watch", "--format", "json"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect(
            "the scoreline binary runs (build it with `cargo build --release -p scoreline-cli`)",
        );
    let (tx, statuses) = mpsc::channel::<serde_json::Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let first = statuses.recv_timeout(Duration::from_secs(120)).unwrap();
    println!(
        "first run: {} contacts in {} ms",
        first["contacts"], first["ms"]
    );
    // Give the watch time to be set up after the first run.
    std::thread::sleep(Duration::from_millis(500));

    let wait_replaced = |before: u64, started: Instant| -> (f64, serde_json::Value) {
        loop {
            if inode(&scores) != before {
                let latency = started.elapsed().as_secs_f64() * 1000.0;
                let status = statuses.recv_timeout(Duration::from_secs(60)).unwrap();
                return (latency, status);
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no new outputs"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
    };

    let mut rule_latency = Vec::new();
    let mut rule_cycle = Vec::new();
    for i in 0..edits {
        let points = if i % 2 == 0 { "=> +16" } else { "=> +15" };
        let text = RULES.replace("=> +15", points);
        let before = inode(&scores);
        let started = Instant::now();
        std::fs::write(dir.join("rules.score"), text).unwrap();
        let (latency, status) = wait_replaced(before, started);
        rule_latency.push(latency);
        rule_cycle.push(status["ms"].as_f64().unwrap_or(0.0));
        std::thread::sleep(Duration::from_millis(300));
    }
    std::fs::write(dir.join("rules.score"), RULES).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    while statuses.try_recv().is_ok() {}

    let mut event_latency = Vec::new();
    let mut event_cycle = Vec::new();
    let mut incremental = 0;
    let event = |i: usize| {
        format!(
            "c{},page_view,2026-10-{:02}T10:00:00Z,/pricing,,\n",
            i * 7,
            1 + i % 28
        )
    };
    for i in 0..edits {
        let before = inode(&scores);
        let started = Instant::now();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("events.csv"))
            .unwrap();
        f.write_all(event(i).as_bytes()).unwrap();
        drop(f);
        let (latency, status) = wait_replaced(before, started);
        if status["incremental"] == true {
            incremental += 1;
        }
        event_latency.push(latency);
        event_cycle.push(status["ms"].as_f64().unwrap_or(0.0));
        std::thread::sleep(Duration::from_millis(300));
    }

    let mut open_latency = Vec::new();
    let mut open_incremental = 0;
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("events.csv"))
        .unwrap();
    for i in 0..edits {
        let before = inode(&scores);
        let started = Instant::now();
        log.write_all(event(edits + i).as_bytes()).unwrap();
        log.flush().unwrap();
        let (latency, status) = wait_replaced(before, started);
        if status["incremental"] == true {
            open_incremental += 1;
        }
        open_latency.push(latency);
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(log);

    println!(
        "rule edit → new scores: {} end to end (runner's cycle {}), {} edits",
        spread(&rule_latency),
        spread(&rule_cycle),
        edits
    );
    println!(
        "event appended, file closed → new scores: {} end to end (runner's cycle {}), {incremental}/{} incremental",
        spread(&event_latency),
        spread(&event_cycle),
        edits
    );
    println!(
        "event appended, file kept open → new scores: {} end to end, {open_incremental}/{} incremental",
        spread(&open_latency),
        edits
    );
    let feed = std::fs::read_to_string(dir.join("out/changes.ndjson")).unwrap_or_default();
    println!("change feed: {} lines", feed.lines().count());
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
