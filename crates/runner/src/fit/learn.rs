//! The model behind `scoreline fit`: each clause's feature per contact, the fit of the
//! weights on the training contacts, the new points, and the new scores they give (for the
//! clamps and the thresholds).

use super::target::{Bounds, ClauseSite, PointsForm, Target};
use super::{edit, solver, ClampChange, ClauseFit, Status};

/// The L2 penalty on the standardised weights: enough to keep separated data finite, small
/// against thousands of contacts.
const PENALTY: f64 = 1.0;
/// The z value of a 95 % confidence interval.
const Z95: f64 = 1.959_963_984_540_054;

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
pub(super) struct Learned<'t> {
    columns: Vec<Column<'t>>,
}

impl<'t> Learned<'t> {
    pub(super) fn new(
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
    pub(super) fn fit(
        &mut self,
        training: &[usize],
        outcomes: &[Option<bool>],
        warnings: &mut Vec<String>,
    ) {
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
    pub(super) fn points(&mut self, factor: f64, step: f64) {
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
    pub(super) fn new_scores(
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
    pub(super) fn edits(
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

    pub(super) fn report(&self) -> Vec<ClauseFit> {
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
pub(super) fn round_step(x: f64, step: f64) -> f64 {
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
