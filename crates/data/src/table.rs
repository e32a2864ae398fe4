//! A database table's rows, held compactly: each row's cells side by side (9 bytes a cell: its
//! kind and 8 bytes of value), the texts of a part in one buffer. A reader fills [`TableRows`] (one per thread, in row
//! order), [`Table::new`] joins them, and the loader converts the rows in chunks, each row
//! lent to the converters as a [`Record`] that is refilled in place, never all at once: the
//! rows are in memory once, not once as values and again as records.

use std::ops::Range;
use std::sync::Arc;

use crate::record::{Datum, Record};

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Number(f64),
    /// An instant, in milliseconds since 1970-01-01T00:00:00Z.
    Date(i64),
    /// A text: where it starts in its part's buffer, and its length in bytes.
    Text(u32, u32),
    /// Another value (a list): its index among its part's others.
    Other(u32),
}

/// A cell as read back: the value with its type, a text borrowed from the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Number(f64),
    Date(i64),
    Text(&'a str),
    /// A list (a PostgreSQL array).
    Other(&'a Datum),
}

impl CellRef<'_> {
    /// The cell as a value the converters read.
    pub fn to_datum(self) -> Datum {
        match self {
            CellRef::Null => Datum::Null,
            CellRef::Bool(b) => Datum::Bool(b),
            CellRef::Int(i) => Datum::Int(i),
            CellRef::Number(n) => Datum::Number(n),
            CellRef::Date(ms) => Datum::Date(ms),
            CellRef::Text(t) => Datum::Text(t.to_string()),
            CellRef::Other(d) => d.clone(),
        }
    }

    /// Makes `d` this cell's value, reusing the buffer of a text already there.
    fn fill(self, d: &mut Datum) {
        match (self, &mut *d) {
            (CellRef::Text(t), Datum::Text(s)) => {
                s.clear();
                s.push_str(t);
            }
            (cell, d) => *d = cell.to_datum(),
        }
    }
}

/// Rows with texts in one buffer: at most `u32::MAX` bytes of text, so a reader starts a new
/// part before that. Each cell is a kind (`tags`) and 8 bytes (`vals`): a number's bits, or a
/// text's start (high half) and length (low half).
#[derive(Debug, Clone, Default, PartialEq)]
struct Part {
    rows: usize,
    tags: Vec<u8>,
    vals: Vec<u64>,
    text: String,
    others: Vec<Datum>,
}

const NULL: u8 = 0;
const BOOL: u8 = 1;
const INT: u8 = 2;
const NUMBER: u8 = 3;
const DATE: u8 = 4;
const TEXT: u8 = 5;
const OTHER: u8 = 6;

impl Part {
    fn push(&mut self, cell: Cell) {
        let (tag, val) = match cell {
            Cell::Null => (NULL, 0),
            Cell::Bool(b) => (BOOL, u64::from(b)),
            Cell::Int(i) => (INT, i as u64),
            Cell::Number(n) => (NUMBER, n.to_bits()),
            Cell::Date(ms) => (DATE, ms as u64),
            Cell::Text(at, len) => (TEXT, (u64::from(at) << 32) | u64::from(len)),
            Cell::Other(i) => (OTHER, u64::from(i)),
        };
        self.tags.push(tag);
        self.vals.push(val);
    }

    fn cells(&self) -> usize {
        self.tags.len()
    }

    fn truncate(&mut self, cells: usize) {
        self.tags.truncate(cells);
        self.vals.truncate(cells);
    }

    /// Cell number `i` (row by row).
    #[inline]
    fn at(&self, i: usize) -> CellRef<'_> {
        let v = self.vals[i];
        match self.tags[i] {
            BOOL => CellRef::Bool(v != 0),
            INT => CellRef::Int(v as i64),
            NUMBER => CellRef::Number(f64::from_bits(v)),
            DATE => CellRef::Date(v as i64),
            TEXT => {
                let (at, len) = text_span(v);
                CellRef::Text(&self.text[at..at + len])
            }
            OTHER => CellRef::Other(&self.others[v as usize]),
            _ => CellRef::Null,
        }
    }

    #[inline]
    fn cell(&self, width: usize, row: usize, col: usize) -> CellRef<'_> {
        self.at(row * width + col)
    }
}

/// Rows being read, in order, by one reader (a thread reads its range of the table into its
/// own): each row's cells pushed in column order, then [`TableRows::end_row`].
#[derive(Debug, Clone)]
pub struct TableRows {
    width: usize,
    parts: Vec<Part>,
    current: Part,
    /// The texts of the current part, checked as UTF-8 once, when the part is done.
    bytes: Vec<u8>,
    /// The cells pushed for the row not yet ended.
    pending: usize,
}

/// The text a part holds before the next one is started.
const PART_TEXT: usize = u32::MAX as usize / 2;

/// The rows of a part: parts of a bounded size grow without moving gigabytes, and free their
/// memory one by one.
const PART_ROWS: usize = 1 << 16;

impl TableRows {
    /// Rows of `width` cells.
    pub fn new(width: usize) -> TableRows {
        TableRows {
            width,
            parts: Vec::new(),
            current: Part::default(),
            bytes: Vec::new(),
            pending: 0,
        }
    }

    fn push(&mut self, cell: Cell) {
        self.current.push(cell);
        self.pending += 1;
    }

    pub fn null(&mut self) {
        self.push(Cell::Null);
    }

    pub fn bool(&mut self, b: bool) {
        self.push(Cell::Bool(b));
    }

    pub fn int(&mut self, i: i64) {
        self.push(Cell::Int(i));
    }

    pub fn number(&mut self, n: f64) {
        self.push(Cell::Number(n));
    }

    pub fn date(&mut self, ms: i64) {
        self.push(Cell::Date(ms));
    }

    pub fn text(&mut self, t: &str) {
        self.text_bytes(t.as_bytes());
    }

    /// A text as bytes that should be UTF-8 (a database's): checked a part at a time, which is
    /// faster than text by text; a sequence that is not UTF-8 is replaced by `\u{FFFD}`, as
    /// [`String::from_utf8_lossy`] does.
    pub fn text_bytes(&mut self, t: &[u8]) {
        if self.bytes.len() + t.len() > PART_TEXT && self.pending == 0 {
            self.new_part();
        }
        // One text is never longer than a part holds (a database cell of gigabytes is not
        // read as a score's input); if it were, the cell is cut.
        let room = (u32::MAX as usize).saturating_sub(self.bytes.len());
        let end = t.len().min(room);
        let at = self.bytes.len() as u32;
        self.bytes.extend_from_slice(&t[..end]);
        self.push(Cell::Text(at, end as u32));
    }

    /// Any value: a text, a number… as the cells above; a list kept as it is.
    pub fn datum(&mut self, d: Datum) {
        match d {
            Datum::Null => self.null(),
            Datum::Bool(b) => self.bool(b),
            Datum::Int(i) => self.int(i),
            Datum::Number(n) => self.number(n),
            Datum::Date(ms) => self.date(ms),
            Datum::Text(t) => self.text(&t),
            other => {
                let i = self.current.others.len() as u32;
                self.current.others.push(other);
                self.push(Cell::Other(i));
            }
        }
    }

    /// Ends the row whose cells were pushed (as many as the width).
    pub fn end_row(&mut self) {
        debug_assert_eq!(self.pending, self.width, "a row of the wrong width");
        self.current.rows += 1;
        self.pending = 0;
        if self.current.rows >= PART_ROWS
            || self.bytes.len() >= PART_TEXT
            || self.current.others.len() > PART_TEXT
        {
            self.new_part();
        }
    }

    /// The values of the row not yet ended (for a message about it).
    pub fn pending_row(&self) -> Vec<Datum> {
        let from = self.current.cells() - self.pending;
        (from..self.current.cells())
            .map(|i| match self.current.tags[i] {
                TEXT => {
                    let (at, len) = text_span(self.current.vals[i]);
                    Datum::Text(String::from_utf8_lossy(&self.bytes[at..at + len]).into_owned())
                }
                _ => self.current.at(i).to_datum(),
            })
            .collect()
    }

    /// The number of rows ended.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.rows).sum::<usize>() + self.current.rows
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn new_part(&mut self) {
        // The next part is sized like the one before (a table's rows are alike): it grows
        // without being moved.
        let (next, bytes) = if self.current.rows >= PART_ROWS {
            (
                Part {
                    tags: Vec::with_capacity(self.current.tags.len()),
                    vals: Vec::with_capacity(self.current.vals.len()),
                    ..Part::default()
                },
                Vec::with_capacity(self.bytes.len() + self.bytes.len() / 8),
            )
        } else {
            (Part::default(), Vec::new())
        };
        let done = std::mem::replace(&mut self.current, next);
        let text = std::mem::replace(&mut self.bytes, bytes);
        if done.rows > 0 {
            self.parts.push(seal(done, text));
        }
    }

    fn into_parts(mut self) -> Vec<Part> {
        let from = self.current.cells() - self.pending;
        self.current.truncate(from);
        self.pending = 0;
        self.new_part();
        self.parts
    }
}

/// A text cell's start and length in its part's text.
fn text_span(v: u64) -> (usize, usize) {
    ((v >> 32) as usize, (v & 0xffff_ffff) as usize)
}

/// A part whose texts are `bytes`: checked as UTF-8 at once; when some are not, each text is
/// read as [`String::from_utf8_lossy`] reads it.
fn seal(mut part: Part, bytes: Vec<u8>) -> Part {
    part.text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let bytes = e.into_bytes();
            let mut text = String::with_capacity(bytes.len());
            for (tag, v) in part.tags.iter().zip(part.vals.iter_mut()) {
                if *tag == TEXT {
                    let (at, len) = text_span(*v);
                    let start = text.len();
                    text.push_str(&String::from_utf8_lossy(&bytes[at..at + len]));
                    *v = ((start as u64) << 32) | (text.len() - start) as u64;
                }
            }
            text
        }
    };
    part
}

/// A table's rows, named by its columns: what a database reader hands the loader. Two tables
/// are equal when they have the same names and the same rows, however they were read.
#[derive(Debug, Clone)]
pub struct Table {
    /// The name shown in problems (the URL as shown).
    pub name: String,
    names: Vec<Arc<str>>,
    parts: Vec<Part>,
    /// The index of each part's first row.
    starts: Vec<usize>,
    rows: usize,
}

impl Table {
    /// The rows read by each reader, in order, as one table whose columns are `names`.
    pub fn new(name: String, names: Vec<Arc<str>>, readers: Vec<TableRows>) -> Table {
        let parts: Vec<Part> = readers
            .into_iter()
            .flat_map(|r| {
                debug_assert_eq!(r.width, names.len(), "rows of another width");
                r.into_parts()
            })
            .collect();
        let mut starts = Vec::with_capacity(parts.len());
        let mut rows = 0;
        for p in &parts {
            starts.push(rows);
            rows += p.rows;
        }
        Table {
            name,
            names,
            parts,
            starts,
            rows,
        }
    }

    /// The column names, in order.
    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Where row `row` is: its part and its index there.
    fn locate(&self, row: usize) -> (usize, usize) {
        let p = self.starts.partition_point(|&s| s <= row) - 1;
        (p, row - self.starts[p])
    }

    /// The cells of row `row` (in `0..len()`), in column order.
    pub fn row(&self, row: usize) -> impl Iterator<Item = CellRef<'_>> + '_ {
        let (p, r) = self.locate(row);
        let part = &self.parts[p];
        let width = self.names.len();
        (0..width).map(move |c| part.cell(width, r, c))
    }

    /// Calls `cell` with each cell of the rows of `range` in order, and `end` after each
    /// row (faster than [`Table::row`] for many rows).
    pub fn visit<'t>(
        &'t self,
        range: Range<usize>,
        mut cell: impl FnMut(CellRef<'t>),
        mut end: impl FnMut(),
    ) {
        if range.is_empty() {
            return;
        }
        let width = self.names.len();
        let (mut p, mut r) = self.locate(range.start);
        for _ in range {
            if r == self.parts[p].rows {
                p += 1;
                r = 0;
            }
            let part = &self.parts[p];
            for c in 0..width {
                cell(part.cell(width, r, c));
            }
            end();
            r += 1;
        }
    }

    /// Row `row` as a record.
    pub fn record(&self, row: usize) -> Record {
        Record {
            fields: self
                .names
                .iter()
                .cloned()
                .zip(self.row(row).map(CellRef::to_datum))
                .collect(),
        }
    }

    /// Every row as a record, in order.
    pub fn to_records(&self) -> Vec<Record> {
        (0..self.rows).map(|r| self.record(r)).collect()
    }

    /// The rows in chunks of about `per` rows, none across two parts: the ranges of row
    /// indices.
    pub(crate) fn chunks(&self, per: usize) -> Vec<Range<usize>> {
        let per = per.max(1);
        let mut out = Vec::new();
        for (p, part) in self.parts.iter().enumerate() {
            let start = self.starts[p];
            let mut from = 0;
            while from < part.rows {
                let to = (from + per).min(part.rows);
                out.push(start + from..start + to);
                from = to;
            }
        }
        out
    }

    /// Calls `f` with each row of `range` (within one part, as [`Table::chunks`] gives) as a
    /// record, its index with it. The record is refilled in place for each row.
    pub(crate) fn each_record(&self, range: Range<usize>, mut f: impl FnMut(usize, &Record)) {
        if range.is_empty() {
            return;
        }
        let (p, first) = self.locate(range.start);
        let part = &self.parts[p];
        let width = self.names.len();
        let mut record = Record {
            fields: self
                .names
                .iter()
                .map(|n| (n.clone(), Datum::Null))
                .collect(),
        };
        for (k, index) in range.enumerate() {
            let r = first + k;
            for (c, (_, value)) in record.fields.iter_mut().enumerate() {
                part.cell(width, r, c).fill(value);
            }
            f(index, &record);
        }
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.name == other.name
            && self.names == other.names
            && self.rows == other.rows
            && (0..self.rows).all(|r| self.row(r).eq(other.row(r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(values: &[&[Datum]]) -> TableRows {
        let mut r = TableRows::new(values.first().map_or(0, |v| v.len()));
        for row in values {
            for v in *row {
                r.datum(v.clone());
            }
            r.end_row();
        }
        r
    }

    #[test]
    fn rows_of_several_readers_read_back_in_order_as_records() {
        let a = rows(&[
            &["c1".into(), Datum::Int(3), Datum::Null],
            &["c2".into(), Datum::Number(2.5), Datum::Date(86_400_000)],
        ]);
        let b = rows(&[
            &["c3".into(), Datum::Bool(true), "x, \"y\"".into()],
            &["c4".into(), vec!["a", "b"].into(), Datum::Null],
        ]);
        let names: Vec<Arc<str>> = vec!["id".into(), "n".into(), "at".into()];
        let t = Table::new("t".into(), names, vec![a, TableRows::new(3), b]);
        assert_eq!(t.len(), 4);
        assert_eq!(
            t.record(2),
            Record::new()
                .with("id", "c3")
                .with("n", true)
                .with("at", "x, \"y\"")
        );
        let mut seen = Vec::new();
        for chunk in t.chunks(1) {
            t.each_record(chunk, |i, r| seen.push((i, r.clone())));
        }
        assert_eq!(
            t.record(3).get("n"),
            Some(&Datum::List(vec!["a".into(), "b".into()]))
        );
        let expected: Vec<(usize, Record)> = (0..4).map(|i| (i, t.record(i))).collect();
        assert_eq!(seen, expected);
        assert_eq!(t.chunks(10), vec![0..2, 2..4]);
    }

    #[test]
    fn texts_that_are_not_utf8_are_read_as_lossy_text() {
        let mut r = TableRows::new(2);
        r.text_bytes(b"ok");
        r.text_bytes(b"caf\xe9 \xff!");
        r.end_row();
        r.text_bytes(b"\xc3\xa9t\xc3\xa9");
        r.int(3);
        r.end_row();
        let t = Table::new("t".into(), vec!["a".into(), "b".into()], vec![r]);
        assert_eq!(
            t.row(0).collect::<Vec<_>>(),
            vec![CellRef::Text("ok"), CellRef::Text("caf\u{FFFD} \u{FFFD}!")]
        );
        assert_eq!(
            t.row(1).collect::<Vec<_>>(),
            vec![CellRef::Text("été"), CellRef::Int(3)]
        );
    }

    #[test]
    fn a_pending_row_is_not_kept_and_can_be_shown() {
        let mut r = rows(&[&["c1".into(), Datum::Int(1)]]);
        r.text("c2");
        assert_eq!(r.pending_row(), vec![Datum::Text("c2".into())]);
        assert_eq!(r.len(), 1);
        let t = Table::new("t".into(), vec!["id".into(), "n".into()], vec![r]);
        assert_eq!(t.len(), 1);
        assert_eq!(
            t.row(0).collect::<Vec<_>>(),
            vec![CellRef::Text("c1"), CellRef::Int(1)]
        );
    }
}
