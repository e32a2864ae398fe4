//! Plugin errors: compile errors as [`Diagnostic`]s, run-time errors as [`PluginError`]s.
//!
//! Rhai's own messages are rewritten in the user's words: no Rust type names, the limit
//! that stopped a call and how to raise it.

use std::fmt;
use std::sync::Arc;

use rhai::{EvalAltResult, ParseError, ParseErrorType, Position};
use scoreline_syntax::ast::Span;
use scoreline_syntax::source::LineCol;
use scoreline_syntax::{Diagnostic, SourceFile};

use crate::limits::Limits;
use crate::value::type_in_words;

/// Code of a plugin script that does not compile.
pub const E_COMPILE: &str = scoreline_syntax::codes::E0801;
/// Code of a plugin script whose top-level statements fail when it is loaded.
pub const E_LOAD: &str = scoreline_syntax::codes::E0802;
/// Code of a plugin call that fails at run time.
pub const E_CALL: &str = scoreline_syntax::codes::E0803;

/// A plugin call that failed at run time; the engine gives missing for that contact.
#[derive(Debug, Clone)]
pub struct PluginError {
    /// The plugin's name in the rule file (`mailbox` in `plugin mailbox = "…"`).
    pub plugin: Arc<str>,
    /// The function called.
    pub function: String,
    /// The plugin's script.
    pub file: Arc<SourceFile>,
    /// Where in the script it failed, when known (1-based line, character column).
    pub position: Option<LineCol>,
    /// One short lowercase sentence, in the user's words.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl PluginError {
    /// The byte span of the failing position in the script, when known.
    pub fn span(&self) -> Option<Span> {
        let at = self.position?;
        Some(span_at(&self.file, at.line, at.column))
    }

    /// The error as a diagnostic pointing into the script (at its start if the position is unknown).
    pub fn to_diagnostic(&self) -> Diagnostic {
        let span = self.span().unwrap_or(Span::new(0, 0));
        let diagnostic = Diagnostic::error(
            &self.file,
            E_CALL,
            span,
            format!(
                "plugin `{}`: `{}` failed: {}",
                self.plugin, self.function, self.message
            ),
        );
        match &self.help {
            Some(help) => diagnostic.with_help(help.clone()),
            None => diagnostic,
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plugin `{}`: `{}` failed", self.plugin, self.function)?;
        if let Some(at) = self.position {
            write!(f, " at {}:{}:{}", self.file.name, at.line, at.column)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PluginError {}

/// The byte span of the character at 1-based `line` and character `column` of `file`.
pub(crate) fn span_at(file: &SourceFile, line: usize, column: usize) -> Span {
    let starts = file.line_starts();
    let line_start = starts
        .get(line.saturating_sub(1))
        .copied()
        .unwrap_or(file.text.len());
    let line_end = starts.get(line).copied().unwrap_or(file.text.len());
    let line_text = &file.text[line_start..line_end];
    let mut chars = line_text.char_indices().skip(column.saturating_sub(1));
    match chars.next() {
        Some((offset, c)) if c != '\n' && c != '\r' => {
            // Underline a whole word (`totl`, `eval`), otherwise the one character.
            let word = |c: char| c.is_alphanumeric() || c == '_';
            let len = if word(c) {
                line_text[offset..]
                    .find(|c: char| !word(c))
                    .unwrap_or(line_text.len() - offset)
            } else {
                c.len_utf8()
            };
            Span::new(line_start + offset, line_start + offset + len)
        }
        Some((offset, _)) => Span::new(line_start + offset, line_start + offset),
        None => {
            let end = line_start + line_text.trim_end_matches(['\n', '\r']).len();
            Span::new(end, end)
        }
    }
}

/// Where `fn NAME` is defined in the script: the position shown when Rhai gives none.
pub(crate) fn function_position(file: &SourceFile, name: &str) -> Option<LineCol> {
    let text = &file.text;
    let pattern = format!("fn {name}");
    let mut from = 0;
    while let Some(found) = text[from..].find(&pattern) {
        let start = from + found;
        let after = text[start + pattern.len()..].chars().next();
        let before = text[..start].chars().next_back();
        let whole_word = !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && matches!(after, Some('(') | Some(' ') | Some('\t'));
        if whole_word {
            return Some(file.line_col(start));
        }
        from = start + pattern.len();
    }
    None
}

/// A line and column from a Rhai position.
pub(crate) fn line_col(position: Position) -> Option<LineCol> {
    let line = position.line()?;
    Some(LineCol {
        line,
        column: position.position().unwrap_or(1),
    })
}

/// A compile error of a plugin script as a diagnostic at its line and column.
pub(crate) fn compile_diagnostic(file: &Arc<SourceFile>, error: &ParseError) -> Diagnostic {
    let at = line_col(error.position()).unwrap_or(LineCol { line: 1, column: 1 });
    let span = span_at(file, at.line, at.column);
    let (message, help) = parse_message(&error.0);
    let diagnostic = Diagnostic::error(file, E_COMPILE, span, message);
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

/// A failure of the script's top-level statements as a diagnostic.
pub(crate) fn load_diagnostic(
    file: &Arc<SourceFile>,
    error: EvalAltResult,
    limits: &Limits,
) -> Diagnostic {
    let (position, message, help) = runtime_message(error, limits);
    let at = position.unwrap_or(LineCol { line: 1, column: 1 });
    let span = span_at(file, at.line, at.column);
    let diagnostic = Diagnostic::error(
        file,
        E_LOAD,
        span,
        format!("the plugin failed while loading: {message}"),
    );
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

/// A user-facing message and help line for a parse error.
fn parse_message(error: &ParseErrorType) -> (String, Option<String>) {
    match error {
        ParseErrorType::Reserved(word) | ParseErrorType::BadInput(rhai::LexError::ImproperSymbol(word, _))
            if word == "eval" =>
        {
            (
                "plugins cannot use `eval`".into(),
                Some("write the code directly in the plugin instead of building it as text".into()),
            )
        }
        ParseErrorType::Reserved(word) | ParseErrorType::BadInput(rhai::LexError::ImproperSymbol(word, _))
            if word == "import" =>
        {
            (
                "plugins cannot import other scripts".into(),
                Some("copy the functions you need into this plugin".into()),
            )
        }
        ParseErrorType::VariableUndefined(name) => (
            format!("unknown variable `{name}`"),
            Some("declare it with `let`, or read a top-level constant as `global::NAME`".into()),
        ),
        ParseErrorType::ExprTooDeep => (
            "this expression is nested too deeply".into(),
            Some("split it into smaller expressions, or raise `plugins: max_expr_depth` in scoreline.yaml".into()),
        ),
        other => (sentence(&other.to_string()), None),
    }
}

/// Rewrites a Rhai message as one lowercase sentence without a final period.
fn sentence(text: &str) -> String {
    let text = text.trim().trim_end_matches('.');
    let mut chars = text.chars();
    let mut out = match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>(),
        None => return "the script is not valid".into(),
    };
    out.push_str(chars.as_str());
    // Rhai quotes names with '…'; our messages use backticks.
    readable_types(&out).replace('\'', "`")
}

/// Replaces Rhai's internal type names in a message with user words.
fn readable_types(text: &str) -> String {
    let mut out = text.to_string();
    for (rust, user) in [
        ("alloc::string::String", "text"),
        ("ImmutableString", "text"),
        ("rhai::", ""),
        ("i64", "integer"),
        ("f64", "number"),
        ("()", "nothing"),
    ] {
        out = out.replace(rust, user);
    }
    out
}

/// Where a run-time error happened, what it means and what to do.
pub(crate) fn runtime_message(
    mut error: EvalAltResult,
    limits: &Limits,
) -> (Option<LineCol>, String, Option<String>) {
    // The innermost error says what went wrong; outer ones only say through which calls.
    while let EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
    | EvalAltResult::ErrorInModule(_, inner, _) = error
    {
        error = *inner;
    }
    let position = line_col(error.position());
    let raise = |key: &str, what: &str| {
        Some(format!(
            "{what}, or raise `plugins: {key}` in scoreline.yaml"
        ))
    };
    let (message, help) = match error {
        EvalAltResult::ErrorTooManyOperations(_) => (
            format!("the call took more than {} operations", limits.max_operations),
            raise("max_operations", "check for a loop that never ends"),
        ),
        EvalAltResult::ErrorTerminated(..) => (
            format!("the call ran longer than {} ms", limits.max_call_time.as_millis()),
            raise("max_call_time", "check for a loop that never ends"),
        ),
        EvalAltResult::ErrorStackOverflow(_) => (
            format!("functions called each other more than {} levels deep", limits.max_call_depth),
            raise("max_call_depth", "check for a function that calls itself without end"),
        ),
        EvalAltResult::ErrorDataTooLarge(ref what, _) => {
            let (message, key) = if what.contains("string") || what.contains("String") {
                (format!("a text grew longer than {} bytes", limits.max_string_size), "max_string_size")
            } else if what.contains("array") || what.contains("Array") {
                (format!("a list grew longer than {} items", limits.max_array_size), "max_array_size")
            } else if what.contains("map") || what.contains("Map") {
                (format!("a map grew larger than {} entries", limits.max_map_size), "max_map_size")
            } else {
                (sentence(&format!("{what} too large")), "max_string_size")
            };
            (message, raise(key, "build smaller values"))
        }
        EvalAltResult::ErrorTooManyVariables(_) => (
            format!("the call declared more than {} variables", limits.max_variables),
            raise("max_variables", "reuse variables"),
        ),
        EvalAltResult::ErrorTooManyModules(_) | EvalAltResult::ErrorModuleNotFound(..) => (
            "plugins cannot import other scripts".into(),
            Some("copy the functions you need into this plugin".into()),
        ),
        // `eval` reached through a function pointer (`Fn("eval")`) is refused at run time.
        EvalAltResult::ErrorParsing(ref kind, _) => parse_message(kind),
        EvalAltResult::ErrorRuntime(ref value, _) => {
            let text = if value.is_string() {
                value.to_string()
            } else {
                format!("{value}")
            };
            (format!("the script threw `{text}`"), None)
        }
        EvalAltResult::ErrorVariableNotFound(ref name, _) => (format!("unknown variable `{name}`"), None),
        EvalAltResult::ErrorFunctionNotFound(ref signature, _) => (
            format!("no function `{}`", readable_types(signature)),
            Some("check the function's name and the kinds of its arguments (a missing value is `()`)".into()),
        ),
        EvalAltResult::ErrorMismatchDataType(ref expected, ref actual, _) => (
            format!(
                "expected {} but got {}",
                type_word(expected),
                type_word(actual)
            ),
            None,
        ),
        EvalAltResult::ErrorArrayBounds(len, index, _) => (
            format!("position {index} is outside a list of {len} items"),
            None,
        ),
        EvalAltResult::ErrorStringBounds(len, index, _) => (
            format!("position {index} is outside a text of {len} characters"),
            None,
        ),
        EvalAltResult::ErrorArithmetic(ref what, _) => (sentence(what), None),
        EvalAltResult::ErrorIndexingType(ref what, _) => (
            format!("{} cannot be indexed", type_word(what)),
            None,
        ),
        ref mut other => {
            other.clear_position();
            (sentence(&other.to_string()), None)
        }
    };
    (position, message, help)
}

/// A Rhai type name in a message as user words.
fn type_word(rhai_type: &str) -> String {
    match type_in_words(rhai_type) {
        "a value of an unsupported kind" => format!("`{}`", readable_types(rhai_type)),
        words => words.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_become_byte_spans() {
        let file = SourceFile::new("p.rhai", "let a = 1;\nlet é = x;\n");
        assert_eq!(file.slice(span_at(&file, 1, 5)), "a");
        assert_eq!(file.slice(span_at(&file, 1, 1)), "let");
        assert_eq!(file.slice(span_at(&file, 1, 7)), "=");
        // Columns count characters: `=` after the two-byte `é`.
        assert_eq!(file.slice(span_at(&file, 2, 7)), "=");
        // Past the end of a line: an empty span at its end.
        assert_eq!(span_at(&file, 1, 40), Span::new(10, 10));
        assert_eq!(span_at(&file, 9, 1), Span::new(23, 23));
    }

    #[test]
    fn messages_are_lowercase_sentences_without_rust_names() {
        assert_eq!(
            sentence("Division by zero: 1 / 0."),
            "division by zero: 1 / 0"
        );
        assert_eq!(
            readable_types("foo (i64, f64, ())"),
            "foo (integer, number, nothing)"
        );
    }
}
