//! Turns pest's "expected one of these rules at this position" into one diagnostic in the
//! author's words: what was expected, what was found, and a hint for common mistakes.

use std::sync::Arc;

use pest::error::{Error, ErrorVariant, InputLocation};
use scoreline_model::suggest;

use super::scan::{Lexer, Tok, TokKind};
use super::Rule;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// The codes of syntax errors (listed in docs/language.md).
pub mod codes {
    /// Something other than what the grammar allows at this point.
    pub const UNEXPECTED: &str = crate::codes::E0001;
    /// A string without its closing quote on the same line.
    pub const UNCLOSED_STRING: &str = crate::codes::E0002;
    /// A character that starts no token (`@`, `;`, `&`, a control character…).
    pub const UNKNOWN_CHARACTER: &str = crate::codes::E0003;
    /// A keyword where a name is expected (`let rule = 1`).
    pub const KEYWORD_AS_NAME: &str = crate::codes::E0004;
    /// A malformed or out-of-range number (`1.2.3`, `1e5`).
    pub const BAD_NUMBER: &str = crate::codes::E0005;
    /// A duration with an unknown unit (`30m`).
    pub const BAD_DURATION: &str = crate::codes::E0006;
    /// A date literal that is not a real RFC 3339 date (`2026-02-30`).
    pub const BAD_DATE: &str = crate::codes::E0007;
    /// An unknown escape in a string (`\x`), or a `\u{…}` that is no character.
    pub const BAD_ESCAPE: &str = crate::codes::E0008;
    /// Brackets nested too deeply.
    pub const TOO_DEEP: &str = crate::codes::E0009;
    /// An expression tree too deep (very long operator chains, many prefixes).
    pub const EXPR_TOO_DEEP: &str = crate::codes::E0010;
    /// Comparisons chained without `and` (`a < b < c`).
    pub const CHAINED_COMPARISON: &str = crate::codes::E0011;
    /// `between` without its `and`.
    pub const BETWEEN_WITHOUT_AND: &str = crate::codes::E0012;
    /// A block, parenthesis or list left open.
    pub const UNCLOSED_BRACKET: &str = crate::codes::E0013;
    /// The parser gave up (pathological input).
    pub const TOO_COMPLEX: &str = crate::codes::E0014;
    /// A `ruleset` header that is not the first item, or a second one.
    pub const MISPLACED_HEADER: &str = crate::codes::E0015;
    /// So many syntax errors that the parser stopped reading the file.
    pub const TOO_MANY_ERRORS: &str = crate::codes::E0016;
}

/// The words that start an item.
pub(super) const ITEM_WORDS: &[&str] = &["ruleset", "schema", "plugin", "let", "score", "segment"];
/// The words that start a clause in a score block.
const CLAUSE_WORDS: &[&str] = &["rule", "each", "clamp"];
/// Every reserved word (LANGUAGE.md §2).
pub const KEYWORDS: &[&str] = &[
    "ruleset",
    "schema",
    "contact",
    "contacts",
    "account",
    "event",
    "plugin",
    "let",
    "score",
    "rule",
    "each",
    "where",
    "within",
    "decay",
    "half_life",
    "linear",
    "clamp",
    "segment",
    "when",
    "and",
    "or",
    "not",
    "in",
    "between",
    "matches",
    "starts_with",
    "ends_with",
    "contains",
    "is",
    "missing",
    "present",
    "true",
    "false",
    "any",
];

/// Whether `word` is reserved.
pub(super) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// A bracket open at the error position.
struct Open {
    tok: Tok,
    /// The word that introduced a `{` block (`score`, `segment`, `schema`, `contact`, `event`).
    block: Option<&'static str>,
}

/// The tokens around the error position.
struct Around<'a> {
    text: &'a str,
    found: Tok,
    prev: Option<Tok>,
    open: Option<Open>,
}

impl<'a> Around<'a> {
    /// The tokens around `pos`, with the brackets open since `from` (where parsing started).
    fn at(text: &'a str, from: usize, pos: usize) -> Around<'a> {
        let mut lexer = Lexer::at(text, from);
        let mut prev = None;
        let mut stack: Vec<Open> = Vec::new();
        let mut block: Option<&'static str> = None;
        loop {
            let tok = lexer.next_tok();
            if tok.kind == TokKind::Comment {
                continue;
            }
            if tok.kind == TokKind::Eof || tok.end > pos {
                return Around {
                    text,
                    found: tok,
                    prev,
                    open: stack.pop(),
                };
            }
            let word = lexer.text_of(tok);
            match (tok.kind, word) {
                (TokKind::Word, w) => {
                    if let Some(b) = ["score", "segment", "schema", "contact", "event"]
                        .into_iter()
                        .find(|b| *b == w)
                    {
                        block = Some(b);
                    }
                }
                (TokKind::Punct, "{") => stack.push(Open {
                    tok,
                    block: block.take(),
                }),
                (TokKind::Punct, "(" | "[") => stack.push(Open { tok, block: None }),
                (TokKind::Punct, "}" | ")" | "]") => {
                    stack.pop();
                    block = None;
                }
                _ => {}
            }
            prev = Some(tok);
        }
    }

    fn text_of(&self, tok: Tok) -> &'a str {
        &self.text[tok.start..tok.end]
    }

    fn found_text(&self) -> &'a str {
        self.text_of(self.found)
    }

    fn prev_text(&self) -> &'a str {
        self.prev.map(|t| self.text_of(t)).unwrap_or("")
    }

    /// The found token as the message shows it.
    fn found_desc(&self) -> String {
        match self.found.kind {
            TokKind::Eof => "the end of the file".to_string(),
            TokKind::Str { .. } => format!("the text {}", shorten(self.found_text())),
            _ => format!("`{}`", shorten(self.found_text())),
        }
    }

    /// Whether the found token is the first on its line.
    fn found_starts_line(&self) -> bool {
        let before = &self.text[..self.found.start];
        let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
        line.trim_start_matches('\u{feff}').trim().is_empty()
    }

    fn line_of(&self, tok: Tok) -> usize {
        self.text[..tok.start].matches('\n').count() + 1
    }

    fn in_block(&self, block: &str) -> bool {
        self.open.as_ref().and_then(|o| o.block) == Some(block)
    }
}

/// Shortens long tokens for messages.
pub(super) fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// How a phrase takes part in the message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// What would continue an expression (operators, `.field`, options): mentioned only when
    /// nothing else was expected.
    Continuation,
    /// Something the construct needs.
    Needed,
}

/// Where pest gave up.
pub(super) fn error_position(error: &Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

/// Whether pest gave up because of its call limit rather than at a mistake in the text.
pub(super) fn gave_up(error: &Error<Rule>) -> bool {
    matches!(error.variant, ErrorVariant::CustomError { .. })
}

/// Turns a pest error into one diagnostic; pest started reading at byte `from` (0, or the
/// item where parsing resumed after an earlier error). `lexical(until)` is the scanner's first
/// complaint about a token between `from` and `until`: it wins when it is at or before the
/// token where pest gave up.
pub(super) fn syntax_error(
    file: &Arc<SourceFile>,
    from: usize,
    error: &Error<Rule>,
    lexical: impl FnOnce(usize) -> Option<Diagnostic>,
) -> Diagnostic {
    let pos = error_position(error);
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.as_slice(),
        ErrorVariant::CustomError { .. } => {
            if let Some(lexical) = lexical(usize::MAX) {
                return lexical;
            }
            return Diagnostic::error(
                file,
                codes::TOO_COMPLEX,
                Span::new(pos, pos),
                "this file is too complex to read",
            )
            .with_help(
                "split very long expressions and deeply nested parentheses into `let` items",
            );
        }
    };
    let around = Around::at(&file.text, from, pos);
    // The scanner's complaint wins when it is at or before the token pest stopped at.
    if let Some(lexical) = lexical(around.found.end.max(pos + 1)) {
        return lexical;
    }
    expected_error(file, positives, &around)
}

fn expected_error(file: &Arc<SourceFile>, positives: &[Rule], around: &Around) -> Diagnostic {
    let found = around.found;
    let found_text = around.found_text();
    let span = found.span();
    let has = |r: Rule| positives.contains(&r);
    let expects_value =
        has(Rule::operand) || has(Rule::signed_number) || has(Rule::duration) || has(Rule::member);
    let expects_name = [
        Rule::ruleset_name,
        Rule::field_name,
        Rule::event_name,
        Rule::plugin_name,
        Rule::let_name,
        Rule::score_name,
        Rule::segment_name,
        Rule::member,
    ]
    .into_iter()
    .any(has);

    // Mistakes recognised from the found token alone.
    if found.kind == TokKind::Number && expects_value {
        if let Some(d) = bad_number(file, found_text, span) {
            return d;
        }
    }
    if found.kind == TokKind::Date && expects_value {
        return bad_date(file, found_text, span);
    }
    if found.kind == TokKind::Word && is_keyword(found_text) && expects_name {
        return Diagnostic::error(
            file,
            codes::KEYWORD_AS_NAME,
            span,
            format!("`{found_text}` is a keyword and cannot be used as a name"),
        )
        .with_help(format!(
            "choose another name, such as `{found_text}_1` (keywords are listed in the language reference)"
        ));
    }
    // At the very start of the file, pest reports the whole `file` rule.
    let expects_item = has(Rule::EOI)
        || has(Rule::kw_score)
        || has(Rule::kw_segment)
        || has(Rule::file)
        || has(Rule::resume);
    if found.kind == TokKind::Word && found_text == "ruleset" && expects_item {
        return Diagnostic::error(
            file,
            codes::MISPLACED_HEADER,
            span,
            "the `ruleset` line must come first in the file, and only once",
        )
        .with_help("move it to the top of the file (only comments may come before it)");
    }

    // An unclosed bracket: the file or the next item starts while a block is still open.
    if let Some(open) = &around.open {
        let open_text = around.text_of(open.tok);
        let closer = match open_text {
            "{" => Rule::rbrace,
            "(" => Rule::rparen,
            _ => Rule::rbracket,
        };
        let next_item = found.kind == TokKind::Word && ITEM_WORDS.contains(&found_text);
        if has(closer) && (found.kind == TokKind::Eof || next_item) {
            return unclosed(file, around, open, span);
        }
    }

    // The general case: list what was expected.
    let mut needed: Vec<String> = Vec::new();
    let mut continuation = false;
    for &rule in positives {
        match phrase(rule, positives, around) {
            Some((Role::Needed, p)) if !needed.contains(&p) => needed.push(p),
            Some((Role::Needed, _)) => {}
            Some((Role::Continuation, _)) => continuation = true,
            None => {}
        }
    }
    if needed.len() == 1 && around.open.is_some() {
        let open = around.open.as_ref().unwrap_or_else(|| unreachable!());
        let closer = match around.text_of(open.tok) {
            "{" => "`}`",
            "(" => "`)`",
            _ => "`]`",
        };
        if needed[0] == closer {
            return unclosed(file, around, open, span);
        }
    }
    let message = if needed.is_empty() {
        if found.kind == TokKind::Eof {
            "unexpected end of the file".to_string()
        } else if continuation {
            format!("unexpected {} after an expression", around.found_desc())
        } else {
            format!("unexpected {}", around.found_desc())
        }
    } else {
        format!(
            "expected {}, found {}",
            join_or(&needed),
            around.found_desc()
        )
    };
    let mut d = Diagnostic::error(file, codes::UNEXPECTED, span, message);
    if let Some(help) = hint(positives, around, continuation, expects_item) {
        d = d.with_help(help);
    }
    d
}

/// The message for a block, parenthesis or list that is not closed.
fn unclosed(file: &Arc<SourceFile>, around: &Around, open: &Open, span: Span) -> Diagnostic {
    let line = around.line_of(open.tok);
    let (closer, what) = match around.text_of(open.tok) {
        "{" => (
            "}",
            match open.block {
                Some(b) => format!("the `{b}` block"),
                None => "the block".to_string(),
            },
        ),
        "(" => (")", "the `(`".to_string()),
        _ => ("]", "the list".to_string()),
    };
    Diagnostic::error(
        file,
        codes::UNCLOSED_BRACKET,
        span,
        format!("expected `{closer}` to close {what} opened on line {line}"),
    )
    .with_label(format!("`{closer}` expected before this"))
    .with_help(format!("add `{closer}` where {what} ends"))
}

/// What a rule means to the author, or `None` when it says nothing useful.
fn phrase(rule: Rule, positives: &[Rule], around: &Around) -> Option<(Role, String)> {
    use Role::{Continuation, Needed};
    let needed = |s: &str| Some((Needed, s.to_string()));
    match rule {
        Rule::EOI
        | Rule::file
        | Rule::resume
        | Rule::kw_ruleset
        | Rule::kw_schema
        | Rule::kw_plugin
        | Rule::kw_let
        | Rule::kw_score
        | Rule::kw_segment => {
            needed("a new item (`score`, `segment`, `let`, `plugin` or `schema`)")
        }
        // After an expression score, `clamp` is an option, like `max` after an `each`.
        Rule::kw_clamp if !positives.contains(&Rule::kw_rule) => {
            Some((Continuation, String::new()))
        }
        Rule::kw_rule | Rule::kw_each | Rule::kw_clamp => {
            needed("a `rule`, `each` or `clamp` line")
        }
        Rule::kw_contact | Rule::kw_event => {
            needed("a `contact { … }` or `event NAME { … }` block")
        }
        Rule::operand | Rule::plus | Rule::points => Some((
            Needed,
            match around.prev_text() {
                "when" => "a condition after `when`".to_string(),
                "where" => "a condition after `where`".to_string(),
                "=>" => "the points after `=>`".to_string(),
                "=" => "a value after `=`".to_string(),
                "between" => "a value after `between`".to_string(),
                op if !op.is_empty()
                    && around
                        .prev
                        .is_some_and(|t| t.kind == TokKind::Punct || is_keyword(op)) =>
                {
                    format!("a value after `{op}`")
                }
                _ => "an expression".to_string(),
            },
        )),
        Rule::arrow => {
            if around.in_block("segment") {
                needed("`=>` followed by the action")
            } else {
                needed("`=>` followed by the points")
            }
        }
        Rule::kw_when => needed("`when`"),
        Rule::string => {
            if around.in_block("segment") && around.prev_text() != "=>" {
                needed("a segment label in double quotes")
            } else if around.prev_text() == "=" {
                needed("the path of the plugin file in double quotes")
            } else if around.prev_text() == "from" {
                needed("the column's name in double quotes after `from`")
            } else {
                needed("a text in double quotes")
            }
        }
        Rule::ruleset_name => needed("a ruleset name after `ruleset`"),
        Rule::score_name => needed("a score name after `score`"),
        Rule::segment_name => needed("a segment name after `segment`"),
        Rule::let_name => needed("a name after `let`"),
        Rule::plugin_name => needed("a plugin name after `plugin`"),
        Rule::field_name => needed("a field name"),
        Rule::event_filter => needed("an event name or `any`"),
        Rule::event_name | Rule::kw_any => {
            if positives.contains(&Rule::kw_any) {
                needed("an event name or `any`")
            } else {
                needed("an event name after `event`")
            }
        }
        Rule::member => needed("a field name after `.`"),
        Rule::function_name => needed("a function name"),
        Rule::field_type => needed("a type (`text`, `number`, `bool`, `date` or `list`)"),
        Rule::signed_number => needed("a number"),
        Rule::duration => needed("a duration such as `30d` or `12h`"),
        Rule::kw_half_life | Rule::kw_linear => needed("`half_life` or `linear` after `decay`"),
        Rule::kw_missing | Rule::kw_present => needed("`missing` or `present` after `is`"),
        Rule::lbrace => needed("`{`"),
        Rule::rbrace => needed("`}`"),
        Rule::rparen => needed("`)`"),
        Rule::lbracket => needed("`[`"),
        Rule::rbracket => needed("`]`"),
        Rule::comma => {
            if positives.contains(&Rule::rparen)
                || positives.contains(&Rule::rbracket)
                || positives.contains(&Rule::field_name)
            {
                needed("`,`")
            } else {
                Some((Continuation, String::new()))
            }
        }
        Rule::colon => needed("`:`"),
        Rule::eq => needed("`=`"),
        Rule::dotdot => needed("`..`"),
        Rule::infix
        | Rule::kw_is
        | Rule::call_args
        | Rule::is_test
        | Rule::field_access
        | Rule::dot
        | Rule::lparen
        | Rule::question
        | Rule::kw_max
        | Rule::kw_from
        | Rule::kw_decay
        | Rule::kw_within
        | Rule::kw_per
        | Rule::kw_keep
        | Rule::kw_where
        | Rule::max_option
        | Rule::decay_option
        | Rule::within_option
        | Rule::per_option => Some((Continuation, String::new())),
        _ => None,
    }
}

/// A hint for common mistakes, from what was found and what was expected.
fn hint(
    positives: &[Rule],
    around: &Around,
    continuation: bool,
    expects_item: bool,
) -> Option<String> {
    let found = around.found_text();
    let is_word = around.found.kind == TokKind::Word;
    let operator_word = [
        "and",
        "or",
        "not",
        "in",
        "between",
        "matches",
        "starts_with",
        "ends_with",
        "contains",
        "is",
    ]
    .contains(&found);
    if is_word && ITEM_WORDS.contains(&found) && around.found_starts_line() && !expects_item {
        return Some(format!(
            "`{found}` starts a new item: the one before it is unfinished"
        ));
    }
    if is_word && is_keyword(found) && !operator_word && positives.contains(&Rule::operand) {
        return Some(format!(
            "`{found}` is a keyword and cannot be used as a name"
        ));
    }
    if found == "=" && continuation {
        return Some("to compare two values, write `==`".to_string());
    }
    if is_word && expects_item {
        if let Some(help) = suggest::did_you_mean(found, ITEM_WORDS.iter().copied()) {
            return Some(help);
        }
    }
    if is_word && positives.contains(&Rule::kw_rule) {
        if let Some(help) = suggest::did_you_mean(found, CLAUSE_WORDS.iter().copied()) {
            return Some(help);
        }
    }
    if positives.contains(&Rule::arrow) && around.found.kind == TokKind::Number {
        return Some("write the points after `=>`, as in `=> +10`".to_string());
    }
    if positives.contains(&Rule::arrow) && found == "->" {
        return Some("the arrow is written `=>`".to_string());
    }
    if continuation && (around.found.kind == TokKind::Word || around.found.kind == TokKind::Number)
    {
        return Some(
            "two values follow each other: is an operator such as `and`, `or` or `+` missing?"
                .to_string(),
        );
    }
    None
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// A number with something glued to it: `30m`, `1e5`, `1.2.3`.
fn bad_number(file: &Arc<SourceFile>, text: &str, span: Span) -> Option<Diagnostic> {
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let (number, rest) = text.split_at(digits_end);
    let dots = number.matches('.').count();
    if rest.is_empty() {
        if dots > 1 {
            return Some(
                Diagnostic::error(
                    file,
                    codes::BAD_NUMBER,
                    span,
                    format!("`{}` is not a number", shorten(text)),
                )
                .with_help("a number has at most one decimal point, as in `12`, `0.5` or `1_000`"),
            );
        }
        return None;
    }
    if dots <= 1 && rest.chars().all(|c| c.is_alphabetic()) {
        return Some(
            Diagnostic::error(
                file,
                codes::BAD_DURATION,
                span,
                format!("`{}` is not a duration", shorten(text)),
            )
            .with_help("durations are in days (`d`) or hours (`h`): `30d`, `12h`, `0.5d`"),
        );
    }
    Some(
        Diagnostic::error(
            file,
            codes::BAD_NUMBER,
            span,
            format!("`{}` is not a number", shorten(text)),
        )
        .with_help("numbers are written like `12`, `0.5` or `1_000`"),
    )
}

/// A date whose shape the grammar did not accept (`2026-11-01T09:30`).
pub(super) fn bad_date(file: &Arc<SourceFile>, text: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        file,
        codes::BAD_DATE,
        span,
        format!("`{}` is not a valid date", shorten(text)),
    )
    .with_help("write a date as `2026-11-01`, or a moment as `2026-11-01T09:30:00Z` (RFC 3339)")
}
