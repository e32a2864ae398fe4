//! Diagnostics (errors and warnings) with spans, rendered for people or as JSON for tools.
//!
//! Every stage (parse, check, plugin compilation) produces [`Diagnostic`]s; they are turned
//! into text in one place, [`render`], so that all messages look alike.

use std::sync::Arc;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;

use crate::ast::Span;
use crate::source::SourceFile;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One error or warning, pointing at a span of a source file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable code such as `E0101` (errors) or `W0101` (warnings), one of [`crate::codes`].
    pub code: &'static str,
    /// One short lowercase sentence, the user's words in backticks.
    pub message: String,
    /// What the span is, shown under the caret (may be empty).
    pub label: String,
    /// What to do about it.
    pub help: Option<String>,
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl Diagnostic {
    /// An error at `span` of `file`.
    pub fn error(
        file: &Arc<SourceFile>,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        debug_assert!(
            crate::codes::lookup(code).is_some(),
            "{code} is not in crate::codes"
        );
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            label: String::new(),
            help: None,
            file: Arc::clone(file),
            span,
        }
    }

    /// A warning at `span` of `file`.
    pub fn warning(
        file: &Arc<SourceFile>,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, code, span, message)
        }
    }

    /// The same diagnostic with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The same diagnostic with a label under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The diagnostic as plain text: `error[E…]: message`, `--> file:line:col`, the source
    /// line, a caret underline and the help line.
    pub fn render(&self) -> String {
        let file = SimpleFile::new(self.file.name.as_str(), self.file.text.as_str());
        let severity = match self.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let len = self.file.text.len();
        let start = (self.span.start as usize).min(len);
        let end = (self.span.end as usize).clamp(start, len);
        let mut diagnostic = cs::Diagnostic::new(severity)
            .with_code(self.code)
            .with_message(&self.message)
            .with_labels(vec![
                cs::Label::primary((), start..end).with_message(&self.label)
            ]);
        if let Some(help) = &self.help {
            diagnostic = diagnostic.with_notes(vec![format!("help: {help}")]);
        }
        let mut out = String::new();
        let config = term::Config::default();
        if term::emit_to_string(&mut out, &config, &file, &diagnostic).is_err() {
            // The span does not fit the text: fall back to a plain line rather than lose it.
            let at = self.file.line_col(start);
            out = format!(
                "{}[{}]: {}\n  --> {}:{}:{}\n",
                self.severity_word(),
                self.code,
                self.message,
                self.file.name,
                at.line,
                at.column
            );
        }
        out
    }

    fn severity_word(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    /// The diagnostic as a JSON object for editors and CI: file, line, column, end line and
    /// column (1-based, columns in characters), severity, code, message, help.
    pub fn to_json(&self) -> serde_json::Value {
        let start = self.file.line_col(self.span.start as usize);
        let end = self.file.line_col(self.span.end as usize);
        serde_json::json!({
            "file": self.file.name,
            "line": start.line,
            "column": start.column,
            "end_line": end.line,
            "end_column": end.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "help": self.help,
        })
    }
}

/// Renders every diagnostic, in order, separated by blank lines.
pub fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(Diagnostic::render)
        .collect::<Vec<_>>()
        .join("\n")
}
