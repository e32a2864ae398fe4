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

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use pest::Parser as _;

use crate::ast::RuleFile;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

mod build;
mod errors;
mod expr;
mod scan;

pub use errors::codes;

/// The pest parser generated from the grammar.
#[derive(pest_derive::Parser)]
#[grammar = "scoreline.pest"]
struct Grammar;

/// Deepest bracket nesting accepted (`(`, `[` and `{` together).
pub const MAX_BRACKET_DEPTH: usize = 128;
/// Deepest expression tree accepted (each operator, call or parenthesis adds a level).
pub const MAX_EXPR_DEPTH: u32 = 256;

/// Parses a rule file. A syntax error is returned as a diagnostic that says, in the author's
/// words, what was expected.
pub fn parse(file: &Arc<SourceFile>) -> Result<RuleFile, Vec<Diagnostic>> {
    let text = file.text.as_str();
    let scanned = scan::scan(file);
    if let Some(too_deep) = scanned.too_deep {
        return Err(vec![too_deep]);
    }
    raise_call_limit(text.len());
    let pairs = match Grammar::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(error) => {
            return Err(vec![errors::syntax_error(
                file,
                &error,
                scanned.lexical_error,
            )])
        }
    };
    if let Some(lexical) = scanned.lexical_error {
        // The grammar accepted what the scanner rejected: trust the scanner.
        return Err(vec![lexical]);
    }
    build::rule_file(file, pairs, scanned.comments).map_err(|d| vec![d])
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
