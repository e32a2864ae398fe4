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
pub mod solver;
pub mod split;
pub mod target;
pub mod text;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::evaluate::metrics::{self, ScoreColumn};
use crate::evaluate::{failure, load_data, segment_columns, Outcome, OutcomeJson, RulesetRef};
use crate::pipeline::{check_source, load_ruleset, resolve, Failure, Ruleset};
use crate::sources::PluginFiles;
use crate::{Inputs, EXIT_ERRORS, EXIT_USAGE};

use target::{Bounds, ClauseSite, PointsForm, Target};

/// The fewest converted (and not converted) contacts a fit accepts.
pub const MIN_EACH_OUTCOME: usize = 50;
/// The L2 penalty on the standardised weights: enough to keep separated data finite, small
/// against thousands of contacts.
const PENALTY: f64 = 1.0;
/// The z value of a 95 % confidence interval.
const Z95: f64 = 1.959_963_984_540_054;

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
        return Err(failure(EXIT_USAGE, format!("error: `--step {}` is not a rounding step\n  = help: the points are rounded to `0.5`, `1` or `5`", request.step)));
    }
    if !(request.pdo.is_finite() && request.pdo > 0.0) {
        return Err(failure(EXIT_USAGE, format!("error: `--pdo {}` must be a number of points above 0\n  = help: it is how many points double the odds of converting, such as `--pdo 20`", request.pdo)));
    }
    if !(request.holdout.is_finite() && (0.0..0.9).contains(&request.holdout)) {
        return Err(failure(EXIT_USAGE, format!("error: `--holdout {}` must be a share from 0 to below 0.9\n  = help: such as `--holdout 0.2` (a fifth of the contacts), or `--holdout 0` to fit on every contact", request.holdout)));
    }
    match (&request.out, request.in_place) {
        (None, false) => Err(failure(EXIT_USAGE, "error: `fit` needs `--out FILE` or `--in-place`\n  = help: write the new rule file next to the old one, such as `--out learned.score`, then review it with `scoreline diff`")),
        (Some(_), true) => Err(failure(EXIT_USAGE, "error: `--out` and `--in-place` cannot be used together\n  = help: `--in-place` overwrites the rule file; `--out FILE` writes another one")),
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

/// Runs the fit; prints warnings on standard error as it goes (and returns them too).
pub fn fit(request: &Request) -> Result<Fitted, Failure> {
    check_request(request)?;
    let settings = resolve(&request.inputs)?;
    let out = match &request.out {
        Some(out) => {
            if same_file(out, &settings.ruleset) {
                return Err(failure(EXIT_USAGE, format!("error: `--out {}` is the rule file being fitted\n  = help: pass `--in-place` to overwrite it, or write to another file such as `--out learned.score`", out.display())));
            }
            out.clone()
        }
        None => settings.ruleset.clone(),
    };
    let (ruleset, warnings) = load_ruleset(&settings)?;
    if !warnings.is_empty() {
        eprintln!("{warnings}");
    }
    let target = target::target(&ruleset.source, &ruleset.ast, &request.score)
        .map_err(|m| failure(EXIT_USAGE, m))?;
    let loaded = load_data(&settings, &ruleset, &request.outcome)?;
    let data = &loaded.dataset;
    let plan = ruleset.compile(&data.schema)?;
    let outcomes = crate::evaluate::outcome::outcomes(
        &request.outcome,
        data,
        &loaded.set_aside,
        settings.as_of_millis,
    )
    .map_err(|report| failure(EXIT_ERRORS, report))?;
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
        return Err(failure(EXIT_ERRORS, format!(
            "error: too few outcomes to fit: {positives} contacts converted and {negatives} did not among those fitted on{share}\n  = help: a fit needs at least {MIN_EACH_OUTCOME} of each; use more contacts, a longer `--horizon`, or a smaller `--holdout`"
        )));
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
    let text = edit::format(&ruleset.source.name, &text).map_err(|report| {
        failure(
            EXIT_ERRORS,
            format!("error: the fitted rule file does not parse; nothing was written\n{report}"),
        )
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
        failure(
            EXIT_ERRORS,
            format!(
                "error: the fitted rule file does not check; nothing was written\n{}",
                f.report
            ),
        )
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
        eprintln!("{line}");
    }
    if evaluation.plugin_errors.is_empty() {
        return Ok(());
    }
    let mut report = crate::score::plugin_errors_report(evaluation);
    report.push_str("error: plugin calls failed; nothing was fitted\n  = help: fix the plugin: the contacts it failed for would have no contribution");
    Err(failure(EXIT_ERRORS, report))
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

/// One fitted clause's place: its block, its site and its column of contributions.
struct Column<'t> {
    block: usize,
    block_name: &'t str,
    site: &'t ClauseSite,
    weight: f64,
    status: Status,
    /// Per contact: the feature (contribution over the points), or the contribution itself
    /// for an unmeasured clause.
    feature: Vec<f64>,
    old_contribution: Vec<f64>,
    fires: f64,
    coefficient: f64,
    interval: Option<(f64, f64)>,
    new: f64,
}

/// The clauses and what the fit learned of them.
struct Learned<'t> {
    columns: Vec<Column<'t>>,
}

impl<'t> Learned<'t> {
    fn new(
        target: &'t Target,
        contributions: &scoreline_engine::Contributions,
        n: usize,
    ) -> Learned<'t> {
        let width = contributions.clauses.len();
        let mut columns = Vec::new();
        for (b, block) in target.blocks.iter().enumerate() {
            for (i, site) in block.clauses.iter().enumerate() {
                let column = contributions
                    .clauses
                    .iter()
                    .position(|(s, c)| *s == block.name && *c == i);
                let mut feature = vec![0.0; n];
                let mut old_contribution = vec![0.0; n];
                let scale = site.scale();
                let mut status = Status::Fitted;
                if let Some(col) = column {
                    for r in 0..n {
                        let mut v = contributions.values[r * width + col];
                        // A contribution that is not a number adds nothing to the score.
                        if !v.contribution.is_finite() {
                            v.contribution = 0.0;
                        }
                        old_contribution[r] = v.contribution;
                        feature[r] = if scale != 0.0 {
                            v.contribution / scale
                        } else if !site.is_each && matches!(site.form, PointsForm::Number { .. }) {
                            f64::from(u8::from(v.fired))
                        } else {
                            0.0
                        };
                    }
                    if scale == 0.0
                        && (site.is_each || !matches!(site.form, PointsForm::Number { .. }))
                    {
                        status = Status::Unmeasured;
                    }
                } else {
                    status = Status::Unmeasured;
                }
                let fires = if n == 0 {
                    0.0
                } else {
                    feature.iter().filter(|f| **f != 0.0).count() as f64 / n as f64
                };
                columns.push(Column {
                    block: b,
                    block_name: &block.name,
                    site,
                    weight: block.weight,
                    status,
                    feature,
                    old_contribution,
                    fires,
                    coefficient: 0.0,
                    interval: None,
                    new: scale,
                });
            }
        }
        Learned { columns }
    }

    /// Fits the weights on the training rows: drops never-varying features, fits, sets the
    /// weights indistinguishable from zero to zero and fits the rest again.
    fn fit(&mut self, training: &[usize], outcomes: &[Option<bool>], warnings: &mut Vec<String>) {
        for c in &mut self.columns {
            if c.status != Status::Fitted {
                continue;
            }
            let first = training.first().map(|&r| c.feature[r]);
            if training.iter().all(|&r| Some(c.feature[r]) == first) {
                c.status = Status::NeverVaries;
            }
        }
        for c in &self.columns {
            match c.status {
                Status::NeverVaries => {
                    let how = match (c.site.is_each, self_first(c, training)) {
                        (false, Some(0.0)) => "never fires".to_string(),
                        (false, _) => "fires for every contact".to_string(),
                        (true, Some(0.0)) => "never matches an event".to_string(),
                        (true, _) => "gives every contact the same points".to_string(),
                    };
                    warnings.push(format!(
                        "`{}` in `{}` (line {}) {how} among those fitted on: a fit cannot tell what it is worth, so its points are left as they are",
                        c.site.label, block_name(c), c.site.line
                    ));
                }
                Status::Unmeasured => warnings.push(format!(
                    "`{}` in `{}` (line {}) has 0 points, so what it counts cannot be read from its contribution: its points are left as they are (give it points to fit it)",
                    c.site.label, block_name(c), c.site.line
                )),
                _ => {}
            }
        }
        let y: Vec<bool> = training
            .iter()
            .map(|&r| outcomes[r] == Some(true))
            .collect();
        let fitted: Vec<usize> = (0..self.columns.len())
            .filter(|&j| self.columns[j].status == Status::Fitted)
            .collect();
        if fitted.is_empty() {
            return;
        }
        let Some(full) = self.solve(&fitted, training, &y) else {
            warnings.push("the fit did not converge: the points are left as they are".into());
            for &j in &fitted {
                self.columns[j].status = Status::NeverVaries;
            }
            return;
        };
        if separated(&full, &self.matrix(&fitted, training), fitted.len(), &y) {
            warnings.push("the clauses separate the contacts who converted from the others perfectly: the regularisation keeps the points finite, but they are larger than the data can support (fit on more contacts, or with a longer horizon)".into());
        }
        let mut kept = Vec::new();
        for (k, &j) in fitted.iter().enumerate() {
            let (b, se) = (full.coefficients[k], full.std_errors[k]);
            let c = &mut self.columns[j];
            c.coefficient = b;
            c.interval = Some((b - Z95 * se, b + Z95 * se));
            if b.abs() < Z95 * se || !se.is_finite() {
                c.status = Status::Zero;
                c.coefficient = 0.0;
            } else {
                kept.push(j);
            }
        }
        if kept.len() < fitted.len() && !kept.is_empty() {
            if let Some(reduced) = self.solve(&kept, training, &y) {
                for (k, &j) in kept.iter().enumerate() {
                    let (b, se) = (reduced.coefficients[k], reduced.std_errors[k]);
                    let c = &mut self.columns[j];
                    c.coefficient = b;
                    c.interval = Some((b - Z95 * se, b + Z95 * se));
                }
            }
        }
    }

    /// The features of `which` for `rows`, row after row, weighted by their block's weight.
    fn matrix(&self, which: &[usize], rows: &[usize]) -> Vec<f64> {
        let mut x = Vec::with_capacity(which.len() * rows.len());
        for &r in rows {
            for &j in which {
                let c = &self.columns[j];
                x.push(c.weight * c.feature[r]);
            }
        }
        x
    }

    fn solve(&self, which: &[usize], rows: &[usize], y: &[bool]) -> Option<solver::Model> {
        let x = self.matrix(which, rows);
        solver::fit(&solver::Problem {
            features: which.len(),
            x: &x,
            y,
            penalty: PENALTY,
        })
    }

    /// New points: the weight in points, rounded to the step (a multiplier to two
    /// significant digits); the interval in points.
    fn points(&mut self, factor: f64, step: f64) {
        for c in &mut self.columns {
            c.interval = c.interval.map(|(lo, hi)| (lo * factor, hi * factor));
            match c.status {
                Status::Fitted => {
                    let raw = c.coefficient * factor;
                    c.new = match c.site.form {
                        PointsForm::Number { .. } => round_step(raw, step),
                        _ => edit::two_digits(raw),
                    };
                }
                Status::Zero => c.new = 0.0,
                _ => {}
            }
        }
    }

    /// Every target score's new values per contact (blocks first, then the target when it
    /// is a sum), widening clamps that would cut them.
    fn new_scores(
        &self,
        target: &Target,
        step: f64,
        clamps: &mut Vec<ClampChange>,
        edits: &mut edit::Edits,
    ) -> Vec<(String, Vec<Option<f64>>)> {
        let n = self.columns.first().map_or(0, |c| c.feature.len());
        let mut out = Vec::new();
        let mut sums: Vec<Vec<f64>> = Vec::new();
        for (b, block) in target.blocks.iter().enumerate() {
            let mut total = vec![0.0; n];
            for c in self.columns.iter().filter(|c| c.block == b) {
                for (r, t) in total.iter_mut().enumerate() {
                    *t += match c.status {
                        Status::Fitted | Status::Zero => c.new * c.feature[r],
                        _ => c.old_contribution[r],
                    };
                }
            }
            let bounds = widen(&block.name, block.clamp, &total, step, clamps, edits);
            let values: Vec<f64> = total
                .iter()
                .map(|t| round2(bounds.map_or(*t, |(lo, hi)| t.max(lo).min(hi))))
                .collect();
            out.push((
                block.name.clone(),
                values.iter().map(|v| Some(*v)).collect(),
            ));
            sums.push(values.iter().map(|v| v * block.weight).collect());
        }
        if target.blocks.len() != 1 || target.blocks[0].name != target.name {
            let total: Vec<f64> = (0..n)
                .map(|r| target.constant + sums.iter().map(|s| s[r]).sum::<f64>())
                .collect();
            let bounds = widen(&target.name, target.clamp, &total, step, clamps, edits);
            let values = total
                .iter()
                .map(|t| Some(round2(bounds.map_or(*t, |(lo, hi)| t.max(lo).min(hi)))))
                .collect();
            out.push((target.name.clone(), values));
        }
        out
    }

    /// The edits of the points, caps and comments.
    fn edits(
        &self,
        file: &scoreline_syntax::SourceFile,
        ast: &scoreline_syntax::ast::RuleFile,
        edits: &mut edit::Edits,
    ) {
        for c in &self.columns {
            if !matches!(c.status, Status::Fitted | Status::Zero) || c.new == c.site.scale() {
                continue;
            }
            edit::clause(file, ast, c.site, c.new, &comment(c), edits);
        }
    }

    fn report(&self) -> Vec<ClauseFit> {
        self.columns
            .iter()
            .map(|c| ClauseFit {
                score: block_name(c).to_string(),
                label: c.site.label.clone(),
                line: c.site.line,
                status: c.status,
                old: c.site.scale(),
                new: c.new,
                multiplier: !matches!(c.site.form, PointsForm::Number { .. }),
                fires: c.fires,
                interval: c.interval,
            })
            .collect()
    }
}

/// The clause's end-of-line comment.
fn comment(c: &Column) -> String {
    let old = match c.site.form {
        PointsForm::Number { .. } => edit::signed(c.site.scale()),
        PointsForm::Multiplier { value, .. } => format!("{} x", edit::number(value)),
        PointsForm::Expression => "the expression".to_string(),
    };
    let interval = c
        .interval
        .map(|(lo, hi)| format!(", 95% CI {} to {}", edit::signed1(lo), edit::signed1(hi)))
        .unwrap_or_default();
    let zero = if c.status == Status::Zero {
        " (not distinguishable from 0)"
    } else {
        ""
    };
    format!(
        "# fit: was {old}, fires for {}%{interval}{zero}",
        edit::percent(c.fires)
    )
}

fn block_name<'a>(c: &Column<'a>) -> &'a str {
    c.block_name
}

fn self_first(c: &Column, training: &[usize]) -> Option<f64> {
    training.first().map(|&r| c.feature[r])
}

/// Whether the model's linear predictor separates positives from negatives completely.
fn separated(model: &solver::Model, x: &[f64], k: usize, y: &[bool]) -> bool {
    let mut lowest_positive = f64::INFINITY;
    let mut highest_negative = f64::NEG_INFINITY;
    for (row, &positive) in x.chunks_exact(k.max(1)).zip(y) {
        let eta = solver::predict(model, row);
        if positive {
            lowest_positive = lowest_positive.min(eta);
        } else {
            highest_negative = highest_negative.max(eta);
        }
    }
    lowest_positive > highest_negative
}

/// `x` rounded to a multiple of `step`, never `-0`.
fn round_step(x: f64, step: f64) -> f64 {
    let r = (x / step).round() * step;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Rounded to cents, as the engine rounds a score.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The clamp of `score`, widened (with an edit) when the new values go beyond it.
fn widen(
    score: &str,
    clamp: Option<Bounds>,
    values: &[f64],
    step: f64,
    clamps: &mut Vec<ClampChange>,
    edits: &mut edit::Edits,
) -> Option<(f64, f64)> {
    let bounds = clamp?;
    let lowest = values.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut lo = bounds.lo;
    let mut hi = bounds.hi;
    if lowest.is_finite() && lowest < lo {
        lo = (lowest / step).floor() * step;
    }
    if highest.is_finite() && highest > hi {
        hi = (highest / step).ceil() * step;
    }
    if (lo, hi) != (bounds.lo, bounds.hi) {
        edits.replace(bounds.lo_span, edit::number(lo));
        edits.replace(bounds.hi_span, edit::number(hi));
        clamps.push(ClampChange {
            score: score.to_string(),
            old: (bounds.lo, bounds.hi),
            new: (lo, hi),
        });
    }
    Some((lo, hi))
}
