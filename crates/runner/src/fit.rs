//! `scoreline fit`: relearn the points of the clauses behind a score from outcomes, and
//! write the same rule file with the new points (TRUST.md).
//!
//! The pipeline: one scoring of the data that also keeps every clause's contribution
//! ([`scoreline_engine::Plan::score_with_contributions`]); features (a clause's contribution
//! over its points); a seeded hold-out split; an L2-regularised logistic regression
//! ([`solver`]); points by the scorecard scaling (`pdo / ln 2` points per unit of log-odds),
//! rounded to the step; the source text edited at the points' spans ([`edit`]); and one
//! scoring with the new file, for the hold-out AUC and the conversion per tier.

pub mod edit;
mod learn;
pub mod solver;
pub mod split;
pub mod target;
pub mod text;

use crate::failure::{Message, Problem};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::evaluate::metrics::{self, ScoreColumn};
use crate::evaluate::{load_data, segment_columns, Outcome, OutcomeJson, RulesetRef};
use crate::pipeline::{check_source, load_ruleset, resolve, Failure, Ruleset};
use crate::sources::PluginFiles;
use crate::Inputs;

use learn::Learned;

/// The fewest converted (and not converted) contacts a fit accepts.
pub const MIN_EACH_OUTCOME: usize = 50;

/// What to fit, besides the inputs shared with `run`.
#[derive(Debug, Clone)]
pub struct Request {
    pub inputs: Inputs,
    pub outcome: Outcome,
    /// `--score NAME`.
    pub score: String,
    /// `--out FILE`; `None` with `--in-place`.
    pub out: Option<PathBuf>,
    pub in_place: bool,
    /// Points to double the odds.
    pub pdo: f64,
    /// The rounding step of the points: 0.5, 1 or 5.
    pub step: f64,
    /// The share of contacts held out (0 to below 1).
    pub holdout: f64,
    pub seed: u64,
}

/// What became of one clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// New points (or the same, when the fit agrees).
    Fitted,
    /// Its weight is not distinguishable from zero: 0 points.
    Zero,
    /// Its feature is the same for every contact fitted on: left as it is.
    NeverVaries,
    /// Its points are 0, so its feature cannot be read from its contribution: left as it is.
    Unmeasured,
}

/// One clause's fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseFit {
    pub score: String,
    pub label: String,
    pub line: usize,
    pub status: Status,
    /// The points (or the multiplier of an expression) before and after.
    pub old: f64,
    pub new: f64,
    /// Whether the points are a multiplier of an expression.
    pub multiplier: bool,
    /// The share of all contacts it fires for (its feature is not 0).
    pub fires: f64,
    /// The weight's 95 % confidence interval, in points (absent when not fitted).
    pub interval: Option<(f64, f64)>,
}

/// A clamp the fit widened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClampChange {
    pub score: String,
    pub old: (f64, f64),
    pub new: (f64, f64),
}

/// A segment threshold moved to keep its share of contacts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdMove {
    pub segment: String,
    pub label: String,
    pub score: String,
    pub op: String,
    pub old: f64,
    pub new: f64,
    /// The share of contacts on the arm's side of the threshold, before and after.
    pub share_old: f64,
    pub share_new: f64,
}

/// The old and the new file's numbers on the hold-out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub auc_old: Option<f64>,
    pub auc_new: Option<f64>,
    pub segments: Vec<TierComparison>,
}

/// A segment's conversion per label, old and new, on the hold-out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierComparison {
    pub name: String,
    pub old: Vec<metrics::LabelStats>,
    pub new: Vec<metrics::LabelStats>,
}

/// The JSON report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub ruleset: RulesetRef,
    pub as_of: String,
    pub outcome: OutcomeJson,
    pub score: String,
    pub out: String,
    pub contacts: usize,
    /// Contacts fitted on (outcome known, not held out) and their positives.
    pub training: usize,
    pub training_positives: usize,
    /// Contacts held out with a known outcome, and their positives.
    pub holdout: usize,
    pub holdout_positives: usize,
    pub seed: u64,
    pub pdo: f64,
    pub step: f64,
    /// The hold-out share asked for.
    pub holdout_share: f64,
    pub comparison: Comparison,
    pub clauses: Vec<ClauseFit>,
    pub clamps: Vec<ClampChange>,
    pub thresholds: Vec<ThresholdMove>,
    pub warnings: Vec<String>,
    pub diff_command: String,
}

/// A fit: the report and the new rule file's text.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub report: Report,
    /// The new rule file, formatted.
    pub text: String,
    /// Where to write it.
    pub out: PathBuf,
    /// The outcome, for people.
    pub outcome: String,
}

impl Fitted {
    /// The report as JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.report).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Checks the flags that need no data.
fn check_request(request: &Request) -> Result<(), Failure> {
    if ![0.5, 1.0, 5.0].contains(&request.step) {
        return Err(Failure::usage(
            Message::new(format!("`--step {}` is not a rounding step", request.step))
                .help("the points are rounded to `0.5`, `1` or `5`"),
        ));
    }
    if !(request.pdo.is_finite() && request.pdo > 0.0) {
        return Err(Failure::usage(
            Message::new(format!(
                "`--pdo {}` must be a number of points above 0",
                request.pdo
            ))
            .help("it is how many points double the odds of converting, such as `--pdo 20`"),
        ));
    }
    if !(request.holdout.is_finite() && (0.0..0.9).contains(&request.holdout)) {
        return Err(Failure::usage(Message::new(format!("`--holdout {}` must be a share from 0 to below 0.9", request.holdout)).help("such as `--holdout 0.2` (a fifth of the contacts), or `--holdout 0` to fit on every contact")));
    }
    match (&request.out, request.in_place) {
        (None, false) => Err(Failure::usage(Message::new("`fit` needs `--out FILE` or `--in-place`").help("write the new rule file next to the old one, such as `--out learned.score`, then review it with `scoreline diff`"))),
        (Some(_), true) => Err(Failure::usage(Message::new("`--out` and `--in-place` cannot be used together").help("`--in-place` overwrites the rule file; `--out FILE` writes another one"))),
        _ => Ok(()),
    }
}

/// Whether two paths name the same file (after following links, when they exist).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Runs the fit; says warnings on the console as it goes (and returns them too).
pub fn fit(request: &Request) -> Result<Fitted, Failure> {
    check_request(request)?;
    let settings = resolve(&request.inputs)?;
    let out = match &request.out {
        Some(out) => {
            if same_file(out, &settings.ruleset) {
                return Err(Failure::usage(Message::new(format!("`--out {}` is the rule file being fitted", out.display())).help("pass `--in-place` to overwrite it, or write to another file such as `--out learned.score`")));
            }
            out.clone()
        }
        None => settings.ruleset.clone(),
    };
    let (ruleset, warnings) = load_ruleset(&settings)?;
    if !warnings.is_empty() {
        crate::console::say(&warnings);
    }
    let target =
        target::target(&ruleset.source, &ruleset.ast, &request.score).map_err(Failure::usage)?;
    let loaded = load_data(&settings, &ruleset, &request.outcome)?;
    let data = &loaded.dataset;
    let plan = ruleset.compile(&data.schema)?;
    let outcomes = crate::evaluate::outcome::outcomes(
        &request.outcome,
        data,
        &loaded.set_aside,
        settings.as_of_millis,
    )
    .map_err(Failure::errors)?;
    let pool = crate::score::thread_pool(settings.threads);
    let as_of = scoreline_engine::AsOf::from_millis(settings.as_of_millis);
    let names: Vec<&str> = target.blocks.iter().map(|b| b.name.as_str()).collect();
    let (old_eval, contributions) = plan.score_with_contributions(
        data,
        as_of,
        &names,
        scoreline_engine::EvalOptions {
            explain: false,
            pool: pool.as_ref(),
            previous: None,
        },
    );
    check_plugins(&old_eval)?;
    let n = data.contacts.len();
    let held: Vec<bool> = data
        .contacts
        .iter()
        .map(|c| split::held_out(c.id(), request.seed, request.holdout))
        .collect();

    let mut warnings: Vec<String> = Vec::new();
    let mut model = Learned::new(&target, &contributions, n);
    drop(contributions);
    let training: Vec<usize> = (0..n)
        .filter(|&i| !held[i] && outcomes[i].is_some())
        .collect();
    let positives = training
        .iter()
        .filter(|&&i| outcomes[i] == Some(true))
        .count();
    let negatives = training.len() - positives;
    if positives < MIN_EACH_OUTCOME || negatives < MIN_EACH_OUTCOME {
        let share = if request.holdout > 0.0 {
            format!(
                " (the {:.0} % not held out)",
                (1.0 - request.holdout) * 100.0
            )
        } else {
            String::new()
        };
        return Err(Failure::errors(Message::new(format!("too few outcomes to fit: {positives} contacts converted and {negatives} did not among those fitted on{share}")).help(format!("a fit needs at least {MIN_EACH_OUTCOME} of each; use more contacts, a longer `--horizon`, or a smaller `--holdout`"))));
    }
    model.fit(&training, &outcomes, &mut warnings);
    let factor = request.pdo / std::f64::consts::LN_2;
    model.points(factor, request.step);

    // The new scores, from the features (for clamps and thresholds).
    let mut edits = edit::Edits::default();
    let mut clamps = Vec::new();
    let new_scores = model.new_scores(&target, request.step, &mut clamps, &mut edits);
    for change in &clamps {
        warnings.push(format!(
            "the clamp of `{}` is widened from {}..{} to {}..{} so that it does not cut the learned scores",
            change.score,
            edit::number(change.old.0),
            edit::number(change.old.1),
            edit::number(change.new.0),
            edit::number(change.new.1)
        ));
    }
    let old_scores: Vec<ScoreColumn> = crate::evaluate::score_columns(
        &old_eval,
        &new_scores
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>(),
    );
    let thresholds = edit::thresholds(
        &ruleset.ast,
        &old_scores,
        &new_scores,
        request.step,
        &mut edits,
    );
    // Thresholds that could not keep their share, once per comparison with its arms.
    let mut missed: Vec<(&ThresholdMove, Vec<String>)> = Vec::new();
    for t in thresholds
        .iter()
        .filter(|t| (t.share_new - t.share_old).abs() > 0.02)
    {
        let same = |m: &&ThresholdMove| {
            (&m.segment, &m.score, &m.op, m.old) == (&t.segment, &t.score, &t.op, t.old)
        };
        match missed.iter_mut().find(|(m, _)| same(m)) {
            Some((_, arms)) => arms.push(format!("`{}`", t.label)),
            None => missed.push((t, vec![format!("`{}`", t.label)])),
        }
    }
    for (t, arms) in missed {
        warnings.push(format!(
            "in `{}`, `{} {} {}` ({} {}) has {} % of contacts on its side instead of {} %: the new scores take too few values to keep the share",
            t.segment,
            t.score,
            t.op,
            edit::number(t.new),
            if arms.len() == 1 { "arm" } else { "arms" },
            arms.join(", "),
            edit::percent(t.share_new),
            edit::percent(t.share_old)
        ));
    }
    model.edits(&ruleset.source, &ruleset.ast, &mut edits);
    let text = edits.apply(&ruleset.source.text);
    let text = edit::format(&ruleset.source.name, &text).map_err(|diagnostics| {
        Failure::errors(Message::new(
            "the fitted rule file does not parse; nothing was written",
        ))
        .with(Problem::Rules(diagnostics))
    })?;

    // The new file, checked and scored like the old one.
    let source = Arc::new(scoreline_syntax::SourceFile::new(
        out.display().to_string(),
        text.clone(),
    ));
    let file = check_source(
        source,
        PluginFiles::new(
            &settings.ruleset,
            settings.limits.clone().unwrap_or_default(),
        ),
    );
    let (new_ruleset, _) = Ruleset::from_checked(&settings.ruleset, file).map_err(|f| {
        let mut problems = vec![Problem::Message(Message::new(
            "the fitted rule file does not check; nothing was written",
        ))];
        problems.extend(f.problems);
        Failure { problems, ..f }
    })?;
    let new_plan = new_ruleset.compile(&data.schema)?;
    let new_eval = crate::evaluate::score(&new_plan, data, settings.as_of_millis, pool.as_ref())?;

    let comparison = compare(&request.score, &outcomes, &held, &old_eval, &new_eval);
    let holdout_rows: Vec<usize> = (0..n)
        .filter(|&i| held[i] && outcomes[i].is_some())
        .collect();
    let meta = ruleset.meta(&plan);
    let report = Report {
        ruleset: RulesetRef {
            name: meta.ruleset,
            version: meta.version,
        },
        as_of: scoreline_data::format_date(settings.as_of_millis),
        outcome: request.outcome.to_json(),
        score: request.score.clone(),
        out: out.display().to_string(),
        contacts: n,
        training: training.len(),
        training_positives: positives,
        holdout: holdout_rows.len(),
        holdout_positives: holdout_rows
            .iter()
            .filter(|&&i| outcomes[i] == Some(true))
            .count(),
        seed: request.seed,
        pdo: request.pdo,
        step: request.step,
        holdout_share: request.holdout,
        comparison,
        clauses: model.report(),
        clamps,
        thresholds,
        warnings,
        diff_command: diff_command(&request.inputs, &settings, &out),
    };
    Ok(Fitted {
        report,
        text,
        out,
        outcome: request.outcome.describe(),
    })
}

/// Failed plugin calls fail the fit (their contacts would have no contribution).
fn check_plugins(evaluation: &scoreline_engine::Evaluation) -> Result<(), Failure> {
    for line in &evaluation.plugin_log {
        crate::console::say(line);
    }
    if evaluation.plugin_errors.is_empty() {
        return Ok(());
    }
    Err(crate::score::plugin_failure(
        evaluation,
        Message::new("plugin calls failed; nothing was fitted")
            .help("fix the plugin: the contacts it failed for would have no contribution"),
    ))
}

/// The command that shows what the new file does.
fn diff_command(inputs: &Inputs, settings: &crate::pipeline::Settings, out: &Path) -> String {
    let quote = |p: &Path| {
        let s = p.display().to_string();
        if s.contains(char::is_whitespace) {
            format!("'{s}'")
        } else {
            s
        }
    };
    let mut cmd = format!("scoreline diff {} {}", quote(&settings.ruleset), quote(out));
    if let Some(p) = &inputs.project {
        cmd.push_str(&format!(" --project {}", quote(p)));
    }
    if let Some(c) = &inputs.contacts {
        cmd.push_str(&format!(" --contacts {}", quote(c)));
    }
    for e in &inputs.events {
        cmd.push_str(&format!(" --events {}", quote(e)));
    }
    if let Some(id) = &inputs.id_column {
        cmd.push_str(&format!(" --id-column {id}"));
    }
    cmd.push_str(&format!(" --as-of {}", settings.as_of_text));
    cmd
}

/// Hold-out AUC of the score and conversion per label of the segments, old and new.
fn compare(
    score: &str,
    outcomes: &[Option<bool>],
    held: &[bool],
    old: &scoreline_engine::Evaluation,
    new: &scoreline_engine::Evaluation,
) -> Comparison {
    // With no hold-out, everything is compared (and the AUC is in-sample).
    let any_held = held.iter().any(|&h| h);
    let masked: Vec<Option<bool>> = outcomes
        .iter()
        .zip(held)
        .map(|(o, &h)| if h || !any_held { *o } else { None })
        .collect();
    let metrics_of = |e: &scoreline_engine::Evaluation| {
        let scores = crate::evaluate::score_columns(e, &[score.to_string()]);
        let segments = segment_columns(e);
        metrics::compute(&metrics::Inputs {
            outcomes: &masked,
            scores: &scores,
            baseline: None,
            segments: &segments,
            bins: 10,
        })
    };
    let a = metrics_of(old);
    let b = metrics_of(new);
    let segments = a
        .segments
        .iter()
        .filter_map(|s| {
            let other = b.segments.iter().find(|t| t.name == s.name)?;
            Some(TierComparison {
                name: s.name.clone(),
                old: s.labels.clone(),
                new: other.labels.clone(),
            })
        })
        .collect();
    Comparison {
        auc_old: a.scores.first().and_then(|s| s.auc),
        auc_new: b.scores.first().and_then(|s| s.auc),
        segments,
    }
}
