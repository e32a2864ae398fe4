//! Warnings about a script's `global::NAME` reads: a function sees the script's top-level
//! constants as `global::NAME`, not its top-level `let` variables, so such a read fails at
//! every call. Found from the script's text: comments and strings skipped, braces counted.

use std::collections::HashSet;
use std::sync::Arc;

use scoreline_syntax::ast::Span;
use scoreline_syntax::{Diagnostic, SourceFile};

/// Code of a `global::NAME` read of a top-level `let`.
pub const W_GLOBAL_LET: &str = scoreline_syntax::codes::W0804;

/// One warning per `global::NAME` whose `NAME` is a top-level `let` (and no `const`).
pub(crate) fn global_reads_of_lets(script: &Arc<SourceFile>) -> Vec<Diagnostic> {
    let words = words(&script.text);
    let mut lets: HashSet<&str> = HashSet::new();
    let mut consts: HashSet<&str> = HashSet::new();
    let mut reads: Vec<(&str, Span)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1);
        match (w.text, next) {
            ("let", Some(n)) if w.depth == 0 && n.is_name() => {
                lets.insert(n.text);
            }
            ("const", Some(n)) if w.depth == 0 && n.is_name() => {
                consts.insert(n.text);
            }
            ("global", Some(sep)) if sep.text == "::" && sep.start == w.end => {
                if let Some(n) = words
                    .get(i + 2)
                    .filter(|n| n.is_name() && n.start == sep.end)
                {
                    reads.push((n.text, Span::new(w.start, n.end)));
                }
            }
            _ => {}
        }
    }
    reads
        .into_iter()
        .filter(|(name, _)| lets.contains(name) && !consts.contains(name))
        .map(|(name, span)| {
            Diagnostic::warning(
                script,
                W_GLOBAL_LET,
                span,
                format!("`global::{name}` reads a top-level `let`, which functions cannot see"),
            )
            .with_label("fails at every call")
            .with_help(format!(
                "declare it `const {name} = …`: functions see only the script's top-level constants as `global::NAME`"
            ))
        })
        .collect()
}

/// A word of the script (a name, a keyword or `::`), with its byte range and brace depth.
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    depth: usize,
}

impl Word<'_> {
    fn is_name(&self) -> bool {
        self.text
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
    }
}

/// The script's names and `::` separators, outside comments and strings.
fn words(text: &str) -> Vec<Word<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // Rhai's block comments nest.
                let mut level = 0;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' | b'`' | b'\'' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b':' if bytes.get(i + 1) == Some(&b':') => {
                out.push(Word {
                    text: "::",
                    start: i,
                    end: i + 2,
                    depth,
                });
                i += 2;
            }
            _ if b == b'_' || b.is_ascii_alphabetic() || b >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Word {
                    text: &text[start..i],
                    start,
                    end: i,
                    depth,
                });
            }
            _ if b.is_ascii_digit() => {
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warned(text: &str) -> Vec<String> {
        let file = Arc::new(SourceFile::new("p.rhai", text.to_string()));
        global_reads_of_lets(&file)
            .iter()
            .map(|d| file.text[d.span.start as usize..d.span.end as usize].to_string())
            .collect()
    }

    #[test]
    fn a_top_level_let_read_as_global_is_warned_a_const_is_not() {
        let script =
            "let RATE = 2;\nconst BONUS = 3;\nfn f(x) { x * global::RATE + global::BONUS }\n";
        assert_eq!(warned(script), ["global::RATE"]);
    }

    #[test]
    fn lets_inside_blocks_comments_and_strings_do_not_count() {
        let script = r#"
fn f(x) { let LOCAL = 1; x + global::LOCAL }
// let C = 1; global::C
/* let D = 1; /* nested */ global::D */
fn g() { "let E = 1; global::E" }
let F = `global::F`;
"#;
        assert!(warned(script).is_empty(), "{:?}", warned(script));
    }

    #[test]
    fn a_name_both_let_and_const_is_not_warned() {
        assert!(warned("let A = 1;\nconst A = 2;\nfn f() { global::A }\n").is_empty());
        assert_eq!(
            warned("let A = 1;\nfn f() { global :: A + global::A }\n").len(),
            1
        );
    }
}
