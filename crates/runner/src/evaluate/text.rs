//! The text report of `scoreline evaluate`: AUC first, then lift by bucket, then segments.

use std::fmt::Write;

use super::metrics::{ScoreMetrics, SegmentMetrics};
use super::Evaluated;

/// A percentage with one decimal (`12.5%`), or `-` when undefined.
pub fn percent(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{:.1}%", x * 100.0))
}

/// A number with `digits` decimals, or `-` when undefined.
pub fn fixed(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// A score as written in rule files: whole numbers without decimals, others with up to two.
pub fn score_value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A table: a header row and rows, columns right-aligned but the first.
struct Table {
    rows: Vec<Vec<String>>,
    /// The first column holds names (left-aligned), not numbers.
    left_first: bool,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
            left_first: true,
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, out: &mut String) {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let mut line = String::from(" ");
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c].saturating_sub(cell.chars().count());
                line.push_str("  ");
                if c == 0 && self.left_first {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                } else {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

/// The whole text report.
pub fn render(e: &Evaluated) -> String {
    let r = &e.report;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ruleset {} {}, as of {}; outcome: {}",
        r.ruleset.name, r.ruleset.version, r.as_of, e.outcome
    );
    let known = r.contacts - r.unknown_outcome;
    let _ = write!(out, "{} contacts", r.contacts);
    if r.unknown_outcome > 0 {
        let _ = write!(
            out,
            ", {} with no known outcome (left out), {known} with one",
            r.unknown_outcome
        );
    }
    let _ = writeln!(
        out,
        "; {} positive (base rate {})",
        r.positives,
        percent(r.base_rate)
    );
    if let Some(t0) = &e.baseline_as_of {
        let _ = writeln!(out, "drift (PSI) against the scores as of {t0}");
    }

    out.push_str("\nHow well each score ranks (AUC: the chance that a positive scores above a negative; 0.5 is a coin toss)\n");
    let with_psi = r.scores.iter().any(|s| s.psi.is_some());
    let mut header = vec!["score", "contacts", "positives", "AUC", "KS"];
    if with_psi {
        header.push("PSI");
    }
    let mut table = Table::new(&header);
    for s in &r.scores {
        let mut row = vec![
            s.name.clone(),
            s.present.to_string(),
            s.positives.to_string(),
            fixed(s.auc, 3),
            fixed(s.ks, 3),
        ];
        if let Some(psi) = s.psi {
            row.push(fixed(psi, 3));
        }
        table.row(row);
    }
    table.render(&mut out);
    out.push_str("\nIn the bucket tables, lift is a bucket's rate over the base rate; share, precision and recall\nare those of the contacts scoring at least the bucket's lowest score (`score >=`).\n");
    for s in &r.scores {
        buckets(s, &mut out);
    }
    for s in &r.segments {
        segment(s, &mut out);
    }
    // A label no contact got shows `-` beside its 0 contacts: no note needed.
    let notes: Vec<_> = e.notes.iter().filter(|n| n.metric != "rate").collect();
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            let _ = writeln!(
                out,
                "note: {} of `{}` is undefined: {}",
                n.metric, n.of, n.reason
            );
        }
    }
    out
}

fn buckets(s: &ScoreMetrics, out: &mut String) {
    let _ = writeln!(
        out,
        "\n{}: conversion by bucket (highest scores first)",
        s.name
    );
    if s.buckets.is_empty() {
        out.push_str("  no contact has both a score and a known outcome\n");
        return;
    }
    let mut table = Table::new(&[
        "bucket",
        "scores",
        "contacts",
        "positives",
        "rate",
        "lift",
        "score >=",
        "share",
        "precision",
        "recall",
    ]);
    table.left_first = false;
    for (b, t) in s.buckets.iter().zip(&s.thresholds).rev() {
        let range = if b.min == b.max {
            score_value(b.min)
        } else {
            format!("{}..{}", score_value(b.min), score_value(b.max))
        };
        table.row(vec![
            b.bucket.to_string(),
            range,
            b.contacts.to_string(),
            b.positives.to_string(),
            percent(Some(b.rate)),
            fixed(b.lift, 2),
            score_value(t.at),
            percent(Some(t.share)),
            percent(Some(t.precision)),
            percent(t.recall),
        ]);
    }
    table.render(out);
}

fn segment(s: &SegmentMetrics, out: &mut String) {
    let _ = writeln!(out, "\nsegment {}: conversion by label", s.name);
    let mut table = Table::new(&[
        "label",
        "contacts",
        "positives",
        "rate",
        "lift",
        "share of positives",
    ]);
    for l in &s.labels {
        table.row(vec![
            l.label.clone().unwrap_or_else(|| "(no label)".into()),
            l.contacts.to_string(),
            l.positives.to_string(),
            percent(l.rate),
            fixed(l.lift, 2),
            percent(l.share_of_positives),
        ]);
    }
    table.render(out);
}
