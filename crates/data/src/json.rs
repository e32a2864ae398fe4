//! JSON text: parsing a value into a [`Datum`], and a light scanner that finds where records
//! and keys start, so that problems can point at a line and column.

use crate::record::Datum;

/// Parses one JSON value; on error, the message (without position) and the 1-based line and
/// column of the error within `text`.
pub(crate) fn parse_json(text: &[u8]) -> Result<Datum, (String, u32, u32)> {
    serde_json::from_slice::<Datum>(text).map_err(|e| {
        let msg = e.to_string();
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        // serde_json's words for two common mistakes, in the user's words.
        let msg = match msg.as_str() {
            "expected ident" => "unknown word (texts need double quotes)".to_string(),
            "key must be a string" => "keys need double quotes".to_string(),
            "EOF while parsing an object" => "the text ends before the closing `}`".to_string(),
            "EOF while parsing a list" => "the text ends before the closing `]`".to_string(),
            "EOF while parsing a string" => "a text in quotes is not closed".to_string(),
            "EOF while parsing a value" => "the text ends where a value is expected".to_string(),
            "invalid unicode code point" => "the text is not valid UTF-8".to_string(),
            _ => msg,
        };
        (
            format!("invalid JSON: {msg}"),
            e.line().max(1) as u32,
            e.column().max(1) as u32,
        )
    })
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The offset just after the JSON string that starts at `i` (a `"`).
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The offset just after the JSON value that starts at `i`. Only the structure is checked
/// (brackets and strings); the value itself is validated when it is parsed.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Splits the JSON array that starts at `start` (after blanks) into the byte ranges of its
/// elements; also returns the offset just after the closing `]`. `None` if the structure is
/// broken (the caller then asks the JSON parser for a precise error).
pub(crate) fn split_array(b: &[u8], start: usize) -> Option<(Vec<std::ops::Range<usize>>, usize)> {
    let mut i = skip_ws(b, start);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut elems = Vec::new();
    if b.get(i) == Some(&b']') {
        return Some((elems, i + 1));
    }
    loop {
        let end = skip_value(b, i)?;
        elems.push(i..end);
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return Some((elems, i + 1)),
            _ => return None,
        }
    }
}

/// The offsets of key `key` and of its value in the JSON object `b` (top level keys only).
pub(crate) fn locate_key(b: &[u8], key: &str) -> Option<(usize, usize)> {
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_start = i;
        let key_end = skip_string(b, i)?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let value_start = i;
        if b.get(key_start + 1..key_end - 1) == Some(key.as_bytes()) {
            return Some((key_start, value_start));
        }
        i = skip_ws(b, skip_value(b, i)?);
        if b.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
}

/// The 1-based line and character column of byte `offset` in `text`, given the line and column
/// at which `text` starts.
pub(crate) fn line_col(text: &[u8], offset: usize, line: u32, column: u32) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let newlines = before.iter().filter(|&&c| c == b'\n').count() as u32;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let chars = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u32;
    if newlines == 0 {
        (line, column + chars)
    } else {
        (line + newlines, chars + 1)
    }
}
