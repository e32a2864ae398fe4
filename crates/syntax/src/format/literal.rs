//! Literals in canonical form: numbers, durations, dates and strings.
//!
//! Numbers are read back from the author's text (through the span) so that digit groups can
//! be kept; whenever that text is not what we expect, the value itself is printed instead,
//! so the output always means exactly what the input meant.

use crate::ast::{DateLit, DurationLit, DurationUnit, Span};

/// The source text under `span`, or `""` when the span does not fit the text.
fn slice(src: &str, span: Span) -> &str {
    src.get(span.range()).unwrap_or("")
}

/// `text` (digits, `_` groups, at most one `.`) in normal form: no leading zeros, no trailing
/// fractional zeros, `_` groups of three where the author used `_`. `None` when `text` is not
/// such a number.
pub(crate) fn normalize_digits(text: &str) -> Option<String> {
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) => (int, frac),
        None => (text, ""),
    };
    let valid = |part: &str| part.chars().all(|c| c.is_ascii_digit() || c == '_');
    if !valid(int) || !valid(frac) || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let int_digits: String = int.chars().filter(char::is_ascii_digit).collect();
    let int_digits = match int_digits.trim_start_matches('0') {
        "" => "0",
        trimmed => trimmed,
    };
    let frac_digits: String = frac.chars().filter(char::is_ascii_digit).collect();
    let frac_digits = frac_digits.trim_end_matches('0');

    let mut out = if int.contains('_') {
        group_from_right(int_digits)
    } else {
        int_digits.to_string()
    };
    if !frac_digits.is_empty() {
        out.push('.');
        if frac.contains('_') {
            out.push_str(&group_from_left(frac_digits));
        } else {
            out.push_str(frac_digits);
        }
    }
    Some(out)
}

/// `1234567` → `1_234_567` (`digits` is ASCII).
fn group_from_right(digits: &str) -> String {
    let lead = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        n => n,
    };
    let mut groups = vec![&digits[..lead]];
    groups.extend(digits.as_bytes()[lead..].chunks(3).map(ascii));
    groups.join("_")
}

/// `1234567` → `123_456_7` (fractional digits group from the point; `digits` is ASCII).
fn group_from_left(digits: &str) -> String {
    let groups: Vec<&str> = digits.as_bytes().chunks(3).map(ascii).collect();
    groups.join("_")
}

fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

/// The value of normalised digits, `_` ignored.
fn value_of(digits: &str) -> Option<f64> {
    digits.replace('_', "").parse().ok()
}

/// An unsigned number literal written as `text`, known to be `value`.
fn unsigned(text: &str, value: f64) -> String {
    match normalize_digits(text.trim()) {
        Some(norm) if value_of(&norm) == Some(value) => norm,
        // Rust prints every finite f64 without an exponent, which the grammar reads back.
        _ => format!("{value}"),
    }
}

/// A number literal (no sign: a minus is a separate unary operator).
pub(crate) fn number(src: &str, span: Span, value: f64) -> String {
    unsigned(slice(src, span), value)
}

/// A signed constant (`clamp -10..10`, `max 30`): a minus when negative, never a plus.
pub(crate) fn signed(src: &str, span: Span, value: f64) -> String {
    let text = slice(src, span).trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    match normalize_digits(rest.trim()) {
        Some(norm)
            if value_of(&norm) == Some(value.abs()) && negative == value.is_sign_negative() =>
        {
            if negative {
                format!("-{norm}")
            } else {
                norm
            }
        }
        _ => format!("{value}"),
    }
}

/// A duration: its number in normal form, then `d` or `h` (`30.0d` → `30d`).
pub(crate) fn duration(src: &str, lit: &DurationLit) -> String {
    let unit = match lit.unit {
        DurationUnit::Days => 'd',
        DurationUnit::Hours => 'h',
    };
    let text = slice(src, lit.span).trim();
    let amount = text
        .strip_suffix(unit)
        .map(|digits| unsigned(digits, lit.amount))
        .unwrap_or_else(|| format!("{}", lit.amount));
    format!("{amount}{unit}")
}

/// A date as the author wrote it; rebuilt from its value if the text is not a date.
pub(crate) fn date(src: &str, lit: &DateLit) -> String {
    let text = slice(src, lit.span).trim();
    let looks_like_date = text.len() >= 10
        && text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && !text.contains(char::is_whitespace);
    if looks_like_date {
        return text.to_string();
    }
    match chrono::DateTime::from_timestamp_millis(lit.millis) {
        Some(t) if lit.has_time => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        Some(t) => t.format("%Y-%m-%d").to_string(),
        None => text.to_string(),
    }
}

/// A string literal with canonical escapes: `\"`, `\\`, `\n`, `\t`, other control
/// characters as `\u{…}`; everything else as itself.
pub(crate) fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_redundant_zeros() {
        assert_eq!(normalize_digits("010").as_deref(), Some("10"));
        assert_eq!(normalize_digits("1.50").as_deref(), Some("1.5"));
        assert_eq!(normalize_digits("2.0").as_deref(), Some("2"));
        assert_eq!(normalize_digits("000").as_deref(), Some("0"));
        assert_eq!(normalize_digits("0.050").as_deref(), Some("0.05"));
        assert_eq!(normalize_digits("12").as_deref(), Some("12"));
    }

    #[test]
    fn digit_groups_are_kept_in_threes() {
        assert_eq!(normalize_digits("1_000").as_deref(), Some("1_000"));
        assert_eq!(normalize_digits("10_00_000").as_deref(), Some("1_000_000"));
        assert_eq!(normalize_digits("1000000").as_deref(), Some("1000000"));
        assert_eq!(normalize_digits("0_100").as_deref(), Some("100"));
        assert_eq!(normalize_digits("1_0.123_4").as_deref(), Some("10.123_4"));
        assert_eq!(normalize_digits("1_234.5").as_deref(), Some("1_234.5"));
    }

    #[test]
    fn non_numbers_are_refused() {
        assert_eq!(normalize_digits("1e5"), None);
        assert_eq!(normalize_digits("-1"), None);
        assert_eq!(normalize_digits(""), None);
        assert_eq!(normalize_digits("_"), None);
    }

    #[test]
    fn a_mismatched_span_falls_back_to_the_value() {
        let src = "abc";
        assert_eq!(number(src, Span::new(0, 3), 2.5), "2.5");
        assert_eq!(signed(src, Span::new(0, 3), -4.0), "-4");
        assert_eq!(signed("- 007", Span::new(0, 5), -7.0), "-7");
        assert_eq!(signed("+5", Span::new(0, 2), 5.0), "5");
    }

    #[test]
    fn durations_are_normalised() {
        let lit = |text: &str, amount, unit| DurationLit {
            amount,
            unit,
            span: Span::new(0, text.len()),
        };
        assert_eq!(
            duration("30.0d", &lit("30.0d", 30.0, DurationUnit::Days)),
            "30d"
        );
        assert_eq!(
            duration("012h", &lit("012h", 12.0, DurationUnit::Hours)),
            "12h"
        );
        assert_eq!(
            duration("0.50d", &lit("0.50d", 0.5, DurationUnit::Days)),
            "0.5d"
        );
    }

    #[test]
    fn strings_are_escaped_canonically() {
        assert_eq!(string("a\"b\\c\nd\te"), r#""a\"b\\c\nd\te""#);
        assert_eq!(string("é\u{1b}"), "\"é\\u{1b}\"");
    }
}
