//! Text → AST, with the grammar in `grammar/scoreline.pest`.

use std::sync::Arc;

use crate::ast::RuleFile;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// Parses a rule file. A syntax error is returned as a diagnostic that says, in the author's
/// words, what was expected.
pub fn parse(file: &Arc<SourceFile>) -> Result<RuleFile, Vec<Diagnostic>> {
    let _ = file;
    todo!("parser")
}
