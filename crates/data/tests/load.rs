//! The data crate: loading every format, inference, validation, bad data with positions,
//! skip-bad-rows, determinism, and the output writers.

use std::path::{Path, PathBuf};

#[path = "load/accounts.rs"]
mod accounts;
#[path = "load/blocks.rs"]
mod blocks;

use scoreline_data::{
    format_date, format_number, load, load_inputs, load_records, load_sources, parse_date,
    write_atomic, write_skipped_to, Dataset, Datum, Decimal, Delimiter, Dialect, Encoding,
    EventSpec, FieldSpec, FieldType, FileRows, Format, Input, LoadError, LoadOptions, LoadRequest,
    Loaded, OutputFormat, OutputMeta, OutputTable, Record, RecordSet, Schema, Source, Thousands,
    Value,
};

fn field(name: &str, ty: FieldType, optional: bool) -> FieldSpec {
    FieldSpec {
        name: name.into(),
        ty,
        optional,
        column: None,
    }
}

fn event(name: &str, fields: Vec<FieldSpec>) -> EventSpec {
    EventSpec {
        name: name.into(),
        fields,
    }
}

/// The B2B schema of the language reference.
fn b2b() -> Schema {
    use FieldType::*;
    Schema {
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
            event("page_view", vec![field("url", Text, false)]),
            event("email_open", vec![]),
            event("email_click", vec![]),
            event("form_submit", vec![field("form", Text, false)]),
            event("demo_request", vec![]),
            event("unsubscribe", vec![]),
            event("order", vec![field("amount", Number, false)]),
        ],
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn src(name: &str, text: &str) -> Source {
    Source {
        name: name.into(),
        format: Format::from_path(Path::new(name)).expect("a data file name"),
        bytes: text.as_bytes().to_vec(),
    }
}

fn options(schema: Option<&Schema>) -> LoadOptions<'_> {
    LoadOptions {
        schema,
        ..LoadOptions::default()
    }
}

fn ok(contacts: Source, events: &[Source], schema: Option<&Schema>) -> Loaded {
    match load_sources(&contacts, events, &options(schema)) {
        Ok(l) => l,
        Err(e) => panic!("expected the data to load, got:\n{e}"),
    }
}

fn err(contacts: Source, events: &[Source], schema: Option<&Schema>) -> LoadError {
    match load_sources(&contacts, events, &options(schema)) {
        Ok(_) => panic!("expected the data to fail to load"),
        Err(e) => e,
    }
}

/// `file:line:column: message` of each problem.
fn lines(e: &LoadError) -> Vec<String> {
    e.problems
        .iter()
        .map(|p| format!("{}: {}", p.location(), p.message))
        .collect()
}

fn show(v: &Value) -> String {
    match v {
        Value::Missing => "-".into(),
        Value::Number(n) => format_number(*n),
        Value::Text(t) => format!("{t:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => format_date(*d),
        Value::List(items) => format!(
            "{:?}",
            items.iter().map(|i| i.to_string()).collect::<Vec<_>>()
        ),
    }
}

/// A readable dump of a dataset: contacts with their fields, each with its events.
fn dump(ds: &Dataset) -> String {
    // Whatever the loader read, it keeps the model's invariants.
    if let Err(e) = ds.validate() {
        panic!("the loaded data breaks the model's invariants: {e}");
    }
    let mut s = String::new();
    for (i, c) in ds.contacts.iter().enumerate() {
        let fields: Vec<String> = ds
            .schema
            .contact
            .iter()
            .zip(&c.fields)
            .map(|(f, v)| format!("{}={}", f.name, show(v)))
            .collect();
        s += &format!("{}\n", fields.join(" "));
        for e in ds.events.of_contact(i) {
            let spec = &ds.schema.events[ds.events.type_id[e] as usize];
            let props: Vec<String> = spec
                .fields
                .iter()
                .zip(ds.events.props(e))
                .map(|(f, v)| format!(" {}={}", f.name, show(v)))
                .collect();
            s += &format!(
                "  {} {}{}\n",
                spec.name,
                format_date(ds.events.at[e]),
                props.concat()
            );
        }
    }
    s
}

fn schema_text(schema: &Schema) -> String {
    let fields = |fs: &[FieldSpec]| {
        fs.iter()
            .map(|f| {
                format!(
                    "{}: {}{}",
                    f.name,
                    f.ty.name(),
                    if f.optional { "?" } else { "" }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!("contact {{ {} }}\n", fields(&schema.contact));
    for e in &schema.events {
        s += &format!("event {} {{ {} }}\n", e.name, fields(&e.fields));
    }
    s
}

const EXPECTED_B2B: &str = r#"id="c1" email="ana@acme.io" industry="SaaS" role="CMO" employees=250 country="FR" tags=["vip", "newsletter"] created_at=2025-01-15T00:00:00Z
  email_open 2026-09-01T00:00:00Z
  demo_request 2026-09-15T00:00:00Z
  page_view 2026-10-01T10:00:00Z url="/pricing"
  page_view 2026-10-01T10:00:00Z url="/blog/scoring"
id="c2" email="bob@gmail.com" industry="Retail" role="Intern" employees=- country="US" tags=[] created_at=2025-06-01T07:30:00Z
  form_submit 2026-10-02T08:00:00Z form="whitepaper"
id="c3" email="carla@big.co" industry="Fintech" role="Head of Growth, EMEA" employees=5000 country="DE" tags=["webinar"] created_at=2024-12-31T23:59:59Z
  order 2026-10-03T11:00:00Z amount=1250.5
"#;

fn load_files(contacts: &str, events: &[&str], schema: Option<&Schema>) -> Loaded {
    let request = LoadRequest {
        contacts: fixture(contacts),
        events: events.iter().map(|e| fixture(e)).collect(),
        accounts: None,
        options: options(schema),
    };
    match load(&request) {
        Ok(l) => l,
        Err(e) => panic!("{contacts}: {e}"),
    }
}

#[test]
fn every_format_loads_the_same_data() {
    let schema = b2b();
    let csv = load_files("contacts.csv", &["events.csv"], Some(&schema));
    assert_eq!(dump(&csv.dataset), EXPECTED_B2B);
    let ndjson = load_files("contacts.ndjson", &["events.ndjson"], Some(&schema));
    assert_eq!(dump(&ndjson.dataset), EXPECTED_B2B);
    let json = load_files("contacts.json", &[], Some(&schema));
    assert_eq!(dump(&json.dataset), EXPECTED_B2B);
    let yaml = load_files("contacts.yaml", &[], Some(&schema));
    assert_eq!(dump(&yaml.dataset), EXPECTED_B2B);
    // Mixed: CSV contacts with NDJSON events.
    let mixed = load_files("contacts.csv", &["events.ndjson"], Some(&schema));
    assert_eq!(dump(&mixed.dataset), EXPECTED_B2B);
    // Records per file: 3 contacts, 6 events (inline events are part of their contact).
    let counts = |l: &Loaded| -> Vec<(String, usize, usize)> {
        l.files
            .iter()
            .map(|f| {
                let name = Path::new(&f.file).file_name().unwrap().to_string_lossy();
                (name.into_owned(), f.rows, f.skipped)
            })
            .collect()
    };
    let file = |name: &str, rows| (name.to_string(), rows, 0);
    assert_eq!(
        counts(&csv),
        [file("contacts.csv", 3), file("events.csv", 6)]
    );
    assert_eq!(
        counts(&ndjson),
        [file("contacts.ndjson", 3), file("events.ndjson", 6)]
    );
    assert_eq!(counts(&json), [file("contacts.json", 3)]);
    assert_eq!(counts(&yaml), [file("contacts.yaml", 3)]);
    for l in [&csv, &ndjson, &json, &yaml] {
        assert!(l.skipped.is_empty());
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert_eq!(l.dataset.schema.contact[0].name, "id");
        assert_eq!(l.dataset.events.contact_start, vec![0, 4, 5, 6]);
    }
}

#[test]
fn dataset_layout_follows_the_model() {
    let schema = b2b();
    let l = load_files("contacts.csv", &["events.csv"], Some(&schema));
    let ds = &l.dataset;
    assert_eq!(ds.contacts[1].id(), "c2");
    assert_eq!(ds.contacts[0].fields.len(), schema.contact.len());
    // Properties are flat, one per field of the event's type.
    let order = ds.schema.event("order").unwrap() as u32;
    let e = (0..ds.events.len())
        .find(|&e| ds.events.type_id[e] == order)
        .unwrap();
    assert_eq!(ds.events.props(e), &[Value::Number(1250.5)]);
    assert_eq!(ds.events.at[e], parse_date("2026-10-03T11:00:00Z").unwrap());
    let open = ds.schema.event("email_open").unwrap() as u32;
    let e = (0..ds.events.len())
        .find(|&e| ds.events.type_id[e] == open)
        .unwrap();
    assert!(ds.events.props(e).is_empty());
}

#[test]
fn inference_without_a_schema() {
    let csv = load_files("contacts.csv", &["events.csv"], None);
    assert_eq!(
        schema_text(&csv.dataset.schema),
        "contact { id: text, email: text, industry: text, role: text, employees: number?, country: text, tags: text?, created_at: date }\n\
         event page_view { url: text }\n\
         event email_open {  }\n\
         event form_submit { form: text }\n\
         event order { amount: number }\n\
         event demo_request {  }\n"
    );
    // JSON arrays are lists; an absent key makes a field optional.
    let json = load_files("contacts.json", &[], None);
    assert_eq!(
        schema_text(&json.dataset.schema),
        "contact { id: text, email: text, industry: text, role: text, employees: number?, country: text, tags: list, created_at: date }\n\
         event page_view { url: text }\n\
         event email_open {  }\n\
         event demo_request {  }\n\
         event form_submit { form: text }\n\
         event order { amount: number }\n"
    );
    let yaml = load_files("contacts.yaml", &[], None);
    assert_eq!(dump(&yaml.dataset), dump(&json.dataset));
}

#[test]
fn inference_order_number_date_bool_text() {
    let l = ok(
        src(
            "c.csv",
            "id,n,d,b,t,z,mixed\n\
             a,1,2026-01-01,true,x,,1\n\
             b,2.5,2026-01-02T10:00:00Z,FALSE,y,,2026-01-01\n\
             c,-3,2026-01-03,True,1,,\n",
        ),
        &[],
        None,
    );
    assert_eq!(
        schema_text(&l.dataset.schema),
        "contact { id: text, n: number, d: date, b: bool, t: text, z: text?, mixed: text? }\n"
    );
    assert_eq!(l.dataset.contacts[1].fields[3], Value::Bool(false));
    assert_eq!(l.dataset.contacts[2].fields[4], Value::Text("1".into()));
    // Event property types are inferred per event type.
    let l = ok(
        src("c.csv", "id\na\n"),
        &[src(
            "e.csv",
            "contact_id,type,at,value\n\
             a,order,2026-01-01,12.5\n\
             a,page_view,2026-01-01,/pricing\n\
             a,email_open,2026-01-01,\n",
        )],
        None,
    );
    assert_eq!(
        schema_text(&l.dataset.schema),
        "contact { id: text }\nevent order { value: number }\nevent page_view { value: text }\nevent email_open {  }\n"
    );
}

#[test]
fn values_lists_bools_and_missing() {
    let schema = Schema {
        account: Vec::new(),
        contact: vec![
            field("id", FieldType::Text, false),
            field("tags", FieldType::List, false),
            field("active", FieldType::Bool, true),
            field("score", FieldType::Number, true),
            field("name", FieldType::Text, true),
        ],
        events: vec![],
    };
    let l = ok(
        src(
            "c.csv",
            "id,tags,active,score,name\n\
             a, vip ; b2b ;;,TRUE,1e3,  Ana  \n\
             b,,no,,\n\
             c,x,1,-0.5,\"Smith, J\"\n",
        ),
        &[],
        Some(&schema),
    );
    assert_eq!(
        dump(&l.dataset),
        "id=\"a\" tags=[\"vip\", \"b2b\"] active=true score=1000 name=\"Ana\"\n\
         id=\"b\" tags=[] active=false score=- name=-\n\
         id=\"c\" tags=[\"x\"] active=true score=-0.5 name=\"Smith, J\"\n"
    );
    let l = ok(
        src(
            "c.ndjson",
            r#"{"id": 7, "tags": ["a", 2, null], "active": false, "score": null}
{"id": "b", "tags": "x;y", "name": 12.5}
"#,
        ),
        &[],
        Some(&schema),
    );
    assert_eq!(
        dump(&l.dataset),
        "id=\"7\" tags=[\"a\", \"2\"] active=false score=- name=-\n\
         id=\"b\" tags=[\"x\", \"y\"] active=- score=- name=\"12.5\"\n"
    );
}

#[test]
fn dates_both_forms_and_offsets() {
    assert_eq!(parse_date("1970-01-01"), Some(0));
    assert_eq!(parse_date("2026-11-01"), Some(1_793_491_200_000));
    assert_eq!(parse_date("2026-11-01T00:00:00Z"), Some(1_793_491_200_000));
    assert_eq!(
        parse_date("2026-11-01T02:00:00+02:00"),
        Some(1_793_491_200_000)
    );
    assert_eq!(
        parse_date("2026-10-31T19:00:00-05:00"),
        Some(1_793_491_200_000)
    );
    assert_eq!(
        parse_date("2026-11-01T00:00:00.250Z"),
        Some(1_793_491_200_250)
    );
    assert_eq!(parse_date("2024-02-29"), Some(1_709_164_800_000));
    assert_eq!(parse_date("1969-12-31T23:59:59Z"), Some(-1000));
    for bad in [
        "2023-02-29",
        "2026-13-01",
        "2026-11-31",
        "2026-11-01T24:00:00Z",
        "2026-11-01T10:00:00",
        "01/11/2026",
        "2026-1-1",
        "",
    ] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
    assert_eq!(format_date(1_793_491_200_000), "2026-11-01T00:00:00Z");
    assert_eq!(format_date(1_793_491_200_250), "2026-11-01T00:00:00.250Z");
    assert_eq!(format_date(-1000), "1969-12-31T23:59:59Z");
    // Every day of several years round-trips.
    for day in -800..800i64 {
        let ms = day * 86_400_000 * 7 + 3_723_000;
        assert_eq!(parse_date(&format_date(ms)), Some(ms));
    }
}

#[test]
fn events_sorted_by_time_ties_in_input_order_across_files() {
    let l = ok(
        src("c.csv", "id\na\nb\n"),
        &[
            src("e1.csv", "contact_id,type,at,n\nb,x,2026-01-02,1\na,x,2026-01-03,2\na,x,2026-01-01,3\n"),
            src("e2.ndjson", "{\"contact_id\":\"a\",\"type\":\"x\",\"at\":\"2026-01-03\",\"n\":4}\n{\"contact_id\":\"a\",\"type\":\"x\",\"at\":\"2026-01-01T00:00:00+00:00\",\"n\":5}\n"),
        ],
        None,
    );
    assert_eq!(
        dump(&l.dataset),
        "id=\"a\"\n  x 2026-01-01T00:00:00Z n=3\n  x 2026-01-01T00:00:00Z n=5\n  x 2026-01-03T00:00:00Z n=2\n  x 2026-01-03T00:00:00Z n=4\nid=\"b\"\n  x 2026-01-02T00:00:00Z n=1\n"
    );
}

#[test]
fn custom_id_column() {
    let schema = Schema {
        account: Vec::new(),
        contact: vec![
            field("id", FieldType::Text, false),
            field("email", FieldType::Text, false),
        ],
        events: vec![],
    };
    let l = load_sources(
        &src("c.csv", "email,customer_no\nana@x.io,C-1\n"),
        &[],
        &LoadOptions {
            schema: Some(&schema),
            id_column: "customer_no".into(),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(dump(&l.dataset), "id=\"C-1\" email=\"ana@x.io\"\n");
    let e = load_sources(
        &src("c.csv", "email,id\nana@x.io,C-1\n"),
        &[],
        &LoadOptions {
            id_column: "customer_no".into(),
            ..LoadOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        lines(&e),
        ["c.csv:1: the header has no `customer_no` column"]
    );
}

#[test]
fn unknown_columns_are_ignored_with_a_warning() {
    let schema = b2b();
    let l = ok(
        src(
            "c.csv",
            "id,email,industry,role,country,tags,created_at,shoe_size\nc1,a@b.c,SaaS,CMO,FR,,2025-01-01,42\n",
        ),
        &[src("e.csv", "contact_id,type,at,url,colour\nc1,page_view,2025-01-01,/,red\nc1,email_open,2025-01-01,/x,\n")],
        Some(&schema),
    );
    let w: Vec<String> = l
        .warnings
        .iter()
        .map(|p| format!("{}: {}", p.location(), p.message))
        .collect();
    assert_eq!(
        w,
        [
            "c.csv:1:8: column `shoe_size` is not in the schema and is ignored",
            "e.csv:1:5: column `colour` is not a field of any event in the schema and is ignored",
            "e.csv:3, column 4 (`url`): column `url` is not a field of event `email_open`; its values are ignored",
        ]
    );
    assert_eq!(l.dataset.contacts.len(), 1);
    assert_eq!(l.dataset.events.len(), 2);
}

// ---------------------------------------------------------------- bad data, with positions

const HEADER: &str = "id,email,industry,role,employees,country,tags,created_at\n";

fn contacts_csv(rows: &str) -> Source {
    src("contacts.csv", &format!("{HEADER}{rows}"))
}

#[test]
fn wrong_type_in_csv() {
    let e = err(
        contacts_csv("c1,a@b.c,SaaS,CMO,lots,FR,,2025-01-01\n"),
        &[],
        Some(&b2b()),
    );
    assert_eq!(
        lines(&e),
        ["contacts.csv:2, column 5 (`employees`): `lots` is not a number"]
    );
    assert!(e.problems[0]
        .help
        .as_deref()
        .unwrap()
        .contains("dot for decimals"));
}

#[test]
fn unparseable_date() {
    let e = err(
        contacts_csv("c1,a@b.c,SaaS,CMO,,FR,,01/02/2025\n"),
        &[],
        Some(&b2b()),
    );
    assert_eq!(
        lines(&e),
        ["contacts.csv:2, column 8 (`created_at`): `01/02/2025` is not a date"]
    );
    let e = err(
        src("c.ndjson", "{\"id\": \"c1\"}\n"),
        &[src(
            "e.ndjson",
            "{\"contact_id\": \"c1\", \"type\": \"x\",   \"at\": \"yesterday\"}\n",
        )],
        None,
    );
    assert_eq!(
        lines(&e),
        ["e.ndjson:1:37: field `at`: `yesterday` is not a date"]
    );
}

#[test]
fn duplicate_contact_id() {
    let e = err(
        contacts_csv("c1,a@b.c,SaaS,CMO,,FR,,2025-01-01\nc2,a@b.c,SaaS,CMO,,FR,,2025-01-01\nc1,x@b.c,SaaS,CMO,,FR,,2025-01-01\n"),
        &[],
        Some(&b2b()),
    );
    assert_eq!(
        lines(&e),
        ["contacts.csv:4, column 1 (`id`): duplicate contact id `c1`"]
    );
    assert_eq!(
        e.problems[0].help.as_deref(),
        Some("the id is first used at line 2; each contact needs its own id")
    );
    let e = err(
        src(
            "c.json",
            "[\n  {\"id\": \"a\"},\n  {\"n\": 1, \"id\": \"a\"}\n]",
        ),
        &[],
        None,
    );
    assert_eq!(lines(&e), ["c.json:3:12: duplicate contact id `a`"]);
}

#[test]
fn event_for_unknown_contact() {
    let e = err(
        src("c.csv", "id\nc1\n"),
        &[src(
            "e.csv",
            "contact_id,type,at\nc1,x,2026-01-01\nc9,x,2026-01-01\n",
        )],
        None,
    );
    assert_eq!(
        lines(&e),
        ["e.csv:3, column 1 (`contact_id`): event for unknown contact `c9`"]
    );
}

#[test]
fn event_without_type_or_at() {
    let e = err(
        src("c.csv", "id\nc1\n"),
        &[
            src("e.csv", "contact_id,type,at\nc1,,2026-01-01\nc1,x,\n"),
            src("e.ndjson", "{\"contact_id\": \"c1\", \"at\": \"2026-01-01\"}\n{\"contact_id\": \"c1\", \"type\": \"x\"}\n"),
        ],
        None,
    );
    assert_eq!(
        lines(&e),
        [
            "e.csv:2, column 2 (`type`): event without a `type`",
            "e.csv:3, column 3 (`at`): event without an `at` time stamp",
            "e.ndjson:1:1: event without a `type`",
            "e.ndjson:2:1: event without an `at` time stamp",
        ]
    );
}

#[test]
fn ragged_csv_rows() {
    let e = err(
        contacts_csv("c1,a@b.c,SaaS,CMO,,FR,,2025-01-01\nc2,a@b.c,SaaS,CMO,FR,,2025-01-01\nc3,a@b.c,SaaS,CMO,,FR,,2025-01-01,extra\n"),
        &[],
        Some(&b2b()),
    );
    assert_eq!(
        lines(&e),
        [
            "contacts.csv:3, column 8 (`created_at`): this row has 7 fields, the header has 8",
            "contacts.csv:4, column 9: this row has 9 fields, the header has 8",
        ]
    );
}

#[test]
fn required_field_missing() {
    let e = err(
        contacts_csv("c1,,SaaS,CMO,,FR,,2025-01-01\n,a@b.c,SaaS,CMO,,FR,,2025-01-01\n"),
        &[],
        Some(&b2b()),
    );
    assert_eq!(
        lines(&e),
        [
            "contacts.csv:2, column 2 (`email`): field `email` is missing",
            "contacts.csv:3, column 1 (`id`): contact without an id (`id` is empty)",
        ]
    );
    assert_eq!(
        e.problems[0].help.as_deref(),
        Some("the schema requires it; declare it `email: text?` to allow missing values")
    );
    // In JSON the record's start is shown when the key is absent, the key when it is null.
    let schema = Schema {
        account: Vec::new(),
        contact: vec![
            field("id", FieldType::Text, false),
            field("email", FieldType::Text, false),
        ],
        events: vec![event(
            "order",
            vec![field("amount", FieldType::Number, false)],
        )],
    };
    let e = err(
        src("c.json", "[{\"id\": \"a\"},\n {\"id\": \"b\",\n  \"email\": null,\n  \"events\": [{\"type\": \"order\", \"at\": \"2026-01-01\"}]}]"),
        &[],
        Some(&schema),
    );
    assert_eq!(
        lines(&e),
        [
            "c.json:1:2: field `email` is missing",
            "c.json:3:3: field `email` is missing",
            "c.json:4:14: field `amount` of event `order` is missing",
        ]
    );
    // A required column that is not in the header at all: one problem for the file.
    let e = err(src("c.csv", "id,industry\na,x\n"), &[], Some(&schema));
    assert_eq!(lines(&e), ["c.csv:1: the header has no `email` column"]);
}

#[test]
fn json_syntax_errors() {
    // NDJSON: each line on its own; every bad line is reported.
    let e = err(
        src(
            "c.ndjson",
            "{\"id\": \"a\"}\n{\"id\": \"b\",}\n{\"id\": \"c\"\n",
        ),
        &[],
        None,
    );
    assert_eq!(
        lines(&e),
        [
            "c.ndjson:2:12: invalid JSON: trailing comma",
            "c.ndjson:3:10: invalid JSON: the text ends before the closing `}`",
        ]
    );
    // A JSON array whose structure holds: the bad element only.
    let e = err(
        src(
            "c.json",
            "[\n {\"id\": \"a\"},\n {\"id\" \"b\"},\n {\"id\": tru}\n]",
        ),
        &[],
        None,
    );
    assert_eq!(
        lines(&e),
        [
            "c.json:3:8: invalid JSON: expected `:`",
            "c.json:4:12: invalid JSON: unknown word (texts need double quotes)",
        ]
    );
    // A broken structure: the whole file.
    let e = err(
        src("c.json", "[\n {\"id\": \"a\"},\n {\"id\": \"b\"\n"),
        &[],
        None,
    );
    assert_eq!(
        lines(&e),
        ["c.json:4:1: invalid JSON: the text ends before the closing `}`"]
    );
    let e = err(src("c.json", "  {\"id\": 1}"), &[], None);
    assert_eq!(
        lines(&e),
        ["c.json:1:3: expected a list of records `[{…}, {…}]`"]
    );
    let e = err(src("c.json", "[1, {\"id\": \"x\"}]"), &[], None);
    assert_eq!(
        lines(&e),
        ["c.json:1:2: expected an object with the contact's fields, found a number"]
    );
}

#[test]
fn yaml_errors() {
    let e = err(
        src("c.yaml", "- id: a\n  tags: [x, y\n- id: b\n"),
        &[],
        None,
    );
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].line, Some(3));
    assert!(
        e.problems[0].message.starts_with("invalid YAML: "),
        "{}",
        e.problems[0].message
    );
    let e = err(src("c.yaml", "id: a\n"), &[], None);
    assert_eq!(
        lines(&e),
        ["c.yaml:1:1: expected a list of records, found an object"]
    );
    let schema = b2b();
    let e = err(
        src("c.yaml", "- id: a\n  email: a@b.c\n  industry: SaaS\n  role: CMO\n  country: FR\n  tags: []\n  created_at: 2025-01-01\n  employees: many\n"),
        &[],
        Some(&schema),
    );
    assert_eq!(
        lines(&e),
        ["c.yaml:8:3: field `employees`: `many` is not a number"]
    );
}

#[test]
fn unknown_event_type_suggests_the_nearest() {
    let e = err(
        src(
            "c.csv",
            &format!("{HEADER}c1,a@b.c,SaaS,CMO,,FR,,2025-01-01\n"),
        ),
        &[src(
            "e.csv",
            "contact_id,type,at,url\nc1,pageview,2026-01-01,/\nc1,click,2026-01-01,\n",
        )],
        Some(&b2b()),
    );
    assert_eq!(
        lines(&e),
        [
            "e.csv:2, column 2 (`type`): unknown event type `pageview`",
            "e.csv:3, column 2 (`type`): unknown event type `click`"
        ]
    );
    assert_eq!(
        e.problems[0].help.as_deref(),
        Some("did you mean `page_view`?")
    );
    assert!(e.problems[1]
        .help
        .as_deref()
        .unwrap()
        .starts_with("the schema declares `page_view`"));
}

#[test]
fn whole_file_problems() {
    let e = err(
        src("c.csv", "name\nx\n"),
        &[src("e.csv", "contact,type\n")],
        None,
    );
    assert_eq!(
        lines(&e),
        [
            "c.csv:1: the header has no `id` column",
            "e.csv:1: the header has no `contact_id` column",
            "e.csv:1: the header has no `at` column",
        ]
    );
    let e = err(src("c.csv", "id,id\n"), &[], None);
    assert_eq!(
        lines(&e),
        ["c.csv:1:2: column `id` appears twice in the header"]
    );
    let e = load(&LoadRequest::new(fixture("nope.csv"))).unwrap_err();
    assert!(
        lines(&e)[0].ends_with("nope.csv: cannot read the file: it does not exist"),
        "{:?}",
        lines(&e)
    );
    let e = load(&LoadRequest::new(fixture("contacts.txt"))).unwrap_err();
    assert!(
        lines(&e)[0].ends_with("contacts.txt: cannot tell the data format of this file (`.txt`)")
    );
}

#[test]
fn every_problem_is_collected_and_the_list_is_capped() {
    let mut rows = String::new();
    for i in 0..150 {
        rows += &format!("c{i},a@b.c,SaaS,CMO,x{i},FR,,2025-01-01\n");
    }
    let e = err(contacts_csv(&rows), &[], Some(&b2b()));
    assert_eq!(e.count(), 150);
    assert_eq!(e.problems.len(), LoadError::MAX_SHOWN);
    assert_eq!(e.more, 50);
    assert_eq!(
        lines(&e)[99],
        "contacts.csv:101, column 5 (`employees`): `x99` is not a number"
    );
    let text = e.to_string();
    assert!(text.ends_with("… and 50 more problems"), "{text}");
    assert!(
        text.starts_with("contacts.csv:2, column 5 (`employees`): `x0` is not a number\n  help: ")
    );
}

#[test]
fn several_problems_in_one_row_are_all_reported() {
    let e = err(
        contacts_csv("c1,a@b.c,SaaS,CMO,lots,FR,,someday\n"),
        &[],
        Some(&b2b()),
    );
    assert_eq!(
        lines(&e),
        [
            "contacts.csv:2, column 5 (`employees`): `lots` is not a number",
            "contacts.csv:2, column 8 (`created_at`): `someday` is not a date",
        ]
    );
}

#[test]
fn invalid_utf8_is_reported() {
    let mut bytes = b"id,name\na,caf".to_vec();
    bytes.extend_from_slice(&[0xE9, b'\n']);
    let c = Source {
        name: "c.csv".into(),
        format: Format::Csv,
        bytes,
    };
    let e = load_sources(&c, &[], &LoadOptions::default()).unwrap_err();
    assert_eq!(
        lines(&e),
        ["c.csv:2, column 2 (`name`): field `name` is not valid UTF-8 text"]
    );
}

// ---------------------------------------------------------------- dialects and encodings

/// Semicolons, decimal commas, a space between thousands, Windows-1252.
fn european() -> Dialect {
    Dialect {
        decimal: Decimal::Comma,
        thousands: Some(Thousands::Space),
        encoding: Encoding::parse("windows-1252").unwrap(),
        ..Dialect::default()
    }
}

fn load_with(
    contacts: &str,
    events: &[&str],
    schema: Option<&Schema>,
    dialect: Dialect,
) -> Result<Loaded, LoadError> {
    let mut request = LoadRequest::new(fixture(contacts));
    request.events = events.iter().map(|e| fixture(e)).collect();
    request.options = LoadOptions {
        schema,
        dialect,
        ..LoadOptions::default()
    };
    load(&request)
}

/// Text as Windows-1252 bytes (the characters used here are all in Latin-1).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
        .collect()
}

fn src_bytes(name: &str, bytes: Vec<u8>) -> Source {
    Source {
        name: name.into(),
        format: Format::from_path(Path::new(name)).expect("a data file name"),
        bytes,
    }
}

#[test]
fn a_european_export_is_read_as_it_is() {
    // The fixtures' data, as a French Excel saves it: `;` between cells (detected), `|`
    // between list items, quoted cells holding `;`, decimal commas, `5 000`, Windows-1252 and
    // CRLF line endings.
    let schema = b2b();
    let expected = EXPECTED_B2B
        .replace("\"Retail\"", "\"Télécoms\"")
        .replace("Head of Growth, EMEA", "Head of Growth; EMEA")
        .replace("\"whitepaper\"", "\"livre blanc é\"");
    let files = ("contacts-european.csv", &["events-european.csv"][..]);
    let detected = load_with(files.0, files.1, Some(&schema), european()).unwrap();
    assert_eq!(dump(&detected.dataset), expected);
    assert!(detected.warnings.is_empty(), "{:?}", detected.warnings);
    // The same with the delimiter given.
    let given = Dialect {
        delimiter: Some(Delimiter::Semicolon),
        ..european()
    };
    let l = load_with(files.0, files.1, Some(&schema), given).unwrap();
    assert_eq!(dump(&l.dataset), expected);
    // Inferred types are those of the comma-separated fixtures.
    let inferred = load_with(files.0, files.1, None, european()).unwrap();
    let plain = load_files("contacts.csv", &["events.csv"], None);
    assert_eq!(
        schema_text(&inferred.dataset.schema),
        schema_text(&plain.dataset.schema)
    );
    assert!(dump(&inferred.dataset).contains("employees=5000 "));
    assert!(dump(&inferred.dataset).contains("tags=\"vip|newsletter\""));
}

#[test]
fn a_wrong_or_misdetected_delimiter_is_named() {
    let schema = b2b();
    // Told `,` for a `;` file: the header is one column.
    let comma = Dialect {
        delimiter: Some(Delimiter::Comma),
        ..european()
    };
    let e = load_with(
        "contacts-european.csv",
        &["events-european.csv"],
        Some(&schema),
        comma,
    )
    .unwrap_err();
    let shown: Vec<String> = e.problems.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown[0].ends_with(
        "contacts-european.csv:1: the header is read as one single column `id;email;industry;role;employees;country…`, which holds `;`\n  \
         help: the cells seem to be separated by `;`, not `,`: set `delimiter: \";\"` (or `--delimiter ';'`)"
    ), "{}", shown[0]);
    assert!(shown[1].contains("events-european.csv:1: the header is read as one single column `contact_id;type;at;url;form;amount`"), "{}", shown[1]);
    // Told `;` for a comma file.
    let e = err_with(
        src("c.csv", "id,name\nc1,x\n"),
        Dialect {
            delimiter: Some(Delimiter::Semicolon),
            ..Dialect::default()
        },
    );
    assert_eq!(
        e.problems[0].to_string(),
        "c.csv:1: the header is read as one single column `id,name`, which holds `,`\n  \
         help: the cells seem to be separated by `,`, not `;`: set `delimiter: \",\"` (or `--delimiter ','`)"
    );
    // A whole header in quotes cannot be detected.
    let e = err_with(src("c.csv", "\"id\tname\"\nc1\tx\n"), Dialect::default());
    assert_eq!(
        e.problems[0].to_string(),
        "c.csv:1: the header is read as one single column `id\\tname`, which holds `\\t`\n  \
         help: the cells seem to be separated by tabs, not `,`: set `delimiter: tab` (or `--delimiter tab`)"
    );
    // A one-column file that holds no other delimiter is only missing its column.
    let e = err_with(src("c.csv", "name\nx\n"), Dialect::default());
    assert_eq!(lines(&e), ["c.csv:1: the header has no `id` column"]);
}

fn err_with(contacts: Source, dialect: Dialect) -> LoadError {
    let options = LoadOptions {
        dialect,
        ..LoadOptions::default()
    };
    match load_sources(&contacts, &[], &options) {
        Ok(_) => panic!("expected the data to fail to load"),
        Err(e) => e,
    }
}

#[test]
fn tab_separated_files_are_detected() {
    let l = ok(
        src(
            "c.csv",
            "id\tname\tn\tl\nc1\tAna, Bob\t1.5\ta;b\nc2\t\"x\ty\"\t2\t\n",
        ),
        &[src(
            "e.csv",
            "contact_id\ttype\tat\tamount\nc1\torder\t2026-01-01\t3\n",
        )],
        None,
    );
    assert_eq!(
        dump(&l.dataset),
        "id=\"c1\" name=\"Ana, Bob\" n=1.5 l=\"a;b\"\n  order 2026-01-01T00:00:00Z amount=3\n\
         id=\"c2\" name=\"x\\ty\" n=2 l=-\n"
    );
}

#[test]
fn numbers_follow_the_decimal_and_thousands_settings() {
    let schema = Schema {
        account: Vec::new(),
        contact: vec![
            field("id", FieldType::Text, false),
            field("n", FieldType::Number, true),
            field("tags", FieldType::List, true),
        ],
        events: vec![event(
            "order",
            vec![field("amount", FieldType::Number, false)],
        )],
    };
    let dialect = Dialect {
        decimal: Decimal::Comma,
        thousands: Some(Thousands::Dot),
        ..Dialect::default()
    };
    let contacts = src(
        "c.csv",
        "id;n;tags\nc1;1.250,5;a|b\nc2;12.5;\nc3;\"1,5\";x\nc4;1.2345;\nc5;-0,5;a;\n",
    );
    let events = src(
        "e.csv",
        "contact_id;type;at;amount\nc1;order;2026-01-01;7,25\nc1;order;2026-01-02;7.25\n",
    );
    let options = LoadOptions {
        schema: Some(&schema),
        dialect,
        ..LoadOptions::default()
    };
    let e = load_sources(&contacts, std::slice::from_ref(&events), &options).unwrap_err();
    assert_eq!(
        lines(&e),
        [
            "c.csv:3, column 2 (`n`): `12.5` is not a number",
            "c.csv:5, column 2 (`n`): `1.2345` is not a number",
            "c.csv:6, column 4: this row has 4 fields, the header has 3",
            "e.csv:3, column 4 (`amount`): `7.25` is not a number",
        ]
    );
    assert_eq!(
        e.problems[0].help.as_deref(),
        Some("write numbers with a comma for decimals and a dot between thousands, like `1.250,5`, as the data's `decimal` and `thousands` settings say")
    );
    // The good rows, with the bad ones set aside.
    let options = LoadOptions {
        skip_bad_rows: true,
        ..options
    };
    let l = load_sources(&contacts, std::slice::from_ref(&events), &options).unwrap();
    assert_eq!(
        dump(&l.dataset),
        "id=\"c1\" n=1250.5 tags=[\"a\", \"b\"]\n  order 2026-01-01T00:00:00Z amount=7.25\n\
         id=\"c3\" n=1.5 tags=[\"x\"]\n"
    );
    // Numbers in JSON are not affected; nor are texts in quotes in JSON.
    let l = load_sources(
        &src(
            "c.ndjson",
            "{\"id\": \"c1\", \"n\": 12.5, \"tags\": \"a;b\"}\n{\"id\": \"c2\", \"n\": \"3.5\"}\n",
        ),
        &[],
        &options,
    )
    .unwrap();
    assert_eq!(
        dump(&l.dataset),
        "id=\"c1\" n=12.5 tags=[\"a\", \"b\"]\nid=\"c2\" n=3.5 tags=-\n"
    );
}

#[test]
fn numbers_with_a_decimal_comma_read_as_text_get_a_warning() {
    let contacts = src(
        "c.csv",
        "id;revenue;employees;zip;name\nc1;12 500,50;1200;75001;Ana\nc2;3,5;12;69002;Bob, Jr\nc3;;1.200,5;;\n",
    );
    let events = src(
        "e.csv",
        "contact_id;type;at;amount\nc1;order;2026-01-01;7,25\n",
    );
    let l = ok(contacts.clone(), std::slice::from_ref(&events), None);
    let warnings: Vec<String> = l
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.location(), w.message))
        .collect();
    assert_eq!(
        warnings,
        [
            "c.csv:1:2: column `revenue` is read as text, but its values look like numbers with a decimal comma",
            "c.csv:1:3: column `employees` is read as text, but its values look like numbers with a decimal comma",
            "e.csv:1:4: column `amount` is read as text, but its values look like numbers with a decimal comma",
        ]
    );
    assert_eq!(
        l.warnings[0].help.as_deref(),
        Some("to read them as numbers, set `decimal: \",\"` (and `thousands`, if they have one)")
    );
    // With the setting, they are numbers (a dot between thousands, here).
    let l = load_sources(
        &contacts,
        &[events],
        &LoadOptions {
            dialect: Dialect {
                decimal: Decimal::Comma,
                thousands: Some(Thousands::Dot),
                ..Dialect::default()
            },
            ..LoadOptions::default()
        },
    );
    // `12 500,50` has a space, not a dot: revenue is text, and nothing is hinted any more.
    let l = l.unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!(
        schema_text(&l.dataset.schema),
        "contact { id: text, revenue: text?, employees: number, zip: number?, name: text? }\nevent order { amount: number }\n"
    );
}

#[test]
fn dialect_settings_that_clash_are_refused() {
    let e = err_with(
        src("c.csv", "id;tags\nc1;a\n"),
        Dialect {
            list_separator: Some(';'),
            ..Dialect::default()
        },
    );
    assert_eq!(
        e.problems[0].to_string(),
        "c.csv:1:1: `;` cannot be both the delimiter and the list separator\n  help: set `list_separator` to another character, such as `|`"
    );
    // Lists split at the separator given.
    let l = load_sources(
        &src("c.csv", "id,tags\nc1,a/b\n"),
        &[],
        &LoadOptions {
            schema: Some(&Schema {
                account: Vec::new(),
                contact: vec![
                    field("id", FieldType::Text, false),
                    field("tags", FieldType::List, false),
                ],
                events: vec![],
            }),
            dialect: Dialect {
                list_separator: Some('/'),
                ..Dialect::default()
            },
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(dump(&l.dataset), "id=\"c1\" tags=[\"a\", \"b\"]\n");
}

#[test]
fn encodings_other_than_utf8() {
    let expected = "id=\"c1\" name=\"Société Générale\"\n";
    let text = "id,name\nc1,Société Générale\n";
    let latin1 = Dialect {
        encoding: Encoding::parse("latin-1").unwrap(),
        ..Dialect::default()
    };
    let l = load_sources(
        &src_bytes("c.csv", windows_1252(text)),
        &[],
        &LoadOptions {
            dialect: latin1.clone(),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(dump(&l.dataset), expected);
    assert!(l.warnings.is_empty());
    // UTF-16 with its byte-order mark is read whatever the setting (Excel's "Unicode text").
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let l = ok(src_bytes("c.csv", utf16), &[], None);
    assert_eq!(dump(&l.dataset), expected);
    // A UTF-8 file read as Windows-1252 gets a warning, and its accents are garbled.
    let l = load_sources(
        &src("c.csv", text),
        &[],
        &LoadOptions {
            dialect: latin1.clone(),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        dump(&l.dataset),
        "id=\"c1\" name=\"SociÃ©tÃ© GÃ©nÃ©rale\"\n"
    );
    assert_eq!(
        l.warnings[0].to_string(),
        "c.csv: the file is read as `windows-1252` text, but it looks like UTF-8: accented letters may come out wrong\n  help: if the file is UTF-8, remove the `encoding` setting"
    );
    // The encoding applies to every format.
    let l = load_sources(
        &src_bytes(
            "c.ndjson",
            windows_1252("{\"id\": \"c1\", \"name\": \"Société Générale\"}\n"),
        ),
        &[],
        &LoadOptions {
            dialect: latin1,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(dump(&l.dataset), expected);
}

#[test]
fn windows_1252_read_as_utf8_suggests_the_encoding() {
    let e = err(
        src_bytes("c.csv", windows_1252("id,name\nc1,ok\nc2,Société\n")),
        &[],
        None,
    );
    assert_eq!(
        e.problems[0].to_string(),
        "c.csv:3, column 2 (`name`): field `name` is not valid UTF-8 text\n  help: the file is not UTF-8: if Excel or a CRM saved it, set `encoding: windows-1252` (or pass `--encoding windows-1252`), or save it as UTF-8"
    );
    let e = err(
        src_bytes("c.csv", windows_1252("id;Société\nc1;x\n")),
        &[],
        None,
    );
    assert_eq!(
        lines(&e),
        ["c.csv:1:2: column 2 of the header is not valid UTF-8 text (`Soci\u{fffd}t\u{fffd}`)"]
    );
    let e = err(
        src_bytes(
            "c.ndjson",
            windows_1252("{\"id\": \"c1\"}\n{\"id\": \"Société\"}\n"),
        ),
        &[],
        None,
    );
    assert_eq!(
        e.problems[0].to_string(),
        "c.ndjson:2:13: invalid JSON: the text is not valid UTF-8\n  help: the file is not UTF-8: if Excel or a CRM saved it, set `encoding: windows-1252` (or pass `--encoding windows-1252`), or save it as UTF-8"
    );
}

// ---------------------------------------------------------------- skip bad rows

#[test]
fn skip_bad_rows_sets_them_aside() {
    let schema = b2b();
    let contacts = contacts_csv(
        "c1,a@b.c,SaaS,CMO,,FR,,2025-01-01\n\
         c2,a@b.c,SaaS,CMO,lots,FR,,2025-01-01\n\
         c3,a@b.c,SaaS,CMO,,FR\n\
         c1,dup@b.c,SaaS,CMO,,FR,,2025-01-01\n",
    );
    let events = src(
        "events.csv",
        "contact_id,type,at,url\n\
         c1,page_view,2026-01-01,/pricing\n\
         c2,page_view,2026-01-01,/pricing\n\
         c9,page_view,2026-01-01,/\n\
         c1,pageview,2026-01-01,/\n\
         c1,email_open,2026-01-02,\n",
    );
    let opts = LoadOptions {
        schema: Some(&schema),
        skip_bad_rows: true,
        ..LoadOptions::default()
    };
    let l = load_sources(&contacts, &[events], &opts).unwrap();
    assert_eq!(l.dataset.contacts.len(), 1);
    assert_eq!(l.dataset.events.len(), 2);
    let counts: Vec<(&str, usize, usize)> = l
        .files
        .iter()
        .map(|f| (f.file.as_str(), f.rows, f.skipped))
        .collect();
    assert_eq!(counts, [("contacts.csv", 4, 3), ("events.csv", 5, 3)]);
    let skipped: Vec<String> = l
        .skipped
        .iter()
        .map(|s| format!("{}:{}: {} | {}", s.file, s.line, s.reason, s.raw))
        .collect();
    assert_eq!(
        skipped,
        [
            "contacts.csv:3: field `employees`: `lots` is not a number | c2,a@b.c,SaaS,CMO,lots,FR,,2025-01-01",
            "contacts.csv:4: this row has 6 fields, the header has 8 | c3,a@b.c,SaaS,CMO,,FR",
            "contacts.csv:5: duplicate contact id `c1` | c1,dup@b.c,SaaS,CMO,,FR,,2025-01-01",
            "events.csv:3: its contact `c2` was set aside: field `employees`: `lots` is not a number | c2,page_view,2026-01-01,/pricing",
            "events.csv:4: event for unknown contact `c9` | c9,page_view,2026-01-01,/",
            "events.csv:5: unknown event type `pageview` | c1,pageview,2026-01-01,/",
        ]
    );
    let mut out = Vec::new();
    write_skipped_to(&mut out, &l.skipped[..2]).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "file,line,reason,raw\n\
         contacts.csv,3,field `employees`: `lots` is not a number,\"c2,a@b.c,SaaS,CMO,lots,FR,,2025-01-01\"\n\
         contacts.csv,4,\"this row has 6 fields, the header has 8\",\"c3,a@b.c,SaaS,CMO,,FR\"\n"
    );
}

#[test]
fn skip_bad_rows_with_inline_events() {
    let schema = b2b();
    let text = r#"[
 {"id": "a", "email": "a@b.c", "industry": "x", "role": "y", "country": "FR", "tags": [], "created_at": "2025-01-01",
  "events": [{"type": "page_view", "at": "2026-01-01", "url": "/"}, {"type": "page_view", "at": "never", "url": "/"}]},
 {"id": "b", "email": "a@b.c", "industry": "x", "role": "y", "country": "FR", "tags": [], "created_at": "bad",
  "events": [{"type": "email_open", "at": "2026-01-01"}]}
]"#;
    let opts = LoadOptions {
        schema: Some(&schema),
        skip_bad_rows: true,
        ..LoadOptions::default()
    };
    let l = load_sources(&src("c.json", text), &[], &opts).unwrap();
    assert_eq!(l.dataset.contacts.len(), 1);
    assert_eq!(l.dataset.events.len(), 1);
    // Two contacts read, one set aside; the inline event set aside alone is not a record.
    assert_eq!((l.files[0].rows, l.files[0].skipped), (2, 1));
    let skipped: Vec<String> = l
        .skipped
        .iter()
        .map(|s| format!("{}:{}: {}", s.file, s.line, s.reason))
        .collect();
    assert_eq!(
        skipped,
        [
            "c.json:3: field `at`: `never` is not a date",
            "c.json:4: field `created_at`: `bad` is not a date (its 1 inline event are set aside with it)",
        ]
    );
    assert_eq!(
        l.skipped[0].raw,
        r#"{"type": "page_view", "at": "never", "url": "/"}"#
    );
    assert!(l.skipped[1].raw.starts_with("{\"id\": \"b\""));
}

#[test]
fn skip_bad_rows_keeps_whole_file_problems_fatal() {
    let opts = LoadOptions {
        skip_bad_rows: true,
        ..LoadOptions::default()
    };
    let e = load_sources(&src("c.csv", "name\nx\n"), &[], &opts).unwrap_err();
    assert_eq!(lines(&e), ["c.csv:1: the header has no `id` column"]);
}

// ---------------------------------------------------------------- determinism and chunks

/// A deterministic pseudo-random sequence (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn generated(contacts: usize, bad: bool) -> (String, String) {
    generated_in(contacts, bad, false)
}

/// Generated contacts and events; `european`: the same data as a European Excel saves it
/// (`;` between cells, `|` between list items, `1 234,5`), to be saved as Windows-1252.
fn generated_in(contacts: usize, bad: bool, european: bool) -> (String, String) {
    let mut rng = Rng(7);
    let sep = if european { ";" } else { "," };
    let number = |whole: u64, frac: &str| {
        if !european {
            return format!("{whole}{}", if frac.is_empty() { "" } else { "." }) + frac;
        }
        let digits = whole.to_string();
        let mut groups: Vec<&str> = digits
            .as_bytes()
            .rchunks(3)
            .map(|g| std::str::from_utf8(g).unwrap())
            .collect();
        groups.reverse();
        let grouped = groups.join(" ");
        format!("{grouped}{}", if frac.is_empty() { "" } else { "," }) + frac
    };
    let mut c = HEADER.replace(',', sep);
    let mut e = "contact_id,type,at,url,form,amount\n".replace(',', sep);
    for i in 0..contacts {
        let emp = if rng.below(4) == 0 {
            String::new()
        } else {
            let n = rng.below(5000);
            number(n, if n % 5 == 1 { "5" } else { "" })
        };
        let emp = if bad && i % 97 == 5 {
            "n/a".to_string()
        } else {
            emp
        };
        let industry = if i % 5 == 0 { "Télécoms" } else { "SaaS" };
        let tags = if european { "a|b" } else { "a;b" };
        c += &[
            format!("c{i}"),
            format!("u{i}@x.io"),
            industry.into(),
            "CMO".into(),
            emp,
            "FR".into(),
            tags.into(),
            format!("2025-0{}-1{}\n", 1 + rng.below(9), rng.below(10)),
        ]
        .join(sep);
        for _ in 0..rng.below(6) {
            let day = 1 + rng.below(28);
            let row = match rng.below(3) {
                0 => format!(
                    "c{i},page_view,2026-03-{day:02}T10:00:00Z,/p{},,\n",
                    rng.below(5)
                ),
                1 => format!("c{i},order,2026-02-{day:02},,,AMOUNT\n").replace(
                    "AMOUNT",
                    &number(rng.below(100_000), "25").replace(',', "DEC"),
                ),
                _ => format!(
                    "c{},email_open,2026-01-{day:02},,,\n",
                    if bad && i % 89 == 3 { 999_999 } else { i }
                ),
            };
            e += &row.replace(',', sep).replace("DEC", ",");
        }
    }
    (c, e)
}

#[test]
fn result_does_not_depend_on_threads_or_chunks() {
    let (c, e) = generated(600, false);
    let schema = b2b();
    fn run_in(
        c: &[u8],
        e: &[u8],
        schema: Option<&Schema>,
        dialect: Dialect,
        threads: usize,
        chunk_bytes: usize,
    ) -> (String, String, Vec<FileRows>) {
        let l = load_sources(
            &src_bytes("contacts.csv", c.to_vec()),
            &[src_bytes("events.csv", e.to_vec())],
            &LoadOptions {
                schema,
                dialect,
                threads,
                chunk_bytes,
                ..LoadOptions::default()
            },
        )
        .unwrap();
        (dump(&l.dataset), schema_text(&l.dataset.schema), l.files)
    }
    let run = |schema: Option<&Schema>, threads: usize, chunk_bytes: usize| {
        run_in(
            c.as_bytes(),
            e.as_bytes(),
            schema,
            Dialect::default(),
            threads,
            chunk_bytes,
        )
    };
    let reference = run(Some(&schema), 1, 1 << 30);
    let data_lines = |text: &str| text.lines().filter(|l| !l.is_empty()).count() - 1;
    let rows: Vec<usize> = reference.2.iter().map(|f| f.rows).collect();
    assert_eq!(rows, [data_lines(&c), data_lines(&e)]);
    assert!(reference.2.iter().all(|f| f.skipped == 0));
    assert_eq!(run(Some(&schema), 4, 700), reference);
    assert_eq!(run(Some(&schema), 2, 97), reference);
    let inferred = run(None, 1, 1 << 30);
    assert_eq!(run(None, 3, 500), inferred);
    assert_eq!(
        inferred.0,
        reference.0.replace("tags=[\"a\", \"b\"]", "tags=\"a;b\"")
    );

    // The same data as a European export (detected `;`, decimal commas, thousands, `|`
    // lists, Windows-1252), with its rows split at `;` directly or, with a quoted cell, by the
    // csv reader: the same data at any thread count and chunk size.
    let (ec, ee) = generated_in(600, false, true);
    let grouped = |t: &str| {
        t.split(['\n', ';'])
            .any(|cell| cell.len() >= 5 && cell.as_bytes()[1] == b' ' && cell.contains(','))
    };
    assert!(
        grouped(&ec) && grouped(&ee),
        "numbers like `1 234,5` are written"
    );
    let quoted = ec.replacen("c7;u7@x.io", "\"c7\";\"u7@x.io\"", 1);
    assert_ne!(quoted, ec);
    for contacts in [&ec, &quoted] {
        let (c, e) = (windows_1252(contacts), windows_1252(&ee));
        for (threads, chunk_bytes) in [(1, 1 << 30), (4, 700), (2, 97)] {
            assert_eq!(
                run_in(&c, &e, Some(&schema), european(), threads, chunk_bytes),
                reference
            );
            let (dump, schema, _) = run_in(&c, &e, None, european(), threads, chunk_bytes);
            assert_eq!(schema, inferred.1);
            assert_eq!(dump, inferred.0.replace("tags=\"a;b\"", "tags=\"a|b\""));
        }
    }
}

#[test]
fn quoted_and_plain_csv_read_the_same() {
    // Without any quote, rows are split at commas directly; one quote switches to the csv
    // reader for the whole file. Both must give the same data.
    let (c, e) = generated(300, false);
    let quoted = c.replacen("c7,u7@x.io", "\"c7\",\"u7@x.io\"", 1);
    assert_ne!(quoted, c);
    let schema = b2b();
    let run = |c: &str| {
        let l = load_sources(
            &src("contacts.csv", c),
            &[src("events.csv", &e)],
            &options(Some(&schema)),
        )
        .unwrap();
        let rows: Vec<usize> = l.files.iter().map(|f| f.rows).collect();
        (dump(&l.dataset), rows)
    };
    assert_eq!(run(&quoted), run(&c));
    // CRLF line endings and blank lines (not records), in both readers.
    let crlf = c.replace('\n', "\r\n").replacen("\r\n", "\r\n\r\n", 3);
    assert_eq!(run(&crlf), run(&c));
    assert_eq!(
        run(&crlf.replacen("c7,u7@x.io", "\"c7\",\"u7@x.io\"", 1)),
        run(&c)
    );
}

#[test]
fn problem_lines_do_not_depend_on_chunks() {
    let (c, e) = generated(400, true);
    let schema = b2b();
    let run = |threads: usize, chunk_bytes: usize| {
        let e = load_sources(
            &src("contacts.csv", &c),
            &[src("events.csv", &e)],
            &LoadOptions {
                schema: Some(&schema),
                threads,
                chunk_bytes,
                ..LoadOptions::default()
            },
        )
        .unwrap_err();
        (lines(&e), e.more)
    };
    let reference = run(1, 1 << 30);
    assert!(reference.0.len() > 4);
    assert_eq!(
        reference.0[0],
        "contacts.csv:7, column 5 (`employees`): `n/a` is not a number"
    );
    assert_eq!(run(3, 333), reference);
    // The same bad data as a European export: the same problems at the same places.
    let (ec, ee) = generated_in(400, true, true);
    for (threads, chunk_bytes) in [(1, 1 << 30), (3, 333)] {
        let e = load_sources(
            &src_bytes("contacts.csv", windows_1252(&ec)),
            &[src_bytes("events.csv", windows_1252(&ee))],
            &LoadOptions {
                schema: Some(&schema),
                dialect: european(),
                threads,
                chunk_bytes,
                ..LoadOptions::default()
            },
        )
        .unwrap_err();
        assert_eq!((lines(&e), e.more), reference);
    }
    // Rows in quotes can hold newlines: lines are still physical lines.
    let l = err(
        contacts_csv("c1,\"a\nb\",SaaS,CMO,,FR,,2025-01-01\nc2,a@b.c,SaaS,CMO,x,FR,,2025-01-01\n"),
        &[],
        Some(&schema),
    );
    assert_eq!(
        lines(&l),
        ["contacts.csv:4, column 5 (`employees`): `x` is not a number"]
    );
    // Blank lines and CRLF: the same lines from the csv reader (a quote) and without it.
    let rows = "c1,a@b.c,SaaS,CMO,,FR,,2025-01-01\r\n\r\n\r\nc2,a@b.c,SaaS,CMO,x,FR,,2025-01-01\r\n\nc3,a@b.c,SaaS,CMO,y,FR,,2025-01-01\r\n";
    let plain = err(contacts_csv(rows), &[], Some(&schema));
    let quoted = err(
        contacts_csv(&rows.replace("c3,a@b.c", "c3,\"a@b.c\"")),
        &[],
        Some(&schema),
    );
    assert_eq!(
        lines(&plain),
        [
            "contacts.csv:5, column 5 (`employees`): `x` is not a number",
            "contacts.csv:7, column 5 (`employees`): `y` is not a number"
        ]
    );
    assert_eq!(lines(&quoted), lines(&plain));
    // The same with Windows line endings: the csv crate alone would say line 3.
    let l = err(
        src(
            "contacts.csv",
            &format!("{HEADER}c1,\"a\r\nb\",SaaS,CMO,,FR,,2025-01-01\r\nc2,a@b.c,SaaS,CMO,x,FR,,2025-01-01\r\n")
                .replace("\r\n", "\n")
                .replace('\n', "\r\n"),
        ),
        &[],
        Some(&schema),
    );
    assert_eq!(
        lines(&l),
        ["contacts.csv:4, column 5 (`employees`): `x` is not a number"]
    );
}

// ---------------------------------------------------------------- junk never panics

#[test]
fn loaders_never_panic_on_junk() {
    let alphabet: &[u8] = b"{}[]\",:;\n\r -#'!&*|>ab01.eT:Z\\\t\xff\xc3";
    let schema = b2b();
    let mut rng = Rng(42);
    let seeds: Vec<Vec<u8>> = [
        "contacts.csv",
        "events.csv",
        "contacts.ndjson",
        "contacts.json",
        "contacts.yaml",
    ]
    .iter()
    .map(|f| std::fs::read(fixture(f)).unwrap())
    .collect();
    for round in 0..300 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let len = rng.below(200) as usize;
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect()
        } else {
            // A valid file with a few bytes changed, cut or repeated.
            let mut b = seeds[rng.below(seeds.len() as u64) as usize].clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len() as u64) as usize;
                match rng.below(3) {
                    0 => b[i] = alphabet[rng.below(alphabet.len() as u64) as usize],
                    1 => b.truncate(i),
                    _ => {
                        let tail = b[i..].to_vec();
                        b.extend_from_slice(&tail);
                    }
                }
                if b.is_empty() {
                    break;
                }
            }
            b
        };
        for format in [Format::Csv, Format::Ndjson, Format::Json, Format::Yaml] {
            let s = Source {
                name: "junk".into(),
                format,
                bytes: bytes.clone(),
            };
            for schema in [None, Some(&schema)] {
                for skip in [false, true] {
                    let opts = LoadOptions {
                        schema,
                        skip_bad_rows: skip,
                        threads: 1,
                        chunk_bytes: 64,
                        ..LoadOptions::default()
                    };
                    let _ = load_sources(&s, std::slice::from_ref(&s), &opts);
                }
            }
            // Decimal commas, thousands and another encoding.
            let opts = LoadOptions {
                schema: Some(&schema),
                dialect: european(),
                threads: 1,
                chunk_bytes: 64,
                ..LoadOptions::default()
            };
            let _ = load_sources(&s, std::slice::from_ref(&s), &opts);
        }
    }
}

// ---------------------------------------------------------------- writing

#[test]
fn number_formatting() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0"),
        (-0.0, "0"),
        (12.0, "12"),
        (12.5, "12.5"),
        (12.25, "12.25"),
        (-3.0, "-3"),
        (0.1 + 0.2, "0.3"),
        (-0.001, "0"),
        (-0.004, "0"),
        (1.005, "1"),
        (12.345, "12.35"),
        (99.999, "100"),
        (-12.5, "-12.5"),
        (0.05, "0.05"),
        (1e12, "1000000000000"),
        (123_456_789.12, "123456789.12"),
        (1e20, "100000000000000000000"),
        (-1e20, "-100000000000000000000"),
    ];
    for &(v, expected) in cases {
        assert_eq!(format_number(v), expected, "{v}");
    }
    assert_eq!(format_number(f64::NAN), "");
    assert_eq!(format_number(f64::INFINITY), "");
}

fn table() -> OutputTable {
    OutputTable {
        columns: vec![
            "id".into(),
            "total".into(),
            "tier".into(),
            "tier_action".into(),
            "seen".into(),
            "tags".into(),
        ],
        rows: vec![
            vec![
                Value::Text("c1".into()),
                Value::Number(72.5),
                Value::Text("hot".into()),
                Value::Text("Call, within 24h".into()),
                Value::Date(1_793_491_200_000),
                Value::List(vec!["a".into(), "b".into()].into()),
            ],
            vec![
                Value::Text("c\"2".into()),
                Value::Missing,
                Value::Missing,
                Value::Text("Mass\ncampaigns".into()),
            ],
        ],
    }
}

#[test]
fn table_as_csv() {
    let mut out = Vec::new();
    table().write_csv(&mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "id,total,tier,tier_action,seen,tags\n\
         c1,72.5,hot,\"Call, within 24h\",2026-11-01T00:00:00Z,a;b\n\
         \"c\"\"2\",,,\"Mass\ncampaigns\",,\n"
    );
}

/// A CSV output is a plain table whether or not the ruleset is given (it goes in the
/// manifest): the header first, no comment line, and a CSV reader gets the rows back.
#[test]
fn csv_output_is_plain_and_reads_back() {
    let meta = OutputMeta {
        ruleset: "b2b_leads".into(),
        version: "3f2a9c0d1e2b".into(),
    };
    let table = table();
    let mut stamped = Vec::new();
    table
        .write(&mut stamped, OutputFormat::Csv, Some(&meta))
        .unwrap();
    let mut plain = Vec::new();
    table.write(&mut plain, OutputFormat::Csv, None).unwrap();
    assert_eq!(stamped, plain);
    assert!(!stamped.starts_with(b"#"));

    let mut reader = csv::Reader::from_reader(&stamped[..]);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, table.columns);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec![
                "c1",
                "72.5",
                "hot",
                "Call, within 24h",
                "2026-11-01T00:00:00Z",
                "a;b"
            ],
            vec!["c\"2", "", "", "Mass\ncampaigns", "", ""],
        ]
    );
}

#[test]
fn table_as_json_and_ndjson() {
    let meta = OutputMeta {
        ruleset: "b2b_leads".into(),
        version: "3f2a".into(),
    };
    let mut out = Vec::new();
    table().write_json(&mut out, Some(&meta)).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "[\n\
         {\"id\":\"c1\",\"total\":72.5,\"tier\":\"hot\",\"tier_action\":\"Call, within 24h\",\"seen\":\"2026-11-01T00:00:00Z\",\"tags\":[\"a\",\"b\"],\"ruleset\":{\"name\":\"b2b_leads\",\"version\":\"3f2a\"}},\n\
         {\"id\":\"c\\\"2\",\"total\":null,\"tier\":null,\"tier_action\":\"Mass\\ncampaigns\",\"seen\":null,\"tags\":null,\"ruleset\":{\"name\":\"b2b_leads\",\"version\":\"3f2a\"}}\n\
         ]\n"
    );
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed[1]["id"], "c\"2");
    let mut out = Vec::new();
    table().write_ndjson(&mut out, None).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 2);
    for line in text.lines() {
        let _: serde_json::Value = serde_json::from_str(line).unwrap();
    }
    assert!(text.starts_with("{\"id\":\"c1\",\"total\":72.5,"));
    let mut out = Vec::new();
    OutputTable::default().write_json(&mut out, None).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
}

#[test]
fn atomic_write_replaces_or_leaves_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scores.csv");
    write_atomic(&path, |w| w.write_all(b"first\n")).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "first\n");
    write_atomic(&path, |w| w.write_all(b"second\n")).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "second\n");
    // A failure half-way: the old content stays, no temporary file is left behind.
    let e = write_atomic(&path, |w| {
        w.write_all(b"half of a fi")?;
        Err(std::io::Error::other("disk full"))
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "disk full");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "second\n");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["scores.csv"]);
    // A folder that does not exist: an error, nothing created.
    assert!(write_atomic(dir.path().join("missing/out.csv"), |w| w.write_all(b"x")).is_err());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_ne!(mode & 0o044, 0, "outputs are readable by others: {mode:o}");
    }
}

#[cfg(unix)]
#[test]
fn an_atomic_write_follows_a_link_and_writes_into_a_pipe_as_it_is() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    // A link: the file it points to gets the content, the link stays a link.
    let target = dir.path().join("scores-2026-12.csv");
    std::fs::write(&target, "old\n").unwrap();
    let link = dir.path().join("scores.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    write_atomic(&link, |w| w.write_all(b"new\n")).unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
    // A named pipe (as `/dev/stdout` is, in a shell pipeline): written to, not replaced by a
    // file of the same name.
    let fifo = dir.path().join("out.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    write_atomic(&fifo, |w| w.write_all(b"id,total\nc1,12\n")).unwrap();
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(reader.join().unwrap(), "id,total\nc1,12\n");
}

#[test]
fn skipped_rows_file_is_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    let rows = vec![scoreline_data::SkippedRow {
        file: "c.csv".into(),
        line: 3,
        record: None,
        reason: "duplicate contact id `c1`".into(),
        raw: "c1,x".into(),
    }];
    scoreline_data::write_skipped(&path, &rows).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "file,line,reason,raw\nc.csv,3,duplicate contact id `c1`,\"c1,x\"\n"
    );
}

/// `generated`, with quoted cells as CRM exports have them: commas, doubled quotes and line
/// breaks inside quotes, CRLF line endings in places; and, with `stray`, one quote in the
/// middle of a cell (`5" screen`), which the CSV reader takes as a plain character.
fn generated_quoted(contacts: usize, bad: bool, stray: bool) -> (String, String) {
    let (c, e) = generated(contacts, bad);
    let mut qc = String::new();
    for (i, line) in c.lines().enumerate() {
        let line = match i % 4 {
            1 => line.replacen(",CMO,", ",\"CMO, \"\"Chief\"\" Marketing\nOfficer\",", 1),
            2 => line.replacen(",SaaS,", ",\"SaaS\",", 1) + "\r",
            3 if bad => line.replacen(",SaaS,", ",\"\",", 1),
            3 => line.replacen(",SaaS,", ",\"Saa\"\"S\"\"\",", 1),
            _ => line.to_string(),
        };
        qc += &line;
        qc.push('\n');
    }
    if stray {
        qc = qc.replacen(",CMO,", ",CMO 5\" screen,", 1);
    }
    let mut qe = String::new();
    for (i, line) in e.lines().enumerate() {
        if i % 3 == 1 && line.contains(",page_view,") {
            let cells: Vec<&str> = line.splitn(5, ',').collect();
            qe += &format!(
                "{},{},{},\"{}?a=1,b=\"\"2\"\"\",{}\n",
                cells[0], cells[1], cells[2], cells[3], cells[4]
            );
        } else {
            qe += line;
            qe.push('\n');
        }
    }
    (qc, qe)
}

#[test]
fn quoted_files_are_read_in_chunks_with_the_same_result() {
    let schema = b2b();
    for stray in [false, true] {
        let (c, e) = generated_quoted(600, false, stray);
        assert!(c.contains("\"\"Chief\"\"") && e.contains("b=\"\"2\"\""));
        let run = |threads: usize, chunk_bytes: usize| {
            let l = load_sources(
                &src("contacts.csv", &c),
                &[src("events.csv", &e)],
                &LoadOptions {
                    schema: Some(&schema),
                    threads,
                    chunk_bytes,
                    ..LoadOptions::default()
                },
            )
            .unwrap();
            dump(&l.dataset)
        };
        let reference = run(1, 1 << 30);
        assert!(reference.contains("CMO, \\\"Chief\\\" Marketing\\nOfficer"));
        assert!(reference.contains("?a=1,b=\\\"2\\\""));
        for (threads, chunk) in [(2, 97), (4, 700), (3, 1), (2, 5000)] {
            assert_eq!(
                run(threads, chunk),
                reference,
                "{threads} threads, {chunk} bytes"
            );
        }
    }
}

#[test]
fn quoted_files_report_the_same_problems_in_chunks() {
    let schema = b2b();
    let (c, e) = generated_quoted(400, true, false);
    let run = |threads: usize, chunk_bytes: usize| {
        let e = load_sources(
            &src("contacts.csv", &c),
            &[src("events.csv", &e)],
            &LoadOptions {
                schema: Some(&schema),
                threads,
                chunk_bytes,
                ..LoadOptions::default()
            },
        )
        .unwrap_err();
        (lines(&e), e.more)
    };
    let reference = run(1, 1 << 30);
    assert!(reference.0.len() > 4, "{reference:?}");
    // Physical lines: row 3 (`c2`) starts on line 5, after a row spanning lines 2-3 and a
    // CRLF row on line 4.
    assert_eq!(
        reference.0[0],
        "contacts.csv:5, column 3 (`industry`): field `industry` is missing"
    );
    for (threads, chunk) in [(3, 333), (2, 50), (4, 1)] {
        assert_eq!(
            run(threads, chunk),
            reference,
            "{threads} threads, {chunk} bytes"
        );
    }
}

// ---------------------------------------------------------------- records given as values

/// Records given as text cells, one per CSV cell (the test files hold no quotes): the same
/// cells as the CSV reader sees, handed over as values.
fn text_records(name: &str, csv: &str) -> RecordSet {
    let mut lines = csv.lines().filter(|l| !l.is_empty());
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let records = lines
        .map(|line| Record {
            fields: header
                .iter()
                .zip(line.split(','))
                .map(|(h, cell)| (h.to_string().into(), Datum::Text(cell.to_string())))
                .collect(),
        })
        .collect();
    RecordSet {
        name: name.into(),
        records,
    }
}

fn day(text: &str) -> Datum {
    Datum::Date(parse_date(text).unwrap())
}

/// The contacts of the B2B fixture as typed values (numbers, dates, lists), as a database
/// or Arrow reader would give them.
fn b2b_contacts(events: Option<Vec<Vec<Record>>>) -> RecordSet {
    let contact = |id: &str, email: &str, industry: &str, role: &str| {
        Record::new()
            .with("id", id)
            .with("email", email)
            .with("industry", industry)
            .with("role", role)
    };
    let mut records = vec![
        contact("c1", "ana@acme.io", "SaaS", "CMO")
            .with("employees", 250i64)
            .with("country", "FR")
            .with("tags", vec!["vip", "newsletter"])
            .with("created_at", day("2025-01-15")),
        contact("c2", "bob@gmail.com", "Retail", "Intern")
            .with("employees", Datum::Null)
            .with("country", "US")
            .with("tags", Vec::<Datum>::new())
            .with("created_at", "2025-06-01T09:30:00+02:00"),
        contact("c3", "carla@big.co", "Fintech", "Head of Growth, EMEA")
            .with("employees", 5000.0)
            .with("country", "DE")
            .with("tags", vec!["webinar"])
            .with("created_at", day("2024-12-31T23:59:59Z")),
    ];
    if let Some(events) = events {
        for (r, evs) in records.iter_mut().zip(events) {
            r.fields.push((
                "events".into(),
                Datum::List(evs.into_iter().map(Datum::Record).collect()),
            ));
        }
    }
    RecordSet {
        name: "contacts".into(),
        records,
    }
}

/// The events of the B2B fixture, per contact, in the events file's order.
fn b2b_events() -> Vec<Vec<Record>> {
    let ev = |ty: &str, at: Datum| Record::new().with("type", ty).with("at", at);
    vec![
        vec![
            ev("page_view", day("2026-10-01T10:00:00Z")).with("url", "/pricing"),
            ev("email_open", "2026-09-01".into()),
            ev("page_view", day("2026-10-01T10:00:00Z")).with("url", "/blog/scoring"),
            ev("demo_request", day("2026-09-15")),
        ],
        vec![ev("form_submit", "2026-10-02T08:00:00Z".into()).with("form", "whitepaper")],
        vec![ev("order", day("2026-10-03T12:00:00+01:00")).with("amount", 1250.5)],
    ]
}

fn b2b_event_records() -> RecordSet {
    let records = b2b_events()
        .into_iter()
        .zip(["c1", "c2", "c3"])
        .flat_map(|(evs, id)| {
            evs.into_iter()
                .map(move |e| Record::new().with("contact_id", id).with_all(e))
        })
        .collect();
    RecordSet {
        name: "events".into(),
        records,
    }
}

trait WithAll {
    fn with_all(self, other: Record) -> Record;
}

impl WithAll for Record {
    fn with_all(mut self, other: Record) -> Record {
        self.fields.extend(other.fields);
        self
    }
}

fn ok_records(contacts: &RecordSet, events: &[RecordSet], schema: Option<&Schema>) -> Loaded {
    match load_records(contacts, events, &options(schema)) {
        Ok(l) => l,
        Err(e) => panic!("expected the records to load, got:\n{e}"),
    }
}

fn err_records(contacts: &RecordSet, events: &[RecordSet], schema: Option<&Schema>) -> LoadError {
    match load_records(contacts, events, &options(schema)) {
        Ok(_) => panic!("expected the records to be refused"),
        Err(e) => e,
    }
}

#[test]
fn records_given_as_values_load_like_the_files() {
    let schema = b2b();
    // Typed values, events in their own records or inline: the data of the files.
    let apart = ok_records(&b2b_contacts(None), &[b2b_event_records()], Some(&schema));
    assert_eq!(dump(&apart.dataset), EXPECTED_B2B);
    let inline = ok_records(&b2b_contacts(Some(b2b_events())), &[], Some(&schema));
    assert_eq!(dump(&inline.dataset), EXPECTED_B2B);
    for l in [&apart, &inline] {
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert!(l.skipped.is_empty());
        assert_eq!(l.dataset.events.contact_start, vec![0, 4, 5, 6]);
    }
    let counts: Vec<(&str, usize, usize)> = apart
        .files
        .iter()
        .map(|f| (f.file.as_str(), f.rows, f.skipped))
        .collect();
    assert_eq!(counts, [("contacts", 3, 0), ("events", 6, 0)]);

    // A file and records in one load: CSV contacts, events given as values.
    let contacts = std::fs::read(fixture("contacts.csv")).unwrap();
    let contacts = src_bytes("contacts.csv", contacts);
    let events = b2b_event_records();
    let mixed = load_inputs(
        Input::File(&contacts),
        &[Input::Records(&events)],
        &options(Some(&schema)),
    )
    .unwrap();
    assert_eq!(dump(&mixed.dataset), EXPECTED_B2B);

    // The CSV files' cells given as text: the same data, and the same inferred types.
    let csv_c = std::fs::read_to_string(fixture("contacts.csv")).unwrap();
    let csv_e = std::fs::read_to_string(fixture("events.csv")).unwrap();
    // (`"carla@big.co"` and the quoted role are the only quotes: unquote them, and keep the
    // role's comma out of the split.)
    let plain_c = csv_c
        .replace("\"carla@big.co\"", "carla@big.co")
        .replace("\"Head of Growth, EMEA\"", "HEAD");
    let mut given_c = text_records("contacts", &plain_c);
    for r in &mut given_c.records {
        for (_, v) in &mut r.fields {
            if *v == Datum::Text("HEAD".into()) {
                *v = Datum::Text("Head of Growth, EMEA".into());
            }
        }
    }
    let given_e = text_records("events", &csv_e);
    let files = load_files("contacts.csv", &["events.csv"], None);
    let given = ok_records(&given_c, std::slice::from_ref(&given_e), None);
    assert_eq!(dump(&given.dataset), dump(&files.dataset));
    assert_eq!(
        schema_text(&given.dataset.schema),
        schema_text(&files.dataset.schema)
    );
    let with_schema = ok_records(&given_c, &[given_e], Some(&schema));
    assert_eq!(dump(&with_schema.dataset), EXPECTED_B2B);
}

#[test]
fn generated_records_load_like_the_csv_at_any_thread_count() {
    let (c, e) = generated(600, false);
    let schema = b2b();
    let reference = ok(
        src("contacts.csv", &c),
        &[src("events.csv", &e)],
        Some(&schema),
    );
    let (given_c, given_e) = (text_records("contacts", &c), text_records("events", &e));
    for (threads, chunk_bytes) in [(1, 1 << 30), (4, 700), (2, 97), (3, 1)] {
        let l = load_records(
            &given_c,
            std::slice::from_ref(&given_e),
            &LoadOptions {
                schema: Some(&schema),
                threads,
                chunk_bytes,
                ..LoadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(dump(&l.dataset), dump(&reference.dataset));
        let rows: Vec<usize> = l.files.iter().map(|f| f.rows).collect();
        let expected: Vec<usize> = reference.files.iter().map(|f| f.rows).collect();
        assert_eq!(rows, expected);
    }
    // With bad values, the same problems, in record order, whatever the chunks.
    let (c, e) = generated(300, true);
    let (given_c, given_e) = (text_records("contacts", &c), text_records("events", &e));
    let run = |threads: usize, chunk_bytes: usize| {
        let e = load_records(
            &given_c,
            std::slice::from_ref(&given_e),
            &LoadOptions {
                schema: Some(&schema),
                threads,
                chunk_bytes,
                ..LoadOptions::default()
            },
        )
        .unwrap_err();
        (lines(&e), e.more)
    };
    let bad = run(1, 1 << 30);
    assert_eq!(
        bad.0[..2],
        [
            "contacts, record 6 (`c5`), field `employees`: field `employees`: `n/a` is not a number",
            "contacts, record 103 (`c102`), field `employees`: field `employees`: `n/a` is not a number",
        ]
    );
    assert!(bad.0.iter().any(|l| l.starts_with("events, record ")
        && l.ends_with(", field `contact_id`: event for unknown contact `c999999`")));
    for (threads, chunk) in [(3, 333), (2, 50), (4, 1)] {
        assert_eq!(run(threads, chunk), bad, "{threads} threads, {chunk} bytes");
    }
}

#[test]
fn bad_values_in_records_name_the_record_and_field() {
    let schema = b2b();
    let good = |id: &str| {
        Record::new()
            .with("id", id)
            .with("email", "a@b.c")
            .with("industry", "SaaS")
            .with("role", "CMO")
            .with("country", "FR")
            .with("tags", Vec::<Datum>::new())
            .with("created_at", day("2025-01-01"))
    };
    let mut bad_type = good("c2");
    bad_type.fields[1].1 = Datum::List(vec!["a".into()]);
    bad_type.fields.push(("employees".into(), "lots".into()));
    let mut missing = good("c3");
    missing.fields.retain(|(k, _)| &**k != "country");
    let mut inline = good("c4");
    inline.fields.push((
        "events".into(),
        Datum::List(vec![
            Datum::Record(Record::new().with("type", "page_view").with("at", "never")),
            Datum::Int(3),
        ]),
    ));
    let contacts = RecordSet {
        name: "crm.contacts".into(),
        records: vec![
            good("c1"),
            bad_type,
            missing,
            inline,
            good("c1"),
            Record::new().with("email", "x@y.z"),
            good("c7").with("nickname", "al").with("created_at", 12i64),
        ],
    };
    let events = RecordSet {
        name: "crm.events".into(),
        records: vec![
            Record::new()
                .with("contact_id", "c1")
                .with("type", "pageview")
                .with("at", day("2026-01-01")),
            Record::new()
                .with("contact_id", "c9")
                .with("type", "order")
                .with("at", day("2026-01-01"))
                .with("amount", true),
            Record::new().with("contact_id", "c1"),
        ],
    };
    let e = err_records(&contacts, &[events], Some(&schema));
    assert_eq!(
        lines(&e),
        [
            "crm.contacts, record 2 (`c2`), field `email`: field `email`: a list is not text",
            "crm.contacts, record 2 (`c2`), field `employees`: field `employees`: `lots` is not a number",
            "crm.contacts, record 3 (`c3`), field `country`: field `country` is missing",
            "crm.contacts, record 4 (`c4`), event 1, field `at`: field `at`: `never` is not a date",
            "crm.contacts, record 4 (`c4`), event 1, field `url`: field `url` of event `page_view` is missing",
            "crm.contacts, record 4 (`c4`), event 2: expected an event object with `type` and `at`, found a number",
            "crm.contacts, record 5 (`c1`), field `id`: duplicate contact id `c1`",
            "crm.contacts, record 6, field `id`: contact without an id (`id` is empty)",
            "crm.contacts, record 6, field `industry`: field `industry` is missing",
            "crm.contacts, record 6, field `role`: field `role` is missing",
            "crm.contacts, record 6, field `country`: field `country` is missing",
            "crm.contacts, record 6, field `tags`: field `tags` is missing",
            "crm.contacts, record 6, field `created_at`: field `created_at` is missing",
            "crm.contacts, record 7 (`c7`), field `created_at`: field `created_at` appears twice",
            "crm.contacts, record 7 (`c7`), field `created_at`: field `created_at`: `12` is not a date",
            "crm.events, record 1, field `type`: unknown event type `pageview`",
            "crm.events, record 2, field `contact_id`: event for unknown contact `c9`",
            "crm.events, record 2, field `amount`: field `amount`: `true` is not a number",
            "crm.events, record 3, field `type`: event without a `type`",
            "crm.events, record 3, field `at`: event without an `at` time stamp",
        ]
    );
    assert_eq!(
        e.problems[6].help.as_deref(),
        Some("the id is first used by record 1; each contact needs its own id")
    );
    let record = e.problems[0].record.as_deref().unwrap();
    assert_eq!(
        (
            record.index,
            record.key.as_deref(),
            record.event,
            record.field.as_deref()
        ),
        (1, Some("c2"), None, Some("email"))
    );
    assert_eq!((e.problems[0].line, e.problems[0].column), (None, None));

    // A field that is not in the schema is ignored with a warning naming the record.
    let l = ok_records(
        &RecordSet {
            name: "crm.contacts".into(),
            records: vec![
                good("c1").with("nickname", "al"),
                good("c2").with("nickname", "bo"),
            ],
        },
        &[],
        Some(&schema),
    );
    let warnings: Vec<String> = l
        .warnings
        .iter()
        .map(|p| format!("{}: {}", p.location(), p.message))
        .collect();
    assert_eq!(
        warnings,
        ["crm.contacts, record 1 (`c1`), field `nickname`: field `nickname` is not in the schema and is ignored"]
    );
}

#[test]
fn skip_bad_rows_sets_records_aside() {
    let schema = b2b();
    let contacts = text_records(
        "contacts",
        &format!(
            "{HEADER}c1,a@b.c,SaaS,CMO,,FR,,2025-01-01\n\
             c2,a@b.c,SaaS,CMO,lots,FR,,2025-01-01\n\
             c1,dup@b.c,SaaS,CMO,,FR,,2025-01-01\n"
        ),
    );
    let events = text_records(
        "events",
        "contact_id,type,at,url\nc1,page_view,2026-01-01,/pricing\nc2,page_view,2026-01-01,/\n",
    );
    let opts = LoadOptions {
        schema: Some(&schema),
        skip_bad_rows: true,
        ..LoadOptions::default()
    };
    let l = load_records(&contacts, &[events], &opts).unwrap();
    assert_eq!(l.dataset.contacts.len(), 1);
    assert_eq!(l.dataset.events.len(), 1);
    let skipped: Vec<String> = l
        .skipped
        .iter()
        .map(|s| {
            format!(
                "{}, record {:?}: {} | {}",
                s.file, s.record, s.reason, s.raw
            )
        })
        .collect();
    assert!(l.skipped.iter().all(|s| s.line == 0));
    assert_eq!(
        skipped,
        [
            r#"contacts, record Some(1): field `employees`: `lots` is not a number | {"id":"c2","email":"a@b.c","industry":"SaaS","role":"CMO","employees":"lots","country":"FR","tags":"","created_at":"2025-01-01"}"#,
            r#"contacts, record Some(2): duplicate contact id `c1` | {"id":"c1","email":"dup@b.c","industry":"SaaS","role":"CMO","employees":"","country":"FR","tags":"","created_at":"2025-01-01"}"#,
            r#"events, record Some(1): its contact `c2` was set aside: field `employees`: `lots` is not a number | {"contact_id":"c2","type":"page_view","at":"2026-01-01","url":"/"}"#,
        ]
    );
}

/// A random value of any shape, nested up to `depth`.
fn junk_datum(rng: &mut Rng, depth: u32) -> Datum {
    const TEXTS: [&str; 9] = [
        "",
        " ",
        "c1",
        "c2",
        "page_view",
        "2026-01-01",
        "12,5",
        "true",
        "\u{a0}x",
    ];
    match rng.below(if depth == 0 { 7 } else { 9 }) {
        0 => Datum::Null,
        1 => Datum::Bool(rng.below(2) == 0),
        2 => Datum::Int(rng.next() as i64),
        3 => Datum::Number([f64::NAN, f64::INFINITY, -0.0, 1.5, 1e300][rng.below(5) as usize]),
        4 | 5 => Datum::Text(TEXTS[rng.below(TEXTS.len() as u64) as usize].into()),
        6 => Datum::Date(rng.next() as i64 / 2),
        7 => Datum::List(
            (0..rng.below(4))
                .map(|_| junk_datum(rng, depth - 1))
                .collect(),
        ),
        _ => Datum::Record(junk_record(rng, depth - 1)),
    }
}

/// A record of random fields, most of them with the schema's names.
fn junk_record(rng: &mut Rng, depth: u32) -> Record {
    const KEYS: [&str; 10] = [
        "id",
        "email",
        "employees",
        "tags",
        "created_at",
        "events",
        "type",
        "at",
        "contact_id",
        "url",
    ];
    Record {
        fields: (0..rng.below(8))
            .map(|_| {
                let k = KEYS[rng.below(KEYS.len() as u64) as usize].to_string();
                (k.into(), junk_datum(rng, depth))
            })
            .collect(),
    }
}

#[test]
fn records_of_any_shape_never_panic() {
    let schema = b2b();
    let mut rng = Rng(11);
    for _ in 0..200 {
        let set = |rng: &mut Rng, name: &str| RecordSet {
            name: name.into(),
            records: (0..rng.below(12)).map(|_| junk_record(rng, 3)).collect(),
        };
        let (contacts, events) = (set(&mut rng, "contacts"), set(&mut rng, "events"));
        for schema in [None, Some(&schema)] {
            for skip in [false, true] {
                let opts = LoadOptions {
                    schema,
                    skip_bad_rows: skip,
                    threads: 2,
                    chunk_bytes: 100,
                    ..LoadOptions::default()
                };
                if let Ok(l) = load_records(&contacts, std::slice::from_ref(&events), &opts) {
                    dump(&l.dataset);
                }
            }
        }
    }
}

/// Options that set the types `closed_won` aside.
fn set_aside(schema: Option<&Schema>) -> LoadOptions<'_> {
    LoadOptions {
        schema,
        set_aside: vec!["closed_won".into()],
        ..LoadOptions::default()
    }
}

#[test]
fn event_types_set_aside_are_kept_out_of_the_data_set() {
    let schema = b2b();
    let contacts = src(
        "c.csv",
        &format!("{HEADER}c1,a@b.c,SaaS,CMO,,FR,,2025-01-01\nc2,a@b.c,SaaS,CMO,,FR,,2025-01-01\n"),
    );
    let csv = src(
        "e.csv",
        "contact_id,type,at,url,amount\nc2,closed_won,2026-03-01,,900\nc1,page_view,2026-01-01,/,\nc1,closed_won,2026-02-01,/x,\nc2,closed_won,2026-01-15,,\n",
    );
    let ndjson = src(
        "w.ndjson",
        "{\"contact_id\": \"c1\", \"type\": \"closed_won\", \"at\": \"2026-01-01\", \"amount\": 5}\n{\"contact_id\": \"c1\", \"type\": \"email_open\", \"at\": \"2026-01-02\"}\n",
    );
    let l = load_sources(&contacts, &[csv, ndjson], &set_aside(Some(&schema))).unwrap();
    // Scoring sees the other events only, with their properties in place.
    assert_eq!(
        dump(&l.dataset),
        "id=\"c1\" email=\"a@b.c\" industry=\"SaaS\" role=\"CMO\" employees=- country=\"FR\" tags=[] created_at=2025-01-01T00:00:00Z\n  page_view 2026-01-01T00:00:00Z url=\"/\"\n  email_open 2026-01-02T00:00:00Z\nid=\"c2\" email=\"a@b.c\" industry=\"SaaS\" role=\"CMO\" employees=- country=\"FR\" tags=[] created_at=2025-01-01T00:00:00Z\n"
    );
    assert_eq!(l.dataset.schema.events, schema.events);
    let day = |d: &str| parse_date(d).unwrap();
    assert_eq!(l.set_aside.len(), 1);
    assert_eq!(l.set_aside[0].event_type, "closed_won");
    assert_eq!(
        l.set_aside[0].events,
        [
            (0, day("2026-01-01")),
            (0, day("2026-02-01")),
            (1, day("2026-01-15")),
            (1, day("2026-03-01"))
        ]
    );
    // No warning about the values of the events set aside (`url`, `amount` are fields of
    // other events).
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!((l.files[1].rows, l.files[1].skipped), (4, 0));
}

#[test]
fn event_types_set_aside_are_loaded_as_usual_when_the_schema_has_them() {
    let contacts = src(
        "c.csv",
        &format!("{HEADER}c1,a@b.c,SaaS,CMO,,FR,,2025-01-01\n"),
    );
    let events = src(
        "e.csv",
        "contact_id,type,at\nc1,closed_won,2026-02-01\nc1,demo_request,2026-01-01\n",
    );
    // Declared: the type is in the schema.
    let mut schema = b2b();
    schema.events.push(event("closed_won", vec![]));
    let l = load_sources(
        &contacts,
        std::slice::from_ref(&events),
        &set_aside(Some(&schema)),
    )
    .unwrap();
    assert_eq!(l.dataset.events.len(), 2);
    assert!(l.set_aside.is_empty());
    // Inferred: the types come from the data.
    let l = load_sources(&contacts, std::slice::from_ref(&events), &set_aside(None)).unwrap();
    assert_eq!(l.dataset.events.len(), 2);
    assert!(l.dataset.schema.event("closed_won").is_some());
    assert!(l.set_aside.is_empty());
    // Another undeclared type is still a data problem.
    let bad = src("e.csv", "contact_id,type,at\nc1,closed_lost,2026-02-01\n");
    let e = load_sources(&contacts, &[bad], &set_aside(Some(&b2b()))).unwrap_err();
    assert_eq!(
        lines(&e),
        ["e.csv:2, column 2 (`type`): unknown event type `closed_lost`"]
    );
}

fn from(name: &str, ty: FieldType, optional: bool, column: &str) -> FieldSpec {
    FieldSpec {
        column: Some(column.into()),
        ..field(name, ty, optional)
    }
}

#[test]
fn fields_read_the_columns_their_from_names_in_every_format() {
    use FieldType::*;
    let schema = Schema {
        account: Vec::new(),
        contact: vec![
            from("id", Text, false, "Record ID"),
            from("employees", Number, true, "Number of Employees"),
            from("lead_score", Number, true, "score"),
            // Written with one letter here, decomposed (e + U+0301) in the files.
            from("region", Text, true, "Région"),
        ],
        events: vec![event(
            "page_view",
            vec![from("url", Text, false, "Page URL")],
        )],
    };
    let csv = src(
        "contacts.csv",
        "Record ID,Number of Employees,score,Re\u{301}gion\n7,500,12,Bretagne\n",
    );
    let ndjson = src(
        "contacts.ndjson",
        "{\"Record ID\": \"7\", \"Number of Employees\": 500, \"score\": 12, \"Re\u{301}gion\": \"Bretagne\"}\n",
    );
    let events = [src(
        "events.ndjson",
        "{\"contact_id\": \"7\", \"type\": \"page_view\", \"at\": \"2026-10-01\", \"Page URL\": \"/pricing\"}\n",
    )];
    for contacts in [csv, ndjson] {
        let name = contacts.name.clone();
        let l = ok(contacts, &events, Some(&schema));
        assert!(l.warnings.is_empty(), "{name}: {:?}", l.warnings);
        assert_eq!(
            l.dataset.contacts[0].fields,
            vec![
                Value::Text("7".into()),
                Value::Number(500.0),
                Value::Number(12.0),
                Value::Text("Bretagne".into()),
            ],
            "{name}"
        );
        assert_eq!(l.dataset.events.props, vec![Value::Text("/pricing".into())]);
    }
    // The header lacks the column a `from` names, optional field or not.
    let e = load_sources(
        &src("c.csv", "Record ID,Employees,score,Région\n7,500,12,x\n"),
        &[],
        &options(Some(&schema)),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.csv:1: the header has no `Number of Employees` column\n  help: the schema reads `employees` from it; the header has `Record ID`, `Employees`, `score`, `Région`"
    );
}

#[test]
fn events_files_name_their_own_columns_and_type() {
    use scoreline_data::{EventColumns, EventsFile};
    use FieldType::*;
    let schema = Schema {
        account: Vec::new(),
        contact: vec![field("id", Text, false)],
        events: vec![
            event("email_open", vec![field("subject", Text, true)]),
            event("page_view", vec![]),
        ],
    };
    let contacts = src("c.csv", "id\na\nb\n");
    let events = [
        // One type for the whole file, its own column names (NDJSON keys).
        src(
            "opens.ndjson",
            "{\"Contact\": \"a\", \"When\": \"2026-10-01\", \"subject\": \"Hi\"}\n",
        ),
        // The columns of `events_columns`, a type value mapped by `event_types`.
        src("views.csv", "who,what,when\nb,Page Viewed,2026-10-02\n"),
    ];
    let opts = LoadOptions {
        schema: Some(&schema),
        events_columns: EventColumns {
            contact_id: "who".into(),
            type_column: "what".into(),
            at: "when".into(),
        },
        events_files: vec![EventsFile {
            event_type: Some("email_open".into()),
            contact_id: Some("Contact".into()),
            at: Some("When".into()),
            ..EventsFile::default()
        }],
        event_types: vec![("Page Viewed".into(), "page_view".into())],
        ..LoadOptions::default()
    };
    let l = load_sources(&contacts, &events, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let ev = &l.dataset.events;
    assert_eq!(ev.type_id, vec![0, 1]);
    assert_eq!(ev.contact_start, vec![0, 1, 2]);
    assert_eq!(ev.props(0), &[Value::Text("Hi".into())]);
    assert_eq!(
        ev.at,
        vec![
            parse_date("2026-10-01").unwrap(),
            parse_date("2026-10-02").unwrap()
        ]
    );
}
