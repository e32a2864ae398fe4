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
use scoreline_model::{Contact, Dataset, EventsBuilder, FieldType, Schema, Value};

/// The partition as a data set, or `None` to read it through the loader instead.
pub fn dataset(
    schema: &Schema,
    contacts: &[RecordBatch],
    events: &[RecordBatch],
    id_column: &str,
) -> Option<Dataset> {
    let rows: usize = contacts.iter().map(RecordBatch::num_rows).sum();
    let mut out: Vec<Contact> = (0..rows)
        .map(|_| Contact {
            fields: Vec::with_capacity(schema.contact.len()),
        })
        .collect();
    for (f, field) in schema.contact.iter().enumerate() {
        let name = if f == 0 {
            id_column
        } else {
            field.name.as_str()
        };
        let mut row = 0;
        for batch in contacts {
            let column = batch.column_by_name(name);
            if column.is_none() && !field.optional {
                return None;
            }
            for r in 0..batch.num_rows() {
                let value = match column {
                    Some(c) => cell(c, r, field.ty)?,
                    None => Value::Missing,
                };
                if value.is_missing() && !field.optional {
                    return None;
                }
                out[row].fields.push(value);
                row += 1;
            }
        }
    }
    // The ids: texts, each once.
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(rows);
    for (i, c) in out.iter().enumerate() {
        match c.fields.first() {
            Some(Value::Text(id)) => {
                if index.insert(id, i).is_some() {
                    return None;
                }
            }
            _ => return None,
        }
    }
    let types: HashMap<&str, usize> = schema
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect();
    let mut builder = EventsBuilder::new(rows);
    for batch in events {
        let contact = batch.column_by_name("contact_id")?;
        let kind = batch.column_by_name("type")?;
        let at = batch.column_by_name("at")?;
        // Each event type's properties, as columns of this batch.
        let props: Vec<Vec<Option<&ArrayRef>>> = schema
            .events
            .iter()
            .map(|e| {
                e.fields
                    .iter()
                    .map(|p| batch.column_by_name(&p.name))
                    .collect()
            })
            .collect();
        for r in 0..batch.num_rows() {
            let Value::Text(id) = cell(contact, r, FieldType::Text)? else {
                return None;
            };
            let &c = index.get(&*id)?;
            let Value::Text(t) = cell(kind, r, FieldType::Text)? else {
                return None;
            };
            let &type_id = types.get(&*t)?;
            let Value::Date(at) = cell(at, r, FieldType::Date)? else {
                return None;
            };
            let spec = &schema.events[type_id];
            let mut values = Vec::with_capacity(spec.fields.len());
            for (p, column) in spec.fields.iter().zip(&props[type_id]) {
                let value = match column {
                    Some(column) => cell(column, r, p.ty)?,
                    None => Value::Missing,
                };
                if value.is_missing() && !p.optional {
                    return None;
                }
                values.push(value);
            }
            builder.push(c, type_id, at, values);
        }
    }
    let events = builder.build().ok()?;
    let data = Dataset {
        schema: schema.clone(),
        contacts: out,
        events,
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
