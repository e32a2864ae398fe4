//! Incremental rescoring: when an events file only gained lines at its end, read just those
//! lines, add them to the data set in memory, and rescore only the contacts they concern.
//!
//! The appended lines are loaded by the data crate itself (same parsing and validation as a
//! full load), against the schema in force and a list of every contact's id; any problem
//! (a bad line, an unknown contact, a new event type or field with an inferred schema) makes
//! the caller fall back to a full reload, which reports it the usual way.

use scoreline_data::{
    Dataset, Delimiter, Dialect, Encoding, EventSpec, Events, FieldSpec, FieldType, Format,
    LoadOptions, Schema, Source,
};
use scoreline_engine::Evaluation;

/// The lines appended to `file` (whose bytes start with the same header) as a data source of
/// their own, in UTF-8 (decoded as `dialect` says): NDJSON as is, CSV behind the file's header
/// line. `None` for a UTF-16 file, whose lines are not cut at a newline byte.
pub fn tail_source(file: &Source, tail: &[u8], dialect: &Dialect) -> Option<Source> {
    let old = file;
    let utf16_bom = old.bytes.starts_with(&[0xFF, 0xFE]) || old.bytes.starts_with(&[0xFE, 0xFF]);
    if utf16_bom || !dialect.encoding.is_ascii_compatible() {
        return None;
    }
    let bytes = match old.format {
        Format::Ndjson => tail.to_vec(),
        Format::Csv => {
            let header_end = old.bytes.iter().position(|&b| b == b'\n')? + 1;
            let mut bytes = Vec::with_capacity(header_end + tail.len());
            bytes.extend_from_slice(&old.bytes[..header_end]);
            bytes.extend_from_slice(tail);
            bytes
        }
        // A JSON array or a YAML list does not grow by lines.
        Format::Json | Format::Yaml => return None,
    };
    let source = Source {
        name: old.name.clone(),
        format: old.format,
        bytes,
    };
    let text = source.to_utf8(dialect.encoding).ok()?.into_owned();
    Some(text)
}

/// The contact ids the appended lines name (`contact_id`), in any order, repeated or not.
/// `None` when they cannot be read simply (then the caller rescores in full).
pub fn tail_ids(tail: &Source, dialect: &Dialect) -> Option<Vec<String>> {
    match tail.format {
        Format::Ndjson => {
            let text = std::str::from_utf8(&tail.bytes).ok()?;
            let mut ids = Vec::new();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let value: serde_json::Value = serde_json::from_str(line).ok()?;
                match value.get("contact_id")? {
                    serde_json::Value::String(s) => ids.push(s.clone()),
                    serde_json::Value::Number(n) => ids.push(n.to_string()),
                    _ => return None,
                }
            }
            Some(ids)
        }
        Format::Csv => {
            let delimiter = dialect
                .delimiter
                .unwrap_or_else(|| Delimiter::detect(&tail.bytes));
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .delimiter(delimiter.byte())
                .from_reader(&tail.bytes[..]);
            let column = reader
                .headers()
                .ok()?
                .iter()
                .position(|h| h == "contact_id")?;
            let mut ids = Vec::new();
            for record in reader.records() {
                let record = record.ok()?;
                if record.len() == 1 && record[0].is_empty() {
                    continue;
                }
                ids.push(record.get(column)?.to_string());
            }
            Some(ids)
        }
        Format::Json | Format::Yaml => None,
    }
}

/// The contacts at `rows` (their ids only) as an NDJSON contacts source.
pub fn ids_source(dataset: &Dataset, rows: &[usize], id_column: &str) -> Source {
    let mut bytes = Vec::with_capacity(rows.len() * 24);
    let key = serde_json::to_string(id_column).unwrap_or_else(|_| "\"id\"".into());
    for &row in rows {
        bytes.extend_from_slice(b"{");
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(b":");
        bytes.extend_from_slice(
            serde_json::to_string(dataset.contacts[row].id())
                .unwrap_or_default()
                .as_bytes(),
        );
        bytes.extend_from_slice(b"}\n");
    }
    Source {
        name: "(contact ids)".into(),
        format: Format::Ndjson,
        bytes,
    }
}

/// Loads the appended events (from [`tail_source`], in UTF-8) against the event types in
/// force, for the contacts whose ids `ids` lists, reading CSV cells as `dialect` says. `None`
/// on any problem.
pub fn load_tail(
    ids: &Source,
    tail: &Source,
    events: &[EventSpec],
    id_column: &str,
    dialect: &Dialect,
) -> Option<Events> {
    let schema = Schema {
        account: Vec::new(),
        contact: vec![FieldSpec {
            name: "id".into(),
            ty: FieldType::Text,
            optional: false,
            column: None,
        }],
        events: events.to_vec(),
    };
    let options = LoadOptions {
        schema: Some(&schema),
        id_column: id_column.to_string(),
        // Both sources are UTF-8 already.
        dialect: Dialect {
            encoding: Encoding::default(),
            ..dialect.clone()
        },
        skip_bad_rows: false,
        // A few lines: one thread is fastest.
        threads: 1,
        ..LoadOptions::default()
    };
    let loaded = scoreline_data::load_sources(ids, std::slice::from_ref(tail), &options).ok()?;
    Some(loaded.dataset.events)
}

/// Adds `added` to `events`: `added`'s contact `k` is row `rows[k]` (ascending). Each
/// contact's new events go after its old ones at equal times, as a full load of the longer
/// file orders them. Returns the rows that gained events, ascending.
pub fn merge(events: &mut Events, added: &Events, rows: &[usize]) -> Vec<usize> {
    let contacts = events.contact_start.len().saturating_sub(1);
    let gained: Vec<(usize, std::ops::Range<usize>)> = rows
        .iter()
        .enumerate()
        .map(|(k, &row)| (row, added.of_contact(k)))
        .filter(|(row, r)| !r.is_empty() && *row < contacts)
        .collect();
    let affected: Vec<usize> = gained.iter().map(|(row, _)| *row).collect();
    if affected.is_empty() {
        return affected;
    }
    let mut old = std::mem::take(events);
    let old_props_len = old.props.len();
    let prop_end = |ev: &Events, len: usize, e: usize| -> usize {
        ev.prop_start.get(e + 1).map_or(len, |&x| x as usize)
    };
    // The properties are moved, not cloned.
    let mut props = std::mem::take(&mut old.props).into_iter();
    let total = old.at.len() + added.at.len();
    let mut out = Events {
        contact_start: Vec::with_capacity(contacts + 1),
        type_id: Vec::with_capacity(total),
        at: Vec::with_capacity(total),
        prop_start: Vec::with_capacity(total),
        props: Vec::with_capacity(old_props_len + added.props.len()),
    };
    let mut next = gained.iter().peekable();
    let mut c = 0;
    // Unaffected runs are copied as blocks; affected contacts are merged by time.
    while c < contacts {
        let run_end = next.peek().map_or(contacts, |(a, _)| *a);
        if c < run_end {
            let first = old.contact_start[c] as usize;
            let last = old.contact_start[run_end] as usize;
            let shift = out.at.len() as i64 - first as i64;
            out.contact_start.extend(
                old.contact_start[c..run_end]
                    .iter()
                    .map(|&s| (s as i64 + shift) as u32),
            );
            if last > first {
                let prop_first = old.prop_start[first] as usize;
                let prop_shift = out.props.len() as i64 - prop_first as i64;
                out.type_id.extend_from_slice(&old.type_id[first..last]);
                out.at.extend_from_slice(&old.at[first..last]);
                out.prop_start.extend(
                    old.prop_start[first..last]
                        .iter()
                        .map(|&s| (s as i64 + prop_shift) as u32),
                );
                let n = prop_end(&old, old_props_len, last - 1) - prop_first;
                out.props.extend(props.by_ref().take(n));
            }
            c = run_end;
            continue;
        }
        let Some((_, new_range)) = next.next() else {
            break;
        };
        out.contact_start.push(out.at.len() as u32);
        let mut olds = old.of_contact(c).peekable();
        let mut news = new_range.clone().peekable();
        loop {
            let take_old = match (olds.peek(), news.peek()) {
                (Some(&o), Some(&n)) => old.at[o] <= added.at[n],
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            out.prop_start.push(out.props.len() as u32);
            if take_old {
                let e = olds.next().unwrap_or_default();
                out.type_id.push(old.type_id[e]);
                out.at.push(old.at[e]);
                let n = prop_end(&old, old_props_len, e) - old.prop_start[e] as usize;
                out.props.extend(props.by_ref().take(n));
            } else {
                let e = news.next().unwrap_or_default();
                out.type_id.push(added.type_id[e]);
                out.at.push(added.at[e]);
                out.props.extend_from_slice(added.props(e));
            }
        }
        c += 1;
    }
    out.contact_start.push(out.at.len() as u32);
    *events = out;
    affected
}

/// The contacts at `rows` with their events and the events `added` holds for them (`added`'s
/// contact `k` is `rows[k]`), as a data set of their own: the same as [`merge`] then
/// [`subset`], without changing the data set in force.
pub fn subset_with(full: &Dataset, rows: &[usize], added: &Events) -> Dataset {
    let mut sub = subset(full, rows);
    let own: Vec<usize> = (0..rows.len()).collect();
    merge(&mut sub.events, added, &own);
    sub
}

/// The contacts at `rows` with their events, as a data set of their own.
pub fn subset(full: &Dataset, rows: &[usize]) -> Dataset {
    let mut events = Events {
        contact_start: Vec::with_capacity(rows.len() + 1),
        ..Events::default()
    };
    for &c in rows {
        events.contact_start.push(events.at.len() as u32);
        for e in full.events.of_contact(c) {
            events.type_id.push(full.events.type_id[e]);
            events.at.push(full.events.at[e]);
            events.prop_start.push(events.props.len() as u32);
            events.props.extend_from_slice(full.events.props(e));
        }
    }
    events.contact_start.push(events.at.len() as u32);
    Dataset {
        accounts: Default::default(),
        schema: full.schema.clone(),
        contacts: rows.iter().map(|&c| full.contacts[c].clone()).collect(),
        events,
    }
}

/// Puts the rows of `sub` (the contacts at `rows`) into `evaluation`.
pub fn patch(evaluation: &mut Evaluation, rows: &[usize], sub: &Evaluation) {
    let width = evaluation.columns.len();
    for (k, &row) in rows.iter().enumerate() {
        evaluation.values[row * width..(row + 1) * width].clone_from_slice(sub.row(k));
    }
    // Segment counts are not kept up to date here: the runner does not use them.
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, text: &str) -> Source {
        Source {
            name: name.into(),
            format: if name.ends_with(".csv") {
                Format::Csv
            } else {
                Format::Ndjson
            },
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn load(contacts: &Source, events: &Source, dialect: &Dialect) -> Dataset {
        scoreline_data::load_sources(
            contacts,
            std::slice::from_ref(events),
            &LoadOptions {
                dialect: dialect.clone(),
                ..LoadOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .dataset
    }

    /// A European export: `;`, decimal commas, Windows-1252.
    fn european_dialect() -> Dialect {
        Dialect {
            decimal: scoreline_data::Decimal::Comma,
            encoding: Encoding::parse("windows-1252").unwrap(),
            ..Dialect::default()
        }
    }

    /// Text as Windows-1252 bytes (Latin-1 characters only).
    fn windows_1252(text: &str) -> Vec<u8> {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect()
    }

    /// Differential: the prefix loaded in full plus the tail merged gives the same events as
    /// the whole file loaded in full, at every split point; in a plain CSV and in a European
    /// one.
    #[test]
    fn merged_tail_equals_a_full_load() {
        for european in [false, true] {
            let (dialect, sep, dec) = if european {
                (european_dialect(), ";", ",")
            } else {
                (Dialect::default(), ",", ".")
            };
            let bytes = |t: &str| {
                if european {
                    windows_1252(t)
                } else {
                    t.as_bytes().to_vec()
                }
            };
            let csv = |name: &str, t: &str| Source {
                bytes: bytes(t),
                ..source(name, "")
            };
            let contacts = csv(
                "contacts.csv",
                &"id,plan\na,pro\nb,free\nc,pro\nd,free\n".replace(',', sep),
            );
            let mut lines = vec!["contact_id,type,at,url,amount".replace(',', sep)];
            let mut x: u64 = 7;
            for i in 0..60 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let who = ["a", "b", "c", "d"][(x >> 33) as usize % 4];
                // Few distinct days: many ties, which must keep file order.
                let day = 1 + (x >> 40) % 5;
                let line = if i % 3 == 0 {
                    format!("{who},order,2026-10-0{day},,{i}DEC5")
                } else {
                    format!("{who},page_view,2026-10-0{day},\"/p,{i}é\",")
                };
                lines.push(line.replace(',', sep).replace("DEC", dec));
            }
            let whole = lines.join("\n") + "\n";
            let full = load(&contacts, &csv("events.csv", &whole), &dialect);
            for split in [2, 10, 30, 59] {
                let prefix = lines[..split].join("\n") + "\n";
                let old = csv("events.csv", &prefix);
                let mut dataset = load(&contacts, &old, &dialect);
                let appended = &bytes(&whole)[bytes(&prefix).len()..];
                let tail = tail_source(&old, appended, &dialect).unwrap();
                let index: std::collections::HashMap<&str, usize> = dataset
                    .contacts
                    .iter()
                    .enumerate()
                    .map(|(r, c)| (c.id(), r))
                    .collect();
                let mut rows: Vec<usize> = tail_ids(&tail, &dialect)
                    .unwrap()
                    .iter()
                    .map(|id| index[id.as_str()])
                    .collect();
                rows.sort_unstable();
                rows.dedup();
                let named = ids_source(&dataset, &rows, "id");
                let added = load_tail(&named, &tail, &dataset.schema.events, "id", &dialect);
                if split == 2 {
                    // The prefix has orders only: the inferred schema has no `page_view`, so
                    // the tail cannot be added on its own (the runner then reloads in full).
                    assert!(added.is_none());
                    continue;
                }
                let added = added.unwrap();
                assert_eq!(dataset.schema, full.schema, "split {split}");
                // The contacts concerned, scored before the merge, see what the merge gives.
                let sub = subset_with(&dataset, &rows, &added);
                let affected = merge(&mut dataset.events, &added, &rows);
                let expected = subset(&full, &rows);
                assert_same_events(&sub.events, &expected.events, split);
                assert_eq!(sub.contacts, expected.contacts, "split {split}");
                assert_eq!(affected, rows, "split {split}");
                assert_same_events(&dataset.events, &full.events, split);
            }
        }
    }

    fn assert_same_events(a: &Events, b: &Events, split: usize) {
        assert_eq!(a.contact_start, b.contact_start, "split {split}");
        assert_eq!(a.type_id, b.type_id, "split {split}");
        assert_eq!(a.at, b.at, "split {split}");
        assert_eq!(a.prop_start, b.prop_start, "split {split}");
        assert_eq!(a.props, b.props, "split {split}");
    }

    #[test]
    fn ids_are_read_from_csv_and_ndjson_tails() {
        let csv = source(
            "e.csv",
            "url,contact_id,type,at\n\"/a,\"\"b\"\"\",x1,page_view,2026-01-01\r\n/c,x2,page_view,2026-01-01\n",
        );
        assert_eq!(
            tail_ids(&csv, &Dialect::default()),
            Some(vec!["x1".into(), "x2".into()])
        );
        let semicolons = source("e.csv", "contact_id;type\nx1;t\n\"x;2\";t\n");
        assert_eq!(
            tail_ids(&semicolons, &Dialect::default()),
            Some(vec!["x1".into(), "x;2".into()])
        );
        let nd = source(
            "e.ndjson",
            "{\"contact_id\":\"x1\",\"type\":\"t\"}\n{\"contact_id\":7}\n",
        );
        assert_eq!(
            tail_ids(&nd, &Dialect::default()),
            Some(vec!["x1".into(), "7".into()])
        );
    }
}
