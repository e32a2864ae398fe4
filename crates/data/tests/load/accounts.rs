//! Accounts (LANGUAGE.md §13): the accounts file in every format, the link column, accounts
//! implied by the links, every bad input at its place, skip-bad-rows, and parallel loading.

use super::*;
use scoreline_data::{AccountOptions, Input};
use scoreline_model::NO_ACCOUNT;

const CONTACTS: &str = "id,email,account_id,engagement\n\
c1,a@acme.com,acme,40\n\
c2,b@acme.com,acme,10\n\
c3,c@globex.com,globex,25\n\
c4,d@gmail.com,,5\n";

const ACCOUNTS_CSV: &str = "id,name,employees\n\
acme,ACME Corp,250\n\
globex,Globex,\n\
initech,Initech,40\n";

/// The account schema of these tests: `name` required, `employees` optional.
fn acct_schema() -> Schema {
    use FieldType::*;
    Schema {
        account: vec![
            field("id", Text, false),
            field("name", Text, false),
            field("employees", Number, true),
        ],
        contact: vec![
            field("id", Text, false),
            field("email", Text, false),
            field("account_id", Text, true),
            field("engagement", Number, true),
        ],
        events: vec![event("demo_request", vec![])],
    }
}

fn with_accounts<'a>(schema: Option<&'a Schema>, accounts: Option<Input<'a>>) -> LoadOptions<'a> {
    LoadOptions {
        schema,
        accounts: AccountOptions {
            input: accounts,
            wanted: true,
            ..AccountOptions::default()
        },
        ..LoadOptions::default()
    }
}

/// Each account's fields, then each contact's account id (`-` for none).
fn accounts(l: &Loaded) -> String {
    let ds = &l.dataset;
    if let Err(e) = ds.validate() {
        panic!("the loaded data breaks the model's invariants: {e}");
    }
    let mut s = String::new();
    for a in &ds.accounts.rows {
        let fields: Vec<String> = ds
            .schema
            .account
            .iter()
            .zip(&a.fields)
            .map(|(f, v)| format!("{}={}", f.name, show(v)))
            .collect();
        s += &format!("{}\n", fields.join(" "));
    }
    for (c, contact) in ds.contacts.iter().enumerate() {
        let account = match ds.accounts.account_of(c) {
            Some(a) => show(&ds.accounts.rows[a].fields[0]),
            None => "-".into(),
        };
        s += &format!("{} -> {account}\n", show(&contact.fields[0]));
    }
    s
}

fn load_acct(
    contacts: &Source,
    accounts: &Source,
    events: &[Source],
    schema: Option<&Schema>,
) -> Result<Loaded, LoadError> {
    load_sources(
        contacts,
        events,
        &with_accounts(schema, Some(Input::File(accounts))),
    )
}

const EXPECTED: &str = "\"acme\" name=\"ACME Corp\" employees=250\n\
\"globex\" name=\"Globex\" employees=-\n\
\"initech\" name=\"Initech\" employees=40\n\
\"c1\" -> \"acme\"\n\
\"c2\" -> \"acme\"\n\
\"c3\" -> \"globex\"\n\
\"c4\" -> -\n";

fn fix(s: &str) -> String {
    // `accounts()` shows `id=` for the first field.
    s.lines()
        .map(|l| {
            if l.contains(" name=") {
                format!("id={l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn the_accounts_file_in_every_format_loads_the_same() {
    let schema = acct_schema();
    let contacts = src("contacts.csv", CONTACTS);
    let files = [
        src("accounts.csv", ACCOUNTS_CSV),
        src(
            "accounts.ndjson",
            "{\"id\": \"acme\", \"name\": \"ACME Corp\", \"employees\": 250}\n\
             {\"id\": \"globex\", \"name\": \"Globex\"}\n\
             \n\
             {\"id\": \"initech\", \"name\": \"Initech\", \"employees\": 40}\n",
        ),
        src(
            "accounts.json",
            "[{\"id\": \"acme\", \"name\": \"ACME Corp\", \"employees\": 250},\n\
             {\"id\": \"globex\", \"name\": \"Globex\", \"employees\": null},\n\
             {\"id\": \"initech\", \"name\": \"Initech\", \"employees\": 40}]\n",
        ),
        src(
            "accounts.yaml",
            "- id: acme\n  name: ACME Corp\n  employees: 250\n\
             - id: globex\n  name: Globex\n\
             - id: initech\n  name: Initech\n  employees: 40\n",
        ),
    ];
    for schema in [Some(&schema), None] {
        for file in &files {
            let l = load_acct(&contacts, file, &[], schema)
                .unwrap_or_else(|e| panic!("{}: {e}", file.name));
            assert_eq!(accounts(&l), fix(EXPECTED), "{}", file.name);
            assert_eq!(l.dataset.schema.account[0].name, "id");
            assert_eq!(
                l.files.last(),
                Some(&FileRows {
                    file: file.name.clone(),
                    rows: 3,
                    skipped: 0
                })
            );
        }
    }
    // Records given as values, as a database or the rule tests give them.
    let records = text_records(
        "accounts",
        "id,name\nacme,ACME Corp\nglobex,Globex\ninitech,Initech\n",
    );
    let contacts_records = text_records(
        "contacts",
        "id,email,account_id\nc1,a@acme.com,acme\nc2,x@y.z,\n",
    );
    // Records name their fields by the schema's names, whatever column `from` names.
    let mut mapped = schema.clone();
    mapped.account[1].column = Some("Company Name".into());
    let l = load_inputs(
        Input::Records(&contacts_records),
        &[],
        &with_accounts(Some(&mapped), Some(Input::Records(&records))),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        accounts(&l),
        "id=\"acme\" name=\"ACME Corp\" employees=-\n\
         id=\"globex\" name=\"Globex\" employees=-\n\
         id=\"initech\" name=\"Initech\" employees=-\n\
         \"c1\" -> \"acme\"\n\
         \"c2\" -> -\n"
    );
}

#[test]
fn inferred_account_fields_and_text_links() {
    // Without a schema, the types come from the accounts file, and links are texts even when
    // they look like numbers.
    let contacts = src("contacts.csv", "id,account_id\nc1,101\nc2,102\nc3,101\n");
    let accounts_file = src(
        "accounts.csv",
        "id,name,employees\n101,Acme,250\n102,Globex,12\n",
    );
    let l = load_acct(&contacts, &accounts_file, &[], None).unwrap();
    let schema = &l.dataset.schema;
    assert_eq!(
        schema_fields(&schema.account),
        "id: text, name: text, employees: number"
    );
    assert_eq!(schema.contact[1].ty, FieldType::Text);
    assert_eq!(l.dataset.accounts.of_contact, vec![0, 1, 0]);
}

fn schema_fields(fields: &[FieldSpec]) -> String {
    fields
        .iter()
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
}

#[test]
fn accounts_are_not_built_unless_wanted() {
    let schema = acct_schema();
    let l = ok(src("contacts.csv", CONTACTS), &[], Some(&schema));
    assert!(l.dataset.accounts.is_empty());
    assert!(l.dataset.schema.account.is_empty());
    assert_eq!(l.files.len(), 1);
}

#[test]
fn without_an_accounts_file_the_links_are_the_accounts() {
    let contacts = src(
        "contacts.csv",
        "id,account_id\nc1,beta\nc2,alpha\nc3,\nc4,beta\nc5,ACME\nc6,acme\n",
    );
    let l = load_sources(&contacts, &[], &with_accounts(None, None)).unwrap();
    assert_eq!(
        accounts(&l),
        "id=\"beta\"\nid=\"alpha\"\nid=\"ACME\"\nid=\"acme\"\n\
         \"c1\" -> \"beta\"\n\"c2\" -> \"alpha\"\n\"c3\" -> -\n\"c4\" -> \"beta\"\n\
         \"c5\" -> \"ACME\"\n\"c6\" -> \"acme\"\n"
    );
    assert_eq!(l.dataset.accounts.of_contact[2], NO_ACCOUNT);
    // A schema's optional account fields are missing; a required one is an error.
    let mut schema = acct_schema();
    schema.account[1].optional = true;
    let contacts = src("contacts.csv", CONTACTS);
    let l = load_sources(&contacts, &[], &with_accounts(Some(&schema), None)).unwrap();
    assert_eq!(
        accounts(&l),
        "id=\"acme\" name=- employees=-\nid=\"globex\" name=- employees=-\n\
         \"c1\" -> \"acme\"\n\"c2\" -> \"acme\"\n\"c3\" -> \"globex\"\n\"c4\" -> -\n"
    );
    let schema = acct_schema();
    let e = load_sources(&contacts, &[], &with_accounts(Some(&schema), None)).unwrap_err();
    assert_eq!(
        lines(&e),
        ["contacts.csv: the schema's account field `name` is required, but there is no accounts file"]
    );
    assert_eq!(
        e.problems[0].help.as_deref(),
        Some("make it optional (`name: text?`), or give the accounts file (`data.accounts` in scoreline.yaml, or `--accounts FILE`)")
    );
}

#[test]
fn a_link_to_an_unknown_account_is_an_error_at_its_cell() {
    let contacts = src(
        "contacts.csv",
        "id,email,account_id\nc1,a@acme.com,acme\nc2,b@acme.com,ACME\nc3,c@x.com,umbrella\n",
    );
    let accounts_file = src("accounts.csv", ACCOUNTS_CSV);
    let schema = acct_schema();
    let e = load_acct(&contacts, &accounts_file, &[], Some(&schema)).unwrap_err();
    assert_eq!(
        lines(&e),
        [
            "contacts.csv:3, column 3 (`account_id`): unknown account `ACME`",
            "contacts.csv:4, column 3 (`account_id`): unknown account `umbrella`",
        ]
    );
    assert_eq!(
        e.problems[0].help.as_deref(),
        Some("did you mean `acme`? Account ids are compared exactly, capitals included")
    );
    assert_eq!(
        e.problems[1].help.as_deref(),
        Some("no account in `accounts.csv` has this id; check the link against the accounts file")
    );
    assert!(e.in_rows);
    // In JSON, at the link's key.
    let contacts = src(
        "contacts.ndjson",
        "{\"id\": \"c1\", \"email\": \"a\", \"account_id\": \"acme\"}\n\
         {\"id\": \"c2\", \"email\": \"b\", \"account_id\": \"nope\"}\n",
    );
    let e = load_acct(&contacts, &accounts_file, &[], Some(&schema)).unwrap_err();
    assert_eq!(lines(&e), ["contacts.ndjson:2:28: unknown account `nope`"]);
    // For records given as values, at the record and field.
    let contacts = text_records("contacts", "id,email,account_id\nc1,a,acme\nc2,b,nope\n");
    let e = load_inputs(
        Input::Records(&contacts),
        &[],
        &with_accounts(Some(&schema), Some(Input::File(&accounts_file))),
    )
    .unwrap_err();
    assert_eq!(
        lines(&e),
        ["contacts, record 2 (`c2`), field `account_id`: unknown account `nope`"]
    );
}

#[test]
fn duplicate_account_ids_and_missing_fields() {
    let contacts = src("contacts.csv", CONTACTS);
    let schema = acct_schema();
    let accounts_file = src(
        "accounts.csv",
        "id,name,employees\nacme,ACME,1\nglobex,,2\nacme,Other,3\n,Nameless,\n",
    );
    let e = load_acct(&contacts, &accounts_file, &[], Some(&schema)).unwrap_err();
    assert_eq!(
        lines(&e),
        [
            "accounts.csv:3, column 2 (`name`): field `name` is missing",
            "accounts.csv:4, column 1 (`id`): duplicate account id `acme`",
            "accounts.csv:5, column 1 (`id`): account without an id (`id` is empty)",
        ]
    );
    assert_eq!(
        e.problems[1].help.as_deref(),
        Some("the id is first used at line 2; each account needs its own id")
    );
    // A required column the header lacks; the id column.
    let e = load_acct(
        &contacts,
        &src("accounts.csv", "id,employees\nacme,1\n"),
        &[],
        Some(&schema),
    )
    .unwrap_err();
    assert_eq!(
        lines(&e),
        ["accounts.csv:1: the header has no `name` column"]
    );
    let e = load_acct(
        &contacts,
        &src("accounts.csv", "ident,name\nacme,A\n"),
        &[],
        None,
    )
    .unwrap_err();
    assert_eq!(lines(&e), ["accounts.csv:1: the header has no `id` column"]);
    // The contacts lack the link column.
    let e = load_acct(
        &src("contacts.csv", "id,email\nc1,a\n"),
        &src("accounts.csv", ACCOUNTS_CSV),
        &[],
        None,
    )
    .unwrap_err();
    assert_eq!(
        lines(&e),
        ["contacts.csv:1: the header has no `account_id` column"]
    );
    let mut schema = acct_schema();
    schema.contact.remove(2);
    let e = load_acct(
        &src("contacts.csv", "id,email\nc1,a\n"),
        &src("accounts.csv", ACCOUNTS_CSV),
        &[],
        Some(&schema),
    )
    .unwrap_err();
    assert_eq!(
        lines(&e),
        ["contacts.csv: the schema has no contact field `account_id`, which links each contact to its account"]
    );
}

#[test]
fn the_link_column_can_be_named() {
    let contacts = src("contacts.csv", "id,company\nc1,acme\nc2,globex\n");
    let accounts_file = src("accounts.csv", ACCOUNTS_CSV);
    let mut opts = with_accounts(None, Some(Input::File(&accounts_file)));
    opts.accounts.link = "company".into();
    let l = load_sources(&contacts, &[], &opts).unwrap();
    assert_eq!(l.dataset.accounts.of_contact, vec![0, 1]);
}

#[test]
fn skip_bad_rows_sets_accounts_aside_with_their_contacts() {
    let schema = acct_schema();
    let contacts = src(
        "contacts.csv",
        "id,email,account_id,engagement\n\
         c1,a@acme.com,acme,40\n\
         c2,b@globex.com,globex,10\n\
         c3,c@x.com,umbrella,1\n\
         c4,d@gmail.com,,5\n",
    );
    let accounts_file = src(
        "accounts.csv",
        "id,name,employees\nacme,ACME,1\nglobex,Globex,many\nacme,Again,2\n",
    );
    let events = src(
        "events.csv",
        "contact_id,type,at\nc1,demo_request,2026-01-01\nc2,demo_request,2026-01-02\n",
    );
    let mut opts = with_accounts(Some(&schema), Some(Input::File(&accounts_file)));
    opts.skip_bad_rows = true;
    let l = load_sources(&contacts, std::slice::from_ref(&events), &opts).unwrap();
    assert_eq!(
        accounts(&l),
        "id=\"acme\" name=\"ACME\" employees=1\n\"c1\" -> \"acme\"\n\"c4\" -> -\n"
    );
    let skipped: Vec<String> = l
        .skipped
        .iter()
        .map(|s| format!("{}:{}: {} | {}", s.file, s.line, s.reason, s.raw))
        .collect();
    assert_eq!(
        skipped,
        [
            "contacts.csv:3: its account `globex` is set aside (field `employees`: `many` is not a number) | c2,b@globex.com,globex,10",
            "contacts.csv:4: unknown account `umbrella` | c3,c@x.com,umbrella,1",
            "accounts.csv:3: field `employees`: `many` is not a number | globex,Globex,many",
            "accounts.csv:4: duplicate account id `acme` | acme,Again,2",
            "events.csv:3: its contact `c2` was set aside: its account `globex` is set aside (field `employees`: `many` is not a number) | c2,demo_request,2026-01-02",
        ]
    );
    assert_eq!(l.dataset.events.at.len(), 1);
    assert_eq!(
        l.files,
        [
            FileRows {
                file: "contacts.csv".into(),
                rows: 4,
                skipped: 2
            },
            FileRows {
                file: "events.csv".into(),
                rows: 2,
                skipped: 1
            },
            FileRows {
                file: "accounts.csv".into(),
                rows: 3,
                skipped: 2
            },
        ]
    );
}

#[test]
fn loading_accounts_does_not_depend_on_threads_or_chunks() {
    let mut contacts = String::from("id,account_id,engagement\n");
    let mut accounts_text = String::from("id,name,employees\n");
    for a in 0..300 {
        accounts_text += &format!("a{a},Account {a},{}\n", a * 7 % 500);
    }
    for c in 0..3000 {
        let link = match c % 11 {
            0 => String::new(),
            k => format!("a{}", (c * k) % 300),
        };
        contacts += &format!("c{c},{link},{}\n", c % 60);
    }
    // Bad lines: an unknown account, a duplicate account.
    contacts += "c9999,zzz,1\n";
    accounts_text += "a5,Again,1\n";
    let c = src("contacts.csv", &contacts);
    let a = src("accounts.csv", &accounts_text);
    let mut reference: Option<(String, Vec<String>, String)> = None;
    for (threads, chunk) in [(1, 1 << 20), (4, 64), (3, 1000), (8, 7)] {
        let run = |skip: bool| {
            let mut opts = with_accounts(None, Some(Input::File(&a)));
            opts.threads = threads;
            opts.chunk_bytes = chunk;
            opts.skip_bad_rows = skip;
            load_sources(&c, &[], &opts)
        };
        let e = run(false).unwrap_err();
        let l = run(true).unwrap();
        let skipped: Vec<String> = l.skipped.iter().map(|s| format!("{s:?}")).collect();
        let got = (lines(&e).join("\n"), skipped, accounts(&l));
        match &reference {
            None => reference = Some(got),
            Some(r) => assert_eq!(&got, r, "threads {threads}, chunks of {chunk} bytes"),
        }
    }
    let (problems, skipped, _) = reference.unwrap();
    assert_eq!(
        problems,
        "contacts.csv:3002, column 2 (`account_id`): unknown account `zzz`\naccounts.csv:302, column 1 (`id`): duplicate account id `a5`"
    );
    assert_eq!(skipped.len(), 2);
}

#[test]
fn load_reads_the_requests_accounts_file() {
    let dir = std::env::temp_dir().join(format!("scoreline-accounts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("contacts.csv"), CONTACTS).unwrap();
    std::fs::write(dir.join("accounts.csv"), ACCOUNTS_CSV).unwrap();
    let schema = acct_schema();
    let mut request = LoadRequest::new(dir.join("contacts.csv"));
    request.accounts = Some(dir.join("accounts.csv"));
    request.options.schema = Some(&schema);
    let l = load(&request).unwrap();
    assert_eq!(accounts(&l), fix(EXPECTED));
    request.accounts = Some(dir.join("missing.csv"));
    let e = load(&request).unwrap_err();
    assert!(
        lines(&e)[0].ends_with("missing.csv: cannot read the file: it does not exist"),
        "{:?}",
        lines(&e)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_example_data_loads_with_its_accounts() {
    // rulesets/b2b-accounts: the schema of its rule file, written here.
    use FieldType::*;
    let schema = Schema {
        account: vec![
            field("id", Text, false),
            field("name", Text, false),
            field("industry", Text, false),
            field("employees", Number, true),
            field("country", Text, true),
        ],
        contact: vec![
            field("id", Text, false),
            field("email", Text, false),
            field("account_id", Text, true),
            field("job_title", Text, true),
        ],
        events: vec![
            event("page_view", vec![field("url", Text, false)]),
            event("webinar", vec![]),
            event("email_click", vec![]),
            event("demo_request", vec![]),
        ],
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rulesets/b2b-accounts/data");
    let mut request = LoadRequest::new(dir.join("contacts.csv"));
    request.events = vec![dir.join("events.csv")];
    request.accounts = Some(dir.join("accounts.csv"));
    request.options.schema = Some(&schema);
    let l = load(&request).unwrap_or_else(|e| panic!("{e}"));
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    let ds = &l.dataset;
    ds.validate().unwrap();
    assert_eq!(ds.accounts.rows.len(), 8);
    assert_eq!(ds.contacts.len(), 30);
    let (start, _) = ds.accounts.members();
    let sizes: Vec<u32> = start.windows(2).map(|w| w[1] - w[0]).collect();
    // Stark Industries (7th) has no contacts; one contact has no account.
    assert_eq!(sizes[6], 0);
    assert_eq!(
        ds.accounts
            .of_contact
            .iter()
            .filter(|&&a| a == NO_ACCOUNT)
            .count(),
        1
    );
}

#[test]
fn accounts_loading_never_panics_on_junk() {
    let alphabet: &[u8] = b"{}[]\",:;\n\r -#'!&*|>ab01.eT:Z\\\t\xff\xc3";
    let schema = acct_schema();
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n.max(1)
    };
    let contacts = src("contacts.csv", CONTACTS);
    for round in 0..200 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            (0..next(160))
                .map(|_| alphabet[next(alphabet.len() as u64) as usize])
                .collect()
        } else {
            let mut b = ACCOUNTS_CSV.as_bytes().to_vec();
            let i = next(b.len() as u64) as usize;
            b[i] = alphabet[next(alphabet.len() as u64) as usize];
            b.truncate(next(b.len() as u64 + 1) as usize);
            b
        };
        for format in [Format::Csv, Format::Ndjson, Format::Json, Format::Yaml] {
            let junk = Source {
                name: "accounts".into(),
                format,
                bytes: bytes.clone(),
            };
            for schema in [None, Some(&schema)] {
                for skip in [false, true] {
                    let mut opts = with_accounts(schema, Some(Input::File(&junk)));
                    opts.skip_bad_rows = skip;
                    opts.threads = 1;
                    opts.chunk_bytes = 32;
                    if let Ok(l) = load_sources(&contacts, &[], &opts) {
                        l.dataset.validate().unwrap();
                    }
                    // The junk as the contacts, with implied accounts.
                    let _ = load_sources(&junk, &[], &with_accounts(schema, None));
                }
            }
        }
    }
}

#[test]
fn account_fields_read_the_columns_the_schema_names() {
    let mut schema = acct_schema();
    schema.account[0].column = Some("Account ID".into());
    schema.account[1].column = Some("Company Name".into());
    let contacts = src("contacts.csv", CONTACTS);
    let file = src(
        "accounts.csv",
        "Account ID,Company Name,employees\nacme,ACME Corp,250\nglobex,Globex,\ninitech,Initech,40\n",
    );
    let l = load_acct(&contacts, &file, &[], Some(&schema)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(accounts(&l), fix(EXPECTED));
    // A header without the id column the schema names.
    let e = load_acct(
        &contacts,
        &src("accounts.csv", ACCOUNTS_CSV),
        &[],
        Some(&schema),
    )
    .unwrap_err();
    assert_eq!(
        lines(&e),
        [
            "accounts.csv:1: the header has no `Account ID` column",
            "accounts.csv:1: the header has no `Company Name` column",
        ]
    );
}
