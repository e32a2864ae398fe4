//! YAML input, kept behind this one module: serde_yaml is deprecated upstream, and a switch to
//! a maintained fork should touch nothing else.

use crate::record::Datum;

/// Parses a YAML document; on error, the message and the 1-based line and column.
pub(crate) fn parse(text: &[u8]) -> Result<Datum, (String, u32, u32)> {
    let text = match std::str::from_utf8(text) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = crate::json::line_col(text, e.valid_up_to(), 1, 1);
            return Err(("the file is not valid UTF-8 text".into(), line, col));
        }
    };
    if text.trim().is_empty() {
        return Ok(Datum::List(Vec::new()));
    }
    serde_yaml::from_str::<Datum>(text).map_err(|e| {
        let (line, col) = e
            .location()
            .map_or((1, 1), |l| (l.line() as u32, l.column() as u32));
        let msg = e.to_string();
        let msg = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        (format!("invalid YAML: {msg}"), line.max(1), col.max(1))
    })
}

/// The 1-based lines where the items of a top-level block list start (`- ` at column 1).
/// Empty when the list is not written that way (then positions are not known).
pub(crate) fn item_lines(text: &[u8]) -> Vec<u32> {
    let mut lines = Vec::new();
    for (i, line) in text.split(|&c| c == b'\n').enumerate() {
        if line.first() == Some(&b'-') && matches!(line.get(1), None | Some(b' ' | b'\t' | b'\r')) {
            lines.push(i as u32 + 1);
        }
    }
    lines
}

/// The 1-based line and column of key `key` in the item that spans lines `from..to`
/// (1-based, `to` excluded), when written as `key:` at the start of a line (after `- `).
pub(crate) fn key_position(text: &[u8], from: u32, to: u32, key: &str) -> Option<(u32, u32)> {
    for (i, line) in text.split(|&c| c == b'\n').enumerate() {
        let n = i as u32 + 1;
        if n < from {
            continue;
        }
        if n >= to {
            break;
        }
        let line = String::from_utf8_lossy(line);
        let body = line.trim_start_matches([' ', '-', '\t']);
        let indent = line.chars().count() - body.chars().count();
        let unquoted = body
            .strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with(':'));
        let quoted = ["\"", "'"].iter().any(|q| {
            body.strip_prefix(q)
                .and_then(|r| r.strip_prefix(key))
                .and_then(|r| r.strip_prefix(q))
                .is_some_and(|r| r.trim_start().starts_with(':'))
        });
        if unquoted || quoted {
            return Some((n, indent as u32 + 1));
        }
    }
    None
}
