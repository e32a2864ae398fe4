//! Accounts on the command line and in `scoreline.yaml` (LANGUAGE.md §13): the accounts file
//! and the link column reach every load, bad links fail with their place, and the accounts
//! output is refused for a ruleset without account items.

use super::*;

/// The mini project, its contacts linked to accounts (the schema declares the link).
fn accounts_project(dir: &Path) {
    write(
        dir,
        "rules.score",
        &RULES.replace(
            "contact { id: text, industry: text, employees: number? }",
            "contact { id: text, industry: text, employees: number?, account_id: text? }",
        ),
    );
    write(
        dir,
        "contacts.csv",
        "id,industry,employees,account_id\na,SaaS,500,acme\nb,Retail,,\nc,SaaS,50,globex\n",
    );
    write(
        dir,
        "events.csv",
        "contact_id,type,at,url\na,page_view,2026-10-01,/pricing\n",
    );
    write(
        dir,
        "accounts.csv",
        "id,name\nacme,ACME Corp\nglobex,Globex\ninitech,Initech\n",
    );
}

#[test]
fn the_accounts_file_is_read_and_described_in_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    accounts_project(dir);
    let out = run_mini(dir, &["--accounts", "accounts.csv", "--out", "scores.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The contacts' output is unchanged: contact items only.
    let scores = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    assert!(
        scores.starts_with("id,fit,engagement,total,tier,tier_action\n"),
        "{scores}"
    );
    let manifest = read_json(&dir.join("scores.manifest.json"));
    assert_eq!(
        manifest["inputs"][2],
        serde_json::json!({"role": "accounts", "path": "accounts.csv", "sha256": sha256_of(&dir.join("accounts.csv")), "rows": 3, "skipped": 0})
    );
}

#[test]
fn a_link_to_an_unknown_account_fails_at_its_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    accounts_project(dir);
    write(
        dir,
        "contacts.csv",
        "id,industry,employees,account_id\na,SaaS,500,acme\nb,Retail,,ACME\n",
    );
    let out = run_mini(dir, &["--accounts", "accounts.csv", "--out", "scores.csv"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("contacts.csv:3, column 4 (`account_id`): unknown account `ACME`"),
        "{err}"
    );
    assert!(
        err.contains("did you mean `acme`? Account ids are compared exactly, capitals included"),
        "{err}"
    );
    assert!(!dir.join("scores.csv").exists(), "nothing is written");
    // Set aside with `--skip-bad-rows`, and the rest scored.
    let out = run_mini(
        dir,
        &[
            "--accounts",
            "accounts.csv",
            "--out",
            "scores.csv",
            "--skip-bad-rows",
            "bad.csv",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let bad = std::fs::read_to_string(dir.join("bad.csv")).unwrap();
    assert!(bad.contains("unknown account `ACME`"), "{bad}");
    let scores = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    assert_eq!(scores.lines().count(), 2, "{scores}");
}

#[test]
fn a_duplicate_account_id_fails_at_its_second_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    accounts_project(dir);
    write(
        dir,
        "accounts.csv",
        "id,name\nacme,ACME\nglobex,G\nacme,Again\n",
    );
    let out = run_mini(dir, &["--accounts", "accounts.csv"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("accounts.csv:4, column 1 (`id`): duplicate account id `acme`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_link_column_can_be_named_by_flag_or_project() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    accounts_project(dir);
    write(
        dir,
        "rules.score",
        &RULES.replace(
            "contact { id: text, industry: text, employees: number? }",
            "contact { id: text, industry: text, employees: number?, company: text? }",
        ),
    );
    write(
        dir,
        "contacts.csv",
        "id,industry,employees,company\na,SaaS,500,acme\nb,Retail,,nope\n",
    );
    // Without the setting, the schema has no `account_id`.
    let out = run_mini(dir, &["--accounts", "accounts.csv"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "the schema has no contact field `account_id`, which links each contact to its account"
        ),
        "{}",
        stderr(&out)
    );
    let out = run_mini(
        dir,
        &["--accounts", "accounts.csv", "--account-column", "company"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("contacts.csv:3, column 4 (`company`): unknown account `nope`"),
        "{}",
        stderr(&out)
    );
    // The same from `scoreline.yaml`.
    write(
        dir,
        "scoreline.yaml",
        "ruleset: rules.score\ndata:\n  contacts: contacts.csv\n  events: events.csv\n  accounts: accounts.csv\n  account_column: company\nas_of: 2026-11-01\n",
    );
    let out = scoreline(&["run"], dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown account `nope`"),
        "{}",
        stderr(&out)
    );
    // And `check --data` reads them too.
    let out = scoreline(&["check", "--data"], dir);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("unknown account `nope`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_accounts_output_needs_account_items() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    accounts_project(dir);
    let out = run_mini(
        dir,
        &[
            "--accounts",
            "accounts.csv",
            "--accounts-out",
            "accounts-out.csv",
            "--out",
            "scores.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("accounts.csv:1:2: column `name` is not in the schema and is ignored\n  help: declare it in the `account` block of the ruleset's `schema` to use it\n"), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).lines().skip(2).collect::<Vec<_>>().join("\n"),
        "error: `--accounts-out accounts-out.csv` asks for the accounts' scores, but the ruleset has no account items\n  = help: add `account score` or `account segment` items to the rule file (docs/language.md, \"Accounts\"), or leave out `--accounts-out`"
    );
    assert!(!dir.join("scores.csv").exists());
    // In `scoreline.yaml`, a warning: the scores are written, the accounts file is not.
    write(
        dir,
        "scoreline.yaml",
        "ruleset: rules.score\ndata:\n  contacts: contacts.csv\n  events: events.csv\n  accounts: accounts.csv\nas_of: 2026-11-01\noutput:\n  scores: scores.csv\n  accounts: accounts-out.csv\n",
    );
    let out = scoreline(&["run"], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: `output.accounts` names `accounts-out.csv`, but the ruleset has no account items: it is not written"),
        "{}",
        stderr(&out)
    );
    assert!(dir.join("scores.csv").exists());
    assert!(!dir.join("accounts-out.csv").exists());
}

#[test]
fn the_accounts_flags_are_on_every_command_that_reads_data() {
    for command in [
        "run", "explain", "watch", "evaluate", "diff", "check", "fit",
    ] {
        let out = scoreline(&[command, "--help"], Path::new("."));
        let help = stdout(&out);
        assert!(help.contains("--accounts <FILE>"), "{command}: {help}");
        assert!(
            help.contains("--account-column <NAME>"),
            "{command}: {help}"
        );
    }
    for command in ["run", "watch"] {
        let help = stdout(&scoreline(&[command, "--help"], Path::new(".")));
        assert!(help.contains("--accounts-out <FILE>"), "{command}: {help}");
    }
}

/// The mini project with account items: a buying group from the contacts' fit and the
/// accounts' events, an account tier, and a contact segment reading it.
fn account_items_project(dir: &Path) {
    accounts_project(dir);
    let rules = std::fs::read_to_string(dir.join("rules.score")).unwrap();
    let rules = rules.replace("schema {", "schema {\n  account { id: text, name: text }")
        + r#"
account score group {
  rule "Fit people" when count(contacts where fit >= 10) >= 1 => +10
  each page_view => +5 max 10
}
account segment account_tier {
  "target" when group >= 15 => "Assign an AE"
  "watch"
}
segment route {
  "AE" when account.account_tier == "target"
  "nurture"
}
"#;
    write(dir, "rules.score", &rules);
}

#[test]
fn account_items_are_scored_written_and_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    account_items_project(dir);
    for (name, expected) in [
        (
            "accounts.csv.out",
            "id,group,account_tier,account_tier_action\nacme,15,target,Assign an AE\nglobex,10,watch,\ninitech,0,watch,\n",
        ),
        (
            "accounts.ndjson",
            "{\"id\":\"acme\",\"group\":15,\"account_tier\":\"target\",\"account_tier_action\":\"Assign an AE\"",
        ),
    ] {
        let out = run_mini(
            dir,
            &[
                "--accounts",
                "accounts.csv",
                "--out",
                "scores.csv",
                "--accounts-out",
                name,
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let written = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(written.starts_with(expected), "{name}:\n{written}");
        assert!(
            stderr(&out).contains("scored 3 accounts"),
            "{}",
            stderr(&out)
        );
    }
    // The contacts' output is unchanged but for the contact segment reading the account's.
    let scores = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    let routes: Vec<&str> = scores
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(routes, ["AE", "nurture", "nurture"], "{scores}");
    // explain --account names the contact that made the rule fire.
    let out = scoreline(
        &[
            "explain",
            "--account",
            "acme",
            "--ruleset",
            "rules.score",
            "--contacts",
            "contacts.csv",
            "--events",
            "events.csv",
            "--accounts",
            "accounts.csv",
            "--as-of",
            "2026-11-01",
        ],
        dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("account acme"), "{text}");
    assert!(
        text.contains("count(contacts where fit >= 10) = 1 (from a)"),
        "{text}"
    );
    // No account item of that id: did you mean.
    let out = scoreline(
        &[
            "explain",
            "--account",
            "acmee",
            "--ruleset",
            "rules.score",
            "--contacts",
            "contacts.csv",
            "--accounts",
            "accounts.csv",
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no account with id `acmee`")
            && stderr(&out).contains("did you mean `acme`?"),
        "{}",
        stderr(&out)
    );
}
