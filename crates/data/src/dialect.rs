//! How an export is written: the character between CSV cells, the decimal and thousands
//! separators of numbers in CSV cells, the list separator, and the text encoding of a file.

use std::borrow::Cow;
use std::sync::Arc;

use crate::dates::Dates;

/// The character between CSV cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Comma,
    Semicolon,
    Tab,
}

impl Delimiter {
    /// Every delimiter, in the order detection prefers them on a tie.
    pub const ALL: [Delimiter; 3] = [Delimiter::Comma, Delimiter::Semicolon, Delimiter::Tab];

    /// The byte between cells.
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
        }
    }

    /// How the delimiter is written in `scoreline.yaml` and on the command line: `,`, `;`, `tab`.
    pub fn name(self) -> &'static str {
        match self {
            Delimiter::Comma => ",",
            Delimiter::Semicolon => ";",
            Delimiter::Tab => "tab",
        }
    }

    /// Reads a delimiter setting: `,`, `;`, `tab` (or a tab character), `comma`, `semicolon`.
    pub fn parse(text: &str) -> Result<Delimiter, BadSetting> {
        match text {
            "," | "comma" => Ok(Delimiter::Comma),
            ";" | "semicolon" => Ok(Delimiter::Semicolon),
            "\t" | "tab" | "\\t" => Ok(Delimiter::Tab),
            _ => Err(BadSetting::new(
                format!("`{}` is not a delimiter", shown(text)),
                "use `,`, `;` or `tab`",
            )),
        }
    }

    /// The delimiter of a CSV file, from its header line (the first record, up to the first
    /// line break outside quotes): the candidate (`,` `;` tab) that occurs most often outside
    /// quotes; `,` when none occurs, and on a tie the first of `,` `;` tab.
    pub fn detect(bytes: &[u8]) -> Delimiter {
        let mut counts = [0usize; 3];
        let mut quoted = false;
        for &b in bytes {
            match b {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => break,
                b',' if !quoted => counts[0] += 1,
                b';' if !quoted => counts[1] += 1,
                b'\t' if !quoted => counts[2] += 1,
                _ => {}
            }
        }
        let mut best = 0;
        for i in 1..3 {
            if counts[i] > counts[best] {
                best = i;
            }
        }
        Delimiter::ALL[best]
    }
}

/// The decimal separator of numbers in CSV cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decimal {
    /// `1250.5`
    #[default]
    Dot,
    /// `1250,5`
    Comma,
}

impl Decimal {
    /// Reads a decimal setting: `.` or `,` (also `dot`, `comma`).
    pub fn parse(text: &str) -> Result<Decimal, BadSetting> {
        match text {
            "." | "dot" => Ok(Decimal::Dot),
            "," | "comma" => Ok(Decimal::Comma),
            _ => Err(BadSetting::new(
                format!("`{}` is not a decimal separator", shown(text)),
                "use `.` or `,`",
            )),
        }
    }

    fn byte(self) -> u8 {
        match self {
            Decimal::Dot => b'.',
            Decimal::Comma => b',',
        }
    }
}

/// The thousands separator of numbers in CSV cells (none by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thousands {
    /// `1 250`; a no-break space (U+00A0) or a narrow one (U+202F) is read as a space too.
    Space,
    /// `1.250`
    Dot,
    /// `1,250`
    Comma,
    /// `1'250`
    Apostrophe,
}

impl Thousands {
    /// Reads a thousands setting: `none` (`None`), ` ` or `space`, `.`, `,`, `'`.
    pub fn parse(text: &str) -> Result<Option<Thousands>, BadSetting> {
        match text {
            "none" | "" => Ok(None),
            " " | "space" | "\u{a0}" | "\u{202f}" => Ok(Some(Thousands::Space)),
            "." | "dot" => Ok(Some(Thousands::Dot)),
            "," | "comma" => Ok(Some(Thousands::Comma)),
            "'" | "apostrophe" | "\u{2019}" => Ok(Some(Thousands::Apostrophe)),
            _ => Err(BadSetting::new(
                format!("`{}` is not a thousands separator", shown(text)),
                "use `none`, `space` (or `\" \"`), `.`, `,` or `'`",
            )),
        }
    }

    fn byte(self) -> u8 {
        match self {
            Thousands::Space => b' ',
            Thousands::Dot => b'.',
            Thousands::Comma => b',',
            Thousands::Apostrophe => b'\'',
        }
    }
}

/// The text encoding of a data file (UTF-8 by default).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Encoding(&'static encoding_rs::Encoding);

impl Default for Encoding {
    fn default() -> Self {
        Encoding(encoding_rs::UTF_8)
    }
}

impl std::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Encoding {
    /// Reads an encoding name: `utf-8`, `windows-1252`, `latin-1`, `iso-8859-1`, `utf-16`, or
    /// any other name of the WHATWG Encoding Standard (`windows-1250`, `iso-8859-15`, …), in
    /// any case. As in web browsers, `latin-1` and `iso-8859-1` read as `windows-1252`.
    pub fn parse(text: &str) -> Result<Encoding, BadSetting> {
        let label = text.trim().to_ascii_lowercase();
        let label = match label.strip_prefix("latin-") {
            Some(n) => format!("latin{n}"),
            None => label,
        };
        match encoding_rs::Encoding::for_label(label.as_bytes()) {
            Some(e) if e != encoding_rs::REPLACEMENT => Ok(Encoding(e)),
            _ => Err(BadSetting::new(
                format!("`{}` is not an encoding Scoreline knows", shown(text)),
                "use `utf-8`, `windows-1252` (what Excel and most CRMs save in Western Europe), `latin-1`, `utf-16`, or another standard name such as `windows-1250` or `iso-8859-15`",
            )),
        }
    }

    /// The encoding's standard name (`UTF-8`, `windows-1252`, `UTF-16LE`).
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Whether this is UTF-8 (the bytes are read as they are).
    pub fn is_utf8(&self) -> bool {
        self.0 == encoding_rs::UTF_8
    }

    /// Whether ASCII text (newlines, delimiters, digits) has the same bytes in this encoding
    /// as in UTF-8 (not so in UTF-16).
    pub fn is_ascii_compatible(&self) -> bool {
        self.0.is_ascii_compatible()
    }
}

/// How the CSV files (and, for the encoding, every data file) of a load are written.
///
/// Numbers and lists in JSON, NDJSON and YAML files are not affected: only the encoding
/// applies to them, and the dates to their texts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dialect {
    /// The character between cells; `None`: detected from each file's header line.
    pub delimiter: Option<Delimiter>,
    pub decimal: Decimal,
    /// `None`: numbers have no thousands separator.
    pub thousands: Option<Thousands>,
    pub encoding: Encoding,
    /// What separates the items of a list cell; `None`: `;`, or `|` when `;` is the
    /// delimiter.
    pub list_separator: Option<char>,
    /// `date_formats` and `timezone`; `None`: ISO dates and RFC 3339 only, in UTC. Shared by
    /// every chunk of a file (its formats parsed once).
    pub dates: Option<Arc<Dates>>,
}

impl Dialect {
    /// Whether the settings fit together (the thousands separator is not the decimal one,
    /// the list separator is not the delimiter).
    pub fn check(&self) -> Result<(), BadSetting> {
        if self.thousands.map(Thousands::byte) == Some(self.decimal.byte()) {
            let c = self.decimal.byte() as char;
            return Err(BadSetting::new(
                format!("`{c}` cannot be both the decimal and the thousands separator"),
                "set `thousands` to another separator, or to `none`",
            ));
        }
        if let (Some(d), Some(l)) = (self.delimiter, self.list_separator) {
            if d.byte() as char == l {
                return Err(same_separator(d));
            }
        }
        Ok(())
    }

    /// The way cells are read in a file whose delimiter is `delimiter`.
    pub(crate) fn cells(&self, delimiter: Delimiter) -> Result<Cells, BadSetting> {
        self.check()?;
        let list = match self.list_separator {
            Some(c) if c == delimiter.byte() as char => return Err(same_separator(delimiter)),
            Some(c) => c,
            None if delimiter == Delimiter::Semicolon => '|',
            None => ';',
        };
        Ok(Cells {
            decimal: self.decimal,
            thousands: self.thousands,
            list,
            dates: self.dates.clone(),
        })
    }
}

fn same_separator(d: Delimiter) -> BadSetting {
    BadSetting::new(
        format!(
            "`{}` cannot be both the delimiter and the list separator",
            d.name()
        ),
        "set `list_separator` to another character, such as `|`",
    )
}

/// Reads a list separator setting: one character other than a letter, a digit or a blank.
pub fn parse_list_separator(text: &str) -> Result<char, BadSetting> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_alphanumeric() && !c.is_whitespace() && c != '"' => Ok(c),
        _ => Err(BadSetting::new(
            format!("`{}` is not a list separator", shown(text)),
            "use one character such as `|`, `;` or `,`",
        )),
    }
}

/// A dialect setting that cannot be used, phrased for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSetting {
    pub message: String,
    pub help: String,
}

impl BadSetting {
    pub(crate) fn new(message: String, help: &str) -> Self {
        BadSetting {
            message,
            help: help.to_string(),
        }
    }
}

/// A setting as shown in a message (a tab as `\t`).
fn shown(text: &str) -> String {
    text.replace('\t', "\\t")
}

/// How the cells of one CSV file are read (and, for dates, the texts of other files).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cells {
    pub(crate) decimal: Decimal,
    pub(crate) thousands: Option<Thousands>,
    /// What separates the items of a list cell.
    pub(crate) list: char,
    /// `date_formats` and `timezone`, if set.
    pub(crate) dates: Option<Arc<Dates>>,
}

impl Default for Cells {
    fn default() -> Self {
        Cells {
            decimal: Decimal::Dot,
            thousands: None,
            list: ';',
            dates: None,
        }
    }
}

impl Cells {
    /// Parses a date: ISO and RFC 3339, or the file's `date_formats` in its `timezone`.
    #[inline]
    pub(crate) fn parse_date(&self, text: &[u8]) -> Option<i64> {
        parse_date_with(self.dates.as_deref(), text)
    }

    /// How dates are to be written, for the help line of a date that does not parse.
    pub(crate) fn date_help(&self) -> String {
        date_help(self.dates.as_deref())
    }

    /// Numbers are written as Rust reads them (`1250.5`): no conversion needed.
    pub(crate) fn plain_numbers(&self) -> bool {
        self.decimal == Decimal::Dot && self.thousands.is_none()
    }

    /// Parses a number written with this decimal and thousands separator (`1 250,5`). Strict:
    /// the other decimal separator is not accepted, and a thousands separator is only
    /// accepted between groups of three digits of the whole part.
    pub(crate) fn parse_number(&self, text: &[u8]) -> Option<f64> {
        if self.plain_numbers() {
            return crate::cell::parse_number_bytes(text);
        }
        let t = text.trim_ascii();
        let mut buf = Vec::with_capacity(t.len());
        let decimal = self.decimal.byte();
        let thousands = self.thousands.map(Thousands::byte);
        let space = self.thousands == Some(Thousands::Space);
        let mut i = 0;
        if let Some(&(b'+' | b'-')) = t.first() {
            buf.push(t[0]);
            i = 1;
        }
        // The whole part: digits, maybe in groups of three.
        let mut digits = 0usize;
        let mut grouped = false;
        while i < t.len() {
            let b = t[i];
            let sep_len = if Some(b) == thousands {
                1
            } else if space && t[i..].starts_with("\u{a0}".as_bytes()) {
                2
            } else if space && t[i..].starts_with("\u{202f}".as_bytes()) {
                3
            } else {
                0
            };
            if sep_len > 0 {
                if digits == 0 || digits > 3 || (grouped && digits != 3) {
                    return None;
                }
                grouped = true;
                digits = 0;
                i += sep_len;
            } else if b.is_ascii_digit() {
                buf.push(b);
                digits += 1;
                i += 1;
            } else {
                break;
            }
        }
        if grouped && digits != 3 {
            return None;
        }
        // The fraction and the exponent: digits only.
        if i < t.len() && t[i] == decimal {
            buf.push(b'.');
            i += 1;
            while i < t.len() && t[i].is_ascii_digit() {
                buf.push(t[i]);
                i += 1;
            }
        }
        if i < t.len() && matches!(t[i], b'e' | b'E') {
            buf.push(b'e');
            i += 1;
            if let Some(&(b'+' | b'-')) = t.get(i) {
                buf.push(t[i]);
                i += 1;
            }
            while i < t.len() && t[i].is_ascii_digit() {
                buf.push(t[i]);
                i += 1;
            }
        }
        if i != t.len() {
            return None;
        }
        crate::cell::parse_number_bytes(&buf)
    }

    /// Whether a cell is a number written with a decimal comma, and maybe a space or a dot
    /// between thousands (`12,5`, `1 200,5`, `1.200,5`).
    pub(crate) fn comma_number(text: &[u8]) -> bool {
        [Thousands::Space, Thousands::Dot].into_iter().any(|t| {
            let cells = Cells {
                decimal: Decimal::Comma,
                thousands: Some(t),
                ..Cells::default()
            };
            cells.parse_number(text).is_some()
        })
    }

    /// How numbers are to be written, for the help line of a number that does not parse.
    pub(crate) fn number_help(&self) -> String {
        if self.plain_numbers() {
            return "write numbers with a dot for decimals and no thousands separator, like `1250.5`".into();
        }
        let dec = match self.decimal {
            Decimal::Dot => "a dot",
            Decimal::Comma => "a comma",
        };
        let (group, th) = match self.thousands {
            None => ("", "no thousands separator"),
            Some(Thousands::Space) => (" ", "a space between thousands"),
            Some(Thousands::Dot) => (".", "a dot between thousands"),
            Some(Thousands::Comma) => (",", "a comma between thousands"),
            Some(Thousands::Apostrophe) => ("'", "an apostrophe between thousands"),
        };
        let example = format!("1{group}250{}5", self.decimal.byte() as char);
        format!("write numbers with {dec} for decimals and {th}, like `{example}`, as the data's `decimal` and `thousands` settings say")
    }
}

/// Parses a date: ISO and RFC 3339, or `dates`' formats in its time zone.
#[inline]
pub(crate) fn parse_date_with(dates: Option<&Dates>, text: &[u8]) -> Option<i64> {
    match dates {
        None => crate::cell::parse_date_bytes(text),
        Some(d) => d.parse(text),
    }
}

/// How dates are to be written: ISO, RFC 3339, and the formats tried.
pub(crate) fn date_help(dates: Option<&Dates>) -> String {
    let base = "write dates as `2026-11-01` or `2026-11-01T09:30:00Z` (RFC 3339, with an offset)";
    match dates {
        Some(d) if !d.formats().is_empty() => {
            let tried: Vec<String> = d.formats().iter().map(|f| format!("`{f}`")).collect();
            format!(
                "the formats tried: ISO (`2026-11-01`), RFC 3339 (`2026-11-01T09:30:00Z`), then `date_formats`: {}",
                tried.join(", ")
            )
        }
        _ => format!("{base}, or set `date_formats` (such as `\"%d/%m/%Y\"`) to read other forms"),
    }
}

/// A file's bytes as UTF-8: decoded from `encoding`, or from UTF-16 when the file starts with
/// a UTF-16 byte-order mark. `Err` has the line and column of the first bytes that are not
/// text in that encoding.
pub(crate) fn decode(
    bytes: &[u8],
    encoding: Encoding,
) -> Result<Cow<'_, [u8]>, (String, u32, u32)> {
    let (enc, body) = match encoding_rs::Encoding::for_bom(bytes) {
        Some((e, n)) if e != encoding_rs::UTF_8 => (e, &bytes[n..]),
        // A UTF-8 byte-order mark is skipped when the file's structure is read.
        Some(_) => return Ok(Cow::Borrowed(bytes)),
        None => (encoding.0, bytes),
    };
    if enc == encoding_rs::UTF_8 {
        return Ok(Cow::Borrowed(bytes));
    }
    let (text, had_errors) = enc.decode_without_bom_handling(body);
    if had_errors {
        let at = text.find('\u{fffd}').unwrap_or(0);
        let before = &text[..at];
        let line = before.matches('\n').count() as u32 + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        return Err((
            format!("the file is not valid `{}` text", enc.name()),
            line,
            column,
        ));
    }
    Ok(Cow::Owned(text.into_owned().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(decimal: Decimal, thousands: Option<Thousands>) -> Cells {
        Cells {
            decimal,
            thousands,
            ..Cells::default()
        }
    }

    #[test]
    fn numbers_in_each_dialect() {
        let comma = cells(Decimal::Comma, None);
        assert_eq!(comma.parse_number(b"12,5"), Some(12.5));
        assert_eq!(comma.parse_number(b" -0,25 "), Some(-0.25));
        assert_eq!(comma.parse_number(b"1200"), Some(1200.0));
        assert_eq!(comma.parse_number(b"1,5e3"), Some(1500.0));
        assert_eq!(comma.parse_number(b"12.5"), None);
        assert_eq!(comma.parse_number(b"1 200,5"), None);
        assert_eq!(comma.parse_number(b"12,5,1"), None);
        assert_eq!(comma.parse_number(b","), None);
        assert_eq!(comma.parse_number(b"inf"), None);

        let space = cells(Decimal::Comma, Some(Thousands::Space));
        assert_eq!(space.parse_number(b"1 200,5"), Some(1200.5));
        assert_eq!(space.parse_number(b"1 234 567"), Some(1_234_567.0));
        assert_eq!(space.parse_number("1\u{a0}200,5".as_bytes()), Some(1200.5));
        assert_eq!(space.parse_number("1\u{202f}200".as_bytes()), Some(1200.0));
        assert_eq!(space.parse_number(b"-1 200"), Some(-1200.0));
        assert_eq!(space.parse_number(b"1200,5"), Some(1200.5));
        for bad in [
            "12 00", "1 2000", "1234 567", " 1  200", "1 200 ,5", "1,200 5",
        ] {
            assert_eq!(space.parse_number(bad.as_bytes()), None, "{bad}");
        }

        let dot = cells(Decimal::Comma, Some(Thousands::Dot));
        assert_eq!(dot.parse_number(b"1.200,5"), Some(1200.5));
        assert_eq!(dot.parse_number(b"1.200"), Some(1200.0));
        assert_eq!(dot.parse_number(b"12.5"), None);

        let swiss = cells(Decimal::Dot, Some(Thousands::Apostrophe));
        assert_eq!(swiss.parse_number(b"1'250.5"), Some(1250.5));
        assert_eq!(swiss.parse_number(b"1250,5"), None);

        let us = cells(Decimal::Dot, Some(Thousands::Comma));
        assert_eq!(us.parse_number(b"1,250.5"), Some(1250.5));
        assert_eq!(us.parse_number(b"1,25"), None);
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(Delimiter::detect(b"id,name\n"), Delimiter::Comma);
        assert_eq!(Delimiter::detect(b"id;name;x,y\n"), Delimiter::Semicolon);
        assert_eq!(Delimiter::detect(b"id\tname\n"), Delimiter::Tab);
        assert_eq!(Delimiter::detect(b"id\n1;2;3\n"), Delimiter::Comma);
        assert_eq!(Delimiter::detect(b"\"a;b;c\",d\n"), Delimiter::Comma);
        assert_eq!(Delimiter::detect(b"a;b,c\n"), Delimiter::Comma);
        assert_eq!(Delimiter::detect(b"\"x\ny;z\";w\n"), Delimiter::Semicolon);
        assert_eq!(Delimiter::detect(b""), Delimiter::Comma);
    }

    #[test]
    fn settings() {
        assert_eq!(Delimiter::parse("tab"), Ok(Delimiter::Tab));
        assert!(Delimiter::parse("|").is_err());
        assert_eq!(Thousands::parse("none"), Ok(None));
        assert_eq!(
            Encoding::parse("Latin-1").map(|e| e.name()),
            Ok("windows-1252")
        );
        assert_eq!(
            Encoding::parse("ISO-8859-1").map(|e| e.name()),
            Ok("windows-1252")
        );
        assert_eq!(Encoding::parse("utf-16").map(|e| e.name()), Ok("UTF-16LE"));
        assert!(Encoding::parse("klingon").is_err());
        assert!(Encoding::parse("iso-2022-kr").is_err());
        let d = Dialect {
            decimal: Decimal::Comma,
            thousands: Some(Thousands::Comma),
            ..Dialect::default()
        };
        assert!(d.check().is_err());
        assert_eq!(parse_list_separator("|"), Ok('|'));
        assert!(parse_list_separator("ab").is_err());
    }

    #[test]
    fn decoding() {
        assert_eq!(
            decode(b"caf\xe9", Encoding::parse("windows-1252").unwrap()).unwrap(),
            "café".as_bytes()
        );
        assert!(matches!(
            decode(b"caf\xe9", Encoding::default()).unwrap(),
            Cow::Borrowed(_)
        ));
        // A UTF-16 byte-order mark wins over the setting.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a;é\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(
            decode(&utf16, Encoding::default()).unwrap(),
            "a;é\n".as_bytes()
        );
        let bad = [0xFF, 0xFE, b'a', 0, b'\n', 0, 0x00, 0xD8];
        assert_eq!(
            decode(&bad, Encoding::default()).unwrap_err(),
            ("the file is not valid `UTF-16LE` text".into(), 2, 1)
        );
    }
}
