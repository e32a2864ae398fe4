//! A case's contacts as data: each contact (its fields, then its inline events) becomes a
//! record of values, loaded with the data crate exactly like real data, so that it is checked
//! against the schema the same way, with no text in between. A problem the loader finds names
//! the record, the inline event and the field; [`origin`] turns that back into the test
//! file's span.

use scoreline_data::{Datum, Record, RecordAt, RecordSet};
use scoreline_syntax::ast::Span;
use serde_yaml::Value as Yaml;

use super::file::{key_text, ContactSpec};

/// The contacts of a case as records given as values, named `name` (the test file) in
/// problems.
pub(crate) fn records(name: &str, contacts: &[ContactSpec]) -> RecordSet {
    RecordSet {
        name: name.to_string(),
        records: contacts.iter().map(record).collect(),
    }
}

fn record(c: &ContactSpec) -> Record {
    let mut fields: Vec<(std::sync::Arc<str>, Datum)> = c
        .fields
        .iter()
        .map(|(k, v, _)| (k.as_str().into(), datum(v)))
        .collect();
    if let Some((events, _, _)) = &c.events {
        fields.push(("events".into(), datum(events)));
    }
    Record { fields }
}

/// Where in the test file the loader's problem at `at` is: the inline event's item, the
/// field's key, or the contact when the field is not written (a required field missing).
pub(crate) fn origin(contacts: &[ContactSpec], at: &RecordAt) -> Option<Span> {
    let c = contacts.get(at.index)?;
    if let Some(n) = at.event {
        let (_, key, items) = c.events.as_ref()?;
        return Some(items.get(n).copied().unwrap_or(*key));
    }
    let Some(field) = at.field.as_deref() else {
        return Some(c.span);
    };
    if field == "events" {
        if let Some((_, key, _)) = &c.events {
            return Some(*key);
        }
    }
    Some(
        c.fields
            .iter()
            .find(|(k, _, _)| k == field)
            .map_or(c.span, |(_, _, s)| *s),
    )
}

/// A YAML value as a data value, as it is written: a text stays a text (read as the field's
/// type by the loader, like a CSV cell), a number stays a number.
fn datum(v: &Yaml) -> Datum {
    match v {
        Yaml::Null => Datum::Null,
        Yaml::Bool(b) => Datum::Bool(*b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Datum::Int(i)
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() => Datum::Number(f),
                    // `.inf` and `.nan` are not numbers a field can hold: passed as written,
                    // the loader says why.
                    _ => Datum::Text(n.to_string()),
                }
            }
        }
        Yaml::String(s) => Datum::Text(s.clone()),
        Yaml::Sequence(items) => Datum::List(items.iter().map(datum).collect()),
        Yaml::Mapping(m) => Datum::Record(Record {
            fields: m
                .iter()
                .map(|(k, v)| (key_text(k).into(), datum(v)))
                .collect(),
        }),
        Yaml::Tagged(t) => datum(&t.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: usize) -> Span {
        Span::new(n, n + 1)
    }

    fn contacts() -> Vec<ContactSpec> {
        vec![
            ContactSpec {
                id: "c1".into(),
                span: s(10),
                fields: vec![
                    ("id".into(), Yaml::String("c1".into()), s(11)),
                    ("note".into(), Yaml::String("say \"hi\"\n".into()), s(12)),
                    ("n".into(), serde_yaml::from_str("2.5").unwrap(), s(13)),
                    (
                        "big".into(),
                        serde_yaml::from_str("18446744073709551615").unwrap(),
                        s(17),
                    ),
                    ("inf".into(), serde_yaml::from_str(".inf").unwrap(), s(18)),
                ],
                events: Some((
                    serde_yaml::from_str("[{type: a, at: 2026-01-01}, {type: b, at: x}]").unwrap(),
                    s(14),
                    vec![s(15), s(16)],
                )),
            },
            ContactSpec {
                id: "c2".into(),
                span: s(20),
                fields: vec![("id".into(), Yaml::String("c2".into()), s(21))],
                events: None,
            },
        ]
    }

    #[test]
    fn contacts_become_records_of_values() {
        let set = records("t.test.yaml", &contacts());
        assert_eq!(set.name, "t.test.yaml");
        let ev = |ty: &str, at: &str| Datum::Record(Record::new().with("type", ty).with("at", at));
        let expected = vec![
            Record::new()
                .with("id", "c1")
                .with("note", "say \"hi\"\n")
                .with("n", 2.5)
                .with("big", 18446744073709551615.0)
                .with("inf", ".inf")
                .with(
                    "events",
                    Datum::List(vec![ev("a", "2026-01-01"), ev("b", "x")]),
                ),
            Record::new().with("id", "c2"),
        ];
        assert_eq!(set.records, expected);
    }

    #[test]
    fn problems_point_back_at_the_test_file() {
        let contacts = contacts();
        let at = |index: usize, event: Option<usize>, field: Option<&str>| RecordAt {
            index,
            key: None,
            event,
            field: field.map(str::to_string),
            row: false,
        };
        let origin = |a: RecordAt| origin(&contacts, &a);
        // A field's value: its key; a field not written: the contact.
        assert_eq!(origin(at(0, None, Some("n"))), Some(s(13)));
        assert_eq!(origin(at(0, None, Some("country"))), Some(s(10)));
        assert_eq!(origin(at(0, None, None)), Some(s(10)));
        assert_eq!(origin(at(1, None, Some("id"))), Some(s(21)));
        // An inline event: its item, whatever the field; `events` itself: its key.
        assert_eq!(origin(at(0, Some(1), Some("at"))), Some(s(16)));
        assert_eq!(origin(at(0, Some(0), None)), Some(s(15)));
        assert_eq!(origin(at(0, None, Some("events"))), Some(s(14)));
        // No such contact, or no such event list: the case's span is used instead.
        assert_eq!(origin(at(5, None, None)), None);
        assert_eq!(origin(at(1, Some(0), None)), None);
    }
}
