//! `scoreline lsp` driven over stdio by a real JSON-RPC client (tests/lsp/client.rs): the
//! lifecycle, diagnostics equal to `check`, formatting equal to `fmt`, hover, navigation,
//! rename, completion, symbols, and bad input that must not stop the server.

#[path = "lsp/client.rs"]
mod client;
mod common;

use std::path::{Path, PathBuf};

use client::{position, position_of, uri_of, Client};
use serde_json::{json, Value};

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lsp")
}

fn b2b() -> (PathBuf, String) {
    let path = common::repo()
        .join("rulesets/b2b-leads/leads.score")
        .canonicalize()
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn doc(uri: &str, at: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": at })
}

#[test]
fn the_session_starts_and_ends_as_the_protocol_says() {
    let dir = tempfile::tempdir().unwrap();
    let (client, init) = Client::start(dir.path());
    let caps = &init["capabilities"];
    assert_eq!(caps["textDocumentSync"], json!(2), "incremental sync");
    for capability in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
    ] {
        assert_eq!(caps[capability], json!(true), "{capability}");
    }
    assert_eq!(caps["renameProvider"]["prepareProvider"], json!(true));
    assert!(caps["completionProvider"]["triggerCharacters"]
        .as_array()
        .unwrap()
        .contains(&json!(".")));
    assert_eq!(init["serverInfo"]["name"], "scoreline");
    assert_eq!(client.shutdown(), 0);

    // `exit` without `shutdown` is exit code 1; so is the input ending.
    let (mut client, _) = Client::start(dir.path());
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(), 1);
    let (mut client, _) = Client::start(dir.path());
    client.close_input();
    assert_eq!(client.wait_exit(), 1);
}

/// `check --format json`'s diagnostics of `file`, as the editor's ranges, messages and codes.
fn check_as_lsp(file: &Path) -> Vec<(String, Value)> {
    let out = common::scoreline(
        &["check", "--format", "json", file.to_str().unwrap()],
        file.parent().unwrap(),
    );
    let diagnostics: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    diagnostics
        .into_iter()
        .map(|d| {
            let path = file.parent().unwrap().join(d["file"].as_str().unwrap());
            let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
                std::fs::read_to_string(d["file"].as_str().unwrap()).unwrap()
            });
            let to_lsp = |line: u64, column: u64| {
                // `check` counts characters from 1; the editor counts UTF-16 units from 0.
                let line_text = text.split('\n').nth(line as usize - 1).unwrap_or("");
                let units: usize = line_text
                    .chars()
                    .take(column as usize - 1)
                    .map(char::len_utf16)
                    .sum();
                json!({ "line": line - 1, "character": units })
            };
            let mut message = d["message"].as_str().unwrap().to_string();
            if let Some(help) = d["help"].as_str() {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let file_name = Path::new(d["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                file_name,
                json!({
                    "range": {
                        "start": to_lsp(d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap()),
                        "end": to_lsp(d["end_line"].as_u64().unwrap(), d["end_column"].as_u64().unwrap()),
                    },
                    "severity": if d["severity"] == "error" { 1 } else { 2 },
                    "code": d["code"],
                    "source": "scoreline",
                    "message": message,
                }),
            )
        })
        .collect()
}

#[test]
fn diagnostics_are_those_of_check_for_every_case() {
    let dir = cases().join("diagnostics").canonicalize().unwrap();
    let (mut client, _) = Client::start(&dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "score"))
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let expected = check_as_lsp(&file);
        let uri = uri_of(&file);
        client.open(&uri, &std::fs::read_to_string(&file).unwrap());
        let published = client.diagnostics(&uri);
        assert_eq!(published["version"], json!(1), "{name}");
        let own: Vec<Value> = expected
            .iter()
            .filter(|(f, _)| *f == name)
            .map(|(_, d)| d.clone())
            .collect();
        assert_eq!(published["diagnostics"], json!(own), "{name}");
        if name == "clean.score" {
            assert_eq!(own, Vec::<Value>::new());
        } else {
            assert!(!own.is_empty(), "{name} has findings");
        }
        // A plugin's own errors are published on the plugin's file.
        let in_plugins: Vec<&(String, Value)> =
            expected.iter().filter(|(f, _)| *f != name).collect();
        for (plugin, d) in in_plugins {
            let plugin_uri = uri_of(&dir.join(plugin));
            let published = client.diagnostics(&plugin_uri);
            assert_eq!(published["diagnostics"], json!([d]), "{plugin}");
        }
    }
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn every_change_is_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.score");
    let text = "score fit {\n  rule \"Big\" when employees > 100 => +10\n}\n";
    std::fs::write(&path, text).unwrap();
    let uri = uri_of(&path);
    let (mut client, _) = Client::start(dir.path());
    client.open(&uri, text);
    assert_eq!(client.diagnostics(&uri)["diagnostics"], json!([]));

    // An incremental change: `100` becomes `"many"`, a type error.
    let start = position_of(text, "100", 0, 0);
    let end = position_of(text, "100", 0, 3);
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": { "start": start, "end": end }, "text": "\"many\"" }],
        }),
    );
    let published = client.diagnostics(&uri);
    assert_eq!(published["version"], json!(2));
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{published}");
    let changed = text.replace("100", "\"many\"");
    std::fs::write(&path, &changed).unwrap();
    assert_eq!(
        json!(diagnostics),
        json!(check_as_lsp(&path)
            .into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>())
    );

    // A whole-text change back to the valid file clears them.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": text }] }),
    );
    let published = client.diagnostics(&uri);
    assert_eq!(published["version"], json!(3));
    assert_eq!(published["diagnostics"], json!([]));

    // Closing the document clears what was published for it.
    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(client.diagnostics(&uri)["diagnostics"], json!([]));
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn formatting_gives_what_fmt_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messy.score");
    let text = "# keep me\nscore   fit{\nrule \"Big\"    when employees>100=>+10 # and me\n  clamp 0..50}\nsegment tier { \"a\" when fit>5 => \"x\"\n\"b\" }\n";
    std::fs::write(&path, text).unwrap();
    let uri = uri_of(&path);
    let (mut client, _) = Client::start(dir.path());
    client.open(&uri, text);
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let out = common::scoreline(&["fmt", "messy.score"], dir.path());
    assert!(out.status.success(), "{}", common::stderr(&out));
    let formatted = std::fs::read_to_string(&path).unwrap();
    assert_ne!(formatted, text);
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], json!(formatted));
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    assert_eq!(edits[0]["range"]["end"], position(text, text.len()));

    // Formatted already: no edit. With a syntax error: an error answer, not a guess.
    client.open(&uri_of(&dir.path().join("fine.score")), &formatted);
    let none = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri_of(&dir.path().join("fine.score")) }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(none, json!([]));
    let broken = uri_of(&dir.path().join("broken.score"));
    client.open(&broken, "score fit {\n  rule when => +1\n}\n");
    let answer = client.call(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": broken }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("syntax errors"));
    assert_eq!(client.shutdown(), 0);
}

fn hover_text(client: &mut Client, uri: &str, at: Value) -> String {
    let hover = client.request("textDocument/hover", doc(uri, at));
    hover["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no hover: {hover}"))
        .to_string()
}

#[test]
fn hover_tells_types_points_decay_labels_and_signatures() {
    let (path, text) = b2b();
    let uri = uri_of(&path);
    let (mut client, _) = Client::start(path.parent().unwrap());
    client.open(&uri, &text);
    let checks: &[(&str, usize, usize, &[&str])] = &[
        // A field: its type, and whether it may be missing.
        (
            "employees between",
            0,
            0,
            &["employees: number?", "optional"],
        ),
        ("industry in", 0, 0, &["industry: text", "required"]),
        // An event type: its properties.
        (
            "each page_view where",
            0,
            5,
            &["event page_view { url: text }"],
        ),
        // An event property inside `where`.
        (
            "url starts_with",
            0,
            0,
            &["url: text", "property of `page_view`"],
        ),
        // A score: label and clamp.
        (
            "fit + engagement",
            0,
            0,
            &[
                "score fit \"Profile fit\"",
                "clamped to 0..50",
                "type: number",
            ],
        ),
        // A clause: points, cap and decay in words.
        (
            "=> +10 max 30",
            0,
            3,
            &[
                "**+10** points for each",
                "at most 30 in all",
                "halve every 30 days",
            ],
        ),
        (
            "Demo requested",
            0,
            0,
            &["**+40** points when `count(demo_request within 60d) > 0`"],
        ),
        // A built-in function.
        (
            "days_since(",
            0,
            0,
            &["days_since(date or event)", "example: `days_since("],
        ),
        // A plugin function's signature.
        (
            "is_free(email)",
            0,
            0,
            &["mailbox.is_free(email)", "email_domain.rhai"],
        ),
        // A let.
        (
            "days_inactive >",
            0,
            0,
            &["let days_inactive = days_since(last(any))"],
        ),
    ];
    for (needle, n, shift, wanted) in checks {
        let hover = hover_text(&mut client, &uri, position_of(&text, needle, *n, *shift));
        for w in *wanted {
            assert!(
                hover.contains(w),
                "hover at `{needle}` lacks `{w}`:\n{hover}"
            );
        }
    }
    // A segment lists its arms.
    let hover = hover_text(&mut client, &uri, position_of(&text, "segment tier", 0, 9));
    assert!(hover.contains("`\"hot\"` when `total >= 70`"), "{hover}");
    // Nothing there: null, not an error.
    let blank = client.request(
        "textDocument/hover",
        doc(&uri, position_of(&text, "\n\n", 0, 1)),
    );
    assert_eq!(blank, Value::Null);
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn definition_references_and_rename_follow_names() {
    let (path, text) = b2b();
    let uri = uri_of(&path);
    let (mut client, _) = Client::start(path.parent().unwrap());
    client.open(&uri, &text);

    // The `fit` in `total = fit + engagement` is defined by `score fit`.
    let def = client.request(
        "textDocument/definition",
        doc(&uri, position_of(&text, "fit + engagement", 0, 1)),
    );
    assert_eq!(def["uri"], json!(uri));
    assert_eq!(
        def["range"]["start"],
        position_of(&text, "fit \"Profile fit\"", 0, 0)
    );
    // A field's definition is its schema line.
    let def = client.request(
        "textDocument/definition",
        doc(&uri, position_of(&text, "employees between", 0, 2)),
    );
    assert_eq!(
        def["range"]["start"],
        position_of(&text, "employees: number?", 0, 0)
    );
    // A plugin function's definition is in the script.
    let def = client.request(
        "textDocument/definition",
        doc(&uri, position_of(&text, "is_free(email)", 0, 2)),
    );
    assert!(
        def["uri"]
            .as_str()
            .unwrap()
            .ends_with("plugins/email_domain.rhai"),
        "{def}"
    );

    // References of `days_inactive`: the definition and its one use.
    let refs = client.request(
        "textDocument/references",
        json!({
            "textDocument": { "uri": uri },
            "position": position_of(&text, "let days_inactive", 0, 5),
            "context": { "includeDeclaration": true },
        }),
    );
    let starts: Vec<Value> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["range"]["start"].clone())
        .collect();
    let uses = text.matches("days_inactive").count();
    assert_eq!(starts.len(), uses);
    assert_eq!(starts[0], position_of(&text, "days_inactive", 0, 0));

    // Rename `total` everywhere it is the score (and refuse a keyword or a taken name).
    let prepared = client.request(
        "textDocument/prepareRename",
        doc(&uri, position_of(&text, "score total", 0, 7)),
    );
    assert_eq!(
        prepared["start"],
        position_of(&text, "total \"Lead score\"", 0, 0)
    );
    let edit = client.request(
        "textDocument/rename",
        json!({
            "textDocument": { "uri": uri },
            "position": position_of(&text, "score total", 0, 7),
            "newName": "lead_score",
        }),
    );
    let edits = edit["changes"][&uri].as_array().unwrap();
    let score_uses = text.matches("total >=").count() + 1;
    assert_eq!(edits.len(), score_uses, "{edit}");
    assert!(edits.iter().all(|e| e["newText"] == "lead_score"));
    for bad in ["when", "fit", "2x"] {
        let answer = client.call(
            "textDocument/rename",
            json!({
                "textDocument": { "uri": uri },
                "position": position_of(&text, "score total", 0, 7),
                "newName": bad,
            }),
        );
        assert!(answer["error"]["message"].is_string(), "{bad}: {answer}");
    }
    let answer = client.call(
        "textDocument/prepareRename",
        doc(&uri, position_of(&text, "employees between", 0, 2)),
    );
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("only lets, scores, segments and plugins"));
    assert_eq!(client.shutdown(), 0);
}

fn labels(completion: &Value) -> Vec<String> {
    completion
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion_offers_what_fits_the_place() {
    let (path, text) = b2b();
    let uri = uri_of(&path);
    let (mut client, _) = Client::start(path.parent().unwrap());
    // Typing a new clause at the end of the fit block.
    let at = text.find("  clamp 0..50").unwrap();
    let complete = |client: &mut Client, typed: &str| {
        let edited = format!("{}{typed}\n{}", &text[..at], &text[at..]);
        client.open(&uri, &edited);
        client.request(
            "textDocument/completion",
            doc(&uri, position(&edited, at + typed.len())),
        )
    };
    let inside_where = labels(&complete(&mut client, "  each form_submit where fo"));
    assert_eq!(inside_where[0], "form", "{inside_where:?}");
    assert!(inside_where.contains(&"at".to_string()));
    assert!(
        !inside_where.contains(&"url".to_string()),
        "url is page_view's"
    );
    let plugin = labels(&complete(&mut client, "  rule when mailbox."));
    // The script's callable functions (`fn NAME(`; names starting with `_` are private).
    let script = std::fs::read_to_string(common::repo().join("plugins/email_domain.rhai")).unwrap();
    let mut declared: Vec<String> = script
        .lines()
        .filter_map(|l| l.strip_prefix("fn "))
        .map(|l| l.split('(').next().unwrap().trim().to_string())
        .filter(|name| !name.starts_with('_'))
        .collect();
    declared.sort();
    let mut plugin = plugin;
    plugin.sort();
    assert_eq!(plugin, declared);
    assert!(plugin.contains(&"is_free".to_string()));
    let events = labels(&complete(&mut client, "  each "));
    assert!(events.contains(&"page_view".to_string()) && events.contains(&"any".to_string()));
    assert!(!events.contains(&"employees".to_string()));
    let aggregate = labels(&complete(&mut client, "  rule when count("));
    assert!(aggregate.contains(&"demo_request".to_string()));
    let anywhere = complete(&mut client, "  rule when emp");
    let names = labels(&anywhere);
    // (`fit` itself does not parse while its clause is being typed: the other items do.)
    for wanted in [
        "employees",
        "days_inactive",
        "engagement",
        "lower",
        "days_since",
        "count",
        "between",
    ] {
        assert!(names.contains(&wanted.to_string()), "{wanted} in {names:?}");
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "each offered once: {names:?}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "each offered once: {names:?}");
    let employees = anywhere
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "employees")
        .unwrap();
    assert_eq!(employees["detail"], "contact field: number?");
    let contact = labels(&complete(&mut client, "  rule when contact."));
    assert!(contact.contains(&"country".to_string()) && !contact.contains(&"fit".to_string()));
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn symbols_list_the_items() {
    let (path, text) = b2b();
    let uri = uri_of(&path);
    let (mut client, _) = Client::start(path.parent().unwrap());
    client.open(&uri, &text);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "schema",
            "mailbox",
            "days_inactive",
            "fit",
            "engagement",
            "total",
            "tier",
            "grade"
        ]
    );
    let tier = symbols
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "tier")
        .unwrap();
    let arms: Vec<&str> = tier["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(arms, ["hot", "warm", "cold"]);
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn bad_input_is_answered_or_ignored_and_the_server_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let (mut client, _) = Client::start(dir.path());
    let uri = uri_of(&dir.path().join("a.score"));

    // Malformed JSON: a parse error with a null id.
    client.write_raw(b"Content-Length: 9\r\n\r\n{\"jsonrpc");
    let error = client.wait_for(|m| m["id"].is_null() && m.get("error").is_some());
    assert_eq!(error["error"]["code"], json!(-32700));
    // A body that is not UTF-8.
    client.write_raw(b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc");
    let error = client.wait_for(|m| m["id"].is_null() && m.get("error").is_some());
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("UTF-8"));
    // A header without a length.
    client.write_raw(b"Content-Type: x\r\n\r\n");
    client.wait_for(|m| m["id"].is_null() && m.get("error").is_some());

    // A change to a document never opened: ignored.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    // Requests about it, or past the end of an open one: null.
    assert_eq!(
        client.request(
            "textDocument/hover",
            doc(&uri, json!({ "line": 0, "character": 0 }))
        ),
        Value::Null
    );
    client.open(&uri, "score fit = 1\n");
    client.diagnostics(&uri);
    for at in [
        json!({ "line": 0, "character": 99 }),
        json!({ "line": 40, "character": 0 }),
    ] {
        assert_eq!(
            client.request("textDocument/hover", doc(&uri, at.clone())),
            Value::Null
        );
        assert_eq!(
            client.request("textDocument/completion", doc(&uri, at.clone())),
            Value::Null
        );
        assert_eq!(
            client.request("textDocument/definition", doc(&uri, at)),
            Value::Null
        );
    }
    // Bad parameters and unknown methods: error answers.
    let answer = client.call("textDocument/hover", json!({ "nothing": true }));
    assert_eq!(answer["error"]["code"], json!(-32602));
    let answer = client.call("workspace/symbol", json!({ "query": "" }));
    assert_eq!(answer["error"]["code"], json!(-32601));
    // A change whose range lies past the end is applied at the end.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 3 },
            "contentChanges": [{ "range": { "start": { "line": 9, "character": 0 }, "end": { "line": 9, "character": 5 } }, "text": "let x = 1\n" }],
        }),
    );
    let published = client.diagnostics(&uri);
    assert_eq!(published["version"], json!(3));

    // A 50 MB document: one warning, and the server still answers.
    let big_uri = uri_of(&dir.path().join("big.score"));
    let line = "let a_fairly_long_name_for_a_let = 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11\n";
    let big = line.repeat(50 * 1024 * 1024 / line.len());
    client.open(&big_uri, &big);
    let published = client.diagnostics(&big_uri);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1);
    assert!(diagnostics[0]["message"]
        .as_str()
        .unwrap()
        .contains("too large to check as you type"));
    assert_eq!(
        client.request(
            "textDocument/hover",
            doc(&big_uri, json!({ "line": 0, "character": 5 }))
        ),
        Value::Null
    );
    // Requests before `initialize` are refused (a fresh server).
    let (mut fresh, _) = Client::start(dir.path());
    fresh.notify("exit", Value::Null);
    fresh.wait_exit();
    assert_eq!(client.shutdown(), 0);
}

#[test]
fn hover_names_the_column_a_field_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.score");
    let text = "schema {\n  contact { id: text, employees: number? from \"Number of Employees\" }\n}\nscore fit {\n  rule \"Big\" when employees > 100 => +10\n}\n";
    std::fs::write(&path, text).unwrap();
    let uri = uri_of(&path);
    let (mut client, _) = Client::start(dir.path());
    client.open(&uri, text);
    assert_eq!(client.diagnostics(&uri)["diagnostics"], json!([]));
    let hover = hover_text(&mut client, &uri, position_of(text, "employees >", 0, 1));
    assert!(
        hover.contains("employees: number?")
            && hover.contains("the data column `Number of Employees`"),
        "{hover}"
    );
    assert_eq!(client.shutdown(), 0);
}
