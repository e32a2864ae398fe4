//! Reading events: type inference, conversion of CSV rows and JSON/YAML records, and grouping
//! by contact.

use std::sync::Arc;

use crate::cell::{parse_date_bytes, raw_value, shorten, text_value, Bad, Interner};
use crate::fxhash::FxHashMap;
use crate::model::{Events, FieldType, Value};
use crate::raw::Raw;

use super::contacts::{ragged, row_text};
use super::files::{for_each_record, Body, File, Loc, RowReader};
use super::plan::{EventPlan, InferEvents};
use super::sink::{missing_field, Sink};

/// Events read so far, in input order, not yet grouped.
#[derive(Default)]
pub(crate) struct EventOut {
    pub(crate) contact: Vec<u32>,
    pub(crate) type_id: Vec<u32>,
    pub(crate) at: Vec<i64>,
    pub(crate) prop_start: Vec<u32>,
    pub(crate) props: Vec<Value>,
}

impl EventOut {
    /// The number of events.
    pub(crate) fn len(&self) -> usize {
        self.at.len()
    }

    /// A point to come back to with [`EventOut::truncate`].
    pub(crate) fn mark(&self) -> (usize, usize) {
        (self.at.len(), self.props.len())
    }

    /// Forgets the events added since `mark`.
    pub(crate) fn truncate(&mut self, (events, props): (usize, usize)) {
        self.contact.truncate(events);
        self.type_id.truncate(events);
        self.at.truncate(events);
        self.prop_start.truncate(events);
        self.props.truncate(props);
    }

    /// Appends `other`'s events, mapping their contacts through `map` (`None`: dropped).
    pub(crate) fn append_mapped(&mut self, other: EventOut, map: impl Fn(u32) -> Option<u32>) {
        let total = other.props.len();
        let mut props = other.props.into_iter();
        for i in 0..other.at.len() {
            let end = other.prop_start.get(i + 1).map_or(total, |&e| e as usize);
            let count = end.saturating_sub(other.prop_start[i] as usize);
            match map(other.contact[i]) {
                Some(c) => {
                    self.contact.push(c);
                    self.type_id.push(other.type_id[i]);
                    self.at.push(other.at[i]);
                    self.prop_start.push(self.props.len() as u32);
                    self.props.extend(props.by_ref().take(count));
                }
                None => props.by_ref().take(count).for_each(drop),
            }
        }
    }
}

/// Interners for the text properties of each event type.
pub(crate) struct EventInterners(Vec<Vec<Interner>>);

impl EventInterners {
    pub(crate) fn new(plan: &EventPlan) -> Self {
        EventInterners(
            plan.specs
                .iter()
                .map(|s| s.fields.iter().map(|_| Interner::default()).collect())
                .collect(),
        )
    }
}

/// Whose events these are.
#[derive(Clone, Copy)]
pub(crate) enum Owner {
    /// Inline events of the contact at this index of its chunk.
    Local(u32),
    /// Events of an events file: the contact is named by `contact_id`.
    File,
}

/// The contacts' ids, to find the owner of each event.
#[derive(Default)]
pub(crate) struct Ids {
    pub(crate) index: FxHashMap<Arc<str>, u32>,
    /// The ids in contact order.
    pub(crate) order: Vec<Arc<str>>,
    /// Ids of contacts set aside, with why.
    pub(crate) skipped: FxHashMap<Arc<str>, String>,
}

/// What looking up an event's contact gives.
enum Found {
    Contact(u32),
    Skipped(String),
    Unknown,
}

impl Ids {
    fn find(&self, id: &str) -> Found {
        if let Some(&i) = self.index.get(id) {
            Found::Contact(i)
        } else if let Some(reason) = self.skipped.get(id) {
            Found::Skipped(reason.clone())
        } else {
            Found::Unknown
        }
    }
}

fn unknown_contact(id: &str) -> (String, Option<String>) {
    (
        format!("event for unknown contact `{}`", shorten(id)),
        Some("no contact has this id; check `contact_id` against the contacts file".into()),
    )
}

fn no_type() -> (String, Option<String>) {
    (
        "event without a `type`".into(),
        Some("every event needs a type, such as `page_view`".into()),
    )
}

fn no_at() -> (String, Option<String>) {
    (
        "event without an `at` time stamp".into(),
        Some("write the time as `2026-11-01` or `2026-11-01T09:30:00Z`".into()),
    )
}

fn no_contact() -> (String, Option<String>) {
    (
        "event without a `contact_id`".into(),
        Some("every event names its contact's id in `contact_id`".into()),
    )
}

fn bad_type(found: &str) -> (String, Option<String>) {
    (
        format!("the event's `type` should be a name, found {found}"),
        None,
    )
}

/// Type inference over one JSON/YAML event.
pub(crate) fn infer_record(evs: &mut InferEvents, raw: &Raw) {
    let Raw::Obj(entries) = raw else { return };
    let Some(name) = entries.iter().find_map(|(k, v)| match (k.as_str(), v) {
        ("type", Raw::Str(s)) if !s.trim().is_empty() => Some(s.trim()),
        _ => None,
    }) else {
        return;
    };
    let t = evs.ty(name, &[]);
    let table = &mut evs.props[t];
    table.rows += 1;
    for (k, v) in entries {
        if k == "type" || k == "at" || k == "contact_id" {
            continue;
        }
        let i = table.col(k);
        table.cols[i].raw(v);
    }
}

/// Type inference over one chunk of an events file.
pub(crate) fn infer_chunk(file: &File, chunk: usize) -> InferEvents {
    let mut evs = InferEvents::default();
    match &file.body {
        Body::Csv {
            header,
            chunks,
            plain,
            ..
        } => {
            let Some(layout) = CsvLayout::new(header) else {
                return evs;
            };
            let names: Vec<String> = layout.props.iter().map(|&c| header[c].clone()).collect();
            let mut rdr = RowReader::new(&file.bytes[chunks[chunk].clone()], *plain);
            let mut rec = csv::ByteRecord::new();
            let mut last: Option<(Vec<u8>, usize)> = None;
            while let Ok(Some(_)) = rdr.next(&mut rec) {
                if rec.len() != header.len() {
                    continue;
                }
                let name = rec[layout.ty].trim_ascii();
                if name.is_empty() {
                    continue;
                }
                let t = match &last {
                    Some((n, t)) if n.as_slice() == name => *t,
                    _ => {
                        let t = evs.ty(&String::from_utf8_lossy(name), &names);
                        last = Some((name.to_vec(), t));
                        t
                    }
                };
                let table = &mut evs.props[t];
                table.rows += 1;
                for (k, &c) in layout.props.iter().enumerate() {
                    table.cols[k].text(&rec[c]);
                }
            }
        }
        _ => {
            for_each_record(file, chunk, |_, parsed| {
                if let Ok(raw) = parsed {
                    infer_record(&mut evs, raw);
                }
            });
        }
    }
    evs
}

/// The columns of an events CSV file.
pub(crate) struct CsvLayout {
    pub(crate) contact: usize,
    pub(crate) ty: usize,
    pub(crate) at: usize,
    /// The other named columns: properties.
    pub(crate) props: Vec<usize>,
}

impl CsvLayout {
    /// The layout, if the header has `contact_id`, `type` and `at`.
    pub(crate) fn new(header: &[String]) -> Option<Self> {
        let find = |n: &str| header.iter().position(|h| h == n);
        let (contact, ty, at) = (find("contact_id")?, find("type")?, find("at")?);
        let props = (0..header.len())
            .filter(|&c| c != contact && c != ty && c != at && !header[c].is_empty())
            .collect();
        Some(CsvLayout {
            contact,
            ty,
            at,
            props,
        })
    }
}

/// The events of one chunk of an events file.
pub(crate) struct EventChunk<'a> {
    pub(crate) sink: Sink<'a>,
    pub(crate) events: EventOut,
    pub(crate) newlines: u32,
    /// The number of records read (CSV rows, NDJSON lines, JSON or YAML items), good or bad.
    pub(crate) records: usize,
}

/// Reads one chunk of an events file.
pub(crate) fn read_chunk<'a>(
    file: &'a File<'a>,
    chunk: usize,
    plan: &EventPlan,
    ids: &Ids,
    skip: bool,
) -> EventChunk<'a> {
    let mut out = EventChunk {
        sink: Sink::new(file.name, skip),
        events: EventOut::default(),
        newlines: 0,
        records: 0,
    };
    let mut interners = EventInterners::new(plan);
    match &file.body {
        Body::Csv {
            header,
            chunks,
            plain,
            ..
        } => {
            if let Some(layout) = CsvLayout::new(header) {
                read_csv(
                    file,
                    chunks[chunk].clone(),
                    *plain,
                    header,
                    &layout,
                    plan,
                    ids,
                    &mut interners,
                    &mut out,
                );
            }
        }
        _ => {
            let sink = &mut out.sink;
            let events = &mut out.events;
            let records = &mut out.records;
            out.newlines = for_each_record(file, chunk, |loc, parsed| {
                *records += 1;
                match parsed {
                    Err((message, l, c)) => {
                        sink.add(Some(l), Some(c), (message, None));
                        let raw = loc.text().unwrap_or_default();
                        sink.finish_row(loc.start().0.unwrap_or(0), || raw);
                    }
                    Ok(raw) => read_record(
                        raw,
                        loc,
                        Owner::File,
                        Some(ids),
                        plan,
                        &mut interners,
                        events,
                        sink,
                    ),
                }
            });
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn read_csv(
    file: &File,
    range: std::ops::Range<usize>,
    plain: bool,
    header: &[String],
    layout: &CsvLayout,
    plan: &EventPlan,
    ids: &Ids,
    interners: &mut EventInterners,
    out: &mut EventChunk,
) {
    let bytes = &file.bytes[range];
    let width = header.len();
    // Per type: the column of each property, and (with a schema) the other columns, whose
    // values are ignored with a warning.
    let cols: Vec<Vec<Option<usize>>> = plan
        .specs
        .iter()
        .map(|s| {
            s.fields
                .iter()
                .map(|f| header.iter().position(|h| *h == f.name))
                .collect()
        })
        .collect();
    let mut others: Vec<Vec<usize>> = plan
        .specs
        .iter()
        .enumerate()
        .map(|(t, s)| {
            layout
                .props
                .iter()
                .copied()
                .filter(|_| !plan.is_aside(t as u32))
                .filter(|&c| plan.declared && s.fields.iter().all(|f| f.name != header[c]))
                .filter(|&c| {
                    plan.specs
                        .iter()
                        .any(|s| s.fields.iter().any(|f| f.name == header[c]))
                })
                .collect()
        })
        .collect();
    let sink = &mut out.sink;
    let ev = &mut out.events;
    let records = &mut out.records;
    let mut rdr = RowReader::new(bytes, plain);
    let mut rec = csv::ByteRecord::new();
    let mut last_type: (Vec<u8>, Option<u32>) = (Vec::new(), None);
    let mut last_id: (Vec<u8>, u32) = (Vec::new(), 0);
    // Room for every row at once: no regrowth of the big arrays.
    let rows = bytes.iter().filter(|&&c| c == b'\n').count() + 1;
    ev.contact.reserve(rows);
    ev.type_id.reserve(rows);
    ev.at.reserve(rows);
    ev.prop_start.reserve(rows);
    ev.props.reserve(rows);
    loop {
        let pos = match rdr.next(&mut rec) {
            Ok(Some(pos)) => pos,
            Ok(None) => break,
            Err(line) => {
                sink.fatal(
                    Some(line),
                    None,
                    "the file cannot be read as CSV".into(),
                    None,
                );
                break;
            }
        };
        *records += 1;
        let (start, line) = (pos.start, pos.line);
        let end = pos.end.min(bytes.len());
        let raw = || row_text(&bytes[start.min(end)..end]);
        if rec.len() != width {
            sink.add(
                Some(line),
                Some(rec.len().min(width) as u32 + 1),
                ragged(rec.len(), width),
            );
            sink.finish_row(line, raw);
            continue;
        }
        // Type.
        let name = rec[layout.ty].trim_ascii();
        let ty = if name.is_empty() {
            sink.add(Some(line), Some(layout.ty as u32 + 1), no_type());
            None
        } else if last_type.1.is_some() && last_type.0 == name {
            last_type.1
        } else {
            let t = plan.lookup(name);
            if t.is_none() {
                sink.add(
                    Some(line),
                    Some(layout.ty as u32 + 1),
                    plan.unknown(&String::from_utf8_lossy(name)),
                );
            } else {
                last_type = (name.to_vec(), t);
            }
            t
        };
        // Time stamp.
        let at_cell = rec[layout.at].trim_ascii();
        let at = if at_cell.is_empty() {
            sink.add(Some(line), Some(layout.at as u32 + 1), no_at());
            None
        } else {
            let at = parse_date_bytes(at_cell);
            if at.is_none() {
                let bad = Bad::Text(String::from_utf8_lossy(at_cell).into_owned());
                sink.add(
                    Some(line),
                    Some(layout.at as u32 + 1),
                    bad.message("at", FieldType::Date),
                );
            }
            at
        };
        // Contact (files are often grouped by contact: the last one is remembered).
        let id_cell = rec[layout.contact].trim_ascii();
        let mut skipped_contact = None;
        let next = ids.order.get(last_id.1 as usize + 1);
        let contact = if !id_cell.is_empty() && id_cell == last_id.0.as_slice() {
            Some(last_id.1)
        } else if !last_id.0.is_empty() && next.is_some_and(|n| n.as_bytes() == id_cell) {
            // Events files often follow the contacts file's order: try the next contact.
            last_id.0.clear();
            last_id.0.extend_from_slice(id_cell);
            last_id.1 += 1;
            Some(last_id.1)
        } else if id_cell.is_empty() {
            sink.add(Some(line), Some(layout.contact as u32 + 1), no_contact());
            None
        } else {
            let id = String::from_utf8_lossy(id_cell);
            match ids.find(&id) {
                Found::Contact(c) => {
                    last_id.0.clear();
                    last_id.0.extend_from_slice(id_cell);
                    last_id.1 = c;
                    Some(c)
                }
                Found::Skipped(reason) => {
                    skipped_contact = Some((id.into_owned(), reason));
                    None
                }
                Found::Unknown => {
                    sink.add(
                        Some(line),
                        Some(layout.contact as u32 + 1),
                        unknown_contact(&id),
                    );
                    None
                }
            }
        };
        // Properties.
        let mark = ev.props.len();
        if let Some(t) = ty {
            let spec = &plan.specs[t as usize];
            for (f, field) in spec.fields.iter().enumerate() {
                let col = cols[t as usize][f];
                let value = match col {
                    None => Ok(Value::Missing),
                    Some(c) => text_value(&rec[c], field.ty, Some(&mut interners.0[t as usize][f]))
                        .map_err(|bad| {
                            sink.add(
                                Some(line),
                                Some(c as u32 + 1),
                                bad.message(&field.name, field.ty),
                            )
                        }),
                };
                if let Ok(Value::Missing) = value {
                    if !field.optional {
                        sink.add(
                            Some(line),
                            col.map(|c| c as u32 + 1),
                            missing_field(&field.name, field.ty.name(), Some(&spec.name)),
                        );
                    }
                }
                ev.props.push(value.unwrap_or_default());
            }
            let other = &mut others[t as usize];
            if !other.is_empty() {
                let mut i = 0;
                while i < other.len() {
                    let c = other[i];
                    if rec[c].trim_ascii().is_empty() {
                        i += 1;
                        continue;
                    }
                    sink.warn(
                        &format!("{}/{}", spec.name, header[c]),
                        Some(line),
                        Some(c as u32 + 1),
                        format!(
                            "column `{}` is not a field of event `{}`; its values are ignored",
                            header[c], spec.name
                        ),
                        Some(format!(
                            "declare it in `event {} {{ … }}` to use it",
                            spec.name
                        )),
                    );
                    other.swap_remove(i);
                }
            }
        }
        if let Some((id, reason)) = skipped_contact {
            sink.drop_row();
            ev.props.truncate(mark);
            sink.skip_row(
                line,
                format!("its contact `{}` was set aside: {reason}", shorten(&id)),
                raw(),
            );
            continue;
        }
        let ok = !sink.row_has_problems();
        sink.finish_row(line, raw);
        match (ok, contact, ty, at) {
            (true, Some(c), Some(t), Some(at)) => {
                ev.contact.push(c);
                ev.type_id.push(t);
                ev.at.push(at);
                ev.prop_start.push(mark as u32);
            }
            _ => ev.props.truncate(mark),
        }
    }
    out.newlines = rdr.newlines();
}

/// Reads one JSON/YAML event (of an events file, or inline in a contact).
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_record(
    raw: &Raw,
    loc: Loc,
    owner: Owner,
    ids: Option<&Ids>,
    plan: &EventPlan,
    interners: &mut EventInterners,
    ev: &mut EventOut,
    sink: &mut Sink,
) {
    let (line, column) = loc.start();
    let line_n = line.unwrap_or(0);
    let raw_text = || loc.text().unwrap_or_else(|| raw.to_json());
    let Raw::Obj(entries) = raw else {
        sink.add(
            line,
            column,
            (
                format!(
                    "expected an event object with `type` and `at`, found {}",
                    raw.kind()
                ),
                None,
            ),
        );
        sink.finish_row(line_n, raw_text);
        return;
    };
    let get = |key: &str| entries.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    // Type.
    let ty = match get("type") {
        None | Some(Raw::Null) => {
            sink.add(line, column, no_type());
            None
        }
        Some(Raw::Str(s)) if s.trim().is_empty() => {
            let (l, c) = loc.key("type");
            sink.add(l, c, no_type());
            None
        }
        Some(Raw::Str(s)) => {
            let t = plan.lookup(s.trim().as_bytes());
            if t.is_none() {
                let (l, c) = loc.key("type");
                sink.add(l, c, plan.unknown(s.trim()));
            }
            t
        }
        Some(other) => {
            let (l, c) = loc.key("type");
            sink.add(l, c, bad_type(other.kind()));
            None
        }
    };
    // Time stamp.
    let at = match get("at") {
        None | Some(Raw::Null) => {
            sink.add(line, column, no_at());
            None
        }
        Some(v) => match raw_value(v, FieldType::Date, None) {
            Ok(Value::Date(d)) => Some(d),
            Ok(_) => {
                let (l, c) = loc.key("at");
                sink.add(l, c, no_at());
                None
            }
            Err(bad) => {
                let (l, c) = loc.key("at");
                sink.add(l, c, bad.message("at", FieldType::Date));
                None
            }
        },
    };
    // Contact.
    let mut skipped_contact = None;
    let contact = match (owner, ids) {
        (Owner::Local(c), _) => Some(c),
        (Owner::File, ids) => {
            match get("contact_id").map(|v| raw_value(v, FieldType::Text, None)) {
                Some(Ok(Value::Text(id))) => {
                    match ids.map_or(Found::Unknown, |ids| ids.find(&id)) {
                        Found::Contact(c) => Some(c),
                        Found::Skipped(reason) => {
                            skipped_contact = Some((id, reason));
                            None
                        }
                        Found::Unknown => {
                            let (l, c) = loc.key("contact_id");
                            sink.add(l, c, unknown_contact(&id));
                            None
                        }
                    }
                }
                Some(Err(bad)) => {
                    let (l, c) = loc.key("contact_id");
                    sink.add(l, c, bad.message("contact_id", FieldType::Text));
                    None
                }
                _ => {
                    sink.add(line, column, no_contact());
                    None
                }
            }
        }
    };
    // Properties.
    let mark = ev.props.len();
    if let Some(t) = ty {
        let spec = &plan.specs[t as usize];
        let by_name = &plan.props[t as usize];
        let mut slots: Vec<Option<(&str, &Raw)>> = vec![None; spec.fields.len()];
        for (k, v) in entries {
            if k == "type" || k == "at" || (k == "contact_id" && matches!(owner, Owner::File)) {
                continue;
            }
            match by_name.get(k.as_str()) {
                Some(&f) => {
                    if slots[f].is_some() {
                        let (l, c) = loc.key(k);
                        sink.add(l, c, (format!("field `{k}` appears twice"), None));
                    }
                    slots[f] = Some((k, v));
                }
                None if matches!(v, Raw::Null) => {}
                None if k == "contact_id" => {}
                None if plan.is_aside(t) => {}
                None => {
                    let (l, c) = loc.key(k);
                    sink.warn(
                        &format!("{}/{k}", spec.name),
                        l,
                        c,
                        format!(
                            "field `{k}` is not a field of event `{}`; its values are ignored",
                            spec.name
                        ),
                        Some(format!(
                            "declare it in `event {} {{ … }}` to use it",
                            spec.name
                        )),
                    );
                }
            }
        }
        for (f, field) in spec.fields.iter().enumerate() {
            let value = match slots[f] {
                None => Ok(Value::Missing),
                Some((k, v)) => raw_value(v, field.ty, Some(&mut interners.0[t as usize][f]))
                    .map_err(|bad| {
                        let (l, c) = loc.key(k);
                        sink.add(l, c, bad.message(k, field.ty));
                    }),
            };
            if let Ok(Value::Missing) = value {
                if !field.optional {
                    let (l, c) = match slots[f] {
                        Some((k, _)) => loc.key(k),
                        None => (line, column),
                    };
                    sink.add(
                        l,
                        c,
                        missing_field(&field.name, field.ty.name(), Some(&spec.name)),
                    );
                }
            }
            ev.props.push(value.unwrap_or_default());
        }
    }
    if let Some((id, reason)) = skipped_contact {
        sink.drop_row();
        ev.props.truncate(mark);
        sink.skip_row(
            line_n,
            format!("its contact `{}` was set aside: {reason}", shorten(&id)),
            raw_text(),
        );
        return;
    }
    let ok = !sink.row_has_problems();
    sink.finish_row(line_n, raw_text);
    match (ok, contact, ty, at) {
        (true, Some(c), Some(t), Some(at)) => {
            ev.contact.push(c);
            ev.type_id.push(t);
            ev.at.push(at);
            ev.prop_start.push(mark as u32);
        }
        _ => ev.props.truncate(mark),
    }
}

/// Groups events by contact (contacts in order), each contact's events sorted by time with
/// ties in input order. `parts` are in input order.
pub(crate) fn group(contacts: usize, mut parts: Vec<EventOut>, threads: usize) -> Events {
    let n: usize = parts.iter().map(EventOut::len).sum();
    let mut start = vec![0u32; contacts + 1];
    for p in &parts {
        for &c in &p.contact {
            start[c as usize + 1] += 1;
        }
    }
    for i in 0..contacts {
        start[i + 1] += start[i];
    }
    // Scatter each event to its contact's next slot; `src` remembers where it came from
    // (part << 32 | index) to move its properties later.
    let mut cursor: Vec<u32> = start[..contacts].to_vec();
    let mut at = vec![0i64; n];
    let mut type_id = vec![0u32; n];
    let mut src = vec![0u64; n];
    for (pi, p) in parts.iter().enumerate() {
        for i in 0..p.len() {
            let c = p.contact[i] as usize;
            let pos = cursor[c] as usize;
            cursor[c] += 1;
            at[pos] = p.at[i];
            type_id[pos] = p.type_id[i];
            src[pos] = (pi as u64) << 32 | i as u64;
        }
    }
    drop(cursor);
    // What the parts still hold that the grouped events need: their properties.
    for p in &mut parts {
        p.contact = Vec::new();
        p.type_id = Vec::new();
        p.at = Vec::new();
    }
    sort_by_time(&start, &mut at, &mut type_id, &mut src, threads);
    // Properties, moved in their new order.
    let range = |parts: &[EventOut], s: u64| {
        let p = &parts[(s >> 32) as usize];
        let i = (s & 0xffff_ffff) as usize;
        let to = p
            .prop_start
            .get(i + 1)
            .map_or(p.props.len(), |&x| x as usize);
        (p.prop_start[i] as usize, to)
    };
    let mut prop_start = Vec::with_capacity(n);
    let mut total = 0usize;
    for &s in &src {
        prop_start.push(total as u32);
        let (from, to) = range(&parts, s);
        total += to - from;
    }
    let mut props = Vec::with_capacity(total);
    for &s in &src {
        let (from, to) = range(&parts, s);
        let p = &mut parts[(s >> 32) as usize];
        for v in &mut p.props[from..to] {
            props.push(std::mem::take(v));
        }
    }
    Events {
        contact_start: start,
        type_id,
        at,
        prop_start,
        props,
    }
}

/// Sorts each contact's events by time (stable), contacts split between threads.
fn sort_by_time(start: &[u32], at: &mut [i64], ty: &mut [u32], src: &mut [u64], threads: usize) {
    let contacts = start.len() - 1;
    let n = at.len();
    let parts = threads.clamp(1, 16).min(contacts.max(1));
    // Contact boundaries that split the events evenly.
    let mut bounds = vec![0usize];
    for k in 1..parts {
        let target = (n * k / parts) as u32;
        let c = start.partition_point(|&s| s < target).min(contacts);
        if c > *bounds.last().unwrap_or(&0) {
            bounds.push(c);
        }
    }
    bounds.push(contacts);
    let work = |first: usize, last: usize, at: &mut [i64], ty: &mut [u32], src: &mut [u64]| {
        let base = start[first] as usize;
        let mut buf: Vec<(i64, u32, u64)> = Vec::new();
        for c in first..last {
            let (a, b) = (start[c] as usize - base, start[c + 1] as usize - base);
            if at[a..b].windows(2).all(|w| w[0] <= w[1]) {
                continue;
            }
            buf.clear();
            buf.extend((a..b).map(|i| (at[i], ty[i], src[i])));
            buf.sort_by_key(|e| e.0);
            for (k, e) in buf.iter().enumerate() {
                at[a + k] = e.0;
                ty[a + k] = e.1;
                src[a + k] = e.2;
            }
        }
    };
    if bounds.len() <= 2 {
        work(0, contacts, at, ty, src);
        return;
    }
    std::thread::scope(|s| {
        let (mut at, mut ty, mut src) = (at, ty, src);
        let mut consumed = 0usize;
        for w in bounds.windows(2) {
            let (first, last) = (w[0], w[1]);
            let len = start[last] as usize - consumed;
            let (a, rest_a) = std::mem::take(&mut at).split_at_mut(len);
            let (t, rest_t) = std::mem::take(&mut ty).split_at_mut(len);
            let (r, rest_r) = std::mem::take(&mut src).split_at_mut(len);
            at = rest_a;
            ty = rest_t;
            src = rest_r;
            consumed += len;
            let work = &work;
            s.spawn(move || work(first, last, a, t, r));
        }
    });
}
