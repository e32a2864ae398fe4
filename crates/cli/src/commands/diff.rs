//! `scoreline diff`: what a rule change does, before it is merged (TRUST.md). Scores the
//! same contacts with two versions of a ruleset and shows what moved.

use scoreline_runner::failure::Message;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use scoreline_runner::diff::{self, text, Request, Version};

use crate::args::InputArgs;
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// Formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Tables for people.
    Text,
    /// One JSON object (TRUST.md), numbers unrounded, for tools.
    Json,
    /// A compact summary for a pull-request comment.
    Markdown,
}

/// `scoreline diff`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old version: a rule file, or `REV:PATH` read from git (`main:leads.score`).
    #[arg(value_name = "OLD")]
    pub old: Option<String>,
    /// The new version: a rule file, or `REV:PATH`.
    #[arg(value_name = "NEW")]
    pub new: Option<String>,
    /// In a project: compare the project's ruleset at this git revision with the working tree.
    #[arg(long, value_name = "REV")]
    pub rev: Option<String>,
    #[command(flatten)]
    pub inputs: InputArgs,
    /// How many of the largest increases and decreases to show per score.
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub top: usize,
    /// Exit 1 when more than PCT % of the contacts change label in any segment.
    #[arg(long, value_name = "PCT")]
    pub fail_if_moved: Option<f64>,
    /// What is printed (default: text on a terminal, else json).
    #[arg(long, value_enum)]
    pub format: Option<DiffFormat>,
    /// Also write the comparison as one self-contained HTML file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Take the base from this run of the score history (`scoreline history` shows run ids)
    /// instead of scoring an old version: the ruleset in force, as of that run's as-of,
    /// against what the run stored.
    #[arg(long, value_name = "RUN_ID")]
    pub base_run: Option<i64>,
    /// The score history `--base-run` reads (default: `output.history` of `scoreline.yaml`).
    #[arg(long, value_name = "URL")]
    pub history: Option<PathBuf>,
}

/// Runs `scoreline diff`.
pub fn run(args: DiffArgs) -> u8 {
    let versions = match (&args.old, &args.new) {
        (Some(old), Some(new)) => Some((Version::parse(old), Version::parse(new))),
        (Some(_), None) => {
            crate::render::error(&Message::new("`scoreline diff` needs two versions, the old and the new").help("such as `scoreline diff main:leads.score leads.score`, or `--rev main` alone in a project folder"));
            return EXIT_USAGE;
        }
        _ => None,
    };
    if let Some(pct) = args.fail_if_moved {
        if !(0.0..=100.0).contains(&pct) {
            crate::render::error(
                &Message::new(format!("`--fail-if-moved {pct}` is not a percentage"))
                    .help("give a number from 0 to 100, such as `--fail-if-moved 5`"),
            );
            return EXIT_USAGE;
        }
    }
    let request = Request {
        inputs: args.inputs.to_inputs(),
        versions,
        rev: args.rev.clone(),
        top: args.top,
        base_run: args.base_run,
        history: args.history.clone(),
    };
    let diffed = match diff::diff(&request) {
        Ok(d) => d,
        Err(failure) => return crate::render::fail(failure),
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        DiffFormat::Text
    } else {
        DiffFormat::Json
    });
    match format {
        DiffFormat::Text => out!("{}", text::render(&diffed)),
        DiffFormat::Json => out!("{}", diffed.to_json()),
        DiffFormat::Markdown => out!("{}", text::markdown(&diffed)),
    }
    if let Some(path) = &args.report {
        let html = scoreline_runner::report::diff_page(&diffed);
        if let Err(message) = scoreline_runner::report::write(path, &html) {
            crate::render::error(&message);
            return EXIT_ERRORS;
        }
        eprintln!("wrote the report to {}", path.display());
    }
    if let Some(pct) = args.fail_if_moved {
        let over = diffed.moved_over(pct);
        if !over.is_empty() {
            for (segment, share) in &over {
                crate::render::error(&Message::new(format!("{share:.1} % of the contacts change label in segment `{segment}`, more than `--fail-if-moved {pct}` allows")));
            }
            eprintln!("  = help: review the migration matrix above; raise the limit if the change is meant");
            return EXIT_ERRORS;
        }
    }
    EXIT_OK
}
