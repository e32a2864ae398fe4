//! The pipeline shared by the commands: read a rule file, parse it, check it with its plugins.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scoreline_data::{DataProblem, Dialect, LoadOptions, LoadRequest, OutputMeta, Schema};
use scoreline_syntax::ast::Item;

use crate::manifest::{self, Input};
use crate::project::{self, DialectKeys, LoadedProject};
use crate::sources::io_reason;
use crate::Inputs as InputArgs;

use scoreline_engine::check::Checked;
use scoreline_plugins::Limits;
use scoreline_syntax::ast::RuleFile;
use scoreline_syntax::{Diagnostic, SourceFile};

use crate::sources::{read_source, PluginFiles};

/// A rule file read from disk, parsed and checked.
pub struct CheckedFile {
    pub source: Arc<SourceFile>,
    /// The AST, when the file parsed.
    pub ast: Option<RuleFile>,
    /// The checker's results, when the file parsed.
    pub checked: Option<Checked>,
    /// Syntax errors and the checker's errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The plugins the file declares, compiled.
    pub plugins: PluginFiles,
}

impl CheckedFile {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads, parses and checks a rule file. `Err` is the message for a file that cannot be read.
pub fn check_rule_file(path: &Path, limits: Option<&Limits>) -> Result<CheckedFile, Message> {
    let source = read_source(path).map_err(|e| e.0)?;
    let plugins = PluginFiles::new(path, limits.cloned().unwrap_or_default());
    Ok(check_source(source, plugins))
}

/// Parses and checks a rule file already read, with the plugins found through `plugins`.
///
/// A file with syntax errors gets all of them, and the checker's findings about the items
/// that could be read (leaving out what the broken items may explain); it has no AST.
pub fn check_source(source: Arc<SourceFile>, plugins: PluginFiles) -> CheckedFile {
    let (ast, checked, diagnostics) =
        match scoreline_engine::Ruleset::check(Arc::clone(&source), &plugins) {
            Ok(ruleset) => {
                let diagnostics = ruleset.diagnostics().to_vec();
                let (ast, checked) = ruleset.into_parts();
                (Some(ast), Some(checked), diagnostics)
            }
            Err(rejected) => {
                let rejected = *rejected;
                (rejected.ast, rejected.checked, rejected.diagnostics)
            }
        };
    CheckedFile {
        source,
        ast,
        checked,
        diagnostics,
        plugins,
    }
}

pub use crate::failure::{Failure, Kind, Message, Problem};

/// The inputs of a run, flags over `scoreline.yaml`, with every path relative to the
/// current folder.
#[derive(Debug)]
pub struct Settings {
    /// The project file, when one was read.
    pub project: Option<LoadedProject>,
    pub ruleset: PathBuf,
    pub contacts: PathBuf,
    pub events: Vec<PathBuf>,
    /// The accounts file (`--accounts`, `data.accounts`), if any (LANGUAGE.md §13).
    pub accounts: Option<PathBuf>,
    /// The accounts entry's own dialect, when it sets keys of its own.
    pub accounts_dialect: Option<Dialect>,
    /// The contact field that links each contact to its account (`--account-column`,
    /// `data.account_column`, else `account_id`).
    pub account_column: String,
    /// Whether the ruleset has account items or reads `account.`: the loader then builds
    /// the accounts even without an accounts file. The caller sets it from the ruleset
    /// ([`Ruleset::uses_accounts`]) before loading; `resolve` leaves it false.
    pub accounts_wanted: bool,
    /// The as-of as written (`now`, a date, an instant) and as milliseconds.
    pub as_of_text: String,
    pub as_of_millis: i64,
    pub id_column: String,
    /// Whether `id_column` was set (by a flag or in `data:`), rather than the default `id`.
    pub id_column_given: bool,
    /// How the data files are written: flags over `data:`.
    pub dialect: Dialect,
    /// Each events file's own settings (from its entry in `data.events`), in order.
    pub events_files: Vec<scoreline_data::EventsFile>,
    /// `data.events_columns`, over `contact_id`, `type`, `at`.
    pub events_columns: scoreline_data::EventColumns,
    /// `data.event_types`.
    pub event_types: Vec<(String, String)>,
    /// `data.preset`: the standard columns of a CRM's exports.
    pub preset: Option<crate::preset::Preset>,
    /// The contacts entry's own dialect, when it sets keys of its own.
    pub contacts_dialect: Option<Dialect>,
    /// The plugin limits of `scoreline.yaml`, if set.
    pub limits: Option<Limits>,
    pub skip_bad_rows: Option<PathBuf>,
    pub threads: Option<usize>,
}

impl Settings {
    /// The project file's path, when one was read.
    pub fn project_file(&self) -> Option<PathBuf> {
        self.project
            .as_ref()
            .map(|p| p.dir.join(project::PROJECT_FILE))
    }

    /// The contacts' id column: the schema's `id: text from "…"`, else `id_column` (flags over
    /// `data:`), else `id`. Both naming different columns is an error.
    pub fn id_column_of(&self, schema: Option<&Schema>) -> Result<String, Failure> {
        let from = schema
            .and_then(|s| s.contact.iter().find(|f| f.name == "id"))
            .and_then(|f| f.column.clone());
        match from {
            None => Ok(self.id_column.clone()),
            Some(from)
                if !self.id_column_given
                    || scoreline_data::model::column_key(&from)
                        == scoreline_data::model::column_key(&self.id_column) =>
            {
                Ok(from)
            }
            Some(from) => Err(Failure::usage(Message::new(format!("`id_column` names the column `{}`, but the schema reads `id` from `{from}`", self.id_column)).help("name the id column in one place only: remove `id_column`, or the schema's `from`"))),
        }
    }

    /// The schema with the preset's columns for its fields that name none, when a preset is
    /// set (`None`: load with the schema as it is).
    pub fn preset_schema(&self, schema: Option<&Schema>) -> Option<Schema> {
        Some(self.preset?.apply(schema?))
    }

    /// The name of the scores' id column: `output.id_column`, else the input's id column.
    pub fn output_id_column(&self, schema: Option<&Schema>) -> Result<String, Failure> {
        match self
            .project
            .as_ref()
            .and_then(|p| p.project.output.id_column.clone())
        {
            Some(name) => Ok(name),
            None => self.id_column_of(self.preset_schema(schema).as_ref().or(schema)),
        }
    }

    /// Load options for these settings and a schema.
    pub fn load_options<'a>(&self, schema: Option<&'a Schema>) -> LoadOptions<'a> {
        LoadOptions {
            schema,
            id_column: self.id_column.clone(),
            dialect: self.dialect.clone(),
            skip_bad_rows: self.skip_bad_rows.is_some(),
            threads: self.threads.unwrap_or(0),
            events_files: self.events_files.clone(),
            events_columns: self.events_columns.clone(),
            event_types: self.event_types.clone(),
            contacts_dialect: self.contacts_dialect.clone(),
            accounts: scoreline_data::AccountOptions {
                input: None,
                wanted: self.accounts_wanted,
                link: self.account_column.clone(),
                dialect: self.accounts_dialect.clone(),
            },
            preset: self.preset.map(|p| scoreline_data::PresetHint {
                setting: format!("preset: {}", p.key),
                export: format!("a {} {}", p.title, p.contacts),
                columns: std::iter::once(p.id_column)
                    .chain(p.fields.iter().map(|(_, c)| *c))
                    .map(str::to_string)
                    .collect(),
            }),
            ..LoadOptions::default()
        }
    }
}

/// Resolves the inputs: flags over `scoreline.yaml`.
pub fn resolve(inputs: &InputArgs) -> Result<Settings, Failure> {
    let project = project::load(inputs.project.as_deref()).map_err(Failure::usage)?;
    let from_project = |f: &dyn Fn(&LoadedProject) -> Option<PathBuf>| {
        project
            .as_ref()
            .and_then(|p| f(p).map(|path| p.path(&path)))
    };
    let Some(ruleset) = inputs
        .ruleset
        .clone()
        .or_else(|| from_project(&|p| p.project.ruleset.clone()))
    else {
        return Err(Failure::usage(Message::new("no rule file given").help("pass `--ruleset FILE`, or run in a project folder with a `scoreline.yaml` that names its `ruleset`")));
    };
    let Some(contacts) = inputs
        .contacts
        .clone()
        .or_else(|| from_project(&|p| p.project.data.contacts.as_ref().map(|c| c.file.clone())))
    else {
        return Err(Failure::usage(Message::new("no contacts file given").help(
            "pass `--contacts FILE`, or set `data: contacts:` in `scoreline.yaml`",
        )));
    };
    let events: Vec<PathBuf> = if inputs.events.is_empty() {
        project
            .as_ref()
            .map(|p| {
                p.project
                    .data
                    .events
                    .paths()
                    .iter()
                    .map(|e| p.path(e))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        inputs.events.clone()
    };
    let accounts = inputs
        .accounts
        .clone()
        .or_else(|| from_project(&|p| p.project.data.accounts.as_ref().map(|a| a.file.clone())));
    let account_column = inputs
        .account_column
        .clone()
        .or_else(|| {
            project
                .as_ref()
                .and_then(|p| p.project.data.account_column.clone())
        })
        .unwrap_or_else(|| "account_id".to_string());
    let as_of_text = inputs
        .as_of
        .clone()
        .or_else(|| project.as_ref().and_then(|p| p.project.as_of.clone()))
        .unwrap_or_else(|| "now".to_string());
    let as_of_millis = parse_as_of(&as_of_text).map_err(Failure::usage)?;
    let id_column = inputs.id_column.clone().or_else(|| {
        project
            .as_ref()
            .and_then(|p| p.project.data.id_column.clone())
    });
    let preset = match project
        .as_ref()
        .and_then(|p| p.project.data.preset.as_deref())
    {
        Some(key) => Some(
            crate::preset::Preset::named(key)
                .map_err(|m| Failure::usage(Message::new(format!("`data.preset`: {m}"))))?,
        ),
        None => None,
    };
    let id_column_given = id_column.is_some();
    let id_column = id_column
        .or_else(|| preset.map(|p| p.id_column.to_string()))
        .unwrap_or_else(|| "id".to_string());
    let mut project_keys = project
        .as_ref()
        .map(|p| p.project.data.dialect_keys())
        .unwrap_or_default();
    if let (Some(p), None) = (preset, &project_keys.date_formats) {
        project_keys.date_formats = Some(p.date_formats.iter().map(|f| f.to_string()).collect());
    }
    let bad = |bad: scoreline_data::dialect::BadSetting| {
        Failure::usage(Message::new(bad.message.to_string()).help(bad.help.to_string()))
    };
    let dialect = inputs
        .dialect
        .clone()
        .over(project_keys.clone())
        .dialect()
        .map_err(bad)?;
    dialect.check().map_err(bad)?;

    // Each events entry of `data:` with its own settings (flags go over them too); none
    // when the events files come from flags.
    let mut events_files = Vec::new();
    if inputs.events.is_empty() {
        if let Some(p) = &project {
            for entry in p.project.data.events.entries() {
                let keys = entry.dialect_keys();
                let dialect = if keys == DialectKeys::default() {
                    None
                } else {
                    let keys = inputs.dialect.clone().over(keys.over(project_keys.clone()));
                    let d = keys.dialect().map_err(bad)?;
                    d.check().map_err(bad)?;
                    Some(d)
                };
                events_files.push(scoreline_data::EventsFile {
                    event_type: entry.event_type.clone(),
                    contact_id: entry.contact_id.clone(),
                    type_column: None,
                    at: entry.at.clone(),
                    dialect,
                });
            }
        }
    }
    // The contacts entry's own dialect keys, unless the contacts file comes from a flag.
    let contacts_dialect = match project
        .as_ref()
        .and_then(|p| p.project.data.contacts.as_ref())
    {
        Some(entry)
            if inputs.contacts.is_none() && entry.dialect_keys() != DialectKeys::default() =>
        {
            let keys = inputs
                .dialect
                .clone()
                .over(entry.dialect_keys().over(project_keys.clone()));
            let d = keys.dialect().map_err(bad)?;
            d.check().map_err(bad)?;
            Some(d)
        }
        _ => None,
    };
    // The accounts entry's own dialect keys, unless the accounts file comes from a flag.
    let accounts_dialect = match project
        .as_ref()
        .and_then(|p| p.project.data.accounts.as_ref())
    {
        Some(entry)
            if inputs.accounts.is_none() && entry.dialect_keys() != DialectKeys::default() =>
        {
            let keys = inputs
                .dialect
                .clone()
                .over(entry.dialect_keys().over(project_keys.clone()));
            let d = keys.dialect().map_err(bad)?;
            d.check().map_err(bad)?;
            Some(d)
        }
        _ => None,
    };
    let defaults = scoreline_data::EventColumns::default();
    let (events_columns, mut event_types) = match &project {
        Some(p) => {
            let c = &p.project.data.events_columns;
            (
                match preset {
                    Some(preset) => preset.events_columns(c),
                    None => scoreline_data::EventColumns {
                        contact_id: c.contact_id.clone().unwrap_or(defaults.contact_id),
                        type_column: c.type_column.clone().unwrap_or(defaults.type_column),
                        at: c.at.clone().unwrap_or(defaults.at),
                    },
                },
                p.project
                    .data
                    .event_types
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Vec<_>>(),
            )
        }
        None => (defaults, Vec::new()),
    };
    // The preset's activity types, under the ones `event_types` sets.
    if let Some(p) = preset {
        for (value, name) in p.event_types {
            if !event_types.iter().any(|(v, _)| v == value) {
                event_types.push((value.to_string(), name.to_string()));
            }
        }
    }
    let limits = project.as_ref().and_then(|p| p.project.plugins.clone());
    Ok(Settings {
        project,
        ruleset,
        contacts,
        events,
        accounts,
        accounts_dialect,
        account_column,
        accounts_wanted: false,
        as_of_text,
        as_of_millis,
        id_column,
        id_column_given,
        dialect,
        events_files,
        events_columns,
        event_types,
        preset,
        contacts_dialect,
        limits,
        skip_bad_rows: inputs.skip_bad_rows.clone(),
        threads: inputs.threads,
    })
}

/// A rule file that checked without errors, with its plugins compiled: ready to compile
/// against the schema in force.
pub struct Ruleset {
    /// The rule file's path.
    pub path: PathBuf,
    pub source: Arc<SourceFile>,
    pub ast: RuleFile,
    pub checked: Checked,
    /// The plugins by their name in the rule file, in declaration order.
    pub plugins: Vec<(String, Arc<scoreline_plugins::Plugin>)>,
    /// The plugin files the rule file declares (found or not), in declaration order.
    pub plugin_paths: Vec<PathBuf>,
    /// The ruleset version: a hash of the rule file and its plugins' bytes.
    pub version: String,
}

impl Ruleset {
    /// The checked rule file as a ruleset. `Ok` carries the rendered warnings (maybe empty);
    /// `Err` the rendered diagnostics, as `check` prints them.
    pub fn from_checked(path: &Path, file: CheckedFile) -> Result<(Ruleset, String), Failure> {
        let report = if file.diagnostics.is_empty() {
            String::new()
        } else {
            scoreline_syntax::diagnostic::render(&file.diagnostics)
        };
        let has_errors = file.has_errors();
        let CheckedFile {
            source,
            ast,
            checked,
            plugins: files,
            diagnostics,
        } = file;
        let (Some(ast), Some(checked)) = (ast, checked) else {
            return Err(Failure::rules(&diagnostics));
        };
        if has_errors {
            return Err(Failure::rules(&diagnostics));
        }
        let mut plugins = Vec::new();
        let mut plugin_bytes = Vec::new();
        let mut plugin_paths = Vec::new();
        for item in &ast.items {
            if let Item::Plugin(p) = item {
                plugin_paths.push(files.path_of(&p.path.value));
                if let Some(loaded) = files.get(&p.path.value) {
                    plugins.push((p.name.name.clone(), Arc::clone(&loaded.plugin)));
                    plugin_bytes.push(loaded.bytes.clone());
                }
            }
        }
        let byte_refs: Vec<&[u8]> = plugin_bytes.iter().map(Vec::as_slice).collect();
        let version = scoreline_engine::ruleset_version(source.text.as_bytes(), &byte_refs);
        Ok((
            Ruleset {
                path: path.to_path_buf(),
                source,
                ast,
                checked,
                plugins,
                plugin_paths,
                version,
            },
            report,
        ))
    }

    /// Whether the ruleset has account items or reads `account.` (LANGUAGE.md §13): then the
    /// data's accounts are built even without an accounts file, and an accounts output is
    /// expected.
    pub fn uses_accounts(&self) -> bool {
        !self.checked.symbols.account_items.is_empty()
            || !self.checked.typed.account_fields.is_empty()
    }

    /// Whether the ruleset has account items (`account let`, `account score`,
    /// `account segment`), which the accounts output holds.
    pub fn has_account_items(&self) -> bool {
        !self.checked.symbols.account_items.is_empty()
    }

    /// The schema block, if the rule file has one (else the data's types are inferred).
    pub fn schema(&self) -> Option<&Schema> {
        self.checked.schema.as_ref()
    }

    /// Compiles the ruleset against the schema in force. `Err` has the rendered diagnostics.
    pub fn compile(&self, schema: &Schema) -> Result<scoreline_engine::Plan, Failure> {
        scoreline_engine::compile(&self.checked, schema, &self.plugins)
            .map_err(|d| Failure::rules(&d))
    }

    /// The name (the plan's header, else the rule file's stem) and version stamped on outputs.
    pub fn meta(&self, plan: &scoreline_engine::Plan) -> OutputMeta {
        let name = plan.ruleset().map(str::to_string).unwrap_or_else(|| {
            self.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        OutputMeta {
            ruleset: name,
            version: self.version.clone(),
        }
    }
}

/// Reads, checks and readies the rule file of `settings`.
pub fn load_ruleset(settings: &Settings) -> Result<(Ruleset, String), Failure> {
    let file =
        check_rule_file(&settings.ruleset, settings.limits.as_ref()).map_err(Failure::errors)?;
    Ruleset::from_checked(&settings.ruleset, file)
}

/// Every data problem, one per line.
pub fn render_problems(problems: &[DataProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads the data files of `settings` against a schema (or inferring one), and describes
/// them for the manifest (path, SHA-256, records; hashed while the data loads). `Ok` carries
/// the rendered warnings (maybe empty).
pub fn load_data(
    settings: &Settings,
    schema: Option<&Schema>,
) -> Result<(scoreline_data::Loaded, Vec<Input>, String), Failure> {
    let preset_schema = settings.preset_schema(schema);
    let schema = preset_schema.as_ref().or(schema);
    settings.id_column_of(schema)?;
    let mut request = LoadRequest::new(&settings.contacts);
    request.events = settings.events.clone();
    request.accounts = settings.accounts.clone();
    request.options = settings.load_options(schema);
    if std::iter::once(&settings.contacts)
        .chain(&settings.events)
        .chain(&settings.accounts)
        .any(|p| crate::database::is_db(p))
    {
        let (loaded, inputs) = crate::database::load(settings, schema, &request.options)?;
        let warnings = render_problems(&loaded.warnings);
        return Ok((loaded, inputs, warnings));
    }
    // Hashed as they are read (a large events file in blocks, never whole), in the order of
    // `Loaded::files`: contacts, events, then accounts.
    let count = 1 + settings.events.len() + usize::from(settings.accounts.is_some());
    let hashing: Vec<std::sync::Mutex<manifest::InputHash>> =
        (0..count).map(|_| Default::default()).collect();
    let observe = |i: usize, bytes: &[u8]| {
        if let Some(h) = hashing.get(i) {
            h.lock().unwrap_or_else(|e| e.into_inner()).append(bytes);
        }
    };
    let loaded = scoreline_data::load_streamed(&request, scoreline_data::BLOCK_BYTES, &observe);
    let hashes: Vec<String> = hashing
        .iter()
        .map(|h| h.lock().unwrap_or_else(|e| e.into_inner()).hex())
        .collect();
    match loaded {
        Ok(loaded) => {
            let warnings = render_problems(&loaded.warnings);
            let paths: Vec<&Path> = std::iter::once(&settings.contacts)
                .chain(&settings.events)
                .chain(&settings.accounts)
                .map(PathBuf::as_path)
                .collect();
            let inputs =
                manifest::inputs(&paths, &hashes, &loaded.files, settings.accounts.is_some());
            Ok((loaded, inputs, warnings))
        }
        Err(e) => Err(Failure::load(&e)),
    }
}

/// Everything `run` and `explain` need: a checked, compiled ruleset and loaded data.
pub struct Prepared {
    pub plan: scoreline_engine::Plan,
    pub dataset: scoreline_data::Dataset,
    pub as_of_millis: i64,
    /// The ruleset's name (its header, else the rule file's stem) and version.
    pub meta: scoreline_data::OutputMeta,
    /// The contacts file, for messages.
    pub contacts_path: PathBuf,
    pub events_count: usize,
    /// The project's output settings, when a project file was read.
    pub project: Option<LoadedProject>,
    /// The data files as the manifest describes them.
    pub inputs: Vec<Input>,
    /// The skipped rows file and how many rows it holds, with `--skip-bad-rows`.
    pub skipped_rows: Option<(PathBuf, usize)>,
    /// The name of the scores' id column: the input's (`Record ID`), or `output.id_column`.
    pub id_column: String,
    /// Whether the ruleset has account items (LANGUAGE.md §13), for the accounts output.
    pub has_account_items: bool,
    /// The accounts file, when one was read.
    pub accounts_path: Option<PathBuf>,
}

/// Resolves the inputs (flags over `scoreline.yaml`), checks the rule file, loads the data and
/// compiles the plan. Warnings are said ([`crate::console`]); a failure is returned.
pub fn prepare(inputs: &InputArgs) -> Result<Prepared, Failure> {
    let mut settings = resolve(inputs)?;
    let (ruleset, warnings) = load_ruleset(&settings)?;
    settings.accounts_wanted = ruleset.uses_accounts();
    if !warnings.is_empty() {
        crate::console::say(&warnings);
    }
    let (loaded, inputs, warnings) = load_data(&settings, ruleset.schema())?;
    if !warnings.is_empty() {
        crate::console::say(&warnings);
    }
    if let Some(path) = &settings.skip_bad_rows {
        if let Err(e) = scoreline_data::write_skipped(path, &loaded.skipped) {
            return Err(Failure::errors(Message::new(format!(
                "cannot write `{}`: {}",
                path.display(),
                io_reason(&e)
            ))));
        }
        if !loaded.skipped.is_empty() {
            crate::console::say(format!(
                "set aside {} bad row{} in `{}`",
                loaded.skipped.len(),
                if loaded.skipped.len() == 1 { "" } else { "s" },
                path.display()
            ));
        }
    }
    let skipped_rows = settings
        .skip_bad_rows
        .clone()
        .map(|path| (path, loaded.skipped.len()));
    let dataset = loaded.dataset;
    let plan = ruleset.compile(&dataset.schema)?;
    let meta = ruleset.meta(&plan);
    let events_count = dataset.events.len();
    let id_column = settings.output_id_column(ruleset.schema())?;
    Ok(Prepared {
        id_column,
        has_account_items: ruleset.has_account_items(),
        accounts_path: settings.accounts,
        plan,
        dataset,
        as_of_millis: settings.as_of_millis,
        meta,
        contacts_path: settings.contacts,
        events_count,
        project: settings.project,
        inputs,
        skipped_rows,
    })
}

/// `now`, a date (00:00 UTC) or an RFC 3339 instant, as milliseconds since the epoch.
pub fn parse_as_of(text: &str) -> Result<i64, Message> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(chrono::Utc::now().timestamp_millis());
    }
    scoreline_data::parse_date(text).ok_or_else(|| {
        Message::new(format!("`{text}` is not a valid as-of")).help("use `now`, a date such as `2026-11-01` (00:00 UTC) or an RFC 3339 instant such as `2026-11-01T09:30:00Z`")
    })
}
