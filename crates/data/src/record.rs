//! Records as values: what a decoder makes of a JSON object or a YAML map, and what a program
//! (the rule tests, a database or Arrow reader) hands the loader directly, with no text in
//! between. Records are checked against the schema by the same converters as CSV rows.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A value of a record as its source gives it, before it is checked against the schema.
///
/// A text is read as the field's type the way a CSV cell is (`"12"` is a number for a number
/// field, `"2026-11-01"` a date); a number or a boolean is accepted where a text is expected.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// No value: JSON `null`, YAML `~`, SQL `NULL`.
    Null,
    Bool(bool),
    Int(i64),
    Number(f64),
    Text(String),
    /// An instant, in milliseconds since 1970-01-01T00:00:00Z (a database's date or
    /// timestamp).
    Date(i64),
    List(Vec<Datum>),
    /// A record inside a record (an inline event of a contact).
    Record(Record),
}

/// One record: its fields, names and values, in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// Each field's name and value, in order. Names are shared: the rows of one table (a
    /// database's, Arrow's) hold the same names, counted once.
    pub fields: Vec<(std::sync::Arc<str>, Datum)>,
}

/// Records given as values: the contacts or the events of one source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordSet {
    /// The name shown in problems: the table, or the file the records come from.
    pub name: String,
    pub records: Vec<Record>,
}

impl Record {
    /// A record without fields.
    pub fn new() -> Record {
        Record::default()
    }

    /// This record with one more field.
    pub fn with(mut self, name: impl Into<std::sync::Arc<str>>, value: impl Into<Datum>) -> Record {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// The value of field `name` (the first, if it is written twice).
    pub fn get(&self, name: &str) -> Option<&Datum> {
        self.fields
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v)
    }

    /// The record as compact JSON (for skipped-row reports).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        push_record(&mut out, self);
        out
    }
}

impl Datum {
    /// What the value is, in a message: "a number", "a list"…
    pub fn kind(&self) -> &'static str {
        match self {
            Datum::Null => "null",
            Datum::Bool(_) => "true or false",
            Datum::Int(_) | Datum::Number(_) => "a number",
            Datum::Text(_) => "a text",
            Datum::Date(_) => "a date",
            Datum::List(_) => "a list",
            Datum::Record(_) => "an object",
        }
    }

    /// The value as compact JSON (for skipped-row reports).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        push_json(&mut out, self);
        out
    }
}

fn push_json(out: &mut String, d: &Datum) {
    match d {
        Datum::Null => out.push_str("null"),
        Datum::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Datum::Int(i) => out.push_str(&i.to_string()),
        Datum::Number(n) => out.push_str(&n.to_string()),
        Datum::Text(s) => crate::write::push_json_string(out, s),
        Datum::Date(ms) => crate::write::push_json_string(out, &crate::cell::format_date(*ms)),
        Datum::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(out, item);
            }
            out.push(']');
        }
        Datum::Record(r) => push_record(out, r),
    }
}

fn push_record(out: &mut String, r: &Record) {
    out.push('{');
    for (i, (k, v)) in r.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::write::push_json_string(out, k);
        out.push(':');
        push_json(out, v);
    }
    out.push('}');
}

impl From<&str> for Datum {
    fn from(s: &str) -> Datum {
        Datum::Text(s.to_string())
    }
}

impl From<String> for Datum {
    fn from(s: String) -> Datum {
        Datum::Text(s)
    }
}

impl From<i64> for Datum {
    fn from(i: i64) -> Datum {
        Datum::Int(i)
    }
}

impl From<f64> for Datum {
    fn from(n: f64) -> Datum {
        Datum::Number(n)
    }
}

impl From<bool> for Datum {
    fn from(b: bool) -> Datum {
        Datum::Bool(b)
    }
}

impl From<Record> for Datum {
    fn from(r: Record) -> Datum {
        Datum::Record(r)
    }
}

impl<T: Into<Datum>> From<Vec<T>> for Datum {
    fn from(items: Vec<T>) -> Datum {
        Datum::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Datum>> From<Option<T>> for Datum {
    fn from(v: Option<T>) -> Datum {
        v.map_or(Datum::Null, Into::into)
    }
}

// JSON and YAML text is decoded into `Datum`s with serde: objects keep their keys in the
// order written (positions of problems are found by key).

impl<'de> Deserialize<'de> for Datum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DatumVisitor)
    }
}

struct DatumVisitor;

impl<'de> Visitor<'de> for DatumVisitor {
    type Value = Datum;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Datum, E> {
        Ok(Datum::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Datum, E> {
        Ok(Datum::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Datum, E> {
        Ok(i64::try_from(v).map_or(Datum::Number(v as f64), Datum::Int))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Datum, E> {
        Ok(i64::try_from(v).map_or(Datum::Number(v as f64), Datum::Int))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Datum, E> {
        Ok(i64::try_from(v).map_or(Datum::Number(v as f64), Datum::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Datum, E> {
        Ok(Datum::Number(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Datum, E> {
        Ok(Datum::Text(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Datum, E> {
        Ok(Datum::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Datum, E> {
        Ok(Datum::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Datum, E> {
        Ok(Datum::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Datum, D::Error> {
        Datum::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Datum, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element::<Datum>()? {
            items.push(item);
        }
        Ok(Datum::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Datum, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(k)) = map.next_key::<Key>()? {
            let v = map.next_value::<Datum>()?;
            fields.push((shared_name(&k), v));
        }
        Ok(Datum::Record(Record { fields }))
    }
}

/// An object key: a text, or a scalar written as a key in YAML (`12: x`).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Datum::deserialize(d)? {
            Datum::Text(s) => Ok(Key(s)),
            Datum::Null => Ok(Key(String::new())),
            Datum::Int(i) => Ok(Key(i.to_string())),
            Datum::Number(n) => Ok(Key(n.to_string())),
            Datum::Bool(b) => Ok(Key(b.to_string())),
            Datum::Date(_) | Datum::List(_) | Datum::Record(_) => {
                Err(de::Error::custom("a key must be a plain text"))
            }
        }
    }
}

thread_local! {
    /// The field names decoded lately on this thread: the records of one file repeat them.
    static NAMES: std::cell::RefCell<Vec<std::sync::Arc<str>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A decoded field name, shared with the records decoded before it on this thread.
fn shared_name(name: &str) -> std::sync::Arc<str> {
    const KEPT: usize = 256;
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(n) = names.iter().find(|n| &***n == name) {
            return std::sync::Arc::clone(n);
        }
        let n: std::sync::Arc<str> = std::sync::Arc::from(name);
        if names.len() < KEPT {
            names.push(std::sync::Arc::clone(&n));
        }
        n
    })
}
