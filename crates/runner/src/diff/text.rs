//! `scoreline diff` for people: the text report, and the markdown summary for a pull request.

use std::fmt::Write;

use super::compare::{Mover, SegmentDiff};
use super::Diffed;
use crate::evaluate::text::score_value;

fn share(n: usize, of: usize) -> String {
    if of == 0 {
        "0.0 %".into()
    } else {
        format!("{:.1} %", n as f64 * 100.0 / of as f64)
    }
}

fn mean(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.2}"))
}

fn value(x: Option<f64>) -> String {
    x.map_or("-".into(), score_value)
}

fn label(l: &Option<String>) -> String {
    l.clone().unwrap_or_else(|| "(none)".into())
}

fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", score_value(x))
    } else {
        score_value(x)
    }
}

fn clauses(m: &Mover) -> String {
    m.clauses
        .iter()
        .map(|c| format!("`{}` {} → {}", c.label, value(c.before), value(c.after)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The labels of a segment's matrix, in order, and its counts by (from, to).
fn grid(d: &Diffed, s: &SegmentDiff) -> (Vec<Option<String>>, Vec<Vec<usize>>) {
    let order = d
        .labels
        .iter()
        .find(|(n, _)| *n == s.name)
        .map(|(_, o)| o.clone())
        .unwrap_or_default();
    let mut counts = vec![vec![0; order.len()]; order.len()];
    for c in &s.matrix {
        let i = order.iter().position(|l| *l == c.from);
        let j = order.iter().position(|l| *l == c.to);
        if let (Some(i), Some(j)) = (i, j) {
            counts[i][j] = c.contacts;
        }
    }
    (order, counts)
}

/// The text report: both versions, then each score, then each segment's matrix.
pub fn render(d: &Diffed) -> String {
    let r = &d.report;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "base  {} {} ({})",
        r.base.name, r.base.version, d.base_source
    );
    let _ = writeln!(
        out,
        "head  {} {} ({})",
        r.head.name, r.head.version, d.head_source
    );
    let _ = writeln!(out, "{} contacts scored as of {}", r.contacts, d.as_of);
    for s in &r.scores {
        let _ = writeln!(
            out,
            "\nscore `{}`: {} of {} contacts changed ({}), mean {} → {}",
            s.name,
            s.changed,
            r.contacts,
            share(s.changed, r.contacts),
            mean(s.mean_before),
            mean(s.mean_after)
        );
        for (title, movers) in [
            ("largest increases", &s.increases),
            ("largest decreases", &s.decreases),
        ] {
            if movers.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {title}:");
            let width = movers
                .iter()
                .map(|m| m.id.chars().count())
                .max()
                .unwrap_or(0);
            for m in movers {
                let line = format!(
                    "    {:<width$}  {:>6} → {:<6} {:>7}  {}",
                    m.id,
                    score_value(m.before),
                    score_value(m.after),
                    signed(m.after - m.before),
                    clauses(m)
                );
                // No clauses (a stored run's movers): no trailing blanks.
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
    }
    if !r.added_scores.is_empty() {
        let _ = writeln!(out, "\nscores added: {}", names(&r.added_scores));
    }
    if !r.removed_scores.is_empty() {
        let _ = writeln!(out, "\nscores removed: {}", names(&r.removed_scores));
    }
    for s in &r.segments {
        let _ = writeln!(
            out,
            "\nsegment `{}`: {} of {} contacts moved ({})",
            s.name,
            s.moved,
            r.contacts,
            share(s.moved, r.contacts)
        );
        let (order, counts) = grid(d, s);
        let mut rows: Vec<Vec<String>> = vec![std::iter::once("from \\ to".to_string())
            .chain(order.iter().map(label))
            .collect()];
        for (i, l) in order.iter().enumerate() {
            rows.push(
                std::iter::once(label(l))
                    .chain(counts[i].iter().map(|c| c.to_string()))
                    .collect(),
            );
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let mut line = String::from("  ");
            for (c, cell) in row.iter().enumerate() {
                if c == 0 {
                    let _ = write!(line, "{:<w$}", cell, w = widths[c]);
                } else {
                    let _ = write!(line, "  {:>w$}", cell, w = widths[c]);
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    out
}

fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The markdown summary for a pull-request comment: a table of scores and of segments, then
/// the migration matrices and the movers folded away.
pub fn markdown(d: &Diffed) -> String {
    let r = &d.report;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Scoreline diff: `{}` {} → `{}` {}\n",
        r.base.name, r.base.version, r.head.name, r.head.version
    );
    let _ = writeln!(
        out,
        "{} contacts scored as of {} with `{}` and `{}`.\n",
        r.contacts, d.as_of, d.base_source, d.head_source
    );
    if !r.scores.is_empty() {
        out.push_str(
            "| score | changed | mean before | mean after |\n| --- | ---: | ---: | ---: |\n",
        );
        for s in &r.scores {
            let _ = writeln!(
                out,
                "| `{}` | {} ({}) | {} | {} |",
                s.name,
                s.changed,
                share(s.changed, r.contacts),
                mean(s.mean_before),
                mean(s.mean_after)
            );
        }
        out.push('\n');
    }
    if !r.added_scores.is_empty() {
        let _ = writeln!(out, "Scores added: {}.\n", names(&r.added_scores));
    }
    if !r.removed_scores.is_empty() {
        let _ = writeln!(out, "Scores removed: {}.\n", names(&r.removed_scores));
    }
    if !r.segments.is_empty() {
        out.push_str("| segment | moved |\n| --- | ---: |\n");
        for s in &r.segments {
            let _ = writeln!(
                out,
                "| `{}` | {} ({}) |",
                s.name,
                s.moved,
                share(s.moved, r.contacts)
            );
        }
        out.push('\n');
    }
    for s in &r.segments {
        let (order, counts) = grid(d, s);
        let _ = writeln!(
            out,
            "<details><summary>Migration of <code>{}</code></summary>\n",
            s.name
        );
        let _ = writeln!(
            out,
            "| from \\ to | {} |\n| --- |{}",
            order
                .iter()
                .map(|l| md_escape(&label(l)))
                .collect::<Vec<_>>()
                .join(" | "),
            " ---: |".repeat(order.len())
        );
        for (i, l) in order.iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} |",
                md_escape(&label(l)),
                counts[i]
                    .iter()
                    .enumerate()
                    .map(|(j, c)| if i == j || *c == 0 {
                        c.to_string()
                    } else {
                        format!("**{c}**")
                    })
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        out.push_str("\n</details>\n\n");
    }
    for s in r
        .scores
        .iter()
        .filter(|s| !s.increases.is_empty() || !s.decreases.is_empty())
    {
        let _ = writeln!(
            out,
            "<details><summary>Largest moves of <code>{}</code></summary>\n",
            s.name
        );
        out.push_str(
            "| contact | before | after | clauses that changed |\n| --- | ---: | ---: | --- |\n",
        );
        for m in s.increases.iter().chain(&s.decreases) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md_escape(&m.id),
                score_value(m.before),
                score_value(m.after),
                md_escape(&clauses(m))
            );
        }
        out.push_str("\n</details>\n\n");
    }
    out
}
