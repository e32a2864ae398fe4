//! Where keys and list items are in a test file's text. serde_yaml gives values without
//! positions, so errors about what a value means find their line by scanning the text:
//! block-style YAML (one key per line) is located exactly; inside a flow collection
//! (`{ id: c1, … }`) the key is searched for on the collection's line.

use scoreline_syntax::ast::Span;

/// One step of a path into the document: a mapping key or a list index.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// One line of the text, as far as the structure is concerned.
#[derive(Debug)]
struct Line {
    /// Byte offset of the line in the text.
    start: usize,
    /// Byte offset (in the line) of the first character that is not a space.
    col: usize,
    /// Byte offset (in the line) just past the content (comments and spaces trimmed).
    end: usize,
    /// Whether the line starts a block list item (`- …`).
    dash: bool,
    /// The key written on the line (after the dash, for an item line): its offset in the
    /// line, its length in the text, and its name.
    key: Option<(usize, usize, String)>,
}

/// A part of the document: lines `from..to`, the first of which may start mid-line (after
/// a list item's dash).
#[derive(Debug, Clone, Copy)]
struct Region {
    from: usize,
    to: usize,
    /// Where the node found so far is written (a key, or an item's first line).
    span: Span,
}

/// The structure of a YAML text, for finding where things are written.
pub(crate) struct Outline<'t> {
    text: &'t str,
    lines: Vec<Line>,
}

impl<'t> Outline<'t> {
    /// Scans `text` once.
    pub(crate) fn new(text: &'t str) -> Outline<'t> {
        let mut lines = Vec::new();
        let mut start = 0;
        for raw in text.split_inclusive('\n') {
            let body = raw.trim_end_matches(['\n', '\r']);
            if let Some(line) = scan_line(body, start) {
                lines.push(line);
            }
            start += raw.len();
        }
        Outline { text, lines }
    }

    /// The span of what `path` leads to: a key's name, or a list item's first line. When
    /// the path cannot be followed to the end, the span of the deepest part found.
    pub(crate) fn find(&self, path: &[Step]) -> Span {
        let mut region = Region {
            from: 0,
            to: self.lines.len(),
            span: Span::new(0, 0),
        };
        for step in path {
            let next = match step {
                Step::Key(k) => self.key(region, k),
                Step::Index(n) => self.item(region, *n),
            };
            match next {
                Some(r) => region = r,
                None => {
                    if let Step::Key(k) = step {
                        if let Some(span) = self.inline_key(region, k) {
                            return span;
                        }
                    }
                    return region.span;
                }
            }
        }
        region.span
    }

    /// The span of the value written after the key that `path` leads to, on the key's line
    /// (the key's span when the value is not on that line).
    pub(crate) fn find_value(&self, path: &[Step]) -> Span {
        let key = self.find(path);
        let from = key.end as usize;
        let line_end = self.text[from..]
            .find('\n')
            .map_or(self.text.len(), |e| from + e);
        let rest = &self.text[from..line_end];
        let Some(after) = rest.trim_start().strip_prefix(':') else {
            return key;
        };
        let start = line_end - after.trim_start().len();
        let value = &self.text[start..line_end];
        let len = content_end(value);
        if len == 0 {
            key
        } else {
            Span::new(start, start + len)
        }
    }

    /// The span of the last `name:` key directly in the mapping that `path` leads to (where
    /// a key written twice is written the second time).
    pub(crate) fn find_last_key(&self, path: &[Step], name: &str) -> Option<Span> {
        let mut region = Region {
            from: 0,
            to: self.lines.len(),
            span: Span::new(0, 0),
        };
        for step in path {
            region = match step {
                Step::Key(k) => self.key(region, k)?,
                Step::Index(n) => self.item(region, *n)?,
            };
        }
        self.keys_named(region, name).last().map(|(_, span)| span)
    }

    /// The lines of `region`'s mapping that hold key `name`, with the key's span.
    fn keys_named<'s>(
        &'s self,
        region: Region,
        name: &'s str,
    ) -> impl Iterator<Item = (usize, Span)> + 's {
        let key_col = self
            .lines
            .get(region.from)
            .filter(|_| region.from < region.to)
            .and_then(|l| l.key.as_ref())
            .map(|(c, _, _)| *c);
        (region.from..region.to).filter_map(move |i| {
            let key_col = key_col?;
            let line = &self.lines[i];
            let (col, len, key) = line.key.as_ref()?;
            if *col != key_col || key != name || (line.dash && i != region.from) {
                return None;
            }
            let start = line.start + col;
            Some((i, Span::new(start, start + len)))
        })
    }

    fn key(&self, region: Region, name: &str) -> Option<Region> {
        let (i, span) = self.keys_named(region, name).next()?;
        let key_col = self.lines[i].key.as_ref().map_or(0, |(c, _, _)| *c);
        // The value runs until the next line written at the key's column or left of it
        // (a list may sit at the key's own column: its dashes belong to the value).
        let mut to = i + 1;
        while to < region.to {
            let l = &self.lines[to];
            if l.col < key_col || (l.col == key_col && !l.dash) {
                break;
            }
            to += 1;
        }
        Some(Region {
            from: i + 1,
            to,
            span,
        })
    }

    fn item(&self, region: Region, n: usize) -> Option<Region> {
        let first = self
            .lines
            .get(region.from)
            .filter(|_| region.from < region.to)?;
        if !first.dash {
            return None;
        }
        let dash_col = first.col;
        let items: Vec<usize> = (region.from..region.to)
            .filter(|&i| self.lines[i].dash && self.lines[i].col == dash_col)
            .collect();
        let &i = items.get(n)?;
        let to = items.get(n + 1).copied().unwrap_or(region.to);
        let line = &self.lines[i];
        // The item's content: after the dash and its spaces, to the end of the line.
        let rest = &self.text[line.start + line.col + 1..line.start + line.end];
        let content = line.col + 1 + (rest.len() - rest.trim_start().len());
        let (s, e) = if content < line.end {
            (line.start + content, line.start + line.end)
        } else {
            (line.start + line.col, line.start + line.col + 1)
        };
        Some(Region {
            from: i,
            to,
            span: Span::new(s, e),
        })
    }

    /// `name:` written inside a flow mapping on the line where `region` starts.
    fn inline_key(&self, region: Region, name: &str) -> Option<Span> {
        let line_start = self.line_start_of(region.span.start as usize)?;
        let line_end = self.text[line_start..]
            .find('\n')
            .map_or(self.text.len(), |e| line_start + e);
        let line = &self.text[line_start..line_end];
        let from = region.span.start as usize - line_start;
        let mut search = from;
        while let Some(at) = line[search..].find(name) {
            let at = search + at;
            let before = line[..at].trim_end().chars().last();
            let after = line[at + name.len()..].trim_start();
            if matches!(before, Some('{' | ',')) && after.starts_with(':') {
                let s = line_start + at;
                return Some(Span::new(s, s + name.len()));
            }
            search = at + name.len();
        }
        None
    }

    fn line_start_of(&self, offset: usize) -> Option<usize> {
        if offset > self.text.len() {
            return None;
        }
        Some(self.text[..offset].rfind('\n').map_or(0, |i| i + 1))
    }
}

/// The structure of one line, or `None` for a blank line, a comment or a document marker.
fn scan_line(body: &str, start: usize) -> Option<Line> {
    let content = body.trim_start_matches(' ');
    let col = body.len() - content.len();
    if content.is_empty()
        || content.starts_with('#')
        || (col == 0 && (content.starts_with("---") || content.starts_with("...")))
    {
        return None;
    }
    let end = content_end(body);
    let dash = content == "-" || content.starts_with("- ");
    let key_at = if dash {
        let after = &content[1..];
        col + 1 + (after.len() - after.trim_start().len())
    } else {
        col
    };
    let key = read_key(&body[key_at.min(body.len())..]).map(|(len, name)| (key_at, len, name));
    Some(Line {
        start,
        col,
        end: end.max(col),
        dash,
        key,
    })
}

/// Where a line's content ends: before a ` #` comment (outside quotes) and trailing spaces.
fn content_end(body: &str) -> usize {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in body.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && (prev == ' ' || prev == '\t') => {
                return body[..i].trim_end().len();
            }
            None => {}
        }
        prev = c;
    }
    body.trim_end().len()
}

/// A mapping key at the start of `s` (`name:` or a quoted name): its length as written and
/// its name.
fn read_key(s: &str) -> Option<(usize, String)> {
    let first = s.chars().next()?;
    let (len, name) = if first == '"' || first == '\'' {
        let close = s[1..].find(first)? + 1;
        (close + 1, s[1..close].to_string())
    } else {
        if "{[#&*!|>%@`-".contains(first) {
            return None;
        }
        let bytes = s.as_bytes();
        let mut end = None;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) {
                end = Some(i);
                break;
            }
            if b == b'#' && i > 0 && bytes[i - 1] == b' ' {
                return None;
            }
        }
        let end = end?;
        let name = s[..end].trim_end();
        (name.len(), name.to_string())
    };
    let after = s[len..].trim_start_matches([' ', '\t']);
    let colon_ok = after.starts_with(':')
        && matches!(after.as_bytes().get(1), None | Some(b' ' | b'\t' | b'\r'));
    colon_ok.then_some((len, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# a comment
ruleset: ../leads.score
as_of: 2026-11-01
cases:
  - name: first
    contacts:
      - id: c1
        industry: SaaS   # a comment
        events:
          - { type: demo_request, at: 2026-10-20 }
          - type: page_view
            at: 2026-10-30
      - { id: c2, industry: Retail }
    expect:
      c1:
        fit: 35
        \"tier\": hot
  - name: second
    contacts:
    - id: d1
    expect: { d1: { fit: 1 } }
";

    fn at(span: Span) -> (usize, String) {
        let line = TEXT[..span.start as usize].matches('\n').count() + 1;
        (line, TEXT[span.range()].to_string())
    }

    #[test]
    fn finds_keys_and_items() {
        let o = Outline::new(TEXT);
        use Step::*;
        assert_eq!(at(o.find(&[Key("as_of")])), (3, "as_of".into()));
        assert_eq!(at(o.find_value(&[Key("as_of")])), (3, "2026-11-01".into()));
        assert_eq!(at(o.find_value(&[Key("cases")])), (4, "cases".into()));
        assert_eq!(
            at(o.find(&[Key("cases"), Index(0)])),
            (5, "name: first".into())
        );
        let c1 = [Key("cases"), Index(0), Key("contacts"), Index(0)];
        assert_eq!(at(o.find(&c1)), (7, "id: c1".into()));
        let industry = [
            Key("cases"),
            Index(0),
            Key("contacts"),
            Index(0),
            Key("industry"),
        ];
        assert_eq!(at(o.find(&industry)), (8, "industry".into()));
        let ev = [
            Key("cases"),
            Index(0),
            Key("contacts"),
            Index(0),
            Key("events"),
            Index(1),
        ];
        assert_eq!(at(o.find(&ev)), (11, "type: page_view".into()));
        let c2 = [
            Key("cases"),
            Index(0),
            Key("contacts"),
            Index(1),
            Key("industry"),
        ];
        assert_eq!(at(o.find(&c2)), (13, "industry".into()));
        let tier = [
            Key("cases"),
            Index(0),
            Key("expect"),
            Key("c1"),
            Key("tier"),
        ];
        assert_eq!(at(o.find(&tier)), (17, "\"tier\"".into()));
        // A list at its key's own column, and keys inside flow mappings.
        let d1 = [Key("cases"), Index(1), Key("contacts"), Index(0)];
        assert_eq!(at(o.find(&d1)), (20, "id: d1".into()));
        let e = [Key("cases"), Index(1), Key("expect"), Key("d1")];
        assert_eq!(at(o.find(&e)), (21, "d1".into()));
    }

    #[test]
    fn finds_a_key_written_twice() {
        let text = "a:\n  b: 1\n  c:\n    - x\n  b: 2\n";
        let o = Outline::new(text);
        let span = o.find_last_key(&[Step::Key("a")], "b").unwrap();
        assert_eq!(span.start as usize, text.rfind("b:").unwrap());
    }

    #[test]
    fn stops_at_the_deepest_part_found() {
        let o = Outline::new(TEXT);
        use Step::*;
        let missing = [Key("cases"), Index(0), Key("nothing")];
        assert_eq!(at(o.find(&missing)), (5, "name: first".into()));
        let far = [Key("cases"), Index(7)];
        assert_eq!(at(o.find(&far)), (4, "cases".into()));
    }
}
