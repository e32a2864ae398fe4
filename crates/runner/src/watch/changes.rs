//! What a rescore changed: contacts whose score or segment moved, the segment moves, and
//! the change feed (NDJSON lines appended to `output.changes`).

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use scoreline_data::{format_number, Value};
use scoreline_engine::Evaluation;
use serde::ser::SerializeMap;
use serde::Serialize;
use serde_json::json;

/// The columns of an evaluation that count for changes: scores and segments (with actions).
#[derive(Debug, Clone)]
pub struct Columns {
    /// Score columns (indices into the row).
    pub scores: Vec<usize>,
    /// Segment columns (indices into the row), by segment name.
    pub segments: Vec<(String, usize)>,
}

impl Columns {
    /// The score and segment columns of a plan's output.
    pub fn new(score_names: &[&str], segment_names: &[&str], columns: &[String]) -> Columns {
        let at = |name: &str| columns.iter().position(|c| c == name);
        Columns {
            scores: score_names.iter().filter_map(|n| at(n)).collect(),
            segments: segment_names
                .iter()
                .filter_map(|n| at(n).map(|i| (n.to_string(), i)))
                .collect(),
        }
    }
}

/// Per segment, the moves `from → to` and how many contacts made each.
pub type Moves = Vec<(String, Vec<(String, String, usize)>)>;

/// The differences between two evaluations.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Diff {
    /// Contacts whose score changed (new contacts count; removed ones too).
    pub score_changed: usize,
    /// Contacts whose segment changed.
    pub segment_changed: usize,
    /// Per segment, the moves `from → to` and how many contacts made each.
    pub moves: Moves,
    /// One change-feed line (without its newline) per contact that changed, in row order.
    pub feed: Vec<String>,
}

/// What the change feed needs besides the rows.
pub struct FeedStamp<'a> {
    pub version: &'a str,
    pub as_of: &'a str,
    pub time: &'a str,
}

fn label(v: &Value) -> String {
    match v {
        Value::Missing => "(none)".into(),
        Value::Text(t) => t.to_string(),
        Value::Number(n) => format_number(*n),
        Value::Bool(b) => b.to_string(),
        other => format!("{}", json_value(other)),
    }
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Missing => serde_json::Value::Null,
        // Whole numbers as integers: `12`, not `12.0`.
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => json!(*n as i64),
        Value::Number(n) => serde_json::Number::from_f64(*n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::Text(t) => serde_json::Value::String(t.to_string()),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Date(ms) => serde_json::Value::String(scoreline_data::format_date(*ms)),
        Value::List(items) => {
            serde_json::Value::Array(items.iter().map(|t| json!(t.as_ref())).collect())
        }
    }
}

/// A JSON object whose keys keep their order (scores, then segments, in file order).
struct Ordered(Vec<(String, serde_json::Value)>);

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One line of the change feed.
#[derive(Serialize)]
struct FeedLine<'a> {
    id: &'a str,
    before: Option<Ordered>,
    after: Option<Ordered>,
    ruleset_version: &'a str,
    as_of: &'a str,
    time: &'a str,
}

/// A row's scores and segments (`None` when the contact is absent).
fn snapshot(columns: &[String], cols: &Columns, row: Option<&[Value]>) -> Option<Ordered> {
    let row = row?;
    let mut pairs = Vec::with_capacity(cols.scores.len() + cols.segments.len());
    for &i in &cols.scores {
        pairs.push((columns[i].clone(), json_value(&row[i])));
    }
    for (name, i) in &cols.segments {
        pairs.push((name.clone(), json_value(&row[*i])));
    }
    Some(Ordered(pairs))
}

/// Compares `before` (the outputs in force) with `after` (the new rescore), matching
/// contacts by id. `cols_before` and `cols_after` may differ when the ruleset changed.
pub fn diff(
    before: &Evaluation,
    cols_before: &Columns,
    after: &Evaluation,
    cols_after: &Columns,
    stamp: &FeedStamp<'_>,
    with_feed: bool,
) -> Diff {
    let id = |e: &Evaluation, i: usize| match &e.row(i)[0] {
        Value::Text(t) => t.clone(),
        _ => "".into(),
    };
    // Same contacts in the same order is the common case: no map needed.
    let same_order = before.len() == after.len()
        && (0..after.len()).all(|i| before.row(i)[0] == after.row(i)[0]);
    let index: HashMap<std::sync::Arc<str>, usize> = if same_order {
        HashMap::new()
    } else {
        (0..before.len()).map(|i| (id(before, i), i)).collect()
    };
    let mut out = Diff::default();
    let mut moves: BTreeMap<&str, BTreeMap<(String, String), usize>> = BTreeMap::new();
    let mut seen = vec![false; before.len()];
    let segment_value = |e: &Evaluation, cols: &Columns, row: usize, name: &str| {
        cols.segments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| e.row(row)[*i].clone())
            .unwrap_or_default()
    };
    let score_values = |e: &Evaluation, cols: &Columns, columns: &[String], row: usize| {
        cols.scores
            .iter()
            .map(|&i| (columns[i].clone(), e.row(row)[i].clone()))
            .collect::<Vec<_>>()
    };
    let mut record = |b: Option<usize>, a: Option<usize>, out: &mut Diff| {
        let score_moved = match (b, a) {
            (Some(b), Some(a)) => {
                score_values(before, cols_before, &before.columns, b)
                    != score_values(after, cols_after, &after.columns, a)
            }
            _ => true,
        };
        let mut segment_moved = false;
        let names: Vec<&str> = cols_after
            .segments
            .iter()
            .chain(&cols_before.segments)
            .map(|(n, _)| n.as_str())
            .collect();
        let mut counted = Vec::new();
        for name in names {
            if counted.contains(&name) {
                continue;
            }
            counted.push(name);
            let from = b.map(|b| segment_value(before, cols_before, b, name));
            let to = a.map(|a| segment_value(after, cols_after, a, name));
            if from != to {
                segment_moved = true;
                if let (Some(from), Some(to)) = (from, to) {
                    *moves
                        .entry(name)
                        .or_default()
                        .entry((label(&from), label(&to)))
                        .or_default() += 1;
                }
            }
        }
        if score_moved {
            out.score_changed += 1;
        }
        if segment_moved {
            out.segment_changed += 1;
        }
        if with_feed && (score_moved || segment_moved) {
            let contact = match (a, b) {
                (Some(a), _) => id(after, a),
                (None, Some(b)) => id(before, b),
                (None, None) => "".into(),
            };
            let line = FeedLine {
                id: &contact,
                before: snapshot(&before.columns, cols_before, b.map(|b| before.row(b))),
                after: snapshot(&after.columns, cols_after, a.map(|a| after.row(a))),
                ruleset_version: stamp.version,
                as_of: stamp.as_of,
                time: stamp.time,
            };
            out.feed
                .push(serde_json::to_string(&line).unwrap_or_default());
        }
    };
    for a in 0..after.len() {
        let b = if same_order {
            Some(a)
        } else {
            index.get(&id(after, a)).copied()
        };
        if let Some(b) = b {
            seen[b] = true;
        }
        record(b, Some(a), &mut out);
    }
    for (b, seen) in seen.iter().enumerate() {
        if !seen {
            record(Some(b), None, &mut out);
        }
    }
    out.moves = moves
        .into_iter()
        .map(|(name, m)| {
            let mut m: Vec<(String, String, usize)> =
                m.into_iter().map(|((f, t), n)| (f, t, n)).collect();
            m.sort_by(|x, y| y.2.cmp(&x.2).then_with(|| (&x.0, &x.1).cmp(&(&y.0, &y.1))));
            (name.to_string(), m)
        })
        .collect();
    out
}

/// Appends whole lines to the change feed with a single write on a file opened in append
/// mode, and flushes them to disk. A line left unfinished at the end of the feed (by a process
/// killed in the middle of its write) is removed first, so that the feed holds whole lines only.
/// Returns how many bytes of such a line were removed.
pub fn append_feed(path: &Path, lines: &[String]) -> std::io::Result<u64> {
    if lines.is_empty() {
        return Ok(0);
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    let removed = drop_unfinished_line(&mut file)?;
    let mut batch = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum::<usize>());
    for line in lines {
        batch.extend_from_slice(line.as_bytes());
        batch.push(b'\n');
    }
    file.write_all(&batch)?;
    file.sync_data()?;
    Ok(removed)
}

/// Removes what follows the feed's last line break (a line whose write was cut off), if
/// anything; returns how many bytes were removed.
pub fn repair_feed(path: &Path) -> std::io::Result<u64> {
    let mut file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let removed = drop_unfinished_line(&mut file)?;
    if removed > 0 {
        file.sync_data()?;
    }
    Ok(removed)
}

fn drop_unfinished_line(file: &mut std::fs::File) -> std::io::Result<u64> {
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 1 << 16];
    // Back from the end, a chunk at a time, to the last line break.
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(at) = part.iter().rposition(|&b| b == b'\n') {
            end = start + at as u64 + 1;
            break;
        }
        end = start;
    }
    if end < len {
        file.set_len(end)?;
    }
    Ok(len - end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(rows: &[(&str, f64, &str)]) -> Evaluation {
        let mut values = Vec::new();
        for (id, score, seg) in rows {
            values.push(Value::Text((*id).into()));
            values.push(Value::Number(*score));
            values.push(Value::Text((*seg).into()));
        }
        Evaluation {
            columns: vec!["id".into(), "fit".into(), "tier".into()],
            values,
            ..Evaluation::default()
        }
    }

    #[test]
    fn counts_changes_and_moves_by_id() {
        let cols = Columns::new(
            &["fit"],
            &["tier"],
            &["id".into(), "fit".into(), "tier".into()],
        );
        let before = eval(&[("a", 1.0, "cold"), ("b", 5.0, "warm"), ("c", 9.0, "hot")]);
        let after = eval(&[("b", 9.0, "hot"), ("a", 2.0, "cold"), ("d", 1.0, "cold")]);
        let stamp = FeedStamp {
            version: "v",
            as_of: "2026-01-01",
            time: "t",
        };
        let d = diff(&before, &cols, &after, &cols, &stamp, true);
        // b and a changed score; d is new; c is gone.
        assert_eq!(d.score_changed, 4);
        assert_eq!(d.segment_changed, 3);
        assert_eq!(
            d.moves,
            vec![("tier".into(), vec![("warm".into(), "hot".into(), 1)])]
        );
        assert_eq!(d.feed.len(), 4);
        assert_eq!(
            d.feed[0],
            r#"{"id":"b","before":{"fit":5,"tier":"warm"},"after":{"fit":9,"tier":"hot"},"ruleset_version":"v","as_of":"2026-01-01","time":"t"}"#
        );
        assert!(d.feed[3].contains(r#""after":null"#), "{}", d.feed[3]);
    }

    #[test]
    fn a_line_cut_off_by_a_killed_writer_is_removed_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("changes.ndjson");
        std::fs::write(&path, "{\"id\":\"a\"}\n{\"id\":").unwrap();
        assert_eq!(append_feed(&path, &["{\"id\":\"b\"}".into()]).unwrap(), 6);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"id\":\"a\"}\n{\"id\":\"b\"}\n"
        );
        // Whole lines are kept as they are.
        assert_eq!(append_feed(&path, &["{\"id\":\"c\"}".into()]).unwrap(), 0);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }

    #[test]
    fn repair_keeps_whole_lines_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("changes.ndjson");
        assert_eq!(repair_feed(&path).unwrap(), 0, "no feed yet");
        // A cut line longer than one chunk, after whole lines.
        let long = "x".repeat(200_000);
        std::fs::write(&path, format!("{{\"id\":\"a\"}}\n{long}")).unwrap();
        assert_eq!(repair_feed(&path).unwrap(), 200_000);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"id\":\"a\"}\n");
        assert_eq!(repair_feed(&path).unwrap(), 0);
        // No whole line at all.
        std::fs::write(&path, "{\"id\":").unwrap();
        assert_eq!(repair_feed(&path).unwrap(), 6);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }
}
