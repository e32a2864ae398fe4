//! Per-call cost of plugin calls. Run: `cargo bench -p scoreline-plugins --bench call`.
//!
//! Prints the median over several runs of the time per call, for our API and, for
//! comparison, for the other ways Rhai can call a script function.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use rhai::{CallFnOptions, Dynamic, Engine, Scope};
use scoreline_data::Value;
use scoreline_plugins::{EventArg, Limits, Plugin, PluginArg};
use scoreline_syntax::SourceFile;

const RUNS: usize = 7;
const CALLS: usize = 100_000;

const SCRIPT: &str = r#"
const FREE = ["gmail.com", "yahoo.fr", "orange.fr", "free.fr", "laposte.net", "gmx.de"];
fn trivial(x) { x }
fn in_constant(x) { x in global::FREE }
"#;

/// Median and fastest nanoseconds per call of `f` over `RUNS` runs of `CALLS` calls (the
/// fastest run is the least disturbed by other programs on a busy machine).
fn median_ns(mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..CALLS / 10 {
        f();
    }
    let mut runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CALLS {
                f();
            }
            start.elapsed().as_nanos() as f64 / CALLS as f64
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    (runs[RUNS / 2], runs[0])
}

fn report(what: &str, (median, fastest): (f64, f64)) {
    println!(
        "{what:<58} median {:>7.2} µs/call, fastest run {:>7.2} µs/call",
        median / 1000.0,
        fastest / 1000.0
    );
}

fn load(name: &str, text: &str) -> Plugin {
    let file = Arc::new(SourceFile::new(format!("{name}.rhai"), text));
    Plugin::load(name, file, &Limits::default()).expect("benchmark script loads")
}

fn main() {
    let plugin = load("bench", SCRIPT);
    let number = Value::Number(1.0);
    let email_domain = Value::Text(Arc::from("gmail.com"));

    let trivial = plugin.function_index("trivial", 1).unwrap();
    report(
        "Plugin::call trivial(x)",
        median_ns(|| {
            black_box(
                plugin
                    .call(trivial, &[PluginArg::Value(black_box(&number))])
                    .unwrap(),
            );
        }),
    );
    let in_constant = plugin.function_index("in_constant", 1).unwrap();
    report(
        "Plugin::call x in global::FREE (6 items)",
        median_ns(|| {
            black_box(
                plugin
                    .call(in_constant, &[PluginArg::Value(black_box(&email_domain))])
                    .unwrap(),
            );
        }),
    );

    // The example plugins, as a rule file would call them.
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/");
    let read = |file: &str| std::fs::read_to_string(format!("{root}{file}")).unwrap();
    let mailbox = load("mailbox", &read("email_domain.rhai"));
    let email = Value::Text(Arc::from("jane.doe@hotmail.fr"));
    let kind = mailbox.function_index("kind", 1).unwrap();
    report(
        "email_domain.rhai kind(email)",
        median_ns(|| {
            black_box(
                mailbox
                    .call(kind, &[PluginArg::Value(black_box(&email))])
                    .unwrap(),
            );
        }),
    );
    let title = load("title", &read("job_title.rhai"));
    let job = Value::Text(Arc::from("Directrice Marketing"));
    let seniority = title.function_index("seniority", 1).unwrap();
    report(
        "job_title.rhai seniority(title)",
        median_ns(|| {
            black_box(
                title
                    .call(seniority, &[PluginArg::Value(black_box(&job))])
                    .unwrap(),
            );
        }),
    );

    let contact_plugin = load("contact", "fn id(c) { c.id }");
    let fields: Vec<(String, Value)> = (0..12)
        .map(|i| {
            (
                format!("field{i}"),
                Value::Text(Arc::from(format!("value {i}"))),
            )
        })
        .collect();
    let contact: Vec<(&str, &Value)> = fields.iter().map(|(n, v)| (n.as_str(), v)).collect();
    let mut contact = contact;
    let id = Value::Text(Arc::from("c1"));
    contact.insert(0, ("id", &id));
    let id_fn = contact_plugin.function_index("id", 1).unwrap();
    report(
        "contact map of 13 fields, c.id",
        median_ns(|| {
            black_box(
                contact_plugin
                    .call(id_fn, &[PluginArg::Contact(black_box(&contact))])
                    .unwrap(),
            );
        }),
    );

    let history = load("history", &read("event_history.rhai"));
    let url = Value::Text(Arc::from("/pricing"));
    let props = [("url", &url)];
    let events: Vec<EventArg> = (0..20)
        .map(|i| EventArg {
            event_type: if i % 4 == 0 { "order" } else { "page_view" },
            at_millis: 1_793_491_200_000 + i * 86_400_000,
            props: &props,
        })
        .collect();
    let ignore = load("ignore", "fn ignore(events) { 0 }");
    let ignore_fn = ignore.function_index("ignore", 1).unwrap();
    report(
        "20 events passed, not read (cost of building the maps)",
        median_ns(|| {
            black_box(
                ignore
                    .call(ignore_fn, &[PluginArg::Events(black_box(&events))])
                    .unwrap(),
            );
        }),
    );
    let weekend = history.function_index("weekend_orders", 1).unwrap();
    report(
        "event_history.rhai weekend_orders(20 events)",
        median_ns(|| {
            black_box(
                history
                    .call(weekend, &[PluginArg::Events(black_box(&events))])
                    .unwrap(),
            );
        }),
    );
    let pages = history.function_index("distinct_pages", 1).unwrap();
    report(
        "event_history.rhai distinct_pages(20 events)",
        median_ns(|| {
            black_box(
                history
                    .call(pages, &[PluginArg::Events(black_box(&events))])
                    .unwrap(),
            );
        }),
    );

    // Other arrangements, for comparison only (plain Rhai, same script, no sandbox hooks).
    let engine = Engine::new();
    let ast = engine.compile(SCRIPT).unwrap();
    report(
        "rhai call_fn eval_ast(true) trivial(x) [re-runs top level]",
        median_ns(|| {
            let r: Dynamic = engine
                .call_fn_with_options(
                    CallFnOptions::new(),
                    &mut Scope::new(),
                    &ast,
                    "trivial",
                    (black_box(1.0_f64),),
                )
                .unwrap();
            let _ = black_box(r);
        }),
    );
    report(
        "rhai call_fn eval_ast(true) x in global::FREE",
        median_ns(|| {
            let r: Dynamic = engine
                .call_fn_with_options(
                    CallFnOptions::new(),
                    &mut Scope::new(),
                    &ast,
                    "in_constant",
                    ("gmail.com",),
                )
                .unwrap();
            let _ = black_box(r);
        }),
    );
    let email_ast = engine.compile(read("email_domain.rhai")).unwrap();
    report(
        "rhai call_fn eval_ast(true) email_domain kind(email)",
        median_ns(|| {
            let r: Dynamic = engine
                .call_fn_with_options(
                    CallFnOptions::new(),
                    &mut Scope::new(),
                    &email_ast,
                    "kind",
                    ("jane.doe@hotmail.fr",),
                )
                .unwrap();
            let _ = black_box(r);
        }),
    );
    report(
        "rhai call_fn eval_ast(false) trivial(x) [no global::]",
        median_ns(|| {
            let r: Dynamic = engine
                .call_fn_with_options(
                    CallFnOptions::new().eval_ast(false),
                    &mut Scope::new(),
                    &ast,
                    "trivial",
                    (black_box(1.0_f64),),
                )
                .unwrap();
            let _ = black_box(r);
        }),
    );
}
