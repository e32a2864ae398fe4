//! Plugin call overhead in the engine: a B2B ruleset with two plugin calls per contact, against
//! the same ruleset without them, over N generated contacts. Prints the µs per plugin call,
//! (with − without) / (2 × N), next to what the same calls cost made directly through
//! `Plugin::call` (the host's own cost: Rhai's call and the value conversions), so the
//! difference is what the engine adds around a call. Median of 5 runs, sequential (one core,
//! the cleanest figure) then parallel.
//!
//! Three pairs of calls: the repository's example plugins (`mailbox.is_free(email)` from
//! plugins/email_domain.rhai and `title.seniority(role)` from plugins/job_title.rhai), and a
//! trivial function `fn same(x) { x }` called twice, which isolates the host's overhead from
//! the scripts' own work.
//!
//! Run: `cargo bench -p scoreline-engine --bench plugins` (optionally `-- 200000` for N).

use std::sync::Arc;
use std::time::Instant;

use scoreline_data::{Contact, Dataset, EventSpec, Events, FieldSpec, FieldType, Schema, Value};
use scoreline_engine::check::{check, CheckOptions, PluginFunction, PluginInfo, PluginResolver};
use scoreline_engine::Plan;
use scoreline_plugins::{Limits, Plugin, PluginArg};
use scoreline_syntax::ast::Item;
use scoreline_syntax::SourceFile;

const BASE: &str = r#"
let days_inactive = days_since(last(any))

score engagement "Engagement" {
  each page_view where url starts_with "/pricing" => +10 max 30 decay half_life 30d
  each page_view => +1 max 10 decay half_life 14d
  each email_click => +5 max 20 decay half_life 30d
  each form_submit where form == "whitepaper" => +10 within 180d
  rule "Demo requested"   when count(demo_request within 60d) > 0 => +40
  rule "Dormant"          when days_inactive > 90 => -20
  rule "Unsubscribed"     when count(unsubscribe) > 0 => -50
  clamp 0..60
}

score total "Lead score" = fit + engagement clamp 0..100

segment tier {
  "hot"  when total >= 70 => "Sales follow-up within 24h"
  "warm" when total >= 40 => "Nurturing sequence"
  "cold"                  => "Mass campaigns"
}
"#;

/// The profile score; `{A}` and `{B}` are the two conditions that may call plugins.
const FIT: &str = r#"
score fit "Profile fit" {
  rule "Target industry"  when industry in ["SaaS", "Retail", "Fintech"] => +15
  rule "Mid-market"       when employees between 50 and 1000 => +10
  rule "Too small"        when employees < 10 => -10
  rule "France first"     when country == "FR" => +5
  rule "Free mailbox"     when {A} => -15
  rule "Decision maker"   when {B} => +20
  clamp 0..50
}
"#;

const SAME: &str = "fn same(x) { x }\n";

const DAY: i64 = 86_400_000;
/// 2026-06-01T00:00:00Z.
const AS_OF: i64 = 1_780_272_000_000;

/// xorshift64*: a tiny seeded generator, so every run scores the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn field(name: &str, ty: FieldType, optional: bool) -> FieldSpec {
    FieldSpec {
        name: name.into(),
        ty,
        optional,
        column: None,
    }
}

fn schema() -> Schema {
    let event = |name: &str, fields: Vec<FieldSpec>| EventSpec {
        name: name.into(),
        fields,
    };
    Schema {
        account: Vec::new(),
        contact: vec![
            field("id", FieldType::Text, false),
            field("email", FieldType::Text, false),
            field("industry", FieldType::Text, false),
            field("role", FieldType::Text, false),
            field("employees", FieldType::Number, true),
            field("country", FieldType::Text, false),
        ],
        events: vec![
            event("page_view", vec![field("url", FieldType::Text, false)]),
            event("email_open", vec![]),
            event("email_click", vec![]),
            event("form_submit", vec![field("form", FieldType::Text, false)]),
            event("demo_request", vec![]),
            event("unsubscribe", vec![]),
        ],
    }
}

fn generate(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng(seed | 1);
    let texts = |items: &[&str]| -> Vec<Arc<str>> { items.iter().map(|s| Arc::from(*s)).collect() };
    let industries = texts(&["SaaS", "Retail", "Fintech", "Health", "Industry", "Media"]);
    let roles = texts(&[
        "CEO",
        "Directrice Générale",
        "Head of Growth",
        "Senior Software Engineer",
        "VP Sales",
        "Chef de projet marketing",
        "Director IT",
        "Stagiaire",
    ]);
    let countries = texts(&["FR", "DE", "US", "GB", "ES"]);
    let domains = [
        "gmail.com",
        "acme.fr",
        "orange.fr",
        "yahoo.co.uk",
        "bigcorp.io",
        "yopmail.com",
    ];
    let urls = texts(&[
        "/pricing",
        "/pricing/enterprise",
        "/blog",
        "/about",
        "/docs",
    ]);
    let forms = texts(&["whitepaper", "contact", "webinar"]);
    let mut contacts = Vec::with_capacity(n);
    let mut events = Events {
        contact_start: vec![0],
        ..Events::default()
    };
    for i in 0..n {
        let employees = if rng.below(10) == 0 {
            Value::Missing
        } else {
            Value::Number(rng.below(5000) as f64)
        };
        let domain = domains[rng.below(domains.len() as u64) as usize];
        contacts.push(Contact {
            fields: vec![
                Value::Text(Arc::from(format!("c{i}"))),
                Value::Text(Arc::from(format!("user{i}@{domain}"))),
                Value::Text(industries[rng.below(6) as usize].clone()),
                Value::Text(roles[rng.below(8) as usize].clone()),
                employees,
                Value::Text(countries[rng.below(5) as usize].clone()),
            ],
        });
        let count = 5 + rng.below(11) as usize;
        let mut at: Vec<i64> = (0..count)
            .map(|_| AS_OF - rng.below(365 * DAY as u64) as i64 + DAY / 2)
            .collect();
        at.sort_unstable();
        for t in at {
            let (type_id, prop) = match rng.below(100) {
                0..=49 => (0, Some(Value::Text(urls[rng.below(5) as usize].clone()))),
                50..=69 => (1, None),
                70..=89 => (2, None),
                90..=94 => (3, Some(Value::Text(forms[rng.below(3) as usize].clone()))),
                95..=98 => (4, None),
                _ => (5, None),
            };
            events.at.push(t);
            events.type_id.push(type_id);
            events.prop_start.push(events.props.len() as u32);
            events.props.extend(prop);
        }
        events.contact_start.push(events.at.len() as u32);
    }
    Dataset {
        accounts: Default::default(),
        schema: schema(),
        contacts,
        events,
    }
}

fn load(name: &str, file: &str, script: &str) -> Arc<Plugin> {
    let source = Arc::new(SourceFile::new(file, script));
    Arc::new(Plugin::load(name, source, &Limits::default()).expect("the bench plugin loads"))
}

/// The loaded plugins, found by the path the rule file declares them with.
struct Loaded(Vec<(String, Arc<Plugin>)>);

impl PluginResolver for Loaded {
    fn resolve(&self, declared_path: &str) -> PluginInfo {
        match self.0.iter().find(|(path, _)| path == declared_path) {
            Some((_, plugin)) => PluginInfo::Loaded {
                functions: plugin
                    .functions()
                    .iter()
                    .map(|f| PluginFunction {
                        name: f.name.clone(),
                        arity: f.arity,
                    })
                    .collect(),
            },
            None => PluginInfo::NotFound {
                reason: format!("`{declared_path}` is not loaded"),
            },
        }
    }
}

fn compile(rules: &str, plugins: &[(String, Arc<Plugin>)]) -> Plan {
    let file = Arc::new(SourceFile::new("bench.score", rules));
    let ast = scoreline_syntax::parse(&file).expect("the bench ruleset parses");
    let by_path = ast
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Plugin(decl) => {
                let (_, plugin) = plugins.iter().find(|(n, _)| *n == decl.name.name)?;
                Some((decl.path.value.clone(), Arc::clone(plugin)))
            }
            _ => None,
        })
        .collect();
    let checked = check(
        &file,
        &ast,
        &CheckOptions {
            plugins: &Loaded(by_path),
        },
    );
    assert!(!checked.has_errors(), "the bench ruleset checks");
    scoreline_engine::compile(&checked, &schema(), plugins).expect("the bench ruleset compiles")
}

/// A ruleset: the plugin declarations, then the profile score with conditions `a` and `b`.
fn ruleset(declarations: &str, a: &str, b: &str) -> String {
    format!(
        "ruleset b2b_leads \"B2B lead scoring\"\n{declarations}\n{}{BASE}",
        FIT.replace("{A}", a).replace("{B}", b)
    )
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The time of one evaluation, in seconds.
fn time_evaluate(plan: &Plan, data: &Dataset, pool: Option<&rayon::ThreadPool>) -> f64 {
    let start = Instant::now();
    let options = scoreline_engine::EvalOptions {
        pool,
        ..Default::default()
    };
    let evaluation = plan.score(data, scoreline_engine::AsOf::from_millis(AS_OF), options);
    let t = start.elapsed().as_secs_f64();
    assert!(evaluation.plugin_errors.is_empty(), "no call may fail");
    std::hint::black_box(evaluation);
    t
}

/// The time of direct calls (`Plugin::call`, no engine), in seconds: function `f1` of `p1` on
/// field `a` and `f2` of `p2` on field `b`, for every contact.
fn time_direct(
    data: &Dataset,
    (p1, f1, a): (&Plugin, &str, usize),
    (p2, f2, b): (&Plugin, &str, usize),
) -> f64 {
    let i1 = p1.function_index(f1, 1).expect("function");
    let i2 = p2.function_index(f2, 1).expect("function");
    let start = Instant::now();
    for contact in &data.contacts {
        let x = p1.call(i1, &[PluginArg::Value(&contact.fields[a])]);
        let y = p2.call(i2, &[PluginArg::Value(&contact.fields[b])]);
        assert!(x.is_ok() && y.is_ok(), "no call may fail");
    }
    start.elapsed().as_secs_f64()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/");
    let read = |name: &str| {
        std::fs::read_to_string(format!("{root}{name}")).expect("the example plugin is readable")
    };
    let mailbox = load("mailbox", "email_domain.rhai", &read("email_domain.rhai"));
    let title = load("title", "job_title.rhai", &read("job_title.rhai"));
    let trivial = load("t", "same.rhai", SAME);
    let plugins = vec![
        ("mailbox".to_string(), Arc::clone(&mailbox)),
        ("title".to_string(), Arc::clone(&title)),
        ("t".to_string(), Arc::clone(&trivial)),
    ];
    let without = compile(&ruleset("", "email == \"x\"", "role == \"x\""), &plugins);
    let examples = compile(
        &ruleset(
            "plugin mailbox = \"email_domain.rhai\"\nplugin title = \"job_title.rhai\"",
            "mailbox.is_free(email)",
            "title.seniority(role) >= 70",
        ),
        &plugins,
    );
    let same = compile(
        &ruleset(
            "plugin t = \"same.rhai\"",
            "t.same(email) == \"x\"",
            "t.same(role) == \"x\"",
        ),
        &plugins,
    );
    let data = generate(n, 42);
    let threads = rayon::current_num_threads();
    println!(
        "scoreline plugins bench: {n} contacts, {} events, 2 plugin calls per contact; {threads} rayon threads",
        data.events.len()
    );
    let (email, role) = (1, 3);
    let direct_pairs = [
        ((&*mailbox, "is_free", email), (&*title, "seniority", role)),
        ((&*trivial, "same", email), (&*trivial, "same", role)),
    ];
    let names = [
        "mailbox.is_free + title.seniority",
        "t.same (fn same(x) { x }) x 2",
    ];
    // The pool `run` builds: one thread per core, built once.
    let workers = rayon::ThreadPoolBuilder::new()
        .build()
        .expect("a thread pool");
    for parallel in [false, true] {
        let pool = parallel.then_some(&workers);
        // Rounds interleave the runs, so a change of load on the machine hits them alike.
        let (mut base, mut with, mut direct) = (Vec::new(), [vec![], vec![]], [vec![], vec![]]);
        for _ in 0..5 {
            base.push(time_evaluate(&without, &data, pool));
            for (k, plan) in [&examples, &same].into_iter().enumerate() {
                with[k].push(time_evaluate(plan, &data, pool));
                if !parallel {
                    let (first, second) = direct_pairs[k];
                    direct[k].push(time_direct(&data, first, second));
                }
            }
        }
        let mode = if parallel { "parallel" } else { "sequential" };
        let base = median(base);
        println!("{mode}: without plugin calls {:>8.1} ms", base * 1e3);
        for k in 0..2 {
            let with = median(std::mem::take(&mut with[k]));
            let per_call = (with - base) * 1e6 / (2 * n) as f64;
            print!(
                "  {:<34} {:>8.1} ms  {per_call:>6.2} µs per call",
                names[k],
                with * 1e3
            );
            if parallel {
                // Wall clock over every thread: CPU per call is about `threads` times more.
                println!("  (wall clock, {threads} threads)");
            } else {
                let direct = median(std::mem::take(&mut direct[k])) * 1e6 / (2 * n) as f64;
                println!(
                    "  (direct Plugin::call {direct:.2} µs; engine adds {:+.2} µs)",
                    per_call - direct
                );
            }
        }
    }
}
