//! The score history (`--history URL`, `output.history`): appending a run (and a watch cycle
//! that changed something), and reading an entity's scores run by run for `scoreline history`.

use crate::failure::Message;
use std::path::Path;

use scoreline_data::{format_date, format_number, OutputMeta};
use scoreline_db::{Entity, EntityRows, History, HistoryInput, RunRecord};
use scoreline_engine::Evaluation;

use crate::manifest::{Input, InputRole};

/// Appends a run to the history at `path`: its ruleset, as-of, start time and inputs, and every
/// contact's scores and segments (the scores table's rows), and each account's when the
/// ruleset scores accounts (the contacts' evaluation, then the accounts'). Returns the run's
/// id; `Err` is a message for the user.
pub fn append(
    path: &Path,
    command: &str,
    meta: &OutputMeta,
    as_of_millis: i64,
    started_millis: i64,
    inputs: &[Input],
    (evaluation, accounts): (&Evaluation, Option<&Evaluation>),
) -> Result<i64, Message> {
    let url = crate::database::url(path)?;
    let mut history = History::open(&url, true).map_err(Message::from)?;
    let (scores, segments) = kinds(evaluation);
    let run = RunRecord {
        run_id: 0,
        ruleset: meta.ruleset.clone(),
        version: meta.version.clone(),
        as_of: format_date(as_of_millis),
        started_at: format_date(started_millis),
        command: command.to_string(),
        inputs: inputs
            .iter()
            .map(|i| HistoryInput {
                role: match i.role {
                    InputRole::Contacts => "contacts".into(),
                    InputRole::Events => "events".into(),
                    InputRole::Accounts => "accounts".into(),
                },
                path: i.path.clone(),
                sha256: i.sha256.clone(),
                rows: i.rows,
            })
            .collect(),
        scores,
        segments,
    };
    let rows: Vec<&[scoreline_data::Value]> = evaluation.rows().collect();
    let mut groups = vec![EntityRows {
        entity: Entity::Contact,
        columns: &evaluation.columns,
        rows: &rows,
        scores: &run.scores,
        segments: &run.segments,
    }];
    let account_kinds = accounts.map(kinds);
    let account_rows: Vec<&[scoreline_data::Value]> =
        accounts.map(|a| a.rows().collect()).unwrap_or_default();
    if let (Some(a), Some((scores, segments))) = (accounts, &account_kinds) {
        groups.push(EntityRows {
            entity: Entity::Account,
            columns: &a.columns,
            rows: &account_rows,
            scores,
            segments,
        });
    }
    history.append_groups(&run, &groups).map_err(Message::from)
}

/// An evaluation's score columns and its segment columns: segments, and any other column of
/// labels (texts), go with the segments; the rest are scores (numbers).
fn kinds(evaluation: &Evaluation) -> (Vec<String>, Vec<String>) {
    let named: Vec<&str> = evaluation
        .segment_counts
        .iter()
        .map(|s| s.segment.as_str())
        .collect();
    let labels = |c: usize| {
        named.contains(&evaluation.columns[c].as_str())
            || evaluation
                .rows()
                .map(|r| &r[c])
                .find(|v| !v.is_missing())
                .is_some_and(|v| matches!(v, scoreline_data::Value::Text(_)))
    };
    let (segments, scores): (Vec<usize>, Vec<usize>) =
        (1..evaluation.columns.len()).partition(|&c| labels(c));
    let name = |c: &usize| evaluation.columns[*c].clone();
    (
        scores.iter().map(name).collect(),
        segments.iter().map(name).collect(),
    )
}

/// `scoreline history ID`: an entity's scores and segments run by run, newest first, as text
/// or JSON. `Err` is a message for the user.
pub fn show(
    path: &Path,
    id: &str,
    entity: Entity,
    limit: Option<usize>,
    json: bool,
) -> Result<String, Message> {
    let url = crate::database::url(path)?;
    let mut history = History::open(&url, false).map_err(Message::from)?;
    let rows = history.trend(entity, id, limit).map_err(Message::from)?;
    if rows.is_empty() {
        return Err(Message::new(format!(
            "no run in `{url}` has the {} `{id}`",
            entity.name()
        ))
        .help("check the id (it is the scores table's id column)"));
    }
    if json {
        let runs: Vec<serde_json::Value> = rows
            .iter()
            .map(|(run, e)| {
                let scores: serde_json::Map<String, serde_json::Value> = e
                    .scores
                    .iter()
                    .map(|(n, v)| (n.clone(), v.map_or(serde_json::Value::Null, |v| v.into())))
                    .collect();
                let segments: serde_json::Map<String, serde_json::Value> = e
                    .segments
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.clone(),
                            v.clone().map_or(serde_json::Value::Null, Into::into),
                        )
                    })
                    .collect();
                serde_json::json!({
                    "run_id": run.run_id,
                    "started_at": run.started_at,
                    "as_of": run.as_of,
                    "command": run.command,
                    "ruleset": run.ruleset,
                    "version": run.version,
                    "scores": scores,
                    "segments": segments,
                })
            })
            .collect();
        let out = serde_json::json!({ "entity": entity.name(), "id": id, "runs": runs });
        return Ok(serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    // A table: one line per run, newest first; the columns of the newest run.
    let (_, newest) = &rows[0];
    let mut header = vec![
        "run".to_string(),
        "started".to_string(),
        "as of".to_string(),
        "version".to_string(),
    ];
    header.extend(newest.scores.iter().map(|(n, _)| n.clone()));
    header.extend(newest.segments.iter().map(|(n, _)| n.clone()));
    let mut table = vec![header];
    for (run, e) in &rows {
        let mut line = vec![
            run.run_id.to_string(),
            run.started_at.clone(),
            run.as_of.clone(),
            run.version.clone(),
        ];
        for (n, _) in &newest.scores {
            let v = e.scores.iter().find(|(m, _)| m == n).and_then(|(_, v)| *v);
            line.push(v.map_or("-".into(), format_number));
        }
        for (n, _) in &newest.segments {
            let v = e
                .segments
                .iter()
                .find(|(m, _)| m == n)
                .and_then(|(_, v)| v.clone());
            line.push(v.unwrap_or_else(|| "-".into()));
        }
        table.push(line);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!(
        "{} `{id}` in {} run{} of `{url}` (newest first)\n",
        entity.name(),
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    for r in &table {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    Ok(out.trim_end().to_string())
}
