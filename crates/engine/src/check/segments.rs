//! Warnings about segments: no default arm, arms that can never be chosen, and thresholds
//! that leave values without a label.
//!
//! An arm whose condition is one comparison of an expression with a constant (`total >= 70`,
//! `days < 30`, `x between 1 and 5`, `x == 3`) covers an interval of that expression's values.
//! Arms over the same expression (compared by its source text) are checked against each other;
//! other conditions are never assumed to cover anything, so no warning is a guess.

use scoreline_syntax::codes;
use std::cmp::Ordering;
use std::collections::HashMap;

use scoreline_syntax::ast::{BinaryOp, Expr, ExprKind, SegmentDecl, Span, UnaryOp};

use super::expr::unparen;
use super::Checker;

/// One end of an interval: the value and whether it is just below (-1), at (0) or just
/// above (+1) it, so that open and closed ends order correctly.
#[derive(Debug, Clone)]
struct Bound {
    value: f64,
    side: i8,
    /// The constant as written (empty for an infinite end).
    text: String,
}

impl Bound {
    fn infinite(value: f64) -> Bound {
        Bound {
            value,
            side: 0,
            text: String::new(),
        }
    }

    fn cmp(&self, other: &Bound) -> Ordering {
        self.value
            .total_cmp(&other.value)
            .then(self.side.cmp(&other.side))
    }

    fn is_infinite(&self) -> bool {
        self.value.is_infinite()
    }
}

/// The values `lo..=hi` (with `Bound::side` saying which ends are open).
#[derive(Debug, Clone)]
struct Interval {
    lo: Bound,
    hi: Bound,
}

impl Interval {
    fn contains(&self, other: &Interval) -> bool {
        self.lo.cmp(&other.lo) != Ordering::Greater && other.hi.cmp(&self.hi) != Ordering::Greater
    }

    fn is_everything(&self) -> bool {
        self.lo.is_infinite() && self.hi.is_infinite()
    }
}

/// The subject (normalized source text, as written) and interval of a simple condition.
struct Simple {
    key: String,
    subject: Span,
    interval: Interval,
}

impl Checker<'_> {
    /// Warns about a segment's arms.
    pub(super) fn segment_warnings(&mut self, seg: &SegmentDecl) {
        let mut default_arm: Option<usize> = None;
        let mut covered: HashMap<String, Vec<(Interval, usize)>> = HashMap::new();
        // The subject of every conditional arm while they are all simple and share it.
        let mut single_subject: Option<Option<(String, Span)>> = None;
        let mut conditional = 0;
        for (k, arm) in seg.arms.iter().enumerate() {
            if let Some(first) = default_arm {
                let first_arm = &seg.arms[first];
                let line = self.line(first_arm.span);
                let d = self
                    .warning(
                        codes::W0102,
                        arm.label.span,
                        format!("the arm `\"{}\"` can never be chosen", arm.label.value),
                    )
                    .with_label("after the default arm")
                    .with_help(format!(
                        "the arm `\"{}\"` on line {line} has no condition and takes every contact left; move this arm before it",
                        first_arm.label.value
                    ));
                self.push(d);
                continue;
            }
            let Some(cond) = &arm.condition else {
                default_arm = Some(k);
                continue;
            };
            conditional += 1;
            let Some(simple) = self.simple(cond) else {
                single_subject = Some(None);
                continue;
            };
            single_subject = match single_subject {
                None => Some(Some((simple.key.clone(), simple.subject))),
                Some(Some((key, span))) if key == simple.key => Some(Some((key, span))),
                _ => Some(None),
            };
            let earlier = covered.entry(simple.key.clone()).or_default();
            let by_one = earlier
                .iter()
                .find(|(iv, _)| iv.contains(&simple.interval))
                .map(|(_, i)| *i);
            let by_all = by_one.is_none()
                && merge(earlier)
                    .iter()
                    .any(|iv| iv.contains(&simple.interval));
            earlier.push((simple.interval.clone(), k));
            let cond_text = self.quote(cond.span);
            if let Some(i) = by_one {
                let by = &seg.arms[i];
                let line = self.line(by.span);
                let d = self
                    .warning(
                        codes::W0103,
                        arm.label.span,
                        format!("the arm `\"{}\"` can never be chosen", arm.label.value),
                    )
                    .with_label(format!("{cond_text} is already taken"))
                    .with_help(format!(
                        "every contact with {cond_text} already gets `\"{}\"` from the arm on line {line}; put the narrower condition first",
                        by.label.value
                    ));
                self.push(d);
            } else if by_all {
                let d = self
                    .warning(
                        codes::W0103,
                        arm.label.span,
                        format!("the arm `\"{}\"` can never be chosen", arm.label.value),
                    )
                    .with_label(format!("{cond_text} is already taken"))
                    .with_help(format!(
                        "the arms above already take every contact with {cond_text}; change its condition or remove it"
                    ));
                self.push(d);
            }
        }
        if default_arm.is_some() || conditional == 0 {
            return;
        }
        if let Some(Some((key, subject))) = single_subject {
            let merged = merge(&covered[&key]);
            if merged.iter().any(Interval::is_everything) {
                // Every value gets a label; only a missing one does not, which is not a typo.
                return;
            }
            if merged.len() >= 2 {
                let subject = self.file.slice(subject).to_string();
                let gap = describe_gap(&subject, &merged[0].hi, &merged[1].lo);
                let d = self
                    .warning(
                        codes::W0104,
                        seg.name.span,
                        format!(
                            "the segment `{}` gives no label to contacts with {gap}",
                            seg.name.name
                        ),
                    )
                    .with_label("thresholds leave a gap")
                    .with_help("add an arm for them, or a default arm last: `\"other\" => \"…\"`");
                self.push(d);
                return;
            }
        }
        let d = self
            .warning(
                codes::W0101,
                seg.name.span,
                format!("the segment `{}` has no default arm", seg.name.name),
            )
            .with_label("some contacts may get no label")
            .with_help("contacts that match no arm get no label; add a default arm last: `\"other\" => \"…\"`");
        self.push(d);
    }

    /// The subject and interval of a condition that compares one expression with constants.
    fn simple(&self, cond: &Expr) -> Option<Simple> {
        let cond = unparen(cond);
        match &cond.kind {
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let (subject, constant, op) = match (self.constant(lhs), self.constant(rhs)) {
                    (None, Some(c)) => (lhs, c, *op),
                    (Some(c), None) => (rhs, c, flip(*op)?),
                    _ => return None,
                };
                let (lo, hi) = match op {
                    BinaryOp::Ge => (at(constant, 0), Bound::infinite(f64::INFINITY)),
                    BinaryOp::Gt => (at(constant, 1), Bound::infinite(f64::INFINITY)),
                    BinaryOp::Le => (Bound::infinite(f64::NEG_INFINITY), at(constant, 0)),
                    BinaryOp::Lt => (Bound::infinite(f64::NEG_INFINITY), at(constant, -1)),
                    BinaryOp::Eq => (at(constant.clone(), 0), at(constant, 0)),
                    _ => return None,
                };
                Some(self.simple_of(subject, Interval { lo, hi }))
            }
            ExprKind::Between { value, low, high } => {
                let lo = self.constant(low)?;
                let hi = self.constant(high)?;
                self.constant(value).is_none().then_some(())?;
                Some(self.simple_of(
                    value,
                    Interval {
                        lo: at(lo, 0),
                        hi: at(hi, 0),
                    },
                ))
            }
            _ => None,
        }
    }

    fn simple_of(&self, subject: &Expr, interval: Interval) -> Simple {
        let key: String = self
            .file
            .slice(subject.span)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        Simple {
            key,
            subject: subject.span,
            interval,
        }
    }

    /// A number, duration or date constant, with its text.
    fn constant(&self, e: &Expr) -> Option<(f64, String)> {
        let e = unparen(e);
        let value = match &e.kind {
            ExprKind::Number(n) => *n,
            ExprKind::Duration(d) => d.days(),
            ExprKind::Date(d) => d.millis as f64,
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => match unparen(operand).kind {
                ExprKind::Number(n) => -n,
                _ => return None,
            },
            _ => return None,
        };
        Some((value, self.file.slice(e.span).to_string()))
    }
}

fn at((value, text): (f64, String), side: i8) -> Bound {
    Bound { value, side, text }
}

/// The same comparison with its sides swapped: `70 <= x` is `x >= 70`.
fn flip(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Le => BinaryOp::Ge,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Ge => BinaryOp::Le,
        BinaryOp::Eq => BinaryOp::Eq,
        _ => return None,
    })
}

/// The union of intervals as sorted, disjoint intervals.
fn merge(intervals: &[(Interval, usize)]) -> Vec<Interval> {
    let mut sorted: Vec<Interval> = intervals
        .iter()
        .map(|(iv, _)| iv.clone())
        .filter(|iv| iv.lo.cmp(&iv.hi) != Ordering::Greater)
        .collect();
    sorted.sort_by(|a, b| a.lo.cmp(&b.lo));
    let mut out: Vec<Interval> = Vec::new();
    for iv in sorted {
        if let Some(last) = out.last_mut() {
            let touches = iv.lo.cmp(&last.hi) != Ordering::Greater
                || (iv.lo.value == last.hi.value && iv.lo.side - last.hi.side == 1);
            if touches {
                if iv.hi.cmp(&last.hi) == Ordering::Greater {
                    last.hi = iv.hi;
                }
                continue;
            }
        }
        out.push(iv);
    }
    out
}

/// The values between two covered intervals, as conditions: `` `total >= 40` and `total < 70` ``.
fn describe_gap(subject: &str, end: &Bound, start: &Bound) -> String {
    if end.value == start.value {
        return format!("`{subject} == {}`", end.text);
    }
    let from = if end.side == 0 { ">" } else { ">=" };
    let to = if start.side == 0 { "<" } else { "<=" };
    format!(
        "`{subject} {from} {}` and `{subject} {to} {}`",
        end.text, start.text
    )
}
