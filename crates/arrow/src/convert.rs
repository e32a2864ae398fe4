//! Arrow columns as the loader's records: one [`Record`] per row, one [`Datum`] per cell.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float16Type, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use scoreline_data::{Datum, Record};

use crate::Error;

/// Every row of `batches` as a record, fields in column order (null cells are `Null`).
pub fn records(batches: &[RecordBatch], source: &str, key: &str) -> Result<Vec<Record>, Error> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut out = Vec::with_capacity(rows);
    for batch in batches {
        let schema = batch.schema();
        let names: Vec<std::sync::Arc<str>> = schema
            .fields()
            .iter()
            .map(|f| f.name().as_str().into())
            .collect();
        let columns: Vec<Column> = batch
            .columns()
            .iter()
            .zip(&names)
            .map(|(array, name)| Column::new(array, name, source))
            .collect::<Result<_, _>>()?;
        let key_index = names.iter().position(|n| &**n == key);
        for row in 0..batch.num_rows() {
            let mut record = Record {
                fields: Vec::with_capacity(columns.len()),
            };
            for (column, name) in columns.iter().zip(&names) {
                let datum = column.datum(row).map_err(|kind| {
                    let id = key_index
                        .and_then(|k| columns[k].datum(row).ok())
                        .map(|d| match d {
                            Datum::Text(t) => format!(" (`{t}`)"),
                            Datum::Int(i) => format!(" (`{i}`)"),
                            _ => String::new(),
                        })
                        .unwrap_or_default();
                    Error::Data(vec![format!(
                        "{source}, record {}{id}, column `{name}`: {kind}",
                        out.len() + 1
                    )])
                })?;
                record.fields.push((std::sync::Arc::clone(name), datum));
            }
            out.push(record);
        }
    }
    Ok(out)
}

/// A column and how its cells become data.
struct Column<'a> {
    array: &'a ArrayRef,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    LargeText,
    ViewText,
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
    Decimal(i8),
    /// Days since 1970-01-01.
    Date32,
    Date64,
    Timestamp(TimeUnit),
    /// A list of texts.
    List,
    LargeList,
    /// Dictionary-encoded text (pandas and Polars categoricals), keys of this integer type.
    Dictionary,
    Null,
}

impl<'a> Column<'a> {
    fn new(array: &'a ArrayRef, name: &str, source: &str) -> Result<Column<'a>, Error> {
        let kind = match array.data_type() {
            DataType::Utf8 => Kind::Text,
            DataType::LargeUtf8 => Kind::LargeText,
            DataType::Utf8View => Kind::ViewText,
            DataType::Boolean => Kind::Bool,
            DataType::Int8 => Kind::I8,
            DataType::Int16 => Kind::I16,
            DataType::Int32 => Kind::I32,
            DataType::Int64 => Kind::I64,
            DataType::UInt8 => Kind::U8,
            DataType::UInt16 => Kind::U16,
            DataType::UInt32 => Kind::U32,
            DataType::UInt64 => Kind::U64,
            DataType::Float16 => Kind::F16,
            DataType::Float32 => Kind::F32,
            DataType::Float64 => Kind::F64,
            DataType::Decimal128(_, scale) => Kind::Decimal(*scale),
            DataType::Date32 => Kind::Date32,
            DataType::Date64 => Kind::Date64,
            DataType::Timestamp(unit, _) => Kind::Timestamp(*unit),
            DataType::Null => Kind::Null,
            DataType::List(item) if is_text(item.data_type()) => Kind::List,
            DataType::LargeList(item) if is_text(item.data_type()) => Kind::LargeList,
            DataType::Dictionary(key, value) if key.is_integer() && is_text(value) => {
                Kind::Dictionary
            }
            other => {
                return Err(Error::Data(vec![format!(
                    "{source}, column `{name}`: its Arrow type {other} cannot be read\n  help: cast it to text, a number, a boolean, a date, a timestamp or a list of texts"
                )]))
            }
        };
        Ok(Column { array, kind })
    }

    /// The cell of `row`; `Err` says why it cannot be read.
    fn datum(&self, row: usize) -> Result<Datum, String> {
        let a = self.array;
        if a.is_null(row) {
            return Ok(Datum::Null);
        }
        Ok(match self.kind {
            Kind::Text => Datum::Text(a.as_string::<i32>().value(row).to_string()),
            Kind::LargeText => Datum::Text(a.as_string::<i64>().value(row).to_string()),
            Kind::ViewText => Datum::Text(a.as_string_view().value(row).to_string()),
            Kind::Bool => Datum::Bool(a.as_boolean().value(row)),
            Kind::I8 => Datum::Int(a.as_primitive::<Int8Type>().value(row).into()),
            Kind::I16 => Datum::Int(a.as_primitive::<Int16Type>().value(row).into()),
            Kind::I32 => Datum::Int(a.as_primitive::<Int32Type>().value(row).into()),
            Kind::I64 => Datum::Int(a.as_primitive::<Int64Type>().value(row)),
            Kind::U8 => Datum::Int(a.as_primitive::<UInt8Type>().value(row).into()),
            Kind::U16 => Datum::Int(a.as_primitive::<UInt16Type>().value(row).into()),
            Kind::U32 => Datum::Int(a.as_primitive::<UInt32Type>().value(row).into()),
            Kind::U64 => {
                let v = a.as_primitive::<UInt64Type>().value(row);
                match i64::try_from(v) {
                    Ok(v) => Datum::Int(v),
                    Err(_) => Datum::Number(v as f64),
                }
            }
            Kind::F16 => Datum::Number(a.as_primitive::<Float16Type>().value(row).to_f64()),
            Kind::F32 => Datum::Number(a.as_primitive::<Float32Type>().value(row).into()),
            Kind::F64 => number(a.as_primitive::<Float64Type>().value(row))?,
            Kind::Decimal(scale) => {
                let v = a.as_primitive::<Decimal128Type>().value(row) as f64;
                number(v / 10f64.powi(scale.into()))?
            }
            Kind::Date32 => {
                Datum::Date(i64::from(a.as_primitive::<Date32Type>().value(row)) * 86_400_000)
            }
            Kind::Date64 => Datum::Date(a.as_primitive::<Date64Type>().value(row)),
            Kind::Timestamp(unit) => Datum::Date(match unit {
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
            }),
            Kind::List => list(&a.as_list::<i32>().value(row))?,
            Kind::LargeList => list(&a.as_list::<i64>().value(row))?,
            Kind::Dictionary => {
                let dict = a.as_any_dictionary();
                let key = dict.normalized_keys()[row];
                text_at(dict.values(), key)?
            }
            Kind::Null => Datum::Null,
        })
    }
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn number(v: f64) -> Result<Datum, String> {
    if v.is_finite() {
        Ok(Datum::Number(v))
    } else if v.is_nan() {
        // pandas writes a missing number as NaN.
        Ok(Datum::Null)
    } else {
        Err(format!("`{v}` is not a number Scoreline can score"))
    }
}

fn text_at(values: &ArrayRef, i: usize) -> Result<Datum, String> {
    if values.is_null(i) {
        return Ok(Datum::Null);
    }
    Ok(Datum::Text(match values.data_type() {
        DataType::Utf8 => values.as_string::<i32>().value(i).to_string(),
        DataType::LargeUtf8 => values.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => values.as_string_view().value(i).to_string(),
        other => return Err(format!("a list of {other}, not of texts")),
    }))
}

fn list(items: &ArrayRef) -> Result<Datum, String> {
    (0..items.len())
        .map(|i| text_at(items, i))
        .collect::<Result<Vec<_>, _>>()
        .map(Datum::List)
}
