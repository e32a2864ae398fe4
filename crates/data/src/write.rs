//! Writing outputs: atomic file replacement, number formatting, and score tables as CSV,
//! JSON or NDJSON.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::model::Value;

/// Writes a file atomically: the content goes to a temporary file in the same folder, which is
/// flushed, synced and renamed over `path`. On any error the temporary file is removed and
/// `path` is left as it was.
///
/// A symbolic link is followed: the file it points to is replaced, and the link stays. A path
/// that is not a file (`/dev/null`, `/dev/stdout`, a named pipe) is written to as it is, never
/// replaced: renaming over it would put a file where the device or pipe was.
pub fn write_atomic<F>(path: impl AsRef<Path>, write: F) -> io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let given = path.as_ref();
    if let Ok(meta) = std::fs::metadata(given) {
        if !meta.is_file() && !meta.is_dir() {
            let out = std::fs::OpenOptions::new().write(true).open(given)?;
            let mut w = BufWriter::with_capacity(1 << 16, out);
            write(&mut w)?;
            return w.flush();
        }
    }
    let followed = match std::fs::symlink_metadata(given) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(given).ok(),
        _ => None,
    };
    let path = followed.as_deref().unwrap_or(given);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Keep the permissions of the file being replaced; a new file gets the usual 0644
        // (less the umask) rather than the temporary file's private 0600.
        let perms = std::fs::metadata(path)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        builder.permissions(perms);
    }
    let tmp = builder.tempfile_in(dir)?;
    {
        let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file());
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Formats a number in its shortest form with at most 2 decimals: `12`, `12.5`, `12.25`,
/// `-3`; never `-0` nor an exponent. Not finite (NaN, infinity): an empty string.
pub fn format_number(v: f64) -> String {
    let mut out = Vec::with_capacity(24);
    push_number(&mut out, v);
    String::from_utf8(out).unwrap_or_default()
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends [`format_number`]'s text.
pub(crate) fn push_number(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        return;
    }
    let cents = (v * 100.0).round();
    if cents.abs() < 9.0e15 {
        let c = cents as i64;
        if c < 0 {
            out.push(b'-');
        }
        let a = c.unsigned_abs();
        push_u64(out, a / 100);
        let frac = a % 100;
        if frac != 0 {
            out.push(b'.');
            let (tenths, hundredths) = (frac / 10, frac % 10);
            out.push(b'0' + tenths as u8);
            if hundredths > 0 {
                out.push(b'0' + hundredths as u8);
            }
        }
    } else {
        // Beyond 2^53 / 100 there are no decimals left to print.
        let r = v.round();
        out.extend_from_slice(format!("{}", if r == 0.0 { 0.0 } else { r }).as_bytes());
    }
}

/// Appends `s` as a JSON string (quotes and escapes included).
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    let mut bytes = std::mem::take(out).into_bytes();
    push_json_bytes(&mut bytes, s);
    *out = String::from_utf8(bytes).unwrap_or_default();
}

fn push_json_bytes(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut from = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[from..i]);
        if esc.is_empty() {
            out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
        } else {
            out.extend_from_slice(esc);
        }
        from = i + 1;
    }
    out.extend_from_slice(&b[from..]);
    out.push(b'"');
}

fn push_csv_text(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for c in s.bytes() {
            if c == b'"' {
                out.push(b'"');
            }
            out.push(c);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

fn push_date(out: &mut Vec<u8>, ms: i64) {
    let mut s = String::with_capacity(24);
    crate::cell::push_date(&mut s, ms);
    out.extend_from_slice(s.as_bytes());
}

/// Appends a value as a CSV cell: missing is empty, lists are `;`-joined.
fn push_csv_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Missing => {}
        Value::Number(n) => push_number(out, *n),
        Value::Text(t) => push_csv_text(out, t),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Date(d) => push_date(out, *d),
        Value::List(items) => push_csv_text(out, &items.join(";")),
    }
}

/// Appends a value as JSON: missing (and a number that is not finite) is `null`.
fn push_json_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Missing => out.extend_from_slice(b"null"),
        Value::Number(n) if !n.is_finite() => out.extend_from_slice(b"null"),
        Value::Number(n) => push_number(out, *n),
        Value::Text(t) => push_json_bytes(out, t),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Date(d) => {
            out.push(b'"');
            push_date(out, *d);
            out.push(b'"');
        }
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_json_bytes(out, item);
            }
            out.push(b']');
        }
    }
}

/// An output file format, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `.csv`: a header row, then one row per contact.
    Csv,
    /// `.json`: an array of objects, one per line.
    Json,
    /// `.ndjson`, `.jsonl`: one object per line.
    Ndjson,
}

impl OutputFormat {
    /// The format of an output file, by its extension (any case).
    pub fn from_path(path: &Path) -> Option<OutputFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            "ndjson" | "jsonl" => Some(OutputFormat::Ndjson),
            _ => None,
        }
    }
}

/// The ruleset that produced an output: a `ruleset` field on each JSON or NDJSON object.
/// A CSV output is a plain table (no comment line): the ruleset goes in the run's manifest,
/// or in columns of its own (`--stamp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputMeta {
    /// The ruleset's name.
    pub ruleset: String,
    /// The ruleset's version (hash).
    pub version: String,
}

/// Turns rows of values into the text of one output format: the header, each row, the end.
/// [`RowWriter`] streams rows through it; [`RenderedRows`] keeps them in memory.
#[derive(Debug, Clone)]
struct RowEncoder {
    format: OutputFormat,
    width: usize,
    /// JSON: `"name":` of each column, encoded once.
    keys: Vec<Vec<u8>>,
    /// JSON: `"ruleset":{…}` encoded once.
    meta: Vec<u8>,
}

impl RowEncoder {
    /// The encoder and the output's first bytes: in CSV, the header; in JSON, the opening
    /// bracket. `meta` is stamped on JSON objects only.
    fn new(format: OutputFormat, columns: &[String], meta: Option<&OutputMeta>) -> (Self, Vec<u8>) {
        let mut head = Vec::new();
        let mut meta_json = Vec::new();
        let mut keys = Vec::new();
        match format {
            OutputFormat::Csv => {
                for (i, c) in columns.iter().enumerate() {
                    if i > 0 {
                        head.push(b',');
                    }
                    push_csv_text(&mut head, c);
                }
                head.push(b'\n');
            }
            OutputFormat::Json | OutputFormat::Ndjson => {
                for c in columns {
                    let mut k = Vec::new();
                    push_json_bytes(&mut k, c);
                    k.push(b':');
                    keys.push(k);
                }
                if let Some(m) = meta {
                    meta_json.extend_from_slice(b"\"ruleset\":{\"name\":");
                    push_json_bytes(&mut meta_json, &m.ruleset);
                    meta_json.extend_from_slice(b",\"version\":");
                    push_json_bytes(&mut meta_json, &m.version);
                    meta_json.push(b'}');
                }
                if format == OutputFormat::Json {
                    head.push(b'[');
                }
            }
        }
        let encoder = RowEncoder {
            format,
            width: columns.len(),
            keys,
            meta: meta_json,
        };
        (encoder, head)
    }

    /// Appends the row at `index` (its separator included); missing trailing values are
    /// written as missing, extra ones ignored.
    fn encode(&self, index: usize, row: &[Value], buf: &mut Vec<u8>) {
        const MISSING: Value = Value::Missing;
        let value = |i: usize| row.get(i).unwrap_or(&MISSING);
        match self.format {
            OutputFormat::Csv => {
                for i in 0..self.width {
                    if i > 0 {
                        buf.push(b',');
                    }
                    push_csv_value(buf, value(i));
                }
                buf.push(b'\n');
            }
            OutputFormat::Json | OutputFormat::Ndjson => {
                if self.format == OutputFormat::Json {
                    buf.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
                }
                buf.push(b'{');
                for i in 0..self.width {
                    if i > 0 {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(&self.keys[i]);
                    push_json_value(buf, value(i));
                }
                if !self.meta.is_empty() {
                    if self.width > 0 {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(&self.meta);
                }
                buf.push(b'}');
                if self.format == OutputFormat::Ndjson {
                    buf.push(b'\n');
                }
            }
        }
    }

    /// The output's last bytes, after `rows` rows: in JSON, the closing bracket.
    fn end(&self, rows: usize) -> &'static [u8] {
        match (self.format, rows) {
            (OutputFormat::Json, 0) => b"]\n",
            (OutputFormat::Json, _) => b"\n]\n",
            _ => b"",
        }
    }
}

/// Writes rows of values one at a time as CSV, JSON or NDJSON.
pub struct RowWriter<W: Write> {
    out: W,
    encoder: RowEncoder,
    buf: Vec<u8>,
    rows: usize,
}

impl<W: Write> RowWriter<W> {
    /// Starts an output: in CSV, the header; `meta` is stamped on JSON objects only.
    pub fn new(
        out: W,
        format: OutputFormat,
        columns: &[String],
        meta: Option<&OutputMeta>,
    ) -> io::Result<Self> {
        let (encoder, mut buf) = RowEncoder::new(format, columns, meta);
        buf.reserve(1 << 16);
        Ok(RowWriter {
            out,
            encoder,
            buf,
            rows: 0,
        })
    }

    /// Writes one row; missing trailing values are written as missing, extra ones ignored.
    pub fn write_row(&mut self, row: &[Value]) -> io::Result<()> {
        self.encoder.encode(self.rows, row, &mut self.buf);
        self.rows += 1;
        if self.buf.len() >= 1 << 16 {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Ends the output (closes the JSON array), flushes and gives the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        self.buf.extend_from_slice(self.encoder.end(self.rows));
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// An output's text held in memory row by row, so that a few rows can be replaced without
/// formatting the others again (`scoreline watch` rescoring a few contacts). Its bytes are
/// always those [`RowWriter`] would write for the same rows.
#[derive(Debug, Clone)]
pub struct RenderedRows {
    encoder: RowEncoder,
    head: Vec<u8>,
    body: Vec<u8>,
    /// Where each row's text ends in `body`.
    ends: Vec<usize>,
}

impl RenderedRows {
    /// An output with no rows yet: in CSV, the header; `meta` is stamped on JSON objects only.
    pub fn new(format: OutputFormat, columns: &[String], meta: Option<&OutputMeta>) -> Self {
        let (encoder, head) = RowEncoder::new(format, columns, meta);
        RenderedRows {
            encoder,
            head,
            body: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Adds a row at the end.
    pub fn push(&mut self, row: &[Value]) {
        self.encoder.encode(self.ends.len(), row, &mut self.body);
        self.ends.push(self.body.len());
    }

    /// How many rows the output holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the output holds no row.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Formats again the rows at `indices` (each below [`len`](Self::len); others are
    /// ignored), with the values `fill(i, row)` puts in an empty `row` for each; the other
    /// rows keep their text.
    pub fn replace(&mut self, indices: &[usize], mut fill: impl FnMut(usize, &mut Vec<Value>)) {
        let mut indices: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|&i| i < self.ends.len())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        if indices.is_empty() {
            return;
        }
        let start = |ends: &[usize], i: usize| if i == 0 { 0 } else { ends[i - 1] };
        let mut body = Vec::with_capacity(self.body.len() + 64 * indices.len());
        let mut ends = Vec::with_capacity(self.ends.len());
        let mut copied = 0;
        let mut row = Vec::with_capacity(self.encoder.width);
        for i in indices {
            // The rows before `i` keep their text, shifted by what the new rows added.
            let from = start(&self.ends, copied);
            let to = start(&self.ends, i);
            let shift = body.len() as isize - from as isize;
            body.extend_from_slice(&self.body[from..to]);
            ends.extend(
                self.ends[copied..i]
                    .iter()
                    .map(|&e| (e as isize + shift) as usize),
            );
            row.clear();
            fill(i, &mut row);
            self.encoder.encode(i, &row, &mut body);
            ends.push(body.len());
            copied = i + 1;
        }
        let from = start(&self.ends, copied);
        let shift = body.len() as isize - from as isize;
        body.extend_from_slice(&self.body[from..]);
        ends.extend(
            self.ends[copied..]
                .iter()
                .map(|&e| (e as isize + shift) as usize),
        );
        self.body = body;
        self.ends = ends;
    }

    /// Writes the whole output.
    pub fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(&self.head)?;
        w.write_all(&self.body)?;
        w.write_all(self.encoder.end(self.ends.len()))?;
        w.flush()
    }
}

/// A table of output values: column names and rows (id, scores, segments, actions…).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl OutputTable {
    /// Writes the table in the given format.
    pub fn write(
        &self,
        w: &mut dyn Write,
        format: OutputFormat,
        meta: Option<&OutputMeta>,
    ) -> io::Result<()> {
        let mut out = RowWriter::new(w, format, &self.columns, meta)?;
        for row in &self.rows {
            out.write_row(row)?;
        }
        out.finish().map(|_| ())
    }

    /// Writes the table as a plain CSV: the header, then the rows.
    pub fn write_csv(&self, w: &mut dyn Write) -> io::Result<()> {
        self.write(w, OutputFormat::Csv, None)
    }

    /// Writes the table as a JSON array of objects (with `meta`, a `ruleset` field on each).
    pub fn write_json(&self, w: &mut dyn Write, meta: Option<&OutputMeta>) -> io::Result<()> {
        self.write(w, OutputFormat::Json, meta)
    }

    /// Writes the table as NDJSON, one object per line (with `meta`, a `ruleset` field).
    pub fn write_ndjson(&self, w: &mut dyn Write, meta: Option<&OutputMeta>) -> io::Result<()> {
        self.write(w, OutputFormat::Ndjson, meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(seed: u64, n: usize) -> Vec<Vec<Value>> {
        let mut x = seed;
        (0..n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let score = (x >> 40) as f64 / 1000.0;
                let label = ["hot", "warm, maybe", "cold \"x\"", ""][(x >> 20) as usize % 4];
                vec![
                    Value::Text(format!("c{i}").into()),
                    Value::Number(score),
                    if label.is_empty() {
                        Value::Missing
                    } else {
                        Value::Text(label.into())
                    },
                ]
            })
            .collect()
    }

    fn written(
        format: OutputFormat,
        columns: &[String],
        meta: &OutputMeta,
        rows: &[Vec<Value>],
    ) -> Vec<u8> {
        let mut w = RowWriter::new(Vec::new(), format, columns, Some(meta)).unwrap();
        for r in rows {
            w.write_row(r).unwrap();
        }
        w.finish().unwrap()
    }

    /// Differential: rendering, then replacing rows again and again, gives the bytes that
    /// writing the current rows from scratch gives, in every format, for first, last, all and
    /// no rows, with texts of other lengths each time.
    #[test]
    fn replaced_rows_read_as_a_fresh_write() {
        let columns: Vec<String> = ["id", "total", "tier"].map(String::from).to_vec();
        let meta = OutputMeta {
            ruleset: "leads".into(),
            version: "abc".into(),
        };
        for format in [OutputFormat::Csv, OutputFormat::Json, OutputFormat::Ndjson] {
            for n in [0, 1, 2, 7, 40] {
                let mut current = rows(1, n);
                let mut rendered = RenderedRows::new(format, &columns, Some(&meta));
                for r in &current {
                    rendered.push(r);
                }
                let every: Vec<usize> = (0..n).collect();
                let rounds = [
                    vec![],
                    vec![0],
                    vec![n.saturating_sub(1)],
                    vec![3, 1, 3, 5],
                    vec![2, 4],
                    vec![3],
                    vec![1, n.saturating_sub(2)],
                    vec![n + 5],
                    every.clone(),
                    vec![0, 6],
                ];
                for (round, changed) in rounds.iter().enumerate() {
                    let new = rows(10 + round as u64, n);
                    for &i in changed {
                        if i < n {
                            current[i] = new[i].clone();
                        }
                    }
                    rendered.replace(changed, |i, row| row.extend_from_slice(&new[i]));
                    let mut bytes = Vec::new();
                    rendered.write_to(&mut bytes).unwrap();
                    assert_eq!(
                        String::from_utf8(bytes).unwrap(),
                        String::from_utf8(written(format, &columns, &meta, &current)).unwrap(),
                        "{format:?}, {n} rows, round {round}: {changed:?} replaced"
                    );
                    assert_eq!(rendered.len(), n);
                }
            }
        }
    }
}
