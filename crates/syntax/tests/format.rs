//! The formatter: snapshots of every case in `cases/format/`, and properties that must hold
//! for every case there and in `cases/parse/`: formatting is idempotent, the formatted text
//! parses to the same tree, and every comment comes out exactly once, in order.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scoreline_syntax::ast::RuleFile;
use scoreline_syntax::{format::format, parse, SourceFile};
use serde_json::Value;

fn try_parse(name: &str, text: &str) -> Result<RuleFile, String> {
    let file = Arc::new(SourceFile::new(name, text));
    parse(&file).map_err(|diagnostics| {
        diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Parses and formats `text`, failing the test on a syntax error.
fn fmt_named(name: &str, text: &str) -> String {
    let ast = try_parse(name, text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
    format(&SourceFile::new(name, text), &ast)
}

fn fmt(text: &str) -> String {
    fmt_named("test.score", text)
}

/// The tree without spans (fields named `…span`, and any other `{start, end}`), `plus`
/// flags and comments, as JSON.
fn shape(ast: &RuleFile) -> Value {
    fn is_span(value: &Value) -> bool {
        matches!(value, Value::Object(map)
            if map.len() == 2 && map.contains_key("start") && map.contains_key("end"))
    }
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|key, v| !key.ends_with("span") && key != "plus" && !is_span(v));
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(ast).expect("the tree serialises");
    if let Value::Object(map) = &mut value {
        map.remove("comments");
    }
    strip(&mut value);
    value
}

/// The comments' texts in order, without trailing blanks (the formatter trims them).
fn comment_texts(text: &str, ast: &RuleFile) -> Vec<String> {
    ast.comments
        .iter()
        .map(|c| text[c.span.range()].trim_end().to_string())
        .collect()
}

/// Checks every formatter property on one valid input.
fn check_properties(name: &str, text: &str) {
    let ast = try_parse(name, text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
    let once = format(&SourceFile::new(name, text), &ast);
    let reparsed = try_parse(name, &once)
        .unwrap_or_else(|e| panic!("{name}: the formatted text does not parse: {e}\n{once}"));
    assert_eq!(
        shape(&ast),
        shape(&reparsed),
        "{name}: formatting changed the tree:\n{once}"
    );
    assert_eq!(
        comment_texts(text, &ast),
        comment_texts(&once, &reparsed),
        "{name}: comments lost, duplicated or reordered:\n{once}"
    );
    let twice = format(&SourceFile::new(name, once.as_str()), &reparsed);
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    assert!(
        once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n")),
        "{name}: the output must end with exactly one newline"
    );
    assert!(
        once.lines().all(|line| line == line.trim_end()),
        "{name}: trailing spaces in the output:\n{once}"
    );
}

fn cases(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "score"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

#[test]
fn formatted_cases_match_their_snapshots() {
    insta::glob!("cases/format/*.score", |path| {
        let text = std::fs::read_to_string(path).expect("the case is readable");
        let name = path.file_name().unwrap().to_string_lossy();
        let out = fmt_named(&name, &text);
        insta::with_settings!({ description => text.as_str(), omit_expression => true }, {
            insta::assert_snapshot!(out);
        });
    });
}

#[test]
fn every_format_case_keeps_its_tree_and_comments_and_is_a_fixed_point() {
    let paths = cases("format");
    assert!(paths.len() >= 12, "expected at least 12 format cases");
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("the case is readable");
        check_properties(&path.display().to_string(), &text);
    }
}

#[test]
fn every_valid_parse_case_keeps_its_tree_and_comments_and_is_a_fixed_point() {
    let mut valid = 0;
    for path in cases("parse") {
        let text = std::fs::read_to_string(&path).expect("the case is readable");
        let name = path.display().to_string();
        if try_parse(&name, &text).is_ok() {
            check_properties(&name, &text);
            valid += 1;
        }
    }
    assert!(valid > 0, "no valid case found in tests/cases/parse");
}

#[test]
fn plain_points_get_an_explicit_sign() {
    assert_eq!(
        fmt("score s { rule when a => 10\nrule when b => -5 }"),
        "score s {\n  rule when a => +10\n  rule when b => -5\n}\n"
    );
}

#[test]
fn when_and_arrows_are_aligned_per_block() {
    let out = fmt("score s {\nrule \"long label\" when a => 1\nrule \"x\" when bb > 1 => 2\neach e => 3\nclamp 0..5\n}");
    assert_eq!(
        out,
        "score s {\n  rule \"long label\" when a      => +1\n  rule \"x\"          when bb > 1 => +2\n  each e                        => +3\n  clamp 0..5\n}\n"
    );
}

#[test]
fn numbers_take_their_normal_form() {
    assert_eq!(
        fmt("let a = 010 + 1.50 + 2.0 + 10_00_000 + count(x within 30.0d)"),
        "let a = 10 + 1.5 + 2 + 1_000_000 + count(x within 30d)\n"
    );
}

#[test]
fn a_comment_on_its_own_line_and_a_trailing_one_stay_where_they_were() {
    assert_eq!(
        fmt("let a = 1\n   # about b\nlet b = 2   # two\n"),
        "let a = 1\n\n# about b\nlet b = 2 # two\n"
    );
}

#[test]
fn a_comment_inside_a_multiline_expression_moves_above_it() {
    assert_eq!(
        fmt("let a = 1 + # one\n  2 # two\n"),
        "# one\nlet a = 1 + 2 # two\n"
    );
}

#[test]
fn schema_commas_become_newlines() {
    assert_eq!(
        fmt("schema { contact { id: text, age: number? } event e {} event f { x: date } }"),
        "schema {\n  contact {\n    id: text\n    age: number?\n  }\n  event e {}\n  event f { x: date }\n}\n"
    );
}

#[test]
fn odd_inputs_keep_every_property() {
    let inputs = [
        "",
        "# only a comment",
        "\n\n# comments\n\n\n# and nothing else\n\n",
        "let a = 1 # windows\r\n\r\n\r\nlet b = 2\r\n",
        "let a = 1 # trailing blanks   \nlet b = 2",
        "let a = - -x",
        "let a = not not x",
        "let a = \"bell \\u{7} cr \\u{d} quote \\\" é\"",
        "let a = 2026-11-01T09:30:00+02:00",
        "let a = [[1, 2], [], [3]]",
        "let a = [\n]",
        "score s { rule => 1 } score t { each e => 1 } segment g { \"x\" }",
        "score s { rule \"a\" when x => 1 rule \"b\" when y => 2 } # two rules on one line",
        "schema { contact { a: text, b: text } } # all on one line",
        "schema { contact { a: text, b: text # after b\n} }",
        "score s {\n  each e => 1 max -0\n  clamp -0..0\n}",
    ];
    for (i, text) in inputs.iter().enumerate() {
        check_properties(&format!("inline case {i}"), text);
    }
}

#[test]
fn windows_line_endings_become_plain_newlines() {
    assert_eq!(
        fmt("let a = 1 # one\r\n\r\nlet b = 2\r\n"),
        "let a = 1 # one\n\nlet b = 2\n"
    );
}

#[test]
fn strings_are_re_escaped_canonically() {
    assert_eq!(
        fmt("let a = \"\\u{e9}\\u{9}\\u{1b}\""),
        "let a = \"é\\t\\u{1b}\"\n"
    );
}
