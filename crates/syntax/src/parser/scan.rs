//! A small lexer run before pest: it collects comments, reports lexical mistakes in the
//! author's words and rejects brackets nested too deeply. The same lexer describes the text
//! around a syntax error (see `errors.rs`).

use std::sync::Arc;

use pest::unicode::{XID_CONTINUE, XID_START};

use super::errors::codes;
use super::MAX_BRACKET_DEPTH;
use crate::ast::{Comment, Span};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// What the scan found.
pub(super) struct Scanned {
    pub comments: Vec<Comment>,
    /// The first lexical mistake (unclosed string, unknown character, bad escape).
    pub lexical_error: Option<Diagnostic>,
    /// Brackets nested deeper than [`MAX_BRACKET_DEPTH`]: reported before pest runs.
    pub too_deep: Option<Diagnostic>,
}

/// What kind of token the lexer saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokKind {
    Comment,
    /// An identifier or keyword.
    Word,
    /// Starts with a digit: a number, a duration, or a mistake such as `1.2.3` or `30m`.
    Number,
    /// Looks like the start of a date: `2026-11-01…`.
    Date,
    /// A string; `closed` is false when the line or file ended first.
    Str {
        closed: bool,
    },
    /// An operator or bracket.
    Punct,
    /// A character that starts no token.
    Unknown,
    Eof,
}

/// A token: its kind and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tok {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
}

impl Tok {
    /// The token's span.
    pub fn span(&self) -> Span {
        Span::new(self.start, self.end)
    }
}

/// Splits text into tokens (comments included, whitespace skipped).
pub(super) struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || XID_START(c)
}

fn is_ident_continue(c: char) -> bool {
    XID_CONTINUE(c)
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `text`.
    pub fn new(text: &'a str) -> Lexer<'a> {
        // A byte-order mark at the very start is allowed (some editors write one).
        let pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Lexer { text, pos }
    }

    /// A lexer at byte `from` of `text`: the start of a token, or 0.
    pub fn at(text: &'a str, from: usize) -> Lexer<'a> {
        if from == 0 {
            Lexer::new(text)
        } else {
            Lexer { text, pos: from }
        }
    }

    fn peek_char(&self, at: usize) -> Option<char> {
        self.text.get(at..).and_then(|rest| rest.chars().next())
    }

    fn eat_while(&mut self, mut keep: impl FnMut(char) -> bool) {
        while let Some(c) = self.peek_char(self.pos) {
            if !keep(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// Skips identifier characters, ASCII ones without the Unicode table.
    fn eat_ident_continue(&mut self) {
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(self.pos) {
                Some(b) if b.is_ascii_alphanumeric() || *b == b'_' => self.pos += 1,
                Some(b) if b.is_ascii() => return,
                Some(_) => match self.peek_char(self.pos) {
                    Some(c) if is_ident_continue(c) => self.pos += c.len_utf8(),
                    _ => return,
                },
                None => return,
            }
        }
    }

    /// The next token; [`TokKind::Eof`] (repeatedly) at the end.
    pub fn next_tok(&mut self) -> Tok {
        let bytes = self.text.as_bytes();
        while self.pos < bytes.len() && matches!(bytes[self.pos], b' ' | b'\t' | b'\r' | b'\n') {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(c) = self.peek_char(start) else {
            return Tok {
                kind: TokKind::Eof,
                start,
                end: start,
            };
        };
        let kind = match c {
            '#' => {
                self.eat_while(|c| c != '\n');
                TokKind::Comment
            }
            '"' => {
                self.pos += 1;
                let mut closed = false;
                while let Some(c) = self.peek_char(self.pos) {
                    match c {
                        '"' => {
                            self.pos += 1;
                            closed = true;
                            break;
                        }
                        '\n' => break,
                        '\\' => {
                            self.pos += 1;
                            if let Some(next) = self.peek_char(self.pos) {
                                if next != '\n' {
                                    self.pos += next.len_utf8();
                                }
                            }
                        }
                        c => self.pos += c.len_utf8(),
                    }
                }
                TokKind::Str { closed }
            }
            c if is_ident_start(c) => {
                self.pos += c.len_utf8();
                self.eat_ident_continue();
                TokKind::Word
            }
            c if c.is_ascii_digit() => self.number_like(),
            _ => {
                let two = self.text.get(start..start + 2).unwrap_or("");
                if matches!(two, "=>" | "==" | "!=" | "<=" | ">=" | "??" | "..") {
                    self.pos += 2;
                    TokKind::Punct
                } else if "()[]{},.:=<>?+-*/%".contains(c) {
                    self.pos += 1;
                    TokKind::Punct
                } else {
                    self.pos += c.len_utf8();
                    TokKind::Unknown
                }
            }
        };
        Tok {
            kind,
            start,
            end: self.pos,
        }
    }

    /// A token starting with a digit: a date shape, or a number with whatever is glued to it.
    fn number_like(&mut self) -> TokKind {
        let rest = &self.text.as_bytes()[self.pos..];
        let is_date = rest.len() >= 10
            && rest[..4].iter().all(u8::is_ascii_digit)
            && rest[4] == b'-'
            && rest[5..7].iter().all(u8::is_ascii_digit)
            && rest[7] == b'-'
            && rest[8..10].iter().all(u8::is_ascii_digit);
        if is_date {
            self.pos += 10;
            let after = self.peek_char(self.pos);
            if after.is_some_and(|c| c == 'T' || c == 't') {
                self.eat_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '+' | '-'));
            } else {
                self.eat_ident_continue();
            }
            return TokKind::Date;
        }
        loop {
            self.eat_ident_continue();
            let dot_digit = self.peek_char(self.pos) == Some('.')
                && self
                    .peek_char(self.pos + 1)
                    .is_some_and(|c| c.is_ascii_digit());
            if !dot_digit {
                break;
            }
            self.pos += 1;
        }
        TokKind::Number
    }

    /// The text of a token.
    pub fn text_of(&self, tok: Tok) -> &'a str {
        &self.text[tok.start..tok.end]
    }
}

/// Scans the whole file once.
pub(super) fn scan(file: &Arc<SourceFile>) -> Scanned {
    let text = file.text.as_str();
    let mut lexer = Lexer::new(text);
    let mut comments = Vec::new();
    let mut lexical_error = None;
    let mut depth = 0usize;
    loop {
        let tok = lexer.next_tok();
        let problem = match tok.kind {
            TokKind::Eof => break,
            TokKind::Comment => {
                let raw = lexer.text_of(tok);
                let body = raw.strip_suffix('\r').unwrap_or(raw);
                comments.push(Comment {
                    text: body.to_string(),
                    span: Span::new(tok.start, tok.start + body.len()),
                });
                None
            }
            TokKind::Str { .. } | TokKind::Unknown => lexical_problem(file, tok),
            TokKind::Punct => {
                match lexer.text_of(tok) {
                    "(" | "[" | "{" => {
                        depth += 1;
                        if depth > MAX_BRACKET_DEPTH {
                            let d = Diagnostic::error(
                                file,
                                codes::TOO_DEEP,
                                tok.span(),
                                format!(
                                    "brackets are nested more than {MAX_BRACKET_DEPTH} levels deep"
                                ),
                            )
                            .with_label("too deep here")
                            .with_help("split the expression into several `let` items");
                            return Scanned {
                                comments,
                                lexical_error,
                                too_deep: Some(d),
                            };
                        }
                    }
                    ")" | "]" | "}" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                None
            }
            TokKind::Word | TokKind::Number | TokKind::Date => None,
        };
        if lexical_error.is_none() {
            lexical_error = problem;
        }
    }
    Scanned {
        comments,
        lexical_error,
        too_deep: None,
    }
}

/// The first lexical mistake in a token that starts at or after byte `from` (the start of a
/// token, or 0) and before `until`.
pub(super) fn first_lexical_error(
    file: &Arc<SourceFile>,
    from: usize,
    until: usize,
) -> Option<Diagnostic> {
    let mut lexer = Lexer::at(&file.text, from);
    loop {
        let tok = lexer.next_tok();
        if tok.kind == TokKind::Eof || tok.start >= until {
            return None;
        }
        if let Some(d) = lexical_problem(file, tok) {
            return Some(d);
        }
    }
}

/// What is wrong with a token on its own: an unclosed string, a bad escape, a character that
/// starts no token.
fn lexical_problem(file: &Arc<SourceFile>, tok: Tok) -> Option<Diagnostic> {
    match tok.kind {
        TokKind::Str { closed } => string_problem(file, tok, closed),
        TokKind::Unknown => Some(unknown_character(file, tok)),
        _ => None,
    }
}

/// An unclosed string or a bad escape inside a string.
fn string_problem(file: &Arc<SourceFile>, tok: Tok, closed: bool) -> Option<Diagnostic> {
    let text = &file.text[tok.start..tok.end];
    if !closed {
        return Some(
            Diagnostic::error(file, codes::UNCLOSED_STRING, tok.span(), "unclosed string")
                .with_label("this text has no closing `\"`")
                .with_help("end the text with `\"` on the same line (write a line break as `\\n`)"),
        );
    }
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            continue;
        }
        let Some(&(j, next)) = chars.peek() else {
            break;
        };
        chars.next();
        let ok = match next {
            '"' | '\\' | 'n' | 't' => true,
            'u' => {
                let after = &text[j + 1..];
                let digits = after
                    .strip_prefix('{')
                    .and_then(|a| a.split_once('}'))
                    .map(|(d, _)| d);
                digits.is_some_and(|d| {
                    (1..=6).contains(&d.len()) && d.chars().all(|c| c.is_ascii_hexdigit())
                })
            }
            _ => false,
        };
        if !ok {
            let start = tok.start + i;
            let end = tok.start + j + next.len_utf8();
            let shown = &file.text[start..end];
            return Some(
                Diagnostic::error(
                    file,
                    codes::BAD_ESCAPE,
                    Span::new(start, end),
                    format!("unknown escape `{shown}` in a text"),
                )
                .with_help(
                    "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{…}` (for example `\\u{e9}`)",
                ),
            );
        }
    }
    None
}

/// A character that starts no token, with a hint for the usual suspects.
fn unknown_character(file: &Arc<SourceFile>, tok: Tok) -> Diagnostic {
    let c = file.text[tok.start..].chars().next().unwrap_or('\u{fffd}');
    let shown = if c.is_control() || c.is_whitespace() || !c.is_alphanumeric() && !c.is_ascii() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    };
    let help = match c {
        '&' => Some("write `and` to combine conditions"),
        '|' => Some("write `or` to combine conditions"),
        '!' => Some("write `not` to negate a condition, or `!=` for “is different from”"),
        '\'' | '‘' | '’' => {
            Some("texts are written in straight double quotes: `\"like this\"`")
        }
        '“' | '”' => Some("texts are written in straight double quotes: `\"like this\"`"),
        ';' => Some("no `;` is needed: put each item or clause on its own line"),
        '\u{a0}' | '\u{200b}' | '\u{feff}' => Some("remove this invisible character"),
        _ => None,
    };
    let d = Diagnostic::error(
        file,
        codes::UNKNOWN_CHARACTER,
        tok.span(),
        format!("unexpected character {shown}"),
    );
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}
