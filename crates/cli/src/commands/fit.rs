//! `scoreline fit`: relearn the points of a score's clauses from outcomes and write the
//! same rule file with the new points (TRUST.md).

use scoreline_runner::failure::Message;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use scoreline_runner::fit::{self, text, Request};

use crate::args::InputArgs;
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// Formats of `fit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FitFormat {
    /// A summary for people.
    Text,
    /// One JSON object, numbers unrounded, for tools.
    Json,
}

/// `scoreline fit`
#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[command(flatten)]
    pub outcome: super::evaluate::OutcomeArgs,
    /// The score to fit: a block score, or a weighted sum of block scores.
    #[arg(long = "score", value_name = "NAME")]
    pub score: String,
    /// Write the fitted rule file here.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite the rule file itself.
    #[arg(long)]
    pub in_place: bool,
    /// Points that double the odds of the outcome.
    #[arg(long, value_name = "P", default_value_t = 20.0)]
    pub pdo: f64,
    /// Round the points to this step: 0.5, 1 or 5.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub step: f64,
    /// The share of contacts held out to measure the fit (0 fits on every contact).
    #[arg(long, value_name = "SHARE", default_value_t = 0.2)]
    pub holdout: f64,
    /// The seed of the hold-out split.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output format (default: text on a terminal, else json).
    #[arg(long, value_enum)]
    pub format: Option<FitFormat>,
    /// Also write the summary as one self-contained HTML file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// Runs `scoreline fit`.
pub fn run(args: FitArgs) -> u8 {
    let outcome = match super::evaluate::outcome_of(
        &args.outcome,
        "fit learns the points from what happened",
    ) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_USAGE;
        }
    };
    let request = Request {
        inputs: args.inputs.to_inputs(),
        outcome,
        score: args.score.clone(),
        out: args.out.clone(),
        in_place: args.in_place,
        pdo: args.pdo,
        step: args.step,
        holdout: args.holdout,
        seed: args.seed,
    };
    let fitted = match fit::fit(&request) {
        Ok(f) => f,
        Err(failure) => return crate::render::fail(failure),
    };
    if let Err(e) = std::fs::write(&fitted.out, &fitted.text) {
        crate::render::error(
            &Message::new(format!("cannot write `{}`: {e}", fitted.out.display()))
                .help("check that its folder exists and can be written to"),
        );
        return EXIT_ERRORS;
    }
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        FitFormat::Text
    } else {
        FitFormat::Json
    });
    match format {
        FitFormat::Text => out!("{}", text::render(&fitted)),
        FitFormat::Json => {
            out!("{}", fitted.to_json());
            for w in &fitted.report.warnings {
                eprintln!("note: {w}");
            }
        }
    }
    if let Some(path) = &args.report {
        let html = scoreline_runner::report::fit_page(&fitted);
        if let Err(message) = scoreline_runner::report::write(path, &html) {
            crate::render::error(&message);
            return EXIT_ERRORS;
        }
        eprintln!("wrote the report to {}", path.display());
    }
    EXIT_OK
}
