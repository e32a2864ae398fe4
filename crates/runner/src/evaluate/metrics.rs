//! The metrics of `scoreline evaluate` (TRUST.md): AUC, KS, buckets, thresholds, label
//! statistics per segment and PSI, computed from values in memory. No I/O, so that every
//! metric can be tested against hand-computed cases.

use serde::Serialize;

/// One score's value per contact (`None`: missing).
#[derive(Debug, Clone)]
pub struct ScoreColumn {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// One segment's label per contact, as an index into `labels`.
#[derive(Debug, Clone)]
pub struct SegmentColumn {
    pub name: String,
    /// The labels in arm order, each once (a label two arms give is listed at its first arm).
    pub labels: Vec<String>,
    /// Per contact, the index of its label (`None`: no arm matched).
    pub of_contact: Vec<Option<usize>>,
}

/// What the metrics are computed from: one entry per contact in every list.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// Per contact: positive, negative, or not known (left out of every metric).
    pub outcomes: &'a [Option<bool>],
    pub scores: &'a [ScoreColumn],
    /// The scores as of the baseline, in the order of `scores` (for PSI).
    pub baseline: Option<&'a [ScoreColumn]>,
    pub segments: &'a [SegmentColumn],
    /// How many buckets (`--bins`, at least 1).
    pub bins: usize,
}

/// Every metric, in the JSON shape of TRUST.md (without the run's header).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    pub contacts: usize,
    pub unknown_outcome: usize,
    pub positives: usize,
    /// Positives over contacts with a known outcome (`None` when there are none).
    pub base_rate: Option<f64>,
    pub scores: Vec<ScoreMetrics>,
    pub segments: Vec<SegmentMetrics>,
    /// Why a segment metric is null, for people (not part of the JSON).
    #[serde(skip)]
    pub notes: Vec<Undefined>,
}

/// A metric that is null, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undefined {
    /// The score or segment it belongs to.
    pub of: String,
    /// The metric's name as in the JSON (`auc`, `lift`, …).
    pub metric: &'static str,
    /// One lowercase sentence.
    pub reason: String,
}

/// The metrics of one score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScoreMetrics {
    pub name: String,
    /// Contacts whose score is present and whose outcome is known.
    pub present: usize,
    pub positives: usize,
    pub auc: Option<f64>,
    pub ks: Option<f64>,
    /// Only with a baseline; `Some(None)` when undefined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psi: Option<Option<f64>>,
    pub buckets: Vec<Bucket>,
    pub thresholds: Vec<Threshold>,
    /// Why a metric is null, for people (not part of the JSON).
    #[serde(skip)]
    pub notes: Vec<Undefined>,
    /// The gains and ROC curve (see [`curve`]), for charts (not part of the JSON).
    #[serde(skip)]
    pub curve: Vec<CurvePoint>,
}

/// How many points a gains or ROC curve keeps at most.
pub const CURVE_POINTS: usize = 200;

/// One bucket of a score (only buckets that hold contacts are listed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bucket {
    pub bucket: usize,
    pub contacts: usize,
    pub positives: usize,
    pub rate: f64,
    pub lift: Option<f64>,
    pub min: f64,
    pub max: f64,
}

/// The contacts at or above a bucket's lower bound.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Threshold {
    pub at: f64,
    pub share: f64,
    pub precision: f64,
    pub recall: Option<f64>,
}

/// The label statistics of one segment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SegmentMetrics {
    pub name: String,
    pub labels: Vec<LabelStats>,
}

/// One label of a segment (`label: None` for the contacts no arm matched).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LabelStats {
    pub label: Option<String>,
    pub contacts: usize,
    pub positives: usize,
    pub rate: Option<f64>,
    pub lift: Option<f64>,
    pub share_of_positives: Option<f64>,
}

/// The floor of a share in PSI, so that an empty bucket does not divide by zero.
const PSI_FLOOR: f64 = 0.0001;

/// Computes every metric.
pub fn compute(inputs: &Inputs) -> Metrics {
    let contacts = inputs.outcomes.len();
    let unknown_outcome = inputs.outcomes.iter().filter(|o| o.is_none()).count();
    let positives = inputs.outcomes.iter().filter(|o| **o == Some(true)).count();
    let known = contacts - unknown_outcome;
    let base_rate = (known > 0).then(|| positives as f64 / known as f64);
    let scores = inputs
        .scores
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let mut m = score_metrics(column, inputs.outcomes, inputs.bins);
            if let Some(baseline) = inputs.baseline {
                let psi = baseline
                    .get(i)
                    .and_then(|b| psi(&b.values, &column.values, inputs.bins));
                if psi.is_none() {
                    m.notes.push(Undefined {
                        of: column.name.clone(),
                        metric: "psi",
                        reason: format!(
                            "no contact has a `{}` score at one of the two as-ofs",
                            column.name
                        ),
                    });
                }
                m.psi = Some(psi);
            }
            m
        })
        .collect();
    let mut notes = Vec::new();
    let segments = inputs
        .segments
        .iter()
        .map(|s| segment_metrics(s, inputs.outcomes, positives, base_rate, &mut notes))
        .collect();
    Metrics {
        contacts,
        unknown_outcome,
        positives,
        base_rate,
        scores,
        segments,
        notes,
    }
}

/// A score's values that are present, with their outcome, sorted by value.
fn present_sorted(values: &[Option<f64>], outcomes: &[Option<bool>]) -> Vec<(f64, bool)> {
    let mut v: Vec<(f64, bool)> = values
        .iter()
        .zip(outcomes)
        .filter_map(|(s, o)| match (s, o) {
            (Some(s), Some(o)) if s.is_finite() => Some((*s, *o)),
            _ => None,
        })
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// Runs of equal values in a sorted list: `(start, end)` index ranges.
fn runs<T>(sorted: &[T], key: impl Fn(&T) -> f64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=sorted.len() {
        if i == sorted.len() || key(&sorted[i]) != key(&sorted[start]) {
            out.push((start, i));
            start = i;
        }
    }
    out
}

/// The language's `ntile` bucket of a value with `smaller` values strictly below it, out of
/// `n`: floor(smaller × bins / n) + 1.
fn ntile(smaller: usize, n: usize, bins: usize) -> usize {
    ((smaller as u128 * bins as u128) / n.max(1) as u128) as usize + 1
}

fn score_metrics(column: &ScoreColumn, outcomes: &[Option<bool>], bins: usize) -> ScoreMetrics {
    let name = &column.name;
    let sorted = present_sorted(&column.values, outcomes);
    let n = sorted.len();
    let p = sorted.iter().filter(|x| x.1).count();
    let q = n - p;
    let mut notes = Vec::new();
    let mut undefined = |metric: &'static str, reason: String| {
        notes.push(Undefined {
            of: name.clone(),
            metric,
            reason,
        })
    };
    let one_class = if n == 0 {
        Some(format!(
            "no contact has both a `{name}` score and a known outcome"
        ))
    } else if p == 0 {
        Some(format!("no contact with a `{name}` score is positive"))
    } else if q == 0 {
        Some(format!("every contact with a `{name}` score is positive"))
    } else {
        None
    };
    let groups = runs(&sorted, |x| x.0);
    let (auc, ks) = if let Some(reason) = &one_class {
        undefined("auc", reason.clone());
        undefined("ks", reason.clone());
        (None, None)
    } else {
        // Mann-Whitney: each positive above a negative counts 1, a tie counts half; the sum
        // is kept doubled in integers to stay exact.
        let mut doubled: u128 = 0;
        let mut negatives_below = 0u128;
        for &(a, b) in &groups {
            let pos = sorted[a..b].iter().filter(|x| x.1).count() as u128;
            let neg = (b - a) as u128 - pos;
            doubled += pos * (2 * negatives_below + neg);
            negatives_below += neg;
        }
        let auc = doubled as f64 / (2.0 * p as f64 * q as f64);
        // KS: over thresholds `score >= t` for every distinct t, from the top.
        let (mut tp, mut fp) = (0usize, 0usize);
        let mut ks: f64 = 0.0;
        for &(a, b) in groups.iter().rev() {
            let pos = sorted[a..b].iter().filter(|x| x.1).count();
            tp += pos;
            fp += (b - a) - pos;
            ks = ks.max((tp as f64 / p as f64 - fp as f64 / q as f64).abs());
        }
        (Some(auc), Some(ks))
    };
    let base = (n > 0).then(|| p as f64 / n as f64);
    if p == 0 && n > 0 {
        undefined(
            "lift",
            format!("no contact with a `{name}` score is positive, so there is no base rate to compare with"),
        );
        undefined(
            "recall",
            format!("no contact with a `{name}` score is positive"),
        );
    }
    let mut buckets: Vec<Bucket> = Vec::new();
    // Per bucket, how many values are below it and how many of those are positive.
    let mut below: Vec<(usize, usize)> = Vec::new();
    let mut positives_below = 0;
    for &(a, b) in &groups {
        let bucket = ntile(a, n, bins);
        let pos = sorted[a..b].iter().filter(|x| x.1).count();
        match buckets.last_mut() {
            Some(last) if last.bucket == bucket => {
                last.contacts += b - a;
                last.positives += pos;
                last.max = sorted[a].0;
            }
            _ => {
                buckets.push(Bucket {
                    bucket,
                    contacts: b - a,
                    positives: pos,
                    rate: 0.0,
                    lift: None,
                    min: sorted[a].0,
                    max: sorted[a].0,
                });
                below.push((a, positives_below));
            }
        }
        positives_below += pos;
    }
    for b in &mut buckets {
        b.rate = b.positives as f64 / b.contacts as f64;
        b.lift = base.filter(|&r| r > 0.0).map(|r| b.rate / r);
    }
    let thresholds = buckets
        .iter()
        .zip(&below)
        .map(|(b, &(smaller, pos_below))| {
            let count = n - smaller;
            let pos = p - pos_below;
            Threshold {
                at: b.min,
                share: count as f64 / n as f64,
                precision: pos as f64 / count as f64,
                recall: (p > 0).then(|| pos as f64 / p as f64),
            }
        })
        .collect();
    ScoreMetrics {
        name: name.clone(),
        present: n,
        positives: p,
        auc,
        ks,
        psi: None,
        buckets,
        thresholds,
        notes,
        curve: curve_of(&sorted, &groups, CURVE_POINTS),
    }
}

/// The population stability index of `current` against `baseline` (TRUST.md): `None` when
/// either has no value.
pub fn psi(baseline: &[Option<f64>], current: &[Option<f64>], bins: usize) -> Option<f64> {
    let finite = |v: &[Option<f64>]| -> Vec<f64> {
        v.iter()
            .flatten()
            .copied()
            .filter(|x| x.is_finite())
            .collect()
    };
    let mut base = finite(baseline);
    let now = finite(current);
    if base.is_empty() || now.is_empty() {
        return None;
    }
    base.sort_by(f64::total_cmp);
    let n0 = base.len();
    // Each baseline bucket's smallest score and its count.
    let mut mins: Vec<f64> = Vec::new();
    let mut expected: Vec<usize> = Vec::new();
    let mut last_bucket = 0;
    for (a, b) in runs(&base, |x| *x) {
        let bucket = ntile(a, n0, bins);
        if bucket != last_bucket {
            mins.push(base[a]);
            expected.push(0);
            last_bucket = bucket;
        }
        *expected.last_mut().unwrap_or(&mut 0) += b - a;
    }
    let mut actual = vec![0usize; mins.len()];
    for s in &now {
        // The bucket with the largest min <= s; bucket 1 below every min.
        let i = mins.partition_point(|m| m <= s).saturating_sub(1);
        actual[i] += 1;
    }
    let n1 = now.len();
    Some(
        expected
            .iter()
            .zip(&actual)
            .map(|(&e, &a)| {
                let e = (e as f64 / n0 as f64).max(PSI_FLOOR);
                let a = (a as f64 / n1 as f64).max(PSI_FLOOR);
                (a - e) * (a / e).ln()
            })
            .sum(),
    )
}

fn segment_metrics(
    segment: &SegmentColumn,
    outcomes: &[Option<bool>],
    positives: usize,
    base_rate: Option<f64>,
    notes: &mut Vec<Undefined>,
) -> SegmentMetrics {
    let slots = segment.labels.len() + 1;
    let mut contacts = vec![0usize; slots];
    let mut pos = vec![0usize; slots];
    for (label, outcome) in segment.of_contact.iter().zip(outcomes) {
        let Some(outcome) = outcome else { continue };
        let i = label
            .filter(|&l| l < segment.labels.len())
            .unwrap_or(slots - 1);
        contacts[i] += 1;
        pos[i] += usize::from(*outcome);
    }
    let mut note = |metric: &'static str, reason: String| {
        notes.push(Undefined {
            of: segment.name.clone(),
            metric,
            reason,
        })
    };
    if positives == 0 {
        note(
            "lift",
            "no contact with a known outcome is positive, so there is no base rate to compare with"
                .into(),
        );
        note(
            "share_of_positives",
            "no contact with a known outcome is positive".into(),
        );
    }
    let labels = (0..slots)
        .map(|i| {
            let label = segment.labels.get(i).cloned();
            let rate = (contacts[i] > 0).then(|| pos[i] as f64 / contacts[i] as f64);
            if rate.is_none() {
                let shown = label
                    .as_deref()
                    .map_or("(no label)".to_string(), |l| format!("`{l}`"));
                note(
                    "rate",
                    format!("no contact with a known outcome got {shown}"),
                );
            }
            LabelStats {
                label,
                contacts: contacts[i],
                positives: pos[i],
                rate,
                lift: rate.zip(base_rate.filter(|&r| r > 0.0)).map(|(r, b)| r / b),
                share_of_positives: (positives > 0).then(|| pos[i] as f64 / positives as f64),
            }
        })
        .collect();
    SegmentMetrics {
        name: segment.name.clone(),
        labels,
    }
}

/// One point of the gains and ROC curves: the contacts at or above a score, as a share of
/// all, and the shares of positives (true positive rate) and negatives (false positive rate)
/// among them.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct CurvePoint {
    pub share: f64,
    pub tpr: f64,
    pub fpr: f64,
}

/// The gains and ROC curve of a score, from (0, 0) to (1, 1), one point per distinct score
/// from the highest down, thinned to about `max_points` points. Empty when the contacts with
/// a score and a known outcome are all of one class.
pub fn curve(
    values: &[Option<f64>],
    outcomes: &[Option<bool>],
    max_points: usize,
) -> Vec<CurvePoint> {
    let sorted = present_sorted(values, outcomes);
    let groups = runs(&sorted, |x| x.0);
    curve_of(&sorted, &groups, max_points)
}

/// The curve of values already sorted, with their runs of equal values.
fn curve_of(
    sorted: &[(f64, bool)],
    groups: &[(usize, usize)],
    max_points: usize,
) -> Vec<CurvePoint> {
    let n = sorted.len();
    let p = sorted.iter().filter(|x| x.1).count();
    let q = n - p;
    if p == 0 || q == 0 {
        return Vec::new();
    }
    let step = groups.len().div_ceil(max_points.max(1)).max(1);
    let mut points = vec![CurvePoint {
        share: 0.0,
        tpr: 0.0,
        fpr: 0.0,
    }];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (k, &(a, b)) in groups.iter().rev().enumerate() {
        let pos = sorted[a..b].iter().filter(|x| x.1).count();
        tp += pos;
        fp += (b - a) - pos;
        if (k + 1) % step == 0 || k + 1 == groups.len() {
            points.push(CurvePoint {
                share: (tp + fp) as f64 / n as f64,
                tpr: tp as f64 / p as f64,
                fpr: fp as f64 / q as f64,
            });
        }
    }
    points
}
