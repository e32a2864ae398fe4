//! Reading on after a syntax error.
//!
//! pest stops at the first mistake. When it does, the broken item is skipped up to the next
//! line whose first word starts an item (`score`, `segment`, `let`, `schema`, `plugin`,
//! `ruleset`), and pest reads again from there. Those words are reserved and nothing inside an
//! item may start with one, so such a line is an item in any valid file.
//!
//! pest reads a `&str` from its start, and spans must stay the file's offsets: the text before
//! the resumption point is overwritten with filler that the grammar's `resume` rule skips in
//! one search (see the grammar). The filler is written into one copy of the file, made at the
//! first error, so that each resumption costs a search, not a copy.

use std::sync::Arc;

use pest::Parser as _;

use super::build::{self, Stretch};
use super::errors::{self, codes, is_keyword, ITEM_WORDS};
use super::scan::{self, Lexer, Scanned, TokKind};
use super::{Grammar, Parsed, Rule, SkippedItem, MAX_SYNTAX_ERRORS};
use crate::ast::{Ident, RuleFile, Span};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// Reads the whole file, reading on after each syntax error.
pub(super) fn read(file: &Arc<SourceFile>, scanned: Scanned) -> Parsed {
    let text = file.text.as_str();
    let mut out = Reading::default();
    let mut starts: Option<Vec<usize>> = None;
    let mut filled = Filled::new(text);
    let first_lexical = scanned.lexical_error;
    // Where pest starts reading: 0, then each item where reading resumes.
    let mut from = 0;
    // Where reading stopped for too many errors.
    let mut stopped = None;
    loop {
        // The scanner's first complaint between `from` and `until`.
        let lexical = |until: usize| {
            if from == 0 {
                first_lexical
                    .as_ref()
                    .filter(|d| (d.span.start as usize) < until)
                    .cloned()
            } else {
                scan::first_lexical_error(file, from, until)
            }
        };
        let rule = if from == 0 { Rule::file } else { Rule::resume };
        let result = Grammar::parse(rule, filled.from(from, text.len()));
        let error = match result {
            Ok(pairs) => {
                out.add(file, build::stretch(file, pairs));
                // The grammar accepted what the scanner rejected: trust the scanner.
                out.errors.extend(lexical(usize::MAX));
                break;
            }
            Err(error) => error,
        };
        let d = errors::syntax_error(file, from, &error, lexical);
        let at = (d.span.start as usize).max(from);
        let misplaced_header = d.code == codes::MISPLACED_HEADER;
        out.errors.push(d);
        if errors::gave_up(&error) {
            // The call limit: reading on could only spin again.
            out.skipped.push(rest_of_file(text, from));
            break;
        }
        let starts = starts.get_or_insert_with(|| item_starts(text));
        let (broken, resume) = cut(starts, from, at, misplaced_header);
        if broken > from {
            // The items before the broken one were read: read them again, without it.
            let rule = if from == 0 { Rule::file } else { Rule::resume };
            if let Ok(pairs) = Grammar::parse(rule, filled.from(from, broken)) {
                out.add(file, build::stretch(file, pairs));
            }
        }
        let end = resume.unwrap_or(text.len());
        out.skipped.push(skipped_item(text, broken, end));
        let Some(resume) = resume else { break };
        if out.errors.len() >= MAX_SYNTAX_ERRORS {
            stopped = Some(resume);
            break;
        }
        from = resume;
    }
    out.errors.sort_by_key(|d| (d.span.start, d.span.end));
    if let Some(extra) = out.errors.get(MAX_SYNTAX_ERRORS) {
        // Items that could not be built count too (a file of `a < b < c`): stop at the
        // skipped item of the first error too many.
        let at = extra.span.start;
        let at = out
            .skipped
            .iter()
            .map(|s| s.span.start)
            .filter(|&start| start <= at)
            .max()
            .unwrap_or(at) as usize;
        stopped = Some(stopped.map_or(at, |s: usize| s.min(at)));
        out.errors.truncate(MAX_SYNTAX_ERRORS);
    }
    let mut header = None;
    let mut items = Vec::new();
    out.stretches.sort_by_key(|(start, _)| *start);
    for (_, stretch) in out.stretches {
        header = header.or(stretch.header);
        items.extend(stretch.items);
    }
    if let Some(at) = stopped {
        items.retain(|item| (item.span().start as usize) < at);
        out.skipped.retain(|s| (s.span.start as usize) < at);
        out.skipped.push(rest_of_file(text, at));
        out.errors.push(too_many_errors(file, at));
    }
    out.skipped.sort_by_key(|s| s.span.start);
    Parsed {
        file: RuleFile {
            header,
            items,
            comments: scanned.comments,
            span: Span::new(0, text.len()),
        },
        errors: out.errors,
        skipped: out.skipped,
    }
}

/// What has been read so far.
#[derive(Default)]
struct Reading {
    /// Each stretch read, by where it starts.
    stretches: Vec<(u32, Stretch)>,
    errors: Vec<Diagnostic>,
    skipped: Vec<SkippedItem>,
}

impl Reading {
    fn add(&mut self, file: &Arc<SourceFile>, mut stretch: Stretch) {
        for (span, d) in std::mem::take(&mut stretch.failed) {
            self.errors.push(d);
            self.skipped.push(skipped_item(
                &file.text,
                span.start as usize,
                span.end as usize,
            ));
        }
        let start = stretch
            .header
            .as_ref()
            .map(|h| h.span.start)
            .or(stretch.items.first().map(|i| i.span().start))
            .unwrap_or(0);
        self.stretches.push((start, stretch));
    }
}

/// The file's text with the part before the resumption point overwritten by filler.
struct Filled<'a> {
    text: &'a str,
    /// The copy being overwritten, made at the first resumption.
    copy: Option<String>,
    /// How much of the copy is filler.
    upto: usize,
}

impl<'a> Filled<'a> {
    fn new(text: &'a str) -> Filled<'a> {
        Filled {
            text,
            copy: None,
            upto: 0,
        }
    }

    /// The text up to byte `end`, with everything before `from` (a token start, or 0)
    /// replaced by filler: `\u{1}`s and a final `\u{2}`, one byte each, so that every offset
    /// stays the file's. `from` never moves back.
    fn from(&mut self, from: usize, end: usize) -> &str {
        if from == 0 {
            return &self.text[..end];
        }
        let copy = self.copy.get_or_insert_with(|| self.text.to_string());
        if from > self.upto {
            // The previous `\u{2}` (if any) becomes filler too.
            let start = self.upto.saturating_sub(1);
            let mut gap = "\u{1}".repeat(from - 1 - start);
            gap.push('\u{2}');
            copy.replace_range(start..from, &gap);
            self.upto = from;
        }
        &copy[..end]
    }
}

/// Where each line of `text` whose first word starts an item has that word, in order.
fn item_starts(text: &str) -> Vec<usize> {
    let mut lexer = Lexer::new(text);
    let mut starts = Vec::new();
    let mut previous_end = 0;
    let mut first = true;
    loop {
        let tok = lexer.next_tok();
        if tok.kind == TokKind::Eof {
            return starts;
        }
        let on_new_line = first || text[previous_end..tok.start].contains('\n');
        first = false;
        previous_end = tok.end;
        if on_new_line && tok.kind == TokKind::Word && ITEM_WORDS.contains(&lexer.text_of(tok)) {
            starts.push(tok.start);
        }
    }
}

/// Where the item broken by an error at byte `at` starts, and where reading resumes (none:
/// at the end of the file), when pest started reading at `from`.
///
/// The broken item is the one whose line starts last at or before the error, except for an
/// error at the very first word of an item: pest stops there when the item before it is
/// unfinished (an unclosed block, an operator with nothing after it), so that is the broken
/// one, and reading resumes right at the error. A `ruleset` line out of place
/// (`misplaced_header`) is the exception to the exception: the header is itself the mistake.
fn cut(starts: &[usize], from: usize, at: usize, misplaced_header: bool) -> (usize, Option<usize>) {
    let upto = starts.partition_point(|&s| s <= at);
    let before = &starts[..upto];
    let at_item_word = !misplaced_header && at > from && before.last() == Some(&at);
    let last = if at_item_word {
        &before[..before.len() - 1]
    } else {
        before
    };
    let broken = last.last().copied().filter(|&s| s >= from).unwrap_or(from);
    let resume = starts[upto.saturating_sub(1)..]
        .iter()
        .copied()
        .find(|&s| s > broken && s >= at && s > from);
    (broken, resume)
}

/// What was skipped between `start` and `end`: the item word it starts with and its name.
fn skipped_item(text: &str, start: usize, end: usize) -> SkippedItem {
    let mut lexer = Lexer::at(text, start);
    let mut next_word = || {
        let tok = lexer.next_tok();
        (tok.kind == TokKind::Word && tok.end <= end).then(|| (tok, &text[tok.start..tok.end]))
    };
    let keyword = next_word().and_then(|(_, w)| ITEM_WORDS.iter().copied().find(|k| *k == w));
    let name = match keyword {
        Some("let" | "score" | "segment" | "plugin") => next_word()
            .filter(|(_, w)| !is_keyword(w))
            .map(|(tok, w)| Ident {
                name: w.to_string(),
                span: tok.span(),
            }),
        _ => None,
    };
    SkippedItem {
        span: Span::new(start, end.max(start)),
        keyword,
        name,
    }
}

/// Everything from `start` on, left unread.
fn rest_of_file(text: &str, start: usize) -> SkippedItem {
    SkippedItem {
        span: Span::new(start, text.len()),
        keyword: None,
        name: None,
    }
}

/// The error that ends reading after [`MAX_SYNTAX_ERRORS`].
fn too_many_errors(file: &Arc<SourceFile>, at: usize) -> Diagnostic {
    Diagnostic::error(
        file,
        codes::TOO_MANY_ERRORS,
        Span::new(at, at),
        format!("stopped reading after {MAX_SYNTAX_ERRORS} syntax errors"),
    )
    .with_label("not read from here on")
    .with_help("fix the errors above, then check the file again")
}
