//! Checking a rule file that has syntax errors: the items the parser could read are checked
//! as usual, and what a skipped item could explain is left out, so that a broken item gives
//! its syntax error and nothing else.

use scoreline_syntax::codes;
use std::sync::Arc;

use scoreline_syntax::parser::{Parsed, SkippedItem};
use scoreline_syntax::{Diagnostic, SourceFile};

use super::{check, CheckOptions, Checked};

/// Checks the items of a file read in part. Left out: a name reported unknown that a skipped
/// item declares (any unknown name, when a skipped item's name could not be read), unknown
/// fields and events when the schema was skipped, and unused lets (a skipped item may use
/// them). The syntax errors themselves are not included.
pub fn check_partial(file: &Arc<SourceFile>, parsed: &Parsed, options: &CheckOptions) -> Checked {
    let mut checked = check(file, &parsed.file, options);
    if !parsed.skipped.is_empty() {
        checked
            .diagnostics
            .retain(|d| !explained_by_skipped(file, d, &parsed.skipped));
    }
    checked
}

/// Whether `d` may only be there because of the skipped items.
fn explained_by_skipped(file: &Arc<SourceFile>, d: &Diagnostic, skipped: &[SkippedItem]) -> bool {
    if !Arc::ptr_eq(&d.file, file) {
        return false;
    }
    match d.code {
        // Unknown name, unknown plugin.
        codes::E0101 | codes::E0106 => {
            let name = file.slice(d.span);
            skipped.iter().any(|s| {
                s.may_declare_unknown_name() || s.name.as_ref().is_some_and(|n| n.name == name)
            })
        }
        // Unknown event type, event property, contact field.
        codes::E0102 | codes::E0103 | codes::E0105 => skipped
            .iter()
            .any(|s| s.keyword == Some("schema") || s.keyword.is_none()),
        // An unused let.
        codes::W0106 => true,
        _ => false,
    }
}
