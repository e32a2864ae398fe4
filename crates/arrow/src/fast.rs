//! The columnar path: Arrow columns straight into the model, for a rule file with a schema
//! block. It reads each cell as the loader would ([`scoreline_data::text_cell`] for texts;
//! typed cells of the field's own type as they are) and gives up, returning `None`, at the
//! first cell or column it is not sure of (a value that does not parse, a required value that
//! is missing, an unknown contact or event type, a duplicate id, a type it does not convert):
//! the caller then reads the partition through the loader's records, which gives the exact
//! error (or the value the loader makes of an unusual cell). A test compares both paths.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use rayon::prelude::*;
use scoreline_model::{Contact, Dataset, FieldType, Schema, Value};

/// A column, its text array found once rather than at every cell.
enum Col<'a> {
    Text(&'a arrow_array::StringArray),
    LargeText(&'a arrow_array::LargeStringArray),
    ViewText(&'a arrow_array::StringViewArray),
    Typed(&'a ArrayRef),
}

impl<'a> Col<'a> {
    fn new(a: &'a ArrayRef) -> Col<'a> {
        match a.data_type() {
            DataType::Utf8 => Col::Text(a.as_string::<i32>()),
            DataType::LargeUtf8 => Col::LargeText(a.as_string::<i64>()),
            DataType::Utf8View => Col::ViewText(a.as_string_view()),
            _ => Col::Typed(a),
        }
    }

    /// The cell of `row` as a value of type `ty`; `None` when unsure.
    #[inline]
    fn value(&self, row: usize, ty: FieldType) -> Option<Value> {
        match self {
            Col::Text(a) => text(a.is_null(row), || a.value(row), ty),
            Col::LargeText(a) => text(a.is_null(row), || a.value(row), ty),
            Col::ViewText(a) => text(a.is_null(row), || a.value(row), ty),
            Col::Typed(a) => cell(a, row, ty),
        }
    }

    /// The cell of `row` as an id or a type name: a text, trimmed as the loader trims it.
    #[inline]
    fn key(&self, row: usize) -> Option<&'a str> {
        let t = match self {
            Col::Text(a) => (!a.is_null(row)).then(|| a.value(row))?,
            Col::LargeText(a) => (!a.is_null(row)).then(|| a.value(row))?,
            Col::ViewText(a) => (!a.is_null(row)).then(|| a.value(row))?,
            Col::Typed(_) => return None,
        };
        let t = t.trim_ascii();
        (!t.is_empty()).then_some(t)
    }
}

#[inline]
fn text<'s>(null: bool, value: impl FnOnce() -> &'s str, ty: FieldType) -> Option<Value> {
    if null {
        Some(Value::Missing)
    } else {
        scoreline_data::text_cell(value(), ty)
    }
}

/// A fast hash for the ids (the standard one resists collisions an attacker chooses, which
/// ids read from one's own data need not): FNV-1a.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<'a> = HashMap<&'a str, u32, std::hash::BuildHasherDefault<Fnv>>;

/// Rows per job when converting in parallel (the result does not depend on it).
const JOB_ROWS: usize = 32 * 1024;

/// The batches' rows cut into jobs of at most [`JOB_ROWS`]: (batch, first row, end), in order.
fn jobs(batches: &[RecordBatch]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        let mut start = 0;
        while start < batch.num_rows() {
            let end = (start + JOB_ROWS).min(batch.num_rows());
            out.push((b, start, end));
            start = end;
        }
    }
    out
}

/// One events job read: each event's contact, time and type, and its properties (in input
/// order, `props[starts[i]..starts[i + 1]]` for the job's `i`th event).
struct EventsRead {
    found: Vec<(u32, i64, u32)>,
    starts: Vec<u32>,
    props: Vec<Value>,
}

/// The partition as a data set, or `None` to read it through the loader instead. Reads the
/// rows in jobs on the current rayon pool (every core, or the pool the caller installed):
/// the result is the same whatever the number of threads.
pub fn dataset(
    schema: &Schema,
    contacts: &[RecordBatch],
    events: &[RecordBatch],
    id_column: &str,
) -> Option<Dataset> {
    // The contacts, each job its rows with every field.
    let columns: Vec<Vec<Option<Col>>> = contacts
        .iter()
        .map(|batch| {
            schema
                .contact
                .iter()
                .enumerate()
                .map(|(f, field)| {
                    let name = if f == 0 {
                        id_column
                    } else {
                        field.name.as_str()
                    };
                    batch.column_by_name(name).map(Col::new)
                })
                .collect()
        })
        .collect();
    let contact_jobs = jobs(contacts);
    let parts: Vec<Option<Vec<Contact>>> = contact_jobs
        .par_iter()
        .map(|&(b, start, end)| {
            let cols = &columns[b];
            (start..end)
                .map(|r| {
                    let mut fields = Vec::with_capacity(schema.contact.len());
                    for (field, column) in schema.contact.iter().zip(cols) {
                        let value = match column {
                            Some(c) => c.value(r, field.ty)?,
                            None if field.optional => Value::Missing,
                            None => return None,
                        };
                        if value.is_missing() && !field.optional {
                            return None;
                        }
                        fields.push(value);
                    }
                    Some(Contact { fields })
                })
                .collect()
        })
        .collect();
    let mut out: Vec<Contact> = Vec::with_capacity(contact_jobs.iter().map(|j| j.2 - j.1).sum());
    for part in parts {
        out.extend(part?);
    }
    let rows = out.len();
    // The ids: texts, each once.
    let mut index: FastMap = HashMap::with_capacity_and_hasher(rows, Default::default());
    for (i, c) in out.iter().enumerate() {
        match c.fields.first() {
            Some(Value::Text(id)) => {
                if index.insert(id, i as u32).is_some() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    let types: FastMap = schema
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i as u32))
        .collect();
    // Each batch's key columns and, per event type, its property columns.
    type EventCols<'a> = (Col<'a>, Col<'a>, Col<'a>, Vec<Vec<Option<Col<'a>>>>);
    let mut event_columns: Vec<EventCols> = Vec::with_capacity(events.len());
    for batch in events {
        event_columns.push((
            Col::new(batch.column_by_name("contact_id")?),
            Col::new(batch.column_by_name("type")?),
            Col::new(batch.column_by_name("at")?),
            schema
                .events
                .iter()
                .map(|e| {
                    e.fields
                        .iter()
                        .map(|p| batch.column_by_name(&p.name).map(Col::new))
                        .collect()
                })
                .collect(),
        ));
    }
    let read: Vec<Option<EventsRead>> = jobs(events)
        .par_iter()
        .map(|&(b, start, end)| {
            let (contact, kind, at, props) = &event_columns[b];
            let mut job = EventsRead {
                found: Vec::with_capacity(end - start),
                starts: Vec::with_capacity(end - start + 1),
                props: Vec::new(),
            };
            for r in start..end {
                let &c = index.get(contact.key(r)?)?;
                let &t = types.get(kind.key(r)?)?;
                let Value::Date(when) = at.value(r, FieldType::Date)? else {
                    return None;
                };
                job.found.push((c, when, t));
                job.starts.push(job.props.len() as u32);
                for (p, column) in schema.events[t as usize]
                    .fields
                    .iter()
                    .zip(&props[t as usize])
                {
                    let value = match column {
                        Some(column) => column.value(r, p.ty)?,
                        None => Value::Missing,
                    };
                    if value.is_missing() && !p.optional {
                        return None;
                    }
                    job.props.push(value);
                }
            }
            job.starts.push(job.props.len() as u32);
            Some(job)
        })
        .collect();
    let read: Vec<EventsRead> = read.into_iter().collect::<Option<_>>()?;
    // Every event by its place in input order: (job, index in the job).
    let total: usize = read.iter().map(|j| j.found.len()).sum();
    let mut place: Vec<(u32, u32)> = Vec::with_capacity(total);
    for (j, job) in read.iter().enumerate() {
        place.extend((0..job.found.len() as u32).map(|i| (j as u32, i)));
    }
    let found = |e: u32| {
        let (j, i) = place[e as usize];
        read[j as usize].found[i as usize]
    };
    // Grouped by contact (a counting sort, stable), then by time within each contact
    // (stable: events at the same instant keep their input order), as the loader does.
    let mut contact_start = vec![0u32; rows + 1];
    for job in &read {
        for e in &job.found {
            contact_start[e.0 as usize + 1] += 1;
        }
    }
    for c in 0..rows {
        contact_start[c + 1] += contact_start[c];
    }
    let mut next: Vec<u32> = contact_start[..rows].to_vec();
    let mut order = vec![0u32; total];
    for e in 0..total as u32 {
        let slot = &mut next[found(e).0 as usize];
        order[*slot as usize] = e;
        *slot += 1;
    }
    // Each contact's events sorted by time, contacts in parallel groups.
    {
        let mut groups: Vec<(&[u32], &mut [u32])> = Vec::new();
        let mut rest: &mut [u32] = &mut order;
        let per = JOB_ROWS / 4;
        for first in (0..rows).step_by(per) {
            // Contacts `first..last`: their bounds, and their events' slice of `order`.
            let bounds = &contact_start[first..=(first + per).min(rows)];
            let len = (bounds[bounds.len() - 1] - bounds[0]) as usize;
            let (group, tail) = std::mem::take(&mut rest).split_at_mut(len);
            groups.push((bounds, group));
            rest = tail;
        }
        groups.par_iter_mut().for_each(|(bounds, group)| {
            let base = bounds[0] as usize;
            for w in bounds.windows(2) {
                group[w[0] as usize - base..w[1] as usize - base].sort_by_key(|&e| found(e).1);
            }
        });
    }
    let mut read = read;
    let mut built = scoreline_model::Events {
        contact_start,
        type_id: Vec::with_capacity(total),
        at: Vec::with_capacity(total),
        prop_start: Vec::with_capacity(total),
        props: Vec::with_capacity(read.iter().map(|j| j.props.len()).sum()),
    };
    for &e in &order {
        let (j, i) = place[e as usize];
        let job = &mut read[j as usize];
        let (_, when, t) = job.found[i as usize];
        built.type_id.push(t);
        built.at.push(when);
        built.prop_start.push(built.props.len() as u32);
        let range = job.starts[i as usize] as usize..job.starts[i as usize + 1] as usize;
        built
            .props
            .extend(job.props[range].iter_mut().map(std::mem::take));
    }
    let data = Dataset {
        accounts: Default::default(),
        schema: schema.clone(),
        contacts: out,
        events: built,
    };
    data.validate().ok()?;
    Some(data)
}

/// One cell as a value of type `ty`, as the loader reads it; `None` when unsure.
fn cell(a: &ArrayRef, row: usize, ty: FieldType) -> Option<Value> {
    if a.is_null(row) {
        return Some(Value::Missing);
    }
    let number = |v: f64| {
        if v.is_nan() {
            Some(Value::Missing)
        } else if v.is_finite() {
            Some(Value::Number(v))
        } else {
            None
        }
    };
    match (a.data_type(), ty) {
        (DataType::Utf8, _) => scoreline_data::text_cell(a.as_string::<i32>().value(row), ty),
        (DataType::LargeUtf8, _) => scoreline_data::text_cell(a.as_string::<i64>().value(row), ty),
        (DataType::Utf8View, _) => scoreline_data::text_cell(a.as_string_view().value(row), ty),
        (DataType::Boolean, FieldType::Bool) => Some(Value::Bool(a.as_boolean().value(row))),
        (DataType::Float64, FieldType::Number) => {
            number(a.as_primitive::<Float64Type>().value(row))
        }
        (DataType::Float32, FieldType::Number) => {
            number(a.as_primitive::<Float32Type>().value(row).into())
        }
        (DataType::Int64, FieldType::Number) => Some(Value::Number(
            a.as_primitive::<Int64Type>().value(row) as f64,
        )),
        (DataType::Int32, FieldType::Number) => Some(Value::Number(
            a.as_primitive::<Int32Type>().value(row).into(),
        )),
        (DataType::Int16, FieldType::Number) => Some(Value::Number(
            a.as_primitive::<Int16Type>().value(row).into(),
        )),
        (DataType::Int8, FieldType::Number) => Some(Value::Number(
            a.as_primitive::<Int8Type>().value(row).into(),
        )),
        (DataType::UInt64, FieldType::Number) => Some(Value::Number(
            a.as_primitive::<UInt64Type>().value(row) as f64,
        )),
        (DataType::UInt32, FieldType::Number) => Some(Value::Number(
            a.as_primitive::<UInt32Type>().value(row).into(),
        )),
        (DataType::UInt16, FieldType::Number) => Some(Value::Number(
            a.as_primitive::<UInt16Type>().value(row).into(),
        )),
        (DataType::UInt8, FieldType::Number) => Some(Value::Number(
            a.as_primitive::<UInt8Type>().value(row).into(),
        )),
        (DataType::Date32, FieldType::Date) => Some(Value::Date(
            i64::from(a.as_primitive::<Date32Type>().value(row)) * 86_400_000,
        )),
        (DataType::Date64, FieldType::Date) => {
            Some(Value::Date(a.as_primitive::<Date64Type>().value(row)))
        }
        (DataType::Timestamp(unit, _), FieldType::Date) => Some(Value::Date(match unit {
            TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row) * 1000,
            TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
            TimeUnit::Microsecond => a
                .as_primitive::<TimestampMicrosecondType>()
                .value(row)
                .div_euclid(1000),
            TimeUnit::Nanosecond => a
                .as_primitive::<TimestampNanosecondType>()
                .value(row)
                .div_euclid(1_000_000),
        })),
        (DataType::List(_), FieldType::List) => list(&a.as_list::<i32>().value(row)),
        (DataType::LargeList(_), FieldType::List) => list(&a.as_list::<i64>().value(row)),
        _ => None,
    }
}

/// A list of texts as the loader makes it of a structured list: null items left out, each
/// item as written.
fn list(items: &ArrayRef) -> Option<Value> {
    let mut out: Vec<Arc<str>> = Vec::with_capacity(items.len());
    for i in 0..items.len() {
        if items.is_null(i) {
            continue;
        }
        let text = match items.data_type() {
            DataType::Utf8 => items.as_string::<i32>().value(i),
            DataType::LargeUtf8 => items.as_string::<i64>().value(i),
            DataType::Utf8View => items.as_string_view().value(i),
            _ => return None,
        };
        out.push(Arc::from(text));
    }
    Some(Value::List(Arc::from(out)))
}
