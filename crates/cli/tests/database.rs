//! The binary with databases: data read from SQLite tables scores exactly as the same data from
//! CSV files, outputs written to tables, the score history appended and read back, and the
//! problems a marketing ops person meets, as printed.

mod common;

use std::path::Path;

use common::{repo, scoreline, stderr, stdout};

fn sqlite_db(dir: &Path, sql: &str) -> String {
    let path = dir.join("crm.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(sql).unwrap();
    format!("sqlite:{}", path.display())
}

#[test]
fn sqlite_tables_score_as_the_csv_files_do_and_the_history_keeps_each_run() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let csv = tmp.join("csv.csv");
    let db = tmp.join("db.csv");
    let history = format!("sqlite:{}", tmp.join("history.db").display());
    let project = repo().join("rulesets/b2b-sqlite");
    let o = scoreline(
        &[
            "run",
            "--project",
            "rulesets/b2b-leads",
            "--out",
            csv.to_str().unwrap(),
        ],
        &repo(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for as_of in ["2026-11-01", "2026-11-15"] {
        let o = scoreline(
            &[
                "run",
                "--project",
                project.to_str().unwrap(),
                "--out",
                db.to_str().unwrap(),
                "--history",
                &history,
                "--as-of",
                as_of,
            ],
            tmp,
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // The first run was as of the CSV run's day: the same bytes.
    let o = scoreline(
        &[
            "run",
            "--project",
            project.to_str().unwrap(),
            "--out",
            db.to_str().unwrap(),
        ],
        tmp,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&csv).unwrap(), std::fs::read(&db).unwrap());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.join("db.manifest.json")).unwrap()).unwrap();
    let input = &manifest["inputs"][0];
    assert!(
        input["path"]
            .as_str()
            .unwrap()
            .ends_with("rulesets/b2b-sqlite/data/crm.db?table=contacts"),
        "{input}"
    );
    assert_eq!(input["rows"], 300);
    assert_eq!(input["sha256"].as_str().unwrap().len(), 64);

    let o = scoreline(&["history", "c1", "--history", &history], tmp);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("contact `c1` in 2 runs of `{history}` (newest first)")
    );
    assert!(lines[1].starts_with("run  started"), "{text}");
    assert!(
        lines[1].ends_with("fit  engagement  total  tier  tier_action     grade"),
        "{text}"
    );
    assert!(lines[2].starts_with("2    "), "{text}");
    assert!(lines[2].contains("2026-11-15T00:00:00Z"), "{text}");
    assert!(
        lines[2].ends_with("25   0.33        25.33  cold  Mass campaigns  B4"),
        "{text}"
    );
    assert!(
        lines[3].ends_with("25   0.66        25.66  cold  Mass campaigns  B4"),
        "{text}"
    );

    let o = scoreline(
        &[
            "history",
            "c1",
            "--history",
            &history,
            "--format",
            "json",
            "--limit",
            "1",
        ],
        tmp,
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 1);
    assert_eq!(json["runs"][0]["run_id"], 2);
    assert_eq!(json["runs"][0]["scores"]["total"], 25.33);
    assert_eq!(json["runs"][0]["segments"]["tier"], "cold");

    // evaluate against the stored run of the same day: no drift; the run of another day:
    // some.
    let evaluate = |run: &str| {
        let events = format!(
            "sqlite:{}?table=events",
            project.join("data/crm.db").display()
        );
        let won = repo().join("rulesets/b2b-leads/data/closed_won.csv");
        let o = scoreline(
            &[
                "evaluate",
                "--project",
                project.to_str().unwrap(),
                "--as-of",
                "2026-11-01",
                "--events",
                &events,
                "--events",
                won.to_str().unwrap(),
                "--outcome",
                "closed_won",
                "--horizon",
                "30d",
                "--baseline-run",
                run,
                "--history",
                &history,
                "--format",
                "json",
            ],
            tmp,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        json["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["psi"].as_f64().unwrap())
            .collect::<Vec<f64>>()
    };
    assert_eq!(evaluate("1"), [0.0, 0.0, 0.0]);
    assert!(evaluate("2").iter().any(|&p| p > 0.0));

    // diff against the stored run: the same ruleset as of the run's day moves nothing.
    let o = scoreline(
        &[
            "diff",
            "--project",
            project.to_str().unwrap(),
            "--base-run",
            "2",
            "--history",
            &history,
            "--format",
            "json",
        ],
        tmp,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["contacts"], 300);
    let changed: Vec<u64> = json["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["changed"].as_u64().unwrap())
        .collect();
    assert_eq!(changed, [0, 0, 0]);
    assert!(json["segments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["moved"] == 0));

    let o = scoreline(&["history", "nobody", "--history", &history], tmp);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with(&format!(
        "error: no run in `{history}` has the contact `nobody`"
    )));
}

#[test]
fn scores_and_explanations_go_to_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.db");
    let o = scoreline(
        &[
            "run",
            "--project",
            "rulesets/b2b-leads",
            "--out",
            &format!("sqlite:{}?table=scores", out.display()),
            "--explain",
            &format!("sqlite:{}?table=explain", out.display()),
        ],
        &repo(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let c = rusqlite::Connection::open(&out).unwrap();
    let schema: String = c
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'scores'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        schema,
        "CREATE TABLE \"scores\" (\"id\" TEXT, \"fit\" REAL, \"engagement\" REAL, \"total\" REAL, \"tier\" TEXT, \"tier_action\" TEXT, \"grade\" TEXT)"
    );
    let row: (String, f64, String) = c
        .query_row(
            "SELECT id, total, tier FROM scores WHERE id = 'c1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(row, ("c1".to_string(), 25.66, "cold".to_string()));
    let n: i64 = c
        .query_row("SELECT count(*) FROM explain", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 300);
    // No manifest beside a table.
    assert!(!dir.path().join("out.manifest.json").exists());
}

#[test]
fn bad_values_and_missing_columns_are_named_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    std::fs::write(
        tmp.join("r.score"),
        "schema {\n  contact {\n    id: text\n    employees: number?\n    country: text\n  }\n}\n\nscore fit {\n  rule \"big\" when employees > 100 => +10\n}\n",
    )
    .unwrap();
    let db = sqlite_db(
        tmp,
        "CREATE TABLE contacts (id TEXT, employees TEXT, country TEXT);
         INSERT INTO contacts VALUES ('c1', '120', 'FR'), ('c2', 'lots', 'DE');
         CREATE TABLE people (id TEXT, employees INTEGER);",
    );
    let run = |table: &str| {
        scoreline(
            &[
                "run",
                "--ruleset",
                "r.score",
                "--contacts",
                &format!("{db}?table={table}"),
            ],
            tmp,
        )
    };
    let o = run("contacts");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("{db}?table=contacts, row 2 (id `c2`), column `employees`: field `employees`: `lots` is not a number\n  help: write numbers with a dot for decimals and no thousands separator, like `1250.5`\nerror: the data has 1 problem; nothing was scored\n  = help: fix the rows above, or pass `--skip-bad-rows FILE` to set them aside and score the rest\n")
    );
    let o = run("people");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!("error: table `people` of `{db}` has no column `country`\n  = help: table `people` has `id`, `employees`\n")
    );
    let o = run("leads");
    assert_eq!(
        stderr(&o),
        format!(
            "error: `{db}` has no table `leads`\n  = help: the database has `contacts`, `people`\n"
        )
    );
    // A server that does not answer: the URL without its password, and what to check.
    let o = scoreline(
        &[
            "run",
            "--ruleset",
            "r.score",
            "--contacts",
            "postgres://ops:hunter2@127.0.0.1:9/crm?table=contacts",
        ],
        tmp,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(!err.contains("hunter2"), "{err}");
    assert!(
        err.starts_with("error: cannot connect to `postgres://ops@127.0.0.1:9/crm`: "),
        "{err}"
    );
}

/// The test server's URL, or `None` (with a message) when there is none to test against.
fn postgres_url() -> Option<String> {
    match std::env::var("SCORELINE_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("SCORELINE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("SCORELINE_REQUIRE_POSTGRES=1 but SCORELINE_TEST_POSTGRES names no server");
            }
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: PostgreSQL end-to-end test (set SCORELINE_TEST_POSTGRES=postgres://USER@HOST:PORT/DB to run it)"
            );
            None
        }
    }
}

#[test]
fn postgres_tables_score_as_the_csv_files_do_and_take_the_outputs_and_history() {
    let Some(base) = postgres_url() else { return };
    // A database of its own, dropped at the end.
    let db = format!("scoreline_e2e_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let (head, _) = base.rsplit_once('/').unwrap();
    let url = format!("{head}/{db}");
    {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(
            "CREATE TABLE contacts (id text, email text, industry text, role text, employees integer, country text, tags text, created_at date);
             CREATE TABLE events (contact_id text, type text, at timestamptz, url text, form text, amount double precision);",
        )
        .unwrap();
        let data = repo().join("rulesets/b2b-leads/data");
        for (table, extra) in [("contacts", ", FORCE_NOT_NULL (tags)"), ("events", "")] {
            use std::io::Write;
            let mut w = c
                .copy_in(&format!(
                    "COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true{extra})"
                ))
                .unwrap();
            w.write_all(&std::fs::read(data.join(format!("{table}.csv"))).unwrap())
                .unwrap();
            w.finish().unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let csv = tmp.join("csv.csv");
    let from_pg = tmp.join("pg.csv");
    let o = scoreline(
        &[
            "run",
            "--project",
            "rulesets/b2b-leads",
            "--out",
            csv.to_str().unwrap(),
        ],
        &repo(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = scoreline(
        &[
            "run",
            "--project",
            "rulesets/b2b-leads",
            "--contacts",
            &format!("{url}?table=contacts"),
            "--events",
            &format!("{url}?query=SELECT * FROM events"),
            "--out",
            from_pg.to_str().unwrap(),
            "--history",
            &url,
        ],
        &repo(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&csv).unwrap(),
        std::fs::read(&from_pg).unwrap()
    );
    // With a password in the URL (the test server trusts its clients and ignores it): it is
    // never printed.
    let with_password = url.replacen("postgres://postgres@", "postgres://postgres:sekret@", 1);
    let o = scoreline(
        &[
            "run",
            "--project",
            "rulesets/b2b-leads",
            "--out",
            &format!("{with_password}?table=scores"),
        ],
        &repo(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("sekret"), "{}", stderr(&o));
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = c
        .query_one("SELECT total, tier FROM scores WHERE id = 'c1'", &[])
        .unwrap();
    assert_eq!(
        (row.get::<_, f64>(0), row.get::<_, String>(1)),
        (25.66, "cold".to_string())
    );
    let o = scoreline(
        &["history", "c1", "--history", &url, "--format", "json"],
        &repo(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["runs"][0]["scores"]["total"], 25.66);
    drop(c);
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
}

#[test]
fn accounts_from_a_table_score_as_the_accounts_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let project = repo().join("rulesets/b2b-accounts");
    let db = tmp.join("crm.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "CREATE TABLE accounts (id TEXT, name TEXT, industry TEXT, employees INTEGER, country TEXT)",
        )
        .unwrap();
        let text = std::fs::read_to_string(project.join("data/accounts.csv")).unwrap();
        for line in text.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            c.execute(
                "INSERT INTO accounts VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    cells[0],
                    cells[1],
                    cells[2],
                    cells[3].parse::<i64>().ok(),
                    cells[4]
                ],
            )
            .unwrap();
        }
    }
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--project", project.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = scoreline(&args, tmp);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let (s1, a1, s2, a2) = (
        tmp.join("s1.csv"),
        tmp.join("a1.csv"),
        tmp.join("s2.csv"),
        tmp.join("a2.csv"),
    );
    run(&[
        "--out",
        s1.to_str().unwrap(),
        "--accounts-out",
        a1.to_str().unwrap(),
    ]);
    let table = format!("sqlite:{}?table=accounts", db.display());
    run(&[
        "--accounts",
        &table,
        "--out",
        s2.to_str().unwrap(),
        "--accounts-out",
        a2.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&s1).unwrap(), std::fs::read(&s2).unwrap());
    assert_eq!(std::fs::read(&a1).unwrap(), std::fs::read(&a2).unwrap());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.join("s2.manifest.json")).unwrap()).unwrap();
    let last = manifest["inputs"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["role"], "accounts");
    assert_eq!(last["path"], table);

    // The history keeps the accounts beside the contacts, in the same run.
    let history = format!("sqlite:{}", tmp.join("history.db").display());
    run(&[
        "--accounts",
        &table,
        "--out",
        s2.to_str().unwrap(),
        "--history",
        &history,
    ]);
    let o = scoreline(
        &[
            "history",
            "northwind",
            "--account",
            "--history",
            &history,
            "--format",
            "json",
        ],
        tmp,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["entity"], "account");
    assert_eq!(json["runs"][0]["run_id"], 1);
    assert_eq!(json["runs"][0]["segments"]["account_tier"], "target");
    let o = scoreline(&["history", "northwind", "--history", &history], tmp);
    assert_eq!(o.status.code(), Some(1), "an account is not a contact");
}
