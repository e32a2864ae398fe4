//! The registry of codes (`scoreline_syntax::codes`) against the docs and the sources: the
//! docs' tables list exactly the registered codes with the registry's words, every code
//! written anywhere in the workspace is registered, and outside the registry the sources
//! name codes only through its constants.

use std::path::{Path, PathBuf};

use scoreline_syntax::codes;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `| CODE | summary |` rows of a docs page.
fn doc_rows(page: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(workspace().join("docs").join(page)).expect("docs page");
    text.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .strip_prefix("| ")?
                .strip_suffix(" |")?
                .split(" | ")
                .collect();
            let [code, summary] = cells[..] else {
                return None;
            };
            let b = code.as_bytes();
            (b.len() == 5
                && matches!(b[0], b'E' | b'W' | b'T')
                && b[1..].iter().all(u8::is_ascii_digit))
            .then(|| (code.to_string(), summary.to_string()))
        })
        .collect()
}

#[test]
fn the_docs_list_exactly_the_registered_codes() {
    let mut documented = doc_rows("language.md");
    documented.extend(doc_rows("testing.md"));
    let registered: Vec<(String, String)> = codes::ALL
        .iter()
        .map(|c| (c.id.to_string(), c.summary.to_string()))
        .collect();
    assert_eq!(
        documented, registered,
        "docs/language.md and docs/testing.md against codes::ALL"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every literal like `E0123` in quotes of a file, with its line.
fn literals(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let b = line.as_bytes();
        for i in 0..b.len().saturating_sub(6) {
            if b[i] == b'"'
                && matches!(b[i + 1], b'E' | b'W' | b'T')
                && b[i + 2..i + 6].iter().all(u8::is_ascii_digit)
                && b[i + 6] == b'"'
            {
                out.push((n + 1, line[i + 1..i + 6].to_string()));
            }
        }
    }
    out
}

#[test]
fn every_code_in_the_sources_is_registered_and_sources_use_the_constants() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    rust_files(&workspace().join("python/src"), &mut files);
    assert!(files.len() > 50, "found the workspace's sources");
    let registry = workspace()
        .join("crates/syntax/src/codes.rs")
        .canonicalize()
        .unwrap();
    let mut unregistered = Vec::new();
    let mut written_out = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source");
        // Tests may write codes out (they say what the user sees); the library code names
        // them through the registry.
        let in_tests = file.components().any(|c| c.as_os_str() == "tests");
        let body = match text.find("#[cfg(test)]") {
            Some(at) if !in_tests => &text[..at],
            _ => &text[..],
        };
        for (line, code) in literals(&text) {
            if codes::lookup(&code).is_none() {
                unregistered.push(format!("{}:{line}: {code}", file.display()));
            }
        }
        if !in_tests && file.canonicalize().unwrap() != registry {
            for (line, code) in literals(body) {
                written_out.push(format!("{}:{line}: {code}", file.display()));
            }
        }
    }
    assert!(
        unregistered.is_empty(),
        "codes not in the registry:\n{}",
        unregistered.join("\n")
    );
    assert!(
        written_out.is_empty(),
        "codes written out instead of `codes::NAME`:\n{}",
        written_out.join("\n")
    );
}
