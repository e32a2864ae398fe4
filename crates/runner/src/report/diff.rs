//! The report of `scoreline diff`: each segment's migration matrix as a heat map, each
//! score's distribution before and after, and the largest movers.

use std::fmt::Write;

use super::svg::{self, Bar, BarChart, Format};
use super::{Block, Kpi, Page, Section, Table};
use crate::diff::Diffed;
use crate::evaluate::text::score_value;

/// How many bars a distribution has at most.
const BARS: usize = 20;

/// The report page of a comparison.
pub fn diff_page(d: &Diffed) -> String {
    super::render(&page(d))
}

fn share(n: usize, total: usize) -> String {
    svg::share(if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    })
}

fn label(l: &Option<String>) -> String {
    l.clone().unwrap_or_else(|| "(no label)".into())
}

fn page(d: &Diffed) -> Page {
    let r = &d.report;
    let total = r.contacts;
    let mut kpis = vec![Kpi {
        value: svg::group_thousands(total as i64),
        label: "contacts scored twice".into(),
        note: Some(format!("as of {}", d.as_of.get(..10).unwrap_or(&d.as_of))),
    }];
    for s in &r.segments {
        kpis.push(Kpi {
            value: share(s.moved, total),
            label: format!("{} · moved", s.name),
            note: Some(format!(
                "{} contacts change label",
                svg::group_thousands(s.moved as i64)
            )),
        });
    }
    for s in &r.scores {
        kpis.push(Kpi {
            value: share(s.changed, total),
            label: format!("{} · changed", s.name),
            note: Some(format!(
                "mean {} → {}",
                s.mean_before.map_or("-".into(), |m| format!("{m:.2}")),
                s.mean_after.map_or("-".into(), |m| format!("{m:.2}"))
            )),
        });
    }
    let mut lede = format!(
        "{} contacts scored with {} and with {}.",
        svg::group_thousands(total as i64),
        d.base_source,
        d.head_source
    );
    for s in &r.segments {
        lede.push_str(&format!(
            " Segment {}: {} of the contacts change label.",
            s.name,
            share(s.moved, total)
        ));
    }
    let mut sections = Vec::new();
    if !r.segments.is_empty() {
        sections.push(Section {
            title: "Who moves between labels".into(),
            intro: Some("Each cell counts the contacts with the old version's label (row) and the new version's label (column); the diagonal is who stays. Hover a cell for its numbers.".into()),
            blocks: r.segments.iter().map(|s| migration(d, s)).collect(),
        });
    }
    if !d.values.is_empty() {
        let mut blocks = Vec::new();
        for v in &d.values {
            blocks.extend(distributions(&v.name, &v.before, &v.after));
        }
        sections.push(Section {
            title: "How the scores shift".into(),
            intro: Some("The distribution of each score with the old version and with the new one, over the same ranges.".into()),
            blocks,
        });
    }
    for s in r
        .scores
        .iter()
        .filter(|s| !s.increases.is_empty() || !s.decreases.is_empty())
    {
        let mut table = Table::new(&[
            "contact",
            "before",
            "after",
            "change",
            "clauses that changed",
        ]);
        table.numeric[4] = false;
        for m in s.increases.iter().chain(&s.decreases) {
            let delta = m.after - m.before;
            table.rows.push(vec![
                m.id.clone(),
                score_value(m.before),
                score_value(m.after),
                if delta > 0.0 {
                    format!("+{}", score_value(delta))
                } else {
                    score_value(delta)
                },
                m.clauses
                    .iter()
                    .map(|c| {
                        format!(
                            "{}: {} → {}",
                            c.label,
                            c.before.map_or("-".into(), score_value),
                            c.after.map_or("-".into(), score_value)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ]);
        }
        sections.push(Section {
            title: format!("The largest moves of {}", s.name),
            intro: Some("The contacts whose score rose or fell the most, and the clauses whose contribution changed for them.".into()),
            blocks: vec![Block {
                chart: None,
                table: Some(table),
                stacked: false,
            }],
        });
    }
    let mut notes = Vec::new();
    if !r.added_scores.is_empty() {
        notes.push(format!(
            "Scores only in the new version: {}.",
            r.added_scores.join(", ")
        ));
    }
    if !r.removed_scores.is_empty() {
        notes.push(format!(
            "Scores only in the old version: {}.",
            r.removed_scores.join(", ")
        ));
    }
    Page {
        kicker: "Rule change".into(),
        title: format!("{}: what the change moves", r.head.name),
        lede,
        kpis,
        meta: vec![
            format!(
                "base {} {} ({})",
                r.base.name, r.base.version, d.base_source
            ),
            format!(
                "head {} {} ({})",
                r.head.name, r.head.version, d.head_source
            ),
            format!("as of {}", d.as_of),
        ],
        sections,
        notes,
    }
}

/// A segment's migration matrix: a heat map and the same numbers in a table.
fn migration(d: &Diffed, s: &crate::diff::SegmentDiff) -> Block {
    let order = d
        .labels
        .iter()
        .find(|(n, _)| *n == s.name)
        .map(|(_, o)| o.clone())
        .unwrap_or_default();
    let k = order.len();
    let mut counts = vec![vec![0usize; k]; k];
    for c in &s.matrix {
        if let (Some(i), Some(j)) = (
            order.iter().position(|l| *l == c.from),
            order.iter().position(|l| *l == c.to),
        ) {
            counts[i][j] = c.contacts;
        }
    }
    let names: Vec<String> = order.iter().map(label).collect();
    let chart = heat_map(&s.name, &names, &counts, d.report.contacts);
    let mut header: Vec<&str> = vec!["old \\ new"];
    header.extend(names.iter().map(String::as_str));
    let mut table = Table::new(&header);
    for (i, n) in names.iter().enumerate() {
        let mut row = vec![n.clone()];
        row.extend(counts[i].iter().map(|c| svg::group_thousands(*c as i64)));
        table.rows.push(row);
    }
    Block {
        chart: Some(chart),
        table: Some(table),
        stacked: false,
    }
}

/// A heat map of counts: rows are the old labels, columns the new ones.
fn heat_map(segment: &str, names: &[String], counts: &[Vec<usize>], total: usize) -> String {
    let k = names.len().max(1) as f64;
    let (left, top, cell) = (110.0, 70.0, (420.0 / k).min(90.0));
    let (width, height) = (left + cell * k + 30.0, top + cell * k + 60.0);
    let id = format!("migration-{segment}");
    let title = format!("Migration of {segment}: old label to new label");
    // Who stays and who moves are shaded each against its own largest cell, so that moves
    // stay visible beside a large diagonal.
    let largest = |moved: bool| {
        let cells = counts.iter().enumerate().flat_map(|(i, row)| {
            row.iter()
                .enumerate()
                .filter(move |(j, _)| (i != *j) == moved)
                .map(|(_, c)| *c)
        });
        cells.max().unwrap_or(0).max(1) as f64
    };
    let (max_stay, max_move) = (largest(false), largest(true));
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart-svg" data-chart="{id}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{t}</title><desc id="{id}-desc">{d}</desc><text class="chart-title" x="10" y="24">{t}</text>"#,
        id = svg::escape(&id),
        t = svg::escape(&title),
        d = svg::escape(
            "contacts per pair of old and new labels; the diagonal is who keeps its label"
        ),
    );
    for (j, n) in names.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            left + cell * (j as f64 + 0.5),
            top - 8.0,
            svg::escape(n)
        );
    }
    for (i, n) in names.iter().enumerate() {
        let y = top + cell * i as f64;
        let _ = write!(
            out,
            r#"<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + cell / 2.0 + 4.0,
            svg::escape(n)
        );
        for (j, to) in names.iter().enumerate() {
            let c = counts[i][j];
            let x = left + cell * j as f64;
            // Who stays is blue, who moves is amber; the more contacts, the darker.
            let (colour, max) = if i == j {
                (svg::BAR, max_stay)
            } else {
                (svg::REFERENCE, max_move)
            };
            let opacity = if c == 0 {
                0.04
            } else {
                0.15 + 0.85 * c as f64 / max
            };
            let _ = write!(
                out,
                r#"<g class="cell"><title>{from} → {to}: {count} contacts ({share})</title><rect x="{x}" y="{y}" width="{w}" height="{w}" fill="{colour}" fill-opacity="{opacity:.3}" stroke="white"/><text class="bar-note" x="{tx}" y="{ty}" text-anchor="middle">{count}</text></g>"#,
                from = svg::escape(n),
                to = svg::escape(to),
                count = svg::group_thousands(c as i64),
                share = share(c, total),
                w = cell,
                tx = x + cell / 2.0,
                ty = y + cell / 2.0 + 4.0,
            );
        }
    }
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">new label (head)</text><text class="axis-label" transform="translate(16 {}) rotate(-90)" text-anchor="middle">old label (base)</text></svg>"#,
        left + cell * k / 2.0,
        height - 16.0,
        top + cell * k / 2.0
    );
    out
}

/// A score's distribution before and after, over the same bins.
fn distributions(name: &str, before: &[Option<f64>], after: &[Option<f64>]) -> Vec<Block> {
    let all: Vec<f64> = before
        .iter()
        .chain(after)
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if all.is_empty() {
        return Vec::new();
    }
    let mut width = svg::nice_step((hi - lo) / BARS as f64);
    if all.iter().all(|v| v.fract() == 0.0) {
        width = width.ceil().max(1.0);
    }
    let start = (lo / width).floor() * width;
    let count = (((hi - start) / width).floor() as usize + 1).max(1);
    let bin = |v: f64| (((v - start) / width).floor() as usize).min(count - 1);
    let histogram = |values: &[Option<f64>]| {
        let mut c = vec![0usize; count];
        for v in values.iter().flatten().filter(|v| v.is_finite()) {
            c[bin(*v)] += 1;
        }
        c
    };
    let (hb, ha) = (histogram(before), histogram(after));
    let mut table = Table::new(&["score from", "before", "after"]);
    let mut blocks = Vec::new();
    for (side, counts) in [("before", &hb), ("after", &ha)] {
        let n: usize = counts.iter().sum();
        let bars = counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let from = start + width * i as f64;
                Bar {
                    label: score_value(from),
                    value: *c as f64,
                    hover: format!(
                        "{side}: score {} to under {}: {} ({})",
                        score_value(from),
                        score_value(from + width),
                        svg::group_thousands(*c as i64),
                        share(*c, n)
                    ),
                    note: None,
                }
            })
            .collect();
        blocks.push(Block {
            chart: Some(svg::bar_chart(&BarChart {
                id: format!("{side}-{name}"),
                title: format!("{name} {side} the change"),
                x_label: format!("{name} score"),
                y_label: "contacts".into(),
                format: Format::Count,
                bars,
                reference: None,
            })),
            table: None,
            stacked: false,
        });
    }
    for i in 0..count {
        table.rows.push(vec![
            score_value(start + width * i as f64),
            svg::group_thousands(hb[i] as i64),
            svg::group_thousands(ha[i] as i64),
        ]);
    }
    blocks.push(Block {
        chart: None,
        table: Some(table),
        stacked: false,
    });
    blocks
}
