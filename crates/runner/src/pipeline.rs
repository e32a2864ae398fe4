//! The pipeline shared by the commands: read a rule file, parse it, check it with its plugins.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scoreline_data::LoadRequest;
use scoreline_syntax::ast::Item;

use crate::project::{self, LoadedProject};
use crate::sources::io_reason;
use crate::Inputs as InputArgs;
use crate::{EXIT_ERRORS, EXIT_USAGE};

use scoreline_engine::check::{check, CheckOptions, Checked};
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
    /// Syntax errors, or the checker's errors and warnings, sorted by position.
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

/// Reads, parses and checks a rule file. `Err` is a message for a file that cannot be read.
pub fn check_rule_file(path: &Path, limits: Option<&Limits>) -> Result<CheckedFile, String> {
    let source = read_source(path).map_err(|e| e.to_string())?;
    let plugins = PluginFiles::new(path, limits.cloned().unwrap_or_default());
    match scoreline_syntax::parse(&source) {
        Err(diagnostics) => Ok(CheckedFile {
            source,
            ast: None,
            checked: None,
            diagnostics,
            plugins,
        }),
        Ok(ast) => {
            plugins.name_plugins(&ast);
            let checked = check(&source, &ast, &CheckOptions { plugins: &plugins });
            let diagnostics = checked.diagnostics.clone();
            Ok(CheckedFile {
                source,
                ast: Some(ast),
                checked: Some(checked),
                diagnostics,
                plugins,
            })
        }
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
}

/// Resolves the inputs (flags over `scoreline.yaml`), checks the rule file, loads the data and
/// compiles the plan. On failure everything wrong has been printed and the exit code is returned.
pub fn prepare(inputs: &InputArgs) -> Result<Prepared, u8> {
    let project = project::load(inputs.project.as_deref()).map_err(|m| {
        eprintln!("{m}");
        EXIT_USAGE
    })?;
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
        eprintln!("error: no rule file given\n  = help: pass `--ruleset FILE`, or run in a project folder with a `scoreline.yaml` that names its `ruleset`");
        return Err(EXIT_USAGE);
    };
    let Some(contacts) = inputs
        .contacts
        .clone()
        .or_else(|| from_project(&|p| p.project.data.contacts.clone()))
    else {
        eprintln!("error: no contacts file given\n  = help: pass `--contacts FILE`, or set `data: contacts:` in `scoreline.yaml`");
        return Err(EXIT_USAGE);
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
    let as_of_text = inputs
        .as_of
        .clone()
        .or_else(|| project.as_ref().and_then(|p| p.project.as_of.clone()))
        .unwrap_or_else(|| "now".to_string());
    let as_of_millis = parse_as_of(&as_of_text).map_err(|m| {
        eprintln!("{m}");
        EXIT_USAGE
    })?;
    let id_column = inputs
        .id_column
        .clone()
        .or_else(|| {
            project
                .as_ref()
                .and_then(|p| p.project.data.id_column.clone())
        })
        .unwrap_or_else(|| "id".to_string());
    let limits = project.as_ref().and_then(|p| p.project.plugins.clone());

    // The rule file and its plugins.
    let file = check_rule_file(&ruleset, limits.as_ref()).map_err(|m| {
        eprintln!("{m}");
        EXIT_ERRORS
    })?;
    if !file.diagnostics.is_empty() {
        eprintln!(
            "{}",
            scoreline_syntax::diagnostic::render(&file.diagnostics)
        );
    }
    let (Some(ast), Some(checked)) = (&file.ast, &file.checked) else {
        return Err(EXIT_ERRORS);
    };
    if file.has_errors() {
        return Err(EXIT_ERRORS);
    }

    // The data.
    let mut request = LoadRequest::new(&contacts);
    request.events = events.clone();
    request.options.schema = checked.schema.as_ref();
    request.options.id_column = id_column;
    request.options.skip_bad_rows = inputs.skip_bad_rows.is_some();
    request.options.threads = inputs.threads.unwrap_or(0);
    let loaded = match scoreline_data::load(&request) {
        Ok(l) => l,
        Err(e) => {
            print_data_problems(&e.problems);
            if e.more > 0 {
                eprintln!("… and {} more problems", e.more);
            }
            eprintln!(
                "error: the data has {} problem{}; nothing was scored\n  = help: fix the rows above, or pass `--skip-bad-rows FILE` to set them aside and score the rest",
                e.count(),
                if e.count() == 1 { "" } else { "s" }
            );
            return Err(EXIT_ERRORS);
        }
    };
    print_data_problems(&loaded.warnings);
    if let Some(path) = &inputs.skip_bad_rows {
        if let Err(e) = scoreline_data::write_skipped(path, &loaded.skipped) {
            eprintln!(
                "error: cannot write `{}`: {}",
                path.display(),
                io_reason(&e)
            );
            return Err(EXIT_ERRORS);
        }
        if !loaded.skipped.is_empty() {
            eprintln!(
                "set aside {} bad row{} in `{}`",
                loaded.skipped.len(),
                if loaded.skipped.len() == 1 { "" } else { "s" },
                path.display()
            );
        }
    }
    let dataset = loaded.dataset;

    // The plan, against the schema in force.
    let mut plugins = Vec::new();
    let mut plugin_bytes = Vec::new();
    for item in &ast.items {
        if let Item::Plugin(p) = item {
            if let Some(loaded) = file.plugins.get(&p.path.value) {
                plugins.push((p.name.name.clone(), Arc::clone(&loaded.plugin)));
                plugin_bytes.push(loaded.bytes.clone());
            }
        }
    }
    let plan = scoreline_engine::compile(
        &file.source,
        ast,
        &checked.symbols,
        &dataset.schema,
        &plugins,
    )
    .map_err(|diagnostics| {
        eprintln!("{}", scoreline_syntax::diagnostic::render(&diagnostics));
        EXIT_ERRORS
    })?;
    let byte_refs: Vec<&[u8]> = plugin_bytes.iter().map(Vec::as_slice).collect();
    let version = scoreline_engine::ruleset_version(file.source.text.as_bytes(), &byte_refs);
    let name = plan.ruleset().map(str::to_string).unwrap_or_else(|| {
        ruleset
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let events_count = dataset.events.len();
    Ok(Prepared {
        plan,
        dataset,
        as_of_millis,
        meta: scoreline_data::OutputMeta {
            ruleset: name,
            version,
        },
        contacts_path: contacts,
        events_count,
        project,
    })
}

fn print_data_problems(problems: &[scoreline_data::DataProblem]) {
    for p in problems {
        eprintln!("{p}");
    }
}

/// `now`, a date (00:00 UTC) or an RFC 3339 instant, as milliseconds since the epoch.
pub fn parse_as_of(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(chrono::Utc::now().timestamp_millis());
    }
    scoreline_data::parse_date(text).ok_or_else(|| {
        format!("error: `{text}` is not a valid as-of\n  = help: use `now`, a date such as `2026-11-01` (00:00 UTC) or an RFC 3339 instant such as `2026-11-01T09:30:00Z`")
    })
}
