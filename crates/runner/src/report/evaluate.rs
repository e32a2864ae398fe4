//! The report of `scoreline evaluate`: how well each score ranks (ROC with its AUC, gains),
//! conversion and lift by bucket and by segment label.

use super::svg::{self, Bar, BarChart, Format, LineChart, Reference, Series};
use super::{Block, Kpi, Page, Section, Table};
use crate::evaluate::metrics::{ScoreMetrics, SegmentMetrics};
use crate::evaluate::text::{fixed, percent, score_value};
use crate::evaluate::Evaluated;

/// The report page of an evaluation.
pub fn evaluate_page(e: &Evaluated) -> String {
    super::render(&page(e))
}

fn lift_note(lift: Option<f64>) -> Option<String> {
    lift.map(|l| format!("×{l:.1}"))
}

fn day(instant: &str) -> &str {
    instant.get(..10).unwrap_or(instant)
}

fn page(e: &Evaluated) -> Page {
    let r = &e.report;
    let titles = &e.titles;
    let known = r.contacts - r.unknown_outcome;
    let best = r
        .scores
        .iter()
        .filter(|s| s.auc.is_some())
        .max_by(|a, b| a.auc.unwrap_or(0.0).total_cmp(&b.auc.unwrap_or(0.0)));
    let mut lede = format!(
        "Scored as of {}, then compared with {}: {} of {} contacts converted ({}).",
        day(&r.as_of),
        e.outcome,
        svg::group_thousands(r.positives as i64),
        svg::group_thousands(known as i64),
        percent(r.base_rate)
    );
    let mut kpis = vec![Kpi {
        value: percent(r.base_rate),
        label: "base conversion rate".into(),
        note: Some(format!(
            "{} of {} contacts",
            svg::group_thousands(r.positives as i64),
            svg::group_thousands(known as i64)
        )),
    }];
    if let Some(s) = best {
        let auc = s.auc.unwrap_or(0.0);
        lede.push_str(&format!(
            " `{}` ranks a converter above a non-converter {} of the time (AUC {auc:.2}).",
            s.name,
            Format::Percent.show((auc * 100.0).round() / 100.0)
        ));
        kpis.push(Kpi {
            value: format!("{auc:.2}"),
            label: format!("AUC of {}", s.name),
            note: Some("0.5 is a coin toss, 1 is perfect".into()),
        });
        if let Some(top) = s.buckets.last() {
            if let Some(lift) = top.lift {
                lede.push_str(&format!(
                    " Its top bucket converts at {lift:.1}× the base rate."
                ));
                kpis.push(Kpi {
                    value: format!("{lift:.1}×"),
                    label: format!("lift of the top {} bucket", s.name),
                    note: Some(format!(
                        "{} converted, scores {} and up",
                        percent(Some(top.rate)),
                        score_value(top.min)
                    )),
                });
            }
        }
    }
    if let Some(segment) = r.segments.first() {
        if let Some(first) = segment.labels.first().filter(|l| l.contacts > 0) {
            kpis.push(Kpi {
                value: percent(first.rate),
                label: format!(
                    "conversion of {} · {}",
                    segment.name,
                    first.label.as_deref().unwrap_or("no label")
                ),
                note: Some(format!(
                    "{} the base rate · {} of conversions",
                    first.lift.map_or("-".into(), |l| format!("{l:.1}×")),
                    percent(first.share_of_positives)
                )),
            });
        }
    }
    let mut meta = vec![
        format!("ruleset {}", r.ruleset.name),
        format!("version {}", r.ruleset.version),
        format!("as of {}", r.as_of),
        format!("outcome: {}", e.outcome),
    ];
    if let Some(t0) = &e.baseline_as_of {
        meta.push(format!("drift against {t0}"));
    }
    let mut sections = vec![ranking(e)];
    for s in &r.scores {
        sections.push(buckets(s, r.base_rate, &titles.score(&s.name)));
    }
    for s in &r.segments {
        sections.push(segment(s, r.base_rate));
    }
    let mut notes: Vec<String> = e
        .notes
        .iter()
        .map(|n| format!("{} of {} is not shown: {}.", n.metric, n.of, n.reason))
        .collect();
    notes.push("AUC: the chance that a contact who converted scores above one who did not (ties count half). Lift: a group's conversion rate over the base rate. Buckets split the contacts in groups of about equal size by score (equal scores share a bucket). Precision and recall: of the contacts scoring at least the bucket's lowest score, the share that converted, and the share of all conversions they hold.".into());
    if r.unknown_outcome > 0 {
        notes.push(format!(
            "{} contacts have no known outcome and are left out of every number.",
            svg::group_thousands(r.unknown_outcome as i64)
        ));
    }
    Page {
        kicker: "Backtest".into(),
        title: format!(
            "{}: does the score predict {}?",
            titles.ruleset_or(&r.ruleset.name),
            match &r.outcome {
                crate::evaluate::OutcomeJson::Event { event_type, .. } => event_type.clone(),
                crate::evaluate::OutcomeJson::Field { field } => field.clone(),
            }
        ),
        lede,
        kpis,
        meta,
        sections,
        notes,
    }
}

/// AUC, KS and PSI of every score, the ROC curve and the gains curve.
fn ranking(e: &Evaluated) -> Section {
    let r = &e.report;
    let with_psi = r.scores.iter().any(|s| s.psi.is_some());
    let mut header = vec!["score", "contacts", "converted", "AUC", "KS"];
    if with_psi {
        header.push("PSI");
    }
    let mut table = Table::new(&header);
    for s in &r.scores {
        let mut row = vec![
            s.name.clone(),
            svg::group_thousands(s.present as i64),
            svg::group_thousands(s.positives as i64),
            fixed(s.auc, 3),
            fixed(s.ks, 3),
        ];
        if let Some(psi) = s.psi {
            row.push(fixed(psi, 3));
        }
        table.rows.push(row);
    }
    table.caption = Some("How well each score ranks".into());
    let series = |f: fn(&crate::evaluate::metrics::CurvePoint) -> (f64, f64),
                  hover: fn(f64, f64) -> String| {
        r.scores
            .iter()
            .map(|s| (s, &s.curve))
            .filter(|(_, c)| !c.is_empty())
            .map(|(s, c)| Series {
                name: s.name.clone(),
                points: c.iter().map(f).collect(),
                hover: format!("{} · AUC {}", s.name, fixed(s.auc, 2)),
                point_hover: hover,
            })
            .collect::<Vec<_>>()
    };
    let roc = series(
        |p| (p.fpr, p.tpr),
        |x, y| {
            format!(
                "above this score: {} of converters, {} of the others",
                svg::share(y),
                svg::share(x)
            )
        },
    );
    let gains = series(
        |p| (p.share, p.tpr),
        |x, y| {
            format!(
                "the top {} of contacts hold {} of conversions",
                svg::share(x),
                svg::share(y)
            )
        },
    );
    let mut blocks = Vec::new();
    if roc.is_empty() {
        blocks.push(Block {
            chart: None,
            table: Some(table),
            stacked: false,
        });
    } else {
        let auc_title = r
            .scores
            .iter()
            .filter_map(|s| s.auc.map(|a| format!("{} {a:.2}", s.name)))
            .collect::<Vec<_>>()
            .join(", ");
        blocks.push(Block {
            chart: Some(svg::line_chart(&LineChart {
                id: "roc".into(),
                title: format!("ROC curve · AUC {auc_title}"),
                x_label: "non-converters above the score (false positive rate)".into(),
                y_label: "converters above the score".into(),
                series: roc,
                diagonal: "chance (AUC 0.5)".into(),
            })),
            table: Some(table),
            stacked: false,
        });
        let mut gains_table = Table::new(&["top share of contacts"]);
        let shares = [0.1, 0.2, 0.3, 0.5];
        for s in r
            .scores
            .iter()
            .map(|s| (s, &s.curve))
            .filter(|(_, c)| !c.is_empty())
        {
            gains_table.header.push(s.0.name.clone());
            gains_table.numeric.push(true);
        }
        for share in shares {
            let mut row = vec![format!("top {}", Format::Percent.show(share))];
            for (_, c) in r
                .scores
                .iter()
                .map(|s| (s, &s.curve))
                .filter(|(_, c)| !c.is_empty())
            {
                row.push(svg::share(gain_at(c, share)));
            }
            gains_table.rows.push(row);
        }
        gains_table.caption = Some("Share of conversions captured".into());
        blocks.push(Block {
            chart: Some(svg::line_chart(&LineChart {
                id: "gains".into(),
                title: "Gains curve: conversions captured by targeting the top scores".into(),
                x_label: "contacts targeted, highest scores first".into(),
                y_label: "conversions captured".into(),
                series: gains,
                diagonal: "random targeting".into(),
            })),
            table: Some(gains_table),
            stacked: false,
        });
    }
    Section {
        title: "How well each score ranks".into(),
        intro: Some("A score that ranks well puts the contacts who converted on top: its ROC curve and its gains curve bow far above the dashed line of chance.".into()),
        blocks,
    }
}

/// The share of conversions captured by the top `share` of contacts, read off the gains
/// curve (linear between its points).
fn gain_at(curve: &[crate::evaluate::metrics::CurvePoint], share: f64) -> f64 {
    let mut prev = (0.0, 0.0);
    for p in curve {
        if p.share >= share {
            let (x0, y0) = prev;
            if p.share - x0 <= f64::EPSILON {
                return p.tpr;
            }
            return y0 + (p.tpr - y0) * (share - x0) / (p.share - x0);
        }
        prev = (p.share, p.tpr);
    }
    prev.1
}

/// Conversion and lift by bucket of one score.
fn buckets(s: &ScoreMetrics, base_rate: Option<f64>, title: &str) -> Section {
    let named = if title == s.name {
        s.name.clone()
    } else {
        format!("{title} ({})", s.name)
    };
    let bars = s
        .buckets
        .iter()
        .map(|b| Bar {
            label: b.bucket.to_string(),
            value: b.rate,
            hover: format!(
                "bucket {} (scores {}): {} of {} converted ({}), lift {}",
                b.bucket,
                range(b.min, b.max),
                b.positives,
                b.contacts,
                percent(Some(b.rate)),
                fixed(b.lift, 2)
            ),
            note: lift_note(b.lift),
        })
        .collect();
    let base = (s.present > 0).then(|| s.positives as f64 / s.present as f64);
    let chart = svg::bar_chart(&BarChart {
        id: format!("buckets-{}", s.name),
        title: format!("Conversion and lift by bucket · {}", s.name),
        x_label: format!(
            "{} bucket (1 = lowest scores; ×: lift over the base rate)",
            s.name
        ),
        y_label: "converted".into(),
        format: Format::Percent,
        bars,
        reference: base.or(base_rate).map(|v| Reference {
            value: v,
            label: "base rate".into(),
        }),
    });
    let mut table = Table::new(&[
        "bucket",
        "scores",
        "contacts",
        "converted",
        "rate",
        "lift",
        "share ≥",
        "precision",
        "recall",
    ]);
    for (b, t) in s.buckets.iter().zip(&s.thresholds).rev() {
        table.rows.push(vec![
            b.bucket.to_string(),
            range(b.min, b.max),
            svg::group_thousands(b.contacts as i64),
            svg::group_thousands(b.positives as i64),
            percent(Some(b.rate)),
            fixed(b.lift, 2),
            percent(Some(t.share)),
            percent(Some(t.precision)),
            percent(t.recall),
        ]);
    }
    table.caption = Some("Highest scores first; share, precision and recall of the contacts scoring at least the bucket's lowest score".into());
    Section {
        title: format!("Conversion by bucket: {named}"),
        intro: Some(format!(
            "The contacts split in buckets of about equal size by their {} score. A good score converts more in each higher bucket; lift says how many times the base rate a bucket converts.",
            s.name
        )),
        blocks: vec![Block {
            chart: Some(chart),
            table: Some(table),
            stacked: false,
        }],
    }
}

fn range(min: f64, max: f64) -> String {
    if min == max {
        score_value(min)
    } else {
        format!("{}–{}", score_value(min), score_value(max))
    }
}

/// Conversion and lift by label of one segment.
fn segment(s: &SegmentMetrics, base_rate: Option<f64>) -> Section {
    let bars = s
        .labels
        .iter()
        .filter(|l| l.label.is_some() || l.contacts > 0)
        .map(|l| {
            let label = l.label.clone().unwrap_or_else(|| "(no label)".into());
            Bar {
                hover: format!(
                    "{label}: {} of {} converted ({}), lift {}, {} of all conversions",
                    l.positives,
                    l.contacts,
                    percent(l.rate),
                    fixed(l.lift, 2),
                    percent(l.share_of_positives)
                ),
                label,
                value: l.rate.unwrap_or(0.0),
                note: lift_note(l.lift),
            }
        })
        .collect();
    let chart = svg::bar_chart(&BarChart {
        id: format!("segment-{}", s.name),
        title: format!("Conversion and lift by label · {}", s.name),
        x_label: format!("{} label (×: lift over the base rate)", s.name),
        y_label: "converted".into(),
        format: Format::Percent,
        bars,
        reference: base_rate.map(|v| Reference {
            value: v,
            label: "base rate".into(),
        }),
    });
    let mut table = Table::new(&[
        "label",
        "contacts",
        "converted",
        "rate",
        "lift",
        "share of conversions",
    ]);
    for l in &s.labels {
        table.rows.push(vec![
            l.label.clone().unwrap_or_else(|| "(no label)".into()),
            svg::group_thousands(l.contacts as i64),
            svg::group_thousands(l.positives as i64),
            percent(l.rate),
            fixed(l.lift, 2),
            percent(l.share_of_positives),
        ]);
    }
    Section {
        title: format!("Conversion by segment: {}", s.name),
        intro: Some("Each label in the order its arms are tried, then the contacts no arm matched. To move a threshold, read the bucket table of the score the arms test.".into()),
        blocks: vec![Block {
            chart: Some(chart),
            table: Some(table),
            stacked: false,
        }],
    }
}
