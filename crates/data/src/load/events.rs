//! Events: the event converter (one record, from any decoder, checked against the event
//! types in force: its type, time stamp, contact and properties), type inference over events,
//! the reading of a chunk of an events file, and the grouping of events by contact.

use std::borrow::Cow;
use std::sync::Arc;

use crate::cell::{scalar_text, shorten, Bad, Cell, Interner};
use crate::dialect::Cells;
use crate::fxhash::FxHashMap;
use crate::model::{Events, FieldType, Value};
use crate::record::{Datum, Record};

use super::cells::{At, Binding, Bound, CsvRow, Named, Role};
use super::contacts::{ragged, row_text};
use super::decode::{for_each_record, Body, File, Item, Loc, RowReader};
use super::plan::{EventPlan, InferEvents};
use super::sink::{missing_field, Sink};

/// Where an events file's three fixed fields are: the columns (or keys) of the contact's id
/// and of the time stamp, and the type's column or the one type of every record; and how
/// type values map onto the schema's event names.
#[derive(Debug, Clone)]
pub(crate) struct EventCols {
    pub(crate) contact_id: String,
    pub(crate) at: String,
    pub(crate) ty: TypeFrom,
    /// `event_types`: a type value as written (`Email Opened`) → the event name.
    pub(crate) aliases: Arc<FxHashMap<String, String>>,
}

/// Where an event's type comes from.
#[derive(Debug, Clone)]
pub(crate) enum TypeFrom {
    /// A column (or key) of each record.
    Column(String),
    /// The file's setting: every record is of this type.
    Fixed(Datum),
}

impl Default for EventCols {
    fn default() -> Self {
        EventCols {
            contact_id: "contact_id".into(),
            at: "at".into(),
            ty: TypeFrom::Column("type".into()),
            aliases: Arc::default(),
        }
    }
}

impl EventCols {
    /// The name of a fixed field's column (or key); `None` for a type fixed by the file.
    pub(crate) fn column(&self, which: Fixed) -> Option<&str> {
        match which {
            Fixed::Contact => Some(&self.contact_id),
            Fixed::At => Some(&self.at),
            Fixed::Type => match &self.ty {
                TypeFrom::Column(c) => Some(c),
                TypeFrom::Fixed(_) => None,
            },
        }
    }

    /// Whether a column (or key) holds one of the fixed fields (for events of a file,
    /// `contact_id` included).
    fn is_fixed(&self, name: &str, with_contact: bool) -> bool {
        name == self.at
            || (with_contact && name == self.contact_id)
            || matches!(&self.ty, TypeFrom::Column(c) if c == name)
    }

    /// A type value as the schema names it (through `event_types`).
    pub(crate) fn type_name<'a>(&'a self, value: &'a str) -> &'a str {
        self.aliases.get(value).map_or(value, String::as_str)
    }
}

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

    /// Appends `other`'s events.
    pub(crate) fn append(&mut self, mut other: EventOut) {
        let base = self.props.len() as u32;
        self.contact.append(&mut other.contact);
        self.type_id.append(&mut other.type_id);
        self.at.append(&mut other.at);
        self.prop_start
            .extend(other.prop_start.iter().map(|&s| s + base));
        self.props.append(&mut other.props);
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
#[derive(Clone, Copy, PartialEq, Eq)]
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
pub(crate) enum Found {
    Contact(u32),
    Skipped(String),
    Unknown,
}

impl Ids {
    pub(crate) fn find(&self, id: &str) -> Found {
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

/// Type inference over one structured event.
pub(crate) fn infer_record(evs: &mut InferEvents, d: &Datum, cols: &EventCols) {
    if let Datum::Record(record) = d {
        infer_record_fields(evs, record, cols);
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
            let Some(layout) = CsvLayout::new(header, &file.events) else {
                return evs;
            };
            let names: Vec<String> = layout.props.iter().map(|&c| header[c].clone()).collect();
            let (delimiter, cells) = file.csv_dialect();
            let mut rdr = RowReader::new(&file.bytes[chunks[chunk].clone()], *plain, delimiter);
            let mut rec = csv::ByteRecord::new();
            let mut last: Option<(Vec<u8>, usize)> = None;
            while let Ok(Some(_)) = rdr.next(&mut rec) {
                if rec.len() != header.len() {
                    continue;
                }
                let name = match layout.ty {
                    Some(c) => rec[c].trim_ascii(),
                    None => &layout.fixed,
                };
                if name.is_empty() {
                    continue;
                }
                let t = match &last {
                    Some((n, t)) if n.as_slice() == name => *t,
                    _ => {
                        let text = String::from_utf8_lossy(name);
                        let t = evs.ty(file.events.type_name(&text), &names);
                        last = Some((name.to_vec(), t));
                        t
                    }
                };
                let table = &mut evs.props[t];
                table.rows += 1;
                for (k, &c) in layout.props.iter().enumerate() {
                    table.cols[k].text(&rec[c], &cells);
                }
            }
        }
        _ => {
            for_each_record(file, chunk, |_, parsed| match parsed {
                Ok(Item::Record(r)) => infer_record_fields(&mut evs, r, &file.events),
                Ok(Item::Other(_)) | Err(_) => {}
            });
        }
    }
    evs
}

fn infer_record_fields(evs: &mut InferEvents, record: &Record, cols: &EventCols) {
    let value = match &cols.ty {
        TypeFrom::Column(c) => record.get(c),
        TypeFrom::Fixed(d) => Some(d),
    };
    let Some(name) = (match value {
        Some(Datum::Text(s)) if !s.trim().is_empty() => Some(s.trim()),
        _ => None,
    }) else {
        return;
    };
    let t = evs.ty(cols.type_name(name), &[]);
    let table = &mut evs.props[t];
    table.rows += 1;
    for (k, v) in &record.fields {
        if cols.is_fixed(k, true) {
            continue;
        }
        let i = table.col(k);
        table.cols[i].datum(v);
    }
}

/// The columns of an events CSV file.
pub(crate) struct CsvLayout {
    pub(crate) contact: usize,
    /// The type's column; `None` when the file fixes the type (`fixed`).
    pub(crate) ty: Option<usize>,
    pub(crate) at: usize,
    /// The other named columns: properties.
    pub(crate) props: Vec<usize>,
    /// The type of every row, when the file fixes it.
    pub(crate) fixed: Vec<u8>,
}

impl CsvLayout {
    /// The layout, if the header has the columns of the contact's id, the time stamp and
    /// (unless the file fixes it) the type.
    pub(crate) fn new(header: &[String], cols: &EventCols) -> Option<Self> {
        let find = |n: &str| header.iter().position(|h| h == n);
        let (contact, at) = (find(&cols.contact_id)?, find(&cols.at)?);
        let (ty, fixed) = match &cols.ty {
            TypeFrom::Column(c) => (Some(find(c)?), Vec::new()),
            TypeFrom::Fixed(d) => (None, scalar_text(d).unwrap_or_default().into_bytes()),
        };
        let props = (0..header.len())
            .filter(|&c| c != contact && Some(c) != ty && c != at && !header[c].is_empty())
            .collect();
        Some(CsvLayout {
            contact,
            ty,
            at,
            props,
            fixed,
        })
    }
}

/// The three fields every event has.
#[derive(Clone, Copy)]
pub(crate) enum Fixed {
    Contact,
    Type,
    At,
}

impl Fixed {
    /// The field's default column name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Fixed::Contact => "contact_id",
            Fixed::Type => "type",
            Fixed::At => "at",
        }
    }
}

/// One event record, as the event converter reads it: its three fixed fields, and its
/// properties once its type is known.
pub(crate) trait EventRecord {
    /// The record's properties, bound to the fields of one event type.
    type Props<'s>: Bound
    where
        Self: 's;
    /// The cell of `contact_id`, `type` or `at`, if the record has one.
    fn fixed(&self, which: Fixed) -> Option<Cell<'_>>;
    /// Where that field is written.
    fn at_fixed(&self, which: Fixed) -> At;
    /// Where a problem with that field goes when it holds nothing.
    fn at_missing(&self, which: Fixed) -> At;
    /// The properties, bound to the fields of type `t` (problems of the binding, such as a
    /// field written twice, go to the sink).
    fn props<'s>(
        &'s self,
        t: usize,
        plan: &'s EventPlan,
        owner: Owner,
        sink: &mut Sink,
    ) -> Self::Props<'s>;
}

/// A CSV row of an events file.
pub(crate) struct CsvEvent<'r> {
    rec: &'r csv::ByteRecord,
    layout: &'r CsvLayout,
    /// Per type, the column of each property.
    cols: &'r [Vec<Option<usize>>],
    line: u32,
}

impl EventRecord for CsvEvent<'_> {
    type Props<'s>
        = CsvRow<'s>
    where
        Self: 's;

    #[inline]
    fn fixed(&self, which: Fixed) -> Option<Cell<'_>> {
        Some(Cell::Text(match self.column(which) {
            Some(c) => &self.rec[c],
            None => &self.layout.fixed,
        }))
    }

    #[inline]
    fn at_fixed(&self, which: Fixed) -> At {
        At::line(Some(self.line), self.column(which).map(|c| c as u32 + 1))
    }

    #[inline]
    fn at_missing(&self, which: Fixed) -> At {
        self.at_fixed(which)
    }

    #[inline]
    fn props<'s>(&'s self, t: usize, _: &'s EventPlan, _: Owner, _: &mut Sink) -> CsvRow<'s> {
        CsvRow {
            rec: self.rec,
            cols: &self.cols[t],
            line: self.line,
        }
    }
}

impl CsvEvent<'_> {
    #[inline]
    fn column(&self, which: Fixed) -> Option<usize> {
        match which {
            Fixed::Contact => Some(self.layout.contact),
            Fixed::Type => self.layout.ty,
            Fixed::At => Some(self.layout.at),
        }
    }
}

/// A structured event record (JSON, YAML, or given as values).
pub(crate) struct NamedEvent<'r> {
    record: &'r Record,
    loc: Loc<'r>,
    cols: &'r EventCols,
    /// Per event type (and whether the event is a file's or inline), the binding of the last
    /// record's field names.
    kept: &'r std::cell::RefCell<Vec<Option<Binding>>>,
}

impl NamedEvent<'_> {
    fn get(&self, which: Fixed) -> Option<&Datum> {
        match (which, &self.cols.ty) {
            (Fixed::Type, TypeFrom::Fixed(d)) => Some(d),
            _ => self.record.get(self.key(which)),
        }
    }

    /// The key of a fixed field.
    fn key(&self, which: Fixed) -> &str {
        self.cols.column(which).unwrap_or(which.name())
    }
}

impl EventRecord for NamedEvent<'_> {
    type Props<'s>
        = Named<'s>
    where
        Self: 's;

    fn fixed(&self, which: Fixed) -> Option<Cell<'_>> {
        self.get(which).map(Cell::Datum)
    }

    fn at_fixed(&self, which: Fixed) -> At {
        match self.cols.column(which) {
            Some(key) => self.loc.key(key),
            None => self.loc.start(),
        }
    }

    fn at_missing(&self, which: Fixed) -> At {
        self.loc.missing(self.key(which))
    }

    fn props<'s>(
        &'s self,
        t: usize,
        plan: &'s EventPlan,
        owner: Owner,
        sink: &mut Sink,
    ) -> Named<'s> {
        let spec = &plan.specs[t];
        let by_name = &plan.props[t];
        let mut kept = self.kept.borrow_mut();
        let slot = 2 * t + usize::from(owner == Owner::File);
        if kept.len() <= slot {
            kept.resize_with(slot + 1, || None);
        }
        Named::bind(
            self.record,
            self.loc,
            &plan.names[t],
            sink,
            &mut kept[slot],
            |k| {
                if self.cols.is_fixed(k, owner == Owner::File) {
                    return Role::Apart;
                }
                match by_name.get(crate::model::column_key(k).as_ref()) {
                    Some(&f) => Role::Feeds(Some(f), None),
                    None => Role::Unknown,
                }
            },
            |sink, k, v, loc| {
                // An event set aside keeps its contact and time only, whatever else it has.
                if matches!(v, Datum::Null) || k == self.cols.contact_id || plan.is_aside(t as u32)
                {
                    return;
                }
                let key = format!("{}/{k}", spec.name);
                if !sink.warned(&key) {
                    sink.warn(
                        &key,
                        loc.key(k),
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
            },
        )
    }
}

/// The event converter: reads a record's type, time stamp, contact and properties against
/// the event types in force, reporting every value that does not fit.
pub(crate) struct EventConverter<'p> {
    plan: &'p EventPlan,
    /// The contacts' ids, for events that name their contact (`None` for inline events).
    ids: Option<&'p Ids>,
    interners: EventInterners,
    /// How the cells of text are written (CSV dialect; the default for other formats).
    cells: Cells,
    /// The last type name read and its index: files often hold runs of one type.
    last_type: (Vec<u8>, Option<u32>),
    /// The last contact id read and its index: files are often grouped by contact, in the
    /// contacts file's order.
    last_id: (Vec<u8>, u32),
    /// Where the fixed fields are in the records.
    cols: &'p EventCols,
    /// The bindings of structured records' field names (see [`NamedEvent::kept`]).
    kept: std::cell::RefCell<Vec<Option<Binding>>>,
}

impl<'p> EventConverter<'p> {
    pub(crate) fn new(
        plan: &'p EventPlan,
        ids: Option<&'p Ids>,
        cells: Cells,
        cols: &'p EventCols,
    ) -> Self {
        EventConverter {
            plan,
            ids,
            cols,
            interners: EventInterners::new(plan),
            cells,
            last_type: (Vec::new(), None),
            last_id: (Vec::new(), 0),
            kept: Default::default(),
        }
    }

    /// Reads one structured event (of an events file, or inline in a contact).
    pub(crate) fn convert(
        &mut self,
        item: Item,
        loc: Loc,
        owner: Owner,
        ev: &mut EventOut,
        sink: &mut Sink,
    ) {
        let line = loc.line();
        let raw_text = || loc.text().unwrap_or_else(|| item.to_json());
        match item {
            Item::Other(d) => {
                sink.add(
                    loc.start(),
                    (
                        format!(
                            "expected an event object with `type` and `at`, found {}",
                            d.kind()
                        ),
                        None,
                    ),
                );
                sink.finish_row(line, raw_text);
            }
            Item::Record(record) => {
                let kept = std::mem::take(&mut self.kept);
                let rec = NamedEvent {
                    record,
                    loc,
                    cols: self.cols,
                    kept: &kept,
                };
                self.event(&rec, owner, line, raw_text, ev, sink);
                self.kept = kept;
            }
        }
    }

    /// Reads one event record; returns its type, when known.
    #[inline]
    pub(crate) fn event<R: EventRecord>(
        &mut self,
        rec: &R,
        owner: Owner,
        line: u32,
        raw: impl FnOnce() -> String,
        ev: &mut EventOut,
        sink: &mut Sink,
    ) -> Option<u32> {
        let plan = self.plan;
        let ty = self.ty(rec, sink);
        let at = self.at(rec, sink);
        let mut skipped_contact = None;
        let contact = match owner {
            Owner::Local(c) => Some(c),
            Owner::File => self.contact(rec, sink, &mut skipped_contact),
        };
        // Properties.
        let mark = ev.props.len();
        if let Some(t) = ty {
            let spec = &plan.specs[t as usize];
            let props = rec.props(t as usize, plan, owner, sink);
            for (f, field) in spec.fields.iter().enumerate() {
                let value = match props.cell(f) {
                    None => Ok(Value::Missing),
                    Some(cell) => cell
                        .value(
                            field.ty,
                            Some(&mut self.interners.0[t as usize][f]),
                            &self.cells,
                        )
                        .map_err(|bad| {
                            sink.add(props.at(f), bad.message(&field.name, field.ty, &self.cells))
                        }),
                };
                if let Ok(Value::Missing) = value {
                    if !field.optional {
                        sink.add(
                            props.at(f),
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
                line,
                format!("its contact `{}` was set aside: {reason}", shorten(&id)),
                raw(),
            );
            return ty;
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
        ty
    }

    /// The event's type.
    #[inline]
    fn ty<R: EventRecord>(&mut self, rec: &R, sink: &mut Sink) -> Option<u32> {
        let name = match rec.fixed(Fixed::Type) {
            None | Some(Cell::Datum(Datum::Null)) => {
                sink.add(rec.at_missing(Fixed::Type), no_type());
                return None;
            }
            Some(Cell::Text(t)) => t.trim_ascii(),
            Some(Cell::Datum(Datum::Text(s))) => s.trim().as_bytes(),
            Some(Cell::Datum(other)) => {
                sink.add(rec.at_fixed(Fixed::Type), bad_type(other.kind()));
                return None;
            }
        };
        if name.is_empty() {
            sink.add(rec.at_fixed(Fixed::Type), no_type());
            return None;
        }
        if self.last_type.1.is_some() && self.last_type.0 == name {
            return self.last_type.1;
        }
        let t = match std::str::from_utf8(name) {
            Ok(text) => self.plan.lookup(self.cols.type_name(text).as_bytes()),
            Err(_) => None,
        };
        match t {
            None => sink.add(
                rec.at_fixed(Fixed::Type),
                self.plan.unknown(&String::from_utf8_lossy(name)),
            ),
            Some(_) => {
                self.last_type.0.clear();
                self.last_type.0.extend_from_slice(name);
                self.last_type.1 = t;
            }
        }
        t
    }

    /// The event's time stamp.
    #[inline]
    fn at<R: EventRecord>(&mut self, rec: &R, sink: &mut Sink) -> Option<i64> {
        let cell = match rec.fixed(Fixed::At) {
            None | Some(Cell::Datum(Datum::Null)) => {
                sink.add(rec.at_missing(Fixed::At), no_at());
                return None;
            }
            Some(cell) => cell,
        };
        match cell.value(FieldType::Date, None, &self.cells) {
            Ok(Value::Date(d)) => Some(d),
            Ok(_) => {
                sink.add(rec.at_fixed(Fixed::At), no_at());
                None
            }
            Err(bad) => {
                sink.add(
                    rec.at_fixed(Fixed::At),
                    bad.message(&self.cols.at, FieldType::Date, &self.cells),
                );
                None
            }
        }
    }

    /// The contact an event of an events file names, or why there is none (a contact set
    /// aside goes to `skipped`).
    #[inline]
    fn contact<R: EventRecord>(
        &mut self,
        rec: &R,
        sink: &mut Sink,
        skipped: &mut Option<(String, String)>,
    ) -> Option<u32> {
        let scalar;
        let id: &[u8] = match rec.fixed(Fixed::Contact) {
            None | Some(Cell::Datum(Datum::Null)) => b"",
            Some(Cell::Text(t)) => t.trim_ascii(),
            Some(Cell::Datum(Datum::Text(s))) => s.as_bytes().trim_ascii(),
            Some(Cell::Datum(d @ (Datum::List(_) | Datum::Record(_)))) => {
                let bad = Bad::Shape(
                    if matches!(d, Datum::List(_)) {
                        "a list"
                    } else {
                        "an object"
                    }
                    .into(),
                );
                sink.add(
                    rec.at_fixed(Fixed::Contact),
                    bad.message(&self.cols.contact_id, FieldType::Text, &self.cells),
                );
                return None;
            }
            Some(Cell::Datum(d)) => {
                scalar = scalar_text(d).unwrap_or_default();
                scalar.as_bytes()
            }
        };
        let last = &mut self.last_id;
        if !id.is_empty() && id == last.0.as_slice() {
            return Some(last.1);
        }
        let next = self.ids.and_then(|ids| ids.order.get(last.1 as usize + 1));
        if !last.0.is_empty() && next.is_some_and(|n| n.as_bytes() == id) {
            // Events files often follow the contacts file's order: try the next contact.
            last.0.clear();
            last.0.extend_from_slice(id);
            last.1 += 1;
            return Some(last.1);
        }
        if id.is_empty() {
            sink.add(rec.at_missing(Fixed::Contact), no_contact());
            return None;
        }
        let text: Cow<str> = String::from_utf8_lossy(id);
        match self.ids.map_or(Found::Unknown, |ids| ids.find(&text)) {
            Found::Contact(c) => {
                last.0.clear();
                last.0.extend_from_slice(id);
                last.1 = c;
                Some(c)
            }
            Found::Skipped(reason) => {
                *skipped = Some((text.into_owned(), reason));
                None
            }
            Found::Unknown => {
                sink.add(rec.at_fixed(Fixed::Contact), unknown_contact(&text));
                None
            }
        }
    }
}

/// The events of one chunk of an events file.
pub(crate) struct EventChunk<'a> {
    pub(crate) sink: Sink<'a>,
    pub(crate) events: EventOut,
    pub(crate) newlines: u32,
    /// The number of records read (CSV rows, NDJSON lines, JSON or YAML items, records
    /// given as values), good or bad.
    pub(crate) records: usize,
}

/// Reads one chunk of an events file: its decoder's records through the event converter.
pub(crate) fn read_chunk<'a>(
    file: &File<'a>,
    chunk: usize,
    plan: &EventPlan,
    ids: &Ids,
    skip: bool,
) -> EventChunk<'a> {
    read_chunk_of(file, file.name, chunk, plan, ids, skip)
}

/// [`read_chunk`], its problems naming the file `name` (a block of a file read in blocks is
/// a `File` of its own, shorter-lived than the file's name).
pub(crate) fn read_chunk_of<'n>(
    file: &File,
    name: &'n str,
    chunk: usize,
    plan: &EventPlan,
    ids: &Ids,
    skip: bool,
) -> EventChunk<'n> {
    let mut out = EventChunk {
        sink: Sink::new(name, skip),
        events: EventOut::default(),
        newlines: 0,
        records: 0,
    };
    let (_, cells) = file.csv_dialect();
    let mut conv = EventConverter::new(plan, Some(ids), cells, &file.events);
    match &file.body {
        Body::Csv {
            header,
            chunks,
            plain,
            ..
        } => {
            if let Some(layout) = CsvLayout::new(header, &file.events) {
                read_csv(
                    file,
                    chunks[chunk].clone(),
                    *plain,
                    header,
                    &layout,
                    &mut conv,
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
                        let help = crate::cell::syntax_help(&message);
                        sink.add(At::line(Some(l), Some(c)), (message, help));
                        let raw = loc.text().unwrap_or_default();
                        sink.finish_row(loc.line(), || raw);
                    }
                    Ok(item) => conv.convert(item, loc, Owner::File, events, sink),
                }
            });
        }
    }
    out
}

fn read_csv(
    file: &File,
    range: std::ops::Range<usize>,
    plain: bool,
    header: &[String],
    layout: &CsvLayout,
    conv: &mut EventConverter,
    out: &mut EventChunk,
) {
    let plan = conv.plan;
    let bytes = &file.bytes[range];
    let width = header.len();
    // Per type: the column of each property, and (with a schema) the other columns, whose
    // values are ignored with a warning.
    let cols: Vec<Vec<Option<usize>>> = plan
        .names
        .iter()
        .map(|names| {
            names
                .iter()
                .map(|n| header.iter().position(|h| h == n))
                .collect()
        })
        .collect();
    let mut others: Vec<Vec<usize>> = plan
        .specs
        .iter()
        .enumerate()
        .map(|(t, _)| {
            layout
                .props
                .iter()
                .copied()
                .filter(|_| !plan.is_aside(t as u32))
                .filter(|&c| plan.declared && plan.names[t].iter().all(|n| *n != header[c]))
                .filter(|&c| plan.names.iter().any(|n| n.contains(&header[c])))
                .collect()
        })
        .collect();
    let sink = &mut out.sink;
    let ev = &mut out.events;
    let records = &mut out.records;
    let (delimiter, _) = file.csv_dialect();
    let mut rdr = RowReader::new(bytes, plain, delimiter);
    let mut rec = csv::ByteRecord::new();
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
                    At::line(Some(line), None),
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
                At::line(Some(line), Some(rec.len().min(width) as u32 + 1)),
                ragged(rec.len(), width, delimiter),
            );
            sink.finish_row(line, raw);
            continue;
        }
        let row = CsvEvent {
            rec: &rec,
            layout,
            cols: &cols,
            line,
        };
        let ty = conv.event(&row, Owner::File, line, raw, ev, sink);
        // Columns of other types' properties that hold a value here: ignored, with a
        // warning (once per type and column).
        if let Some(t) = ty {
            let other = &mut others[t as usize];
            let spec = &plan.specs[t as usize];
            let mut i = 0;
            while i < other.len() {
                let c = other[i];
                if rec[c].trim_ascii().is_empty() {
                    i += 1;
                    continue;
                }
                sink.warn(
                    &format!("{}/{}", spec.name, header[c]),
                    At::line(Some(line), Some(c as u32 + 1)),
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
    out.newlines = rdr.newlines();
}

/// Groups events by contact (contacts in order), each contact's events sorted by time with
/// ties in input order. `parts` are in input order (usually one: the load appends every
/// chunk's events to one set of arrays).
///
/// Where each event came from is kept in 4 bytes, and the input's property offsets are freed
/// before its properties move (the move itself is a copy: permuting them in place was
/// measured, and was slower by half a second at 10M events).
pub(crate) fn group(contacts: usize, mut parts: Vec<EventOut>, threads: usize) -> Events {
    let mut all = if parts.is_empty() {
        EventOut::default()
    } else {
        parts.remove(0)
    };
    for p in parts {
        all.append(p);
    }
    let n = all.len();
    let mut start = vec![0u32; contacts + 1];
    for &c in &all.contact {
        start[c as usize + 1] += 1;
    }
    for i in 0..contacts {
        start[i + 1] += start[i];
    }
    // Scatter each event to its contact's next slot; `src` remembers where it came from.
    // Each thread takes the events of a range of contacts (reading every event, writing only
    // its own slots), in input order.
    let mut at = vec![0i64; n];
    let mut type_id = vec![0u32; n];
    let mut src = vec![0u32; n];
    let scatter = |lo: usize, hi: usize, at: &mut [i64], ty: &mut [u32], src: &mut [u32]| {
        let base = start[lo];
        let mut cursor: Vec<u32> = start[lo..hi].iter().map(|&x| x - base).collect();
        for i in 0..n {
            let c = all.contact[i] as usize;
            if c < lo || c >= hi {
                continue;
            }
            let pos = cursor[c - lo] as usize;
            cursor[c - lo] += 1;
            at[pos] = all.at[i];
            ty[pos] = all.type_id[i];
            src[pos] = i as u32;
        }
    };
    let bounds = contact_bounds(&start, threads);
    if bounds.len() <= 2 {
        scatter(0, contacts, &mut at, &mut type_id, &mut src);
    } else {
        std::thread::scope(|s| {
            let (mut at, mut ty, mut src) = (&mut at[..], &mut type_id[..], &mut src[..]);
            for w in bounds.windows(2) {
                let (lo, hi) = (w[0], w[1]);
                let len = (start[hi] - start[lo]) as usize;
                let (a, rest_a) = std::mem::take(&mut at).split_at_mut(len);
                let (t, rest_t) = std::mem::take(&mut ty).split_at_mut(len);
                let (r, rest_r) = std::mem::take(&mut src).split_at_mut(len);
                (at, ty, src) = (rest_a, rest_t, rest_r);
                let scatter = &scatter;
                s.spawn(move || scatter(lo, hi, a, t, r));
            }
        });
    }
    // What the input still holds that the grouped events need: their properties.
    all.contact = Vec::new();
    all.type_id = Vec::new();
    all.at = Vec::new();
    sort_by_time(&start, &mut at, &mut type_id, &mut src, threads);
    let total = all.props.len();
    let range = |i: usize| {
        let to = all.prop_start.get(i + 1).map_or(total, |&x| x as usize);
        (all.prop_start[i] as usize, to)
    };
    // The grouped events' property offsets; `src` becomes where each event's properties
    // start in the input, so that the input's offsets are freed before the properties move.
    let mut prop_start = Vec::with_capacity(n);
    let mut at_prop = 0u32;
    for s in src.iter_mut() {
        let (from, to) = range(*s as usize);
        prop_start.push(at_prop);
        at_prop += (to - from) as u32;
        *s = from as u32;
    }
    all.prop_start = Vec::new();
    // Properties, moved in their new order.
    let mut props = Vec::with_capacity(total);
    for (j, &from) in src.iter().enumerate() {
        let end = prop_start.get(j + 1).copied().unwrap_or(at_prop);
        let (from, len) = (from as usize, (end - prop_start[j]) as usize);
        for v in all.props.get_mut(from..from + len).into_iter().flatten() {
            props.push(std::mem::take(v));
        }
    }
    drop(src);
    Events {
        contact_start: start,
        type_id,
        at,
        prop_start,
        props,
    }
}

/// Contact indices `0 = b0 < b1 < … = contacts` that split the events (offsets `start`) into
/// about `threads` even ranges.
fn contact_bounds(start: &[u32], threads: usize) -> Vec<usize> {
    let contacts = start.len() - 1;
    let n = start[contacts] as usize;
    let parts = threads.clamp(1, 16).min(contacts.max(1));
    let mut bounds = vec![0usize];
    for k in 1..parts {
        let target = (n * k / parts) as u32;
        let c = start.partition_point(|&s| s < target).min(contacts);
        if c > *bounds.last().unwrap_or(&0) {
            bounds.push(c);
        }
    }
    if *bounds.last().unwrap_or(&0) < contacts || bounds.len() == 1 {
        bounds.push(contacts);
    }
    bounds
}

/// Sorts each contact's events by time (stable), contacts split between threads.
fn sort_by_time(start: &[u32], at: &mut [i64], ty: &mut [u32], src: &mut [u32], threads: usize) {
    let contacts = start.len() - 1;
    // Contact boundaries that split the events evenly.
    let bounds = contact_bounds(start, threads);
    let work = |first: usize, last: usize, at: &mut [i64], ty: &mut [u32], src: &mut [u32]| {
        let base = start[first] as usize;
        let mut buf: Vec<(i64, u32, u32)> = Vec::new();
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
