//! The plugin host through its public API: the example plugins in `plugins/`, compile and
//! load errors, the sandbox against hostile scripts, and concurrent calls.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scoreline_data::Value;
use scoreline_plugins::{EventArg, Limits, Plugin, PluginArg, PluginError};
use scoreline_syntax::SourceFile;

fn example(file: &str) -> Plugin {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("example plugin exists");
    let script = Arc::new(SourceFile::new(format!("plugins/{file}"), text));
    match Plugin::load(file.trim_end_matches(".rhai"), script, &Limits::default()) {
        Ok(plugin) => plugin,
        Err(diagnostics) => panic!("{}", scoreline_syntax::diagnostic::render(&diagnostics)),
    }
}

fn script(text: &str) -> Plugin {
    script_with(text, &Limits::default())
}

fn script_with(text: &str, limits: &Limits) -> Plugin {
    let file = Arc::new(SourceFile::new("test.rhai", text));
    match Plugin::load("test", file, limits) {
        Ok(plugin) => plugin,
        Err(diagnostics) => panic!("{}", scoreline_syntax::diagnostic::render(&diagnostics)),
    }
}

fn load_error(text: &str) -> String {
    let file = Arc::new(SourceFile::new("bad.rhai", text));
    match Plugin::load("bad", file, &Limits::default()) {
        Ok(_) => panic!("the script should not load"),
        Err(diagnostics) => scoreline_syntax::diagnostic::render(&diagnostics),
    }
}

fn text(s: &str) -> Value {
    Value::Text(Arc::from(s))
}

/// Calls `function` with plain values.
fn call(plugin: &Plugin, function: &str, args: &[Value]) -> Result<Value, PluginError> {
    let index = plugin
        .function_index(function, args.len())
        .unwrap_or_else(|| panic!("no function {function}/{}", args.len()));
    let args: Vec<PluginArg> = args.iter().map(PluginArg::Value).collect();
    plugin.call(index, &args)
}

fn call_ok(plugin: &Plugin, function: &str, args: &[Value]) -> Value {
    call(plugin, function, args).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------- email_domain.rhai

#[test]
fn email_domain_tells_webmail_from_corporate() {
    let p = example("email_domain.rhai");
    for free in [
        "ana@gmail.com",
        "Bob@Yahoo.FR",
        "x@orange.fr",
        "y@free.fr",
        "z@laposte.net",
        "w@gmx.de",
        " c@hotmail.co.uk ",
    ] {
        assert_eq!(
            call_ok(&p, "is_free", &[text(free)]),
            Value::Bool(true),
            "{free}"
        );
        assert_eq!(
            call_ok(&p, "kind", &[text(free)]),
            text("webmail"),
            "{free}"
        );
    }
    for corporate in ["ana@acme.com", "paul@orange.com", "jo@sncf.fr"] {
        assert_eq!(
            call_ok(&p, "is_free", &[text(corporate)]),
            Value::Bool(false),
            "{corporate}"
        );
        assert_eq!(
            call_ok(&p, "kind", &[text(corporate)]),
            text("corporate"),
            "{corporate}"
        );
    }
    for disposable in [
        "a@mailinator.com",
        "b@yopmail.com",
        "c@10minutemail.com",
        "d@guerrillamail.com",
    ] {
        assert_eq!(
            call_ok(&p, "kind", &[text(disposable)]),
            text("disposable"),
            "{disposable}"
        );
        assert_eq!(
            call_ok(&p, "is_free", &[text(disposable)]),
            Value::Bool(false),
            "{disposable}"
        );
    }
}

#[test]
fn email_domain_gives_missing_for_missing_or_invalid_emails() {
    let p = example("email_domain.rhai");
    for bad in [
        Value::Missing,
        text(""),
        text("no-at-sign"),
        text("@gmail.com"),
        text("a@b@c.com"),
        text("a@localhost"),
        Value::Number(3.0),
    ] {
        assert_eq!(
            call_ok(&p, "kind", std::slice::from_ref(&bad)),
            Value::Missing,
            "{bad:?}"
        );
        assert_eq!(
            call_ok(&p, "is_free", std::slice::from_ref(&bad)),
            Value::Missing,
            "{bad:?}"
        );
    }
}

#[test]
fn email_domain_lists_only_public_functions() {
    let p = example("email_domain.rhai");
    let names: Vec<(&str, usize)> = p
        .functions()
        .iter()
        .map(|f| (f.name.as_str(), f.arity))
        .collect();
    assert_eq!(names, [("is_free", 1), ("kind", 1)]);
    assert_eq!(p.function_index("kind", 1), Some(1));
    assert_eq!(p.function_index("kind", 2), None);
    assert_eq!(p.function_index("_domain", 1), None);
}

// ---------------------------------------------------------------- job_title.rhai

#[test]
fn job_title_levels_in_french_and_english() {
    let p = example("job_title.rhai");
    let cases = [
        ("CEO", "c-level"),
        ("PDG", "c-level"),
        ("Directrice Générale", "c-level"),
        ("DG adjoint", "c-level"),
        ("Co-founder & CTO", "c-level"),
        ("Chief Marketing Officer", "c-level"),
        ("Président", "c-level"),
        ("VP Sales", "vp"),
        ("Vice-Président Marketing", "vp"),
        ("Head of Growth", "vp"),
        ("Directeur Commercial", "director"),
        ("directrice marketing", "director"),
        ("Marketing Director", "director"),
        ("Responsable CRM", "manager"),
        ("Chef de projet digital", "manager"),
        ("Product Manager", "manager"),
        ("Développeur", "individual"),
        ("Sales representative", "individual"),
    ];
    for (title, level) in cases {
        assert_eq!(call_ok(&p, "level", &[text(title)]), text(level), "{title}");
    }
    assert_eq!(call_ok(&p, "level", &[Value::Missing]), Value::Missing);
    assert_eq!(call_ok(&p, "level", &[text("  ")]), Value::Missing);
}

#[test]
fn job_title_seniority_orders_titles() {
    let p = example("job_title.rhai");
    let score = |title: &str| match call_ok(&p, "seniority", &[text(title)]) {
        Value::Number(n) => n,
        other => panic!("{title}: {other:?}"),
    };
    assert_eq!(score("CEO"), 100.0);
    assert!(score("VP Sales") > score("Directeur marketing"));
    assert!(score("Directeur marketing") > score("Responsable CRM"));
    assert!(score("Senior Product Manager") > score("Product Manager"));
    assert!(score("Responsable CRM") > score("Chargé de marketing"));
    assert!(score("Chargé de marketing") > score("Stagiaire marketing"));
    for title in ["PDG", "Stagiaire", "Intern", "Senior engineer", "DG"] {
        let n = score(title);
        assert!((0.0..=100.0).contains(&n), "{title}: {n}");
    }
    assert_eq!(call_ok(&p, "seniority", &[Value::Missing]), Value::Missing);
}

// ---------------------------------------------------------------- event_history.rhai

/// 2026-11-07 is a Saturday, 2026-11-08 a Sunday, 2026-11-09 a Monday.
fn day(date: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(&format!("{date}T10:30:00Z"))
        .unwrap()
        .timestamp_millis()
}

#[test]
fn event_history_counts_distinct_pages() {
    let p = example("event_history.rhai");
    let (a, b, total) = (text("/pricing"), text("/blog"), Value::Number(120.0));
    let (pa, pb, order) = ([("url", &a)], [("url", &b)], [("total", &total)]);
    let events = [
        EventArg {
            event_type: "page_view",
            at_millis: day("2026-11-01"),
            props: &pa,
        },
        EventArg {
            event_type: "page_view",
            at_millis: day("2026-11-02"),
            props: &pb,
        },
        EventArg {
            event_type: "page_view",
            at_millis: day("2026-11-03"),
            props: &pa,
        },
        EventArg {
            event_type: "order",
            at_millis: day("2026-11-04"),
            props: &order,
        },
    ];
    let index = p.function_index("distinct_pages", 1).unwrap();
    assert_eq!(
        p.call(index, &[PluginArg::Events(&events)]).unwrap(),
        Value::Number(2.0)
    );
    assert_eq!(
        p.call(index, &[PluginArg::Events(&[])]).unwrap(),
        Value::Number(0.0)
    );
}

#[test]
fn event_history_share_of_weekend_orders() {
    let p = example("event_history.rhai");
    let total = Value::Number(10.0);
    let props = [("total", &total)];
    let order = |date: &str| EventArg {
        event_type: "order",
        at_millis: day(date),
        props: &props,
    };
    let events = [
        order("2026-11-07"), // Saturday
        order("2026-11-08"), // Sunday
        order("2026-11-09"), // Monday
        order("2024-02-29"), // Thursday (leap day)
        EventArg {
            event_type: "page_view",
            at_millis: day("2026-11-08"),
            props: &[],
        },
    ];
    let index = p.function_index("weekend_orders", 1).unwrap();
    assert_eq!(
        p.call(index, &[PluginArg::Events(&events)]).unwrap(),
        Value::Number(0.5)
    );
    assert_eq!(
        p.call(index, &[PluginArg::Events(&events[4..])]).unwrap(),
        Value::Missing
    );
    let sundays = [order("2000-01-02"), order("2027-01-03")];
    assert_eq!(
        p.call(index, &[PluginArg::Events(&sundays)]).unwrap(),
        Value::Number(1.0)
    );
}

// ---------------------------------------------------------------- values and arguments

#[test]
fn constants_of_the_top_level_are_read_through_global() {
    let p = script("const RATE = 0.2;\nconst NAMES = [\"a\", \"b\"];\nfn rate() { global::RATE }\nfn count() { global::NAMES.len() }\nfn helper() { _private() }\nfn _private() { global::RATE * 2.0 }");
    assert_eq!(call_ok(&p, "rate", &[]), Value::Number(0.2));
    assert_eq!(call_ok(&p, "count", &[]), Value::Number(2.0));
    assert_eq!(call_ok(&p, "helper", &[]), Value::Number(0.4));
}

#[test]
fn top_level_runs_once_at_load() {
    let p = script("print(\"loaded\");\nfn f() { 1 }");
    assert_eq!(p.take_log(), ["test: loaded"]);
    call_ok(&p, "f", &[]);
    call_ok(&p, "f", &[]);
    assert!(p.take_log().is_empty());
}

#[test]
fn values_cross_into_the_script_with_their_kinds() {
    let p = script("fn kind(x) { type_of(x) }\nfn echo(x) { x }");
    let list = Value::List(vec![Arc::from("a")].into());
    let cases = [
        (text("hi"), "string"),
        (Value::Number(1.0), "f64"),
        (Value::Bool(true), "bool"),
        (Value::Date(0), "string"),
        (list, "array"),
        (Value::Missing, "()"),
    ];
    for (value, kind) in cases {
        assert_eq!(
            call_ok(&p, "kind", std::slice::from_ref(&value)),
            text(kind),
            "{value:?}"
        );
    }
    assert_eq!(
        call_ok(&p, "echo", &[Value::Date(1_793_491_200_000)]),
        text("2026-11-01T00:00:00Z")
    );
    assert_eq!(
        call_ok(&p, "echo", &[Value::Number(-2.5)]),
        Value::Number(-2.5)
    );
}

#[test]
fn contact_is_a_map_of_the_whole_record() {
    let p = script("fn describe(c) { c.id + \" \" + c.email + \" \" + (c.revenue + 1.0) + \" \" + (c.phone == ()) }");
    let (id, email, revenue, phone) = (
        text("c7"),
        text("a@b.co"),
        Value::Number(9.0),
        Value::Missing,
    );
    let contact = [
        ("id", &id),
        ("email", &email),
        ("revenue", &revenue),
        ("phone", &phone),
    ];
    let index = p.function_index("describe", 1).unwrap();
    let result = p.call(index, &[PluginArg::Contact(&contact)]).unwrap();
    assert_eq!(result, text("c7 a@b.co 10.0 true"));
}

#[test]
fn results_of_other_kinds_are_errors_in_user_words() {
    let p = script("fn map() { #{a: 1} }\nfn list() { [1] }\nfn int() { 42 }\nfn char() { 'x' }\nfn nan() { 0.0 / 0.0 }");
    let err = call(&p, "map", &[]).unwrap_err();
    assert_eq!(err.function, "map");
    assert_eq!(
        err.message,
        "returned a map; plugin functions must return text, a number, a bool or nothing"
    );
    // Rhai gives no position for a result: the error points at the function.
    assert_eq!(err.position.map(|p| (p.line, p.column)), Some((1, 1)));
    let err = call(&p, "list", &[]).unwrap_err();
    assert_eq!(err.position.map(|p| (p.line, p.column)), Some((2, 1)));
    assert!(call(&p, "list", &[])
        .unwrap_err()
        .message
        .starts_with("returned a list;"));
    assert_eq!(call_ok(&p, "int", &[]), Value::Number(42.0));
    assert_eq!(call_ok(&p, "char", &[]), text("x"));
    assert!(call(&p, "nan", &[])
        .unwrap_err()
        .message
        .starts_with("returned a number that is not finite"));
}

#[test]
fn wrong_arity_or_index_is_an_error_not_a_panic() {
    let p = script("fn one(x) { x }");
    let err = p.call(0, &[]).unwrap_err();
    assert_eq!(err.message, "`one` takes 1 arguments, not 0");
    assert!(p.call(5, &[]).is_err());
}

// ---------------------------------------------------------------- errors

#[test]
fn compile_errors_point_at_the_script_line_and_column() {
    let rendered = load_error("// comment\nfn f(x) {\n    let y = x +;\n}\n");
    assert!(rendered.contains("error[E0801]"), "{rendered}");
    assert!(rendered.contains("bad.rhai:3:"), "{rendered}");
    assert!(rendered.contains("let y = x +;"), "{rendered}");
}

#[test]
fn unknown_variables_are_compile_errors() {
    let rendered = load_error("fn f() {\n  totl + 1\n}");
    let expected = "\
error[E0801]: unknown variable `totl`
  ┌─ bad.rhai:2:3
  │
2 │   totl + 1
  │   ^^^^
  │
  = help: declare it with `let`, or read a top-level constant as `global::NAME`

";
    assert_eq!(rendered, expected);
    assert!(rendered.contains("unknown variable `totl`"), "{rendered}");
    assert!(rendered.contains("bad.rhai:2:3"), "{rendered}");
}

#[test]
fn failing_top_level_is_a_load_error() {
    let rendered = load_error("let x = 1;\nthrow \"no config\";\nfn f() { 1 }");
    assert!(rendered.contains("error[E0802]"), "{rendered}");
    assert!(rendered.contains("bad.rhai:2:1"), "{rendered}");
    assert!(rendered.contains("no config"), "{rendered}");
}

#[test]
fn runtime_errors_name_plugin_function_and_position() {
    let p = script("fn f(x) {\n  let n = x + 1;\n  throw \"bad input\";\n}\nfn g() { [1, 2][5] }\nfn h(x) { x.len() }");
    let err = call(&p, "f", &[Value::Number(1.0)]).unwrap_err();
    assert_eq!(err.plugin.as_ref(), "test");
    assert_eq!(err.function, "f");
    assert_eq!(err.position.map(|p| (p.line, p.column)), Some((3, 3)));
    assert_eq!(err.message, "the script threw `bad input`");
    assert_eq!(
        err.to_string(),
        "plugin `test`: `f` failed at test.rhai:3:3: the script threw `bad input`"
    );
    let rendered = err.to_diagnostic().render();
    assert!(rendered.contains("throw \"bad input\";"), "{rendered}");

    let err = call(&p, "g", &[]).unwrap_err();
    assert_eq!(err.message, "position 5 is outside a list of 2 items");
    let err = call(&p, "h", &[Value::Number(1.0)]).unwrap_err();
    assert!(
        !err.message.contains("f64") && !err.message.contains("i64"),
        "{}",
        err.message
    );
    assert!(err.message.contains("len"), "{}", err.message);
}

// ---------------------------------------------------------------- sandbox

/// Runs `hostile`, checks its error message, then checks the plugin still works.
fn stopped(plugin: &Plugin, hostile: &str, expected: &str) {
    let started = Instant::now();
    let err = call(plugin, hostile, &[]).expect_err("the hostile call must fail");
    assert!(err.message.contains(expected), "{hostile}: {err}");
    assert!(
        err.help.as_deref().unwrap_or("").contains("scoreline.yaml") || expected.contains("import"),
        "{hostile}: {err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{hostile} took {:?}",
        started.elapsed()
    );
    assert_eq!(
        call_ok(plugin, "ok", &[]),
        Value::Number(1.0),
        "after {hostile}"
    );
}

#[test]
fn hostile_scripts_are_stopped_by_their_limits() {
    // A smaller map limit, so that filling the map hits it before the operations limit.
    let limits = Limits {
        max_map_size: 100,
        ..Limits::default()
    };
    let p = script_with(
        r#"
fn ok() { 1 }
fn spin() { loop { } }
fn recurse(n) { recurse(n + 1) }
fn deep() { recurse(0) }
fn grow_text() { let s = "xx"; loop { s += s; } }
fn big_list() { let a = []; a.pad(10000000, 0); a.len() }
fn big_map() { let m = #{}; for i in 0..1000 { m["k" + i] = i; } m.len() }
"#,
        &limits,
    );
    stopped(&p, "spin", "more than 100000 operations");
    stopped(&p, "deep", "levels deep");
    stopped(&p, "grow_text", "a text grew longer than 1000000 bytes");
    stopped(&p, "big_list", "a list grew longer than 100000 items");
    stopped(&p, "big_map", "a map grew larger than 100 entries");
}

#[test]
fn the_wall_clock_limit_stops_a_slow_call() {
    let limits = Limits {
        max_operations: 0,
        max_call_time: Duration::from_millis(50),
        ..Limits::default()
    };
    let p = script_with("fn ok() { 1 }\nfn spin() { loop { } }", &limits);
    let started = Instant::now();
    stopped(&p, "spin", "ran longer than 50 ms");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn imports_and_eval_are_compile_errors() {
    let rendered = load_error("import \"secrets\" as s;\nfn f() { 1 }");
    assert!(
        rendered.contains("plugins cannot import other scripts"),
        "{rendered}"
    );
    let rendered = load_error("fn f() {\n  eval(\"40 + 2\")\n}");
    assert!(rendered.contains("plugins cannot use `eval`"), "{rendered}");
    assert!(rendered.contains("bad.rhai:2:3"), "{rendered}");

    // Reaching `eval` through a function pointer is refused when the call runs.
    let p =
        script("fn ok() { 1 }\nfn sneaky() { let f = Fn(\"ev\" + \"al\"); f.call(\"40 + 2\") }");
    let err = call(&p, "sneaky", &[]).unwrap_err();
    assert_eq!(err.message, "plugins cannot use `eval`");
    assert_eq!(call_ok(&p, "ok", &[]), Value::Number(1.0));
}

#[test]
fn a_hostile_top_level_is_stopped_at_load() {
    let rendered = load_error("let x = 0;\nloop { x += 1; }\nfn f() { 1 }");
    assert!(
        rendered
            .contains("the plugin failed while loading: the call took more than 100000 operations"),
        "{rendered}"
    );
}

#[test]
fn print_and_debug_go_to_the_log_tagged_with_the_plugin() {
    let p = script("fn ok() { print(\"hello\"); debug(\"value\"); 1 }");
    assert_eq!(call_ok(&p, "ok", &[]), Value::Number(1.0));
    let log = p.take_log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0], "test: hello");
    assert!(log[1].starts_with("test (line 1): "), "{log:?}");
    assert!(log[1].contains("value"), "{log:?}");
    assert!(p.take_log().is_empty());
}

#[test]
fn a_capture_takes_the_lines_printed_on_its_thread() {
    let p = script("fn ok(x) { print(`x=${x}`); x }");
    let (value, captured) = scoreline_plugins::capture_log(|| {
        // Another thread calling the same plugin at the same time logs to the shared log.
        std::thread::scope(|s| {
            s.spawn(|| call_ok(&p, "ok", &[Value::Number(2.0)]));
        });
        let inner = scoreline_plugins::capture_log(|| call_ok(&p, "ok", &[Value::Number(3.0)]));
        assert_eq!(inner.1.lines, ["test: x=3.0"]);
        call_ok(&p, "ok", &[Value::Number(1.0)])
    });
    assert_eq!(value, Value::Number(1.0));
    assert_eq!(captured.lines, ["test: x=1.0"]);
    assert_eq!(p.take_log(), ["test: x=2.0"]);
    let mut all = scoreline_plugins::CapturedLog::default();
    all.append(captured);
    all.append(scoreline_plugins::CapturedLog {
        lines: vec!["b".into()],
        dropped: 2,
    });
    assert_eq!(all.clone().into_lines().len(), 3);
    assert_eq!(all.into_lines()[2], "2 more plugin log lines were not kept");
}

#[test]
fn limits_are_read_from_yaml_with_snake_case_keys() {
    let limits: Limits =
        serde_yaml::from_str("max_operations: 5000\nmax_call_time: 250ms\n").unwrap();
    assert_eq!(limits.max_operations, 5000);
    assert_eq!(limits.max_call_time, Duration::from_millis(250));
    assert_eq!(limits.max_array_size, Limits::default().max_array_size);
    let limits: Limits = serde_yaml::from_str("max_call_time: 2000").unwrap();
    assert_eq!(limits.max_call_time, Duration::from_secs(2));
    let err = serde_yaml::from_str::<Limits>("max_operation: 5")
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_operation"), "{err}");

    let p = script_with(
        "fn ok() { 1 }\nfn work() { let n = 0; for i in 0..1000 { n += i; } n }",
        &Limits {
            max_operations: 500,
            ..Limits::default()
        },
    );
    assert!(call(&p, "work", &[])
        .unwrap_err()
        .message
        .contains("more than 500 operations"));
}

// ---------------------------------------------------------------- threads and caching

#[test]
fn one_plugin_serves_many_threads() {
    use rayon::prelude::*;
    let p = example("email_domain.rhai");
    let emails: Vec<Value> = (0..2_000)
        .map(|i| {
            text(&format!(
                "user{i}@{}",
                ["gmail.com", "acme.com", "yopmail.com"][i % 3]
            ))
        })
        .collect();
    let index = p.function_index("kind", 1).unwrap();
    let kinds: Vec<Value> = emails
        .par_iter()
        .map(|email| p.call(index, &[PluginArg::Value(email)]).unwrap())
        .collect();
    for (i, kind) in kinds.iter().enumerate() {
        assert_eq!(*kind, text(["webmail", "corporate", "disposable"][i % 3]));
    }
}
