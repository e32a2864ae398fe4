//! Reading contacts: type inference and conversion of CSV rows and JSON/YAML records.

use std::ops::Range;
use std::sync::Arc;

use crate::cell::{raw_value, text_value, Interner};
use crate::dialect::{Cells, Delimiter};
use crate::model::{Contact, FieldType, Value};
use crate::raw::Raw;

use super::events::{self, EventInterners, EventOut, Owner};
use super::files::{for_each_record, Body, File, Loc, RowReader};
use super::plan::{ContactPlan, EventPlan, InferEvents, InferTable};
use super::sink::{missing_field, Sink};

/// Where to find a contact's text again (to report it when it turns out to be a duplicate).
pub(crate) enum RawRef {
    Bytes(Range<usize>),
    Text(Box<str>),
}

/// The contacts of one chunk.
pub(crate) struct ContactOut<'a> {
    pub(crate) sink: Sink<'a>,
    pub(crate) contacts: Vec<Contact>,
    /// The line and column of each contact's id (lines chunk-relative for CSV and NDJSON;
    /// 0 when not known).
    pub(crate) id_pos: Vec<(u32, u32)>,
    pub(crate) raws: Vec<RawRef>,
    /// Ids of contacts set aside, with why.
    pub(crate) skipped_ids: Vec<(Arc<str>, String)>,
    /// Inline events; `contact` is the index in `contacts`.
    pub(crate) inline: EventOut,
    /// The number of newlines in the chunk (CSV, NDJSON).
    pub(crate) newlines: u32,
    /// The number of records read (CSV rows, NDJSON lines, JSON or YAML items), good or bad.
    pub(crate) records: usize,
}

/// Which CSV column feeds each contact field.
pub(crate) fn field_columns(plan: &ContactPlan, header: &[String]) -> Vec<Option<usize>> {
    plan.fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = if i == 0 {
                plan.id_column.as_str()
            } else {
                f.name.as_str()
            };
            header.iter().position(|h| h == name)
        })
        .collect()
}

/// Type inference over one chunk of contacts (and their inline events).
pub(crate) fn infer_chunk(file: &File, chunk: usize, id_column: &str) -> (InferTable, InferEvents) {
    let mut table = InferTable::default();
    let mut evs = InferEvents::default();
    match &file.body {
        Body::Csv {
            header,
            chunks,
            plain,
            ..
        } => {
            let cols: Vec<(usize, usize)> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| !h.is_empty() && *h != id_column)
                .map(|(c, h)| (table.col(h), c))
                .collect();
            let (delimiter, cells) = file.csv_dialect();
            let mut rdr = RowReader::new(&file.bytes[chunks[chunk].clone()], *plain, delimiter);
            let mut rec = csv::ByteRecord::new();
            while let Ok(Some(_)) = rdr.next(&mut rec) {
                if rec.len() != header.len() {
                    continue;
                }
                table.rows += 1;
                for &(k, c) in &cols {
                    table.cols[k].text(&rec[c], &cells);
                }
            }
        }
        _ => {
            for_each_record(file, chunk, |_, parsed| {
                let Ok(Raw::Obj(entries)) = parsed else {
                    return;
                };
                table.rows += 1;
                for (k, v) in entries {
                    if k == "events" {
                        if let Raw::Arr(items) = v {
                            for item in items {
                                events::infer_record(&mut evs, item);
                            }
                        }
                    } else if k != id_column {
                        let i = table.col(k);
                        table.cols[i].raw(v);
                    }
                }
            });
        }
    }
    (table, evs)
}

fn new_out<'a>(file: &'a str, skip: bool) -> ContactOut<'a> {
    ContactOut {
        sink: Sink::new(file, skip),
        contacts: Vec::new(),
        id_pos: Vec::new(),
        raws: Vec::new(),
        skipped_ids: Vec::new(),
        inline: EventOut::default(),
        newlines: 0,
        records: 0,
    }
}

/// Reads one chunk of contacts.
pub(crate) fn read_chunk<'a>(
    file: &'a File<'a>,
    chunk: usize,
    plan: &ContactPlan,
    event_plan: &EventPlan,
    skip: bool,
) -> ContactOut<'a> {
    let mut out = new_out(file.name, skip);
    let mut interners: Vec<Interner> = plan.fields.iter().map(|_| Interner::default()).collect();
    match &file.body {
        Body::Csv {
            header,
            chunks,
            plain,
            ..
        } => {
            let range = chunks[chunk].clone();
            read_csv(file, range, *plain, header, plan, &mut interners, &mut out);
        }
        _ => {
            let mut ev_interners = EventInterners::new(event_plan);
            out.newlines = for_each_record(file, chunk, |loc, parsed| {
                out.records += 1;
                let line = loc.start().0.unwrap_or(0);
                match parsed {
                    Err((message, l, c)) => {
                        let help = crate::cell::syntax_help(&message);
                        out.sink.add(Some(l), Some(c), (message, help));
                        let raw = loc.text().unwrap_or_default();
                        out.sink.finish_row(line, || raw);
                    }
                    Ok(raw) => read_record(
                        file,
                        raw,
                        loc,
                        plan,
                        event_plan,
                        &mut interners,
                        &mut ev_interners,
                        &mut out,
                    ),
                }
            });
        }
    }
    out
}

fn read_csv(
    file: &File,
    range: Range<usize>,
    plain: bool,
    header: &[String],
    plan: &ContactPlan,
    interners: &mut [Interner],
    out: &mut ContactOut,
) {
    let bytes = &file.bytes[range.clone()];
    let cols = field_columns(plan, header);
    let width = header.len();
    let (delimiter, cells) = file.csv_dialect();
    let mut rdr = RowReader::new(bytes, plain, delimiter);
    let mut rec = csv::ByteRecord::new();
    loop {
        let pos = match rdr.next(&mut rec) {
            Ok(Some(pos)) => pos,
            Ok(None) => break,
            Err(line) => {
                out.sink.fatal(
                    Some(line),
                    None,
                    "the file cannot be read as CSV".into(),
                    None,
                );
                break;
            }
        };
        out.records += 1;
        let (start, line) = (pos.start, pos.line);
        let end = pos.end.min(bytes.len());
        let raw = || row_text(&bytes[start.min(end)..end]);
        if rec.len() != width {
            out.sink.add(
                Some(line),
                Some(rec.len().min(width) as u32 + 1),
                ragged(rec.len(), width, delimiter),
            );
            out.sink.finish_row(line, raw);
            continue;
        }
        let mut fields = Vec::with_capacity(plan.fields.len());
        for (f, spec) in plan.fields.iter().enumerate() {
            let col = cols[f].map(|c| c as u32 + 1);
            let value = match cols[f] {
                None => Ok(Value::Missing),
                Some(c) => {
                    let interner = (f > 0).then(|| &mut interners[f]);
                    text_value(&rec[c], spec.ty, interner, &cells).map_err(|bad| {
                        out.sink
                            .add(Some(line), col, bad.message(&spec.name, spec.ty, &cells))
                    })
                }
            };
            if let Ok(Value::Missing) = value {
                if f == 0 {
                    out.sink.add(Some(line), col, no_id(&plan.id_column));
                } else if !spec.optional {
                    out.sink.add(
                        Some(line),
                        col,
                        missing_field(&spec.name, spec.ty.name(), None),
                    );
                }
            }
            fields.push(value.unwrap_or_default());
        }
        let id_pos = (line, cols[0].map_or(0, |c| c as u32 + 1));
        finish_contact(
            out,
            fields,
            line,
            id_pos,
            RawRef::Bytes(range.start + start..range.start + end),
            raw,
        );
    }
    out.newlines = rdr.newlines();
}

/// A CSV row's text without its line ending.
pub(crate) fn row_text(b: &[u8]) -> String {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    let b = b.strip_suffix(b"\r").unwrap_or(b);
    String::from_utf8_lossy(b).into_owned()
}

/// The message for a row with the wrong number of fields.
pub(crate) fn ragged(found: usize, width: usize, delimiter: Delimiter) -> (String, Option<String>) {
    let d = match delimiter {
        Delimiter::Comma => "comma",
        Delimiter::Semicolon => "semicolon",
        Delimiter::Tab => "tab",
    };
    (
        format!("this row has {found} fields, the header has {width}"),
        Some(format!(
            "check for a missing or extra {d}, or a text with a {d} that is not in quotes"
        )),
    )
}

fn no_id(id_column: &str) -> (String, Option<String>) {
    (
        format!("contact without an id (`{id_column}` is empty)"),
        Some("every contact needs an id".into()),
    )
}

fn finish_contact(
    out: &mut ContactOut,
    fields: Vec<Value>,
    line: u32,
    id_pos: (u32, u32),
    raw_ref: RawRef,
    raw: impl FnOnce() -> String,
) {
    let reason = out.sink.row_has_problems().then(|| out.sink.row_reason());
    if out.sink.finish_row(line, raw) {
        out.contacts.push(Contact { fields });
        out.id_pos.push(id_pos);
        out.raws.push(raw_ref);
    } else if let (Some(reason), Some(Value::Text(id))) = (reason, fields.first()) {
        out.skipped_ids.push((id.clone(), reason));
    }
}

#[allow(clippy::too_many_arguments)]
fn read_record(
    file: &File,
    raw: &Raw,
    loc: Loc,
    plan: &ContactPlan,
    event_plan: &EventPlan,
    interners: &mut [Interner],
    ev_interners: &mut EventInterners,
    out: &mut ContactOut,
) {
    let (line, column) = loc.start();
    let line_n = line.unwrap_or(0);
    let raw_text = || loc.text().unwrap_or_else(|| raw.to_json());
    let Raw::Obj(entries) = raw else {
        out.sink.add(
            line,
            column,
            (
                format!(
                    "expected an object with the contact's fields, found {}",
                    raw.kind()
                ),
                None,
            ),
        );
        out.sink.finish_row(line_n, raw_text);
        return;
    };
    let mut slots: Vec<Option<(&str, &Raw)>> = vec![None; plan.fields.len()];
    let mut inline: Option<&Raw> = None;
    for (k, v) in entries {
        let (is_id, field) = plan.fields_of(k);
        if k == "events" && !is_id && field.is_none() {
            inline = Some(v);
            continue;
        }
        for f in is_id.then_some(0).into_iter().chain(field) {
            if slots[f].is_some() {
                let (l, c) = loc.key(k);
                out.sink
                    .add(l, c, (format!("field `{k}` appears twice"), None));
            }
            slots[f] = Some((k, v));
        }
        if !is_id && field.is_none() {
            let (l, c) = loc.key(k);
            out.sink.warn(
                k,
                l,
                c,
                format!("field `{k}` is not in the schema and is ignored"),
                Some("declare it in the ruleset's `schema` block to use it".into()),
            );
        }
    }
    let mut fields = Vec::with_capacity(plan.fields.len());
    for (f, spec) in plan.fields.iter().enumerate() {
        let ty = if f == 0 { FieldType::Text } else { spec.ty };
        let value = match slots[f] {
            None => Ok(Value::Missing),
            Some((k, v)) => {
                let interner = (f > 0).then(|| &mut interners[f]);
                raw_value(v, ty, interner).map_err(|bad| {
                    let (l, c) = loc.key(k);
                    out.sink.add(l, c, bad.message(k, ty, &Cells::default()));
                })
            }
        };
        if let Ok(Value::Missing) = value {
            let (l, c) = match slots[f] {
                Some((k, _)) => loc.key(k),
                None => (line, column),
            };
            if f == 0 {
                out.sink.add(l, c, no_id(&plan.id_column));
            } else if !spec.optional {
                out.sink
                    .add(l, c, missing_field(&spec.name, spec.ty.name(), None));
            }
        }
        fields.push(value.unwrap_or_default());
    }
    // Inline events are read now; a contact that is set aside takes them with it (they are
    // part of its text), so they are then forgotten.
    let mark = out.inline.mark();
    let skipped_mark = out.sink.skipped.len();
    let local = out.contacts.len() as u32;
    let mut inline_count = 0;
    if let Some(v) = inline {
        match v {
            Raw::Null => {}
            Raw::Arr(items) => {
                inline_count = items.len();
                let pending = out.sink.take_row();
                for (n, item) in items.iter().enumerate() {
                    events::read_record(
                        item,
                        loc.event(n),
                        Owner::Local(local),
                        None,
                        event_plan,
                        ev_interners,
                        &mut out.inline,
                        &mut out.sink,
                    );
                }
                out.sink.restore_row(pending);
            }
            other => {
                let (l, c) = loc.key("events");
                out.sink.add(
                    l,
                    c,
                    (
                        format!(
                            "`events` should be a list of events, found {}",
                            other.kind()
                        ),
                        Some(
                            "write `events: [{\"type\": \"page_view\", \"at\": \"2026-11-01\"}]`"
                                .into(),
                        ),
                    ),
                );
            }
        }
    }
    let set_aside = out.sink.skip && out.sink.row_has_problems();
    if set_aside {
        out.inline.truncate(mark);
        out.sink.skipped.truncate(skipped_mark);
    }
    let raw_ref = match loc {
        Loc::Json { text, .. } => {
            let start = (text.as_ptr() as usize).saturating_sub(file.bytes.as_ptr() as usize);
            RawRef::Bytes(start..start + text.len())
        }
        _ => RawRef::Text(raw.to_json().into()),
    };
    let id_pos = match loc {
        Loc::Json { .. } => loc.key(&plan.id_column),
        _ => (line, column),
    };
    let id_pos = (id_pos.0.unwrap_or(0), id_pos.1.unwrap_or(0));
    finish_contact(out, fields, line_n, id_pos, raw_ref, raw_text);
    if set_aside && inline_count > 0 {
        if let Some(last) = out.sink.skipped.last_mut() {
            let s = if inline_count == 1 { "" } else { "s" };
            last.reason.push_str(&format!(
                " (its {inline_count} inline event{s} are set aside with it)"
            ));
        }
    }
}
