//! Text → AST, with the grammar in `scoreline.pest` (beside this file).
//!
//! Parsing runs in three steps:
//! 1. [`scan`] walks the text once: it collects comments, finds lexical mistakes (unclosed
//!    strings, unknown characters, bad escapes) and rejects brackets nested too deeply, before
//!    pest's recursive descent could run out of stack on them.
//! 2. pest matches the grammar (with a call limit against pathological backtracking).
//! 3. [`build`] turns pest's pairs into the owned AST; [`expr`] applies operator precedence
//!    and bounds the depth of expression trees. Syntax errors are turned into one diagnostic
//!    in the author's words by [`errors`].
//!
//! After a syntax error, [`recover`] skips to the next line that starts an item and reads on
//! from there, so that every broken item gets its own error and the others their AST.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use crate::ast::{Ident, RuleFile, Span};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

mod build;
mod errors;
mod expr;
mod recover;
mod scan;

pub use errors::codes;
pub use errors::KEYWORDS as RESERVED_WORDS;

/// The pest parser generated from the grammar.
#[derive(pest_derive::Parser)]
#[grammar = "scoreline.pest"]
struct Grammar;

/// Deepest bracket nesting accepted (`(`, `[` and `{` together).
pub const MAX_BRACKET_DEPTH: usize = 128;
/// Deepest expression tree accepted (each operator, call or parenthesis adds a level).
pub const MAX_EXPR_DEPTH: u32 = 256;
/// Syntax errors reported before the parser stops reading a file.
pub const MAX_SYNTAX_ERRORS: usize = 100;

/// A rule file as far as it could be read.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The header and every item that could be read (all of them when `errors` is empty).
    pub file: RuleFile,
    /// The syntax errors, one per broken item, in file order.
    pub errors: Vec<Diagnostic>,
    /// The items left out of `file` because of an error, in file order.
    pub skipped: Vec<SkippedItem>,
}

/// A part of the file that the parser skipped after a syntax error.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedItem {
    /// From the start of the broken item to where reading resumed.
    pub span: Span,
    /// The word the item starts with (`score`, `let`, `schema`…), when it starts with one.
    pub keyword: Option<&'static str>,
    /// The name it declares (`let NAME`, `score NAME`, `segment NAME`, `plugin NAME`), when
    /// that much could be read.
    pub name: Option<Ident>,
}

impl SkippedItem {
    /// Whether the skipped text may declare a name that is not known: an item whose name
    /// could not be read, or text that starts with no item word.
    pub fn may_declare_unknown_name(&self) -> bool {
        match self.keyword {
            Some("schema" | "ruleset") => false,
            _ => self.name.is_none(),
        }
    }
}

/// Parses a rule file. Every syntax error is returned, as a diagnostic that says in the
/// author's words what was expected.
pub fn parse(file: &Arc<SourceFile>) -> Result<RuleFile, Vec<Diagnostic>> {
    let parsed = parse_recovering(file);
    if parsed.errors.is_empty() {
        Ok(parsed.file)
    } else {
        Err(parsed.errors)
    }
}

/// Parses a rule file, reading on after syntax errors: the items that could be read, the
/// errors, and what was skipped.
pub fn parse_recovering(file: &Arc<SourceFile>) -> Parsed {
    let scanned = scan::scan(file);
    if let Some(too_deep) = scanned.too_deep {
        return Parsed {
            file: RuleFile {
                header: None,
                items: Vec::new(),
                comments: scanned.comments,
                span: Span::new(0, file.text.len()),
            },
            errors: vec![too_deep],
            skipped: vec![SkippedItem {
                span: Span::new(0, file.text.len()),
                keyword: None,
                name: None,
            }],
        };
    }
    raise_call_limit(file.text.len());
    recover::read(file, scanned)
}

/// Makes sure pest's process-wide call limit allows a file of `len` bytes.
///
/// The grammar backtracks only a bounded amount per token, so the number of calls grows
/// linearly with the text; the limit stops pathological input instead of letting it spin.
/// The limit only ever grows, so that parses running at the same time in other threads never
/// see a limit too small for their file.
fn raise_call_limit(len: usize) {
    static LIMIT: Mutex<usize> = Mutex::new(0);
    let wanted = len.saturating_mul(CALLS_PER_BYTE).saturating_add(MIN_CALLS);
    let mut current = LIMIT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if wanted > *current {
        *current = wanted;
        pest::set_call_limit(NonZeroUsize::new(wanted));
    }
}

/// Calls allowed per byte of input (real files use well under a tenth of this).
const CALLS_PER_BYTE: usize = 400;
/// Calls allowed whatever the size of the file.
const MIN_CALLS: usize = 10_000_000;
