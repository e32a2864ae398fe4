//! Incremental rescoring: when an events file only gained lines at its end, read just those
//! lines, add them to the data set in memory, and rescore only the contacts they concern.
//!
//! The appended lines are loaded by the data crate itself (same parsing and validation as a
//! full load), against the schema in force and a list of every contact's id; any problem
//! (a bad line, an unknown contact, a new event type or field with an inferred schema) makes
//! the caller fall back to a full reload, which reports it the usual way.

use scoreline_data::{
    Dataset, EventSpec, Events, FieldSpec, FieldType, Format, LoadOptions, Schema, Source,
};
use scoreline_engine::Evaluation;

/// The lines added at the end of a file: `Some` when `new` is `old` followed by more bytes
/// and `old` ended a line.
pub fn appended_tail<'a>(old: &[u8], new: &'a [u8]) -> Option<&'a [u8]> {
    if old.is_empty() || new.len() <= old.len() || !old.ends_with(b"\n") {
        return None;
    }
    if !new.starts_with(old) {
        return None;
    }
    Some(&new[old.len()..])
}

/// The appended lines as a data source of their own: NDJSON as is, CSV behind its header.
pub fn tail_source(old: &Source, tail: &[u8]) -> Option<Source> {
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
    Some(Source {
        name: old.name.clone(),
        format: old.format,
        bytes,
    })
}

/// Every contact's id, in data set order, as an NDJSON contacts source.
pub fn ids_source(dataset: &Dataset, id_column: &str) -> Source {
    let mut bytes = Vec::with_capacity(dataset.contacts.len() * 24);
    let key = serde_json::to_string(id_column).unwrap_or_else(|_| "\"id\"".into());
    for c in &dataset.contacts {
        bytes.extend_from_slice(b"{");
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(b":");
        bytes.extend_from_slice(serde_json::to_string(c.id()).unwrap_or_default().as_bytes());
        bytes.extend_from_slice(b"}\n");
    }
    Source {
        name: "(contact ids)".into(),
        format: Format::Ndjson,
        bytes,
    }
}

/// Loads the appended events against the event types in force. `None` on any problem.
pub fn load_tail(
    ids: &Source,
    tail: &Source,
    events: &[EventSpec],
    id_column: &str,
    threads: usize,
) -> Option<Events> {
    let schema = Schema {
        contact: vec![FieldSpec {
            name: "id".into(),
            ty: FieldType::Text,
            optional: false,
        }],
        events: events.to_vec(),
    };
    let options = LoadOptions {
        schema: Some(&schema),
        id_column: id_column.to_string(),
        skip_bad_rows: false,
        threads,
        ..LoadOptions::default()
    };
    let loaded = scoreline_data::load_sources(ids, std::slice::from_ref(tail), &options).ok()?;
    Some(loaded.dataset.events)
}

/// Adds `added` (grouped by the same contacts) to `events`, each contact's new events after
/// its old ones at equal times, as a full load of the longer file orders them. Returns the
/// contacts that gained events, ascending.
pub fn merge(events: &mut Events, added: &Events) -> Vec<usize> {
    let contacts = events.contact_start.len().saturating_sub(1);
    let affected: Vec<usize> = (0..contacts)
        .filter(|&c| !added.of_contact(c).is_empty())
        .collect();
    if affected.is_empty() {
        return affected;
    }
    let old = std::mem::take(events);
    let total = old.at.len() + added.at.len();
    let mut out = Events {
        contact_start: Vec::with_capacity(contacts + 1),
        type_id: Vec::with_capacity(total),
        at: Vec::with_capacity(total),
        prop_start: Vec::with_capacity(total),
        props: Vec::with_capacity(old.props.len() + added.props.len()),
    };
    let prop_end = |ev: &Events, e: usize| -> usize {
        ev.prop_start
            .get(e + 1)
            .map_or(ev.props.len(), |&x| x as usize)
    };
    let mut props = old.props.iter();
    let mut next = affected.iter().peekable();
    let mut c = 0;
    // Unaffected runs are copied as blocks; affected contacts are merged by time.
    while c < contacts {
        let run_end = next.peek().map_or(contacts, |&&a| a);
        if c < run_end {
            let first = old.contact_start[c] as usize;
            let last = old.contact_start[run_end] as usize;
            let shift = out.at.len() as i64 - first as i64;
            out.contact_start.extend(
                old.contact_start[c..run_end]
                    .iter()
                    .map(|&s| (s as i64 + shift) as u32),
            );
            let prop_shift = out.props.len() as i64
                - old
                    .prop_start
                    .get(first)
                    .map_or(old.props.len(), |&x| x as usize) as i64;
            out.type_id.extend_from_slice(&old.type_id[first..last]);
            out.at.extend_from_slice(&old.at[first..last]);
            out.prop_start.extend(
                old.prop_start[first..last]
                    .iter()
                    .map(|&s| (s as i64 + prop_shift) as u32),
            );
            let n = if last > first {
                prop_end(&old, last - 1) - old.prop_start[first] as usize
            } else {
                0
            };
            out.props.extend(props.by_ref().take(n).cloned());
            c = run_end;
            continue;
        }
        next.next();
        out.contact_start.push(out.at.len() as u32);
        let mut olds = old.of_contact(c).peekable();
        let mut news = added.of_contact(c).peekable();
        loop {
            let take_old = match (olds.peek(), news.peek()) {
                (Some(&o), Some(&n)) => old.at[o] <= added.at[n],
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (src, e, from_old) = if take_old {
                (&old, olds.next().unwrap_or_default(), true)
            } else {
                (added, news.next().unwrap_or_default(), false)
            };
            out.type_id.push(src.type_id[e]);
            out.at.push(src.at[e]);
            out.prop_start.push(out.props.len() as u32);
            let p = src.props(e);
            if from_old {
                out.props.extend(props.by_ref().take(p.len()).cloned());
            } else {
                out.props.extend_from_slice(p);
            }
        }
        c += 1;
    }
    out.contact_start.push(out.at.len() as u32);
    *events = out;
    affected
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

    #[test]
    fn tails_are_whole_appended_lines() {
        assert_eq!(appended_tail(b"a\nb\n", b"a\nb\nc\n"), Some(&b"c\n"[..]));
        assert_eq!(appended_tail(b"a\nb", b"a\nbc\n"), None);
        assert_eq!(appended_tail(b"a\nb\n", b"a\nx\nc\n"), None);
        assert_eq!(appended_tail(b"a\n", b"a\n"), None);
        assert_eq!(appended_tail(b"", b"a\n"), None);
    }
}
