//! Reading one value: text cells (CSV, JSON strings) and structured values ([`Datum`]s of
//! JSON, YAML or records given as values) into [`Value`]s of a given type, and per-column type
//! inference.

use std::sync::Arc;

use crate::dialect::Cells;
use crate::fxhash::FxHashSet;
use crate::model::{FieldType, Value};
use crate::record::Datum;

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// Parses a number: a finite decimal such as `12`, `-3.5` or `1e3` (surrounding blanks allowed).
pub fn parse_number(text: &str) -> Option<f64> {
    parse_number_bytes(text.as_bytes())
}

pub(crate) fn parse_number_bytes(text: &[u8]) -> Option<f64> {
    let t = text.trim_ascii();
    // `f64::from_str` also accepts `inf` and `NaN`: only digits, signs, dots and exponents here.
    let first = *t.first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    let s = std::str::from_utf8(t).ok()?;
    let n: f64 = s.parse().ok()?;
    n.is_finite().then_some(n)
}

/// Parses a boolean: `true`/`false`, `yes`/`no` (any case) or `1`/`0`.
pub fn parse_bool(text: &str) -> Option<bool> {
    parse_bool_bytes(text.as_bytes())
}

pub(crate) fn parse_bool_bytes(text: &[u8]) -> Option<bool> {
    let t = text.trim_ascii();
    if t.eq_ignore_ascii_case(b"true") || t.eq_ignore_ascii_case(b"yes") || t == b"1" {
        Some(true)
    } else if t.eq_ignore_ascii_case(b"false") || t.eq_ignore_ascii_case(b"no") || t == b"0" {
        Some(false)
    } else {
        None
    }
}

/// Whether a text is `true` or `false` (any case): what type inference calls a boolean.
fn is_true_false(t: &[u8]) -> bool {
    t.eq_ignore_ascii_case(b"true") || t.eq_ignore_ascii_case(b"false")
}

/// Parses a date: `YYYY-MM-DD` (00:00 UTC) or an RFC 3339 instant with an offset; returns
/// milliseconds since 1970-01-01T00:00:00Z.
pub fn parse_date(text: &str) -> Option<i64> {
    parse_date_bytes(text.as_bytes())
}

pub(crate) fn parse_date_bytes(text: &[u8]) -> Option<i64> {
    let t = text.trim_ascii();
    if t.len() < 10 {
        return None;
    }
    let days = ymd(&t[..10]);
    if t.len() == 10 {
        return days.map(|d| d * DAY_MS);
    }
    // Fast path: `YYYY-MM-DDTHH:MM:SSZ`.
    if t.len() == 20 && matches!(t[10], b'T' | b't') && matches!(t[19], b'Z' | b'z') {
        if let (Some(d), Some(secs)) = (days, hms(&t[11..19])) {
            return Some(d * DAY_MS + secs * 1000);
        }
    }
    let s = std::str::from_utf8(t).ok()?;
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp_millis())
}

fn two(b: &[u8]) -> Option<u32> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// `YYYY-MM-DD` → days since the epoch, for a valid calendar date.
fn ymd(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = i64::from(two(&b[0..2])? * 100 + two(&b[2..4])?);
    let m = two(&b[5..7])?;
    let d = two(&b[8..10])?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `HH:MM:SS` → seconds in the day (no leap seconds on the fast path).
fn hms(b: &[u8]) -> Option<i64> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (two(&b[0..2])?, two(&b[3..5])?, two(&b[6..8])?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(i64::from(h * 3600 + m * 60 + s))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC: `2026-11-01T00:00:00Z`
/// (with `.mmm` only when there are milliseconds).
pub fn format_date(ms: i64) -> String {
    let mut out = String::with_capacity(24);
    push_date(&mut out, ms);
    out
}

pub(crate) fn push_date(out: &mut String, ms: i64) {
    use std::fmt::Write;
    let days = ms.div_euclid(DAY_MS);
    let rem = ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let secs = rem / 1000;
    let millis = rem % 1000;
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if millis != 0 {
        let _ = write!(out, ".{millis:03}");
    }
    out.push('Z');
}

/// The help line for text that is not UTF-8: most such files come from Excel or a CRM.
pub(crate) const NOT_UTF8_HELP: &str = "the file is not UTF-8: if Excel or a CRM saved it, set `encoding: windows-1252` (or pass `--encoding windows-1252`), or save it as UTF-8";

/// The help line for a syntax error's message, when there is one to give.
pub(crate) fn syntax_help(message: &str) -> Option<String> {
    message
        .contains("not valid UTF-8")
        .then(|| NOT_UTF8_HELP.to_string())
}

/// Why a value could not be read as the expected type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bad {
    /// A text that does not parse (the text, trimmed).
    Text(String),
    /// A JSON/YAML value of the wrong shape: "a list", "an object", "`true`", "`12`".
    Shape(String),
    /// Bytes that are not UTF-8.
    Utf8,
}

impl Bad {
    /// The problem's message for a field of the given type, read as `cells` says.
    pub(crate) fn message(
        &self,
        field: &str,
        ty: FieldType,
        cells: &Cells,
    ) -> (String, Option<String>) {
        let found = match self {
            Bad::Text(t) => format!("`{}`", shorten(t)),
            Bad::Shape(s) => s.clone(),
            Bad::Utf8 => {
                return (
                    format!("field `{field}` is not valid UTF-8 text"),
                    Some(NOT_UTF8_HELP.into()),
                )
            }
        };
        let number_help;
        let (noun, help) = match ty {
            FieldType::Number => {
                number_help = cells.number_help();
                ("a number", number_help.as_str())
            }
            FieldType::Date => {
                number_help = cells.date_help();
                ("a date", number_help.as_str())
            }
            FieldType::Bool => ("true or false", "write `true` or `false`"),
            FieldType::Text => ("text", "write a plain value, not a list or an object"),
            FieldType::List => (
                "a list of texts",
                "write a list of texts, like `[\"a\", \"b\"]`",
            ),
        };
        (
            format!("field `{field}`: {found} is not {noun}"),
            Some(help.to_string()),
        )
    }
}

/// Cuts a value shown in a message to a readable length.
pub(crate) fn shorten(t: &str) -> String {
    const MAX: usize = 40;
    if t.chars().count() <= MAX {
        t.to_string()
    } else {
        let cut: String = t.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Shares the `Arc<str>` of texts that repeat (industries, countries, URLs), up to a bound.
#[derive(Default)]
pub(crate) struct Interner {
    set: FxHashSet<Arc<str>>,
}

impl Interner {
    /// The most distinct texts kept per interner; later new texts are allocated, not kept.
    const CAP: usize = 4096;

    pub(crate) fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.set.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        if self.set.len() < Self::CAP {
            self.set.insert(a.clone());
        }
        a
    }
}

fn utf8(b: &[u8]) -> Result<&str, Bad> {
    std::str::from_utf8(b).map_err(|_| Bad::Utf8)
}

/// Reads a text cell as a value of type `ty`, numbers and lists written as `cells` says. A
/// blank cell is missing, or the empty list for a list. Texts are trimmed of surrounding
/// blanks.
pub(crate) fn text_value(
    cell: &[u8],
    ty: FieldType,
    interner: Option<&mut Interner>,
    cells: &Cells,
) -> Result<Value, Bad> {
    let t = cell.trim_ascii();
    if t.is_empty() {
        return Ok(if ty == FieldType::List {
            Value::List(Arc::from(Vec::new()))
        } else {
            Value::Missing
        });
    }
    let bad = || Bad::Text(String::from_utf8_lossy(t).into_owned());
    match ty {
        FieldType::Text => {
            let s = utf8(t)?;
            Ok(Value::Text(match interner {
                Some(i) => i.get(s),
                None => Arc::from(s),
            }))
        }
        FieldType::Number => cells.parse_number(t).map(Value::Number).ok_or_else(bad),
        FieldType::Date => cells.parse_date(t).map(Value::Date).ok_or_else(bad),
        FieldType::Bool => parse_bool_bytes(t).map(Value::Bool).ok_or_else(bad),
        FieldType::List => {
            let s = utf8(t)?;
            let items: Vec<Arc<str>> = s
                .split(cells.list)
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(Arc::from)
                .collect();
            Ok(Value::List(Arc::from(items)))
        }
    }
}

/// Reads a text as the loader reads a CSV cell of a field of type `ty` in the default dialect
/// (trimmed; blank is missing, or the empty list; lists split at `;`); `None` when it is not
/// a value of that type. For readers of typed columns (Arrow) that must agree with files.
pub fn text_cell(cell: &str, ty: FieldType) -> Option<Value> {
    text_value(cell.as_bytes(), ty, None, &Cells::default()).ok()
}

/// One value as a decoder hands it to a converter: a CSV cell, or a value of a structured
/// record. (A CSV reader only ever makes `Text` cells: once the converter is monomorphised for
/// it, the match below is decided at compile time.)
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    /// A CSV cell: text, numbers and lists written as the file's dialect says.
    Text(&'a [u8]),
    /// A value of a JSON/YAML record, or of a record given as values.
    Datum(&'a Datum),
}

impl Cell<'_> {
    /// Reads the cell as a value of type `ty` (see [`text_value`] and [`datum_value`]).
    #[inline]
    pub(crate) fn value(
        self,
        ty: FieldType,
        interner: Option<&mut Interner>,
        cells: &Cells,
    ) -> Result<Value, Bad> {
        match self {
            Cell::Text(t) => text_value(t, ty, interner, cells),
            Cell::Datum(d) => datum_value(d, ty, interner, cells.dates.as_deref()),
        }
    }
}

/// The text of a scalar, as written (`12`, `1.5`, `true`; a date in RFC 3339).
pub(crate) fn scalar_text(d: &Datum) -> Option<String> {
    match d {
        Datum::Int(i) => Some(i.to_string()),
        Datum::Number(n) => Some(n.to_string()),
        Datum::Bool(b) => Some(b.to_string()),
        Datum::Text(s) => Some(s.clone()),
        Datum::Date(ms) => Some(format_date(*ms)),
        Datum::Null | Datum::List(_) | Datum::Record(_) => None,
    }
}

/// Reads a structured value as a value of type `ty`. Null is missing; texts are read like
/// CSV cells (in the default dialect); numbers, booleans and dates are accepted as texts.
pub(crate) fn datum_value(
    d: &Datum,
    ty: FieldType,
    interner: Option<&mut Interner>,
    dates: Option<&crate::dates::Dates>,
) -> Result<Value, Bad> {
    match (d, ty) {
        (Datum::Null, _) => Ok(Value::Missing),
        (Datum::Text(s), FieldType::Date) if dates.is_some() => {
            let t = s.as_bytes().trim_ascii();
            if t.is_empty() {
                return Ok(Value::Missing);
            }
            crate::dialect::parse_date_with(dates, t)
                .map(Value::Date)
                .ok_or_else(|| Bad::Text(String::from_utf8_lossy(t).into_owned()))
        }
        (Datum::Text(s), _) => text_value(s.as_bytes(), ty, interner, &Cells::default()),
        (Datum::Int(i), FieldType::Number) => Ok(Value::Number(*i as f64)),
        (Datum::Number(n), FieldType::Number) if n.is_finite() => Ok(Value::Number(*n)),
        (Datum::Bool(b), FieldType::Bool) => Ok(Value::Bool(*b)),
        (Datum::Date(ms), FieldType::Date) => Ok(Value::Date(*ms)),
        (Datum::Int(_) | Datum::Number(_) | Datum::Bool(_) | Datum::Date(_), FieldType::Text) => {
            Ok(Value::Text(Arc::from(scalar_text(d).unwrap_or_default())))
        }
        (Datum::Int(_) | Datum::Number(_) | Datum::Bool(_) | Datum::Date(_), FieldType::List) => {
            Ok(Value::List(Arc::from(vec![Arc::from(
                scalar_text(d).unwrap_or_default(),
            )])))
        }
        (Datum::List(items), FieldType::List) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Datum::Null => {}
                    Datum::List(_) => return Err(Bad::Shape("a list inside a list".into())),
                    Datum::Record(_) => return Err(Bad::Shape("an object inside a list".into())),
                    _ => out.push(Arc::from(scalar_text(item).unwrap_or_default())),
                }
            }
            Ok(Value::List(Arc::from(out)))
        }
        (Datum::List(_), _) => Err(Bad::Shape("a list".into())),
        (Datum::Record(_), _) => Err(Bad::Shape("an object".into())),
        (Datum::Int(_) | Datum::Number(_) | Datum::Bool(_) | Datum::Date(_), _) => {
            Err(Bad::Text(scalar_text(d).unwrap_or_default()))
        }
    }
}

/// What the values seen so far in one column allow its type to be.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Infer {
    /// How many records had a value (not missing).
    pub(crate) seen: u64,
    number: bool,
    date: bool,
    boolean: bool,
    list: bool,
    /// Every value so far is a number if written with a decimal comma (`12,5`, `1 200,5`),
    /// in a CSV file read with a decimal dot: a hint that `decimal: ","` is missing.
    comma_numbers: bool,
}

impl Default for Infer {
    fn default() -> Self {
        Infer {
            seen: 0,
            number: true,
            date: true,
            boolean: true,
            list: false,
            comma_numbers: true,
        }
    }
}

impl Infer {
    /// Takes a text cell into account, numbers written as `cells` says.
    pub(crate) fn text(&mut self, cell: &[u8], cells: &Cells) {
        let t = cell.trim_ascii();
        if t.is_empty() {
            return;
        }
        self.seen += 1;
        let number = (self.number || self.comma_numbers) && cells.parse_number(t).is_some();
        if self.number && !number {
            self.number = false;
        }
        if self.comma_numbers {
            self.comma_numbers = cells.plain_numbers()
                && if number {
                    !t.contains(&b'.')
                } else {
                    Cells::comma_number(t)
                };
        }
        if self.date && cells.parse_date(t).is_none() {
            self.date = false;
        }
        if self.boolean && !is_true_false(t) {
            self.boolean = false;
        }
    }

    /// Takes a structured value into account.
    pub(crate) fn datum(&mut self, d: &Datum) {
        if !matches!(d, Datum::Null | Datum::Text(_)) {
            self.comma_numbers = false;
        }
        match d {
            Datum::Null => {}
            Datum::Text(s) => {
                self.text(s.as_bytes(), &Cells::default());
                // The decimal setting does not apply to JSON and YAML.
                self.comma_numbers = false;
            }
            Datum::Bool(_) => {
                self.seen += 1;
                self.number = false;
                self.date = false;
            }
            Datum::Int(_) | Datum::Number(_) => {
                self.seen += 1;
                self.date = false;
                self.boolean = false;
            }
            Datum::Date(_) => {
                self.seen += 1;
                self.number = false;
                self.boolean = false;
            }
            Datum::List(_) => {
                self.seen += 1;
                self.list = true;
            }
            Datum::Record(_) => {
                self.seen += 1;
                self.number = false;
                self.date = false;
                self.boolean = false;
            }
        }
    }

    /// Combines what two parts of the data allow.
    pub(crate) fn merge(&mut self, other: &Infer) {
        self.seen += other.seen;
        self.number &= other.number;
        self.date &= other.date;
        self.boolean &= other.boolean;
        self.list |= other.list;
        self.comma_numbers &= other.comma_numbers;
    }

    /// Whether the column is read as text although its values look like numbers written
    /// with a decimal comma (the `decimal` setting is probably missing).
    pub(crate) fn looks_like_comma_numbers(&self) -> bool {
        self.comma_numbers && self.seen > 0 && self.ty() == FieldType::Text
    }

    /// The inferred type: list if any value is a list; else number, date, bool, text, in that
    /// order, the first that every value fits. A column without any value is text.
    pub(crate) fn ty(&self) -> FieldType {
        if self.list {
            FieldType::List
        } else if self.seen == 0 {
            FieldType::Text
        } else if self.number {
            FieldType::Number
        } else if self.date {
            FieldType::Date
        } else if self.boolean {
            FieldType::Bool
        } else {
            FieldType::Text
        }
    }
}
