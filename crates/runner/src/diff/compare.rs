//! Comparing two versions' scores and segments contact by contact: what changed, the largest
//! movers with the clauses whose contribution changed, and the migration matrices.

use std::collections::HashMap;

use scoreline_data::{Dataset, Value};
use scoreline_engine::{AsOf, EvalOptions, Explanation, Plan};
use serde::Serialize;

use super::Scored;

/// One version: its plan, the data it scored and what it gave. A run read from the score
/// history has no plan: its score and segment names are the run's, and its movers have no
/// clauses to show on its side (the history keeps no explanation).
pub struct Side<'a> {
    pub plan: Option<&'a Plan>,
    /// The stored run, for a side without a plan.
    pub stored: Option<&'a scoreline_db::RunRecord>,
    pub data: &'a Dataset,
    pub scored: &'a Scored,
}

impl Side<'_> {
    fn score_names(&self) -> Vec<&str> {
        match (self.plan, self.stored) {
            (Some(p), _) => p.score_names(),
            (None, Some(r)) => r.scores.iter().map(String::as_str).collect(),
            (None, None) => Vec::new(),
        }
    }

    fn segment_names(&self) -> Vec<&str> {
        match (self.plan, self.stored) {
            (Some(p), _) => p.segment_names(),
            (None, Some(r)) => r.segments.iter().map(String::as_str).collect(),
            (None, None) => Vec::new(),
        }
    }
}

/// Both versions, over the same contacts (`ids`, in input order) at the same as-of.
pub struct Sides<'a> {
    pub ids: Vec<String>,
    pub before: Side<'a>,
    pub after: Side<'a>,
    pub as_of: AsOf,
}

/// One score present in both versions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScoreDiff {
    pub name: String,
    /// Contacts whose value differs (present on one side only included).
    pub changed: usize,
    /// The mean over the contacts whose score is present; null when none is.
    pub mean_before: Option<f64>,
    pub mean_after: Option<f64>,
    /// The largest increases, largest first (both values present).
    pub increases: Vec<Mover>,
    /// The largest decreases, largest first.
    pub decreases: Vec<Mover>,
}

/// A contact whose score moved, and the clauses behind the move.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mover {
    pub id: String,
    pub before: f64,
    pub after: f64,
    /// The clauses whose contribution changed (null on the side that lacks the clause).
    pub clauses: Vec<Clause>,
}

/// A clause's contribution before and after.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Clause {
    pub label: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// One segment present in both versions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SegmentDiff {
    pub name: String,
    /// Contacts whose label changed.
    pub moved: usize,
    /// Every non-zero cell, from-labels in the base's arm order, then to-labels in the
    /// head's, no label (`null`) last (its row and column only when some contact has no label).
    pub matrix: Vec<Cell>,
}

/// A cell of a migration matrix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    pub from: Option<String>,
    pub to: Option<String>,
    pub contacts: usize,
}

/// A score's values per contact, before and after.
#[derive(Debug, Clone)]
pub struct ScoreValues {
    pub name: String,
    pub before: Vec<Option<f64>>,
    pub after: Vec<Option<f64>>,
}

/// What [`compare`] finds.
pub struct Compared {
    pub scores: Vec<ScoreDiff>,
    pub added_scores: Vec<String>,
    pub removed_scores: Vec<String>,
    pub segments: Vec<SegmentDiff>,
    pub values: Vec<ScoreValues>,
    pub labels: Vec<(String, Vec<Option<String>>)>,
}

fn column<'e>(side: &'e Side, name: &str) -> Option<(usize, &'e scoreline_engine::Evaluation)> {
    let e = &side.scored.evaluation;
    e.columns.iter().position(|c| c == name).map(|i| (i, e))
}

fn numbers(side: &Side, name: &str) -> Vec<Option<f64>> {
    let Some((col, e)) = column(side, name) else {
        return Vec::new();
    };
    e.rows()
        .map(|row| match row[col] {
            Value::Number(x) => Some(x),
            _ => None,
        })
        .collect()
}

fn texts(side: &Side, name: &str) -> Vec<Option<String>> {
    let Some((col, e)) = column(side, name) else {
        return Vec::new();
    };
    e.rows()
        .map(|row| match &row[col] {
            Value::Text(t) => Some(t.to_string()),
            _ => None,
        })
        .collect()
}

/// A segment's labels in arm order.
fn arm_labels(side: &Side, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(counts) = side
        .scored
        .evaluation
        .segment_counts
        .iter()
        .find(|c| c.segment == name)
    {
        for (label, _) in &counts.labels {
            if !out.contains(label) {
                out.push(label.clone());
            }
        }
    }
    out
}

fn mean(values: &[Option<f64>]) -> Option<f64> {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64)
}

/// Explains single contacts against the whole population's statistics, each at most once.
struct Explainer<'a> {
    side: &'a Side<'a>,
    as_of: AsOf,
    done: HashMap<usize, Explanation>,
}

impl<'a> Explainer<'a> {
    fn explain(&mut self, contact: usize) -> &Explanation {
        let (side, as_of) = (self.side, self.as_of);
        self.done.entry(contact).or_insert_with(|| {
            let none = Explanation {
                kind: None,
                id: String::new(),
                ruleset: None,
                scores: Vec::new(),
                segments: Vec::new(),
                errors: Vec::new(),
                list_events: false,
            };
            let Some(plan) = side.plan else {
                return none;
            };
            let one = side.data.partition(contact..contact + 1);
            let own = plan.statistics(&one, as_of, None);
            let mut e = plan.evaluate(
                &one,
                &own,
                side.scored.statistics.summary(),
                as_of,
                EvalOptions {
                    explain: true,
                    pool: None,
                    previous: None,
                },
            );
            e.explanations.pop().unwrap_or(none)
        })
    }
}

/// The clauses of score `name` as `(label, contribution)`, in clause order.
fn contributions(e: &Explanation, name: &str) -> Vec<(String, Option<f64>)> {
    e.scores
        .iter()
        .find(|s| s.name == name)
        .map(|s| {
            s.clauses
                .iter()
                .map(|c| (c.label.clone(), c.contribution))
                .collect()
        })
        .unwrap_or_default()
}

/// The clauses whose contribution differs, the head's clauses in order, then the base's
/// that the head no longer has. Clauses are matched by label (an unlabelled clause's label is
/// its text); one left unmatched on both sides at the same place is the same clause edited
/// (shown with the head's label). A clause one side lacks contributes nothing there (shown
/// as null), so a new clause that does not fire is not listed.
fn changed_clauses(
    before: &[(String, Option<f64>)],
    after: &[(String, Option<f64>)],
) -> Vec<Clause> {
    let position =
        |list: &[(String, Option<f64>)], label: &str| list.iter().position(|(l, _)| l == label);
    let unmatched_before: Vec<bool> = before
        .iter()
        .map(|(l, _)| position(after, l).is_none())
        .collect();
    let mut paired = vec![false; before.len()];
    let mut out = Vec::new();
    for (i, (label, a)) in after.iter().enumerate() {
        let b = match position(before, label) {
            Some(j) => Some(before[j].1),
            None if unmatched_before.get(i) == Some(&true) => {
                paired[i] = true;
                Some(before[i].1)
            }
            None => None,
        };
        if b.unwrap_or(Some(0.0)) != *a {
            out.push(Clause {
                label: label.clone(),
                before: b.flatten(),
                after: *a,
            });
        }
    }
    for (j, (label, b)) in before.iter().enumerate() {
        if unmatched_before[j] && !paired[j] && *b != Some(0.0) {
            out.push(Clause {
                label: label.clone(),
                before: *b,
                after: None,
            });
        }
    }
    out
}

/// Compares the two versions; `top` movers each way per score.
pub fn compare(sides: &Sides, top: usize) -> Compared {
    let before_names = sides.before.score_names();
    let after_names = sides.after.score_names();
    let mut explain_before = Explainer {
        side: &sides.before,
        as_of: sides.as_of,
        done: HashMap::new(),
    };
    let mut explain_after = Explainer {
        side: &sides.after,
        as_of: sides.as_of,
        done: HashMap::new(),
    };
    let mut scores = Vec::new();
    let mut values = Vec::new();
    for name in after_names.iter().filter(|n| before_names.contains(n)) {
        let b = numbers(&sides.before, name);
        let a = numbers(&sides.after, name);
        let changed = b.iter().zip(&a).filter(|(x, y)| x != y).count();
        let mut deltas: Vec<(usize, f64, f64)> = b
            .iter()
            .zip(&a)
            .enumerate()
            .filter_map(|(i, (x, y))| Some((i, (*x)?, (*y)?)))
            .filter(|(_, x, y)| x != y)
            .collect();
        // Largest move first; ties in input order (the sort is stable).
        deltas.sort_by(|p, q| (q.2 - q.1).abs().total_cmp(&(p.2 - p.1).abs()));
        let mut mover = |&(i, x, y): &(usize, f64, f64)| Mover {
            id: sides.ids[i].clone(),
            before: x,
            after: y,
            // A stored run keeps no explanation: no clause can be compared.
            clauses: if sides.before.plan.is_none() {
                Vec::new()
            } else {
                changed_clauses(
                    &contributions(explain_before.explain(i), name),
                    &contributions(explain_after.explain(i), name),
                )
            },
        };
        let increases: Vec<Mover> = deltas
            .iter()
            .filter(|d| d.2 > d.1)
            .take(top)
            .map(&mut mover)
            .collect();
        let decreases: Vec<Mover> = deltas
            .iter()
            .filter(|d| d.2 < d.1)
            .take(top)
            .map(&mut mover)
            .collect();
        scores.push(ScoreDiff {
            name: name.to_string(),
            changed,
            mean_before: mean(&b),
            mean_after: mean(&a),
            increases,
            decreases,
        });
        values.push(ScoreValues {
            name: name.to_string(),
            before: b,
            after: a,
        });
    }
    let added_scores = after_names
        .iter()
        .filter(|n| !before_names.contains(n))
        .map(|n| n.to_string())
        .collect();
    let removed_scores = before_names
        .iter()
        .filter(|n| !after_names.contains(n))
        .map(|n| n.to_string())
        .collect();

    let before_segments = sides.before.segment_names();
    let mut segments = Vec::new();
    let mut labels = Vec::new();
    for name in sides
        .after
        .segment_names()
        .into_iter()
        .filter(|n| before_segments.contains(n))
    {
        let b = texts(&sides.before, name);
        let a = texts(&sides.after, name);
        let mut order: Vec<Option<String>> = arm_labels(&sides.before, name)
            .into_iter()
            .map(Some)
            .collect();
        for l in arm_labels(&sides.after, name) {
            if !order.contains(&Some(l.clone())) {
                order.push(Some(l));
            }
        }
        // Labels no arm lists (none expected) still get a row, before `null`.
        for l in b.iter().chain(&a).flatten() {
            if !order.contains(&Some(l.clone())) {
                order.push(Some(l.clone()));
            }
        }
        if b.iter().chain(&a).any(Option::is_none) {
            order.push(None);
        }
        let index: HashMap<&Option<String>, usize> =
            order.iter().enumerate().map(|(i, l)| (l, i)).collect();
        let k = order.len();
        let mut counts = vec![0usize; k * k];
        for (x, y) in b.iter().zip(&a) {
            counts[index[x] * k + index[y]] += 1;
        }
        let moved = b.iter().zip(&a).filter(|(x, y)| x != y).count();
        let matrix = (0..k * k)
            .filter(|&c| counts[c] > 0)
            .map(|c| Cell {
                from: order[c / k].clone(),
                to: order[c % k].clone(),
                contacts: counts[c],
            })
            .collect();
        segments.push(SegmentDiff {
            name: name.to_string(),
            moved,
            matrix,
        });
        labels.push((name.to_string(), order));
    }
    Compared {
        scores,
        added_scores,
        removed_scores,
        segments,
        values,
        labels,
    }
}
