//! The canonical formatter: AST + source text → formatted text, comments kept.

use crate::ast::RuleFile;
use crate::source::SourceFile;

/// Formats a parsed rule file canonically.
pub fn format(file: &SourceFile, ast: &RuleFile) -> String {
    let _ = (file, ast);
    todo!("formatter")
}
