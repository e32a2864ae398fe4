//! The checked data for people: text for the terminal and an HTML report page.

use super::{thousands, Finding, Report, Severity};
use crate::report::{self, Block, Kpi, Page, Section, Table};

/// The report as text: the fields the rules read, then each finding with its example line,
/// the rules it affects and what to do, then a summary line.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let files: Vec<String> = report
        .files
        .iter()
        .map(|f| {
            let what = if f.table == "contacts" {
                "contact"
            } else {
                "event"
            };
            format!(
                "`{}` ({} {what}{})",
                f.file,
                thousands(f.rows as u64),
                if f.rows == 1 { "" } else { "s" }
            )
        })
        .collect();
    out.push_str(&format!(
        "checked {} against `{}`, as of {}\n",
        files.join(" and "),
        report.ruleset,
        report.as_of
    ));
    if !report.fields.is_empty() {
        out.push_str("\nfields the rules read:\n");
        let names: Vec<String> = report
            .fields
            .iter()
            .map(|f| match &f.event_type {
                Some(t) => format!("{t}.{}", f.field),
                None => f.field.clone(),
            })
            .collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        for (f, name) in report.fields.iter().zip(&names) {
            out.push_str(&format!(
                "  {name:<width$}  {:<6} {:>6} present  {:>7} distinct\n",
                f.ty,
                percent(f.share_present),
                thousands(f.distinct),
            ));
        }
    }
    for f in &report.findings {
        out.push('\n');
        out.push_str(&finding(f));
    }
    out.push('\n');
    out.push_str(&summary(report));
    out
}

/// One finding, as a diagnostic: severity and message, the example line, the rules, help.
pub fn finding(f: &Finding) -> String {
    let severity = match f.severity {
        Severity::Warning => "warning",
        Severity::Note => "note",
    };
    let mut out = format!("{severity}: {}\n", f.message);
    if let Some(e) = &f.example {
        match (e.line, &e.text) {
            (Some(line), Some(text)) => {
                out.push_str(&format!("  --> {}:{line}\n", e.file));
                out.push_str(&format!("   | {}\n", super::visible(text)));
            }
            _ => out.push_str(&format!("  --> {}\n", e.file)),
        }
    }
    if !f.rules.is_empty() {
        let rules: Vec<String> = f.rules.iter().map(|r| format!("`{r}`")).collect();
        out.push_str(&format!("  = affects: {}\n", rules.join(", ")));
    }
    if let Some(help) = &f.help {
        out.push_str(&format!("  = help: {help}\n"));
    }
    out
}

/// `3 warnings, 2 notes in the data`, or that there is nothing to report.
pub fn summary(report: &Report) -> String {
    if report.findings.is_empty() {
        return "checked the data: no problems\n".to_string();
    }
    format!(
        "checked the data: {}, {}\n",
        plural(report.warnings, "warning"),
        plural(report.notes, "note")
    )
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// The report as an HTML page, titled with the ruleset's title (else its name).
pub fn page(report: &Report, titles: &report::Titles) -> String {
    let plain = |s: &str| s.replace('`', "");
    let mut findings = Table::new(&["Severity", "Finding", "Example", "Affects"]);
    findings.numeric = vec![false; 4];
    for f in &report.findings {
        let example = f
            .example
            .as_ref()
            .map(|e| match (e.line, &e.text) {
                (Some(line), Some(text)) => format!("{}:{line}: {text}", e.file),
                _ => e.file.clone(),
            })
            .unwrap_or_default();
        let mut what = plain(&f.message);
        if let Some(help) = &f.help {
            what.push_str(&format!(" — {}", plain(help)));
        }
        findings.rows.push(vec![
            match f.severity {
                Severity::Warning => "warning".into(),
                Severity::Note => "note".into(),
            },
            what,
            example,
            f.rules.join("; "),
        ]);
    }
    let mut fields = Table::new(&["Field", "Type", "Present", "Distinct", "Read by"]);
    fields.numeric = vec![false, false, true, true, false];
    for f in &report.fields {
        fields.rows.push(vec![
            match &f.event_type {
                Some(t) => format!("{t}.{}", f.field),
                None => f.field.clone(),
            },
            f.ty.to_string(),
            format!(
                "{} of {} ({})",
                thousands(f.present),
                thousands(f.rows),
                percent(f.share_present)
            ),
            thousands(f.distinct),
            f.rules.join("; "),
        ]);
    }
    let mut files = Table::new(&["File", "Table", "Records"]);
    files.numeric = vec![false, false, true];
    for f in &report.files {
        files.rows.push(vec![
            f.file.clone(),
            f.table.to_string(),
            thousands(f.rows as u64),
        ]);
    }
    let lede = if report.findings.is_empty() {
        "Nothing in the data stands out against what the rules read.".to_string()
    } else {
        format!(
            "{} in the data against what the rules read.",
            summary(report)
                .trim_end()
                .trim_start_matches("checked the data: ")
        )
    };
    let page = Page {
        kicker: "Data quality".into(),
        title: format!("The data of {}", titles.ruleset_or(&report.ruleset)),
        lede,
        kpis: vec![
            Kpi {
                value: report.warnings.to_string(),
                label: "warnings".into(),
                note: Some("fail --deny-warnings".into()),
            },
            Kpi {
                value: report.notes.to_string(),
                label: "notes".into(),
                note: None,
            },
            Kpi {
                value: report.fields.len().to_string(),
                label: "fields read".into(),
                note: None,
            },
        ],
        meta: vec![
            format!("ruleset {} ({})", report.ruleset, report.version),
            format!("as of {}", report.as_of),
        ],
        sections: vec![
            Section {
                title: "Findings".into(),
                intro: Some("Each finding names a line of the data where it can be seen and the rules it affects.".into()),
                blocks: vec![Block {
                    table: Some(findings),
                    ..Block::default()
                }],
            },
            Section {
                title: "Fields the rules read".into(),
                intro: Some("How often each field the rules read has a value, and how many distinct values it takes.".into()),
                blocks: vec![Block {
                    table: Some(fields),
                    ..Block::default()
                }],
            },
            Section {
                title: "Data files".into(),
                intro: None,
                blocks: vec![Block {
                    table: Some(files),
                    ..Block::default()
                }],
            },
        ],
        notes: vec![
            "Values are grouped as variants when they are the same text once surrounding blanks are removed and case is ignored.".into(),
            "A number is outside its usual range when it lies more than 3 interquartile ranges below the first quartile or above the third (on the logarithm of the values when they are positive).".into(),
        ],
    };
    report::render(&page)
}
