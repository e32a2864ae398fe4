//! A test file read into cases: the YAML is parsed, its shape checked, and every part kept
//! with where it is written, so that later errors can point at the line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scoreline_syntax::ast::Span;
use scoreline_syntax::{Diagnostic, SourceFile};
use serde_yaml::Value as Yaml;

use super::locate::{Outline, Step};
use super::{codes, did_you_mean};

/// A test file whose shape is right (what it expects is checked against the ruleset later).
pub(crate) struct TestFile {
    pub source: Arc<SourceFile>,
    /// The rule file, resolved against the test file's folder.
    pub ruleset: PathBuf,
    /// Where `ruleset:` is written.
    pub ruleset_span: Span,
    /// The contact field that links a contact to its account (`account_column:`, default
    /// `account_id`).
    pub account_column: String,
    pub cases: Vec<Case>,
    /// Problems of single cases (the case is then not run); the other cases still run.
    pub case_errors: Vec<(usize, Diagnostic)>,
}

/// One case: contacts, the instant they are scored at, and what must come out.
pub(crate) struct Case {
    pub name: String,
    /// Where the case starts (its first line).
    pub span: Span,
    pub as_of: i64,
    pub contacts: Vec<ContactSpec>,
    /// The case's accounts (LANGUAGE.md §13), written like contacts, without events.
    pub accounts: Vec<ContactSpec>,
    pub expect: Vec<ContactExpect>,
}

/// A contact as written in a case, with the defaults it inherits.
pub(crate) struct ContactSpec {
    pub id: String,
    /// Where the contact's list item starts.
    pub span: Span,
    /// Fields (the id first, then defaults, then the contact's own), each with where it is
    /// written. `events` is kept apart.
    pub fields: Vec<(String, Yaml, Span)>,
    /// The inline `events` value, where `events:` is written, and where each item is.
    pub events: Option<(Yaml, Span, Vec<Span>)>,
}

/// What one contact (or account) of a case must get.
pub(crate) struct ContactExpect {
    pub id: String,
    /// The id is an account's: the expectations are on the account's values.
    pub account: bool,
    /// Each expected output: its key, the value as written, and where the key is.
    pub items: Vec<(String, Yaml, Span)>,
}

const TOP_KEYS: [&str; 5] = ["ruleset", "as_of", "defaults", "cases", "account_column"];
const CASE_KEYS: [&str; 5] = ["name", "contacts", "accounts", "expect", "as_of"];

/// Reads a test file's text. `Err` holds every problem that keeps the whole file from
/// running; problems of single cases are in [`TestFile::case_errors`].
pub(crate) fn read(path: &Path, text: String) -> Result<TestFile, Vec<Diagnostic>> {
    let source = Arc::new(SourceFile::new(path.display().to_string(), text));
    let doc: Yaml = match serde_yaml::from_str(&source.text) {
        Ok(v) => v,
        Err(e) => {
            let outline = Outline::new(&source.text);
            return Err(vec![yaml_error(&source, &outline, &e)]);
        }
    };
    let outline = Outline::new(&source.text);
    let mut r = Reader {
        source: &source,
        outline: &outline,
        errors: Vec::new(),
    };
    let Yaml::Mapping(top) = &doc else {
        let span = Span::new(0, source.text.trim_end().len().min(80));
        return Err(vec![Diagnostic::error(
            &source,
            codes::SHAPE,
            span,
            "a test file is a map with `ruleset`, `as_of` and `cases`",
        )
        .with_help("start from the example in docs/testing.md")]);
    };
    for key in top.keys() {
        let name = key_text(key);
        if !TOP_KEYS.contains(&name.as_str()) {
            r.unknown_key(&[], &name, &TOP_KEYS, "at the top of a test file");
        }
    }

    // ruleset
    let ruleset_span = outline.find_value(&[Step::Key("ruleset")]);
    let ruleset = match top.get("ruleset") {
        Some(Yaml::String(s)) if !s.trim().is_empty() => {
            let base = path.parent().unwrap_or(Path::new(""));
            let raw = base.join(s.trim());
            let tidy = super::tidy(&raw);
            // Shown without `dir/..` pairs, unless a symbolic link makes that another file.
            let same = match (std::fs::canonicalize(&raw), std::fs::canonicalize(&tidy)) {
                (Ok(a), Ok(b)) => a == b,
                (Err(_), Err(_)) => true,
                _ => false,
            };
            Some(if same { tidy } else { raw })
        }
        Some(_) => {
            r.error(
                ruleset_span,
                codes::SHAPE,
                "`ruleset` should be the path of a rule file".into(),
                Some("write it relative to the test file, e.g. `ruleset: ../leads.score`".into()),
            );
            None
        }
        None => {
            r.error(
                Span::new(0, 0),
                codes::SHAPE,
                "the test file does not say which rule file it tests".into(),
                Some(
                    "add `ruleset: ../leads.score` (the path is relative to the test file)".into(),
                ),
            );
            None
        }
    };

    // account_column
    let account_column = match top.get("account_column") {
        None => "account_id".to_string(),
        Some(v) => match scalar_text(v) {
            Some(name) if !name.trim().is_empty() => name.trim().to_string(),
            _ => {
                r.error(
                    outline.find_value(&[Step::Key("account_column")]),
                    codes::SHAPE,
                    "`account_column` should be the name of the contact field that links a contact to its account".into(),
                    Some("write it as `account_column: company_id`".into()),
                );
                "account_id".to_string()
            }
        },
    };

    // as_of
    let as_of = match top.get("as_of") {
        None => None,
        Some(v) => r.as_of(v, &[Step::Key("as_of")]),
    };

    // defaults
    let mut defaults: Vec<(String, Yaml, Span)> = Vec::new();
    match top.get("defaults") {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Mapping(m)) => {
            for (k, v) in m {
                let name = key_text(k);
                let span = outline.find(&[Step::Key("defaults"), Step::Key(&name)]);
                if name == "id" || name == "events" {
                    r.error(
                        span,
                        codes::SHAPE,
                        format!("`{name}` cannot have a default"),
                        Some(format!("give each contact its own `{name}`")),
                    );
                    continue;
                }
                defaults.push((name, v.clone(), span));
            }
        }
        Some(_) => r.error(
            outline.find(&[Step::Key("defaults")]),
            codes::SHAPE,
            "`defaults` should be a map of contact fields".into(),
            Some("write `defaults:` then one `field: value` per line".into()),
        ),
    }

    // cases
    let cases_span = outline.find(&[Step::Key("cases")]);
    let mut cases = Vec::new();
    let mut case_errors = Vec::new();
    match top.get("cases") {
        Some(Yaml::Sequence(items)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let mut cr = Reader {
                    source: &source,
                    outline: &outline,
                    errors: Vec::new(),
                };
                // A case with errors is kept (what could be read of it is still checked
                // against the ruleset, so that every problem shows in one run), not run.
                let case = cr
                    .case(i, item, as_of, &defaults, &account_column)
                    .unwrap_or_else(|| Case {
                        name: case_name(item, i),
                        span: outline.find(&[Step::Key("cases"), Step::Index(i)]),
                        as_of: 0,
                        contacts: Vec::new(),
                        accounts: Vec::new(),
                        expect: Vec::new(),
                    });
                case_errors.extend(cr.errors.into_iter().map(|d| (i, d)));
                cases.push(case);
            }
        }
        Some(Yaml::Sequence(_)) | Some(Yaml::Null) => r.error(
            cases_span,
            codes::NO_EXPECTATIONS,
            "the test file has no cases".into(),
            Some("add at least one case under `cases:` (see docs/testing.md)".into()),
        ),
        Some(_) => r.error(
            cases_span,
            codes::SHAPE,
            "`cases` should be a list of cases".into(),
            Some("start each case with `- name: …`".into()),
        ),
        None => r.error(
            Span::new(0, 0),
            codes::SHAPE,
            "the test file has no `cases`".into(),
            Some("add `cases:` with at least one case (see docs/testing.md)".into()),
        ),
    }
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    Ok(TestFile {
        source: Arc::clone(&source),
        ruleset: ruleset.unwrap_or_default(),
        ruleset_span,
        account_column,
        cases,
        case_errors,
    })
}

/// A serde_yaml error as a diagnostic at its line and column (for a key written twice, at
/// the second one).
fn yaml_error(source: &Arc<SourceFile>, outline: &Outline, e: &serde_yaml::Error) -> Diagnostic {
    let offset = e.location().map_or(0, |l| l.index());
    let offset = offset.min(source.text.len());
    let mut end = offset;
    if let Some(c) = source.text[offset..].chars().next() {
        if c != '\n' {
            end = offset + c.len_utf8();
        }
    }
    let message = e.to_string();
    let message = match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    };
    // `cases[1].expect.c1: duplicate entry with key "fit"`
    if let Some((path, key)) = message
        .split_once(": duplicate entry with key ")
        .map(|(p, k)| (p.to_string(), k.trim_matches('"').to_string()))
    {
        let steps = parse_path(&path);
        let mut span = Span::new(offset, end);
        if let Some(s) = outline.find_last_key(&steps, &key) {
            span = s;
        }
        return Diagnostic::error(
            source,
            codes::YAML,
            span,
            format!("`{key}` is written twice here"),
        )
        .with_help("a key may appear once in a map: keep one of the two");
    }
    Diagnostic::error(
        source,
        codes::YAML,
        Span::new(offset, end),
        format!("this is not valid YAML: {message}"),
    )
    .with_help("check the indentation and the `:` after each key; put bounds in quotes (`\">= 40\"`), and texts that contain `: ` or start with `{`, `[`, `>`, `!`, `*` or `&`")
}

/// `cases[1].expect.c1` as steps.
fn parse_path(path: &str) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (name, rest) = part.split_once('[').unwrap_or((part, ""));
        if !name.is_empty() {
            steps.push(Step::Key(name));
        }
        for index in rest.split('[') {
            if let Ok(n) = index.trim_end_matches(']').parse::<usize>() {
                steps.push(Step::Index(n));
            }
        }
    }
    steps
}

fn case_name(item: &Yaml, i: usize) -> String {
    match item.get("name") {
        Some(Yaml::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => format!("case {}", i + 1),
    }
}

/// A mapping key as text (ids may be written as numbers).
pub(crate) fn key_text(key: &Yaml) -> String {
    scalar_text(key).unwrap_or_else(|| "?".into())
}

/// A scalar as text: strings as they are, numbers and booleans as written.
pub(crate) fn scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Tagged(t) => scalar_text(&t.value),
        _ => None,
    }
}

struct Reader<'a> {
    source: &'a Arc<SourceFile>,
    outline: &'a Outline<'a>,
    errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn error(&mut self, span: Span, code: &'static str, message: String, help: Option<String>) {
        let mut d = Diagnostic::error(self.source, code, span, message);
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.errors.push(d);
    }

    fn unknown_key(&mut self, path: &[Step], name: &str, known: &[&str], place: &str) {
        let mut full = path.to_vec();
        full.push(Step::Key(name));
        let span = self.outline.find(&full);
        let help = did_you_mean(name, known.iter().copied()).unwrap_or_else(|| {
            let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            format!("the keys allowed here are {}", list.join(", "))
        });
        self.error(
            span,
            codes::UNKNOWN_KEY,
            format!("unknown key `{name}` {place}"),
            Some(help),
        );
    }

    fn as_of(&mut self, v: &Yaml, path: &[Step]) -> Option<i64> {
        let span = self.outline.find_value(path);
        let text = scalar_text(v).unwrap_or_default();
        if text.trim().eq_ignore_ascii_case("now") {
            self.error(
                span,
                codes::SHAPE,
                "a test cannot be scored as of `now`".into(),
                Some("fix the date so that the test gives the same result every day, e.g. `as_of: 2026-11-01`".into()),
            );
            return None;
        }
        match scoreline_data::parse_date(text.trim()) {
            Some(ms) => Some(ms),
            None => {
                self.error(
                    span,
                    codes::SHAPE,
                    format!("`{}` is not a valid as-of", text.trim()),
                    Some("use a date such as `2026-11-01` (00:00 UTC) or an RFC 3339 instant such as `2026-11-01T09:30:00Z`".into()),
                );
                None
            }
        }
    }

    fn case(
        &mut self,
        i: usize,
        item: &Yaml,
        file_as_of: Option<i64>,
        defaults: &[(String, Yaml, Span)],
        account_column: &str,
    ) -> Option<Case> {
        let here = [Step::Key("cases"), Step::Index(i)];
        let span = self.outline.find(&here);
        let Yaml::Mapping(map) = item else {
            self.error(
                span,
                codes::SHAPE,
                "a case should be a map with `name`, `contacts` and `expect`".into(),
                Some("start the case with `- name: …`".into()),
            );
            return None;
        };
        for key in map.keys() {
            let name = key_text(key);
            if !CASE_KEYS.contains(&name.as_str()) {
                self.unknown_key(&here, &name, &CASE_KEYS, "in a case");
            }
        }
        let name = match map.get("name") {
            Some(v) => match scalar_text(v) {
                Some(s) if !s.trim().is_empty() => s,
                _ => {
                    let at = self.key_span(&here, "name");
                    self.error(
                        at,
                        codes::SHAPE,
                        "the case's `name` should be a text".into(),
                        Some("say what the case shows, e.g. `name: a CEO who asked for a demo is hot`".into()),
                    );
                    case_name(item, i)
                }
            },
            None => {
                self.error(
                    span,
                    codes::SHAPE,
                    format!("case {} has no `name`", i + 1),
                    Some(
                        "say what the case shows, e.g. `- name: a CEO who asked for a demo is hot`"
                            .into(),
                    ),
                );
                case_name(item, i)
            }
        };
        let as_of = match map.get("as_of") {
            Some(v) => {
                let mut path = here.to_vec();
                path.push(Step::Key("as_of"));
                self.as_of(v, &path)
            }
            None => {
                if file_as_of.is_none() {
                    self.error(
                        span,
                        codes::SHAPE,
                        format!("case `{name}` has no as-of date"),
                        Some(
                            "add `as_of: 2026-11-01` at the top of the file (or in the case)"
                                .into(),
                        ),
                    );
                }
                file_as_of
            }
        };
        let contacts = self.contacts(&here, &name, map.get("contacts"), defaults);
        let accounts = self.accounts(&here, &name, map.get("accounts"));
        let expect = self.expect(
            &here,
            &name,
            map.get("expect"),
            (&contacts, &accounts),
            account_column,
        );
        Some(Case {
            name,
            span,
            as_of: as_of.unwrap_or(0),
            contacts,
            accounts,
            expect,
        })
    }

    fn key_span(&self, path: &[Step], key: &str) -> Span {
        let mut full = path.to_vec();
        full.push(Step::Key(key));
        self.outline.find(&full)
    }

    fn contacts(
        &mut self,
        here: &[Step],
        case: &str,
        value: Option<&Yaml>,
        defaults: &[(String, Yaml, Span)],
    ) -> Vec<ContactSpec> {
        let at = self.key_span(here, "contacts");
        let items = match value {
            Some(Yaml::Sequence(items)) if !items.is_empty() => items,
            Some(Yaml::Sequence(_)) | Some(Yaml::Null) | None => {
                let at = if value.is_some() {
                    at
                } else {
                    self.outline.find(here)
                };
                self.error(
                    at,
                    codes::SHAPE,
                    format!("case `{case}` has no contacts"),
                    Some(
                        "add `contacts:` with at least one contact (`- id: c1` and its fields)"
                            .into(),
                    ),
                );
                return Vec::new();
            }
            Some(_) => {
                self.error(
                    at,
                    codes::SHAPE,
                    "`contacts` should be a list of contacts".into(),
                    Some("start each contact with `- id: …`".into()),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let mut path = here.to_vec();
            path.extend([Step::Key("contacts"), Step::Index(j)]);
            let span = self.outline.find(&path);
            let Yaml::Mapping(map) = item else {
                self.error(
                    span,
                    codes::SHAPE,
                    "a contact should be a map of its fields".into(),
                    Some("write `- id: c1` then one `field: value` per line".into()),
                );
                continue;
            };
            let id = match map.get("id").and_then(scalar_text) {
                Some(id) if !id.trim().is_empty() => id,
                Some(_) => {
                    let at = self.key_span(&path, "id");
                    self.error(
                        at,
                        codes::NO_ID,
                        "contact without an id (`id` is empty)".into(),
                        Some("give every contact an `id`, e.g. `id: c1`".into()),
                    );
                    continue;
                }
                None => {
                    let help = match map.get("id") {
                        Some(_) => "the id is a text or a number, e.g. `id: c1`",
                        None => "give every contact an `id`, e.g. `- id: c1`: the `expect` section refers to it",
                    };
                    self.error(
                        span,
                        codes::NO_ID,
                        "contact without an id".into(),
                        Some(help.into()),
                    );
                    continue;
                }
            };
            let mut fields: Vec<(String, Yaml, Span)> = vec![(
                "id".into(),
                Yaml::String(id.clone()),
                self.key_span(&path, "id"),
            )];
            for (k, v, s) in defaults {
                if !map.contains_key(k.as_str()) {
                    fields.push((k.clone(), v.clone(), *s));
                }
            }
            let mut events = None;
            for (k, v) in map {
                let name = key_text(k);
                if name == "id" {
                    continue;
                }
                let key_span = self.key_span(&path, &name);
                if name == "events" {
                    let count = match v {
                        Yaml::Sequence(items) => items.len(),
                        _ => 0,
                    };
                    let mut ev_path = path.clone();
                    ev_path.push(Step::Key("events"));
                    let spans = (0..count)
                        .map(|n| {
                            let mut p = ev_path.clone();
                            p.push(Step::Index(n));
                            let s = self.outline.find(&p);
                            if s == key_span {
                                // Written as a flow list on the key's line.
                                key_span
                            } else {
                                s
                            }
                        })
                        .collect();
                    events = Some((v.clone(), key_span, spans));
                    continue;
                }
                fields.push((name, v.clone(), key_span));
            }
            if out.iter().any(|c: &ContactSpec| c.id == id) {
                let at = self.key_span(&path, "id");
                self.error(
                    at,
                    codes::DATA,
                    format!("duplicate contact id `{id}` in case `{case}`"),
                    Some("each contact of a case needs its own id".into()),
                );
                continue;
            }
            out.push(ContactSpec {
                id,
                span,
                fields,
                events,
            });
        }
        out
    }

    /// A case's `accounts:`: a list of accounts, each `id` and its fields (no events).
    fn accounts(&mut self, here: &[Step], case: &str, value: Option<&Yaml>) -> Vec<ContactSpec> {
        let at = self.key_span(here, "accounts");
        let items = match value {
            None | Some(Yaml::Null) => return Vec::new(),
            Some(Yaml::Sequence(items)) => items,
            Some(_) => {
                self.error(
                    at,
                    codes::SHAPE,
                    "`accounts` should be a list of accounts".into(),
                    Some("start each account with `- id: …`".into()),
                );
                return Vec::new();
            }
        };
        let mut out: Vec<ContactSpec> = Vec::new();
        for (j, item) in items.iter().enumerate() {
            let mut path = here.to_vec();
            path.extend([Step::Key("accounts"), Step::Index(j)]);
            let span = self.outline.find(&path);
            let Yaml::Mapping(map) = item else {
                self.error(
                    span,
                    codes::SHAPE,
                    "an account should be a map of its fields".into(),
                    Some("write `- id: acme` then one `field: value` per line".into()),
                );
                continue;
            };
            let Some(id) = map
                .get("id")
                .and_then(scalar_text)
                .filter(|id| !id.trim().is_empty())
            else {
                self.error(
                    span,
                    codes::NO_ID,
                    "account without an id".into(),
                    Some("give every account an `id`, e.g. `- id: acme`: contacts link to it by their `account_id`".into()),
                );
                continue;
            };
            let mut fields = vec![(
                "id".to_string(),
                Yaml::String(id.clone()),
                self.key_span(&path, "id"),
            )];
            for (k, v) in map {
                let name = key_text(k);
                if name == "id" {
                    continue;
                }
                let key_span = self.key_span(&path, &name);
                if name == "events" {
                    self.error(
                        key_span,
                        codes::SHAPE,
                        "an account has no events of its own".into(),
                        Some("give the events to the account's contacts: account items see all of them".into()),
                    );
                    continue;
                }
                fields.push((name, v.clone(), key_span));
            }
            if out.iter().any(|a| a.id == id) {
                let at = self.key_span(&path, "id");
                self.error(
                    at,
                    codes::DATA,
                    format!("duplicate account id `{id}` in case `{case}`"),
                    Some("each account of a case needs its own id".into()),
                );
                continue;
            }
            out.push(ContactSpec {
                id,
                span,
                fields,
                events: None,
            });
        }
        out
    }

    fn expect(
        &mut self,
        here: &[Step],
        case: &str,
        value: Option<&Yaml>,
        (contacts, accounts): (&[ContactSpec], &[ContactSpec]),
        account_column: &str,
    ) -> Vec<ContactExpect> {
        let at = self.key_span(here, "expect");
        let map = match value {
            Some(Yaml::Mapping(m)) if !m.is_empty() => m,
            Some(Yaml::Mapping(_)) | Some(Yaml::Null) | None => {
                let at = if value.is_some() {
                    at
                } else {
                    self.outline.find(here)
                };
                self.error(
                    at,
                    codes::NO_EXPECTATIONS,
                    format!("case `{case}` expects nothing"),
                    Some("a case with no expectations would always pass: add `expect:` with a contact id and the scores or segments it must get".into()),
                );
                return Vec::new();
            }
            Some(_) => {
                self.error(
                    at,
                    codes::SHAPE,
                    "`expect` should map contact ids to what they must get".into(),
                    Some("write `expect:`, then `c1:` and `fit: 35` below it".into()),
                );
                return Vec::new();
            }
        };
        let ids: Vec<&str> = contacts.iter().map(|c| c.id.as_str()).collect();
        // The case's accounts: those it gives, else those its contacts' links imply.
        let links: Vec<String> = contacts
            .iter()
            .filter_map(|c| {
                c.fields
                    .iter()
                    .find(|(k, _, _)| k == account_column)
                    .and_then(|(_, v, _)| scalar_text(v))
            })
            .collect();
        let account_ids: Vec<&str> = if accounts.is_empty() {
            links.iter().map(String::as_str).collect()
        } else {
            accounts.iter().map(|a| a.id.as_str()).collect()
        };
        let mut out = Vec::new();
        for (k, v) in map {
            let id = key_text(k);
            let mut path = here.to_vec();
            path.extend([Step::Key("expect"), Step::Key(&id)]);
            let span = self.outline.find(&path);
            let is_account = account_ids.contains(&id.as_str());
            if is_account && ids.contains(&id.as_str()) {
                self.error(
                    span,
                    codes::AMBIGUOUS_ID,
                    format!("`{id}` is both a contact and an account of case `{case}`"),
                    Some("give the contact or the account another id, so that the expectations say which one they are about".into()),
                );
                continue;
            }
            if !is_account && !ids.contains(&id.as_str()) {
                let ids: Vec<&str> = ids.iter().chain(&account_ids).copied().collect();
                let help = did_you_mean(&id, ids.iter().copied()).unwrap_or_else(|| {
                    let list: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
                    format!("the contacts of this case are {}", list.join(", "))
                });
                self.error(
                    span,
                    codes::UNKNOWN_CONTACT,
                    format!("case `{case}` has no contact `{id}`"),
                    Some(help),
                );
                continue;
            }
            let items = match v {
                Yaml::Mapping(m) if !m.is_empty() => m,
                _ => {
                    self.error(
                        span,
                        codes::NO_EXPECTATIONS,
                        format!("nothing is expected of contact `{id}`"),
                        Some(
                            "list the scores or segments it must get below it, e.g. `fit: 35`"
                                .into(),
                        ),
                    );
                    continue;
                }
            };
            let items = items
                .iter()
                .map(|(k, v)| {
                    let key = key_text(k);
                    let mut p = path.clone();
                    p.push(Step::Key(&key));
                    let s = self.outline.find(&p);
                    (key, v.clone(), s)
                })
                .collect();
            out.push(ContactExpect {
                id,
                account: is_account,
                items,
            });
        }
        out
    }
}
