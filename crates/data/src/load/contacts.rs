//! Contacts: the contact converter (one record, from any decoder, checked against the contact
//! fields in force and made a [`Contact`]), type inference over contacts, and the reading of a
//! chunk (its decoder's records through the converter).

use std::ops::Range;
use std::sync::Arc;

use crate::cell::Interner;
use crate::dialect::{Cells, Delimiter};
use crate::model::{Contact, FieldType, Value};
use crate::record::{Datum, Record};

use super::cells::{At, Binding, Bound, CsvRow, Named, Role};
use super::decode::{for_each_record, Body, File, Item, Loc, RowReader};
use super::events::{self, EventConverter, EventOut, Owner};
use super::plan::{ContactPlan, EventPlan, InferEvents, InferTable};
use super::sink::{missing_field, Sink};

/// Where to find a contact's text again (to report it when it turns out to be a duplicate).
pub(crate) enum RawRef {
    /// Bytes of the file.
    Bytes(Range<usize>),
    Text(Box<str>),
    /// The record at this index of records given as values.
    Given(usize),
}

/// The contacts of one chunk.
pub(crate) struct ContactOut<'a> {
    pub(crate) sink: Sink<'a>,
    pub(crate) contacts: Vec<Contact>,
    /// The line and column of each contact's id (lines chunk-relative for CSV and NDJSON;
    /// 0 when not known); for records given as values, the record's index + 1 and 0.
    pub(crate) id_pos: Vec<(u32, u32)>,
    /// With accounts, the line and column of each contact's link (as `id_pos`).
    pub(crate) link_pos: Vec<(u32, u32)>,
    pub(crate) raws: Vec<RawRef>,
    /// Ids of contacts set aside, with why.
    pub(crate) skipped_ids: Vec<(Arc<str>, String)>,
    /// Inline events; `contact` is the index in `contacts`.
    pub(crate) inline: EventOut,
    /// The number of newlines in the chunk (CSV, NDJSON).
    pub(crate) newlines: u32,
    /// The number of records read (CSV rows, NDJSON lines, JSON or YAML items, records
    /// given as values), good or bad.
    pub(crate) records: usize,
}

/// The contact converter: reads a record's cells as the contact fields in force, the id
/// first, reporting every value that does not fit.
pub(crate) struct ContactConverter<'p> {
    plan: &'p ContactPlan,
    interners: Vec<Interner>,
    /// How the cells of text are written (CSV dialect; the default for other formats).
    cells: Cells,
    /// The binding of the last structured record's field names.
    kept: Option<Binding>,
}

impl<'p> ContactConverter<'p> {
    pub(crate) fn new(plan: &'p ContactPlan, cells: Cells) -> Self {
        ContactConverter {
            plan,
            interners: plan.fields.iter().map(|_| Interner::default()).collect(),
            cells,
            kept: None,
        }
    }

    /// The contact's field values, one per field in force, missing where the record has none
    /// or a bad one; the problems go to the sink's current row.
    #[inline]
    pub(crate) fn fields<R: Bound>(&mut self, rec: &R, sink: &mut Sink) -> Vec<Value> {
        let plan = self.plan;
        let mut fields = Vec::with_capacity(plan.fields.len());
        for (f, spec) in plan.fields.iter().enumerate() {
            let ty = if f == 0 { FieldType::Text } else { spec.ty };
            let value = match rec.cell(f) {
                None => Ok(Value::Missing),
                Some(cell) => {
                    let interner = (f > 0).then(|| &mut self.interners[f]);
                    cell.value(ty, interner, &self.cells).map_err(|bad| {
                        sink.add(rec.at(f), bad.message(&plan.names[f], ty, &self.cells))
                    })
                }
            };
            if let Ok(Value::Missing) = value {
                if f == 0 {
                    sink.add(rec.at(f), no_id(plan.noun(), &plan.id_column));
                } else if !spec.optional {
                    sink.add(rec.at(f), missing_field(&spec.name, spec.ty.name(), None));
                }
            }
            fields.push(value.unwrap_or_default());
        }
        fields
    }

    /// Binds a structured record's fields to the contact fields: a field written twice is an
    /// error, one that is not in the schema is ignored with a warning; `events` (when no
    /// field has that name) holds the contact's inline events, returned apart.
    fn bind<'r>(
        &mut self,
        record: &'r Record,
        loc: Loc<'r>,
        sink: &mut Sink,
    ) -> (Named<'r>, Option<&'r Datum>)
    where
        'p: 'r,
    {
        let plan = self.plan;
        let named = Named::bind(
            record,
            loc,
            &plan.names,
            sink,
            &mut self.kept,
            |k| {
                let (is_id, field) = plan.fields_of(k);
                if !is_id && field.is_none() {
                    if k == "events" && !plan.accounts {
                        return Role::Apart;
                    }
                    return Role::Unknown;
                }
                Role::Feeds(is_id.then_some(0), field)
            },
            |sink, k, _, loc| {
                if !sink.warned(k) {
                    sink.warn(
                        k,
                        loc.key(k),
                        format!("field `{k}` is not in the schema and is ignored"),
                        Some(super::declare_help(plan.accounts).into()),
                    );
                }
            },
        );
        // `events` is the only field read apart.
        let inline = named.apart().next().map(|(_, v)| v);
        (named, inline)
    }
}

/// Which CSV column feeds each contact field.
pub(crate) fn field_columns(plan: &ContactPlan, header: &[String]) -> Vec<Option<usize>> {
    plan.names
        .iter()
        .map(|name| header.iter().position(|h| h == name))
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
                let Ok(Item::Record(record)) = parsed else {
                    return;
                };
                table.rows += 1;
                for (k, v) in &record.fields {
                    if &**k == "events" {
                        if let Datum::List(items) = v {
                            for item in items {
                                events::infer_record(&mut evs, item, &file.events);
                            }
                        }
                    } else if &**k != id_column {
                        let i = table.col(k);
                        table.cols[i].datum(v);
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
        link_pos: Vec::new(),
        raws: Vec::new(),
        skipped_ids: Vec::new(),
        inline: EventOut::default(),
        newlines: 0,
        records: 0,
    }
}

/// Reads one chunk of contacts: its decoder's records through the contact converter.
pub(crate) fn read_chunk<'a>(
    file: &'a File<'a>,
    chunk: usize,
    plan: &ContactPlan,
    event_plan: &EventPlan,
    skip: bool,
) -> ContactOut<'a> {
    let mut out = new_out(file.name, skip);
    let (delimiter, cells) = file.csv_dialect();
    let mut conv = ContactConverter::new(plan, cells.clone());
    match &file.body {
        Body::Csv {
            header,
            chunks,
            plain,
            ..
        } => {
            let range = chunks[chunk].clone();
            read_csv(file, range, *plain, delimiter, header, &mut conv, &mut out);
        }
        _ => {
            let mut events = EventConverter::new(event_plan, None, cells, &file.events);
            out.newlines = for_each_record(file, chunk, |loc, parsed| {
                out.records += 1;
                let line = loc.line();
                match parsed {
                    Err((message, l, c)) => {
                        let help = crate::cell::syntax_help(&message);
                        out.sink.add(At::line(Some(l), Some(c)), (message, help));
                        let raw = loc.text().unwrap_or_default();
                        out.sink.finish_row(line, || raw);
                    }
                    Ok(Item::Other(d)) => {
                        out.sink.add(
                            loc.start(),
                            (
                                format!(
                                    "expected an object with the {}'s fields, found {}",
                                    plan.noun(),
                                    d.kind()
                                ),
                                None,
                            ),
                        );
                        out.sink
                            .finish_row(line, || loc.text().unwrap_or_else(|| d.to_json()));
                    }
                    Ok(Item::Record(record)) => {
                        read_record(file, record, loc, &mut conv, &mut events, &mut out)
                    }
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
    delimiter: Delimiter,
    header: &[String],
    conv: &mut ContactConverter,
    out: &mut ContactOut,
) {
    let bytes = &file.bytes[range.clone()];
    let cols = field_columns(conv.plan, header);
    let width = header.len();
    let mut rdr = RowReader::new(bytes, plain, delimiter);
    let mut rec = csv::ByteRecord::new();
    loop {
        let pos = match rdr.next(&mut rec) {
            Ok(Some(pos)) => pos,
            Ok(None) => break,
            Err(line) => {
                out.sink.fatal(
                    At::line(Some(line), None),
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
                At::line(Some(line), Some(rec.len().min(width) as u32 + 1)),
                ragged(rec.len(), width, delimiter),
            );
            out.sink.finish_row(line, raw);
            continue;
        }
        let row = CsvRow {
            rec: &rec,
            cols: &cols,
            line,
        };
        let fields = conv.fields(&row, &mut out.sink);
        let id_pos = (line, cols[0].map_or(0, |c| c as u32 + 1));
        let link_pos = conv
            .plan
            .link
            .map(|f| (line, cols[f].map_or(0, |c| c as u32 + 1)));
        finish_contact(
            out,
            fields,
            line,
            (id_pos, link_pos),
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

fn no_id(noun: &str, id_column: &str) -> (String, Option<String>) {
    (
        format!("{noun} without an id (`{id_column}` is empty)"),
        Some(format!("every {noun} needs an id")),
    )
}

fn finish_contact(
    out: &mut ContactOut,
    fields: Vec<Value>,
    line: u32,
    (id_pos, link_pos): ((u32, u32), Option<(u32, u32)>),
    raw_ref: RawRef,
    raw: impl FnOnce() -> String,
) {
    let reason = out.sink.row_has_problems().then(|| out.sink.row_reason());
    if out.sink.finish_row(line, raw) {
        out.contacts.push(Contact { fields });
        out.id_pos.push(id_pos);
        if let Some(p) = link_pos {
            out.link_pos.push(p);
        }
        out.raws.push(raw_ref);
    } else if let (Some(reason), Some(Value::Text(id))) = (reason, fields.first()) {
        out.skipped_ids.push((id.clone(), reason));
    }
}

/// Reads one structured record as a contact, with its inline events.
fn read_record(
    file: &File,
    record: &Record,
    loc: Loc,
    conv: &mut ContactConverter,
    events: &mut EventConverter,
    out: &mut ContactOut,
) {
    let plan = conv.plan;
    let line = loc.line();
    // A record given as values is named by its id, when it has a text one.
    let key = match record.get(&plan.id_column) {
        Some(Datum::Text(id)) if !id.trim().is_empty() => Some(id.trim()),
        _ => None,
    };
    let loc = loc.with_key(key);
    let raw_text = || loc.text().unwrap_or_else(|| record.to_json());
    let (named, inline) = conv.bind(record, loc, &mut out.sink);
    let fields = conv.fields(&named, &mut out.sink);
    let link_pos = plan.link.map(|f| match loc {
        Loc::Given { index, .. } => (index as u32 + 1, 0),
        _ => {
            let at = loc.key(&plan.names[f]);
            (at.line.unwrap_or(0), at.column.unwrap_or(0))
        }
    });
    // Inline events are read now; a contact that is set aside takes them with it (they are
    // part of its text), so they are then forgotten.
    let mark = out.inline.mark();
    let skipped_mark = out.sink.skipped.len();
    let local = out.contacts.len() as u32;
    let mut inline_count = 0;
    if let Some(v) = inline {
        match v {
            Datum::Null => {}
            Datum::List(items) => {
                inline_count = items.len();
                let pending = out.sink.take_row();
                for (n, item) in items.iter().enumerate() {
                    let item = match item {
                        Datum::Record(r) => Item::Record(r),
                        other => Item::Other(other),
                    };
                    events.convert(
                        item,
                        loc.event(n),
                        Owner::Local(local),
                        &mut out.inline,
                        &mut out.sink,
                    );
                }
                out.sink.restore_row(pending);
            }
            other => {
                out.sink.add(
                    loc.key("events"),
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
        Loc::Given { index, .. } => RawRef::Given(index),
        _ => RawRef::Text(record.to_json().into()),
    };
    let id_pos = match loc {
        Loc::Json { .. } => {
            let at = loc.key(&plan.id_column);
            (at.line.unwrap_or(0), at.column.unwrap_or(0))
        }
        Loc::Given { index, .. } => (index as u32 + 1, 0),
        _ => {
            let at = loc.start();
            (at.line.unwrap_or(0), at.column.unwrap_or(0))
        }
    };
    finish_contact(out, fields, line, (id_pos, link_pos), raw_ref, raw_text);
    if set_aside && inline_count > 0 {
        if let Some(last) = out.sink.skipped.last_mut() {
            let s = if inline_count == 1 { "" } else { "s" };
            last.reason.push_str(&format!(
                " (its {inline_count} inline event{s} are set aside with it)"
            ));
        }
    }
}

/// The text of a contact set aside as a duplicate.
pub(crate) fn raw_text(file: &File, raw: &RawRef) -> String {
    match raw {
        RawRef::Bytes(r) => row_text(file.bytes.get(r.clone()).unwrap_or_default()),
        RawRef::Text(t) => t.to_string(),
        RawRef::Given(i) => match &file.body {
            Body::Records { records, .. } => {
                records.get(*i).map(Record::to_json).unwrap_or_default()
            }
            Body::Table { table, .. } if *i < table.len() => table.record(*i).to_json(),
            _ => String::new(),
        },
    }
}
