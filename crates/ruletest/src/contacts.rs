//! A case's contacts as data: written out as a JSON array (one field or event per line) and
//! loaded with the data crate, exactly like real data, so that they are checked against the
//! schema the same way. Each JSON line remembers where in the test file it came from, so
//! that a problem the loader finds points at the test file's line.

use scoreline_syntax::ast::Span;
use serde_yaml::Value as Yaml;

use super::file::{key_text, ContactSpec};

/// JSON text and, for each of its lines, the span of the test file it came from.
pub(crate) struct ContactsJson {
    pub text: String,
    origins: Vec<Span>,
}

impl ContactsJson {
    /// Writes `contacts` as a JSON array; `case` is the span of the case (for the brackets).
    pub(crate) fn new(contacts: &[ContactSpec], case: Span) -> ContactsJson {
        let mut lines: Vec<(String, Span)> = vec![("[".into(), case)];
        let groups: Vec<Vec<(String, Span)>> = contacts.iter().map(contact_lines).collect();
        push_joined(&mut lines, groups);
        lines.push(("]".into(), case));
        let text = lines
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        ContactsJson {
            text,
            origins: lines.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// The test file span that JSON line `line` (1-based) came from.
    pub(crate) fn origin(&self, line: Option<u32>) -> Option<Span> {
        let line = line? as usize;
        self.origins.get(line.checked_sub(1)?).copied()
    }
}

/// Appends groups of lines, with a comma after every group but the last.
fn push_joined(lines: &mut Vec<(String, Span)>, groups: Vec<Vec<(String, Span)>>) {
    let n = groups.len();
    for (g, mut group) in groups.into_iter().enumerate() {
        if g + 1 < n {
            if let Some(last) = group.last_mut() {
                last.0.push(',');
            }
        }
        lines.extend(group);
    }
}

fn contact_lines(c: &ContactSpec) -> Vec<(String, Span)> {
    let mut out = vec![("{".to_string(), c.span)];
    let mut members: Vec<Vec<(String, Span)>> = c
        .fields
        .iter()
        .map(|(k, v, s)| vec![(format!("{}: {}", string(k), json(v)), *s)])
        .collect();
    if let Some((value, key_span, item_spans)) = &c.events {
        let mut group = Vec::new();
        match value {
            Yaml::Sequence(items) => {
                group.push(("\"events\": [".to_string(), *key_span));
                let events: Vec<Vec<(String, Span)>> = items
                    .iter()
                    .enumerate()
                    .map(|(n, e)| {
                        let span = item_spans.get(n).copied().unwrap_or(*key_span);
                        vec![(json(e), span)]
                    })
                    .collect();
                push_joined(&mut group, events);
                group.push(("]".to_string(), *key_span));
            }
            other => group.push((format!("\"events\": {}", json(other)), *key_span)),
        }
        members.push(group);
    }
    push_joined(&mut out, members);
    out.push(("}".to_string(), c.span));
    out
}

/// A YAML value as JSON on one line.
fn json(v: &Yaml) -> String {
    match v {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() => format!("{f:?}"),
                    // JSON has no infinity or NaN: pass them as text, the loader says why.
                    _ => string(&n.to_string()),
                }
            }
        }
        Yaml::String(s) => string(s),
        Yaml::Sequence(items) => {
            let parts: Vec<String> = items.iter().map(json).collect();
            format!("[{}]", parts.join(", "))
        }
        Yaml::Mapping(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", string(&key_text(k)), json(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Yaml::Tagged(t) => json(&t.value),
    }
}

/// A JSON string literal.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: usize) -> Span {
        Span::new(n, n + 1)
    }

    #[test]
    fn one_field_or_event_per_line_with_origins() {
        let contacts = vec![
            ContactSpec {
                id: "c1".into(),
                span: s(10),
                fields: vec![
                    ("id".into(), Yaml::String("c1".into()), s(11)),
                    ("note".into(), Yaml::String("say \"hi\"\n".into()), s(12)),
                    ("n".into(), serde_yaml::from_str("2.5").unwrap(), s(13)),
                ],
                events: Some((
                    serde_yaml::from_str("[{type: a, at: 2026-01-01}, {type: b, at: x}]").unwrap(),
                    s(14),
                    vec![s(15), s(16)],
                )),
            },
            ContactSpec {
                id: "c2".into(),
                span: s(20),
                fields: vec![("id".into(), Yaml::String("c2".into()), s(21))],
                events: None,
            },
        ];
        let j = ContactsJson::new(&contacts, s(1));
        let expected = r#"[
{
"id": "c1",
"note": "say \"hi\"\n",
"n": 2.5,
"events": [
{"type": "a", "at": "2026-01-01"},
{"type": "b", "at": "x"}
]
},
{
"id": "c2"
}
]"#;
        assert_eq!(j.text, expected);
        let parsed: serde_yaml::Value = serde_yaml::from_str(&j.text).unwrap();
        assert_eq!(parsed.as_sequence().map(Vec::len), Some(2));
        assert_eq!(j.origin(Some(4)), Some(s(12)));
        assert_eq!(j.origin(Some(8)), Some(s(16)));
        assert_eq!(j.origin(Some(12)), Some(s(21)));
        assert_eq!(j.origin(Some(99)), None);
    }
}
