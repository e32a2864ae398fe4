//! The new rule file: the old text edited at the spans of the points, caps, clamps and
//! thresholds, with a comment at the end of each changed clause, then formatted. Everything
//! else (comments, order, labels, filters, decays, segments) is the author's text.

use std::sync::Arc;

use scoreline_syntax::ast::{BinaryOp, Expr, ExprKind, Item, RuleFile, Span};
use scoreline_syntax::SourceFile;

use super::target::{number as literal, ClauseSite, PointsForm};
use super::ThresholdMove;
use crate::evaluate::metrics::ScoreColumn;

/// Replacements of spans of the source text (an insertion is an empty span).
#[derive(Debug, Clone, Default)]
pub struct Edits {
    list: Vec<(Span, String)>,
}

impl Edits {
    /// Replaces the text of `span` with `text`.
    pub fn replace(&mut self, span: Span, text: String) {
        self.list.push((span, text));
    }

    /// Inserts `text` at byte `at`.
    pub fn insert(&mut self, at: usize, text: String) {
        self.list.push((Span::new(at, at), text));
    }

    /// The text with every edit made (overlapping edits keep the first one made).
    pub fn apply(&self, text: &str) -> String {
        let mut list: Vec<&(Span, String)> = self.list.iter().collect();
        list.sort_by_key(|(span, _)| (std::cmp::Reverse(span.start), std::cmp::Reverse(span.end)));
        let mut out = text.to_string();
        let mut limit = usize::MAX;
        for (span, replacement) in list {
            let range = span.range();
            if range.end > limit || range.end > out.len() {
                continue;
            }
            out.replace_range(range.clone(), replacement);
            limit = range.start;
        }
        out
    }
}

/// Parses and formats `text`; `Err` is the syntax errors.
pub fn format(name: &str, text: &str) -> Result<String, Vec<scoreline_syntax::Diagnostic>> {
    let file = Arc::new(SourceFile::new(name, text));
    let ast = scoreline_syntax::parse(&file)?;
    Ok(scoreline_syntax::format::format(&file, &ast))
}

/// A number with at most two decimals, never `-0`.
pub fn number(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let s = format!("{r:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Points with their sign: `+12`, `-7.5`, `0`.
pub fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", number(x))
    } else {
        number(x)
    }
}

/// A signed number with one decimal: `+8.1`, `-0.4`.
pub fn signed1(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    let r = if r == 0.0 { 0.0 } else { r };
    if r > 0.0 {
        format!("+{r:.1}")
    } else {
        format!("{r:.1}")
    }
}

/// A share as a percentage with one decimal: `23.4`.
pub fn percent(share: f64) -> String {
    format!("{:.1}", share * 100.0)
}

/// `x` to two significant digits (`0.8`, `1.2`, `0.034`, `12`).
pub fn two_digits(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return 0.0;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let unit = 10f64.powi(magnitude - 1);
    let r = (x / unit).round() * unit;
    // Back to the shortest decimal that denotes it.
    let decimals = (1 - magnitude).max(0) as usize;
    format!("{r:.decimals$}").parse().unwrap_or(r)
}

/// A multiplier as written: two significant digits.
fn multiplier_text(x: f64) -> String {
    let magnitude = if x == 0.0 {
        0
    } else {
        x.abs().log10().floor() as i32
    };
    let decimals = (1 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The edits of one clause: its points (and cap), and its end-of-line comment.
pub fn clause(
    file: &SourceFile,
    ast: &RuleFile,
    site: &ClauseSite,
    new: f64,
    comment: &str,
    edits: &mut Edits,
) {
    let old = site.scale();
    match &site.form {
        PointsForm::Number { value, plus } => {
            let text = if new > 0.0 && !*plus && *value > 0.0 {
                number(new)
            } else {
                signed(new)
            };
            edits.replace(site.points_span, text);
        }
        PointsForm::Multiplier { span, .. } => edits.replace(*span, multiplier_text(new)),
        PointsForm::Expression => {
            let written = file.slice(site.points_span);
            let inner = if written.starts_with('(') && written.ends_with(')') {
                written.to_string()
            } else {
                format!("({written})")
            };
            edits.replace(
                site.points_span,
                format!("({} * {inner})", multiplier_text(new)),
            );
        }
    }
    if let Some((cap, span)) = site.cap {
        if new != 0.0 && old != 0.0 {
            edits.replace(span, number(cap * (new / old).abs()));
        }
    }
    // The comment goes at the end of the clause's last line, replacing an earlier fit's.
    let end = site.span.end as usize;
    let mut line_end = file.text[end..]
        .find('\n')
        .map_or(file.text.len(), |i| end + i);
    if file.text[..line_end].ends_with('\r') {
        line_end -= 1;
    }
    let existing = ast
        .comments
        .iter()
        .find(|c| (c.span.start as usize) >= end && (c.span.start as usize) < line_end);
    match existing {
        Some(c) => {
            let text = file.slice(c.span);
            let kept = match text.find("fit: was") {
                Some(0..=2) => String::new(),
                Some(at) => text[..at].trim_end().trim_end_matches(';').to_string(),
                None => text.trim_end().to_string(),
            };
            let new_text = if kept.is_empty() || kept == "#" {
                comment.to_string()
            } else {
                format!("{kept}; {}", comment.trim_start_matches("# "))
            };
            edits.replace(c.span, new_text);
        }
        None => edits.insert(line_end, format!(" {comment}")),
    }
}

/// A comparison of a fitted score with a number in a segment arm.
struct Site {
    segment: String,
    label: String,
    score: String,
    /// The operator as if the score were on the left.
    op: BinaryOp,
    value: f64,
    span: Span,
}

/// Moves every threshold on a fitted score in the segments so that the same number of
/// contacts is on the arm's side of it, rounded to the step.
pub fn thresholds(
    ast: &RuleFile,
    old: &[ScoreColumn],
    new: &[(String, Vec<Option<f64>>)],
    step: f64,
    edits: &mut Edits,
) -> Vec<ThresholdMove> {
    let names: Vec<&str> = new.iter().map(|(n, _)| n.as_str()).collect();
    let mut sites = Vec::new();
    for item in &ast.items {
        let Item::Segment(segment) = item else {
            continue;
        };
        for arm in &segment.arms {
            let conditions = arm
                .condition
                .iter()
                .chain(arm.keep.as_ref().map(|k| &k.condition));
            for condition in conditions {
                condition.walk(|e| {
                    if let Some((score, op, value, span)) = comparison(e, &names) {
                        sites.push(Site {
                            segment: segment.name.name.clone(),
                            label: arm.label.value.clone(),
                            score,
                            op,
                            value,
                            span,
                        });
                    }
                });
            }
        }
    }
    // Each score's values sorted once (a segment may test the same score in many arms).
    let mut sorted: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    let mut moves = Vec::new();
    for site in sites {
        if !sorted.iter().any(|(n, _, _)| *n == site.score) {
            let Some(before) = old.iter().find(|c| c.name == site.score) else {
                continue;
            };
            let Some((_, after)) = new.iter().find(|(n, _)| *n == site.score) else {
                continue;
            };
            let mut a: Vec<f64> = before.values.iter().flatten().copied().collect();
            let mut b: Vec<f64> = after.iter().flatten().copied().collect();
            a.sort_by(f64::total_cmp);
            b.sort_by(f64::total_cmp);
            sorted.push((site.score.clone(), a, b));
        }
        let Some((_, old_values, new_values)) = sorted.iter().find(|(n, _, _)| *n == site.score)
        else {
            continue;
        };
        if old_values.is_empty() || new_values.is_empty() {
            continue;
        }
        let want = side(old_values, site.op, site.value);
        let mut candidates: Vec<f64> = new_values
            .iter()
            .map(|v| (v / step).round() * step)
            .collect();
        candidates.dedup();
        let mut best = site.value;
        let mut best_gap = usize::MAX;
        for t in candidates {
            let gap = side(new_values, site.op, t).abs_diff(want);
            let closer = (t - site.value).abs() < (best - site.value).abs();
            if gap < best_gap || (gap == best_gap && closer) {
                best = t;
                best_gap = gap;
            }
        }
        let best = if best == 0.0 { 0.0 } else { best };
        if best != site.value {
            edits.replace(site.span, number(best));
        }
        moves.push(ThresholdMove {
            segment: site.segment,
            label: site.label,
            score: site.score,
            op: site.op.symbol().to_string(),
            old: site.value,
            new: best,
            share_old: want as f64 / old_values.len() as f64,
            share_new: side(new_values, site.op, best) as f64 / new_values.len() as f64,
        });
    }
    moves
}

/// How many of the sorted values satisfy `value OP t`.
fn side(sorted: &[f64], op: BinaryOp, t: f64) -> usize {
    let below = sorted.partition_point(|v| *v < t);
    let at_most = sorted.partition_point(|v| *v <= t);
    match op {
        BinaryOp::Ge => sorted.len() - below,
        BinaryOp::Gt => sorted.len() - at_most,
        BinaryOp::Lt => below,
        BinaryOp::Le => at_most,
        _ => 0,
    }
}

/// `SCORE OP NUMBER` or `NUMBER OP SCORE` with OP one of `>=`, `>`, `<=`, `<`.
fn comparison(e: &Expr, names: &[&str]) -> Option<(String, BinaryOp, f64, Span)> {
    let ExprKind::Binary { op, lhs, rhs, .. } = &e.kind else {
        return None;
    };
    if !matches!(
        op,
        BinaryOp::Ge | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Lt
    ) {
        return None;
    }
    let name = |x: &Expr| match &x.kind {
        ExprKind::Name(id) if names.contains(&id.name.as_str()) => Some(id.name.clone()),
        _ => None,
    };
    if let (Some(score), Some(value)) = (name(lhs), literal(rhs)) {
        return Some((score, *op, value, rhs.span));
    }
    if let (Some(value), Some(score)) = (literal(lhs), name(rhs)) {
        let flipped = match op {
            BinaryOp::Ge => BinaryOp::Le,
            BinaryOp::Gt => BinaryOp::Lt,
            BinaryOp::Le => BinaryOp::Ge,
            _ => BinaryOp::Gt,
        };
        return Some((score, flipped, value, lhs.span));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_short() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(-7.5), "-7.5");
        assert_eq!(number(-0.001), "0");
        assert_eq!(signed(12.0), "+12");
        assert_eq!(signed(0.0), "0");
        assert_eq!(two_digits(0.8123), 0.81);
        assert_eq!(two_digits(-12.7), -13.0);
        assert_eq!(two_digits(0.03456), 0.035);
        assert_eq!(multiplier_text(0.81), "0.81");
        assert_eq!(multiplier_text(13.0), "13");
        assert_eq!(multiplier_text(-1.2), "-1.2");
    }

    #[test]
    fn edits_apply_from_the_end() {
        let mut e = Edits::default();
        e.replace(Span::new(0, 1), "AA".into());
        e.insert(3, "!".into());
        e.replace(Span::new(2, 3), "C".into());
        assert_eq!(e.apply("abc"), "AAbC!");
    }

    #[test]
    fn a_clause_gets_its_points_cap_and_comment_with_the_line_endings_kept() {
        let text = "score e {\r\n  each page_view => +2 max 10 # views\r\n  each email_click => (amount / 50) max 20\r\n}\r\n";
        let file = Arc::new(SourceFile::new("rules.score", text));
        let ast = scoreline_syntax::parse(&file).unwrap();
        let target = super::super::target::target(&file, &ast, "e").unwrap();
        let mut edits = Edits::default();
        let sites = &target.blocks[0].clauses;
        clause(&file, &ast, &sites[0], 6.0, "# fit: was +2", &mut edits);
        clause(
            &file,
            &ast,
            &sites[1],
            0.8,
            "# fit: was the expression",
            &mut edits,
        );
        assert_eq!(
            edits.apply(text),
            "score e {\r\n  each page_view => +6 max 30 # views; fit: was +2\r\n  each email_click => (0.8 * (amount / 50)) max 16 # fit: was the expression\r\n}\r\n"
        );
    }

    #[test]
    fn side_counts_each_operator() {
        let v = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(side(&v, BinaryOp::Ge, 2.0), 3);
        assert_eq!(side(&v, BinaryOp::Gt, 2.0), 1);
        assert_eq!(side(&v, BinaryOp::Le, 2.0), 3);
        assert_eq!(side(&v, BinaryOp::Lt, 2.0), 1);
    }
}
