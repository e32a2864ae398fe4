//! Shared by the engine's integration tests: load a case folder (rules, CSV data, as-of),
//! compile it, and print rows as CSV.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use scoreline_data::{
    Contact, Dataset, Events, FieldType, Format, LoadOptions, Schema, Source, Value,
};
use scoreline_engine::check::{Checked, PluginFunction, PluginInfo, PluginResolver};
use scoreline_engine::Plan;
use scoreline_plugins::{Limits, Plugin};
use scoreline_syntax::ast::{Item, RuleFile};
use scoreline_syntax::SourceFile;

/// A compiled case, ready to evaluate.
pub struct Case {
    pub plan: Plan,
    pub data: Dataset,
    pub as_of: i64,
}

/// Plugins by their name in the rule file.
pub type Plugins = Vec<(String, Arc<Plugin>)>;

/// Parses, checks and compiles `rules` against `schema`; diagnostics come back rendered.
pub fn compile_rules(rules: &str, schema: &Schema) -> Result<Plan, String> {
    compile_with_plugins(rules, schema, &[])
}

/// [`compile_rules`] with loaded plugins, by their name in the rule file.
pub fn compile_with_plugins(
    rules: &str,
    schema: &Schema,
    plugins: &[(String, Arc<Plugin>)],
) -> Result<Plan, String> {
    let file = Arc::new(SourceFile::new("rules.score", rules));
    let ast = parse(&file)?;
    let resolver = CasePlugins::named(&ast, plugins);
    let checked = check_rules(&file, &ast, &resolver)?;
    compile_checked(&checked, schema, plugins)
}

/// Checks a parsed rule file; `Err` has the rendered diagnostics when there are errors.
fn check_rules(
    file: &Arc<SourceFile>,
    ast: &RuleFile,
    resolver: &CasePlugins,
) -> Result<Checked, String> {
    let checked = scoreline_engine::check::check(
        file,
        ast,
        &scoreline_engine::check::CheckOptions { plugins: resolver },
    );
    if checked.has_errors() {
        return Err(scoreline_syntax::diagnostic::render(&checked.diagnostics));
    }
    Ok(checked)
}

fn compile_checked(
    checked: &Checked,
    schema: &Schema,
    plugins: &[(String, Arc<Plugin>)],
) -> Result<Plan, String> {
    scoreline_engine::compile(checked, schema, plugins)
        .map_err(|d| scoreline_syntax::diagnostic::render(&d))
}

/// Loads a plugin script from its text, named `file_name` in messages.
pub fn load_plugin(name: &str, file_name: &str, script: &str) -> Result<Arc<Plugin>, String> {
    let file = Arc::new(SourceFile::new(file_name, script));
    Plugin::load(name, file, &Limits::default())
        .map(Arc::new)
        .map_err(|d| scoreline_syntax::diagnostic::render(&d))
}

/// The plugins a case's rule file declares, read relative to the case folder (the script is
/// named in messages by the path as written). A plugin that does not load fails the case.
struct CasePlugins {
    loaded: HashMap<String, Arc<Plugin>>,
}

impl CasePlugins {
    /// The plugins a rule file declares, found among `plugins` by their declared name.
    fn named(ast: &RuleFile, plugins: &[(String, Arc<Plugin>)]) -> CasePlugins {
        let mut loaded = HashMap::new();
        for item in &ast.items {
            let Item::Plugin(decl) = item else { continue };
            if let Some((_, plugin)) = plugins.iter().find(|(n, _)| *n == decl.name.name) {
                loaded.insert(decl.path.value.clone(), Arc::clone(plugin));
            }
        }
        CasePlugins { loaded }
    }

    fn load(dir: &Path, ast: &RuleFile) -> Result<(CasePlugins, Plugins), String> {
        let mut loaded = HashMap::new();
        let mut by_name = Vec::new();
        for item in &ast.items {
            let Item::Plugin(decl) = item else { continue };
            let path = &decl.path.value;
            let script = std::fs::read_to_string(dir.join(path))
                .map_err(|e| format!("cannot read plugin `{path}`: {e}"))?;
            let plugin = load_plugin(&decl.name.name, path, &script)?;
            loaded.insert(path.clone(), Arc::clone(&plugin));
            by_name.push((decl.name.name.clone(), plugin));
        }
        Ok((CasePlugins { loaded }, by_name))
    }
}

impl PluginResolver for CasePlugins {
    fn resolve(&self, declared_path: &str) -> PluginInfo {
        match self.loaded.get(declared_path) {
            Some(plugin) => PluginInfo::Loaded {
                functions: plugin
                    .functions()
                    .iter()
                    .map(|f| PluginFunction {
                        name: f.name.clone(),
                        arity: f.arity,
                    })
                    .collect(),
            },
            None => PluginInfo::NotFound {
                reason: format!("`{declared_path}` was not loaded"),
            },
        }
    }
}

pub fn parse(file: &Arc<SourceFile>) -> Result<RuleFile, String> {
    scoreline_syntax::parse(file).map_err(|d| scoreline_syntax::diagnostic::render(&d))
}

/// Loads `dir`: rules.score, contacts.csv, events.csv (optional), as_of.txt, and the plugin
/// scripts the rules declare (paths relative to the folder). The data is read with the data
/// crate's loader, against the rule file's schema or with inferred types.
pub fn load_case(dir: &Path) -> Result<Case, String> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    let rules = read("rules.score").map_err(|e| format!("cannot read rules.score: {e}"))?;
    let file = Arc::new(SourceFile::new("rules.score", rules.as_str()));
    let ast = parse(&file)?;
    let (resolver, plugins) = CasePlugins::load(dir, &ast)?;
    // The checker must accept every case; it also translates the schema block.
    let checked = check_rules(&file, &ast, &resolver)?;
    let declared = checked.schema.clone();
    let source = |name: &str| -> Result<Source, String> {
        Ok(Source {
            name: name.to_string(),
            format: Format::Csv,
            bytes: std::fs::read(dir.join(name)).map_err(|e| format!("cannot read {name}: {e}"))?,
        })
    };
    let contacts = source("contacts.csv")?;
    let events: Vec<Source> = if dir.join("events.csv").exists() {
        vec![source("events.csv")?]
    } else {
        Vec::new()
    };
    let options = LoadOptions {
        schema: declared.as_ref(),
        ..LoadOptions::default()
    };
    let loaded = scoreline_data::load_sources(&contacts, &events, &options).map_err(|e| {
        let lines: Vec<String> = e.problems.iter().map(|p| p.to_string()).collect();
        format!("the data does not load:\n{}", lines.join("\n"))
    })?;
    let mut data = loaded.dataset;
    attach_accounts(dir, &mut data, declared.as_ref())?;
    let plan = compile_checked(&checked, &data.schema, &plugins)?;
    let as_of = read("as_of.txt").map_err(|e| format!("cannot read as_of.txt: {e}"))?;
    let as_of = parse_instant(as_of.trim()).ok_or("as_of.txt is not a date")?;
    Ok(Case { plan, data, as_of })
}

/// The case's accounts (LANGUAGE.md §13): `accounts.csv` when there is one (typed by the
/// schema's `account` block, or inferred), else the distinct `account_id` values of the
/// contacts, in first-seen order.
fn attach_accounts(
    dir: &Path,
    data: &mut Dataset,
    declared: Option<&Schema>,
) -> Result<(), String> {
    let link = data.schema.contact_field("account_id");
    let file = dir.join("accounts.csv");
    if link.is_none() && !file.exists() {
        return Ok(());
    }
    let (schema, mut rows) = if file.exists() {
        let account_schema = declared.filter(|s| !s.account.is_empty()).map(|s| Schema {
            contact: s.account.clone(),
            ..Schema::default()
        });
        let options = LoadOptions {
            schema: account_schema.as_ref(),
            ..LoadOptions::default()
        };
        let source = Source {
            name: "accounts.csv".into(),
            format: Format::Csv,
            bytes: std::fs::read(&file).map_err(|e| format!("cannot read accounts.csv: {e}"))?,
        };
        let loaded = scoreline_data::load_sources(&source, &[], &options)
            .map_err(|e| format!("accounts.csv does not load: {:?}", e.problems))?;
        (loaded.dataset.schema.contact, loaded.dataset.contacts)
    } else {
        let id = scoreline_data::FieldSpec {
            name: "id".into(),
            ty: FieldType::Text,
            optional: false,
            column: None,
        };
        (vec![id], Vec::new())
    };
    let implied = !file.exists();
    let mut of_contact = Vec::with_capacity(data.contacts.len());
    for contact in &data.contacts {
        let linked = link.and_then(|l| match &contact.fields[l] {
            Value::Text(t) => Some(t.clone()),
            _ => None,
        });
        let Some(linked) = linked else {
            of_contact.push(scoreline_data::model::NO_ACCOUNT);
            continue;
        };
        match rows.iter().position(|r| r.id() == &*linked) {
            Some(a) => of_contact.push(a as u32),
            None if implied => {
                rows.push(Contact {
                    fields: vec![Value::Text(linked)],
                });
                of_contact.push(rows.len() as u32 - 1);
            }
            None => {
                return Err(format!(
                    "contact `{}` links to no account `{linked}`",
                    contact.id()
                ))
            }
        }
    }
    data.schema.account = schema;
    data.accounts = scoreline_data::model::Accounts { rows, of_contact };
    data.validate().map_err(|e| e.to_string())
}

/// A date (00:00 UTC) or an RFC 3339 instant, in milliseconds.
pub fn parse_instant(text: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Splits one CSV line (double quotes protect commas; `""` is a quote).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

fn typed(cell: &str, ty: FieldType) -> Result<Value, String> {
    if ty == FieldType::List {
        let items: Vec<Arc<str>> = cell
            .split(';')
            .filter(|s| !s.is_empty())
            .map(Arc::from)
            .collect();
        return Ok(Value::List(items.into()));
    }
    if cell.is_empty() {
        return Ok(Value::Missing);
    }
    Ok(match ty {
        FieldType::Text => Value::Text(Arc::from(cell)),
        FieldType::Number => {
            Value::Number(cell.parse().map_err(|_| format!("bad number `{cell}`"))?)
        }
        FieldType::Bool => Value::Bool(cell == "true"),
        FieldType::Date => Value::Date(parse_instant(cell).ok_or(format!("bad date `{cell}`"))?),
        FieldType::List => unreachable!(),
    })
}

/// Builds a small data set from CSV text typed by `schema` (events sorted by `at` per contact),
/// for tests that write their data inline.
pub fn dataset(schema: Schema, contacts_csv: &str, events_csv: &str) -> Result<Dataset, String> {
    let mut lines = contacts_csv.lines().filter(|l| !l.trim().is_empty());
    let header = split_csv(lines.next().ok_or("contacts.csv is empty")?);
    let mut contacts = Vec::new();
    for line in lines {
        let cells = split_csv(line);
        let mut fields = Vec::new();
        for spec in &schema.contact {
            let cell = header
                .iter()
                .position(|h| *h == spec.name)
                .and_then(|i| cells.get(i))
                .map_or("", |s| s.as_str());
            fields.push(typed(cell, spec.ty)?);
        }
        contacts.push(Contact { fields });
    }
    let mut per_contact: Vec<Vec<(i64, u32, Vec<Value>)>> = vec![Vec::new(); contacts.len()];
    let mut lines = events_csv.lines().filter(|l| !l.trim().is_empty());
    if let Some(header) = lines.next() {
        let header = split_csv(header);
        let col = |name: &str| header.iter().position(|h| h == name);
        let (cid, ty, at) = (
            col("contact_id").ok_or("events.csv needs contact_id")?,
            col("type").ok_or("events.csv needs type")?,
            col("at").ok_or("events.csv needs at")?,
        );
        for line in lines {
            let cells = split_csv(line);
            let contact = contacts
                .iter()
                .position(|c| c.id() == cells[cid])
                .ok_or(format!("event for unknown contact `{}`", cells[cid]))?;
            let type_id = schema
                .events
                .iter()
                .position(|e| e.name == cells[ty])
                .ok_or(format!("unknown event type `{}`", cells[ty]))?;
            let when = parse_instant(&cells[at]).ok_or(format!("bad date `{}`", cells[at]))?;
            let mut props = Vec::new();
            for spec in &schema.events[type_id].fields {
                let cell = col(&spec.name)
                    .and_then(|i| cells.get(i))
                    .map_or("", |s| s.as_str());
                props.push(typed(cell, spec.ty)?);
            }
            per_contact[contact].push((when, type_id as u32, props));
        }
    }
    let mut events = Events {
        contact_start: vec![0],
        ..Events::default()
    };
    for list in &mut per_contact {
        list.sort_by_key(|e| e.0); // stable: ties keep input order
        for (when, type_id, props) in list.drain(..) {
            events.at.push(when);
            events.type_id.push(type_id);
            events.prop_start.push(events.props.len() as u32);
            events.props.extend(props);
        }
        events.contact_start.push(events.at.len() as u32);
    }
    Ok(Dataset {
        accounts: Default::default(),
        schema,
        contacts,
        events,
    })
}

/// Formats a number as the CSV output does: shortest form, at most 2 decimals.
pub fn number(n: f64) -> String {
    scoreline_data::format_number(n)
}

/// Rows as CSV text: header, then one line per row; missing is an empty cell.
pub fn to_csv<'r>(columns: &[String], rows: impl Iterator<Item = &'r [Value]>) -> String {
    let mut out = columns.join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| match v {
                Value::Missing => String::new(),
                Value::Number(n) => number(*n),
                Value::Text(t) if t.contains(',') || t.contains('"') => {
                    format!("\"{}\"", t.replace('"', "\"\""))
                }
                Value::Text(t) => t.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Date(d) => d.to_string(),
                Value::List(l) => l.join(";"),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Scores `data` as `run` does: on a pool of 4 threads, or on this thread.
pub fn score(
    plan: &scoreline_engine::Plan,
    data: &scoreline_data::Dataset,
    as_of: i64,
    parallel: bool,
) -> scoreline_engine::Evaluation {
    score_with(plan, data, as_of, parallel, false)
}

pub fn score_with(
    plan: &scoreline_engine::Plan,
    data: &scoreline_data::Dataset,
    as_of: i64,
    parallel: bool,
    explain: bool,
) -> scoreline_engine::Evaluation {
    let pool = parallel.then(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .expect("a thread pool")
    });
    plan.score(
        data,
        scoreline_engine::AsOf::from_millis(as_of),
        scoreline_engine::EvalOptions {
            explain,
            pool: pool.as_ref(),
            previous: None,
        },
    )
}

/// One contact's explanation.
pub fn explain(
    plan: &scoreline_engine::Plan,
    data: &scoreline_data::Dataset,
    contact: usize,
    as_of: i64,
) -> scoreline_engine::Explanation {
    plan.explain(data, contact, scoreline_engine::AsOf::from_millis(as_of))
        .0
}
