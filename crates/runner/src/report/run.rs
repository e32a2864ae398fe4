//! The report of `scoreline run`: how the scores are distributed and how big each segment is.

use scoreline_data::{OutputMeta, Value};
use scoreline_engine::Evaluation;

use super::svg::{self, Bar, BarChart, Format};
use super::{Block, Kpi, Page, Section, Table, Titles};
use crate::evaluate::text::score_value;

/// How many bars a distribution has at most (scores with more distinct values are binned).
const DISTRIBUTION_BARS: usize = 20;

/// The report page of a run.
pub fn run_page(meta: &OutputMeta, as_of: i64, evaluation: &Evaluation, titles: &Titles) -> String {
    super::render(&page(meta, as_of, evaluation, titles))
}

/// A count and its share of `total`: `1,234 (12.3%)`.
fn count_share(n: usize, total: usize) -> String {
    let share = if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    };
    format!("{} ({})", svg::group_thousands(n as i64), svg::share(share))
}

/// The labels of a segment in arm order, each once, with its count; then no label.
pub(crate) fn segment_sizes(
    counts: &scoreline_engine::SegmentCounts,
) -> Vec<(Option<String>, usize)> {
    let mut out: Vec<(Option<String>, usize)> = Vec::new();
    for (label, n) in &counts.labels {
        match out.iter_mut().find(|(l, _)| l.as_deref() == Some(label)) {
            Some((_, total)) => *total += n,
            None => out.push((Some(label.clone()), *n)),
        }
    }
    if counts.missing > 0 {
        out.push((None, counts.missing));
    }
    out
}

fn page(meta: &OutputMeta, as_of: i64, evaluation: &Evaluation, titles: &Titles) -> Page {
    let total = evaluation.len();
    let date = scoreline_data::format_date(as_of);
    let day = date.get(..10).unwrap_or(&date).to_string();
    let mut kpis = vec![Kpi {
        value: svg::group_thousands(total as i64),
        label: "contacts scored".into(),
        note: Some(format!("as of {day}")),
    }];
    let mut lede = format!(
        "{} contacts scored as of {day}.",
        svg::group_thousands(total as i64)
    );
    if let Some(first) = evaluation.segment_counts.first() {
        let sizes = segment_sizes(first);
        let parts: Vec<String> = sizes
            .iter()
            .filter_map(|(l, n)| {
                l.as_ref()
                    .map(|l| format!("{} {l}", count_share(*n, total)))
            })
            .collect();
        if !parts.is_empty() {
            lede.push_str(&format!(
                " Segment `{}`: {}.",
                first.segment,
                parts.join(", ")
            ));
        }
        for (label, n) in sizes.iter().take(4) {
            kpis.push(Kpi {
                value: svg::share(if total == 0 {
                    0.0
                } else {
                    *n as f64 / total as f64
                }),
                label: format!(
                    "{} · {}",
                    first.segment,
                    label.as_deref().unwrap_or("no label")
                ),
                note: Some(format!(
                    "{} contacts{}",
                    svg::group_thousands(*n as i64),
                    label
                        .as_deref()
                        .and_then(|l| titles.action(&first.segment, l))
                        .map(|a| format!(" · {a}"))
                        .unwrap_or_default()
                )),
            });
        }
    }
    let mut sections = Vec::new();
    let score_names: Vec<&String> = evaluation
        .columns
        .iter()
        .skip(1)
        .filter(|c| {
            evaluation
                .segment_counts
                .iter()
                .all(|s| s.segment != **c && format!("{}_action", s.segment) != **c)
        })
        .collect();
    if !score_names.is_empty() {
        let blocks = score_names
            .iter()
            .enumerate()
            .map(|(i, name)| distribution(evaluation, i + 1, name, titles))
            .collect();
        sections.push(Section {
            title: "How the scores are spread".into(),
            intro: Some("Each bar counts the contacts whose score falls in its range; hover a bar for its numbers. A score no rule could compute (a missing value) is counted apart.".into()),
            blocks,
        });
    }
    if !evaluation.segment_counts.is_empty() {
        let blocks = evaluation
            .segment_counts
            .iter()
            .map(|s| segment_block(s, total, titles))
            .collect();
        sections.push(Section {
            title: "Segment sizes".into(),
            intro: Some("How many contacts each label of a segment got, in the order the segment's arms are tried.".into()),
            blocks,
        });
    }
    Page {
        kicker: "Scores".into(),
        title: format!("{}: scores as of {day}", titles.ruleset_or(&meta.ruleset)),
        lede,
        kpis,
        meta: vec![
            format!("ruleset {}", meta.ruleset),
            format!("version {}", meta.version),
            format!("as of {date}"),
        ],
        sections,
        notes: Vec::new(),
    }
}

/// The histogram of one score and its summary.
fn distribution(evaluation: &Evaluation, column: usize, name: &str, titles: &Titles) -> Block {
    let mut values: Vec<f64> = evaluation
        .rows()
        .filter_map(|row| match row[column] {
            Value::Number(x) if x.is_finite() => Some(x),
            _ => None,
        })
        .collect();
    values.sort_by(f64::total_cmp);
    let missing = evaluation.len() - values.len();
    let n = values.len();
    let mut bars = Vec::new();
    if let (Some(&lo), Some(&hi)) = (values.first(), values.last()) {
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for &v in &values {
            match distinct.last_mut() {
                Some((x, c)) if *x == v => *c += 1,
                _ => distinct.push((v, 1)),
            }
        }
        if distinct.len() <= DISTRIBUTION_BARS {
            for (v, c) in distinct {
                bars.push(Bar {
                    label: score_value(v),
                    value: c as f64,
                    hover: format!("score {}: {}", score_value(v), count_share(c, n)),
                    note: None,
                });
            }
        } else {
            // Round bins: a round width, starting at a multiple of it.
            let mut width = svg::nice_step((hi - lo) / DISTRIBUTION_BARS as f64);
            if values.iter().all(|v| v.fract() == 0.0) {
                width = width.ceil().max(1.0);
            }
            let start = (lo / width).floor() * width;
            let count = (((hi - start) / width).floor() as usize + 1).max(1);
            let mut counts = vec![0usize; count];
            for &v in &values {
                let i = (((v - start) / width).floor() as usize).min(count - 1);
                counts[i] += 1;
            }
            for (i, c) in counts.into_iter().enumerate() {
                let from = start + width * i as f64;
                let to = from + width;
                bars.push(Bar {
                    label: score_value(from),
                    value: c as f64,
                    hover: format!(
                        "score {} to under {}: {}",
                        score_value(from),
                        score_value(to),
                        count_share(c, n)
                    ),
                    note: None,
                });
            }
        }
    }
    let title = titles.score(name);
    let chart = svg::bar_chart(&BarChart {
        id: format!("distribution-{name}"),
        title: if title == name {
            format!("Distribution of {name}")
        } else {
            format!("Distribution of {title} ({name})")
        },
        x_label: format!("{name} score"),
        y_label: "contacts".into(),
        format: Format::Count,
        bars,
        reference: None,
    });
    let mut table = Table::new(&[name, ""]);
    table.numeric = vec![false, true];
    let stat = |label: &str, value: String| vec![label.to_string(), value];
    table.rows.push(stat(
        "contacts with a score",
        svg::group_thousands(n as i64),
    ));
    table
        .rows
        .push(stat("missing", svg::group_thousands(missing as i64)));
    if n > 0 {
        let mean = values.iter().sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        table.rows.push(stat("lowest", score_value(values[0])));
        table.rows.push(stat("median", score_value(median)));
        table.rows.push(stat("mean", score_value(mean)));
        table.rows.push(stat("highest", score_value(values[n - 1])));
    }
    Block {
        chart: Some(chart),
        table: Some(table),
        stacked: false,
    }
}

/// The sizes of one segment's labels.
fn segment_block(counts: &scoreline_engine::SegmentCounts, total: usize, titles: &Titles) -> Block {
    let sizes = segment_sizes(counts);
    let bars = sizes
        .iter()
        .map(|(label, n)| {
            let shown = label.clone().unwrap_or_else(|| "(no label)".into());
            Bar {
                hover: format!("{shown}: {}", count_share(*n, total)),
                label: shown,
                value: *n as f64,
                note: Some(svg::share(if total == 0 {
                    0.0
                } else {
                    *n as f64 / total as f64
                })),
            }
        })
        .collect();
    let chart = svg::bar_chart(&BarChart {
        id: format!("segment-{}", counts.segment),
        title: format!("Contacts per label of {}", counts.segment),
        x_label: format!("{} label", counts.segment),
        y_label: "contacts".into(),
        format: Format::Count,
        bars,
        reference: None,
    });
    let with_actions = sizes.iter().any(|(l, _)| {
        l.as_deref()
            .is_some_and(|l| titles.action(&counts.segment, l).is_some())
    });
    let mut header = vec!["label", "contacts", "share"];
    if with_actions {
        header.push("action");
    }
    let mut table = Table::new(&header);
    if with_actions {
        table.numeric[3] = false;
    }
    for (label, n) in &sizes {
        let mut row = vec![
            label.clone().unwrap_or_else(|| "(no label)".into()),
            svg::group_thousands(*n as i64),
            svg::share(if total == 0 {
                0.0
            } else {
                *n as f64 / total as f64
            }),
        ];
        if with_actions {
            row.push(
                label
                    .as_deref()
                    .and_then(|l| titles.action(&counts.segment, l))
                    .unwrap_or("")
                    .to_string(),
            );
        }
        table.rows.push(row);
    }
    Block {
        chart: Some(chart),
        table: Some(table),
        stacked: false,
    }
}
