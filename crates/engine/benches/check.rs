//! Parse + check time of a generated 10,000-line rule file.
//!
//! Run: `cargo bench -p scoreline-engine --bench check`. Std only: the file is generated
//! deterministically, parsed and checked after a warm-up, and the median, min and max of the
//! timed iterations are printed in milliseconds.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use scoreline_engine::check::{check, CheckOptions, NoPlugins};
use scoreline_syntax::SourceFile;

const LINES: usize = 10_000;
const WARM_UP: usize = 3;
const ITERATIONS: usize = 20;

/// A small deterministic generator (64-bit LCG), so every run checks the same file.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const NUMBER_FIELDS: usize = 12;
const TEXT_FIELDS: usize = 12;
const EVENTS: usize = 16;

/// A realistic rule file: a schema, then lets, block scores, expression scores and segments
/// with varied expressions, until it has `LINES` lines. Every name it uses is declared.
fn generate() -> String {
    let mut rng = Lcg(0x5c0e_11fe);
    let mut out = String::from("# Generated for the checker benchmark.\nruleset bench \"Benchmark\"\n\nschema {\n  contact {\n");
    for i in 0..NUMBER_FIELDS {
        let _ = writeln!(out, "    n{i}: number?");
    }
    for i in 0..TEXT_FIELDS {
        let _ = writeln!(out, "    t{i}: text");
    }
    out.push_str("    tags: list\n    created_at: date\n    vip: bool\n  }\n");
    for e in 0..EVENTS {
        let _ = writeln!(
            out,
            "  event e{e} {{ url: text, amount: number, kind: text }}"
        );
    }
    out.push_str("}\n\n");

    let mut lines = out.lines().count();
    let mut scores: Vec<String> = Vec::new();
    let mut lets: Vec<String> = Vec::new();
    let mut k = 0;
    while lines < LINES {
        k += 1;
        // Two lets, used by the score that follows.
        for j in 0..2 {
            let name = format!("l{k}_{j}");
            let value = match rng.below(5) {
                0 => format!("days_since(last(e{}))", rng.below(EVENTS)),
                1 => format!(
                    "sum(e{}.amount within {}d)",
                    rng.below(EVENTS),
                    30 + rng.below(300)
                ),
                2 => format!(
                    "coalesce(n{}, 0) * {} + len(tags)",
                    rng.below(NUMBER_FIELDS),
                    1 + rng.below(9)
                ),
                3 => format!(
                    "count(e{} where url starts_with \"/p{}\" and amount > {})",
                    rng.below(EVENTS),
                    rng.below(50),
                    rng.below(1000)
                ),
                _ => format!(
                    "max(n{}, n{}) - min(n{}, 3)",
                    rng.below(NUMBER_FIELDS),
                    rng.below(NUMBER_FIELDS),
                    rng.below(NUMBER_FIELDS)
                ),
            };
            let _ = writeln!(out, "let {name} = {value}");
            lines += 1;
            lets.push(name);
        }
        let score = format!("s{k}");
        let _ = writeln!(out, "\nscore {score} \"Score {k}\" {{");
        lines += 2;
        // Every let is used (an unused one would be warned about).
        let _ = writeln!(
            out,
            "  rule \"uses lets\" when {} > {} and {} >= 0 => +{}",
            lets[lets.len() - 2],
            rng.below(100),
            lets[lets.len() - 1],
            1 + rng.below(9)
        );
        lines += 1;
        let clauses = 6 + rng.below(8);
        for c in 0..clauses {
            let line = match rng.below(9) {
                0 => format!("  rule \"r{c}\" when t{} in [\"SaaS\", \"Retail\", \"Fintech\"] => +{}", rng.below(TEXT_FIELDS), 1 + rng.below(20)),
                1 => format!("  rule \"r{c}\" when lower(t{}) matches \"(ceo|cmo|vp{})\" => +{}", rng.below(TEXT_FIELDS), rng.below(10), 1 + rng.below(20)),
                2 => format!("  rule \"r{c}\" when n{} between {} and {} => -{}", rng.below(NUMBER_FIELDS), rng.below(50), 100 + rng.below(900), 1 + rng.below(20)),
                3 => format!("  rule when {} > {} and vip => +{}", lets[lets.len() - 1], rng.below(100), 1 + rng.below(9)),
                4 => format!("  rule when {} < {} or tags contains \"vip\" => +{}", lets[lets.len() - 2], rng.below(100), 1 + rng.below(9)),
                5 => format!("  each e{} where url starts_with \"/pricing\" => +{} max {} decay half_life {}d", rng.below(EVENTS), 1 + rng.below(10), 10 + rng.below(40), 7 + rng.below(60)),
                6 => format!("  each e{} where amount > {} and contact.t{} == \"FR\" => (amount / 100) max 50 within {}d", rng.below(EVENTS), rng.below(500), rng.below(TEXT_FIELDS), 30 + rng.below(300)),
                7 => format!("  rule when days_since(created_at) > {} => -{}", rng.below(400), 1 + rng.below(9)),
                _ => format!("  rule when count(e{} within {}d) > {} => +{}", rng.below(EVENTS), 1 + rng.below(90), rng.below(5), 1 + rng.below(40)),
            };
            out.push_str(&line);
            out.push('\n');
        }
        let _ = writeln!(out, "  clamp 0..{}\n}}\n", 50 + rng.below(100));
        lines += clauses + 3;
        scores.push(score);
        if k % 4 == 0 {
            let a = &scores[rng.below(scores.len())];
            let b = &scores[rng.below(scores.len())];
            let _ = writeln!(out, "score x{k} = {a} + {b} * 0.5 clamp 0..100\n");
            let _ = writeln!(
                out,
                "segment g{k} {{\n  \"hot\" when x{k} >= 70 => \"call\"\n  \"warm\" when x{k} >= 40 => \"nurture\"\n  \"cold\" => \"mass\"\n}}\n"
            );
            lines += 8;
        }
    }
    out
}

fn main() {
    let text = generate();
    let file = Arc::new(SourceFile::new("bench.score", text));
    let options = CheckOptions {
        plugins: &NoPlugins,
    };
    let run = || {
        let ast = scoreline_syntax::parse(&file).expect("the generated file parses");
        check(&file, &ast, &options)
    };
    let checked = run();
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let mut codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(
        errors,
        0,
        "the generated file must be valid:\n{}",
        scoreline_syntax::diagnostic::render(
            &checked.diagnostics[..checked.diagnostics.len().min(3)]
        )
    );
    for _ in 1..WARM_UP {
        run();
    }
    let mut times: Vec<f64> = Vec::new();
    let mut parse_times: Vec<f64> = Vec::new();
    for _ in 0..ITERATIONS {
        let start = Instant::now();
        let ast = scoreline_syntax::parse(&file).expect("the generated file parses");
        let parsed = start.elapsed().as_secs_f64() * 1000.0;
        std::hint::black_box(check(&file, &ast, &options));
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        parse_times.push(parsed);
    }
    parse_times.sort_by(f64::total_cmp);
    times.sort_by(f64::total_cmp);
    println!(
        "check: parse + check of {} lines ({} KiB, {} items, {} warnings {codes:?}): median {:.2} ms, min {:.2} ms, max {:.2} ms over {ITERATIONS} runs",
        file.text.lines().count(),
        file.text.len() / 1024,
        checked.symbols.items.len(),
        checked.diagnostics.len(),
        times[ITERATIONS / 2],
        times[0],
        times[ITERATIONS - 1]
    );
    println!(
        "check: of which parsing: median {:.2} ms",
        parse_times[ITERATIONS / 2]
    );
}
