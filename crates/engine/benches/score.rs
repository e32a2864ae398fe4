//! Scoring speed: the language reference's example ruleset (without its plugin rule) over a
//! generated data set of N contacts with about 10 events each. Times `Plan::score` only
//! (both passes), median of 5 runs, on the caller's thread and on one thread per core.
//!
//! Run: `cargo bench -p scoreline-engine --bench score` (optionally `-- 1000000` for N).

use std::sync::Arc;
use std::time::Instant;

use scoreline_data::{Contact, Dataset, EventSpec, Events, FieldSpec, FieldType, Schema, Value};
use scoreline_syntax::SourceFile;

const RULES: &str = r#"
ruleset b2b_leads "B2B lead scoring"

let days_inactive = days_since(last(any))

score fit "Profile fit" {
  rule "Target industry"  when industry in ["SaaS", "Retail", "Fintech"] => +15
  rule "Decision maker"   when lower(role) matches "(ceo|cmo|head|director|vp)" => +20
  rule "Mid-market"       when employees between 50 and 1000 => +10
  rule "Too small"        when employees < 10 => -10
  rule "France first"     when country == "FR" => +5
  clamp 0..50
}

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
            field("tags", FieldType::List, false),
            field("created_at", FieldType::Date, false),
        ],
        events: vec![
            event("page_view", vec![field("url", FieldType::Text, false)]),
            event("email_open", vec![]),
            event("email_click", vec![]),
            event("form_submit", vec![field("form", FieldType::Text, false)]),
            event("demo_request", vec![]),
            event("unsubscribe", vec![]),
            event("order", vec![field("amount", FieldType::Number, false)]),
        ],
    }
}

fn generate(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng(seed | 1);
    let industries = ["SaaS", "Retail", "Fintech", "Health", "Industry", "Media"];
    let roles = [
        "CEO",
        "CMO",
        "Head of Growth",
        "Engineer",
        "VP Sales",
        "Analyst",
        "Director IT",
        "Intern",
    ];
    let countries = ["FR", "DE", "US", "GB", "ES"];
    let urls: Vec<Arc<str>> = [
        "/pricing",
        "/pricing/enterprise",
        "/blog",
        "/about",
        "/docs",
    ]
    .iter()
    .map(|s| Arc::from(*s))
    .collect();
    let forms: Vec<Arc<str>> = ["whitepaper", "contact", "webinar"]
        .iter()
        .map(|s| Arc::from(*s))
        .collect();
    let texts = |items: &[&str]| -> Vec<Arc<str>> { items.iter().map(|s| Arc::from(*s)).collect() };
    let (industries, roles, countries) = (texts(&industries), texts(&roles), texts(&countries));
    let empty: Arc<[Arc<str>]> = Arc::from(Vec::new());
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
        contacts.push(Contact {
            fields: vec![
                Value::Text(Arc::from(format!("c{i}"))),
                Value::Text(Arc::from(format!("user{i}@example.com"))),
                Value::Text(industries[rng.below(6) as usize].clone()),
                Value::Text(roles[rng.below(8) as usize].clone()),
                employees,
                Value::Text(countries[rng.below(5) as usize].clone()),
                Value::List(empty.clone()),
                Value::Date(AS_OF - rng.below(1000) as i64 * DAY),
            ],
        });
        let count = 5 + rng.below(11) as usize; // 5..=15, about 10
        let mut at: Vec<i64> = (0..count)
            .map(|_| AS_OF - rng.below(365 * DAY as u64) as i64 + DAY / 2)
            .collect();
        at.sort_unstable();
        for t in at {
            let kind = rng.below(100);
            let (type_id, prop) = match kind {
                0..=49 => (0, Some(Value::Text(urls[rng.below(5) as usize].clone()))),
                50..=69 => (1, None),
                70..=84 => (2, None),
                85..=89 => (3, Some(Value::Text(forms[rng.below(3) as usize].clone()))),
                90..=92 => (4, None),
                93 => (5, None),
                _ => (6, Some(Value::Number(rng.below(50_000) as f64 / 100.0))),
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

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000]
    } else {
        sizes
    };
    let file = Arc::new(SourceFile::new("bench.score", RULES));
    let ast = scoreline_syntax::parse(&file).expect("the bench ruleset parses");
    let checked = scoreline_engine::check::check(
        &file,
        &ast,
        &scoreline_engine::check::CheckOptions {
            plugins: &scoreline_engine::check::NoPlugins,
        },
    );
    assert!(!checked.has_errors(), "the bench ruleset checks");
    let schema = schema();
    let plan =
        scoreline_engine::compile(&checked, &schema, &[]).expect("the bench ruleset compiles");
    // The pool `run` builds: one thread per core.
    let pool = rayon::ThreadPoolBuilder::new()
        .build()
        .expect("a thread pool");
    let threads = pool.current_num_threads();
    println!("scoreline score bench: §1 ruleset without the plugin rule; {threads} threads");
    for n in sizes {
        let data = generate(n, 42);
        println!(
            "{n} contacts, {} events ({:.1} per contact)",
            data.events.len(),
            data.events.len() as f64 / n as f64
        );
        for parallel in [false, true] {
            let mut times = Vec::new();
            let mut hot = 0usize;
            for _ in 0..5 {
                let start = Instant::now();
                let options = scoreline_engine::EvalOptions {
                    explain: false,
                    pool: parallel.then_some(&pool),
                    previous: None,
                };
                let evaluation =
                    plan.score(&data, scoreline_engine::AsOf::from_millis(AS_OF), options);
                times.push(start.elapsed().as_secs_f64());
                hot = evaluation.segment_counts[0].labels[0].1;
            }
            let t = median(times);
            println!(
                "  {:<10} median {:>8.1} ms  {:>12.0} contacts/s  ({hot} hot)",
                if parallel { "parallel" } else { "sequential" },
                t * 1000.0,
                n as f64 / t
            );
        }
    }
}
