//! Data quality (`scoreline check --data`): the data read against the rule file, without
//! scoring. One pass over the loaded data counts, for every field and property the rules
//! read, how often it is present and which values it takes ([`profile`]); the findings
//! compare those counts with what the rules read ([`reads`]): case and blank variants, text
//! literals that never or rarely occur, contacts sharing an e-mail, numbers outside their
//! usual range, events after as-of, event types no rule reads and contacts without events.
//! Each finding names a file, an example line ([`locate`]) and the rules it affects.

pub mod locate;
pub mod profile;
pub mod reads;
pub mod render;

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;
use scoreline_data::{format_date, format_number, Dataset, FieldType, Value};
use serde::Serialize;

use profile::{normalize, Column, Profile, Targets};
use reads::{Literal, Op, Reads, Subject, Transform};

/// A literal is "rare" below this share of the values present (and when near values
/// outnumber it).
const RARE_SHARE: f64 = 0.01;
/// Negative numbers (or zeros) are unusual when at most this share of the values are.
const ODD_SHARE: f64 = 0.01;
/// The fences of the usual range: this many interquartile ranges beyond the quartiles.
const FENCE: f64 = 3.0;
/// Fewer values than this and no usual range is computed.
const MIN_VALUES_FOR_RANGE: usize = 20;
/// Near values by spelling are looked for when a field has at most this many distinct values.
const MAX_DISTINCT_FOR_SPELLING: usize = 10_000;
/// At most this many values are listed in a finding.
const MAX_VALUES: usize = 5;

/// The checked data: the profile of every field the rules read, and the findings.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The ruleset's name and version (a hash of its files).
    pub ruleset: String,
    pub version: String,
    /// The as-of, as given.
    pub as_of: String,
    /// The data files and their records.
    pub files: Vec<DataFile>,
    /// The fields and properties the rules read.
    pub fields: Vec<FieldProfile>,
    pub findings: Vec<Finding>,
    /// How many findings are warnings and how many are notes.
    pub warnings: usize,
    pub notes: usize,
}

/// A data file read.
#[derive(Debug, Clone, Serialize)]
pub struct DataFile {
    pub file: String,
    /// `contacts` or `events`.
    pub table: &'static str,
    pub rows: usize,
}

/// A field or property the rules read, as the data has it.
#[derive(Debug, Clone, Serialize)]
pub struct FieldProfile {
    /// `contacts` or `events`.
    pub table: &'static str,
    /// For a property, its event type.
    pub event_type: Option<String>,
    pub field: String,
    /// `text`, `number`, `bool`, `date` or `list`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// Contacts (or events of the type), and how many have a value.
    pub rows: u64,
    pub present: u64,
    /// `present / rows`, rounded to 4 decimals (1 when there are no rows).
    pub share_present: f64,
    /// Distinct values (for a list, distinct items).
    pub distinct: u64,
    /// The rules that read it.
    pub rules: Vec<String>,
}

/// How serious a finding is: warnings fail `--deny-warnings`, notes do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Note,
}

/// A value and how many records have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueCount {
    pub value: String,
    pub count: u64,
}

/// Where a finding can be seen in the data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Example {
    pub file: String,
    /// The 1-based line, when it was found.
    pub line: Option<usize>,
    /// The line's text.
    pub text: Option<String>,
    /// The contact concerned.
    pub contact: Option<String>,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// What was found: `variants`, `absent_literal`, `rare_literal`, `duplicate_contacts`,
    /// `negative_numbers`, `zero_numbers`, `unusual_numbers`, `events_after_as_of`,
    /// `unread_event_type` or `contacts_without_events`.
    pub kind: &'static str,
    pub severity: Severity,
    /// One sentence, user words in backticks.
    pub message: String,
    /// What to do.
    pub help: Option<String>,
    /// `contacts` or `events`.
    pub table: &'static str,
    pub event_type: Option<String>,
    pub field: Option<String>,
    /// For literals: the literal (for `matches`, the pattern) and the operator.
    pub literal: Option<String>,
    pub operator: Option<&'static str>,
    /// The records concerned.
    pub count: u64,
    /// Values involved: near values of a literal, shared e-mails, the values outside the
    /// usual range (most frequent first).
    pub values: Vec<ValueCount>,
    /// For variants: each group of values that differ only by case or blanks.
    pub groups: Vec<Vec<ValueCount>>,
    /// For numbers: the usual range `[low, high]`.
    pub usual_range: Option<[f64; 2]>,
    pub example: Option<Example>,
    /// The rules it affects.
    pub rules: Vec<String>,
}

impl Finding {
    fn new(kind: &'static str, severity: Severity, table: &'static str, message: String) -> Self {
        Finding {
            kind,
            severity,
            message,
            help: None,
            table,
            event_type: None,
            field: None,
            literal: None,
            operator: None,
            count: 0,
            values: Vec::new(),
            groups: Vec::new(),
            usual_range: None,
            example: None,
            rules: Vec::new(),
        }
    }
}

/// The inputs of a check beside the data: the ruleset's reads and names.
pub struct Context<'a> {
    pub ruleset: String,
    pub version: String,
    pub as_of_text: String,
    pub as_of: i64,
    pub reads: &'a Reads,
    pub contacts_file: String,
    pub events_files: Vec<String>,
    /// Records per data file, contacts first.
    pub files: Vec<(String, usize)>,
}

/// A record where a finding can be seen, to be located in its file.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub finding: usize,
    pub contact: usize,
    /// The event type, for an event.
    pub event_type: Option<String>,
    /// Texts the line must hold besides the contact's id.
    pub needles: Vec<String>,
    /// A date (`YYYY-MM-DD`) the line must hold, at the start of a cell.
    pub date: Option<String>,
}

/// Numbers found odd: the finding's kind, how many, the message, and which values.
type OddNumbers = (&'static str, u64, String, Box<dyn Fn(f64) -> bool + Sync>);

/// One column counted: a contact field or an event property.
struct Target {
    table: &'static str,
    event_type: Option<usize>,
    field: String,
    index: usize,
    ty: FieldType,
    rules: BTreeSet<String>,
}

/// Reads the rule file and the data of `settings` and checks the data: the report, and the
/// rule file's and the data's warnings (rendered, maybe empty). A rule file or data that
/// fails gives the same failure as `run`.
pub fn check_data(
    settings: &crate::pipeline::Settings,
) -> Result<(Report, String), crate::pipeline::Failure> {
    use crate::pipeline::{load_data, load_ruleset};
    let (ruleset, rule_warnings) = load_ruleset(settings)?;
    let reads = Reads::of(&ruleset.checked.typed, &ruleset.ast, &ruleset.source);
    let (loaded, _, data_warnings) = load_data(settings, ruleset.schema())?;
    if let Some(path) = &settings.skip_bad_rows {
        scoreline_data::write_skipped(path, &loaded.skipped).map_err(|e| {
            crate::pipeline::Failure {
                code: crate::EXIT_ERRORS,
                report: format!(
                    "error: cannot write `{}`: {}",
                    path.display(),
                    crate::sources::io_reason(&e)
                ),
                diagnostics: Vec::new(),
            }
        })?;
    }
    let name = ruleset.checked.typed.ruleset.clone().unwrap_or_else(|| {
        ruleset
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let display = |p: &std::path::PathBuf| p.display().to_string();
    let cx = Context {
        ruleset: name,
        version: ruleset.version.clone(),
        as_of_text: settings.as_of_text.clone(),
        as_of: settings.as_of_millis,
        reads: &reads,
        contacts_file: display(&settings.contacts),
        events_files: settings.events.iter().map(display).collect(),
        files: loaded
            .files
            .iter()
            .map(|f| (f.file.clone(), f.rows))
            .collect(),
    };
    let data = &loaded.dataset;
    let run = || {
        let (mut report, lookups) = check(data, &cx);
        locate::locate(
            &mut report,
            &lookups,
            &|c| data.contacts[c].id().to_string(),
            &settings.contacts,
            &settings.events,
        );
        report
    };
    // `--threads 1` counts on one thread too (the counts are the same either way).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads.unwrap_or(0))
        .build();
    let report = match pool {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    let warnings: Vec<String> = [rule_warnings, data_warnings]
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect();
    Ok((report, warnings.join("\n")))
}

/// Checks the data against what the rules read. The lookups locate each finding's example
/// ([`locate::locate`]).
pub fn check(data: &Dataset, cx: &Context) -> (Report, Vec<Lookup>) {
    let schema = &data.schema;
    let mut targets: Vec<Target> = Vec::new();
    for (name, rules) in &cx.reads.fields {
        let Some(index) = schema.contact_field(name) else {
            continue;
        };
        // A bare name in a filter of a file without a schema is a field only when the
        // events lack such a property.
        let only_as_property = cx.reads.properties.keys().any(|(_, p)| p == name)
            && schema
                .events
                .iter()
                .any(|e| e.fields.iter().any(|f| &f.name == name));
        if only_as_property
            && !cx
                .reads
                .literals
                .iter()
                .any(|l| l.subject == Subject::Field(name.clone()))
        {
            continue;
        }
        targets.push(Target {
            table: "contacts",
            event_type: None,
            field: name.clone(),
            index,
            ty: schema.contact[index].ty,
            rules: rules.clone(),
        });
    }
    targets.sort_by_key(|t| t.index);
    let mut props: Vec<Target> = Vec::new();
    for ((event, name), rules) in &cx.reads.properties {
        for (t, spec) in schema.events.iter().enumerate() {
            if event.as_ref().is_some_and(|e| *e != spec.name) {
                continue;
            }
            let Some(index) = spec.fields.iter().position(|f| &f.name == name) else {
                continue;
            };
            match props
                .iter_mut()
                .find(|p| p.event_type == Some(t) && p.index == index)
            {
                Some(p) => p.rules.extend(rules.iter().cloned()),
                None => props.push(Target {
                    table: "events",
                    event_type: Some(t),
                    field: name.clone(),
                    index,
                    ty: spec.fields[index].ty,
                    rules: rules.clone(),
                }),
            }
        }
    }
    props.sort_by_key(|p| (p.event_type, p.index));
    let email = schema.contact.iter().position(|f| {
        f.ty == FieldType::Text
            && matches!(
                f.name.to_ascii_lowercase().as_str(),
                "email" | "e_mail" | "e-mail" | "mail" | "email_address"
            )
    });
    let counted = Targets {
        contact: targets.iter().map(|t| t.index).collect(),
        email,
        props: props
            .iter()
            .map(|p| (p.event_type.unwrap_or(0), p.index))
            .collect(),
    };
    let profile = Profile::count(data, &counted, cx.as_of);
    let columns: Vec<(&Target, &Column)> = targets
        .iter()
        .zip(&profile.contact)
        .chain(props.iter().zip(&profile.props))
        .collect();
    let event_name = |t: Option<usize>| t.map(|t| schema.events[t].name.clone());

    let fields = columns
        .iter()
        .map(|(t, c)| FieldProfile {
            table: t.table,
            event_type: event_name(t.event_type),
            field: t.field.clone(),
            ty: t.ty.name(),
            rows: c.rows,
            present: c.present,
            share_present: if c.rows == 0 {
                1.0
            } else {
                (c.present as f64 / c.rows as f64 * 10_000.0).round() / 10_000.0
            },
            distinct: c.distinct(),
            rules: t.rules.iter().cloned().collect(),
        })
        .collect();

    let mut findings: Vec<Finding> = Vec::new();
    let mut lookups: Vec<Lookup> = Vec::new();
    let id = |c: usize| data.contacts[c].id().to_string();

    // Contacts sharing an e-mail.
    if let Some(email_field) = email {
        if !profile.emails.is_empty() {
            let mut shared: Vec<_> = profile.emails.iter().collect();
            shared.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.1.first.cmp(&b.1.first)));
            let extra: u64 = shared.iter().map(|(_, s)| u64::from(s.count - 1)).sum();
            let first = shared.iter().min_by_key(|(_, s)| s.first).map(|(_, s)| *s);
            let name = &schema.contact[email_field].name;
            let mut f = Finding::new(
                "duplicate_contacts",
                Severity::Warning,
                "contacts",
                format!(
                    "{} share their `{name}` with another contact (case and blanks aside)",
                    count_of(extra + shared.len() as u64, "contact", "contacts")
                ),
            );
            f.help = Some("merge the duplicates in the CRM: each copy is scored on its own".into());
            f.field = Some(name.clone());
            f.count = extra + shared.len() as u64;
            f.values = shared
                .iter()
                .take(MAX_VALUES)
                .map(|(k, s)| ValueCount {
                    value: k.to_string(),
                    count: u64::from(s.count),
                })
                .collect();
            f.rules = cx
                .reads
                .fields
                .get(name)
                .map(|r| r.iter().cloned().collect())
                .unwrap_or_default();
            if let Some(s) = first {
                lookups.push(Lookup {
                    finding: findings.len(),
                    contact: s.second as usize,
                    event_type: None,
                    needles: Vec::new(),
                    date: None,
                });
            }
            findings.push(f);
        }
    }

    // Values that differ only by case or surrounding blanks.
    for (t, c) in &columns {
        // E-mails that differ by case are reported as contacts sharing an e-mail.
        let is_email = t.table == "contacts" && Some(t.index) == email;
        if !matches!(t.ty, FieldType::Text | FieldType::List) || is_email {
            continue;
        }
        let mut groups: HashMap<std::borrow::Cow<str>, Vec<ValueCount>> = HashMap::new();
        for (v, n) in &c.texts {
            groups.entry(normalize(v)).or_default().push(ValueCount {
                value: v.to_string(),
                count: *n,
            });
        }
        let mut groups: Vec<Vec<ValueCount>> =
            groups.into_values().filter(|g| g.len() > 1).collect();
        if groups.is_empty() {
            continue;
        }
        for g in &mut groups {
            sort_counts(g);
        }
        groups.sort_by(|a, b| {
            total(b)
                .cmp(&total(a))
                .then_with(|| a[0].value.cmp(&b[0].value))
        });
        let odd: u64 = groups.iter().map(|g| total(g) - g[0].count).sum();
        let shown: Vec<String> = groups[0]
            .iter()
            .map(|v| format!("`{}` ({})", visible(&v.value), thousands(v.count)))
            .collect();
        let more = if groups.len() > 1 {
            format!(
                " and {}",
                count_of(groups.len() as u64 - 1, "more group", "more groups")
            )
        } else {
            String::new()
        };
        let mut f = Finding::new(
            "variants",
            Severity::Warning,
            t.table,
            format!(
                "{} has values that differ only by case or blanks: {}{more}",
                subject_words(t, &event_name),
                shown.join(", ")
            ),
        );
        f.help = Some(format!(
            "clean the values in the CRM, or compare `lower({})` with a lower-case text",
            t.field
        ));
        f.event_type = event_name(t.event_type);
        f.field = Some(t.field.clone());
        f.count = odd;
        // The example: a record with the least common spelling of the largest group.
        let odd_value = groups[0]
            .last()
            .map(|v| v.value.clone())
            .unwrap_or_default();
        groups.truncate(MAX_VALUES * 2);
        f.groups = groups;
        f.rules = t.rules.iter().cloned().collect();
        if let Some(at) = first_with(data, t, |v| has_text(v, &odd_value)) {
            lookups.push(lookup(findings.len(), at, t, &event_name, vec![odd_value]));
        }
        findings.push(f);
    }

    // Literals that never or rarely occur.
    for literal in &cx.reads.literals {
        let matching: Vec<&(&Target, &Column)> = columns
            .iter()
            .filter(|(t, _)| covers(literal, t, &event_name))
            .collect();
        if matching.is_empty() {
            continue;
        }
        let mut present = 0;
        let mut matched = 0;
        let mut near: Vec<ValueCount> = Vec::new();
        for (_, c) in &matching {
            present += c.present;
            let (m, n) = literal_counts(literal, c);
            matched += m;
            for v in n {
                match near.iter_mut().find(|x| x.value == v.value) {
                    Some(x) => x.count += v.count,
                    None => near.push(v),
                }
            }
        }
        sort_counts(&mut near);
        let near_total = total(&near);
        let rare =
            matched > 0 && (matched as f64) < RARE_SHARE * present as f64 && near_total > matched;
        if matched > 0 && !rare {
            continue;
        }
        let (t0, _) = matching[0];
        let records = if t0.table == "contacts" {
            "contacts".to_string()
        } else if matching.len() == 1 {
            format!("`{}` events", event_name(t0.event_type).unwrap_or_default())
        } else {
            "events".to_string()
        };
        let expr = literal_words(literal);
        let message = if matched == 0 {
            format!(
                "`{expr}` matches no {records} ({} with a value)",
                thousands(present)
            )
        } else {
            format!(
                "`{expr}` matches only {} of {} {records} with a value",
                thousands(matched),
                thousands(present)
            )
        };
        let mut f = Finding::new(
            if matched == 0 {
                "absent_literal"
            } else {
                "rare_literal"
            },
            Severity::Warning,
            t0.table,
            message,
        );
        f.help = Some(if near.is_empty() {
            "check the text in the rule against the values of the data".to_string()
        } else {
            let shown: Vec<String> = near
                .iter()
                .take(MAX_VALUES)
                .map(|v| format!("`{}` ({})", visible(&v.value), thousands(v.count)))
                .collect();
            format!(
                "the data has {}: fix the rule, or the data if the CRM changed how it writes it",
                shown.join(", ")
            )
        });
        f.event_type = (matching.len() == 1)
            .then(|| event_name(t0.event_type))
            .flatten();
        f.field = Some(t0.field.clone());
        f.literal = Some(literal.text.clone());
        f.operator = Some(literal.op.symbol());
        f.count = matched;
        f.values = near.iter().take(MAX_VALUES).cloned().collect();
        f.rules = literal.rules.clone();
        let example = near.first().and_then(|v| {
            matching
                .iter()
                .find_map(|(t, c)| c.texts.contains_key(v.value.as_str()).then_some(*t))
                .and_then(|t| {
                    first_with(data, t, |x| has_text(x, &v.value))
                        .map(|at| lookup(findings.len(), at, t, &event_name, vec![v.value.clone()]))
                })
        });
        lookups.extend(example);
        findings.push(f);
    }

    // Numbers outside their usual range.
    for (t, c) in &columns {
        if t.ty != FieldType::Number || c.numbers.is_empty() {
            continue;
        }
        let n = c.numbers.len() as u64;
        let negative = c.numbers.iter().take_while(|v| **v < 0.0).count() as u64;
        let zero = c.numbers.iter().filter(|v| **v == 0.0).count() as u64;
        let what = subject_words(t, &event_name);
        let records = if t.table == "contacts" {
            "contacts".to_string()
        } else {
            format!("`{}` events", event_name(t.event_type).unwrap_or_default())
        };
        let range = usual_range(&c.numbers, negative + zero);
        let mut odd: Vec<OddNumbers> = Vec::new();
        if negative > 0 && negative as f64 <= ODD_SHARE * n as f64 {
            odd.push((
                "negative_numbers",
                negative,
                format!(
                    "{what} is negative for {} of {} {records} with a value",
                    thousands(negative),
                    thousands(n)
                ),
                Box::new(|v| v < 0.0),
            ));
        }
        if zero > 0 && negative == 0 && zero as f64 <= ODD_SHARE * n as f64 {
            odd.push((
                "zero_numbers",
                zero,
                format!(
                    "{what} is 0 for {} of {} {records} with a value",
                    thousands(zero),
                    thousands(n)
                ),
                Box::new(|v| v == 0.0),
            ));
        }
        if let Some(([low, high], log)) = range {
            let unusual = move |v: f64| (!log || v > 0.0) && (v < low || v > high);
            let outside = c.numbers.iter().filter(|v| unusual(**v)).count() as u64;
            if outside > 0 {
                odd.push((
                    "unusual_numbers",
                    outside,
                    format!(
                        "{what} lies outside its usual range ({} to {}) for {} of {} {records} with a value",
                        format_number(low),
                        format_number(high),
                        thousands(outside),
                        thousands(n)
                    ),
                    Box::new(unusual),
                ));
            }
        }
        let range = range.map(|(r, _)| r);
        for (kind, count, message, test) in odd {
            let mut f = Finding::new(kind, Severity::Warning, t.table, message);
            f.help = Some("check these values in the CRM: the rules read them as they are".into());
            f.event_type = event_name(t.event_type);
            f.field = Some(t.field.clone());
            f.count = count;
            f.usual_range = range;
            let mut values: Vec<ValueCount> = Vec::new();
            for v in c.numbers.iter().filter(|v| test(**v)) {
                let text = format_number(*v);
                match values.last_mut() {
                    Some(last) if last.value == text => last.count += 1,
                    _ => values.push(ValueCount {
                        value: text,
                        count: 1,
                    }),
                }
            }
            sort_counts(&mut values);
            values.truncate(MAX_VALUES);
            f.values = values;
            f.rules = t.rules.iter().cloned().collect();
            if let Some(at) = first_with(data, t, |v| matches!(v, Value::Number(x) if test(*x))) {
                lookups.push(lookup(findings.len(), at, t, &event_name, Vec::new()));
            }
            findings.push(f);
        }
    }

    // Events after as-of.
    if let Some((c, e)) = profile.after_as_of.first {
        let count = profile.after_as_of.count;
        let mut f = Finding::new(
            "events_after_as_of",
            Severity::Warning,
            "events",
            format!(
                "{} dated after the as-of ({}): no rule sees {}",
                count_of(count, "event is", "events are"),
                cx.as_of_text,
                if count == 1 { "it" } else { "them" }
            ),
        );
        f.help =
            Some("check the export's time stamps and time zone, or pass a later `--as-of`".into());
        f.count = count;
        // The rules that would read those events: those naming their types, and `any`.
        let mut rules: BTreeSet<String> = cx.reads.any_rules.clone();
        for (t, n) in profile.after_as_of_per_type.iter().enumerate() {
            if let (true, Some(r)) = (*n > 0, cx.reads.event_types.get(&schema.events[t].name)) {
                rules.extend(r.iter().cloned());
            }
        }
        f.rules = rules.into_iter().collect();
        let t = data.events.type_id[e] as usize;
        let at = format_date(data.events.at[e]);
        lookups.push(Lookup {
            finding: findings.len(),
            contact: c,
            event_type: Some(schema.events[t].name.clone()),
            needles: Vec::new(),
            date: Some(at.chars().take(10).collect()),
        });
        findings.push(f);
    }

    // Event types no rule names.
    for (t, spec) in schema.events.iter().enumerate() {
        let count = profile.events_per_type[t];
        if count == 0 || cx.reads.event_types.contains_key(&spec.name) {
            continue;
        }
        let any = !cx.reads.any_rules.is_empty();
        let mut f = Finding::new(
            "unread_event_type",
            Severity::Note,
            "events",
            if any {
                format!(
                    "no rule names `{}` events ({}): only `any` filters see them",
                    spec.name,
                    thousands(count)
                )
            } else {
                format!(
                    "no rule reads `{}` events ({})",
                    spec.name,
                    thousands(count)
                )
            },
        );
        f.help = Some(format!(
            "score them with a rule such as `each {} => +1`, or leave them out of the export",
            spec.name
        ));
        f.event_type = Some(spec.name.clone());
        f.count = count;
        f.rules = cx.reads.any_rules.iter().cloned().collect();
        let first = (0..data.contacts.len()).into_par_iter().find_first(|&c| {
            data.events
                .of_contact(c)
                .any(|e| data.events.type_id[e] as usize == t)
        });
        if let Some(c) = first {
            lookups.push(Lookup {
                finding: findings.len(),
                contact: c,
                event_type: Some(spec.name.clone()),
                needles: Vec::new(),
                date: None,
            });
        }
        findings.push(f);
    }

    // Contacts without events.
    if let Some(c) = profile.no_events.first {
        let count = profile.no_events.count;
        let mut f = Finding::new(
            "contacts_without_events",
            Severity::Note,
            "contacts",
            format!(
                "{} no events: only profile rules score {}",
                count_of(count, "contact has", "contacts have"),
                if count == 1 { "it" } else { "them" }
            ),
        );
        f.help = Some("check that the events export covers every contact".into());
        f.count = count;
        lookups.push(Lookup {
            finding: findings.len(),
            contact: c,
            event_type: None,
            needles: Vec::new(),
            date: None,
        });
        findings.push(f);
    }

    for l in &mut lookups {
        let f = &mut findings[l.finding];
        f.example = Some(Example {
            file: if l.event_type.is_some() {
                cx.events_files.first().cloned().unwrap_or_default()
            } else {
                cx.contacts_file.clone()
            },
            line: None,
            text: None,
            contact: Some(id(l.contact)),
        });
    }
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let notes = findings.len() - warnings;
    let files = cx
        .files
        .iter()
        .enumerate()
        .map(|(i, (file, rows))| DataFile {
            file: file.clone(),
            table: if i == 0 { "contacts" } else { "events" },
            rows: *rows,
        })
        .collect();
    (
        Report {
            ruleset: cx.ruleset.clone(),
            version: cx.version.clone(),
            as_of: cx.as_of_text.clone(),
            files,
            fields,
            findings,
            warnings,
            notes,
        },
        lookups,
    )
}

fn lookup(
    finding: usize,
    (contact, _): (usize, Option<usize>),
    t: &Target,
    event_name: &dyn Fn(Option<usize>) -> Option<String>,
    needles: Vec<String>,
) -> Lookup {
    Lookup {
        finding,
        contact,
        event_type: event_name(t.event_type),
        needles,
        date: None,
    }
}

/// The first record (contact, and event for a property) whose value passes `test`.
fn first_with(
    data: &Dataset,
    t: &Target,
    test: impl Fn(&Value) -> bool + Sync,
) -> Option<(usize, Option<usize>)> {
    let events = &data.events;
    (0..data.contacts.len())
        .into_par_iter()
        .find_map_first(|c| match t.event_type {
            None => data.contacts[c]
                .fields
                .get(t.index)
                .is_some_and(&test)
                .then_some((c, None)),
            Some(ty) => events
                .of_contact(c)
                .find(|&e| {
                    events.type_id[e] as usize == ty
                        && events.props(e).get(t.index).is_some_and(&test)
                })
                .map(|e| (c, Some(e))),
        })
}

fn has_text(v: &Value, text: &str) -> bool {
    match v {
        Value::Text(t) => &**t == text,
        Value::List(items) => items.iter().any(|i| &**i == text),
        _ => false,
    }
}

/// Whether a literal's subject is this column.
fn covers(
    literal: &Literal,
    t: &Target,
    event_name: &dyn Fn(Option<usize>) -> Option<String>,
) -> bool {
    match &literal.subject {
        Subject::Field(name) => t.table == "contacts" && &t.field == name,
        Subject::Property {
            event,
            name,
            or_field,
        } => {
            if &t.field != name {
                return false;
            }
            match t.event_type {
                Some(ty) => event.is_none() || *event == event_name(Some(ty)),
                None => *or_field,
            }
        }
    }
}

/// How many values of the column pass the literal's comparison, and the near values that
/// do not (same text but for case and blanks, a close spelling, or a case-blind match).
fn literal_counts(literal: &Literal, c: &Column) -> (u64, Vec<ValueCount>) {
    let mut matched = 0;
    let mut near = Vec::new();
    let wanted = normalize(&literal.text);
    let caseless = match &literal.op {
        Op::Matches(re) => regex::Regex::new(&format!("(?i){}", re.as_str())).ok(),
        _ => None,
    };
    let spelling = matches!(literal.op, Op::Eq) && c.texts.len() <= MAX_DISTINCT_FOR_SPELLING;
    let max_distance = if wanted.chars().count() >= 8 { 2 } else { 1 };
    for (v, n) in &c.texts {
        if literal.op.test(&literal.transform.apply(v), &literal.text) {
            matched += n;
            continue;
        }
        let loose = normalize(v);
        let is_near = match &literal.op {
            Op::Eq => {
                loose == wanted
                    || (spelling
                        && wanted.chars().count() >= 4
                        && scoreline_data::model::suggest::distance(&loose, &wanted)
                            <= max_distance)
            }
            Op::Matches(_) => caseless.as_ref().is_some_and(|re| re.is_match(v.trim())),
            op => op.test(&loose, &wanted),
        };
        if is_near {
            near.push(ValueCount {
                value: v.to_string(),
                count: *n,
            });
        }
    }
    (matched, near)
}

/// The usual range of sorted numbers: the quartiles' fences ([`FENCE`] interquartile
/// ranges beyond them) and whether they are on the logarithm; on the logarithm of the values when they are positive (zeros and
/// negatives aside, when rare): counts, amounts and sizes spread over orders of magnitude.
fn usual_range(sorted: &[f64], odd: u64) -> Option<([f64; 2], bool)> {
    let positive: Vec<f64> = sorted.iter().copied().filter(|v| *v > 0.0).collect();
    let log = odd as f64 <= ODD_SHARE * sorted.len() as f64 && !positive.is_empty();
    let values: Vec<f64> = if log {
        positive.iter().map(|v| v.log10()).collect()
    } else {
        sorted.to_vec()
    };
    if values.len() < MIN_VALUES_FOR_RANGE {
        return None;
    }
    let q1 = quantile(&values, 0.25);
    let q3 = quantile(&values, 0.75);
    let iqr = q3 - q1;
    if iqr <= 0.0 {
        return None;
    }
    let (low, high) = (q1 - FENCE * iqr, q3 + FENCE * iqr);
    let round = |v: f64| {
        let v = if log { 10f64.powf(v) } else { v };
        // Three significant digits.
        if v == 0.0 {
            return 0.0;
        }
        let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
        (v * scale).round() / scale
    };
    Some(([round(low), round(high)], log))
}

/// The `q` quantile of sorted values, interpolated between the two closest.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    let next = sorted.get(i + 1).copied().unwrap_or(sorted[i]);
    sorted[i] + (next - sorted[i]) * frac
}

fn sort_counts(values: &mut [ValueCount]) {
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
}

fn total(values: &[ValueCount]) -> u64 {
    values.iter().map(|v| v.count).sum()
}

fn subject_words(t: &Target, event_name: &dyn Fn(Option<usize>) -> Option<String>) -> String {
    match event_name(t.event_type) {
        Some(e) => format!("`{}` of `{e}` events", t.field),
        None => format!("`{}`", t.field),
    }
}

/// The comparison as a rule would write it: `form == "whitepaper"`.
fn literal_words(literal: &Literal) -> String {
    let name = match &literal.subject {
        Subject::Field(n) | Subject::Property { name: n, .. } => n.clone(),
    };
    let name = match literal.transform {
        Transform::None => name,
        Transform::Lower => format!("lower({name})"),
        Transform::Upper => format!("upper({name})"),
    };
    format!("{name} {} {:?}", literal.op.symbol(), literal.text)
}

/// A value as shown in a message: blanks other than the plain space, and control
/// characters, as `\u{a0}`, so that a no-break space can be seen.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if (ch.is_whitespace() && ch != ' ')
            || ch.is_control()
            || matches!(ch, '\u{200b}' | '\u{feff}')
        {
            out.push_str(&format!("\\u{{{:x}}}", ch as u32));
        } else {
            out.push(ch);
        }
    }
    out
}

/// `1 contact`, `2,310 contacts`.
fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A count with thousands separators: `2,310`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
