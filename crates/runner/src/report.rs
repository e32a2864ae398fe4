//! HTML reports (`--report FILE.html`): one self-contained page, charts as inline SVG.

use std::path::Path;

use crate::evaluate::Evaluated;

/// The page of `scoreline evaluate`.
pub fn evaluate_page(e: &Evaluated) -> String {
    format!("<!doctype html><title>{}</title>", e.report.ruleset.name)
}

/// Writes a report atomically.
pub fn write(path: &Path, html: &str) -> Result<(), String> {
    crate::output::create_parent(path)?;
    scoreline_data::write_atomic(path, |w| w.write_all(html.as_bytes())).map_err(|e| {
        format!(
            "error: cannot write `{}`: {}",
            path.display(),
            crate::sources::io_reason(&e)
        )
    })
}
