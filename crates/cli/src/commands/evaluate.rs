//! `scoreline evaluate`: the reality check. Scores the data as of a past day and compares
//! the scores and segments with what happened next (TRUST.md).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use scoreline_runner::evaluate::{self, parse_horizon, text, Outcome, Request};

use crate::args::InputArgs;
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// Formats of `evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvaluateFormat {
    /// Tables for people.
    Text,
    /// One JSON object (TRUST.md), numbers unrounded, for tools.
    Json,
}

/// What "converted" means, for `evaluate` and `fit`.
#[derive(Debug, Args)]
pub struct OutcomeArgs {
    /// The outcome is an event of this type after the as-of (with `--horizon`); it may come
    /// from any events file given, declared in the schema or not.
    #[arg(long, value_name = "TYPE")]
    pub outcome: Option<String>,
    /// How long after the as-of the outcome event counts: days or hours (`90d`, `12h`).
    #[arg(long, value_name = "D")]
    pub horizon: Option<String>,
    /// The outcome is this bool contact field: true positive, false negative, empty unknown.
    #[arg(long, value_name = "FIELD")]
    pub outcome_field: Option<String>,
}

/// `scoreline evaluate`
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[command(flatten)]
    pub outcome: OutcomeArgs,
    /// Report this score only; may be given several times (default: every score).
    #[arg(long = "score", value_name = "NAME")]
    pub scores: Vec<String>,
    /// How many buckets each score is split in (the language's `ntile` rule).
    #[arg(long, value_name = "B", default_value_t = 10)]
    pub bins: usize,
    /// Also score the same data as of this instant and report each score's drift (PSI).
    #[arg(long, value_name = "T0")]
    pub baseline_as_of: Option<String>,
    /// Take the baseline from this run of the score history (`scoreline history` lists run
    /// ids) instead of rescoring: each score's drift (PSI) since that run.
    #[arg(long, value_name = "RUN_ID")]
    pub baseline_run: Option<i64>,
    /// The score history `--baseline-run` reads (default: `output.history` of
    /// `scoreline.yaml`).
    #[arg(long, value_name = "URL")]
    pub history: Option<PathBuf>,
    /// What is printed (default: text on a terminal, else json).
    #[arg(long, value_enum)]
    pub format: Option<EvaluateFormat>,
    /// Also write the report as one self-contained HTML file.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// The outcome the flags describe.
fn outcome(args: &EvaluateArgs) -> Result<Outcome, String> {
    outcome_of(
        &args.outcome,
        "evaluate compares the scores with what happened",
    )
}

/// The outcome of `--outcome`, `--horizon` and `--outcome-field`; `purpose` says why one
/// is needed.
pub(crate) fn outcome_of(flags: &OutcomeArgs, purpose: &str) -> Result<Outcome, String> {
    let help_both = "  = help: pass `--outcome TYPE --horizon D` (an event after the as-of, such as `--outcome demo_request --horizon 90d`) or `--outcome-field FIELD` (a bool contact field)";
    match (&flags.outcome, &flags.horizon, &flags.outcome_field) {
        (Some(_), _, Some(_)) => Err(format!(
            "error: `--outcome` and `--outcome-field` cannot be used together\n{help_both}"
        )),
        (Some(t), Some(h), None) => Ok(Outcome::Event {
            event_type: t.clone(),
            horizon: h.trim().to_string(),
            horizon_ms: parse_horizon(h).map_err(|m| crate::render::message(&m))?,
        }),
        (Some(t), None, None) => Err(format!(
            "error: `--outcome {t}` needs `--horizon`\n  = help: say how long after the as-of the event counts, such as `--horizon 90d`"
        )),
        (None, Some(_), _) => Err(
            "error: `--horizon` goes with `--outcome TYPE`\n  = help: name the outcome event, such as `--outcome demo_request --horizon 90d`".into(),
        ),
        (None, None, Some(f)) => Ok(Outcome::Field(f.clone())),
        (None, None, None) => Err(format!(
            "error: no outcome given: {purpose}\n{help_both}"
        )),
    }
}

/// Runs `scoreline evaluate`.
pub fn run(args: EvaluateArgs) -> u8 {
    let outcome = match outcome(&args) {
        Ok(o) => o,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_USAGE;
        }
    };
    let request = Request {
        inputs: args.inputs.to_inputs(),
        outcome,
        scores: args.scores.clone(),
        bins: args.bins,
        baseline_as_of: args.baseline_as_of.clone(),
        baseline_run: args.baseline_run,
        history: args.history.clone(),
    };
    let evaluated = match evaluate::evaluate(&request) {
        Ok(e) => e,
        Err(failure) => return crate::render::fail(failure),
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        EvaluateFormat::Text
    } else {
        EvaluateFormat::Json
    });
    match format {
        EvaluateFormat::Text => out!("{}", text::render(&evaluated)),
        EvaluateFormat::Json => {
            out!("{}", evaluated.to_json());
            for n in evaluated.notes.iter().filter(|n| n.metric != "rate") {
                eprintln!("note: {} of `{}` is null: {}", n.metric, n.of, n.reason);
            }
        }
    }
    if let Some(path) = &args.report {
        let html = scoreline_runner::report::evaluate_page(&evaluated);
        if let Err(message) = scoreline_runner::report::write(path, &html) {
            crate::render::error(&message);
            return EXIT_ERRORS;
        }
        eprintln!("wrote the report to {}", path.display());
    }
    EXIT_OK
}
