//! Plugins during evaluation: the same rows and errors in parallel and sequential runs, per-row
//! errors and tallies, failures shown in place in explanations.

#[path = "conformance/support.rs"]
mod support;

use support::{explain, score, score_with};

use std::sync::Arc;

use scoreline_data::{Contact, Dataset, EventSpec, Events, FieldSpec, FieldType, Schema, Value};
use scoreline_engine::Plan;

const DAY: i64 = 86_400_000;
const AS_OF: i64 = 1_780_272_000_000; // 2026-06-01

const EMAIL_DOMAIN: &str = include_str!("../../../plugins/email_domain.rhai");

const TITLES: &str = r#"
fn seniority(role) {
    if role == () {
        throw "no role";
    }
    if role.contains("CEO") { 90 } else if role.contains("VP") { 60 } else { 10 }
}

fn is_pricing(url) {
    url.starts_with("/pricing")
}

fn count(events) {
    events.len()
}
"#;

const RULES: &str = r#"
plugin mailbox = "email_domain.rhai"
plugin t = "titles.rhai"

let kind = mailbox.kind(email)

score fit {
  rule "Free mailbox" when mailbox.is_free(email) => -15
  rule "Corporate"    when kind == "corporate" => +10
  rule "Senior"       when t.seniority(role) >= 50 => +20
  each page_view where t.is_pricing(url) => +5 max 20
}

score views = t.count(events)

segment level {
  "boss" when t.seniority(role) > 70
  "other"
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
            spec("email", FieldType::Text),
            spec("role", FieldType::Text),
        ],
        events: vec![EventSpec {
            name: "page_view".into(),
            fields: vec![spec("url", FieldType::Text)],
        }],
    }
}

fn plan(rules: &str) -> Plan {
    let plugins = vec![
        (
            "mailbox".to_string(),
            support::load_plugin("mailbox", "email_domain.rhai", EMAIL_DOMAIN).expect("loads"),
        ),
        (
            "t".to_string(),
            support::load_plugin("t", "titles.rhai", TITLES).expect("loads"),
        ),
    ];
    support::compile_with_plugins(rules, &schema(), &plugins).expect("compiles")
}

/// A seeded data set: `n` contacts, one in seven without a role (its `seniority` calls fail),
/// 0 to 5 page views each, some after as-of.
fn generate(n: usize) -> Dataset {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
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
        let domain = [
            "gmail.com",
            "acme.fr",
            "yopmail.com",
            "yahoo.co.uk",
            "corp.io",
        ][next(5) as usize];
        let email = match next(10) {
            0 => Value::Missing,
            1 => text("not an email"),
            _ => text(&format!("user{i}@{domain}")),
        };
        let role = if i % 7 == 3 {
            Value::Missing
        } else {
            text(["CEO", "VP Sales", "Engineer"][next(3) as usize])
        };
        contacts.push(Contact {
            fields: vec![text(&format!("c{i}")), email, role],
        });
        let mut ats: Vec<i64> = (0..next(6))
            .map(|_| AS_OF - (next(100) as i64 - 10) * DAY)
            .collect();
        ats.sort_unstable();
        for at in ats {
            events.at.push(at);
            events.type_id.push(0);
            events.prop_start.push(events.props.len() as u32);
            events.props.push(text(
                ["/pricing", "/blog", "/pricing/team"][next(3) as usize],
            ));
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
fn parallel_and_sequential_runs_give_the_same_rows_and_errors() {
    let plan = plan(RULES);
    let n = 4500;
    let data = generate(n);
    let sequential = score(&plan, &data, AS_OF, false);
    let parallel = score(&plan, &data, AS_OF, true);
    assert_eq!(sequential.len(), n);
    let csv = support::to_csv(&sequential.columns, sequential.rows());
    assert_eq!(csv, support::to_csv(&parallel.columns, parallel.rows()));
    assert_eq!(sequential.values, parallel.values);
    assert_eq!(sequential.errors, parallel.errors);
    assert_eq!(sequential.plugin_errors, parallel.plugin_errors);
    assert_eq!(sequential.segment_counts, parallel.segment_counts);

    // Exactly the contacts without a role have an error, and their `Senior` rule did not fire.
    let failing: Vec<usize> = (0..n).filter(|i| i % 7 == 3).collect();
    let rows: Vec<usize> = sequential.errors.iter().map(|e| e.row).collect();
    assert_eq!(rows, failing);
    for &i in &failing {
        assert_eq!(
            sequential.row_error(i),
            Some("t.seniority failed at titles.rhai:4:9: the script threw `no role`")
        );
        assert_eq!(sequential.row(i)[3], Value::Text(Arc::from("other")));
    }
    assert_eq!(sequential.row_error(0), None);
    assert_eq!(sequential.row_error(n), None);

    // The scores are those a run without the failing rule and segment gives.
    let values: Vec<&Value> = sequential.rows().map(|r| &r[1]).collect();
    assert!(values.iter().all(|v| matches!(v, Value::Number(_))));
    let views = sequential.rows().map(|r| &r[2]);
    let expected_views = (0..n).map(|i| {
        let range = data.events.of_contact(i);
        data.events.at[range]
            .iter()
            .filter(|&&t| t <= AS_OF)
            .count() as f64
    });
    for (got, want) in views.zip(expected_views) {
        assert_eq!(got, &Value::Number(want));
    }

    // One tally for the failing function: contacts counted once each, though it is called
    // twice per contact (the rule and the segment).
    assert_eq!(sequential.plugin_errors.len(), 1);
    let tally = &sequential.plugin_errors[0];
    assert_eq!(
        (tally.plugin.as_str(), tally.function.as_str()),
        ("t", "seniority")
    );
    assert_eq!(tally.count, failing.len());
    assert_eq!(tally.contact_ids, ["c3", "c10", "c17", "c24", "c31"]);
    assert_eq!(
        tally.message,
        "t.seniority failed for contact `c3` at titles.rhai:4:9: the script threw `no role`"
    );
    assert_eq!(
        tally.error.position.map(|p| (p.line, p.column)),
        Some((4, 9))
    );

    // Explanations carry the same errors as the rows.
    let mut with = score_with(&plan, &data, AS_OF, true, true);
    let explanations = std::mem::take(&mut with.explanations);
    assert_eq!(with.values, sequential.values);
    assert_eq!(with.errors, sequential.errors);
    for i in [0, 3, 10, 2048, 2050, n - 1] {
        assert_eq!(explanations[i], explain(&plan, &data, i, AS_OF));
        let joined =
            (!explanations[i].errors.is_empty()).then(|| explanations[i].errors.join("; "));
        assert_eq!(joined.as_deref(), sequential.row_error(i), "row {i}");
    }
}

#[test]
fn no_errors_costs_nothing_in_the_result() {
    let plan = plan(RULES);
    let data = support::dataset(
        schema(),
        "id,email,role\nc1,a@gmail.com,CEO\nc2,b@acme.fr,Engineer\n",
        "",
    )
    .expect("data");
    let evaluation = score(&plan, &data, AS_OF, false);
    assert!(evaluation.errors.is_empty());
    assert!(evaluation.plugin_errors.is_empty());
    assert_eq!(
        support::to_csv(&evaluation.columns, evaluation.rows()),
        "id,fit,views,level\nc1,5,0,boss\nc2,10,0,other\n"
    );
}

#[test]
fn an_explanation_shows_a_failed_call_where_it_happened() {
    let rules = r#"
plugin mailbox = "email_domain.rhai"
plugin t = "titles.rhai"

let senior = t.seniority(role) >= 50

score fit {
  rule "Free mailbox" when mailbox.is_free(email) => -15
  rule "Senior"       when t.seniority(role) >= 50 => +20
  rule "Senior (let)" when senior => +1
}

score level_points = t.seniority(role) / 10

segment level {
  "boss" when t.seniority(role) > 70
  "other"
}
"#;
    let plan = plan(rules);
    let data = support::dataset(schema(), "id,email,role\nc1,a@gmail.com,\n", "").expect("data");
    let explanation = explain(&plan, &data, 0, AS_OF);
    let failed = "t.seniority failed at titles.rhai:4:9: the script threw `no role`";
    assert_eq!(explanation.errors, [failed]);
    let fit = &explanation.scores[0];
    assert_eq!(fit.clauses[0].error, None);
    assert_eq!(fit.clauses[1].error.as_deref(), Some(failed));
    // The let failed, not the clause that reads it.
    assert_eq!(fit.clauses[2].error, None);
    assert_eq!(
        explanation.scores[1].clauses[0].error.as_deref(),
        Some(failed)
    );
    assert_eq!(
        explanation.segments[0].arms[0].error.as_deref(),
        Some(failed)
    );
    assert_eq!(explanation.segments[0].arms[1].error, None);

    let text = explanation.render_text();
    let expected = "contact c1

score fit = -15
  Free mailbox       -15   (email = \"a@gmail.com\", mailbox.is_free(email) = true)
  Senior               —   (did not fire: role is missing, t.seniority(role) is missing)
    error: t.seniority failed at titles.rhai:4:9: the script threw `no role`
  Senior (let)         —   (did not fire: senior is missing)
  total              -15

score level_points = missing
  t.seniority(role) / 10   missing   (role is missing, t.seniority(role) is missing)
    error: t.seniority failed at titles.rhai:4:9: the script threw `no role`

segment level (role is missing, t.seniority(role) is missing)
  \"boss\"   missing
    error: t.seniority failed at titles.rhai:4:9: the script threw `no role`
  \"other\"  true
  → \"other\"
";
    assert_eq!(text, expected, "\n{text}");

    let json = serde_json::to_value(&explanation).expect("serializes");
    assert_eq!(json["scores"][0]["clauses"][1]["error"], failed);
    assert!(json["scores"][0]["clauses"][0].get("error").is_none());
    assert_eq!(json["segments"][0]["arms"][0]["error"], failed);
    assert_eq!(json["errors"][0], failed);
}

#[test]
fn a_failure_only_in_a_let_is_listed_after_the_explanation() {
    let rules = r#"
plugin t = "titles.rhai"
let senior = t.seniority(role) >= 50
score fit {
  rule "Senior" when senior => +20
}
"#;
    let plan = plan(rules);
    let data = support::dataset(schema(), "id,email,role\nc1,a@gmail.com,\n", "").expect("data");
    let explanation = explain(&plan, &data, 0, AS_OF);
    let text = explanation.render_text();
    let expected = "contact c1

score fit = 0
  Senior         —   (did not fire: senior is missing)
  total          0

error: t.seniority failed at titles.rhai:4:9: the script threw `no role`
";
    assert_eq!(text, expected, "\n{text}");
    let json = serde_json::to_value(&explanation).expect("serializes");
    assert!(json["scores"][0]["clauses"][0].get("error").is_none());
    assert_eq!(
        json["errors"][0],
        "t.seniority failed at titles.rhai:4:9: the script threw `no role`"
    );
}
