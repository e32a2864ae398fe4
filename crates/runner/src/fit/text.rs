//! The text `scoreline fit` prints for people.

use std::fmt::Write;

use super::edit::{number, percent, signed, signed1};
use super::{Fitted, Status};

/// How many changed clauses the summary lists.
const TOP: usize = 8;

/// The summary: what was fitted on, the hold-out AUC and conversion per tier, old and new,
/// the clauses that changed most, and what to run next.
pub fn render(fitted: &Fitted) -> String {
    let r = &fitted.report;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fitted `{}` on {}: {} contacts fitted on ({} converted), {} held out ({} converted)",
        r.score, fitted.outcome, r.training, r.training_positives, r.holdout, r.holdout_positives
    );
    let auc = |a: Option<f64>| a.map_or("n/a".to_string(), |a| format!("{a:.3}"));
    let which = if r.holdout > 0 {
        "hold-out"
    } else {
        "in-sample (no hold-out)"
    };
    let _ = writeln!(
        out,
        "\n{which} AUC of `{}`: {} before, {} after",
        r.score,
        auc(r.comparison.auc_old),
        auc(r.comparison.auc_new)
    );
    // The segments the new points change (the JSON has every segment).
    for segment in r.comparison.segments.iter().filter(|s| s.old != s.new) {
        let width = segment
            .old
            .iter()
            .map(|l| l.label.as_deref().map_or(6, |t| t.chars().count()))
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "\nsegment `{}` ({which}): contacts and conversion rate",
            segment.name
        );
        let _ = writeln!(
            out,
            "  {:<width$} {:>18} {:>18}",
            "label", "before", "after"
        );
        for (a, b) in segment.old.iter().zip(&segment.new) {
            let cell = |l: &crate::evaluate::metrics::LabelStats| {
                let rate = l
                    .rate
                    .map_or("-".to_string(), |x| format!("{}%", percent(x)));
                format!("{} at {rate}", l.contacts)
            };
            let label = a.label.clone().unwrap_or_else(|| "(none)".into());
            let _ = writeln!(out, "  {label:<width$} {:>18} {:>18}", cell(a), cell(b));
        }
    }
    let mut changed: Vec<&super::ClauseFit> = r
        .clauses
        .iter()
        .filter(|c| matches!(c.status, Status::Fitted | Status::Zero) && c.new != c.old)
        .collect();
    changed.sort_by(|a, b| (b.new - b.old).abs().total_cmp(&(a.new - a.old).abs()));
    if changed.is_empty() {
        let _ = writeln!(out, "\nno clause changed");
    } else {
        let _ = writeln!(
            out,
            "\nclauses that changed most ({} changed):",
            changed.len()
        );
        for c in changed.iter().take(TOP) {
            let interval = c
                .interval
                .map(|(lo, hi)| format!(" (95% CI {} to {})", signed1(lo), signed1(hi)))
                .unwrap_or_default();
            let (old, new) = if c.multiplier {
                (format!("x{}", number(c.old)), format!("x{}", number(c.new)))
            } else {
                (signed(c.old), signed(c.new))
            };
            let _ = writeln!(
                out,
                "  {}: `{}` (line {}) {old} -> {new}{interval}",
                c.score, c.label, c.line
            );
        }
    }
    let zero: Vec<&super::ClauseFit> = r
        .clauses
        .iter()
        .filter(|c| c.status == Status::Zero)
        .collect();
    if !zero.is_empty() {
        let _ = writeln!(out, "\nset to 0 (weight not distinguishable from zero):");
        for c in zero {
            let _ = writeln!(
                out,
                "  {}: `{}` (line {}), fires for {}% of contacts",
                c.score,
                c.label,
                c.line,
                percent(c.fires)
            );
        }
    }
    if !r.thresholds.is_empty() {
        let _ = writeln!(
            out,
            "\nthresholds moved to keep each tier's share of contacts:"
        );
        // One line per comparison, with every arm that makes it.
        let mut lines: Vec<(String, Vec<&str>)> = Vec::new();
        for t in &r.thresholds {
            let line = format!(
                "{}: {} {} {} -> {} {} {} ({}% of contacts, was {}%)",
                t.segment,
                t.score,
                t.op,
                number(t.old),
                t.score,
                t.op,
                number(t.new),
                percent(t.share_new),
                percent(t.share_old)
            );
            match lines.iter_mut().find(|(l, _)| *l == line) {
                Some((_, labels)) => labels.push(&t.label),
                None => lines.push((line, vec![&t.label])),
            }
        }
        for (line, labels) in lines {
            let arms: Vec<String> = labels.iter().map(|l| format!("`{l}`")).collect();
            let (segment, rest) = line.split_once(": ").unwrap_or((&line, ""));
            let _ = writeln!(out, "  {segment} {}: {rest}", arms.join(", "));
        }
    }
    if !r.warnings.is_empty() {
        out.push('\n');
        for w in &r.warnings {
            let _ = writeln!(out, "note: {w}");
        }
    }
    let _ = writeln!(
        out,
        "\nwrote {}; see what it changes with:\n  {}",
        r.out, r.diff_command
    );
    out
}
