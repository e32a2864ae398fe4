//! Accounts (LANGUAGE.md §13): the records of an accounts file (read by the contact converter
//! with account words), their ids checked for duplicates in file order, and the resolution
//! of each contact's link to its account, or the accounts implied by the links when there is
//! no accounts file.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use crate::cell::shorten;
use crate::fxhash::FxHashMap;
use crate::model::{Contact, Value};
use crate::problem::{DataProblem, RecordAt, SkippedRow};

use super::cells::At;
use super::contacts::{self, ContactOut};
use super::decode::File;

/// The accounts of a load, as they are read: rows in file order (first-seen link order
/// without a file), found by id.
pub(crate) struct AccountBook {
    pub(crate) rows: Vec<Contact>,
    index: FxHashMap<Arc<str>, u32>,
    /// Ids of accounts set aside with skip-bad-rows, with why.
    skipped: FxHashMap<Arc<str>, String>,
    /// The accounts file's name; `None`: the accounts are implied by the links.
    file: Option<String>,
    /// The number of account fields (for implied accounts, all missing but the id).
    width: usize,
    /// Ids by their lowercase form, for the help of an unknown link (built when first needed).
    folded: Option<FxHashMap<String, Arc<str>>>,
}

/// What a contact's link gives.
pub(crate) enum Link {
    /// No link: the contact belongs to no account.
    None,
    Account(u32),
    /// The account was set aside (skip-bad-rows), for this reason.
    Skipped(String),
    /// No account has this id: the message and help.
    Unknown(String, Option<String>),
}

impl AccountBook {
    /// The accounts implied by the links (no accounts file), each with `width` fields.
    pub(crate) fn implied(width: usize) -> Self {
        AccountBook {
            rows: Vec::new(),
            index: FxHashMap::default(),
            skipped: FxHashMap::default(),
            file: None,
            width,
            folded: None,
        }
    }

    /// The accounts of an accounts file, from its chunks in file order: duplicates are
    /// reported at their second line (or set aside with `skip`), the problems, rows set
    /// aside and warnings go to the load's lists. Returns the book and the number of records.
    pub(crate) fn read(
        file: &File,
        outs: Vec<ContactOut>,
        width: usize,
        skip: bool,
        (problems, skipped, warnings): (
            &mut Vec<DataProblem>,
            &mut Vec<SkippedRow>,
            &mut Vec<DataProblem>,
        ),
    ) -> (AccountBook, usize) {
        let mut book = AccountBook {
            file: Some(file.name.to_string()),
            ..AccountBook::implied(width)
        };
        let given = file.given();
        let mut first_line: Vec<u32> = Vec::new();
        let mut records = 0;
        let mut base = file.first_base();
        for mut out in outs {
            records += out.records;
            let shift = if file.relative_lines() { base } else { 0 };
            base += out.newlines;
            out.sink.shift(shift);
            out.sink.name_columns(file.csv_header());
            for (k, account) in out.contacts.into_iter().enumerate() {
                let (line, column) = out.id_pos[k];
                let line = if line > 0 { line + shift } else { 0 };
                let Some(Value::Text(id)) = account.fields.first() else {
                    continue;
                };
                match book.index.entry(id.clone()) {
                    Entry::Occupied(e) => {
                        let first = first_line[*e.get() as usize];
                        let help = match first {
                            0 => "each account needs its own id".into(),
                            n if given => format!(
                                "the id is first used by record {n}; each account needs its own id"
                            ),
                            n => format!(
                                "the id is first used at line {n}; each account needs its own id"
                            ),
                        };
                        let message = format!("duplicate account id `{}`", shorten(id));
                        if skip {
                            skipped.push(SkippedRow {
                                file: file.name.to_string(),
                                line,
                                record: None,
                                reason: message,
                                raw: contacts::raw_text(file, &out.raws[k]),
                            });
                        } else {
                            let at = if given {
                                At {
                                    record: Some(Box::new(RecordAt {
                                        index: line as usize - 1,
                                        key: Some(id.to_string()),
                                        event: None,
                                        field: Some("id".into()),
                                        row: file.rows(),
                                    })),
                                    ..At::default()
                                }
                            } else {
                                At::line((line > 0).then_some(line), (column > 0).then_some(column))
                            };
                            let mut problem = at.problem(file.name, message, Some(help));
                            if let (Some(header), Some(c)) = (file.csv_header(), problem.column) {
                                problem.column_name = header.get(c as usize - 1).cloned();
                            }
                            problems.push(problem);
                        }
                    }
                    Entry::Vacant(v) => {
                        v.insert(book.rows.len() as u32);
                        book.rows.push(account);
                        first_line.push(line);
                    }
                }
            }
            for (id, reason) in out.skipped_ids {
                book.skipped.entry(id).or_insert(reason);
            }
            problems.append(&mut out.sink.problems);
            skipped.append(&mut out.sink.skipped);
            warnings.append(&mut out.sink.warnings);
        }
        // An id set aside once and kept at another line is an account.
        let index = &book.index;
        book.skipped.retain(|id, _| !index.contains_key(id));
        (book, records)
    }

    /// The account a contact's link value names (for implied accounts, added when new).
    pub(crate) fn link(&mut self, value: &Value) -> Link {
        let key: Arc<str> = match value {
            Value::Missing => return Link::None,
            Value::Text(t) => t.clone(),
            Value::Number(n) => Arc::from(crate::write::format_number(*n)),
            Value::Bool(b) => Arc::from(b.to_string()),
            Value::Date(ms) => Arc::from(crate::cell::format_date(*ms)),
            Value::List(_) => {
                return Link::Unknown(
                    "an account link is a text, not a list".into(),
                    Some("declare the link field `text?` in the schema".into()),
                )
            }
        };
        if let Some(&a) = self.index.get(&key) {
            return Link::Account(a);
        }
        let Some(file) = &self.file else {
            let a = self.rows.len() as u32;
            let mut fields = vec![Value::Missing; self.width.max(1)];
            fields[0] = Value::Text(key.clone());
            self.rows.push(Contact { fields });
            self.index.insert(key, a);
            return Link::Account(a);
        };
        if let Some(reason) = self.skipped.get(&key) {
            return Link::Skipped(reason.clone());
        }
        let folded = self.folded.get_or_insert_with(|| {
            let mut m = FxHashMap::default();
            for id in self.index.keys() {
                m.entry(id.to_lowercase()).or_insert_with(|| id.clone());
            }
            m
        });
        let help = match folded.get(&key.to_lowercase()) {
            Some(id) => format!(
                "did you mean `{}`? Account ids are compared exactly, capitals included",
                shorten(id)
            ),
            None => format!(
                "no account in `{file}` has this id; check the link against the accounts file"
            ),
        };
        Link::Unknown(format!("unknown account `{}`", shorten(&key)), Some(help))
    }

    /// The accounts' rows.
    pub(crate) fn into_rows(self) -> Vec<Contact> {
        self.rows
    }
}
