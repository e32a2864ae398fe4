//! Explanations: for one contact, every score clause by clause and every segment's arms.
//! Serializable for `--format json` and NDJSON, and rendered as a readable table.

use std::fmt::Write;

use serde::Serialize;

use crate::eval::round::round_half_away;
use crate::plan::Plan;

/// Why a contact got its scores and segments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruleset: Option<String>,
    /// Scores in file order.
    pub scores: Vec<ScoreExplanation>,
    /// Segments in file order.
    pub segments: Vec<SegmentExplanation>,
    /// Every plugin call that failed for this contact, wherever it was (a let, a clause, a
    /// population function's argument): the same messages as the run's `errors`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// One score: its clauses, the total, the clamp and the rounded value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreExplanation {
    pub name: String,
    pub label: Option<String>,
    /// The score's value (missing for an expression score whose expression is missing).
    pub value: Option<f64>,
    /// The sum of the contributions (or the expression's value), before clamp and rounding.
    pub total: Option<f64>,
    /// The clamp, when the score has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clamp: Option<ClampExplanation>,
    pub clauses: Vec<ClauseExplanation>,
}

impl ScoreExplanation {
    pub(crate) fn new(name: &str, label: Option<&str>) -> ScoreExplanation {
        ScoreExplanation {
            name: name.to_string(),
            label: label.map(str::to_string),
            value: None,
            total: None,
            clamp: None,
            clauses: Vec::new(),
        }
    }
}

/// A clamp and what it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClampExplanation {
    pub low: f64,
    pub high: f64,
    pub before: f64,
    pub after: f64,
    /// Whether the clamp changed the total.
    pub applied: bool,
}

/// The kind of a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClauseKindName {
    Rule,
    Each,
    /// The expression of an expression score.
    Expr,
}

/// One clause of a score and what it contributed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseExplanation {
    /// The clause's label, else its source text.
    pub label: String,
    pub kind: ClauseKindName,
    /// A rule whose condition held, an `each` that matched an event, an expression present.
    pub fired: bool,
    /// What it added (missing only for an expression score's missing expression).
    pub contribution: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_matched: Option<usize>,
    /// With `per D`: the periods in which one of the matched events counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periods_counted: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_before_cap: Option<f64>,
    /// Whether `max` cut the points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped: Option<bool>,
    /// The plugin calls that failed in this clause (their value was missing), as
    /// `mailbox.kind failed at email_domain.rhai:12:5: …`, several joined with `; `.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One segment: the arms tried in order and the one that matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentExplanation {
    pub name: String,
    pub arms: Vec<ArmTried>,
    pub label: Option<String>,
    pub action: Option<String>,
    /// Whether the arm matched by its `keep when` only (its `when` did not hold).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
}

impl SegmentExplanation {
    pub(crate) fn new(name: &str) -> SegmentExplanation {
        SegmentExplanation {
            name: name.to_string(),
            arms: Vec::new(),
            label: None,
            action: None,
            kept: false,
        }
    }
}

/// An arm tried and its condition's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmTried {
    pub label: String,
    pub result: ArmResult,
    /// The `keep when` condition's result, when it was tried (the contact's previous label
    /// was this arm's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep: Option<ArmResult>,
    /// The plugin calls that failed in the arm's condition, as in [`ClauseExplanation::error`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The three values of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArmResult {
    True,
    False,
    Missing,
}

impl ArmResult {
    fn word(self) -> &'static str {
        match self {
            ArmResult::True => "true",
            ArmResult::False => "false",
            ArmResult::Missing => "missing",
        }
    }
}

/// A number as people read it: at most 2 decimals, no trailing zeros.
fn number(x: f64) -> String {
    format!("{}", round_half_away(x, 2))
}

fn signed(x: f64) -> String {
    let r = round_half_away(x, 2);
    if r > 0.0 {
        format!("+{r}")
    } else {
        format!("{r}")
    }
}

impl Explanation {
    /// Puts scores and segments in file order (they are computed in dependency order).
    pub(crate) fn order_like(&mut self, plan: &Plan) {
        let score_pos = |name: &str| plan.scores.iter().position(|s| s.name == name);
        self.scores.sort_by_key(|s| score_pos(&s.name));
        let segment_pos = |name: &str| plan.segments.iter().position(|s| s.name == name);
        self.segments.sort_by_key(|s| segment_pos(&s.name));
    }

    /// A readable rendering: a table per score, then each segment's arms.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        match &self.ruleset {
            Some(r) => {
                let _ = writeln!(out, "contact {} (ruleset {r})", self.id);
            }
            None => {
                let _ = writeln!(out, "contact {}", self.id);
            }
        }
        for score in &self.scores {
            out.push('\n');
            let title = match &score.label {
                Some(l) => format!("{} \"{l}\"", score.name),
                None => score.name.clone(),
            };
            let value = score.value.map_or("missing".to_string(), number);
            let _ = writeln!(out, "score {title} = {value}");
            let width = score
                .clauses
                .iter()
                .map(|c| c.label.chars().count())
                .max()
                .unwrap_or(0)
                .clamp(6, 60);
            for clause in &score.clauses {
                let label: String = if clause.label.chars().count() > width {
                    let cut: String = clause.label.chars().take(width - 1).collect();
                    format!("{cut}…")
                } else {
                    clause.label.clone()
                };
                let contribution = match (clause.kind, clause.contribution) {
                    (_, None) => "missing".to_string(),
                    (ClauseKindName::Rule, Some(_)) if !clause.fired => "—".to_string(),
                    (ClauseKindName::Expr, Some(c)) => number(c),
                    (_, Some(c)) => signed(c),
                };
                let mut note = String::new();
                if clause.kind == ClauseKindName::Rule && !clause.fired {
                    note.push_str("did not fire");
                }
                if let Some(m) = clause.events_matched {
                    let plural = if m == 1 { "event" } else { "events" };
                    note = format!("{m} {plural}");
                    if let Some(p) = clause.periods_counted {
                        let plural = if p == 1 { "period" } else { "periods" };
                        let _ = write!(note, ", {p} {plural} counted");
                    }
                    if clause.capped == Some(true) {
                        let before = clause.points_before_cap.unwrap_or(0.0);
                        let _ = write!(note, ", {} before the cap", number(before));
                    }
                }
                let _ = write!(out, "  {label:<width$}  {contribution:>8}");
                if !note.is_empty() {
                    let _ = write!(out, "   ({note})");
                }
                out.push('\n');
                if let Some(error) = &clause.error {
                    let _ = writeln!(out, "    error: {error}");
                }
            }
            if let Some(total) = score.total {
                let _ = writeln!(out, "  {:<width$}  {:>8}", "total", number(total));
            }
            if let Some(clamp) = &score.clamp {
                if clamp.applied {
                    let _ = writeln!(
                        out,
                        "  {:<width$}  {:>8}   (clamp {}..{})",
                        "clamped",
                        number(clamp.after),
                        number(clamp.low),
                        number(clamp.high)
                    );
                }
            }
        }
        for segment in &self.segments {
            out.push('\n');
            let _ = writeln!(out, "segment {}", segment.name);
            let width = segment
                .arms
                .iter()
                .map(|a| a.label.chars().count() + 2)
                .max()
                .unwrap_or(0);
            for arm in &segment.arms {
                let quoted = format!("\"{}\"", arm.label);
                match arm.keep {
                    Some(keep) => {
                        let _ = writeln!(
                            out,
                            "  {quoted:<width$}  {}, keep when {}",
                            arm.result.word(),
                            keep.word()
                        );
                    }
                    None => {
                        let _ = writeln!(out, "  {quoted:<width$}  {}", arm.result.word());
                    }
                }
                if let Some(error) = &arm.error {
                    let _ = writeln!(out, "    error: {error}");
                }
            }
            let kept = if segment.kept {
                ", kept by `keep when` (the previous label)"
            } else {
                ""
            };
            match (&segment.label, &segment.action) {
                (Some(l), Some(a)) => {
                    let _ = writeln!(out, "  → \"{l}\" ({a}){kept}");
                }
                (Some(l), None) => {
                    let _ = writeln!(out, "  → \"{l}\"{kept}");
                }
                (None, _) => {
                    let _ = writeln!(out, "  → no label (no arm matched)");
                }
            }
        }
        // Failures outside clauses and arms (in a let, a population function's argument).
        let shown_in_place = |message: &str| {
            let in_clauses = self
                .scores
                .iter()
                .flat_map(|s| &s.clauses)
                .map(|c| &c.error);
            let in_arms = self.segments.iter().flat_map(|s| &s.arms).map(|a| &a.error);
            in_clauses
                .chain(in_arms)
                .flatten()
                .any(|e| e.contains(message))
        };
        let elsewhere: Vec<&String> = self.errors.iter().filter(|m| !shown_in_place(m)).collect();
        if !elsewhere.is_empty() {
            out.push('\n');
            for message in elsewhere {
                let _ = writeln!(out, "error: {message}");
            }
        }
        out
    }
}
