//! The report of `scoreline fit`: the hold-out AUC before and after, every clause's old and
//! new points with its interval, the conversion per tier, and the thresholds moved.

use super::svg;
use super::{Block, Kpi, Page, Section, Table};
use crate::fit::edit::{number, percent, signed, signed1};
use crate::fit::{Fitted, Status};

/// The report page of a fit.
pub fn fit_page(f: &Fitted) -> String {
    super::render(&page(f))
}

fn auc(a: Option<f64>) -> String {
    a.map_or("-".into(), |a| format!("{a:.3}"))
}

fn page(f: &Fitted) -> Page {
    let r = &f.report;
    let which = if r.holdout > 0 {
        "on the hold-out"
    } else {
        "on the contacts fitted on (no hold-out)"
    };
    let changed = r
        .clauses
        .iter()
        .filter(|c| matches!(c.status, Status::Fitted | Status::Zero) && c.new != c.old)
        .count();
    let kpis = vec![
        Kpi {
            value: auc(r.comparison.auc_old),
            label: "AUC before".into(),
            note: Some(which.into()),
        },
        Kpi {
            value: auc(r.comparison.auc_new),
            label: "AUC after".into(),
            note: Some(which.into()),
        },
        Kpi {
            value: changed.to_string(),
            label: "clauses changed".into(),
            note: Some(format!("of {}", r.clauses.len())),
        },
    ];
    let mut points = Table::new(&[
        "clause",
        "score",
        "line",
        "before",
        "after",
        "95% CI",
        "fires for",
        "status",
    ]);
    points.numeric = vec![false, false, true, true, true, true, true, false];
    for c in &r.clauses {
        let show = |x: f64| {
            if c.multiplier {
                format!("×{}", number(x))
            } else {
                signed(x)
            }
        };
        points.rows.push(vec![
            c.label.clone(),
            c.score.clone(),
            c.line.to_string(),
            show(c.old),
            show(c.new),
            c.interval.map_or("-".into(), |(lo, hi)| {
                format!("{} to {}", signed1(lo), signed1(hi))
            }),
            format!("{}%", percent(c.fires)),
            match c.status {
                Status::Fitted => "fitted",
                Status::Zero => "set to 0 (CI holds 0)",
                Status::NeverVaries => "never varies: left as it is",
                Status::Unmeasured => "0 points: left as it is",
            }
            .into(),
        ]);
    }
    let mut sections = vec![Section {
        title: "Points".into(),
        intro: Some(format!(
            "Each clause's points before and after the fit ({} points double the odds), with the range the data supports at 95 %.",
            number(r.pdo)
        )),
        blocks: vec![Block {
            table: Some(points),
            ..Block::default()
        }],
    }];
    let tiers: Vec<Block> = r
        .comparison
        .segments
        .iter()
        .filter(|s| s.old != s.new)
        .map(|s| {
            let mut t = Table::new(&[
                "label",
                "contacts before",
                "rate before",
                "contacts after",
                "rate after",
            ]);
            t.caption = Some(s.name.clone());
            let rate = |x: Option<f64>| x.map_or("-".into(), svg::share);
            for (a, b) in s.old.iter().zip(&s.new) {
                t.rows.push(vec![
                    a.label.clone().unwrap_or_else(|| "(no label)".into()),
                    a.contacts.to_string(),
                    rate(a.rate),
                    b.contacts.to_string(),
                    rate(b.rate),
                ]);
            }
            Block {
                table: Some(t),
                ..Block::default()
            }
        })
        .collect();
    if !tiers.is_empty() {
        sections.push(Section {
            title: "Conversion per tier".into(),
            intro: Some(format!("Contacts and conversion rate per label, {which}.")),
            blocks: tiers,
        });
    }
    if !r.thresholds.is_empty() {
        let mut t = Table::new(&[
            "segment",
            "arm",
            "before",
            "after",
            "share before",
            "share after",
        ]);
        t.numeric = vec![false, false, false, false, true, true];
        for m in &r.thresholds {
            t.rows.push(vec![
                m.segment.clone(),
                m.label.clone(),
                format!("{} {} {}", m.score, m.op, number(m.old)),
                format!("{} {} {}", m.score, m.op, number(m.new)),
                svg::share(m.share_old),
                svg::share(m.share_new),
            ]);
        }
        sections.push(Section {
            title: "Thresholds moved".into(),
            intro: Some("Each threshold on a fitted score, moved so that as many contacts as before are on its side.".into()),
            blocks: vec![Block {
                table: Some(t),
                ..Block::default()
            }],
        });
    }
    let mut notes = r.warnings.clone();
    notes.push(format!(
        "See what the new file changes with: {}",
        r.diff_command
    ));
    Page {
        kicker: "Fit".into(),
        title: format!("Points of {} learned from {}", r.score, f.outcome),
        lede: format!(
            "{} contacts fitted on ({} converted); AUC {} before, {} after, {which}. The new rule file is {}.",
            svg::group_thousands(r.training as i64),
            svg::group_thousands(r.training_positives as i64),
            auc(r.comparison.auc_old),
            auc(r.comparison.auc_new),
            r.out
        ),
        kpis,
        meta: vec![
            format!("ruleset {} {}", r.ruleset.name, r.ruleset.version),
            format!("as of {}", r.as_of),
            format!("seed {}, hold-out {}", r.seed, svg::share(r.holdout_share)),
        ],
        sections,
        notes,
    }
}
