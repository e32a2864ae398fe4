//! Writing outputs: atomic file replacement, number formatting, and score tables as CSV,
//! JSON or NDJSON.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::model::Value;

/// Writes a file atomically: the content goes to a temporary file in the same folder, which is
/// flushed, synced and renamed over `path`. On any error the temporary file is removed and
/// `path` is left as it was.
pub fn write_atomic<F>(path: impl AsRef<Path>, write: F) -> io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let path = path.as_ref();
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

/// The ruleset that produced an output: written as a first comment line in CSV
/// (`# ruleset b2b_leads version 3f2a…`) and as a `ruleset` field on each JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputMeta {
    /// The ruleset's name.
    pub ruleset: String,
    /// The ruleset's version (hash).
    pub version: String,
}

/// Writes rows of values one at a time as CSV, JSON or NDJSON.
pub struct RowWriter<W: Write> {
    out: W,
    format: OutputFormat,
    width: usize,
    /// JSON: `"name":` of each column, encoded once.
    keys: Vec<Vec<u8>>,
    /// JSON: `,"ruleset":{…}` encoded once.
    meta: Vec<u8>,
    buf: Vec<u8>,
    rows: usize,
}

impl<W: Write> RowWriter<W> {
    /// Starts an output: in CSV, the comment line (with `meta`) and the header.
    pub fn new(
        out: W,
        format: OutputFormat,
        columns: &[String],
        meta: Option<&OutputMeta>,
    ) -> io::Result<Self> {
        let mut buf = Vec::with_capacity(1 << 16);
        let mut meta_json = Vec::new();
        let mut keys = Vec::new();
        match format {
            OutputFormat::Csv => {
                if let Some(m) = meta {
                    let clean = |s: &str| s.replace(['\n', '\r'], " ");
                    buf.extend_from_slice(
                        format!(
                            "# ruleset {} version {}\n",
                            clean(&m.ruleset),
                            clean(&m.version)
                        )
                        .as_bytes(),
                    );
                }
                for (i, c) in columns.iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    push_csv_text(&mut buf, c);
                }
                buf.push(b'\n');
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
                    buf.push(b'[');
                }
            }
        }
        Ok(RowWriter {
            out,
            format,
            width: columns.len(),
            keys,
            meta: meta_json,
            buf,
            rows: 0,
        })
    }

    /// Writes one row; missing trailing values are written as missing, extra ones ignored.
    pub fn write_row(&mut self, row: &[Value]) -> io::Result<()> {
        const MISSING: Value = Value::Missing;
        let value = |i: usize| row.get(i).unwrap_or(&MISSING);
        let buf = &mut self.buf;
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
                    buf.extend_from_slice(if self.rows == 0 { b"\n" } else { b",\n" });
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
        self.rows += 1;
        if self.buf.len() >= 1 << 16 {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Ends the output (closes the JSON array), flushes and gives the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == OutputFormat::Json {
            self.buf
                .extend_from_slice(if self.rows == 0 { b"]\n" } else { b"\n]\n" });
        }
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
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

    /// Writes the table as CSV (with `meta`, a first `# ruleset … version …` line).
    pub fn write_csv(&self, w: &mut dyn Write, meta: Option<&OutputMeta>) -> io::Result<()> {
        self.write(w, OutputFormat::Csv, meta)
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
