//! The example line of each finding: the first line of the contact's file (or of the events
//! files) that holds the contact's id and the finding's texts, each as a whole cell value.
//! Only the files with findings are read again, and only up to the line found.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Lookup, Report};

/// A line is shown up to this many characters.
const MAX_LINE: usize = 160;

/// Fills in each finding's example line from the data files.
pub fn locate(
    report: &mut Report,
    lookups: &[Lookup],
    ids: &dyn Fn(usize) -> String,
    contacts: &PathBuf,
    events: &[PathBuf],
) {
    let mut texts: HashMap<PathBuf, Option<String>> = HashMap::new();
    for l in lookups {
        let id = ids(l.contact);
        let mut whole: Vec<&str> = vec![&id];
        if let Some(t) = &l.event_type {
            whole.push(t);
        }
        whole.extend(l.needles.iter().map(String::as_str));
        let files: Vec<&PathBuf> = if l.event_type.is_some() {
            events.iter().collect()
        } else {
            vec![contacts]
        };
        // Every text, then the id (and type) alone, then the id alone.
        let attempts: Vec<(Vec<&str>, Option<&str>)> = vec![
            (whole.clone(), l.date.as_deref()),
            (
                whole[..whole.len().min(if l.event_type.is_some() { 2 } else { 1 })].to_vec(),
                None,
            ),
            (vec![&id], None),
        ];
        'attempts: for (needles, date) in attempts {
            for file in &files {
                let text = texts
                    .entry((*file).clone())
                    .or_insert_with(|| std::fs::read(file).ok().map(into_text));
                let Some(text) = text else { continue };
                if let Some((line, content)) = find_line(text, &needles, date) {
                    if let Some(example) = report.findings[l.finding].example.as_mut() {
                        example.file = file.display().to_string();
                        example.line = Some(line);
                        example.text = Some(shorten(content));
                    }
                    break 'attempts;
                }
            }
        }
    }
}

/// The first line holding every needle as a whole cell value, and a cell starting with the
/// date: its 1-based number and its text.
pub fn find_line<'t>(
    text: &'t str,
    needles: &[&str],
    date: Option<&str>,
) -> Option<(usize, &'t str)> {
    let first = needles.first()?;
    if first.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(pos) = text[from..].find(first) {
        let at = from + pos;
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = text[start..end].trim_end_matches('\r');
        if needles.iter().all(|n| holds(line, n, true))
            && date.is_none_or(|d| holds(line, d, false))
        {
            let number = text.as_bytes()[..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Some((number, line));
        }
        from = at + first.len().max(1);
        // Go on from the next occurrence on a later line when this line has the first
        // needle but not the others.
        if from >= text.len() {
            break;
        }
    }
    None
}

/// Whether `line` holds `needle` as a cell value (not inside a longer word); with
/// `whole` false, a cell may go on after it (a date followed by its time).
fn holds(line: &str, needle: &str, whole: bool) -> bool {
    let word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '@' | '/' | ':');
    line.match_indices(needle).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + needle.len()..].chars().next();
        let starts = before.is_none_or(|c| !word(c) || needle.starts_with(|n: char| !word(n)));
        let ends = !whole || after.is_none_or(|c| !word(c) || needle.ends_with(|n: char| !word(n)));
        starts && ends
    })
}

/// A file's bytes as text, without a copy when they are UTF-8 (an events file can be large).
fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn shorten(line: &str) -> String {
    if line.chars().count() <= MAX_LINE {
        line.to_string()
    } else {
        let mut s: String = line.chars().take(MAX_LINE).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::find_line;

    #[test]
    fn finds_whole_cells_only() {
        let text = "id,industry\nc10,Software\nc1,software \nc1,Software\n";
        assert_eq!(
            find_line(text, &["c1", "Software"], None),
            Some((4, "c1,Software"))
        );
        assert_eq!(
            find_line(text, &["c1", "software "], None),
            Some((3, "c1,software "))
        );
        assert_eq!(find_line(text, &["c2"], None), None);
    }

    #[test]
    fn a_date_may_go_on_with_its_time() {
        let text = "contact_id,type,at\nc1,page_view,2026-10-01T10:00:00Z\nc1,page_view,2026-11-05T10:00:00Z\n";
        assert_eq!(
            find_line(text, &["c1", "page_view"], Some("2026-11-05")).map(|(n, _)| n),
            Some(3)
        );
    }
}
