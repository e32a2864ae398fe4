//! Times loading a generated data set (see `generate.rs`) with the B2B schema, and writing a
//! score table for every contact.
//!
//! `cargo run --release -p scoreline-data --example load_bench -- DIR [THREADS]`

use std::time::Instant;

use scoreline_data::{
    load, EventSpec, FieldSpec, FieldType, LoadOptions, LoadRequest, OutputFormat, OutputMeta,
    RowWriter, Schema, Value,
};

fn field(name: &str, ty: FieldType, optional: bool) -> FieldSpec {
    FieldSpec {
        name: name.into(),
        ty,
        optional,
        column: None,
    }
}

fn main() {
    use FieldType::*;
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bench-data".into()));
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(0);
    let ev = |name: &str, fields: Vec<FieldSpec>| EventSpec {
        name: name.into(),
        fields,
    };
    let schema = Schema {
        account: Vec::new(),
        contact: vec![
            field("id", Text, false),
            field("email", Text, false),
            field("industry", Text, false),
            field("role", Text, false),
            field("employees", Number, true),
            field("country", Text, false),
            field("tags", List, false),
            field("created_at", Date, false),
        ],
        events: vec![
            ev("page_view", vec![field("url", Text, false)]),
            ev("email_open", vec![]),
            ev("email_click", vec![]),
            ev("form_submit", vec![field("form", Text, false)]),
            ev("demo_request", vec![]),
            ev("unsubscribe", vec![]),
            ev("order", vec![field("amount", Number, false)]),
        ],
    };
    for (label, schema) in [("with schema", Some(&schema)), ("inferred", None)] {
        let request = LoadRequest {
            contacts: dir.join("contacts.csv"),
            events: vec![dir.join("events.csv")],
            accounts: None,
            options: LoadOptions {
                schema,
                threads,
                ..LoadOptions::default()
            },
        };
        let t = Instant::now();
        match load(&request) {
            Ok(l) => println!(
                "load {label}: {} contacts, {} events in {:.2?}",
                l.dataset.contacts.len(),
                l.dataset.events.len(),
                t.elapsed()
            ),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
    let n = 1_000_000;
    let columns: Vec<String> = ["id", "fit", "engagement", "total", "tier", "tier_action"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let meta = OutputMeta {
        ruleset: "b2b_leads".into(),
        version: "3f2a9c0d1e2b".into(),
    };
    let ids: Vec<Value> = (0..n)
        .map(|i| Value::Text(format!("c{i}").into()))
        .collect();
    let hot: Value = Value::Text("hot".into());
    let action: Value = Value::Text("Sales follow-up within 24h".into());
    for format in [OutputFormat::Csv, OutputFormat::Ndjson] {
        let t = Instant::now();
        let mut out = RowWriter::new(std::io::sink(), format, &columns, Some(&meta)).unwrap();
        let mut row = vec![Value::Missing; 6];
        for (i, id) in ids.iter().enumerate() {
            row[0] = id.clone();
            row[1] = Value::Number((i % 50) as f64 + 0.25);
            row[2] = Value::Number((i % 60) as f64);
            row[3] = if i % 7 == 0 {
                Value::Missing
            } else {
                Value::Number((i % 100) as f64 + 0.5)
            };
            row[4] = hot.clone();
            row[5] = action.clone();
            out.write_row(&row).unwrap();
        }
        out.finish().unwrap();
        println!("write {format:?}: {n} rows in {:.2?}", t.elapsed());
    }
}
