//! scoreline-db against real databases: SQLite files in a temporary folder always, and a
//! PostgreSQL server when `SCORELINE_TEST_POSTGRES` names one (a URL such as
//! `postgres://postgres@127.0.0.1:5433/postgres`); without it those tests say they were
//! skipped, and fail instead when `SCORELINE_REQUIRE_POSTGRES=1`. No mock anywhere.

use std::path::Path;

use scoreline_data::model::{FieldSpec, FieldType, Schema};
use scoreline_data::{load_inputs, Datum, Input, LoadOptions, Value};
use scoreline_db::{
    read, write_table, DbUrl, Entity, EntityRows, History, HistoryInput, OutputColumn, RunRecord,
};

fn sqlite(dir: &Path, sql: &str) -> String {
    let path = dir.join("crm.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(sql).unwrap();
    format!("sqlite:{}", path.display())
}

fn url(text: &str) -> DbUrl {
    DbUrl::parse(text).unwrap()
}

const CONTACTS: &str = "
CREATE TABLE contacts (id TEXT, employees INTEGER, revenue REAL, active BOOLEAN, created DATE, seen TIMESTAMP, note TEXT);
INSERT INTO contacts VALUES ('c1', 120, 2.5, 1, '2026-01-15', '2026-02-01 10:30:00', 'x');
INSERT INTO contacts VALUES ('c2', NULL, NULL, 0, '2026-03-01T08:00:00+01:00', NULL, NULL);
";

#[test]
fn sqlite_columns_map_onto_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path(), CONTACTS);
    let t = read(&url(&format!("{db}?table=contacts")), "id", &["id".into()]).unwrap();
    let r = t.table.to_records();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].get("employees"), Some(&Datum::Int(120)));
    assert_eq!(r[0].get("revenue"), Some(&Datum::Number(2.5)));
    assert_eq!(r[0].get("active"), Some(&Datum::Bool(true)));
    assert_eq!(
        r[0].get("created"),
        Some(&Datum::Date(
            scoreline_data::parse_date("2026-01-15").unwrap()
        ))
    );
    assert_eq!(
        r[0].get("seen"),
        Some(&Datum::Date(
            scoreline_data::parse_date("2026-02-01T10:30:00Z").unwrap()
        ))
    );
    assert_eq!(
        r[1].get("created"),
        Some(&Datum::Date(
            scoreline_data::parse_date("2026-03-01T07:00:00Z").unwrap()
        ))
    );
    assert_eq!(r[1].get("employees"), Some(&Datum::Null));
    assert_eq!(t.columns[1].sql_type, "INTEGER");
    // The same rows hash the same; other rows do not.
    let again = read(
        &url(&format!("{db}?query=SELECT * FROM contacts")),
        "id",
        &[],
    )
    .unwrap();
    assert_eq!(again.sha256(), t.sha256());
    let one = read(
        &url(&format!(
            "{db}?query=SELECT * FROM contacts WHERE id = 'c1'"
        )),
        "id",
        &[],
    )
    .unwrap();
    assert_ne!(one.sha256(), t.sha256());
}

#[test]
fn a_missing_table_or_column_is_named_with_those_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path(), CONTACTS);
    let e = read(&url(&format!("{db}?table=contact")), "id", &[]).unwrap_err();
    assert_eq!(e.message, format!("`{db}` has no table `contact`"));
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `contacts`? (the database has `contacts`)")
    );
    let e = read(
        &url(&format!("{db}?table=contacts")),
        "id",
        &["id".into(), "employes".into()],
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        format!("table `contacts` of `{db}` has no column `employes`")
    );
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `employees`? (table `contacts` has `id`, `employees`, `revenue`, `active`, `created`, `seen`, `note`)")
    );
}

#[test]
fn a_failing_query_gives_the_database_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(dir.path(), CONTACTS);
    let e = read(
        &url(&format!("{db}?query=SELECT nope FROM contacts")),
        "id",
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("error: the query failed in `{db}`: no such column: nope in SELECT nope FROM contacts at offset 7\n  = help: check the query after `?query=`")
    );
    let e = read(
        &url(&format!(
            "sqlite:{}/absent.db?table=x",
            dir.path().display()
        )),
        "id",
        &[],
    )
    .unwrap_err();
    assert!(
        e.message.ends_with("absent.db`: the file does not exist"),
        "{e}"
    );
}

#[test]
fn a_value_of_the_wrong_type_names_the_table_row_id_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(
        dir.path(),
        "CREATE TABLE contacts (id TEXT, employees TEXT);
         INSERT INTO contacts VALUES ('c1', '12'), ('c2', 'many');",
    );
    let t = read(&url(&format!("{db}?table=contacts")), "id", &[]).unwrap();
    let schema = Schema {
        contact: vec![
            FieldSpec {
                name: "id".into(),
                ty: FieldType::Text,
                optional: false,
                column: None,
            },
            FieldSpec {
                name: "employees".into(),
                ty: FieldType::Number,
                optional: true,
                column: None,
            },
        ],
        events: vec![],
        account: vec![],
    };
    let options = LoadOptions {
        schema: Some(&schema),
        ..LoadOptions::default()
    };
    let e = load_inputs(Input::Table(&t.table), &[], &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{db}?table=contacts, row 2 (id `c2`), column `employees`: field `employees`: `many` is not a number\n  help: write numbers with a dot for decimals and no thousands separator, like `1250.5`")
    );
    // A binary value is refused where it is read.
    let db = sqlite(
        dir.path(),
        "CREATE TABLE blobs (id TEXT, photo BLOB); INSERT INTO blobs VALUES ('c9', x'00ff');",
    );
    let e = read(&url(&format!("{db}?table=blobs")), "id", &[]).unwrap_err();
    assert_eq!(
        e.message,
        format!("{db}?table=blobs, row 1 (id `c9`), column `photo`: the value is binary data (a BLOB), not a number, a text or a date")
    );
}

#[test]
fn a_table_read_as_an_export_takes_the_schema_from() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite(
        dir.path(),
        "CREATE TABLE contacts (\"Record ID\" TEXT, \"Number of Employees\" INTEGER);
         INSERT INTO contacts VALUES ('c1', 40);",
    );
    let t = read(&url(&format!("{db}?table=contacts")), "Record ID", &[]).unwrap();
    let schema = Schema {
        contact: vec![
            FieldSpec {
                name: "id".into(),
                ty: FieldType::Text,
                optional: false,
                column: Some("Record ID".into()),
            },
            FieldSpec {
                name: "employees".into(),
                ty: FieldType::Number,
                optional: false,
                column: Some("Number of Employees".into()),
            },
        ],
        events: vec![],
        account: vec![],
    };
    let options = LoadOptions {
        schema: Some(&schema),
        ..LoadOptions::default()
    };
    let loaded = load_inputs(Input::Table(&t.table), &[], &options).unwrap();
    assert_eq!(loaded.dataset.contacts[0].fields[1], Value::Number(40.0));
}

fn rows() -> (Vec<String>, Vec<Vec<Value>>) {
    (
        vec!["id".into(), "total".into(), "tier".into()],
        vec![
            vec![
                Value::Text("c1".into()),
                Value::Number(12.345),
                Value::Text("hot".into()),
            ],
            vec![
                Value::Text("c2".into()),
                Value::Missing,
                Value::Text("cold".into()),
            ],
        ],
    )
}

fn write(u: &DbUrl, names: &[String], rows: &[Vec<Value>]) -> Result<(), scoreline_db::DbError> {
    let refs: Vec<&[Value]> = rows.iter().map(Vec::as_slice).collect();
    let kinds: Vec<OutputColumn> = (0..names.len())
        .map(|c| OutputColumn::of(rows.iter().map(|r| &r[c])))
        .collect();
    write_table(u, names, &kinds, &refs)
}

fn sqlite_rows(path: &Path, sql: &str) -> Vec<String> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut s = c.prepare(sql).unwrap();
    let n = s.column_count();
    s.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => "NULL".to_string(),
                rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                rusqlite::types::ValueRef::Real(f) => f.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                rusqlite::types::ValueRef::Blob(_) => "BLOB".into(),
            })
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn an_output_table_is_replaced_whole_or_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/scores.db");
    let u = url(&format!("sqlite:{}?table=scores", path.display()));
    let (names, data) = rows();
    write(&u, &names, &data).unwrap();
    write(&u, &names, &data).unwrap();
    assert_eq!(
        sqlite_rows(&path, "SELECT * FROM scores"),
        ["c1|12.35|hot", "c2|NULL|cold"]
    );
    // A write that fails once the old table is dropped (two columns of one name) rolls back:
    // the old rows are all there.
    let bad = vec!["id".to_string(), "id".to_string(), "tier".to_string()];
    let e = write(&u, &bad, &data).unwrap_err();
    assert!(e.message.starts_with("cannot write table `scores`"), "{e}");
    assert_eq!(e.help.as_deref(), Some("the table was left as it was"));
    assert_eq!(
        sqlite_rows(&path, "SELECT * FROM scores"),
        ["c1|12.35|hot", "c2|NULL|cold"]
    );
}

fn run_record(as_of: &str) -> RunRecord {
    RunRecord {
        run_id: 0,
        ruleset: "leads".into(),
        version: "abc123".into(),
        as_of: as_of.into(),
        started_at: "2026-12-01T10:00:00Z".into(),
        command: "run".into(),
        inputs: vec![HistoryInput {
            role: "contacts".into(),
            path: "sqlite:crm.db?table=contacts".into(),
            sha256: "00".into(),
            rows: 2,
        }],
        scores: vec!["total".into()],
        segments: vec!["tier".into()],
    }
}

fn history_round_trip(u: &DbUrl) {
    let (names, mut data) = rows();
    let mut h = History::open(u, true).unwrap();
    let refs: Vec<&[Value]> = data.iter().map(Vec::as_slice).collect();
    let first = h
        .append(
            &run_record("2026-11-01T00:00:00Z"),
            Entity::Contact,
            &names,
            &refs,
        )
        .unwrap();
    data[0][1] = Value::Number(20.0);
    data[0][2] = Value::Text("warm".into());
    let refs: Vec<&[Value]> = data.iter().map(Vec::as_slice).collect();
    let second = h
        .append(
            &run_record("2026-11-08T00:00:00Z"),
            Entity::Contact,
            &names,
            &refs,
        )
        .unwrap();
    assert_eq!((first, second), (1, 2));
    let mut h = History::open(u, false).unwrap();
    let trend = h.trend(Entity::Contact, "c1", None).unwrap();
    let seen: Vec<(i64, Option<f64>, Option<String>)> = trend
        .iter()
        .map(|(r, e)| (r.run_id, e.scores[0].1, e.segments[0].1.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (2, Some(20.0), Some("warm".to_string())),
            (1, Some(12.35), Some("hot".to_string()))
        ]
    );
    assert_eq!(h.trend(Entity::Contact, "c1", Some(1)).unwrap().len(), 1);
    assert!(h.trend(Entity::Account, "c1", None).unwrap().is_empty());
    let run = h.run(1, Entity::Contact).unwrap();
    assert_eq!(run.run.as_of, "2026-11-01T00:00:00Z");
    assert_eq!(run.run.inputs[0].path, "sqlite:crm.db?table=contacts");
    assert_eq!(run.entries.len(), 2);
    assert_eq!(run.entries[1].scores, [("total".to_string(), None)]);
    let e = h.run(7, Entity::Contact).unwrap_err();
    assert_eq!(e.help.as_deref(), Some("its runs are numbered 1 to 2"));
}

/// A run of more entries than one block of the append (8,192), of two kinds of entity, in no
/// order: every entry is stored once, with its own values.
fn history_of_many_entries(u: &DbUrl) {
    let names = vec!["id".to_string(), "total".to_string(), "tier".to_string()];
    let contacts: Vec<Vec<Value>> = (0..20_000u32)
        .map(|i| (i * 7919) % 20_000)
        .map(|i| {
            vec![
                Value::Text(format!("c{i}").into()),
                Value::Number(f64::from(i) / 4.0),
                Value::Text(if i.is_multiple_of(3) { "hot" } else { "cold" }.into()),
            ]
        })
        .collect();
    let accounts: Vec<Vec<Value>> = (0..5)
        .map(|i| {
            vec![
                Value::Text(format!("a{i}").into()),
                Value::Number(f64::from(i)),
            ]
        })
        .collect();
    let contact_rows: Vec<&[Value]> = contacts.iter().map(Vec::as_slice).collect();
    let account_rows: Vec<&[Value]> = accounts.iter().map(Vec::as_slice).collect();
    let record = run_record("2026-11-01T00:00:00Z");
    let account_names = vec!["id".to_string(), "total".to_string()];
    let mut h = History::open(u, true).unwrap();
    h.append_groups(
        &record,
        &[
            EntityRows {
                entity: Entity::Contact,
                columns: &names,
                rows: &contact_rows,
                scores: &record.scores,
                segments: &record.segments,
            },
            EntityRows {
                entity: Entity::Account,
                columns: &account_names,
                rows: &account_rows,
                scores: &record.scores,
                segments: &[],
            },
        ],
    )
    .unwrap();
    let run = h.run(1, Entity::Contact).unwrap();
    assert_eq!(run.entries.len(), 20_000);
    let mut ids: Vec<&str> = run.entries.iter().map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20_000);
    for e in &run.entries {
        let i: u32 = e.id[1..].parse().unwrap();
        assert_eq!(e.scores, [("total".to_string(), Some(f64::from(i) / 4.0))]);
        let tier = if i.is_multiple_of(3) { "hot" } else { "cold" };
        assert_eq!(e.segments, [("tier".to_string(), Some(tier.to_string()))]);
    }
    let accounts = h.run(1, Entity::Account).unwrap();
    let seen: Vec<(&str, Option<f64>)> = accounts
        .entries
        .iter()
        .map(|e| (e.id.as_str(), e.scores[0].1))
        .collect();
    assert_eq!(
        seen,
        [
            ("a0", Some(0.0)),
            ("a1", Some(1.0)),
            ("a2", Some(2.0)),
            ("a3", Some(3.0)),
            ("a4", Some(4.0))
        ]
    );
    let trend = h.trend(Entity::Contact, "c8192", None).unwrap();
    assert_eq!(trend.len(), 1);
    assert_eq!(trend[0].1.scores[0].1, Some(2048.0));
}

#[test]
fn sqlite_history_stores_a_run_of_many_entries_whole() {
    let dir = tempfile::tempdir().unwrap();
    history_of_many_entries(&url(&format!("sqlite:{}/history.db", dir.path().display())));
}

#[test]
fn sqlite_history_appends_runs_and_reads_a_trend() {
    let dir = tempfile::tempdir().unwrap();
    history_round_trip(&url(&format!("sqlite:{}/history.db", dir.path().display())));
}

#[test]
fn a_history_of_another_layout_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    // Tables of a history without a recorded layout (layout 0).
    let db = sqlite(
        dir.path(),
        "CREATE TABLE scoreline_runs (run_id INTEGER, ruleset TEXT); INSERT INTO scoreline_runs VALUES (1, 'old');",
    );
    let e = History::open(&url(&db), true).err().unwrap();
    assert_eq!(
        e.to_string(),
        format!("error: `{db}` holds a score history of layout 0, older than this version of scoreline (layout 1)\n  = help: give another `--history`: this one is left as it is")
    );
    assert_eq!(
        sqlite_rows(&dir.path().join("crm.db"), "SELECT * FROM scoreline_runs"),
        ["1|old"]
    );
    let c = rusqlite::Connection::open(dir.path().join("crm.db")).unwrap();
    c.execute_batch("CREATE TABLE scoreline_history (key TEXT, value TEXT); INSERT INTO scoreline_history VALUES ('layout', '9');").unwrap();
    let e = History::open(&url(&db), true).err().unwrap();
    assert!(e.message.contains("layout 9, newer than"), "{e}");
    // Reading a database that holds no history at all.
    let other = tempfile::tempdir().unwrap();
    let empty = sqlite(other.path(), "CREATE TABLE x (a)");
    let e = History::open(&url(&empty), false).err().unwrap();
    assert!(e.message.ends_with("holds no score history"), "{e}");
}

#[test]
fn a_server_that_does_not_answer_is_named_without_its_password() {
    // Port 9 on the loopback: nothing listens there.
    let u = url("postgres://ops:hunter2@127.0.0.1:9/crm?table=contacts");
    let e = read(&u, "id", &[]).unwrap_err();
    let text = e.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        text.starts_with("error: cannot connect to `postgres://ops@127.0.0.1:9/crm`: "),
        "{text}"
    );
    assert!(
        text.ends_with("= help: check that a PostgreSQL server is running on 127.0.0.1 and listens on port 9 (the URL's host and port, else `PGHOST` and `PGPORT`), and that no firewall is in the way"),
        "{text}"
    );
}

// PostgreSQL: a real server, when one is given.

/// The test server's URL, or `None` (with a message) when there is none to test against.
fn postgres() -> Option<String> {
    match std::env::var("SCORELINE_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("SCORELINE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("SCORELINE_REQUIRE_POSTGRES=1 but SCORELINE_TEST_POSTGRES names no server");
            }
            // Past the test harness's capture, so that the skip is seen in every run.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: PostgreSQL tests (set SCORELINE_TEST_POSTGRES=postgres://USER@HOST:PORT/DB to run them)"
            );
            None
        }
    }
}

/// A fresh schema of its own for one test, set as the connection's search path through the
/// server's `options`; dropped when the guard goes.
struct PgSchema {
    base: String,
    name: String,
}

impl PgSchema {
    fn new(base: &str, tag: &str) -> PgSchema {
        let name = format!("scoreline_test_{tag}_{}", std::process::id());
        let mut c = postgres::Client::connect(&client_url(base), postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
        ))
        .unwrap();
        PgSchema {
            base: base.to_string(),
            name,
        }
    }

    fn client(&self) -> postgres::Client {
        let mut c = postgres::Client::connect(&client_url(&self.base), postgres::NoTls).unwrap();
        c.batch_execute(&format!("SET search_path TO {}", self.name))
            .unwrap();
        c
    }

    /// A table name in this schema.
    fn table(&self, t: &str) -> String {
        format!("{}.{t}", self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&client_url(&self.base), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// The URL for the test's own client (rust-postgres takes `postgresql://` URLs).
fn client_url(base: &str) -> String {
    base.to_string()
}

#[test]
fn postgres_columns_map_onto_values_and_problems_are_named() {
    let Some(base) = postgres() else { return };
    let s = PgSchema::new(&base, "read");
    s.client()
        .batch_execute(
            "CREATE TABLE contacts (id text, employees integer, big bigint, revenue numeric(10,2), ratio double precision, active boolean, created date, seen timestamptz, tags text[], key uuid);
             INSERT INTO contacts VALUES ('c1', 120, 9000000000, 1234.56, 0.25, true, '2026-01-15', '2026-02-01T10:30:00Z', ARRAY['a','b'], 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
             INSERT INTO contacts VALUES ('c2', NULL, NULL, -0.05, NULL, false, NULL, NULL, NULL, NULL);",
        )
        .unwrap();
    let t = read(
        &url(&format!("{base}?table={}", s.table("contacts"))),
        "id",
        &["id".into()],
    )
    .unwrap();
    let r = t.table.to_records();
    assert_eq!(r[0].get("employees"), Some(&Datum::Int(120)));
    assert_eq!(r[0].get("big"), Some(&Datum::Int(9_000_000_000)));
    assert_eq!(r[0].get("revenue"), Some(&Datum::Number(1234.56)));
    assert_eq!(r[1].get("revenue"), Some(&Datum::Number(-0.05)));
    assert_eq!(r[0].get("ratio"), Some(&Datum::Number(0.25)));
    assert_eq!(r[0].get("active"), Some(&Datum::Bool(true)));
    assert_eq!(
        r[0].get("created"),
        Some(&Datum::Date(
            scoreline_data::parse_date("2026-01-15").unwrap()
        ))
    );
    assert_eq!(
        r[0].get("seen"),
        Some(&Datum::Date(
            scoreline_data::parse_date("2026-02-01T10:30:00Z").unwrap()
        ))
    );
    assert_eq!(
        r[0].get("tags"),
        Some(&Datum::List(vec![Datum::from("a"), Datum::from("b")]))
    );
    assert_eq!(
        r[0].get("key"),
        Some(&Datum::from("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
    );
    assert_eq!(r[1].get("employees"), Some(&Datum::Null));
    // A query is read by COPY as a table is (a final `;` and a comment do not get in the way);
    // a statement COPY cannot wrap is read row by row.
    let q = read(
        &url(&format!(
            "{base}?query=SELECT * FROM {} ORDER BY id; -- every contact",
            s.table("contacts")
        )),
        "id",
        &[],
    )
    .unwrap();
    assert_eq!(q.table.to_records(), r);
    let show = read(&url(&format!("{base}?query=SHOW TimeZone")), "id", &[]).unwrap();
    assert_eq!(show.table.len(), 1);
    assert_eq!(show.table.names()[0].as_ref(), "TimeZone");
    // A value that cannot be read names the row and its id.
    s.client()
        .batch_execute("CREATE TABLE odd (id text, n numeric); INSERT INTO odd VALUES ('c1', 1), ('c2', 'NaN');")
        .unwrap();
    let e = read(&url(&format!("{base}?table={}", s.table("odd"))), "id", &[]).unwrap_err();
    assert!(
        e.message
            .contains("row 2 (id `c2`), column `n`: the number is NaN"),
        "{e}"
    );

    let e = read(
        &url(&format!("{base}?table={}", s.table("contact"))),
        "id",
        &[],
    )
    .unwrap_err();
    assert!(
        e.message
            .ends_with(&format!("has no table `{}`", s.table("contact"))),
        "{e}"
    );
    let e = read(
        &url(&format!("{base}?table={}", s.table("contacts"))),
        "id",
        &["id".into(), "employes".into()],
    )
    .unwrap_err();
    assert!(e.message.ends_with("has no column `employes`"), "{e}");
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `employees`?"),
        "{e}"
    );
    let e = read(
        &url(&format!(
            "{base}?query=SELECT nope FROM {}",
            s.table("contacts")
        )),
        "id",
        &[],
    )
    .unwrap_err();
    assert!(e.message.ends_with("column \"nope\" does not exist"), "{e}");
}

#[test]
fn a_large_postgres_table_read_in_page_ranges_gives_the_rows_of_one_statement() {
    let Some(base) = postgres() else { return };
    let s = PgSchema::new(&base, "ranges");
    let mut c = s.client();
    // Large enough to be read in ranges of pages, one connection each (16 MiB and more), with
    // rows deleted and moved (an update writes the row anew at the end of the table).
    c.batch_execute(
        "CREATE TABLE big (id text, at timestamptz, amount numeric, note text);
         INSERT INTO big SELECT 'c' || i, timestamptz '2026-01-01T00:00:00Z' + i * interval '1 minute',
           i * 0.5, repeat('x', 40) || i FROM generate_series(1, 250000) AS i;
         DELETE FROM big WHERE right(id, 1) = '7';
         UPDATE big SET note = 'moved' WHERE right(id, 2) = '13';",
    )
    .unwrap();
    let pages: i64 = c
        .query_one(
            &format!("SELECT pg_relation_size('{}') / 8192", s.table("big")),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(pages > 2048, "the table has only {pages} pages");
    let table = read(&url(&format!("{base}?table={}", s.table("big"))), "id", &[]).unwrap();
    let query = read(
        &url(&format!("{base}?query=SELECT * FROM {}", s.table("big"))),
        "id",
        &[],
    )
    .unwrap();
    assert_eq!(table.table.len(), 225000);
    assert!(table.table.to_records() == query.table.to_records());
    assert_eq!(table.sha256(), query.sha256());
    let last = table.table.record(table.table.len() - 1);
    assert_eq!(last.get("note"), Some(&Datum::from("moved")));
    // A user the server lets open one connection only has every range read on that one, in
    // the same snapshot: the same rows.
    let role = format!("scoreline_one_{}", std::process::id());
    c.batch_execute(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN CONNECTION LIMIT 1;
         GRANT USAGE ON SCHEMA {0} TO {role}; GRANT SELECT ON {1} TO {role};",
        s.name,
        s.table("big")
    ))
    .unwrap();
    let (scheme, rest) = base.split_once("://").unwrap();
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    let one = read(
        &url(&format!(
            "{scheme}://{role}@{host}?table={}",
            s.table("big")
        )),
        "id",
        &[],
    );
    c.batch_execute(&format!(
        "REVOKE ALL ON {} FROM {role}; REVOKE ALL ON SCHEMA {} FROM {role}; DROP ROLE {role}",
        s.table("big"),
        s.name
    ))
    .unwrap();
    assert!(one.unwrap().table.to_records() == query.table.to_records());
    // A bad value in the last range is named by its row among all the table's.
    c.batch_execute(&format!(
        "INSERT INTO {} VALUES ('odd', NULL, 'NaN', NULL)",
        s.table("big")
    ))
    .unwrap();
    let e = read(&url(&format!("{base}?table={}", s.table("big"))), "id", &[]).unwrap_err();
    assert!(
        e.message
            .contains("row 225001 (id `odd`), column `amount`: the number is NaN"),
        "{e}"
    );
}

#[test]
fn postgres_output_tables_and_history() {
    let Some(base) = postgres() else { return };
    let s = PgSchema::new(&base, "write");
    let u = url(&format!("{base}?table={}", s.table("scores")));
    let (names, data) = rows();
    write(&u, &names, &data).unwrap();
    write(&u, &names, &data).unwrap();
    let got: Vec<(String, Option<f64>, String)> = s
        .client()
        .query("SELECT id, total, tier FROM scores ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        [
            ("c1".to_string(), Some(12.35), "hot".to_string()),
            ("c2".to_string(), None, "cold".to_string())
        ]
    );
    let bad = vec!["id".to_string(), "id".to_string(), "tier".to_string()];
    assert!(write(&u, &bad, &data).is_err());
    let count: i64 = s
        .client()
        .query_one("SELECT count(*) FROM scores", &[])
        .unwrap()
        .get(0);
    assert_eq!(count, 2);
    // The history in a database of its own.
    let db = format!("scoreline_test_history_{}", std::process::id());
    let mut admin = postgres::Client::connect(&client_url(&base), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let (head, _) = base.rsplit_once('/').unwrap();
    history_round_trip(&url(&format!("{head}/{db}")));
    admin.batch_execute(&format!("DROP DATABASE {db}")).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    history_of_many_entries(&url(&format!("{head}/{db}")));
    // A history made before the foreign key was dropped (its entries' `run_id` declared to
    // reference `scoreline_runs`) is appended to and read as it is.
    admin.batch_execute(&format!("DROP DATABASE {db}")).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let mut old = postgres::Client::connect(&format!("{head}/{db}"), postgres::NoTls).unwrap();
    old.batch_execute(
        "CREATE TABLE scoreline_history (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         INSERT INTO scoreline_history VALUES ('layout', '1');
         CREATE TABLE scoreline_runs (run_id BIGINT PRIMARY KEY, ruleset TEXT NOT NULL, version TEXT NOT NULL,
           as_of TEXT NOT NULL, started_at TEXT NOT NULL, command TEXT NOT NULL, inputs TEXT NOT NULL,
           scores TEXT NOT NULL, segments TEXT NOT NULL);
         CREATE TABLE scoreline_entries (run_id BIGINT NOT NULL REFERENCES scoreline_runs (run_id),
           entity TEXT NOT NULL, id TEXT NOT NULL, scores TEXT NOT NULL, segments TEXT NOT NULL,
           PRIMARY KEY (run_id, entity, id));
         CREATE INDEX scoreline_entries_by_id ON scoreline_entries (entity, id, run_id);",
    )
    .unwrap();
    drop(old);
    history_round_trip(&url(&format!("{head}/{db}")));
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
}

#[test]
fn a_large_table_read_on_every_core_gives_the_rows_of_one_statement() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "CREATE TABLE events (contact_id TEXT, at TIMESTAMP, amount REAL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250000)
         INSERT INTO events SELECT 'c' || (i % 997), '2026-01-01T00:00:00Z', i * 0.5 FROM n;
         DELETE FROM events WHERE rowid % 7 = 0;",
    )
    .unwrap();
    drop(c);
    let db = format!("sqlite:{}", path.display());
    let table = read(&url(&format!("{db}?table=events")), "contact_id", &[]).unwrap();
    let query = read(
        &url(&format!("{db}?query=SELECT * FROM events ORDER BY rowid")),
        "contact_id",
        &[],
    )
    .unwrap();
    assert_eq!(table.table.len(), 250000 - 250000 / 7);
    assert!(table.table.to_records() == query.table.to_records());
    assert_eq!(table.sha256(), query.sha256());
}

#[test]
fn a_feed_table_is_appended_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.db");
    let u = url(&format!("sqlite:{}?table=changes", path.display()));
    let names = vec!["id".to_string(), "change".to_string()];
    let kinds = [OutputColumn::Text; 2];
    let a = [Value::Text("c1".into()), Value::Text("{}".into())];
    let b = [Value::Text("c2".into()), Value::Text("{}".into())];
    scoreline_db::append_table(&u, &names, &kinds, &[&a]).unwrap();
    scoreline_db::append_table(&u, &names, &kinds, &[&b, &a]).unwrap();
    assert_eq!(
        sqlite_rows(&path, "SELECT id FROM changes ORDER BY rowid"),
        ["c1", "c2", "c1"]
    );
}
