//! The previous scoring that `keep when` reads, from a previous scores output
//! (`run --previous FILE`): CSV, JSON or NDJSON, as `run` writes them.

use crate::failure::Message;
use std::path::Path;

use scoreline_data::OutputMeta;
use scoreline_engine::{Plan, PreviousScoring};

use crate::manifest::{manifest_path, Manifest};
use crate::sources::io_reason;

/// A previous scores file read: the labels `keep when` uses (`None` when it must be ignored
/// altogether), and the warnings to show.
#[derive(Debug, Default)]
pub struct Previous {
    pub scoring: Option<PreviousScoring>,
    pub warnings: Vec<String>,
}

/// A previous scores file as a table: its columns, its rows of cells (empty = missing) and
/// the ruleset stamp it carries (`name`, `version`), if any.
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    ruleset: Option<(String, String)>,
}

/// Reads `path`, the scores of a previous run, for the segments of `plan` that have a
/// `keep when`. A file written by another ruleset (by its stamp, else its manifest) is
/// ignored with a warning naming both; a sticky segment without its column in the file
/// is ignored with a warning. `Err` is a message for the user (the file cannot be read).
pub fn read_previous(path: &Path, plan: &Plan, meta: &OutputMeta) -> Result<Previous, Message> {
    let sticky = plan.sticky_segment_names();
    let mut previous = Previous::default();
    if sticky.is_empty() {
        return Ok(previous);
    }
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Message::new(format!(
            "cannot read the previous scores `{shown}`: {}",
            io_reason(&e)
        ))
    })?;
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let table = match extension.as_deref() {
        Some("json") => json_table(&text, false),
        Some("ndjson") | Some("jsonl") => json_table(&text, true),
        _ => csv_table(&text),
    }
    .map_err(|reason| {
        Message::new(format!(
            "cannot read the previous scores `{shown}`: {reason}"
        ))
    })?;
    let ruleset = table.ruleset.clone().or_else(|| {
        let manifest = std::fs::read_to_string(manifest_path(path)).ok()?;
        let manifest: Manifest = serde_json::from_str(&manifest).ok()?;
        Some((manifest.ruleset.name, manifest.ruleset.version))
    });
    if let Some((name, version)) = ruleset {
        if name != meta.ruleset {
            previous.warnings.push(format!(
                "warning: the previous scores `{shown}` were written by ruleset `{name}` (version {version}), not `{}` (version {}): `keep when` is ignored\n  = help: pass the scores of a previous run of this ruleset",
                meta.ruleset, meta.version
            ));
            return Ok(previous);
        }
    }
    // `id`, or the first column when it is not one of the plan's (the id column keeps the
    // input's name, such as `Record ID`).
    let plan_columns = plan.columns();
    let id_column = table.columns.iter().position(|c| c == "id").or_else(|| {
        table
            .columns
            .first()
            .filter(|c| !plan_columns.contains(c))
            .map(|_| 0)
    });
    let Some(id_column) = id_column else {
        previous.warnings.push(format!(
            "warning: the previous scores `{shown}` have no `id` column: `keep when` is ignored\n  = help: pass a scores file that `scoreline run` wrote"
        ));
        return Ok(previous);
    };
    let mut scoring = PreviousScoring::new();
    for segment in sticky {
        let Some(column) = table.columns.iter().position(|c| c == segment) else {
            previous.warnings.push(format!(
                "warning: the previous scores `{shown}` have no `{segment}` column: `keep when` in `{segment}` is ignored\n  = help: pass the scores of a run of rules that have the segment `{segment}`"
            ));
            continue;
        };
        scoring.add_segment(segment);
        for row in &table.rows {
            let (Some(id), Some(label)) = (row.get(id_column), row.get(column)) else {
                continue;
            };
            if !id.is_empty() && !label.is_empty() {
                scoring.insert(segment, id, label);
            }
        }
    }
    previous.scoring = Some(scoring);
    Ok(previous)
}

/// A CSV scores table; `--stamp` columns `ruleset` and `ruleset_version` give its stamp.
fn csv_table(text: &str) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        rows.push(record.iter().map(str::to_string).collect::<Vec<_>>());
    }
    let at = |name: &str| columns.iter().position(|c| c == name);
    let ruleset = match (at("ruleset"), at("ruleset_version"), rows.first()) {
        (Some(n), Some(v), Some(row)) => Some((
            row.get(n).cloned().unwrap_or_default(),
            row.get(v).cloned().unwrap_or_default(),
        )),
        _ => None,
    };
    Ok(Table {
        columns,
        rows,
        ruleset,
    })
}

/// A JSON array or NDJSON lines of score objects, each with a `ruleset` stamp.
fn json_table(text: &str, lines: bool) -> Result<Table, String> {
    let objects: Vec<serde_json::Value> = if lines {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?
    } else {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    };
    let mut columns: Vec<String> = Vec::new();
    let mut ruleset = None;
    for object in &objects {
        let Some(map) = object.as_object() else {
            return Err("each score row must be a JSON object".to_string());
        };
        for key in map.keys() {
            if key != "ruleset" && !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        if ruleset.is_none() {
            if let Some(stamp) = map.get("ruleset") {
                let field = |f: &str| stamp[f].as_str().unwrap_or_default().to_string();
                ruleset = Some((field("name"), field("version")));
            }
        }
    }
    let rows = objects
        .iter()
        .map(|o| {
            columns
                .iter()
                .map(|c| match &o[c] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    Ok(Table {
        columns,
        rows,
        ruleset,
    })
}
