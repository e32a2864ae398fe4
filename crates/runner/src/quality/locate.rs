//! The example line of each finding: the first line of the contact's file (or of the events
//! files) that holds the contact's id and the finding's texts, each as a whole cell value.
//! Only the files with findings are read again, in chunks (never whole in memory), all of a
//! file's lookups in one pass that stops once each has its line.

use std::io::Read;
use std::path::PathBuf;

use super::{Lookup, Report};

/// A line is shown up to this many characters.
const MAX_LINE: usize = 160;
/// Files are searched this many bytes at a time (plus the end of a line cut at the chunk's end).
const CHUNK: usize = 8 << 20;

/// What one attempt at finding a lookup's line searches for.
#[derive(Debug, Clone)]
struct Search {
    /// Texts the line must hold as whole cells, the most selective (the contact's id) first.
    needles: Vec<String>,
    /// A date a cell must start with.
    date: Option<String>,
}

/// Fills in each finding's example line from the data files.
pub fn locate(
    report: &mut Report,
    lookups: &[Lookup],
    ids: &dyn Fn(usize) -> String,
    contacts: &PathBuf,
    events: &[PathBuf],
) {
    // Each lookup's attempts: every text, then the id (and type) alone, then the id alone.
    let attempts: Vec<[Search; 3]> = lookups
        .iter()
        .map(|l| {
            let id = ids(l.contact);
            let mut whole = vec![id.clone()];
            whole.extend(l.event_type.iter().cloned());
            let id_and_type = whole.clone();
            whole.extend(l.needles.iter().cloned());
            [
                Search {
                    needles: whole,
                    date: l.date.clone(),
                },
                Search {
                    needles: id_and_type,
                    date: None,
                },
                Search {
                    needles: vec![id],
                    date: None,
                },
            ]
        })
        .collect();
    let searches_in = |l: &Lookup, file: &PathBuf| {
        if l.event_type.is_some() {
            events.contains(file)
        } else {
            file == contacts
        }
    };
    let mut found: Vec<Option<(String, usize, String)>> = vec![None; lookups.len()];
    let files: Vec<&PathBuf> = std::iter::once(contacts).chain(events).collect();
    for attempt in [0, 1, 2] {
        for file in &files {
            let pending: Vec<(usize, &Search)> = lookups
                .iter()
                .enumerate()
                .filter(|(i, l)| found[*i].is_none() && searches_in(l, file))
                .map(|(i, _)| (i, &attempts[i][attempt]))
                .collect();
            if pending.is_empty() {
                continue;
            }
            for (i, line, text) in scan(file, &pending) {
                found[i] = Some((file.display().to_string(), line, text));
            }
        }
    }
    for (l, hit) in lookups.iter().zip(found) {
        if let (Some((file, line, text)), Some(example)) =
            (hit, report.findings[l.finding].example.as_mut())
        {
            example.file = file;
            example.line = Some(line);
            example.text = Some(shorten(&text));
        }
    }
}

/// Reads `path` in chunks until every search has its first line (or the file ends): for each
/// search found, its index, the 1-based line number and the line.
fn scan(path: &PathBuf, searches: &[(usize, &Search)]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let Ok(mut file) = std::fs::File::open(path) else {
        return out;
    };
    let mut left: Vec<(usize, &Search)> = searches.to_vec();
    let mut buf: Vec<u8> = Vec::new();
    // The line number of the first line in `buf`.
    let mut first_line = 1;
    while !left.is_empty() {
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let n = match file.read(&mut buf[start..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                buf.truncate(start);
                continue;
            }
            Err(_) => 0,
        };
        buf.truncate(start + n);
        let end = n == 0;
        // Whole lines only, unless the file has ended.
        let cut = if end {
            buf.len()
        } else {
            match buf.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None => continue,
            }
        };
        let text = String::from_utf8_lossy(&buf[..cut]);
        left.retain(|(i, search)| {
            let needles: Vec<&str> = search.needles.iter().map(String::as_str).collect();
            match find_line(&text, &needles, search.date.as_deref()) {
                Some((line, content)) => {
                    out.push((*i, first_line + line - 1, content.to_string()));
                    false
                }
                None => true,
            }
        });
        first_line += buf[..cut].iter().filter(|b| **b == b'\n').count();
        buf.drain(..cut);
        if end {
            break;
        }
    }
    out
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
    fn lines_are_counted_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        let mut text = String::from("contact_id,type\n");
        for i in 0..600_000 {
            text.push_str(&format!("c{i},page_view\n"));
        }
        std::fs::write(&path, &text).unwrap();
        assert!(text.len() > super::CHUNK, "the file spans chunks");
        let search = |id: &str| super::Search {
            needles: vec![id.to_string(), "page_view".to_string()],
            date: None,
        };
        let (a, b, c) = (search("c3"), search("c599999"), search("c600000"));
        let mut found = super::scan(&path, &[(0, &a), (1, &b), (2, &c)]);
        found.sort();
        assert_eq!(
            found,
            vec![
                (0, 5, "c3,page_view".to_string()),
                (1, 600_001, "c599999,page_view".to_string())
            ]
        );
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
