//! End-to-end tests of `scoreline fit` through the binary, on data drawn from a known
//! logistic model (seeded, generated here): the fit recovers the model, is deterministic,
//! is stable when run on its own output, writes a file that checks and is formatted, and
//! says clearly what it cannot do.

use std::fmt::Write as _;
use std::path::Path;

mod common;
use common::{repo, scoreline, stderr, stdout};

use scoreline_runner::fit::split::{held_out, splitmix64};
use serde_json::Value;

/// The rule file fitted: `total` is a weighted sum of two block scores, one clause calls a
/// plugin, one never fires, one has no true effect.
const RULES: &str = r#"# Generated leads: the points below are guesses, the data knows better.
ruleset generated "Generated leads"

schema {
  contact { id: text, industry: text, role: text, employees: number, email: text, converted: bool? }
  event page_view { url: text }
}

plugin mailbox = "email_domain.rhai"

score fit "Profile fit" {
  rule "SaaS"         when industry == "SaaS"     => +10 # who we sell to
  rule "Senior"       when role == "vp"           => +10
  rule "Small"        when employees < 60         => -5
  rule "Free mailbox" when mailbox.is_free(email) => -15
  rule "Even size"    when employees % 2 == 0     => +5
  rule "Nowhere"      when industry == "Nowhere"  => +7
  rule "Size" => (employees / 100)
  clamp 0..50
}

score engagement "Engagement" {
  each page_view => +2 max 10 decay half_life 3650d
}

score total "Lead score" = fit + 0.5 * engagement clamp 0..100

segment tier {
  "hot"  when total >= 20 => "Call"
  "warm" when total >= 10
  "cold"
}
"#;

/// The true model: log-odds = -1.5 + 1.2 SaaS + 0.8 Senior - 0.6 Small - 0.7 Free
/// + 0.3 × employees / 100 + 0.25 × page views (at most 5), and nothing for an even size.
const TRUE: [(&str, f64); 5] = [
    ("Senior", 0.8),
    ("Small", -0.6),
    ("Free mailbox", -0.7),
    ("Even size", 0.0),
    ("Size", 0.3),
];
const TRUE_SAAS: f64 = 1.2;
const TRUE_VIEW: f64 = 0.25;

/// A seeded stream of uniform numbers in [0, 1).
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(1);
        (splitmix64(self.0) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes a project of `n` contacts drawn from the true model into `dir`; `separate` makes
/// the outcome exactly "industry is SaaS". Returns each contact's id and true log-odds.
fn generate(dir: &Path, n: usize, seed: u64, separate: bool) -> Vec<(String, f64, bool)> {
    std::fs::write(dir.join("rules.score"), RULES).unwrap();
    std::fs::copy(
        repo().join("plugins/email_domain.rhai"),
        dir.join("email_domain.rhai"),
    )
    .unwrap();
    let mut r = Draws(seed);
    let mut contacts = String::from("id,industry,role,employees,email,converted\n");
    let mut events = String::from("contact_id,type,at,url\n");
    let mut truth = Vec::new();
    for i in 0..n {
        let id = format!("c{i}");
        let saas = r.next() < 0.4;
        let vp = r.next() < 0.3;
        let employees = 5 + (r.next() * 200.0) as i64;
        let free = r.next() < 0.35;
        let views = (r.next() * 8.0) as usize;
        let logit = -1.5 + TRUE_SAAS * f64::from(u8::from(saas)) + 0.8 * f64::from(u8::from(vp))
            - 0.6 * f64::from(u8::from(employees < 60))
            - 0.7 * f64::from(u8::from(free))
            + 0.3 * employees as f64 / 100.0
            + TRUE_VIEW * views.min(5) as f64;
        let converted = if separate {
            saas
        } else {
            r.next() < 1.0 / (1.0 + (-logit).exp())
        };
        let email = if free {
            format!("{id}@gmail.com")
        } else {
            format!("{id}@acme{}.com", i % 7)
        };
        let industry = if saas { "SaaS" } else { "Retail" };
        let role = if vp { "vp" } else { "analyst" };
        let _ = writeln!(
            contacts,
            "{id},{industry},{role},{employees},{email},{converted}"
        );
        for v in 0..views {
            let _ = writeln!(
                events,
                "{id},page_view,2026-05-{:02}T10:00:00Z,/p{v}",
                1 + (v * 3) % 28
            );
        }
        truth.push((id, logit, converted));
    }
    std::fs::write(dir.join("contacts.csv"), contacts).unwrap();
    std::fs::write(dir.join("events.csv"), events).unwrap();
    truth
}

const DATA: [&str; 6] = [
    "--ruleset",
    "rules.score",
    "--contacts",
    "contacts.csv",
    "--events",
    "events.csv",
];

/// Runs `fit` on the generated project with `extra` flags; the JSON report and the status.
fn fit(dir: &Path, extra: &[&str]) -> (Value, std::process::Output) {
    let mut args = vec!["fit"];
    args.extend(DATA);
    args.extend([
        "--as-of",
        "2026-06-01",
        "--outcome-field",
        "converted",
        "--format",
        "json",
    ]);
    if !extra.contains(&"--score") {
        args.extend(["--score", "total"]);
    }
    args.extend(extra);
    let out = scoreline(&args, dir);
    let json = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    (json, out)
}

fn clause<'a>(report: &'a Value, label: &str) -> &'a Value {
    report["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == label)
        .unwrap_or_else(|| panic!("no clause `{label}` in {report:#}"))
}

/// The Mann-Whitney AUC of `scores` against `outcomes`.
fn auc(pairs: &[(f64, bool)]) -> f64 {
    let (mut wins, mut pos, mut neg) = (0.0, 0.0, 0.0);
    for &(a, ya) in pairs {
        if !ya {
            neg += 1.0;
            continue;
        }
        pos += 1.0;
        for &(b, yb) in pairs {
            if !yb {
                wins += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    wins / (pos * neg)
}

#[test]
fn fit_recovers_the_true_model() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let truth = generate(dir, 5000, 11, false);
    let (report, out) = fit(dir, &["--out", "learned.score", "--seed", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The ratios of the weights to SaaS's, within 0.2 (the sampling error of 4,000 contacts
    // is about 0.1; the rounding to whole points adds less than 0.02).
    let saas = clause(&report, "SaaS")["new"].as_f64().unwrap();
    assert!(saas > 0.0);
    for (label, weight) in TRUE {
        let got = clause(&report, label)["new"].as_f64().unwrap() / saas;
        let want = weight / TRUE_SAAS;
        assert!(
            (got - want).abs() < 0.2,
            "{label}: ratio {got:.3}, true {want:.3}"
        );
    }
    // The page views count half in `total`: their points are twice their weight in it.
    let view = clause(&report, "each page_view")["new"].as_f64().unwrap() * 0.5 / saas;
    assert!(
        (view - TRUE_VIEW / TRUE_SAAS).abs() < 0.2,
        "views: {view:.3}"
    );
    // No true effect: its weight is not told apart from zero, and it gets 0 points.
    assert_eq!(clause(&report, "Even size")["status"], "zero");
    assert_eq!(clause(&report, "Even size")["new"], 0.0);
    // An expression's points get a multiplier of two significant digits.
    let size = clause(&report, "Size");
    assert_eq!(size["multiplier"], true);
    let learned = std::fs::read_to_string(dir.join("learned.score")).unwrap();
    let line = learned
        .lines()
        .find(|l| l.contains("rule \"Size\""))
        .unwrap();
    assert!(
        line.contains(&format!(
            "=> ({} * (employees / 100)) # fit: was the expression, fires for 100.0%",
            size["new"]
        )),
        "{line}"
    );
    // The plugin's clause is fitted like any other.
    assert_eq!(clause(&report, "Free mailbox")["status"], "fitted");
    // The clause that never fires is reported and left as it is.
    assert_eq!(clause(&report, "Nowhere")["status"], "never_varies");
    assert!(report["warnings"].as_array().unwrap().iter().any(|w| w
        .as_str()
        .unwrap()
        .starts_with("`Nowhere` in `fit` (line 17) never fires")));

    // The hold-out AUC of the new file reaches the true model's on the same contacts.
    let held: Vec<(f64, bool)> = truth
        .iter()
        .filter(|(id, _, _)| held_out(id, 3, 0.2))
        .map(|(_, logit, y)| (*logit, *y))
        .collect();
    assert_eq!(report["holdout"].as_u64().unwrap() as usize, held.len());
    let true_auc = auc(&held);
    let new_auc = report["comparison"]["auc_new"].as_f64().unwrap();
    let old_auc = report["comparison"]["auc_old"].as_f64().unwrap();
    assert!(
        new_auc >= true_auc - 0.01,
        "new {new_auc:.4}, true {true_auc:.4}"
    );
    assert!(new_auc > old_auc, "new {new_auc:.4}, old {old_auc:.4}");

    // The written file checks and is formatted, and keeps the author's text.
    let learned = std::fs::read_to_string(dir.join("learned.score")).unwrap();
    let check = scoreline(&["check", "learned.score"], dir);
    assert!(check.status.success(), "{}", stderr(&check));
    let fmt = scoreline(&["fmt", "--check", "learned.score"], dir);
    assert!(fmt.status.success(), "{}{}", stdout(&fmt), stderr(&fmt));
    insta::assert_snapshot!("learned", learned);
}

#[test]
fn the_same_seed_writes_the_same_file_and_a_refit_changes_nothing_beyond_the_step() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, 3000, 5, false);
    let (first, out) = fit(dir, &["--out", "a.score", "--seed", "9", "--threads", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // On one thread or several: the same bytes.
    let (_, out) = fit(dir, &["--out", "b.score", "--seed", "9", "--threads", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = std::fs::read(dir.join("a.score")).unwrap();
    assert_eq!(a, std::fs::read(dir.join("b.score")).unwrap());

    // Fit the fitted file again: every clause moves by at most one step.
    let mut args = vec!["fit", "--ruleset", "a.score"];
    args.extend(&DATA[2..]);
    args.extend([
        "--as-of",
        "2026-06-01",
        "--outcome-field",
        "converted",
        "--score",
        "total",
        "--format",
        "json",
        "--seed",
        "9",
        "--out",
        "c.score",
    ]);
    let out = scoreline(&args, dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let second: Value = serde_json::from_str(&stdout(&out)).unwrap();
    for (c1, c2) in first["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .zip(second["clauses"].as_array().unwrap())
    {
        let (p1, p2) = (c1["new"].as_f64().unwrap(), c2["new"].as_f64().unwrap());
        assert!((p1 - p2).abs() <= 1.0, "{}: {p1} then {p2}", c1["label"]);
        assert_eq!(c2["old"].as_f64().unwrap(), p1, "{}", c1["label"]);
    }
}

#[test]
fn the_written_comments_say_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, 3000, 5, false);
    let (_, out) = fit(dir, &["--out", "learned.score", "--report", "out/fit.html"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrote the report to out/fit.html"));
    let html = std::fs::read_to_string(dir.join("out/fit.html")).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    for banned in ["http://", "https://", "<script", "<link", "<img", "src="] {
        assert!(!html.contains(banned), "the report holds `{banned}`");
    }
    for needle in [
        "Points of total learned from",
        "<td>SaaS</td>",
        "Conversion per tier",
        "Thresholds moved",
    ] {
        assert!(html.contains(needle), "the report has no `{needle}`");
    }
    let learned = std::fs::read_to_string(dir.join("learned.score")).unwrap();
    let saas = learned.lines().find(|l| l.contains("\"SaaS\"")).unwrap();
    // The author's comment is kept, the fit's follows it.
    assert!(
        saas.contains("# who we sell to; fit: was +10, fires for "),
        "{saas}"
    );
    assert!(saas.contains("95% CI +"), "{saas}");
    let nowhere = learned.lines().find(|l| l.contains("\"Nowhere\"")).unwrap();
    assert!(nowhere.ends_with("=> +7"), "{nowhere}");
    let even = learned
        .lines()
        .find(|l| l.contains("\"Even size\""))
        .unwrap();
    assert!(even.contains("=> +0 # fit: was +5"), "{even}");
    assert!(even.ends_with("(not distinguishable from 0)"), "{even}");
    // The first comment, the decay and the segment's action are kept.
    assert!(learned.starts_with("# Generated leads: the points below are guesses"));
    assert!(learned.contains("decay half_life 3650d"));
    assert!(learned.contains("=> \"Call\""));
    // The text output names the diff command.
    let mut args = vec!["fit"];
    args.extend(DATA);
    args.extend(["--as-of", "2026-06-01", "--outcome-field", "converted"]);
    args.extend([
        "--score",
        "total",
        "--out",
        "again.score",
        "--format",
        "text",
    ]);
    let out = scoreline(&args, dir);
    let text = stdout(&out);
    assert!(text.contains("hold-out AUC of `total`: "), "{text}");
    assert!(
        text.contains("scoreline diff rules.score again.score --contacts contacts.csv --events events.csv --as-of 2026-06-01"),
        "{text}"
    );
}

#[test]
fn separated_data_gives_finite_points_and_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, 600, 2, true);
    let (report, out) = fit(dir, &["--out", "learned.score"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("note: the clauses separate the contacts who converted from the others perfectly: the regularisation keeps the points finite"),
        "{}",
        stderr(&out)
    );
    for c in report["clauses"].as_array().unwrap() {
        let p = c["new"].as_f64().unwrap();
        assert!(p.is_finite() && p.abs() < 1000.0, "{c}");
    }
    let check = scoreline(&["check", "learned.score"], dir);
    assert!(check.status.success(), "{}", stderr(&check));
}

#[test]
fn bad_inputs_get_clear_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, 80, 4, false);
    // Too few outcomes.
    let (_, out) = fit(dir, &["--out", "learned.score"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: too few outcomes to fit: ")
            && err.contains("  = help: a fit needs at least 50 of each"),
        "{err}"
    );
    assert!(!dir.join("learned.score").exists());

    // A score that is not a block score or a weighted sum.
    let rules = RULES.replace(
        "score total \"Lead score\" = fit + 0.5 * engagement clamp 0..100",
        "score total \"Lead score\" = fit * engagement",
    );
    std::fs::write(dir.join("rules.score"), rules).unwrap();
    let (_, out) = fit(dir, &["--out", "learned.score"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).lines().next().unwrap(),
        "error: `--score total` is not a block score or a weighted sum of block scores: `fit * engagement` is not a block score times a number"
    );
    std::fs::write(dir.join("rules.score"), RULES).unwrap();

    // The output is the input.
    let (_, out) = fit(dir, &["--out", "./rules.score"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim_end(),
        "error: `--out ./rules.score` is the rule file being fitted\n  = help: pass `--in-place` to overwrite it, or write to another file such as `--out learned.score`"
    );
    // Neither `--out` nor `--in-place`.
    let (_, out) = fit(dir, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: `fit` needs `--out FILE` or `--in-place`"));
    // A step the fit does not round to.
    let (_, out) = fit(dir, &["--out", "x.score", "--step", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: `--step 2` is not a rounding step"));
    // No outcome.
    let out = scoreline(
        &["fit", "--ruleset", "rules.score", "--score", "total"],
        dir,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: no outcome given: fit learns the points"));
}

#[test]
fn a_clause_at_0_points_is_fitted_when_it_is_a_rule_and_left_when_it_is_an_each() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, 2000, 6, false);
    let rules = RULES
        .replace("=> +10 # who we sell to", "=> 0 # who we sell to")
        .replace("each page_view => +2 max 10", "each page_view => 0 max 10");
    std::fs::write(dir.join("rules.score"), rules).unwrap();
    let (report, out) = fit(dir, &["--out", "learned.score"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(clause(&report, "SaaS")["status"], "fitted");
    assert!(clause(&report, "SaaS")["new"].as_f64().unwrap() > 10.0);
    assert_eq!(clause(&report, "each page_view")["status"], "unmeasured");
    assert!(stderr(&out).contains("note: `each page_view` in `engagement` (line 23) has 0 points, so what it counts cannot be read from its contribution: its points are left as they are (give it points to fit it)"), "{}", stderr(&out));
    let learned = std::fs::read_to_string(dir.join("learned.score")).unwrap();
    assert!(
        learned.contains("each page_view => +0 max 10 decay half_life 3650d\n"),
        "{learned}"
    );
}

#[test]
fn in_place_rewrites_the_rule_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    generate(dir, 2000, 8, false);
    let (report, out) = fit(dir, &["--in-place", "--score", "fit"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(report["score"], "fit");
    let written = std::fs::read_to_string(dir.join("rules.score")).unwrap();
    assert_ne!(written, RULES);
    assert!(written.contains("fit: was +10"), "{written}");
    let fmt = scoreline(&["fmt", "--check", "rules.score"], dir);
    assert!(fmt.status.success(), "{}", stdout(&fmt));
}
