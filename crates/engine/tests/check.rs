//! The checker's behaviour, tested from rule files: each `cases/check/*.score` file is parsed
//! and checked, and its rendered diagnostics are snapshotted.
//!
//! The first line of each case says what it tests: `# E0101: …` or `# W0103: …` (that code
//! must be reported) or `# valid: …` (nothing may be reported).

use std::path::Path;
use std::sync::Arc;

use scoreline_engine::check::{
    check, check_partial, has_errors, CheckOptions, Checked, PluginFunction, PluginInfo,
    PluginResolver, Type,
};
use scoreline_syntax::diagnostic::render;
use scoreline_syntax::{Diagnostic, SourceFile};

/// Knows one plugin, `mailbox.rhai`, with `is_free/1` and `domain_kind/1`.
struct TestPlugins;

impl PluginResolver for TestPlugins {
    fn resolve(&self, declared_path: &str) -> PluginInfo {
        match declared_path {
            "mailbox.rhai" => PluginInfo::Loaded {
                functions: vec![
                    PluginFunction {
                        name: "is_free".into(),
                        arity: 1,
                    },
                    PluginFunction {
                        name: "domain_kind".into(),
                        arity: 1,
                    },
                ],
            },
            "broken.rhai" => {
                let script = Arc::new(SourceFile::new(
                    "broken.rhai",
                    "fn is_free(x) {\n  x +\n}\n",
                ));
                PluginInfo::Failed(vec![Diagnostic::error(
                    &script,
                    "E0801",
                    scoreline_syntax::ast::Span::new(22, 23),
                    "expected an expression after `+`",
                )])
            }
            other => PluginInfo::NotFound {
                reason: format!("looked for `plugins/{other}`: no such file"),
            },
        }
    }
}

fn source(path: &Path) -> Arc<SourceFile> {
    let text = std::fs::read_to_string(path).expect("case file is readable");
    let name_of = |p: Option<&Path>| {
        p.and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string()
    };
    let name = format!("cases/{}/{}", name_of(path.parent()), name_of(Some(path)));
    Arc::new(SourceFile::new(name, text))
}

/// Parses and checks a case; `Err` holds the syntax errors.
fn run(file: &Arc<SourceFile>) -> Result<Checked, Vec<Diagnostic>> {
    let ast = scoreline_syntax::parse(file)?;
    Ok(check(
        file,
        &ast,
        &CheckOptions {
            plugins: &TestPlugins,
        },
    ))
}

/// What the case's first line says it expects: a code, or `None` for a valid file.
fn expectation(file: &SourceFile) -> Option<String> {
    let first = file.text.lines().next().unwrap_or("");
    let word = first
        .trim_start_matches('#')
        .trim()
        .split(':')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        word == "valid" || (word.len() == 5 && (word.starts_with('E') || word.starts_with('W'))),
        "{}: the first line must be `# E0101: …`, `# W0101: …` or `# valid: …`",
        file.name
    );
    (word != "valid").then_some(word)
}

#[test]
fn check_cases() {
    let mut failures: Vec<String> = Vec::new();
    insta::glob!("cases/check/*.score", |path| {
        let file = source(path);
        let expected = expectation(&file);
        let rendered = match run(&file) {
            Err(syntax) => {
                let codes: Vec<&str> = syntax.iter().map(|d| d.code).collect();
                if !expected
                    .as_ref()
                    .is_some_and(|c| codes.contains(&c.as_str()))
                {
                    failures.push(format!("{}: does not parse: {codes:?}", file.name));
                }
                format!("syntax error:\n{}", render(&syntax))
            }
            Ok(checked) => {
                let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
                match &expected {
                    None if !codes.is_empty() => failures.push(format!(
                        "{}: expected no diagnostics, got {codes:?}",
                        file.name
                    )),
                    Some(code) if !codes.contains(&code.as_str()) => {
                        failures.push(format!("{}: expected {code}, got {codes:?}", file.name))
                    }
                    _ => {}
                }
                let starts: Vec<u32> = checked.diagnostics.iter().map(|d| d.span.start).collect();
                let same_file: Vec<u32> = checked
                    .diagnostics
                    .iter()
                    .filter(|d| Arc::ptr_eq(&d.file, &file))
                    .map(|d| d.span.start)
                    .collect();
                if !same_file.windows(2).all(|w| w[0] <= w[1]) {
                    failures.push(format!("{}: diagnostics not sorted: {starts:?}", file.name));
                }
                render(&checked.diagnostics)
            }
        };
        insta::assert_snapshot!(rendered);
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Files with syntax errors: the items that parse are checked too, and nothing a broken item
/// may explain is reported. The second line lists the codes expected, in order:
/// `# expect: E0001 E0301`.
#[test]
fn check_partial_cases() {
    let mut failures: Vec<String> = Vec::new();
    insta::glob!("cases/check_partial/*.score", |path| {
        let file = source(path);
        let expected: Vec<&str> = file
            .text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect:"))
            .unwrap_or_else(|| panic!("{}: the first line must be `# expect: …`", file.name))
            .split_whitespace()
            .collect();
        let parsed = scoreline_syntax::parser::parse_recovering(&file);
        assert!(!parsed.errors.is_empty(), "{}: no syntax error", file.name);
        let checked = check_partial(
            &file,
            &parsed,
            &CheckOptions {
                plugins: &TestPlugins,
            },
        );
        let mut all: Vec<Diagnostic> = parsed.errors.clone();
        all.extend(checked.diagnostics);
        all.sort_by_key(|d| d.span.start);
        let codes: Vec<&str> = all.iter().map(|d| d.code).collect();
        if codes != expected {
            failures.push(format!(
                "{}: expected {expected:?}, got {codes:?}",
                file.name
            ));
        }
        insta::assert_snapshot!(render(&all));
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn language_example_has_no_diagnostics() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases/check/valid_language_example.score");
    let file = source(&path);
    let checked = run(&file).unwrap_or_else(|e| panic!("does not parse:\n{}", render(&e)));
    assert!(
        checked.diagnostics.is_empty(),
        "the §1 example must be clean:\n{}",
        render(&checked.diagnostics)
    );
    assert!(!has_errors(&checked.diagnostics));
    assert_eq!(checked.types["days_inactive"], Type::Number);
    assert_eq!(checked.types["total"], Type::Number);
    assert_eq!(checked.types["tier"], Type::Text);
    let schema = checked.schema.expect("the example has a schema");
    let contact: Vec<&str> = schema.contact.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(contact[0], "id");
    assert_eq!(contact.iter().filter(|n| **n == "id").count(), 1);
    assert!(schema
        .contact
        .iter()
        .any(|f| f.name == "employees" && f.optional));
    let events: Vec<&str> = schema.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        events,
        [
            "page_view",
            "email_open",
            "email_click",
            "form_submit",
            "demo_request",
            "unsubscribe",
            "order"
        ]
    );
}

#[test]
fn without_schema_there_is_no_data_schema_and_names_are_fields() {
    let file = Arc::new(SourceFile::new(
        "inline.score",
        "score s { rule when industry == \"SaaS\" => +10 }\n",
    ));
    let checked = run(&file).expect("parses");
    assert!(checked.schema.is_none());
    assert!(
        checked.diagnostics.is_empty(),
        "{}",
        render(&checked.diagnostics)
    );
}

#[test]
fn plugin_compile_errors_are_passed_on_after_the_file_s_own() {
    let file = Arc::new(SourceFile::new(
        "inline.score",
        "plugin b = \"broken.rhai\"\nscore s { rule when b.is_free(x) => +1 rule when lowr(x) == \"a\" => +1 }\n",
    ));
    let checked = run(&file).expect("parses");
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    // The call of a plugin that failed to compile is not checked again (no cascade).
    assert_eq!(codes, ["E0104", "E0801"]);
    assert_eq!(checked.diagnostics[1].file.name, "broken.rhai");
}
