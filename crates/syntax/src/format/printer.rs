//! Output lines and the comments that go with them.
//!
//! Every output line stands for a range of the source. Comments are emitted in source order:
//! one that starts before a line's range goes on its own line before it, at the line's
//! indentation (so do comments inside the range, which a one-line layout has no room for);
//! one that follows the range's end on the same source line stays at the end of the line.

use crate::ast::Comment;

const INDENT: &str = "  ";

/// Builds the formatted text line by line, placing comments as it goes.
pub(crate) struct Printer<'a> {
    src: &'a str,
    comments: Vec<&'a Comment>,
    next: usize,
    out: String,
    /// Where the last thing printed ended in the source, to see the author's blank lines.
    last_end: usize,
    /// Nothing printed yet in the current block (or file): no blank line goes here.
    fresh: bool,
}

impl<'a> Printer<'a> {
    /// A printer for `src` and its comments.
    pub(crate) fn new(src: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        let mut comments: Vec<&Comment> = comments.iter().collect();
        comments.sort_by_key(|c| c.span.start);
        Printer {
            src,
            comments,
            next: 0,
            out: String::new(),
            last_end: 0,
            fresh: true,
        }
    }

    /// Whether any comment starts inside `start..end`.
    pub(crate) fn has_comment_in(&self, start: usize, end: usize) -> bool {
        let rest = &self.comments[self.next..];
        let first = rest.partition_point(|c| (c.span.start as usize) < start);
        rest.get(first)
            .is_some_and(|c| (c.span.start as usize) < end)
    }

    /// The offset of the last `bracket` before `end` (a block's closing bracket).
    pub(crate) fn closing(&self, bracket: char, end: usize) -> usize {
        let end = end.min(self.src.len());
        self.src
            .get(..end)
            .and_then(|s| s.rfind(bracket))
            .unwrap_or(end.saturating_sub(1))
    }

    /// Starts a new top-level item: one blank line after whatever came before.
    pub(crate) fn item_gap(&mut self) {
        self.blank();
    }

    /// A line of code standing for the source range `start..end`.
    pub(crate) fn line(&mut self, depth: usize, text: &str, start: usize, end: usize) {
        self.comments_before(start, depth);
        self.author_blank(start);
        // Comments inside the range: the one-line layout has no room for them.
        while let Some(c) = self.peek() {
            if c.span.start as usize >= end {
                break;
            }
            self.comment_line(depth, c);
        }
        self.indent(depth);
        self.out.push_str(text);
        self.trailing(end);
        self.out.push('\n');
        self.last_end = self.last_end.max(end);
        self.fresh = false;
    }

    /// The first line of a block (`text` ends with its opening bracket), for the source range
    /// `start..header_end`.
    pub(crate) fn open(&mut self, depth: usize, text: &str, start: usize, header_end: usize) {
        self.line(depth, text, start, header_end);
        self.fresh = true;
    }

    /// The last line of a block: the comments left inside it, then `bracket` (`}` or `]`),
    /// which is at offset `at` in the source.
    pub(crate) fn close(&mut self, depth: usize, bracket: char, at: usize) {
        self.comments_before(at, depth + 1);
        self.indent(depth);
        self.out.push(bracket);
        self.trailing(at + 1);
        self.out.push('\n');
        self.last_end = self.last_end.max(at + 1);
        self.fresh = false;
    }

    /// The formatted text, with the comments after the last item.
    pub(crate) fn finish(mut self) -> String {
        self.comments_before(usize::MAX, 0);
        self.out
    }

    fn peek(&self) -> Option<&'a Comment> {
        self.comments.get(self.next).copied()
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
    }

    /// Own-line comments for those that start before `pos`, keeping the author's blank lines.
    fn comments_before(&mut self, pos: usize, depth: usize) {
        while let Some(c) = self.peek() {
            if c.span.start as usize >= pos {
                break;
            }
            self.author_blank(c.span.start as usize);
            self.comment_line(depth, c);
        }
    }

    fn comment_line(&mut self, depth: usize, c: &'a Comment) {
        self.indent(depth);
        self.out.push_str(self.comment_text(c));
        self.out.push('\n');
        self.next += 1;
        self.last_end = self.last_end.max(c.span.end as usize);
        self.fresh = false;
    }

    fn comment_text(&self, c: &'a Comment) -> &'a str {
        self.src
            .get(c.span.range())
            .filter(|t| t.starts_with('#'))
            .unwrap_or(&c.text)
            .trim_end()
    }

    /// Appends the next comment when it is on the same source line as `end`, with only
    /// spaces, brackets and commas between.
    fn trailing(&mut self, end: usize) {
        let Some(c) = self.peek() else { return };
        let start = c.span.start as usize;
        let Some(between) = self.src.get(end.min(start)..start) else {
            return;
        };
        if start >= end && between.chars().all(|ch| " \t{}[],".contains(ch)) {
            self.out.push(' ');
            self.out.push_str(self.comment_text(c));
            self.next += 1;
            self.last_end = self.last_end.max(c.span.end as usize);
        }
    }

    /// One blank line before what starts at `pos` when the author left one (or more) there.
    fn author_blank(&mut self, pos: usize) {
        if self.fresh || pos <= self.last_end {
            return;
        }
        let gap = self.src.get(self.last_end..pos).unwrap_or("");
        if gap.matches('\n').count() >= 2 {
            self.blank();
        }
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }
}
