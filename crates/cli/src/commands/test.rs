//! `scoreline test [PATHS]`: runs ruleset test files and reports each case; `--coverage`
//! lists what no case fired; `--junit FILE` writes a report for CI.

use scoreline_runner::failure::Message;
use std::path::PathBuf;

use scoreline_ruletest::{self as ruletest, Report, Status};

use crate::args::{TestArgs, TestFormat};
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// Runs `scoreline test`.
pub fn run(args: TestArgs) -> u8 {
    if let Some(min) = args.min_coverage {
        if !(0.0..=100.0).contains(&min) {
            crate::render::error(
                &Message::new(format!("`--min-coverage {min}` is not a percentage"))
                    .help("give a number from 0 to 100, e.g. `--min-coverage 90`"),
            );
            return EXIT_USAGE;
        }
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let files = match ruletest::find_test_files(&paths) {
        Ok(f) => f,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_USAGE;
        }
    };
    if files.is_empty() {
        let searched: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        let near = ruletest::near_miss_test_files(&paths);
        let help = match near.first() {
            Some(_) => {
                let names: Vec<String> = near
                    .iter()
                    .take(5)
                    .map(|p| format!("`{}`", p.display()))
                    .collect();
                format!(
                    "test file names end in `.test.yaml` (or `.test.yml`): rename {}",
                    names.join(", ")
                )
            }
            None => "put test files beside the rule file or in a `tests/` folder next to it; docs/testing.md shows the format".to_string(),
        };
        crate::render::error(
            &Message::new(format!(
                "no test files (`*.test.yaml`) found in {}",
                searched.join(", ")
            ))
            .help(help.to_string()),
        );
        return EXIT_USAGE;
    }
    let report = ruletest::run(&files);
    let coverage_wanted = args.coverage || args.min_coverage.is_some();
    let (covered, total) = report.coverage_totals();
    let percent = if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    };
    match args.format {
        TestFormat::Text => print_text(&report, coverage_wanted, percent, covered, total),
        TestFormat::Json => print_json(&report, coverage_wanted, percent, covered, total),
    }
    let mut code = if report.failed() > 0 {
        EXIT_ERRORS
    } else {
        EXIT_OK
    };
    if let Some(path) = &args.junit {
        let xml = ruletest::junit::render(&report);
        if let Err(e) = std::fs::write(path, xml) {
            crate::render::error(&Message::new(format!(
                "cannot write `{}`: {}",
                path.display(),
                scoreline_runner::sources::io_reason(&e)
            )));
            code = EXIT_ERRORS;
        }
    }
    if let Some(min) = args.min_coverage {
        if percent + 1e-9 < min {
            crate::render::error(
                &Message::new(format!(
                    "coverage {} is below the minimum of {}%",
                    show_percent(percent),
                    show_number(min)
                ))
                .help("add cases that fire the clauses and arms listed above"),
            );
            code = EXIT_ERRORS;
        }
    }
    code
}

fn print_text(report: &Report, coverage: bool, percent: f64, covered: usize, total: usize) {
    let mut out = String::new();
    for file in &report.files {
        out.push_str(&file.file);
        out.push('\n');
        for p in &file.errors {
            out.push_str(&indent(&p.rendered, "  "));
        }
        for case in &file.cases {
            // A case not run because of its file's errors (shown once, above) says so.
            let not_run = case
                .errors
                .iter()
                .find(|p| p.message.starts_with("not run:"))
                .map(|p| format!(": {}", p.message));
            let line = match case.status {
                Status::Passed => format!("  ok     {}\n", case.name),
                Status::Failed => format!("  FAIL   {}  (line {})\n", case.name, case.line),
                Status::Error => format!(
                    "  ERROR  {}  (line {}){}\n",
                    case.name,
                    case.line,
                    not_run.as_deref().unwrap_or("")
                ),
            };
            out.push_str(&line);
            if case.status != Status::Passed && not_run.is_none() {
                out.push_str(&indent(&ruletest::details(case), "  "));
            }
        }
        out.push('\n');
    }
    if coverage {
        for c in &report.coverage {
            let n = c.items.len();
            let hit = c.items.iter().filter(|i| i.covered).count();
            let pct = if n == 0 {
                100.0
            } else {
                hit as f64 * 100.0 / n as f64
            };
            if hit == n {
                out.push_str(&format!(
                    "coverage of {}: {hit} of {n} ({})\n",
                    c.ruleset,
                    show_percent(pct)
                ));
            } else {
                out.push_str(&format!(
                    "coverage of {}: {hit} of {n} ({}); no case fired:\n",
                    c.ruleset,
                    show_percent(pct)
                ));
                for i in c.items.iter().filter(|i| !i.covered) {
                    let owner = if i.kind == "arm" { "segment" } else { "score" };
                    out.push_str(&format!(
                        "  {}:{}  {} ({owner} {})\n",
                        c.ruleset,
                        i.line,
                        i.describe(),
                        i.owner
                    ));
                }
            }
        }
        out.push_str(&format!(
            "coverage: {} ({covered} of {total} rules, each clauses and segment arms)\n\n",
            show_percent(percent)
        ));
    }
    out.push_str(&format!(
        "{} passed, {} failed\n",
        report.passed(),
        report.failed()
    ));
    out!("{out}");
}

fn print_json(report: &Report, coverage: bool, percent: f64, covered: usize, total: usize) {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("passed".into(), report.passed().into());
        map.insert("failed".into(), report.failed().into());
        if coverage {
            let rulesets = map.remove("coverage").unwrap_or_default();
            map.insert(
                "coverage".into(),
                serde_json::json!({
                    "percent": (percent * 10.0).floor() / 10.0,
                    "covered": covered,
                    "total": total,
                    "rulesets": rulesets,
                }),
            );
        } else {
            map.remove("coverage");
        }
    }
    outln!(
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    );
}

fn indent(text: &str, by: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(by);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A percentage with at most one decimal, rounded down (99.96% is not shown as 100%).
fn show_percent(p: f64) -> String {
    format!("{}%", show_number((p * 10.0 + 1e-9).floor() / 10.0))
}

fn show_number(x: f64) -> String {
    format!("{x}")
}
