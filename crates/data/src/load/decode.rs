//! Decoding: the structure of each input, in chunks that can be read independently (a CSV
//! header and chunks of rows, NDJSON chunks of lines, the elements of a JSON array, the
//! records of a YAML list, or records given as values), the records of a chunk, and where a
//! record is. What a record means is the converters' business (`contacts.rs`, `events.rs`).

use std::ops::Range;

use crate::dialect::{Cells, Delimiter, Dialect};
use crate::json;
use crate::problem::{DataProblem, RecordAt};
use crate::record::{Datum, Record, RecordSet};

use super::cells::At;
use super::events::EventCols;
use super::{Format, Source};

/// An input, split into chunks that can be read independently.
pub(crate) struct File<'a> {
    pub(crate) name: &'a str,
    /// The file's bytes (none for records given as values).
    pub(crate) bytes: &'a [u8],
    pub(crate) body: Body<'a>,
    /// Where the events' fixed fields are (the defaults for a contacts file's inline events).
    pub(crate) events: EventCols,
    /// The dates of texts in JSON, NDJSON and YAML files (CSV cells have their own).
    pub(crate) dates: Option<std::sync::Arc<crate::dates::Dates>>,
}

/// The input's structure.
pub(crate) enum Body<'a> {
    /// CSV: the header's names, the number of lines it takes, and chunks of whole rows.
    Csv {
        header: Vec<String>,
        header_lines: u32,
        chunks: Vec<Range<usize>>,
        /// No quote anywhere after the header: rows are plain lines of cells separated by the
        /// delimiter.
        plain: bool,
        /// What separates the cells (given, or detected from the header line).
        delimiter: Delimiter,
        /// How numbers and lists are written in the cells.
        cells: Cells,
    },
    /// NDJSON: chunks of whole lines.
    Ndjson { chunks: Vec<Range<usize>> },
    /// A JSON array: its elements, in chunks of element indices.
    JsonArray {
        elems: Vec<Elem>,
        chunks: Vec<Range<usize>>,
    },
    /// A YAML list, parsed: each record with the lines it spans when known.
    Yaml {
        records: Vec<(Option<(u32, u32)>, Datum)>,
    },
    /// Records given as values, in chunks of record indices.
    Records {
        records: &'a [Record],
        chunks: Vec<Range<usize>>,
    },
    /// A database table's rows, in chunks of row indices (problems name rows and columns).
    Table {
        table: &'a crate::table::Table,
        chunks: Vec<Range<usize>>,
    },
}

/// One element of a JSON array: its bytes and where it starts.
pub(crate) struct Elem {
    pub(crate) range: Range<usize>,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

impl File<'_> {
    /// The number of chunks.
    pub(crate) fn chunk_count(&self) -> usize {
        match &self.body {
            Body::Csv { chunks, .. }
            | Body::Ndjson { chunks }
            | Body::JsonArray { chunks, .. }
            | Body::Records { chunks, .. }
            | Body::Table { chunks, .. } => chunks.len(),
            Body::Yaml { .. } => 1,
        }
    }

    /// Whether the input is records given as values (its problems name records, not lines).
    pub(crate) fn given(&self) -> bool {
        matches!(self.body, Body::Records { .. } | Body::Table { .. })
    }

    /// Whether the input is a database table's rows.
    pub(crate) fn rows(&self) -> bool {
        matches!(self.body, Body::Table { .. })
    }

    /// The line that precedes chunk 0 (CSV: the header's lines; others: none).
    /// The header's names, for a CSV file.
    pub(crate) fn csv_header(&self) -> Option<&[String]> {
        match &self.body {
            Body::Csv { header, .. } => Some(header),
            _ => None,
        }
    }

    pub(crate) fn first_base(&self) -> u32 {
        match &self.body {
            Body::Csv { header_lines, .. } => *header_lines,
            _ => 0,
        }
    }

    /// The delimiter and the way cells are written, for a CSV file (defaults for others).
    pub(crate) fn csv_dialect(&self) -> (Delimiter, Cells) {
        match &self.body {
            Body::Csv {
                delimiter, cells, ..
            } => (*delimiter, cells.clone()),
            _ => (
                Delimiter::Comma,
                Cells {
                    dates: self.dates.clone(),
                    ..Cells::default()
                },
            ),
        }
    }

    /// Whether a CSV file's rows hold no quote (they are split at newlines and delimiters).
    pub(crate) fn csv_plain(&self) -> bool {
        matches!(self.body, Body::Csv { plain: true, .. })
    }

    /// Whether the lines reported for a chunk are relative to the chunk (then the caller adds
    /// the lines of the chunks before it).
    pub(crate) fn relative_lines(&self) -> bool {
        matches!(self.body, Body::Csv { .. } | Body::Ndjson { .. })
    }
}

fn problem(file: &str, line: u32, column: u32, message: String, help: Option<&str>) -> DataProblem {
    At::line(Some(line), Some(column)).problem(file, message, help.map(str::to_string))
}

/// Records given as values, in chunks of about `chunk_bytes / 100` records (a record is
/// counted as a hundred bytes: the result does not depend on it).
pub(crate) fn given(set: &RecordSet, chunk_bytes: usize) -> File<'_> {
    let per = (chunk_bytes / 100).max(1);
    let n = set.records.len();
    let chunks = (0..n.div_ceil(per))
        .map(|k| k * per..((k + 1) * per).min(n))
        .collect();
    File {
        name: &set.name,
        bytes: &[],
        events: EventCols::default(),
        dates: None,
        body: Body::Records {
            records: &set.records,
            chunks,
        },
    }
}

/// A table's rows, in chunks of about `chunk_bytes / 100` rows (as records given as values).
pub(crate) fn table(table: &crate::table::Table, chunk_bytes: usize) -> File<'_> {
    File {
        name: &table.name,
        bytes: &[],
        events: EventCols::default(),
        dates: None,
        body: Body::Table {
            table,
            chunks: table.chunks(chunk_bytes / 100),
        },
    }
}

/// Splits `bytes[start..]` into chunks of about `size` bytes ending just after a newline.
pub(crate) fn line_chunks(bytes: &[u8], start: usize, size: usize) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let mut from = start;
    while from < bytes.len() {
        let mut to = (from + size.max(1)).min(bytes.len());
        if to < bytes.len() {
            to = match bytes[to..].iter().position(|&c| c == b'\n') {
                Some(p) => to + p + 1,
                None => bytes.len(),
            };
        }
        chunks.push(from..to);
        from = to;
    }
    chunks
}

/// Splits the CSV rows of `bytes[start..]` (which hold quotes) into chunks of about `size`
/// bytes, each ending just after a newline that ends a row, so that every chunk can be read
/// on its own and gives the rows that reading the whole file would.
///
/// A newline ends a row when an even number of quotes precede it. That holds only if every
/// quote is where CSV puts one: an opening quote at the start of a cell (after a delimiter, a
/// line break or another quote of a doubled `""`), a closing quote at its end (before a
/// delimiter, a line break, the end, or a doubled quote). A quote anywhere else (`5" screen`)
/// is a plain character to the CSV reader and would throw the count off: then the rows are
/// read as one chunk, in order, as before.
pub(crate) fn record_chunks(
    bytes: &[u8],
    start: usize,
    size: usize,
    delimiter: u8,
) -> Vec<Range<usize>> {
    let whole = || {
        if start < bytes.len() {
            std::iter::once(start..bytes.len()).collect()
        } else {
            Vec::new()
        }
    };
    if bytes.len() - start <= size {
        return whole();
    }
    let body = &bytes[start..];
    let mut open = false;
    for q in memchr::memchr_iter(b'"', body) {
        let regular = if open {
            matches!(body.get(q + 1), None | Some(b'\n' | b'\r' | b'"'))
                || body.get(q + 1) == Some(&delimiter)
        } else {
            q == 0 || matches!(body[q - 1], b'\n' | b'\r' | b'"') || body[q - 1] == delimiter
        };
        if !regular {
            return whole();
        }
        open = !open;
    }
    if open {
        // An unclosed quote: the reader reports it, reading in order.
        return whole();
    }
    // Cut at the first newline outside quotes after every `size` bytes.
    let mut chunks = Vec::new();
    let mut from = 0;
    let mut quoted = false;
    let mut at = 0;
    while from < body.len() {
        let target = from + size.max(1);
        if target >= body.len() {
            chunks.push(start + from..bytes.len());
            break;
        }
        // The quote state at `target`: count the quotes between `at` and it.
        quoted ^= memchr::memchr_iter(b'"', &body[at..target]).count() % 2 == 1;
        let mut i = target;
        while i < body.len() {
            match body[i] {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        let to = (i + 1).min(body.len());
        chunks.push(start + from..start + to);
        from = to;
        at = to;
    }
    chunks
}

/// A CSV reader over a slice, rows of any length (ragged rows are reported by the caller).
pub(crate) fn csv_reader(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes)
}

/// Where a CSV row is in its chunk.
pub(crate) struct RowPos {
    /// The 1-based line where the row starts, in the chunk.
    pub(crate) line: u32,
    /// The row's bytes in the chunk, line ending included.
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Reads the rows of a CSV chunk: with the csv crate, or, when the file has no quotes, by
/// splitting lines at the delimiter (several times faster, same rows).
pub(crate) enum RowReader<'a> {
    /// The csv crate's reader, and the bytes it reads: after a CRLF line ending, the crate
    /// places the next row at the `\n` it has not consumed yet, one line short.
    Csv {
        rdr: csv::Reader<&'a [u8]>,
        bytes: &'a [u8],
    },
    Plain {
        bytes: &'a [u8],
        pos: usize,
        line: u32,
        delimiter: u8,
    },
}

impl<'a> RowReader<'a> {
    pub(crate) fn new(bytes: &'a [u8], plain: bool, delimiter: Delimiter) -> Self {
        if plain {
            RowReader::Plain {
                bytes,
                pos: 0,
                line: 1,
                delimiter: delimiter.byte(),
            }
        } else {
            RowReader::Csv {
                rdr: csv_reader(bytes, delimiter.byte()),
                bytes,
            }
        }
    }

    /// Reads the next row into `rec`; `Ok(None)` at the end, `Err(line)` if unreadable.
    pub(crate) fn next(&mut self, rec: &mut csv::ByteRecord) -> Result<Option<RowPos>, u32> {
        match self {
            RowReader::Csv { rdr, bytes } => match rdr.read_byte_record(rec) {
                Ok(true) => {
                    let (mut start, mut line) = rec
                        .position()
                        .map_or((0, 0), |p| (p.byte() as usize, p.line() as u32));
                    // Line breaks before the row (the end of a CRLF, blank lines) are not
                    // part of it; the csv crate has not counted a `\n` it has not consumed.
                    while let Some(&c @ (b'\n' | b'\r')) = bytes.get(start) {
                        line += u32::from(c == b'\n');
                        start += 1;
                    }
                    let end = rdr.position().byte() as usize;
                    Ok(Some(RowPos { line, start, end }))
                }
                Ok(false) => Ok(None),
                Err(e) => Err(e.position().map_or(0, |p| p.line() as u32)),
            },
            RowReader::Plain {
                bytes,
                pos,
                line,
                delimiter,
            } => loop {
                if *pos >= bytes.len() {
                    return Ok(None);
                }
                let start = *pos;
                let row_line = *line;
                rec.clear();
                let mut field = start;
                let mut i = start;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\n' => break,
                        c if c == *delimiter => {
                            rec.push_field(&bytes[field..i]);
                            field = i + 1;
                        }
                        _ => {}
                    }
                    i += 1;
                }
                let mut last = &bytes[field..i];
                if let Some(l) = last.strip_suffix(b"\r") {
                    last = l;
                }
                let end = if i < bytes.len() {
                    *line += 1;
                    i + 1
                } else {
                    i
                };
                *pos = end;
                if field == start && last.is_empty() {
                    // An empty line, skipped as the csv crate does.
                    continue;
                }
                rec.push_field(last);
                return Ok(Some(RowPos {
                    line: row_line,
                    start,
                    end,
                }));
            },
        }
    }

    /// The number of newlines read so far.
    pub(crate) fn newlines(&self) -> u32 {
        match self {
            RowReader::Csv { bytes, .. } => memchr::memchr_iter(b'\n', bytes).count() as u32,
            RowReader::Plain { line, .. } => *line - 1,
        }
    }
}

/// Reads a file's structure. A problem here concerns the whole file (the rows cannot be read).
/// The bytes are UTF-8 (decoded by the caller); `dialect` says how CSV cells are written.
pub(crate) fn open<'a>(
    source: &'a Source,
    chunk_bytes: usize,
    dialect: &Dialect,
) -> Result<File<'a>, DataProblem> {
    let name = source.name.as_str();
    let mut bytes = source.bytes.as_slice();
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()) {
        bytes = rest;
    }
    let body = match source.format {
        Format::Csv => {
            let delimiter = dialect
                .delimiter
                .unwrap_or_else(|| Delimiter::detect(bytes));
            let cells = dialect
                .cells(delimiter)
                .map_err(|bad| problem(name, 1, 1, bad.message, Some(&bad.help)))?;
            let mut rdr = csv_reader(bytes, delimiter.byte());
            let mut record = csv::ByteRecord::new();
            let has_header = rdr.read_byte_record(&mut record).unwrap_or(false);
            if !has_header {
                Body::Csv {
                    header: Vec::new(),
                    header_lines: 1,
                    chunks: Vec::new(),
                    plain: true,
                    delimiter,
                    cells,
                }
            } else {
                let mut end = (rdr.position().byte() as usize).min(bytes.len());
                // After a CRLF the csv crate stops between `\r` and `\n`.
                if end > 0 && bytes[end - 1] == b'\r' && bytes.get(end) == Some(&b'\n') {
                    end += 1;
                }
                let header_lines =
                    (memchr::memchr_iter(b'\n', &bytes[..end]).count() as u32).max(1);
                let header = header_names(name, &record)?;
                for (i, h) in header.iter().enumerate() {
                    if !h.is_empty() && header[..i].contains(h) {
                        return Err(problem(
                            name,
                            1,
                            i as u32 + 1,
                            format!("column `{h}` appears twice in the header"),
                            Some("rename or remove one of the two columns"),
                        ));
                    }
                }
                // Without quotes every newline ends a row, so the rows can be cut anywhere
                // at a newline and read in parallel; with quotes, at a newline outside them.
                let plain = !bytes[end..].contains(&b'"');
                let chunks = if plain {
                    line_chunks(bytes, end, chunk_bytes)
                } else {
                    record_chunks(bytes, end, chunk_bytes, delimiter.byte())
                };
                Body::Csv {
                    header,
                    header_lines,
                    chunks,
                    plain,
                    delimiter,
                    cells,
                }
            }
        }
        Format::Ndjson => Body::Ndjson {
            chunks: line_chunks(bytes, 0, chunk_bytes),
        },
        Format::Json => {
            let start = bytes
                .iter()
                .position(|c| !c.is_ascii_whitespace())
                .unwrap_or(bytes.len());
            if start == bytes.len() {
                Body::JsonArray {
                    elems: Vec::new(),
                    chunks: Vec::new(),
                }
            } else if bytes[start] != b'[' {
                let (line, column) = json::line_col(bytes, start, 1, 1);
                return Err(problem(
                    name,
                    line,
                    column,
                    "expected a list of records `[{…}, {…}]`".into(),
                    Some("a JSON data file holds one array of objects; for one object per line use `.ndjson`"),
                ));
            } else {
                match json::split_array(bytes, start) {
                    Some((ranges, end)) if bytes[end..].iter().all(|c| c.is_ascii_whitespace()) => {
                        let mut elems = Vec::with_capacity(ranges.len());
                        let (mut line, mut at, mut line_start) = (1u32, 0usize, 0usize);
                        for r in ranges {
                            for (i, &c) in bytes[at..r.start].iter().enumerate() {
                                if c == b'\n' {
                                    line += 1;
                                    line_start = at + i + 1;
                                }
                            }
                            at = r.start;
                            let column = String::from_utf8_lossy(&bytes[line_start..r.start])
                                .chars()
                                .count() as u32
                                + 1;
                            elems.push(Elem {
                                range: r,
                                line,
                                column,
                            });
                        }
                        let mut chunks = Vec::new();
                        let mut from = 0;
                        while from < elems.len() {
                            let begin = elems[from].range.start;
                            let mut to = from + 1;
                            while to < elems.len() && elems[to].range.end - begin < chunk_bytes {
                                to += 1;
                            }
                            chunks.push(from..to);
                            from = to;
                        }
                        Body::JsonArray { elems, chunks }
                    }
                    _ => {
                        // The structure is broken: the JSON parser says where and why.
                        let (message, line, column) = match json::parse_json(bytes) {
                            Err(e) => e,
                            Ok(_) => ("invalid JSON: the list is not closed".into(), 1, 1),
                        };
                        let help = crate::cell::syntax_help(&message);
                        return Err(problem(name, line, column, message, help.as_deref()));
                    }
                }
            }
        }
        Format::Yaml => match crate::yaml::parse(bytes) {
            Err((message, line, column)) => {
                let help = crate::cell::syntax_help(&message);
                return Err(problem(name, line, column, message, help.as_deref()));
            }
            Ok(Datum::List(items)) => {
                let lines = crate::yaml::item_lines(bytes);
                let known = lines.len() == items.len();
                let total = bytes.split(|&c| c == b'\n').count() as u32 + 1;
                let records = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let span =
                            known.then(|| (lines[i], lines.get(i + 1).copied().unwrap_or(total)));
                        (span, r)
                    })
                    .collect();
                Body::Yaml { records }
            }
            Ok(Datum::Null) => Body::Yaml {
                records: Vec::new(),
            },
            Ok(other) => {
                return Err(problem(
                    name,
                    1,
                    1,
                    format!("expected a list of records, found {}", other.kind()),
                    Some("a YAML data file is a list: each record starts with `- `"),
                ))
            }
        },
    };
    Ok(File {
        name,
        bytes,
        body,
        events: EventCols::default(),
        dates: dialect.dates.clone(),
    })
}

/// The names of a CSV header, trimmed; a name that is not UTF-8 is an error (the file was
/// saved in another encoding).
fn header_names(file: &str, record: &csv::ByteRecord) -> Result<Vec<String>, DataProblem> {
    record
        .iter()
        .enumerate()
        .map(|(i, h)| match std::str::from_utf8(h) {
            // Compared with the schema's names in NFC (see `column_key`).
            Ok(h) => Ok(crate::model::column_key(h.trim()).into_owned()),
            Err(_) => Err(problem(
                file,
                1,
                i as u32 + 1,
                format!(
                    "column {} of the header is not valid UTF-8 text (`{}`)",
                    i + 1,
                    crate::cell::shorten(String::from_utf8_lossy(h).trim())
                ),
                Some(crate::cell::NOT_UTF8_HELP),
            )),
        })
        .collect()
}

/// Where a record (or an event inside one) is, to point problems at its keys.
#[derive(Clone, Copy)]
pub(crate) enum Loc<'a> {
    /// JSON text of the record, with the line and column where it starts.
    Json {
        text: &'a [u8],
        line: u32,
        column: u32,
    },
    /// A YAML record spanning lines `from..to` of the file.
    Yaml { file: &'a [u8], from: u32, to: u32 },
    /// Only the line is known (0: not even that).
    Line(u32),
    /// A record given as values: its index in its source, its key once known (a contact's
    /// id), and for an inline event its index in the contact's `events`.
    Given {
        index: usize,
        key: Option<&'a str>,
        event: Option<usize>,
        /// A database row (see [`RecordAt::row`]).
        row: bool,
    },
}

impl<'a> Loc<'a> {
    /// Where the record starts.
    pub(crate) fn start(&self) -> At {
        match *self {
            Loc::Json { line, column, .. } => At::line(Some(line), Some(column)),
            Loc::Yaml { from, file, .. } => {
                let col = file
                    .split(|&c| c == b'\n')
                    .nth(from as usize - 1)
                    .map_or(1, |l| {
                        l.iter()
                            .position(|&c| c != b' ' && c != b'-')
                            .map_or(1, |p| p as u32 + 1)
                    });
                At::line(Some(from), Some(col))
            }
            Loc::Line(0) => At::default(),
            Loc::Line(l) => At::line(Some(l), None),
            Loc::Given { .. } => self.given(None),
        }
    }

    /// The line where the record starts (0 when not known), for rows set aside; for a record
    /// given as values, its index + 1 (made the row's `record` once the rows are collected).
    pub(crate) fn line(&self) -> u32 {
        match *self {
            Loc::Json { line, .. } => line,
            Loc::Yaml { from, .. } => from,
            Loc::Line(l) => l,
            Loc::Given { index, .. } => index as u32 + 1,
        }
    }

    fn given(&self, field: Option<&str>) -> At {
        let Loc::Given {
            index,
            key,
            event,
            row,
        } = *self
        else {
            return At::default();
        };
        At {
            line: None,
            column: None,
            record: Some(Box::new(RecordAt {
                index,
                key: key.map(str::to_string),
                event,
                field: field.map(str::to_string),
                row,
            })),
        }
    }

    /// Where key `key` is (falls back to the record's start).
    pub(crate) fn key(&self, key: &str) -> At {
        let found = match *self {
            Loc::Json { text, line, column } => {
                json::locate_key(text, key).map(|(k, _)| json::line_col(text, k, line, column))
            }
            Loc::Yaml { file, from, to } => crate::yaml::key_position(file, from, to, key),
            Loc::Line(_) => None,
            Loc::Given { .. } => return self.given(Some(key)),
        };
        match found {
            Some((l, c)) => At::line(Some(l), Some(c)),
            None => self.start(),
        }
    }

    /// Where field `name`, which the record lacks, would be: the record's start in a file;
    /// the record and the field's name for records given as values.
    pub(crate) fn missing(&self, name: &str) -> At {
        match self {
            Loc::Given { .. } => self.given(Some(name)),
            _ => self.start(),
        }
    }

    /// This place, for a record given as values whose key is `key`.
    pub(crate) fn with_key(self, key: Option<&'a str>) -> Loc<'a> {
        match self {
            Loc::Given {
                index, event, row, ..
            } => Loc::Given {
                index,
                key,
                event,
                row,
            },
            other => other,
        }
    }

    /// Where event `n` of the record's `events` list is.
    pub(crate) fn event(&self, n: usize) -> Loc<'a> {
        match *self {
            Loc::Json { text, line, column } => {
                let found = json::locate_key(text, "events").and_then(|(_, v)| {
                    let (elems, _) = json::split_array(text, v)?;
                    let r = elems.get(n)?.clone();
                    let (l, c) = json::line_col(text, r.start, line, column);
                    Some(Loc::Json {
                        text: &text[r],
                        line: l,
                        column: c,
                    })
                });
                found.unwrap_or(*self)
            }
            Loc::Yaml { file, from, to } => {
                let Some((events_line, _)) = crate::yaml::key_position(file, from, to, "events")
                else {
                    return *self;
                };
                let mut starts = Vec::new();
                let mut indent = None;
                for (i, l) in file.split(|&c| c == b'\n').enumerate() {
                    let n = i as u32 + 1;
                    if n <= events_line || n >= to {
                        continue;
                    }
                    let ind = l.iter().position(|&c| c != b' ');
                    if let Some(p) = ind {
                        if l[p] == b'-' && indent.is_none_or(|x| x == p) {
                            indent = Some(p);
                            starts.push(n);
                        }
                    }
                }
                match starts.get(n) {
                    Some(&s) => Loc::Yaml {
                        file,
                        from: s,
                        to: starts.get(n + 1).copied().unwrap_or(to),
                    },
                    None => *self,
                }
            }
            Loc::Line(_) => *self,
            Loc::Given {
                index, key, row, ..
            } => Loc::Given {
                index,
                key,
                event: Some(n),
                row,
            },
        }
    }

    /// The record's text as written, when it is known.
    pub(crate) fn text(&self) -> Option<String> {
        match *self {
            Loc::Json { text, .. } => Some(String::from_utf8_lossy(text).trim().to_string()),
            Loc::Yaml { .. } | Loc::Line(_) | Loc::Given { .. } => None,
        }
    }
}

/// A decoded structured record: a record, or a value that should have been one.
#[derive(Clone, Copy)]
pub(crate) enum Item<'a> {
    Record(&'a Record),
    Other(&'a Datum),
}

impl<'a> Item<'a> {
    fn of(d: &'a Datum) -> Item<'a> {
        match d {
            Datum::Record(r) => Item::Record(r),
            other => Item::Other(other),
        }
    }

    /// The record as compact JSON (for rows set aside).
    pub(crate) fn to_json(self) -> String {
        match self {
            Item::Record(r) => r.to_json(),
            Item::Other(d) => d.to_json(),
        }
    }
}

/// A syntax error in a record: the message, line and column.
pub(crate) type Syntax = (String, u32, u32);

/// Calls `f` for every structured record of a chunk (JSON, YAML, or given as values): its
/// location and the record (or the syntax error). Lines are relative to the chunk for
/// NDJSON; returns the number of newlines in the chunk (NDJSON; else 0).
pub(crate) fn for_each_record<'f>(
    file: &'f File<'f>,
    chunk: usize,
    mut f: impl FnMut(Loc<'f>, Result<Item<'_>, Syntax>),
) -> u32 {
    match &file.body {
        Body::Ndjson { chunks } => {
            let bytes = &file.bytes[chunks[chunk].clone()];
            let mut line = 0u32;
            for text in bytes.split(|&c| c == b'\n') {
                line += 1;
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                if text.iter().all(|c| c.is_ascii_whitespace()) {
                    continue;
                }
                let loc = Loc::Json {
                    text,
                    line,
                    column: 1,
                };
                match json::parse_json(text) {
                    Ok(r) => f(loc, Ok(Item::of(&r))),
                    Err((m, _, c)) => f(loc, Err((m, line, c))),
                }
            }
            // The number of newlines in the chunk.
            bytes.iter().filter(|&&c| c == b'\n').count() as u32
        }
        Body::JsonArray { elems, chunks } => {
            for e in &elems[chunks[chunk].clone()] {
                let text = &file.bytes[e.range.clone()];
                let loc = Loc::Json {
                    text,
                    line: e.line,
                    column: e.column,
                };
                match json::parse_json(text) {
                    Ok(r) => f(loc, Ok(Item::of(&r))),
                    Err((m, l, c)) => {
                        let (line, column) = if l <= 1 {
                            (e.line, e.column + c - 1)
                        } else {
                            (e.line + l - 1, c)
                        };
                        f(loc, Err((m, line, column)))
                    }
                }
            }
            0
        }
        Body::Yaml { records } => {
            for (span, r) in records {
                let loc = match span {
                    Some((from, to)) => Loc::Yaml {
                        file: file.bytes,
                        from: *from,
                        to: *to,
                    },
                    None => Loc::Line(0),
                };
                f(loc, Ok(Item::of(r)));
            }
            0
        }
        Body::Records { records, chunks } => {
            let range = chunks[chunk].clone();
            for (index, r) in records[range.clone()].iter().enumerate() {
                let loc = Loc::Given {
                    index: range.start + index,
                    key: None,
                    event: None,
                    row: false,
                };
                f(loc, Ok(Item::Record(r)));
            }
            0
        }
        Body::Table { table, chunks } => {
            table.each_record(chunks[chunk].clone(), |index, r| {
                let loc = Loc::Given {
                    index,
                    key: None,
                    event: None,
                    row: true,
                };
                f(loc, Ok(Item::Record(r)));
            });
            0
        }
        Body::Csv { .. } => 0,
    }
}
