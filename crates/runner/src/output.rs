//! Writing what a run produces: the scores table and the explanations, each atomically
//! (temporary file + rename), and where they go (flags over `scoreline.yaml`).

use std::io::Write;
use std::path::{Path, PathBuf};

use scoreline_data::{OutputFormat, OutputMeta, RowWriter, Value};
use scoreline_engine::{Evaluation, Explanation};

use crate::project::{self, LoadedProject};
use crate::sources::io_reason;

/// Where and how to write the outputs of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs {
    /// The scores file; `None` writes the scores to standard output.
    pub scores: Option<PathBuf>,
    /// The format of the scores.
    pub format: OutputFormat,
    /// Every contact's explanation (NDJSON), when asked for.
    pub explain: Option<PathBuf>,
    /// The change feed of `scoreline watch` (NDJSON, appended), when asked for.
    pub changes: Option<PathBuf>,
    /// In CSV, the ruleset as `ruleset` and `ruleset_version` columns instead of a comment line.
    pub stamp: bool,
}

/// The output flags of a command, before `scoreline.yaml` fills the gaps.
#[derive(Debug, Clone, Default)]
pub struct OutputFlags {
    pub scores: Option<PathBuf>,
    pub format: Option<OutputFormat>,
    pub explain: Option<PathBuf>,
    pub changes: Option<PathBuf>,
    pub stamp: bool,
}

impl Outputs {
    /// Flags over the project's `output:` section; the format defaults to the scores file's
    /// extension, else CSV.
    pub fn resolve(flags: &OutputFlags, project: Option<&LoadedProject>) -> Outputs {
        let from_project = |f: &dyn Fn(&project::ProjectOutput) -> Option<&PathBuf>| {
            project.and_then(|p| f(&p.project.output).map(|s| p.path(s)))
        };
        let scores = flags
            .scores
            .clone()
            .or_else(|| from_project(&|o| o.scores.as_ref()));
        let explain = flags
            .explain
            .clone()
            .or_else(|| from_project(&|o| o.explain.as_ref()));
        let changes = flags
            .changes
            .clone()
            .or_else(|| from_project(&|o| o.changes.as_ref()));
        let format = flags
            .format
            .or_else(|| {
                project
                    .and_then(|p| p.project.output.format)
                    .map(|f| match f {
                        project::OutputFormat::Csv => OutputFormat::Csv,
                        project::OutputFormat::Json => OutputFormat::Json,
                        project::OutputFormat::Ndjson => OutputFormat::Ndjson,
                    })
            })
            .or_else(|| scores.as_deref().and_then(OutputFormat::from_path))
            .unwrap_or(OutputFormat::Csv);
        Outputs {
            scores,
            format,
            explain,
            changes,
            stamp: flags.stamp,
        }
    }
}

/// Creates the folder that will hold `path`, if it is missing.
pub fn create_parent(path: &Path) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            format!(
                "error: cannot create folder `{}`: {}",
                parent.display(),
                io_reason(&e)
            )
        })?;
    }
    Ok(())
}

/// Writes the scores table to `out` atomically, or to standard output when `out` is `None`.
/// `Err` is a message for the user.
pub fn write_scores(
    meta: &OutputMeta,
    evaluation: &Evaluation,
    out: Option<&Path>,
    format: OutputFormat,
    stamp: bool,
) -> Result<(), String> {
    write_scores_with_errors(meta, evaluation, out, format, stamp, false)
}

/// [`write_scores`], with an `errors` column (field) last when `errors_column` is set: each
/// row's plugin failures, empty (null) where there were none.
pub fn write_scores_with_errors(
    meta: &OutputMeta,
    evaluation: &Evaluation,
    out: Option<&Path>,
    format: OutputFormat,
    stamp: bool,
    errors_column: bool,
) -> Result<(), String> {
    let stamped = stamp && format == OutputFormat::Csv;
    let extended = stamped || errors_column;
    let mut columns = evaluation.columns.clone();
    if stamped {
        columns.push("ruleset".into());
        columns.push("ruleset_version".into());
    }
    if errors_column {
        columns.push("errors".into());
    }
    let header_meta = (!stamped).then_some(meta);
    let stamp_values = [
        Value::Text(meta.ruleset.as_str().into()),
        Value::Text(meta.version.as_str().into()),
    ];
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        let mut writer = RowWriter::new(w, format, &columns, header_meta)?;
        let mut row = Vec::with_capacity(columns.len());
        for (i, values) in evaluation.rows().enumerate() {
            if extended {
                row.clear();
                row.extend_from_slice(values);
                if stamped {
                    row.extend_from_slice(&stamp_values);
                }
                if errors_column {
                    row.push(
                        evaluation
                            .row_error(i)
                            .map_or(Value::Missing, |e| Value::Text(e.into())),
                    );
                }
                writer.write_row(&row)?;
            } else {
                writer.write_row(values)?;
            }
        }
        writer.finish()?;
        Ok(())
    };
    match out {
        Some(path) => {
            create_parent(path)?;
            scoreline_data::write_atomic(path, |w| write(w)).map_err(|e| {
                format!(
                    "error: cannot write `{}`: {}",
                    path.display(),
                    io_reason(&e)
                )
            })
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            write(&mut lock)
                .and_then(|_| lock.flush())
                .map_err(|e| format!("error: cannot write the scores: {}", io_reason(&e)))
        }
    }
}

/// Writes every explanation to `path` as NDJSON, atomically.
pub fn write_explanations(path: &Path, explanations: &[Explanation]) -> Result<(), String> {
    create_parent(path)?;
    scoreline_data::write_atomic(path, |w| {
        let mut w = std::io::BufWriter::new(w);
        for x in explanations {
            serde_json::to_writer(&mut w, x).map_err(std::io::Error::other)?;
            w.write_all(b"\n")?;
        }
        w.flush()
    })
    .map_err(|e| {
        format!(
            "error: cannot write `{}`: {}",
            path.display(),
            io_reason(&e)
        )
    })
}
