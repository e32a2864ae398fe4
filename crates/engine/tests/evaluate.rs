//! Evaluation properties beyond single cases: parallel and sequential runs agree, explanations
//! agree with rows, compile errors point at the user's words.

#[path = "conformance/support.rs"]
mod support;

use support::{explain, score, score_with};

use std::sync::Arc;

use scoreline_data::{Contact, Dataset, EventSpec, Events, FieldSpec, FieldType, Schema, Value};

const DAY: i64 = 86_400_000;
const AS_OF: i64 = 1_780_272_000_000; // 2026-06-01

const RULES: &str = r#"
let days_inactive = days_since(last(any))
let spend = sum(order.amount within 365d)

score fit {
  rule "Target industry" when industry in ["SaaS", "Retail"] => +15
  rule "Decision maker"  when lower(role) matches "(ceo|vp|head)" => +20
  rule "Mid-market"      when employees between 50 and 1000 => +10
  rule "Too small"       when employees < 10 => -10
  clamp 0..40
}

score engagement {
  each view where url starts_with "/pricing" => +10 max 30 decay half_life 30d
  each view => +1 max 10 decay linear 60d
  each order => (amount / 100) max 25
  rule "Dormant" when days_inactive > 90 => -20
  clamp -10..60
}

score total = fit + engagement + recency * 2
score recency = 6 - quintile(days_inactive)
score value = decile(spend)
score rank = percent_rank(spend)

segment tier {
  "hot"  when total >= 60 => "call"
  "warm" when total >= 30 => "nurture"
  "cold" when total >= 0
}
"#;

fn spec(name: &str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        name: name.into(),
        ty,
        optional: true,
        column: None,
    }
}

fn schema() -> Schema {
    Schema {
        account: Vec::new(),
        contact: vec![
            spec("id", FieldType::Text),
            spec("industry", FieldType::Text),
            spec("role", FieldType::Text),
            spec("employees", FieldType::Number),
        ],
        events: vec![
            EventSpec {
                name: "view".into(),
                fields: vec![spec("url", FieldType::Text)],
            },
            EventSpec {
                name: "order".into(),
                fields: vec![spec("amount", FieldType::Number)],
            },
        ],
    }
}

/// A seeded data set: `n` contacts with 0 to 19 events each, some fields missing.
fn generate(n: usize) -> Dataset {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    let text = |s: &str| Value::Text(Arc::from(s));
    let mut contacts = Vec::new();
    let mut events = Events {
        contact_start: vec![0],
        ..Events::default()
    };
    for i in 0..n {
        let industry = ["SaaS", "Retail", "Media", ""][next(4) as usize];
        let role = ["CEO", "VP Sales", "Engineer", "Head of Data", ""][next(5) as usize];
        contacts.push(Contact {
            fields: vec![
                text(&format!("c{i}")),
                if industry.is_empty() {
                    Value::Missing
                } else {
                    text(industry)
                },
                if role.is_empty() {
                    Value::Missing
                } else {
                    text(role)
                },
                match next(6) {
                    0 => Value::Missing,
                    k => Value::Number((k * next(400)) as f64),
                },
            ],
        });
        let mut list: Vec<(i64, u32, Value)> = (0..next(20))
            .map(|_| {
                // Some events fall after as-of, some exactly on a day boundary.
                let at = AS_OF - (next(400) as i64 - 20) * DAY / (1 + next(2) as i64);
                if next(3) == 0 {
                    (at, 1, Value::Number(next(100_000) as f64 / 100.0))
                } else {
                    (
                        at,
                        0,
                        text(["/pricing", "/blog", "/pricing/x"][next(3) as usize]),
                    )
                }
            })
            .collect();
        list.sort_by_key(|e| e.0);
        for (at, type_id, prop) in list {
            events.at.push(at);
            events.type_id.push(type_id);
            events.prop_start.push(events.props.len() as u32);
            events.props.push(prop);
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

#[test]
fn parallel_and_sequential_evaluation_agree() {
    let plan = support::compile_rules(RULES, &schema()).expect("compiles");
    let data = generate(5000);
    let sequential = score(&plan, &data, AS_OF, false);
    let parallel = score(&plan, &data, AS_OF, true);
    assert_eq!(sequential.columns, parallel.columns);
    assert_eq!(sequential.len(), 5000);
    assert_eq!(sequential.values, parallel.values);
    assert_eq!(sequential.segment_counts, parallel.segment_counts);
    // The data set exercises every label, and the counts add up.
    let counts = &sequential.segment_counts[0];
    assert!(counts.labels.iter().all(|(_, c)| *c > 0), "{counts:?}");
    let total: usize = counts.labels.iter().map(|(_, c)| c).sum::<usize>() + counts.missing;
    assert_eq!(total, 5000);

    let mut with = score_with(&plan, &data, AS_OF, true, true);
    let explanations = std::mem::take(&mut with.explanations);
    assert_eq!(with.values, sequential.values);
    assert_eq!(explanations.len(), 5000);
    for i in [0, 1, 2, 1234, 4999] {
        assert_eq!(explanations[i], explain(&plan, &data, i, AS_OF));
        assert_eq!(explanations[i].id, format!("c{i}"));
    }
}

/// [`generate`] with accounts: `n / 7` accounts (an industry and a size each), every contact
/// but one in ten linked to one of them at random.
fn generate_with_accounts(n: usize) -> Dataset {
    let mut data = generate(n);
    let accounts = (n / 7).max(1);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    data.schema.account = vec![
        spec("id", FieldType::Text),
        spec("sector", FieldType::Text),
        spec("size", FieldType::Number),
    ];
    data.accounts.rows = (0..accounts)
        .map(|a| Contact {
            fields: vec![
                Value::Text(Arc::from(format!("a{a}").as_str())),
                Value::Text(Arc::from(["SaaS", "Retail", "Media"][next(3) as usize])),
                Value::Number(next(5000) as f64),
            ],
        })
        .collect();
    data.accounts.of_contact = (0..n)
        .map(|_| {
            if next(10) == 0 {
                scoreline_data::model::NO_ACCOUNT
            } else {
                next(accounts as u64) as u32
            }
        })
        .collect();
    data.validate().expect("valid");
    data
}

const ACCOUNT_RULES: &str = r#"
score fit {
  rule when industry == "SaaS" => +10
  rule when employees > 100 => +5
  each view where url starts_with "/pricing" => +3 max 12 decay half_life 30d
  each order => amount / 100 max 20
}
account let heat = sum(contacts.fit)
account score group {
  rule when count(contacts where fit >= 15) >= 2 => +20
  rule => top_avg(contacts.fit, 3 where role is present)
  each order where contact.role == "CEO" => +4 max 16 decay half_life 14d
  rule when size > 1000 => +5
}
account score rank = percent_rank(heat) * 100
account segment tier {
  "a" when group >= 40
  "b" when group >= 20
  "c"
}
segment route {
  "ae" when account.tier == "a" and fit >= 10
  "big" when account.size > 2500
  "rest"
}
"#;

#[test]
fn accounts_score_the_same_in_parallel_and_sequentially() {
    let data = generate_with_accounts(20_000);
    let plan = support::compile_rules(ACCOUNT_RULES, &data.schema).expect("compiles");
    let sequential = score(&plan, &data, AS_OF, false);
    let parallel = score(&plan, &data, AS_OF, true);
    assert_eq!(sequential.values, parallel.values);
    let (a, b) = (
        sequential.accounts.as_ref().expect("accounts"),
        parallel.accounts.as_ref().expect("accounts"),
    );
    assert_eq!(a.columns, ["id", "group", "rank", "tier"]);
    assert_eq!(a.len(), data.accounts.rows.len());
    assert_eq!(a.values, b.values);
    assert_eq!(a.segment_counts, b.segment_counts);
    // Explaining computes every contact item again (no value taken from the first pass):
    // the same rows.
    let explained = score_with(&plan, &data, AS_OF, true, true);
    assert_eq!(explained.values, sequential.values);
    assert_eq!(
        explained.accounts.as_ref().map(|e| &e.values),
        Some(&a.values)
    );
    // Every tier and route is given, so the data exercises each arm.
    assert!(
        a.segment_counts[0].labels.iter().all(|(_, c)| *c > 0),
        "{:?}",
        a.segment_counts
    );
    assert!(
        sequential.segment_counts[0]
            .labels
            .iter()
            .all(|(_, c)| *c > 0),
        "{:?}",
        sequential.segment_counts
    );
    // An account's explanation gives its row's values.
    for account in [0, 17, data.accounts.rows.len() - 1] {
        let (explanation, _) = plan
            .explain_account(
                &data,
                account,
                scoreline_engine::AsOf::from_millis(AS_OF),
                false,
            )
            .expect("an account");
        assert_eq!(explanation.kind, Some("account"));
        let group = explanation
            .scores
            .iter()
            .find(|s| s.name == "group")
            .unwrap();
        assert_eq!(
            group.value.map(Value::Number).unwrap_or(Value::Missing),
            a.row(account)[1]
        );
    }
}

#[test]
fn contributions_agree_with_explanations_and_leave_the_rows_alone() {
    let plan = support::compile_rules(RULES, &schema()).expect("compiles");
    let data = generate(3000);
    let mut explained = score_with(&plan, &data, AS_OF, false, true);
    let explanations = std::mem::take(&mut explained.explanations);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let run = |pool| {
        plan.score_with_contributions(
            &data,
            scoreline_engine::AsOf::from_millis(AS_OF),
            // An expression score and an unknown name add no column.
            &["engagement", "fit", "total", "nothing"],
            scoreline_engine::EvalOptions {
                explain: false,
                pool,
                previous: None,
            },
        )
    };
    let (evaluation, contributions) = run(None);
    let (_, parallel) = run(Some(&pool));
    assert_eq!(contributions, parallel);
    assert_eq!(evaluation.values, explained.values);
    // The columns: `fit`'s four clauses, then `engagement`'s four (file order here).
    let clauses: Vec<(&str, usize)> = contributions
        .clauses
        .iter()
        .map(|(s, i)| (s.as_str(), *i))
        .collect();
    let mut want: Vec<(&str, usize)> = (0..4).map(|i| ("fit", i)).collect();
    want.extend((0..4).map(|i| ("engagement", i)));
    assert_eq!(clauses, want);
    let width = clauses.len();
    assert_eq!(contributions.values.len(), 3000 * width);
    let mut fired = 0;
    for (r, e) in explanations.iter().enumerate() {
        for (c, (score, i)) in clauses.iter().enumerate() {
            let traced = e.scores.iter().find(|s| s.name == *score).unwrap();
            let clause = &traced.clauses[*i];
            let got = contributions.values[r * width + c];
            assert_eq!(
                Some(got.contribution),
                clause.contribution,
                "row {r} {score} {i}"
            );
            assert_eq!(got.fired, clause.fired);
            fired += usize::from(got.fired);
        }
    }
    assert!(fired > 3000, "{fired}");
}

#[test]
fn explanation_lists_clauses_cap_and_clamp() {
    let rules = r#"
ruleset demo
score engagement "Engagement" {
  each view where url starts_with "/pricing" => +10 max 15
  rule "Too small" when employees < 10 => -10
  rule "Big" when employees > 100 => +30
  clamp 0..20
}
segment tier {
  "hot" when engagement >= 30
  "warm" when employees > 100 => "nurture"
  "cold"
}
"#;
    let plan = support::compile_rules(rules, &schema()).expect("compiles");
    let contacts = "id,industry,role,employees\nc1,SaaS,CEO,500\n";
    let events = "contact_id,type,at,url\nc1,view,2026-05-01,/pricing\nc1,view,2026-05-02,/pricing\nc1,view,2026-05-03,/blog\n";
    let data = support::dataset(schema(), contacts, events).expect("data");
    let explanation = explain(&plan, &data, 0, AS_OF);
    let score = &explanation.scores[0];
    assert_eq!(score.value, Some(20.0));
    assert_eq!(score.total, Some(45.0));
    let each = &score.clauses[0];
    assert_eq!(each.events_matched, Some(2));
    assert_eq!(each.points_before_cap, Some(20.0));
    assert_eq!(each.capped, Some(true));
    assert_eq!(each.contribution, Some(15.0));
    assert!(!score.clauses[1].fired);
    assert!(score
        .clamp
        .as_ref()
        .is_some_and(|c| c.applied && c.after == 20.0));
    let text = explanation.render_text();
    let expected = r#"contact c1 (ruleset demo)

score engagement "Engagement" = 20
  each view where url starts_with "/pricing" => +10 max 15       +15   (2 events matched, 20 before the cap)
  Too small                                                        —   (did not fire: employees = 500)
  Big                                                            +30   (employees = 500)
  total                                                           45
  clamped                                                         20   (clamp 0..20)

segment tier (engagement = 20, employees = 500)
  "hot"   false
  "warm"  true
  → "warm" (nurture)
"#;
    assert_eq!(text, expected, "\n{text}");
    let json = serde_json::to_value(&explanation).expect("serializes");
    assert_eq!(json["scores"][0]["clauses"][0]["kind"], "each");
    assert_eq!(json["segments"][0]["arms"][1]["result"], "true");
    assert_eq!(json["ruleset"], "demo");
}

#[test]
fn explanation_of_per_counts_events_matched_and_periods_counted() {
    let rules = r#"
score visits {
  each view => +2 max 5 per 1d
  each view where url == "/none" => +1 per 1d
}
"#;
    let plan = support::compile_rules(rules, &schema()).expect("compiles");
    let contacts = "id,industry,role,employees\nc1,SaaS,CEO,500\n";
    // As-of 2026-06-01: two views on 30 May, one on 29 May, one on 25 May: three periods.
    let events = "contact_id,type,at,url\nc1,view,2026-05-25,/a\nc1,view,2026-05-29,/a\nc1,view,2026-05-30T08:00:00Z,/a\nc1,view,2026-05-30T09:00:00Z,/b\n";
    let data = support::dataset(schema(), contacts, events).expect("data");
    let explanation = explain(&plan, &data, 0, AS_OF);
    let per = &explanation.scores[0].clauses[0];
    assert_eq!(per.events_matched, Some(4));
    assert_eq!(per.periods_counted, Some(3));
    assert_eq!(per.points_before_cap, Some(6.0));
    assert_eq!(per.contribution, Some(5.0));
    let none = &explanation.scores[0].clauses[1];
    assert_eq!(
        (none.events_matched, none.periods_counted),
        (Some(0), Some(0))
    );
    let text = explanation.render_text();
    assert!(
        text.contains("+5   (4 events matched, 3 periods counted, 6 before the cap)"),
        "\n{text}"
    );
    assert!(
        text.contains(" 0   (0 events matched, 0 periods counted)"),
        "\n{text}"
    );
    let json = serde_json::to_value(&explanation).expect("serializes");
    assert_eq!(json["scores"][0]["clauses"][0]["periods_counted"], 3);
    // Without `per` the field is left out.
    let plain =
        support::compile_rules("score s { each view => +1 }\n", &schema()).expect("compiles");
    let json = serde_json::to_value(explain(&plain, &data, 0, AS_OF)).expect("serializes");
    assert!(json["scores"][0]["clauses"][0]
        .get("periods_counted")
        .is_none());
}

#[test]
fn explanation_shows_the_values_each_rule_read() {
    let rules = r#"
let recent = count(view within 3d)
score fit {
  rule "Retail" when industry == "Retail" => +10
  rule "Mid-market" when employees between 50 and 1000 => +10
  rule "Active" when recent > 0 and lower(role) == "ceo" => +5
  rule "Pricing" when last(view).url == "/pricing" => +5
  rule "Recent" when days_since(last(view)) < 2 => +1
}
score rank = percent_rank(employees ?? 0) * 100
"#;
    let plan = support::compile_rules(rules, &schema()).expect("compiles");
    // `Retail ` with its trailing blank does not equal `Retail`: the explanation shows why.
    let contacts = "id,industry,role,employees\nc1,\"Retail \",CEO,\nc2,SaaS,VP,60\n";
    let events = "contact_id,type,at,url\nc1,view,2026-05-30,/pricing\n";
    let data = support::dataset(schema(), contacts, events).expect("data");
    let explanation = explain(&plan, &data, 0, AS_OF);
    let text = explanation.render_text();
    for line in [
        "(did not fire: industry = \"Retail \")",
        "(did not fire: employees is missing)",
        "(recent = 1, role = \"CEO\")",
        "(last(view).url = \"/pricing\")",
        "(did not fire: days_since(last(view)) = 2)",
        // The population call is left out, its argument's values are shown.
        "(employees is missing)",
    ] {
        assert!(text.contains(line), "`{line}` not in\n{text}");
    }
    let json = serde_json::to_value(&explanation).expect("serializes");
    let read = &json["scores"][0]["clauses"][1]["values_read"];
    assert_eq!(read[0]["name"], "employees");
    assert!(read[0]["value"].is_null());
    assert_eq!(
        json["scores"][0]["clauses"][0]["values_read"][0]["value"],
        "Retail "
    );
    // The values read are shown, never counted: the rows are the same with and without.
    let rows = score(&plan, &data, AS_OF, false);
    let with = score_with(&plan, &data, AS_OF, false, true);
    assert_eq!(rows.values, with.values);
}

#[test]
fn explanation_wraps_long_clause_texts_instead_of_cutting_them() {
    let rules = r#"
score engagement {
  each view where url starts_with "/pricing" => +10 max 30 decay half_life 30d within 180d
  rule "Short" => +1
}
"#;
    let plan = support::compile_rules(rules, &schema()).expect("compiles");
    let contacts = "id,industry,role,employees\nc1,SaaS,CEO,500\n";
    let data = support::dataset(schema(), contacts, "contact_id,type,at,url\n").expect("data");
    let text = explain(&plan, &data, 0, AS_OF).render_text();
    assert!(!text.contains('…'), "\n{text}");
    // A keyword stays with its argument: `within 180d` is never cut after `within 1`.
    let first = "\n  each view where url starts_with \"/pricing\" => +10 max 30    ";
    assert!(text.contains(first), "\n{text}");
    assert!(
        text.contains("(0 events matched)\n    decay half_life 30d within 180d\n"),
        "\n{text}"
    );
}

#[test]
fn explanation_with_events_lists_each_event_with_its_age_decay_and_points() {
    let rules = r#"
score visits {
  each view => +2 per 1d
  each view where url == "/a" => +10 decay half_life 2d
}
"#;
    let plan = support::compile_rules(rules, &schema()).expect("compiles");
    let contacts = "id,industry,role,employees\nc1,SaaS,CEO,500\n";
    // As-of 2026-06-01: one view on 25 May, one on 29 May, two on 30 May (one period).
    let events = "contact_id,type,at,url\nc1,view,2026-05-25,/a\nc1,view,2026-05-29,/a\nc1,view,2026-05-30T08:00:00Z,/a\nc1,view,2026-05-30T09:00:00Z,/b\n";
    let data = support::dataset(schema(), contacts, events).expect("data");
    let as_of = scoreline_engine::AsOf::from_millis(AS_OF);
    let (listed, _) = plan.explain_with_events(&data, 0, as_of, None);
    let per = &listed.scores[0].clauses[0];
    let counted: Vec<bool> = per.events.iter().map(|e| e.counted).collect();
    assert_eq!(counted, [true, true, false, true]);
    let contributions: Vec<f64> = per.events.iter().map(|e| e.contribution).collect();
    assert_eq!(contributions, [2.0, 2.0, 0.0, 2.0]);
    assert_eq!(per.contribution, Some(6.0));
    let decayed = &listed.scores[0].clauses[1];
    assert_eq!(decayed.events.len(), 3);
    let first = &decayed.events[0];
    assert_eq!(first.age_days, 7.0);
    assert_eq!(first.decay, 2f64.powf(-3.5));
    assert_eq!(first.contribution, 10.0 * 2f64.powf(-3.5));
    let sum: f64 = decayed.events.iter().map(|e| e.contribution).sum();
    assert_eq!(Some(sum), decayed.contribution);
    let text = listed.render_text();
    assert!(
        text.contains("      view 2026-05-25T00:00:00Z    7 days old  +10 × 0.088  = +0.88\n"),
        "\n{text}"
    );
    assert!(
        text.contains("not counted (a later event of its period is)"),
        "\n{text}"
    );
    let json = serde_json::to_value(&listed).expect("serializes");
    let event = &json["scores"][0]["clauses"][1]["events"][0];
    assert_eq!(event["at"], "2026-05-25T00:00:00Z");
    assert_eq!(event["type"], "view");
    assert_eq!(event["age_days"], 7.0);
    // Without asking, no events are listed (the run's explanations stay small), and the
    // explanation is otherwise the same.
    let mut plain = explain(&plan, &data, 0, AS_OF);
    assert!(plain.scores[0].clauses[0].events.is_empty());
    let json = serde_json::to_value(&plain).expect("serializes");
    assert!(json["scores"][0]["clauses"][0].get("events").is_none());
    let mut stripped = listed.clone();
    for clause in stripped.scores.iter_mut().flat_map(|s| &mut s.clauses) {
        clause.events.clear();
    }
    for score in stripped.scores.iter_mut().chain(plain.scores.iter_mut()) {
        score.list_events = false;
    }
    stripped.list_events = false;
    plain.list_events = false;
    assert_eq!(stripped, plain);
}

#[test]
fn explanation_shows_an_arm_matched_by_its_keep_condition() {
    let rules = r#"
score total { rule => employees }
segment tier {
  "hot"  when total >= 70 keep when total >= 60 => "Call"
  "cold"
}
"#;
    let plan = support::compile_rules(rules, &schema()).expect("compiles");
    let contacts = "id,industry,role,employees\nc1,SaaS,CEO,65\nc2,SaaS,CEO,65\n";
    let data = support::dataset(schema(), contacts, "contact_id,type,at,url\n").expect("data");
    let mut previous = scoreline_engine::PreviousScoring::new();
    previous.insert("tier", "c1", "hot");
    previous.insert("tier", "c2", "cold");
    let as_of = scoreline_engine::AsOf::from_millis(AS_OF);
    let kept = plan.explain_with(&data, 0, as_of, Some(&previous)).0;
    let segment = &kept.segments[0];
    assert_eq!(segment.label.as_deref(), Some("hot"));
    assert!(segment.kept);
    assert_eq!(
        segment.arms[0].keep,
        Some(scoreline_engine::explain::ArmResult::True)
    );
    let text = kept.render_text();
    assert!(
        text.contains("\"hot\"  false, keep when true\n"),
        "\n{text}"
    );
    assert!(
        text.contains("→ \"hot\" (Call), kept by `keep when` (the previous label)"),
        "\n{text}"
    );
    let json = serde_json::to_value(&kept).expect("serializes");
    assert_eq!(json["segments"][0]["kept"], true);
    assert_eq!(json["segments"][0]["arms"][0]["keep"], "true");
    // c2 was cold: the keep condition is not tried, and nothing says kept.
    let plain = plan.explain_with(&data, 1, as_of, Some(&previous)).0;
    assert_eq!(plain.segments[0].label.as_deref(), Some("cold"));
    assert!(!plain.segments[0].kept);
    assert_eq!(plain.segments[0].arms[0].keep, None);
    let json = serde_json::to_value(&plain).expect("serializes");
    assert!(json["segments"][0].get("kept").is_none());
    assert!(json["segments"][0]["arms"][0].get("keep").is_none());
}

#[test]
fn a_field_missing_from_the_data_is_an_error_at_its_span() {
    let rules = "score s {\n  rule when revenu > 10 => +1\n}\n";
    let err = support::compile_rules(rules, &schema()).expect_err("unknown field");
    assert!(err.contains("unknown field `revenu`"), "{err}");
    assert!(err.contains("rules.score:2:13"), "{err}");
}

#[test]
fn a_name_in_a_filter_that_the_data_has_neither_as_property_nor_field_is_an_error() {
    // No schema block: `url` is a property of the data's views, `colour` is nothing.
    let rules = "score s = count(view where url == \"/a\") + count(view where colour == \"red\")\n";
    let err = support::compile_rules(rules, &schema()).expect_err("unknown field");
    assert!(err.contains("unknown field `colour`"), "{err}");
    assert!(err.contains("rules.score:1:60"), "{err}");
    assert!(!err.contains("`url`"), "{err}");
}

#[test]
fn a_population_argument_may_not_use_a_population_function() {
    let rules = "let q = quintile(employees)\nscore s = ntile(q, 4)\n";
    let err = support::compile_rules(rules, &schema()).expect_err("nested population");
    assert!(
        err.contains("depends on another population function: `q`, which uses `quintile`"),
        "{err}"
    );
    assert!(err.contains("rules.score:2:17"), "{err}");
}

#[test]
fn an_invalid_regex_is_an_error() {
    let rules = "score s {\n  rule when role matches \"(ceo\" => +1\n}\n";
    let err = support::compile_rules(rules, &schema()).expect_err("bad regex");
    assert!(err.contains("not a valid regular expression"), "{err}");
}

#[test]
fn plugin_calls_give_values_and_failures_are_tallied() {
    let script = r#"
const FREE = ["gmail.com", "yahoo.fr"];
fn is_free(email) { global::FREE.contains(email.split("@")[1]) }
fn fragile(x) { if x == "CEO" { throw "no bosses"; } x.len() }
fn count_events(events) { events.len() }
fn role_of(contact) { contact.role }
"#;
    let plugin = scoreline_plugins::Plugin::load(
        "mail",
        Arc::new(scoreline_syntax::SourceFile::new("mail.rhai", script)),
        &scoreline_plugins::Limits::default(),
    )
    .expect("the plugin loads");
    let rules = r#"
plugin mail = "mail.rhai"
score free {
  rule "Free mailbox" when mail.is_free(industry) => -15
}
score fragile = mail.fragile(role)
score n_events = mail.count_events(events)
"#;
    let plugins = vec![("mail".to_string(), Arc::new(plugin))];
    let plan = support::compile_with_plugins(rules, &schema(), &plugins).expect("compiles");
    // `industry` stands in for an email address here.
    let contacts = "id,industry,role,employees\nc1,a@gmail.com,CEO,1\nc2,b@acme.com,Engineer,2\nc3,c@yahoo.fr,CEO,3\n";
    let events = "contact_id,type,at,url\nc2,view,2026-05-01,/a\nc2,view,2026-05-02,/b\nc2,view,2026-07-01,/later\n";
    let data = support::dataset(schema(), contacts, events).expect("data");
    for parallel in [false, true] {
        let evaluation = score(&plan, &data, AS_OF, parallel);
        let csv = support::to_csv(&evaluation.columns, evaluation.rows());
        assert_eq!(
            csv,
            "id,free,fragile,n_events\nc1,-15,,0\nc2,0,8,2\nc3,-15,,0\n"
        );
        assert_eq!(evaluation.plugin_errors.len(), 1);
        let tally = &evaluation.plugin_errors[0];
        assert_eq!(
            (tally.plugin.as_str(), tally.function.as_str()),
            ("mail", "fragile")
        );
        assert_eq!(tally.count, 2);
        assert_eq!(tally.contact_ids, ["c1", "c3"]);
        assert!(tally.message.contains("no bosses"), "{}", tally.message);
    }
}

#[test]
fn an_unknown_plugin_function_is_an_error() {
    let plugin = scoreline_plugins::Plugin::load(
        "mail",
        Arc::new(scoreline_syntax::SourceFile::new(
            "mail.rhai",
            "fn is_free(email) { false }",
        )),
        &scoreline_plugins::Limits::default(),
    )
    .expect("the plugin loads");
    let rules = "plugin mail = \"mail.rhai\"\nscore s = if(mail.is_fre(role), 1, 0)\n";
    let plugins = vec![("mail".to_string(), Arc::new(plugin))];
    let err =
        support::compile_with_plugins(rules, &schema(), &plugins).expect_err("unknown function");
    assert!(
        err.contains("the plugin `mail` has no function `is_fre`"),
        "{err}"
    );
    assert!(err.contains("did you mean `is_free`?"), "{err}");
}

#[test]
fn partitions_scored_with_merged_statistics_give_the_whole_run() {
    let rules = "let visits = count(any)\nscore q = quintile(visits)\nscore r = percent_rank(employees)\nscore t = ntile(employees * 100 + visits, 7)\n";
    let plan = support::compile_rules(rules, &schema()).expect("compiles");
    let data = generate(3000);
    let as_of = scoreline_engine::AsOf::from_millis(AS_OF);
    let whole = score(&plan, &data, AS_OF, true);
    for parts in [1, 2, 7] {
        let bounds: Vec<usize> = (0..=parts).map(|k| 3000 * k / parts).collect();
        let partitions: Vec<Dataset> = bounds
            .windows(2)
            .map(|w| data.partition(w[0]..w[1]))
            .collect();
        let own: Vec<_> = partitions
            .iter()
            .map(|p| plan.statistics(p, as_of, None))
            .collect();
        // The statistics cross machines as JSON, exactly.
        let shipped: Vec<scoreline_engine::Statistics> = own
            .iter()
            .map(|o| serde_json::from_str(&serde_json::to_string(o.summary()).unwrap()).unwrap())
            .collect();
        assert!(shipped.iter().zip(&own).all(|(s, o)| s == o.summary()));
        let all = scoreline_engine::Statistics::merge(&shipped);
        assert_eq!(all.counts().len(), 3);
        let mut values = Vec::new();
        for (p, o) in partitions.iter().zip(&own) {
            values.extend(plan.evaluate(p, o, &all, as_of, Default::default()).values);
        }
        assert_eq!(values, whole.values, "{parts} partitions");
        // Statistics of another partition are not this one's: they are computed again.
        let e = plan.evaluate(
            &partitions[0],
            &own[own.len() - 1],
            &all,
            as_of,
            Default::default(),
        );
        assert_eq!(e.values[..], whole.values[..e.values.len()]);
    }
}

#[test]
fn the_front_door_checks_compiles_and_scores() {
    use scoreline_engine::check::NoPlugins;
    use scoreline_engine::Ruleset;
    use scoreline_syntax::SourceFile;
    let file = |text: &str| Arc::new(SourceFile::new("rules.score", text));
    // Every syntax error at once, and no tree.
    let rejected = Ruleset::check(
        file("score a {\n  rule when => +1\n}\nscore b = 1 +\nscore c = 2\n"),
        &NoPlugins,
    )
    .unwrap_err();
    assert_eq!(rejected.diagnostics.len(), 2, "{:?}", rejected.diagnostics);
    assert!(rejected.ast.is_none());
    // A type error: the tree is there, for tools that still want it.
    let rejected = Ruleset::check(file("score a = \"x\" + 1\n"), &NoPlugins).unwrap_err();
    assert!(rejected.ast.is_some() && rejected.checked.is_some());
    assert!(rejected.diagnostics.iter().all(|d| d.is_error()));
    // A good file: compiled against the data's schema, then scored.
    let ruleset = Ruleset::check(
        file("let unused = 1\nscore s {\n  rule when employees > 100 => +10\n}\n"),
        &NoPlugins,
    )
    .unwrap();
    assert_eq!(
        ruleset.diagnostics().len(),
        1,
        "the unused let is a warning"
    );
    let data = generate(50);
    let plan = ruleset.compile(&data.schema).unwrap();
    let e = plan.score(
        &data,
        scoreline_engine::AsOf::from_millis(AS_OF),
        Default::default(),
    );
    assert_eq!(e.columns, ["id", "s"]);
    assert_eq!(e.len(), 50);
}

#[test]
fn a_plugin_in_force_without_a_checked_function_is_an_error_of_the_checker() {
    use scoreline_engine::check::{
        check, CheckOptions, PluginFunction, PluginInfo, PluginResolver,
    };
    /// Says the script offers `is_free/1`, whatever is loaded later.
    struct Claims;
    impl PluginResolver for Claims {
        fn resolve(&self, _: &str) -> PluginInfo {
            PluginInfo::Loaded {
                functions: vec![PluginFunction {
                    name: "is_free".into(),
                    arity: 1,
                }],
            }
        }
    }
    let plugin = scoreline_plugins::Plugin::load(
        "mail",
        Arc::new(scoreline_syntax::SourceFile::new(
            "mail.rhai",
            "fn is_fre(email) { false }",
        )),
        &scoreline_plugins::Limits::default(),
    )
    .expect("the plugin loads");
    let rules = "plugin mail = \"mail.rhai\"\nscore s = if(mail.is_free(role), 1, 0)\n";
    let file = Arc::new(scoreline_syntax::SourceFile::new("rules.score", rules));
    let ast = support::parse(&file).expect("parses");
    let checked = check(&file, &ast, &CheckOptions { plugins: &Claims });
    assert!(!checked.has_errors());
    let plugins = vec![("mail".to_string(), Arc::new(plugin))];
    let err = scoreline_engine::compile(&checked, &schema(), &plugins)
        .map_err(|d| scoreline_syntax::diagnostic::render(&d))
        .expect_err("the function is not in force");
    assert!(
        err.contains("error[E0705]: plugin `mail` has no function `is_free` taking 1 argument"),
        "{err}"
    );
    assert!(err.contains("rules.score:2:19"), "{err}");
    assert!(err.contains("did you mean `is_fre`?"), "{err}");
    // Without the plugin at all.
    let err = scoreline_engine::compile(&checked, &schema(), &[])
        .map_err(|d| scoreline_syntax::diagnostic::render(&d))
        .expect_err("no plugin in force");
    assert!(err.contains("error[E0705]: unknown plugin `mail`"), "{err}");
    assert!(err.contains("rules.score:2:14"), "{err}");
}

#[test]
fn a_file_with_errors_does_not_compile_and_gives_its_errors() {
    let file = Arc::new(scoreline_syntax::SourceFile::new(
        "rules.score",
        "score s = lowr(role)\n",
    ));
    let ast = support::parse(&file).expect("parses");
    let checked = scoreline_engine::check::check(
        &file,
        &ast,
        &scoreline_engine::check::CheckOptions {
            plugins: &scoreline_engine::check::NoPlugins,
        },
    );
    let errors = scoreline_engine::compile(&checked, &schema(), &[]).expect_err("errors");
    let codes: Vec<&str> = errors.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0104"]);
}

/// Every built-in function is in docs/language.md's table as the engine's table describes it,
/// and its example gives what the table says (population functions for the contact whose `n`
/// is 40 among five whose `n` are 10 to 50).
#[test]
fn every_builtin_is_documented_and_its_example_evaluates() {
    use scoreline_engine::builtins::BUILTINS;
    let mut table = String::from("| function | gives | example |\n| --- | --- | --- |\n");
    for b in BUILTINS {
        table.push_str(&format!(
            "| `{}` | {} | `{}` is `{}` |\n",
            b.usage, b.doc, b.example.0, b.example.1
        ));
    }
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/language.md"
    ))
    .expect("docs/language.md is readable");
    assert!(
        docs.contains(&table),
        "docs/language.md must hold the table of built-in functions as the engine has it:\n{table}"
    );

    let mut rules = String::from("schema {\n  contact { n: number }\n}\n");
    for (i, b) in BUILTINS.iter().enumerate() {
        rules.push_str(&format!(
            "segment ex{i} {{\n  \"yes\" when ({}) == {}\n  \"no\"\n}}\n",
            b.example.0, b.example.1
        ));
    }
    let schema = Schema {
        account: Vec::new(),
        contact: vec![spec("id", FieldType::Text), spec("n", FieldType::Number)],
        events: Vec::new(),
    };
    let plan = support::compile_rules(&rules, &schema).expect("the examples compile");
    let contacts = "id,n\nc1,10\nc2,20\nc3,30\nc4,40\nc5,50\n";
    let data = support::dataset(schema, contacts, "").expect("data");
    let as_of = support::parse_instant("2026-11-01").expect("a date");
    let evaluation = score(&plan, &data, as_of, false);
    let row = evaluation.row(3);
    for (i, b) in BUILTINS.iter().enumerate() {
        assert_eq!(
            row[1 + i],
            Value::Text(Arc::from("yes")),
            "`{}` does not give `{}`",
            b.example.0,
            b.example.1
        );
    }
}
