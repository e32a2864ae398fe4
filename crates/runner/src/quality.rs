//! Data quality (`scoreline check --data`): the data read against the rule file, without
//! scoring. One pass over the loaded data counts, for every field and property the rules
//! read, how often it is present and which values it takes ([`profile`]); the findings
//! (`findings`, one function per kind) compare those counts with what the rules read
//! ([`reads`]): case and blank variants, text
//! literals that never or rarely occur, contacts sharing an e-mail, numbers outside their
//! usual range, events after as-of, event types no rule reads and contacts without events.
//! Each finding names a file, an example line ([`locate`]) and the rules it affects.

mod findings;
pub mod locate;
pub mod profile;
pub mod reads;
pub mod render;

use crate::failure::Message;
use std::collections::BTreeSet;

use scoreline_data::{Dataset, FieldType};
use serde::Serialize;

use profile::{Column, Profile, Targets};
use reads::{Reads, Subject};

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
    use crate::pipeline::load_ruleset;
    let (ruleset, rule_warnings) = load_ruleset(settings)?;
    let reads = Reads::of(&ruleset.checked.typed, &ruleset.ast, &ruleset.source);
    let loaded = load(settings, ruleset.schema(), ruleset.uses_accounts())?;
    let data_warnings = crate::pipeline::render_problems(&loaded.warnings);
    if let Some(path) = &settings.skip_bad_rows {
        scoreline_data::write_skipped(path, &loaded.skipped).map_err(|e| {
            crate::pipeline::Failure::errors(Message::new(format!(
                "cannot write `{}`: {}",
                path.display(),
                crate::sources::io_reason(&e)
            )))
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
    // Millions of small values are freed on a thread of their own, as `run` frees the rows it
    // read, while the report is written.
    drop(cx);
    std::thread::spawn(move || drop(loaded));
    let warnings: Vec<String> = [rule_warnings, data_warnings]
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect();
    Ok((report, warnings.join("\n")))
}

/// Loads the data as `run` does (the same errors), without hashing the files for a manifest.
fn load(
    settings: &crate::pipeline::Settings,
    schema: Option<&scoreline_data::Schema>,
    accounts_wanted: bool,
) -> Result<scoreline_data::Loaded, crate::pipeline::Failure> {
    use crate::pipeline::Failure;
    let mut request = scoreline_data::LoadRequest::new(&settings.contacts);
    request.events = settings.events.clone();
    request.accounts = settings.accounts.clone();
    request.options = settings.load_options(schema);
    request.options.accounts.wanted |= accounts_wanted;
    if std::iter::once(&settings.contacts)
        .chain(&settings.events)
        .chain(&settings.accounts)
        .any(|p| crate::database::is_db(p))
    {
        return crate::database::load(settings, schema, &request.options).map(|(l, _)| l);
    }
    let (contacts, accounts, events) =
        scoreline_data::read_all_sources(&request).map_err(|e| Failure::load(&e))?;
    let mut options = request.options.clone();
    options.accounts.input = accounts.as_ref().map(scoreline_data::Input::File);
    let records = scoreline_data::read_records(&contacts, &events, &options);
    // The files' bytes are freed before the events are grouped: never both in memory.
    drop(options);
    drop((contacts, accounts, events));
    records
        .map(scoreline_data::Records::group)
        .map_err(|e| Failure::load(&e))
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

    let checker = findings::Checker {
        data,
        cx,
        profile: &profile,
        columns,
        email,
    };
    let mut out = findings::Out::default();
    for check in [
        findings::duplicates,
        findings::variants,
        findings::literals,
        findings::numbers,
        findings::after_as_of,
        findings::unread_event_types,
        findings::contacts_without_events,
    ] {
        check(&checker, &mut out);
    }
    let findings::Out {
        mut findings,
        lookups,
    } = out;
    let id = |c: usize| data.contacts[c].id().to_string();

    for l in &lookups {
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
