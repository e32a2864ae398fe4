//! Rule tests with accounts (LANGUAGE.md §13): a case's `accounts:`, expectations under an
//! account id, and every mistake at its line.

use super::*;

/// The mini rule file with accounts in its schema (no account items: the language side
/// adds them; expectations on accounts are then refused with a clear error).
fn rules_with_accounts() -> String {
    RULES.replace(
        "contact { id: text, industry: text, employees: number? }",
        "account { id: text, name: text }\n  contact { id: text, industry: text, employees: number?, account_id: text? }",
    )
}

/// The mini rule file without a schema: the contacts' and accounts' fields are inferred.
const RULES_INFERRED: &str = r#"ruleset mini "Mini"
score fit "Fit" {
  rule "SaaS" when industry == "SaaS" => +30
  rule "Big" when employees >= 100 => +20
}
segment tier {
  "hot" when fit >= 50 => "Call"
  "cold" => "Wait"
}
"#;

fn bad_accounts(body: &str) -> (Output, String) {
    bad_with(RULES_INFERRED, body)
}

fn bad_with(rules: &str, body: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.score", rules);
    write(dir.path(), "bad.test.yaml", &header(body));
    let out = scoreline(&["test", "bad.test.yaml"], dir.path());
    let s = stdout(&out);
    (out, s)
}

#[test]
fn a_case_with_accounts_loads_them_and_still_checks_its_contacts() {
    let (out, text) = bad_accounts(
        r#"  - name: contacts of accounts
    contacts:
      - { id: a, industry: SaaS, employees: 500, account_id: acme }
      - { id: b, industry: Retail }
    accounts:
      - id: acme
        name: ACME Corp
    expect:
      a: { fit: 50, tier: hot }
      b: { fit: 0 }
"#,
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(last_line(&out), "1 passed, 0 failed");
}

#[test]
fn bad_accounts_are_errors_at_their_line() {
    let (out, text) = bad_accounts(
        r#"  - name: bad accounts
    contacts:
      - { id: a, industry: SaaS, account_id: umbrella }
    accounts:
      - name: No id
      - id: acme
        name: ACME
        nmae: typo
        events: []
      - id: acme
        name: Again
      - id: globex
    expect:
      a: { fit: 30 }
"#,
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    for (message, at) in [
        ("error[T0006]: account without an id", "bad.test.yaml:8:9"),
        (
            "error[T0003]: an account has no events of its own",
            "bad.test.yaml:12:9",
        ),
        (
            "error[T0007]: duplicate account id `acme` in case `bad accounts`",
            "bad.test.yaml:13:9",
        ),
    ] {
        assert!(text.contains(message), "{message}\n{text}");
        assert!(text.contains(at), "{at}\n{text}");
    }
}

#[test]
fn account_fields_are_checked_against_the_schema() {
    // The shape is right: the data is checked next (the case is reported again once fixed).
    let (out, text) = bad_with(
        &rules_with_accounts(),
        r#"  - name: bad accounts
    contacts:
      - { id: a, industry: SaaS, account_id: umbrella }
    accounts:
      - id: acme
        name: ACME
        nmae: typo
      - id: globex
    expect:
      a: { fit: 30 }
"#,
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    for (message, at) in [
        (
            "error[T0007]: account field `nmae` is not in the schema",
            "bad.test.yaml:10:9",
        ),
        (
            "error[T0007]: field `name` is missing",
            "bad.test.yaml:11:9",
        ),
        (
            "error[T0007]: unknown account `umbrella`",
            "bad.test.yaml:6:34",
        ),
    ] {
        assert!(text.contains(message), "{message}\n{text}");
        assert!(text.contains(at), "{at}\n{text}");
    }
    assert!(text.contains("did you mean `name`?"), "{text}");
}

#[test]
fn a_link_to_an_account_the_case_lacks_is_an_error_at_the_contact() {
    let (out, text) = bad_accounts(
        r#"  - name: unknown account
    contacts:
      - id: a
        industry: SaaS
        account_id: umbrella
    accounts:
      - { id: acme, name: ACME }
    expect:
      a: { fit: 30 }
"#,
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error[T0007]: unknown account `umbrella`"),
        "{text}"
    );
    assert!(text.contains("bad.test.yaml:8:9"), "{text}");
}

#[test]
fn expectations_under_an_account_id() {
    // An account id (given, or implied by the links) may be expected; one that is also a
    // contact's is ambiguous; account values of a ruleset without account items are refused.
    let (out, text) = bad_accounts(
        r#"  - name: account expectations
    contacts:
      - { id: a, industry: SaaS, account_id: acme }
      - { id: globex, industry: SaaS, account_id: globex }
    expect:
      acme: { buying_group: ">= 60" }
      globex: { fit: 30 }
      acm: { fit: 1 }
"#,
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    for (message, at) in [
        (
            "error[T0005]: `buying_group` is expected of an account, but `rules.score` has no account items",
            "bad.test.yaml:9:15",
        ),
        (
            "error[T0012]: `globex` is both a contact and an account of case `account expectations`",
            "bad.test.yaml:10:7",
        ),
        (
            "error[T0011]: case `account expectations` has no contact `acm`",
            "bad.test.yaml:11:7",
        ),
    ] {
        assert!(text.contains(message), "{message}\n{text}");
        assert!(text.contains(at), "{at}\n{text}");
    }
    assert!(text.contains("did you mean `acme`?"), "{text}");
    // `fired` is for contacts.
    let (_, text) = bad_accounts(
        r#"  - name: fired on an account
    contacts:
      - { id: a, industry: SaaS, account_id: acme }
    accounts:
      - { id: acme, name: ACME }
    expect:
      acme: { fired: [SaaS] }
"#,
    );
    assert!(
        text.contains("error[T0005]: `fired` is expected of contacts, not of accounts"),
        "{text}"
    );
}

#[test]
fn the_link_column_of_a_test_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.score", RULES_INFERRED);
    write(
        dir.path(),
        "t.test.yaml",
        "ruleset: rules.score\nas_of: 2026-11-01\naccount_column: company\ncases:\n  - name: linked by company\n    contacts:\n      - { id: a, industry: SaaS, company: nope }\n    accounts:\n      - { id: acme, name: ACME }\n    expect:\n      a: { fit: 30 }\n",
    );
    let out = scoreline(&["test", "t.test.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("unknown account `nope`"),
        "{}",
        stdout(&out)
    );
}
