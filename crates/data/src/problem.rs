//! Problems found in the data, the error that lists them, and rows set aside.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// One problem in a data file, at a line (and column) when known; in records given as
/// values, at a record and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataProblem {
    /// The file, as given by the user (for records given as values, their source's name).
    pub file: String,
    /// The 1-based physical line (the header is line 1 in CSV), when known.
    pub line: Option<u32>,
    /// The 1-based column: the CSV field number, or the character column in JSON/YAML.
    pub column: Option<u32>,
    /// In a CSV row: the header's name of column [`DataProblem::column`], which the text
    /// shows as ``column 5 (`employees`)`` (a bare field number reads like a character);
    /// empty for a column past the header's last (``column 9``).
    pub column_name: Option<String>,
    /// In records given as values (which have no lines): the record and field.
    pub record: Option<Box<RecordAt>>,
    /// One short lowercase sentence, the user's words in backticks.
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub help: Option<String>,
}

/// Where a problem is in records given as values: the record, the inline event, the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAt {
    /// The record's index in its source, from 0.
    pub index: usize,
    /// The record's key, when it has one that can be shown (a contact's id).
    pub key: Option<String>,
    /// For an inline event of a contact: its index in the contact's `events`, from 0.
    pub event: Option<usize>,
    /// The field the problem is about, when it is about one.
    pub field: Option<String>,
    /// Whether the records are the rows of a database table or query: then the place reads
    /// ``row 3 (id `c3`), column `employees` `` (the record's key is its id column's value).
    pub row: bool,
}

impl fmt::Display for RecordAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row {
            write!(f, "row {}", self.index + 1)?;
            if let Some(key) = &self.key {
                write!(f, " (id `{}`)", crate::cell::shorten(key))?;
            }
            if let Some(field) = &self.field {
                write!(f, ", column `{field}`")?;
            }
            return Ok(());
        }
        write!(f, "record {}", self.index + 1)?;
        if let Some(key) = &self.key {
            write!(f, " (`{}`)", crate::cell::shorten(key))?;
        }
        if let Some(e) = self.event {
            write!(f, ", event {}", e + 1)?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        Ok(())
    }
}

impl DataProblem {
    /// The problem as a JSON object, in the shape of a rule file's diagnostics: file, line,
    /// column (null when not known), severity, code (null: data problems have none),
    /// message, help.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file,
            "record": self.record.as_ref().map(|r| r.to_string()),
            "line": self.line,
            "column": self.column,
            "column_name": self.column_name.as_ref().filter(|n| !n.is_empty()),
            "severity": "error",
            "code": null,
            "message": self.message,
            "help": self.help,
        })
    }

    /// The position as `file:line:column` (as much of it as is known), or for records given
    /// as values `source, record 3 (`c3`), field `employees``.
    pub fn location(&self) -> String {
        match (self.line, self.column, &self.record) {
            (Some(l), Some(c), _) => match &self.column_name {
                Some(name) if name.is_empty() => format!("{}:{l}, column {c}", self.file),
                Some(name) => format!(
                    "{}:{l}, column {c} (`{}`)",
                    self.file,
                    crate::cell::shorten(name)
                ),
                None => format!("{}:{l}:{c}", self.file),
            },
            (Some(l), None, _) => format!("{}:{l}", self.file),
            (None, _, Some(r)) => format!("{}, {r}", self.file),
            _ => self.file.clone(),
        }
    }
}

impl fmt::Display for DataProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Loading failed: every problem found (the first [`LoadError::MAX_SHOWN`]) and how many more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The problems, in file order, then line and column order.
    pub problems: Vec<DataProblem>,
    /// How many further problems were found and not kept.
    pub more: usize,
    /// Whether every problem is in rows that `skip_bad_rows` would set aside (not a file that
    /// cannot be read, a missing column, a broken structure).
    pub in_rows: bool,
}

impl LoadError {
    /// The most problems kept and shown.
    pub const MAX_SHOWN: usize = 100;

    /// An error with the given problems, sorted and capped.
    pub(crate) fn from_problems(mut problems: Vec<DataProblem>, file_order: &[String]) -> Self {
        sort_problems(&mut problems, file_order);
        let more = problems.len().saturating_sub(Self::MAX_SHOWN);
        problems.truncate(Self::MAX_SHOWN);
        LoadError {
            problems,
            more,
            in_rows: false,
        }
    }

    /// The total number of problems found.
    pub fn count(&self) -> usize {
        self.problems.len() + self.more
    }
}

/// Sorts problems by file (in the order the files were given), line and column (records
/// given as values: record and inline event); stable.
pub(crate) fn sort_problems(problems: &mut [DataProblem], file_order: &[String]) {
    let rank = |f: &str| file_order.iter().position(|x| x == f).unwrap_or(usize::MAX);
    let key = |p: &DataProblem| {
        let (record, event) = p
            .record
            .as_ref()
            .map_or((0, 0), |r| (r.index, r.event.map_or(0, |e| e + 1)));
        (
            rank(&p.file),
            p.line.unwrap_or(0),
            p.column.unwrap_or(0),
            record,
            event,
        )
    };
    problems.sort_by_key(key);
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        if self.more > 0 {
            let s = if self.more == 1 { "" } else { "s" };
            write!(f, "\n… and {} more problem{s}", self.more)?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A row left out by `--skip-bad-rows`, with why and its text as found in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    /// The file, as given by the user.
    pub file: String,
    /// The 1-based line where the row starts (0 when not known).
    pub line: u32,
    /// For records given as values (which have no lines): the record's index, from 0.
    pub record: Option<usize>,
    /// Why it was left out.
    pub reason: String,
    /// The row as written in the file (JSON for records inside a YAML file or a contact).
    pub raw: String,
}

/// Writes skipped rows as CSV (`file,line,reason,raw`), atomically.
pub fn write_skipped(path: &Path, rows: &[SkippedRow]) -> io::Result<()> {
    crate::write::write_atomic(path, |w| write_skipped_to(w, rows))
}

/// Writes skipped rows as CSV (`file,line,reason,raw`) to a writer.
pub fn write_skipped_to(w: &mut dyn Write, rows: &[SkippedRow]) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["file", "line", "reason", "raw"])?;
    for r in rows {
        out.write_record([r.file.as_str(), &r.line.to_string(), &r.reason, &r.raw])?;
    }
    out.flush()
}
