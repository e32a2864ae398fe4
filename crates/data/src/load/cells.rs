//! A record as the converters read it: the cell that feeds each of a converter's fields, and
//! where each is, for problems. A decoder hands over a CSV row (its cells found through the
//! header's columns, matched to the schema once per file) or a structured record (JSON, YAML
//! or given as values: its cells found by name, per record).

use std::rc::Rc;
use std::sync::Arc;

use csv::ByteRecord;

use crate::cell::Cell;
use crate::problem::{DataProblem, RecordAt};
use crate::record::{Datum, Record};

use super::decode::Loc;
use super::sink::Sink;

/// Where a problem is: a line and column of a file (as much as is known), or a record (and
/// field) of records given as values.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct At {
    pub(crate) line: Option<u32>,
    pub(crate) column: Option<u32>,
    pub(crate) record: Option<Box<RecordAt>>,
}

impl At {
    /// A line and column of a file.
    #[inline]
    pub(crate) fn line(line: Option<u32>, column: Option<u32>) -> At {
        At {
            line,
            column,
            record: None,
        }
    }

    /// The problem `message` at this place of `file`.
    pub(crate) fn problem(self, file: &str, message: String, help: Option<String>) -> DataProblem {
        DataProblem {
            file: file.to_string(),
            line: self.line,
            column: self.column,
            column_name: None,
            record: self.record,
            message,
            help,
        }
    }
}

/// A record bound to a converter's fields, as the converter reads it: the cells of its
/// fields, numbered as the converter numbers them (for contacts, the fields of the schema, the id first; for events,
/// the properties of the event's type), and where each is.
pub(crate) trait Bound {
    /// The cell that feeds field `f`, if the record has one.
    fn cell(&self, f: usize) -> Option<Cell<'_>>;
    /// Where field `f` is written; where it would be, when the record lacks it.
    fn at(&self, f: usize) -> At;
}

/// A CSV row, with the column of each field (from the header).
pub(crate) struct CsvRow<'r> {
    pub(crate) rec: &'r ByteRecord,
    pub(crate) cols: &'r [Option<usize>],
    /// The line where the row starts.
    pub(crate) line: u32,
}

impl Bound for CsvRow<'_> {
    #[inline]
    fn cell(&self, f: usize) -> Option<Cell<'_>> {
        self.cols[f].map(|c| Cell::Text(&self.rec[c]))
    }

    #[inline]
    fn at(&self, f: usize) -> At {
        At::line(Some(self.line), self.cols[f].map(|c| c as u32 + 1))
    }
}

/// A structured record (JSON, YAML, or given as values), its fields found by name.
pub(crate) struct Named<'r> {
    fields: &'r Record,
    loc: Loc<'r>,
    /// For each of the converter's fields, the index of the record's field that feeds it.
    slots: Rc<[Option<usize>]>,
    /// The record's fields read apart (see [`Role::Apart`]).
    apart: Rc<[usize]>,
    /// The converter's field names (to name a field the record lacks).
    names: &'r [String],
}

/// What a record's field is to the converter that binds it.
pub(crate) enum Role {
    /// It feeds these of the converter's fields (the id and a field of the same name can
    /// both be fed by one column).
    Feeds(Option<usize>, Option<usize>),
    /// It is read apart (`events` of a contact; `type`, `at`, `contact_id` of an event).
    Apart,
    /// The schema does not have it.
    Unknown,
}

/// How the fields of a record were bound, kept to bind the next record whose fields have the
/// same names in the same order (every row of a table, JSON records written alike) without
/// looking each name up again.
#[derive(Debug, Default)]
pub(crate) struct Binding {
    names: Vec<Arc<str>>,
    slots: Rc<[Option<usize>]>,
    apart: Rc<[usize]>,
    unknown: Vec<usize>,
}

impl Binding {
    /// Whether `record`'s fields have the names this binding was made for.
    fn fits(&self, record: &Record) -> bool {
        self.names.len() == record.fields.len()
            && self
                .names
                .iter()
                .zip(&record.fields)
                .all(|(a, (b, _))| Arc::ptr_eq(a, b) || a == b)
    }
}

impl<'r> Named<'r> {
    /// Binds `fields` to the converter's fields named `names`: `role` says what each field
    /// is; a field written twice is an error, one the schema does not have is passed to
    /// `unknown` (which may warn, once per name). `kept` is the binding of the record before
    /// (used when the names are the same; replaced otherwise).
    pub(crate) fn bind(
        fields: &'r Record,
        loc: Loc<'r>,
        names: &'r [String],
        sink: &mut Sink,
        kept: &mut Option<Binding>,
        mut role: impl FnMut(&'r str) -> Role,
        mut unknown: impl FnMut(&mut Sink, &'r str, &'r Datum, &Loc<'r>),
    ) -> Named<'r> {
        if let Some(b) = kept.as_ref().filter(|b| b.fits(fields)) {
            for &i in &b.unknown {
                let (k, v) = &fields.fields[i];
                unknown(sink, k, v, &loc);
            }
            return Named {
                fields,
                loc,
                slots: Rc::clone(&b.slots),
                apart: Rc::clone(&b.apart),
                names,
            };
        }
        let mut slots = vec![None; names.len()];
        let mut apart = Vec::new();
        let mut unknowns = Vec::new();
        let mut twice = false;
        for (i, (k, v)) in fields.fields.iter().enumerate() {
            match role(k) {
                Role::Feeds(first, second) => {
                    for f in first.into_iter().chain(second) {
                        if slots[f].is_some() {
                            twice = true;
                            sink.add(loc.key(k), (format!("field `{k}` appears twice"), None));
                        }
                        slots[f] = Some(i);
                    }
                }
                Role::Apart => apart.push(i),
                Role::Unknown => {
                    unknowns.push(i);
                    unknown(sink, k, v, &loc)
                }
            }
        }
        let slots: Rc<[Option<usize>]> = slots.into();
        let apart: Rc<[usize]> = apart.into();
        // A record with a field written twice is reported each time: not kept.
        *kept = (!twice).then(|| Binding {
            names: fields.fields.iter().map(|(k, _)| Arc::clone(k)).collect(),
            slots: Rc::clone(&slots),
            apart: Rc::clone(&apart),
            unknown: unknowns,
        });
        Named {
            fields,
            loc,
            slots,
            apart,
            names,
        }
    }

    /// The values of the record's fields read apart, in the record's order.
    pub(crate) fn apart(&self) -> impl Iterator<Item = (&'r str, &'r Datum)> + '_ {
        let fields = self.fields;
        self.apart.iter().map(move |&i| {
            let (k, v) = &fields.fields[i];
            (&**k, v)
        })
    }
}

impl Bound for Named<'_> {
    #[inline]
    fn cell(&self, f: usize) -> Option<Cell<'_>> {
        self.slots[f].map(|i| Cell::Datum(&self.fields.fields[i].1))
    }

    fn at(&self, f: usize) -> At {
        match self.slots[f] {
            Some(i) => self.loc.key(&self.fields.fields[i].0),
            None => self.loc.missing(&self.names[f]),
        }
    }
}
