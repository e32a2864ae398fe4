//! Writing what a run produces: the scores table, the explanations and the manifest, each
//! atomically (temporary file + rename), and where they go (flags over `scoreline.yaml`).

use crate::failure::Message;
use std::io::Write;
use std::path::{Path, PathBuf};

use scoreline_data::{OutputFormat, OutputMeta, RenderedRows, RowWriter, Value};

use crate::manifest::{manifest_path, Input, Manifest, Output, OutputRole};
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
    /// In CSV, the ruleset as `ruleset` and `ruleset_version` columns ending each row.
    pub stamp: bool,
    /// The score history every run is appended to (a database URL), when asked for.
    pub history: Option<PathBuf>,
    /// The accounts' scores and segments (LANGUAGE.md §13), when asked for.
    pub accounts: Option<PathBuf>,
    /// Whether the accounts file comes from the command line (`--accounts-out`), not from
    /// `output.accounts`: a ruleset without account items then is a usage error.
    pub accounts_from_flag: bool,
    /// The format of the accounts file: its extension's, else the scores'.
    pub accounts_format: OutputFormat,
}

/// The output flags of a command, before `scoreline.yaml` fills the gaps.
#[derive(Debug, Clone, Default)]
pub struct OutputFlags {
    pub scores: Option<PathBuf>,
    pub format: Option<OutputFormat>,
    pub explain: Option<PathBuf>,
    pub changes: Option<PathBuf>,
    pub stamp: bool,
    pub history: Option<PathBuf>,
    /// `--accounts-out FILE`.
    pub accounts: Option<PathBuf>,
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
        let history = flags
            .history
            .clone()
            .or_else(|| from_project(&|o| o.history.as_ref()));
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
        let accounts = flags
            .accounts
            .clone()
            .or_else(|| from_project(&|o| o.accounts.as_ref()));
        let accounts_format = accounts
            .as_deref()
            .and_then(OutputFormat::from_path)
            .unwrap_or(format);
        Outputs {
            scores,
            format,
            explain,
            changes,
            stamp: flags.stamp,
            history,
            accounts_from_flag: flags.accounts.is_some(),
            accounts,
            accounts_format,
        }
    }
}

/// Creates the folder that will hold `path`, if it is missing.
pub fn create_parent(path: &Path) -> Result<(), Message> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            Message::new(format!(
                "cannot create folder `{}`: {}",
                parent.display(),
                io_reason(&e)
            ))
        })?;
    }
    Ok(())
}

/// Writes a file atomically (folder created if missing). `Err` is a message for the user.
pub(crate) fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Message> {
    create_parent(path)?;
    scoreline_data::write_atomic(path, write).map_err(|e| {
        Message::new(format!(
            "cannot write `{}`: {}",
            path.display(),
            io_reason(&e)
        ))
    })
}

/// The ruleset stamp of a CSV scores table (`--stamp`): its two columns' values, which end
/// every row. `None` when not stamped, or not CSV (JSON objects carry a `ruleset` field).
fn stamp_values(meta: &OutputMeta, format: OutputFormat, stamp: bool) -> Option<[Value; 2]> {
    (stamp && format == OutputFormat::Csv).then(|| {
        [
            Value::Text(meta.ruleset.as_str().into()),
            Value::Text(meta.version.as_str().into()),
        ]
    })
}

/// The columns of a scores table: the evaluation's, then the stamp's when stamped.
fn score_columns(evaluation: &Evaluation, stamped: bool) -> Vec<String> {
    let mut columns = evaluation.columns.clone();
    if stamped {
        columns.push("ruleset".into());
        columns.push("ruleset_version".into());
    }
    columns
}

/// Writes the scores table to `out` atomically, or to standard output when `out` is `None`.
/// `Err` is a message for the user.
pub fn write_scores(
    meta: &OutputMeta,
    evaluation: &Evaluation,
    out: Option<&Path>,
    format: OutputFormat,
    stamp: bool,
) -> Result<(), Message> {
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
) -> Result<(), Message> {
    let stamp_values = stamp_values(meta, format, stamp);
    let extended = stamp_values.is_some() || errors_column;
    let mut columns = score_columns(evaluation, stamp_values.is_some());
    if errors_column {
        columns.push("errors".into());
    }
    let header_meta = stamp_values.is_none().then_some(meta);
    if let Some(path) = out.filter(|p| crate::database::is_db(p)) {
        return write_scores_table(path, evaluation, &columns, stamp, errors_column, meta);
    }
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        let mut writer = RowWriter::new(w, format, &columns, header_meta)?;
        let mut row = Vec::with_capacity(columns.len());
        for (i, values) in evaluation.rows().enumerate() {
            if extended {
                row.clear();
                row.extend_from_slice(values);
                if let Some(extra) = &stamp_values {
                    row.extend_from_slice(extra);
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
        Some(path) => write_file(path, |w| write(w)),
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            write(&mut lock)
                .and_then(|_| lock.flush())
                .map_err(|e| Message::new(format!("cannot write the scores: {}", io_reason(&e))))
        }
    }
}

/// Writes the scores to a database table (replaced in one transaction): the scores table's
/// columns, then `ruleset` and `ruleset_version` with `stamp`, then `errors` when asked.
fn write_scores_table(
    path: &Path,
    evaluation: &Evaluation,
    columns: &[String],
    stamp: bool,
    errors_column: bool,
    meta: &OutputMeta,
) -> Result<(), Message> {
    let url = crate::database::url(path)?;
    let mut columns = columns.to_vec();
    let stamp_values = stamp.then(|| {
        [
            Value::Text(meta.ruleset.as_str().into()),
            Value::Text(meta.version.as_str().into()),
        ]
    });
    if stamp && !columns.iter().any(|c| c == "ruleset") {
        columns.push("ruleset".into());
        columns.push("ruleset_version".into());
    }
    let rows: Vec<Vec<Value>> = evaluation
        .rows()
        .enumerate()
        .map(|(i, values)| {
            let mut row = values.to_vec();
            if let Some(extra) = &stamp_values {
                row.extend_from_slice(extra);
            }
            if errors_column {
                row.push(
                    evaluation
                        .row_error(i)
                        .map_or(Value::Missing, |e| Value::Text(e.into())),
                );
            }
            row
        })
        .collect();
    let refs: Vec<&[Value]> = rows.iter().map(Vec::as_slice).collect();
    let kinds: Vec<scoreline_db::OutputColumn> = (0..columns.len())
        .map(|c| scoreline_db::OutputColumn::of(rows.iter().filter_map(|r| r.get(c))))
        .collect();
    scoreline_db::write_table(&url, &columns, &kinds, &refs).map_err(Message::from)
}

/// The scores table rendered in memory, as `scoreline watch` keeps it: after an incremental
/// rescore only the rescored rows are formatted again. Its bytes are those
/// [`write_scores`] writes for the same evaluation.
pub struct RenderedScores {
    rows: RenderedRows,
    /// In CSV with `stamp`, the `ruleset` and `ruleset_version` values ending each row.
    stamp: Option<[Value; 2]>,
}

impl RenderedScores {
    /// Formats every row of `evaluation`.
    pub fn render(
        meta: &OutputMeta,
        evaluation: &Evaluation,
        format: OutputFormat,
        stamp: bool,
    ) -> RenderedScores {
        let stamp = stamp_values(meta, format, stamp);
        let columns = score_columns(evaluation, stamp.is_some());
        let mut rows = RenderedRows::new(format, &columns, stamp.is_none().then_some(meta));
        let mut row = Vec::with_capacity(columns.len());
        for values in evaluation.rows() {
            match &stamp {
                Some(extra) => {
                    row.clear();
                    row.extend_from_slice(values);
                    row.extend_from_slice(extra);
                    rows.push(&row);
                }
                None => rows.push(values),
            }
        }
        RenderedScores { rows, stamp }
    }

    /// Formats again the rows at `indices`, from `evaluation` (the same contacts, in the
    /// same order, as when rendered).
    pub fn update(&mut self, evaluation: &Evaluation, indices: &[usize]) {
        let stamp = &self.stamp;
        self.rows.replace(indices, |i, row| {
            row.extend_from_slice(evaluation.row(i));
            if let Some(extra) = stamp {
                row.extend_from_slice(extra);
            }
        });
    }

    /// Writes the table to `path`, atomically. `Err` is a message for the user.
    pub fn write(&self, path: &Path) -> Result<(), Message> {
        write_file(path, |w| self.rows.write_to(w))
    }
}

impl Outputs {
    /// The manifest's path: beside the scores file; `None` when the scores go to standard
    /// output.
    pub fn manifest(&self) -> Option<PathBuf> {
        self.scores.as_deref().map(manifest_path)
    }
}

/// What a run wrote, for its manifest.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    /// The rows of the scores table (one per contact).
    pub contacts: usize,
    /// How many explanations were written, when they were (one per contact).
    pub explanations: Option<usize>,
    /// The skipped rows file and its rows, when `--skip-bad-rows` wrote one.
    pub skipped_rows: Option<(&'a Path, usize)>,
    /// The rows of the accounts file, when it was written (one per account).
    pub accounts: Option<usize>,
}

/// Writes the manifest of the outputs just written (they must be in place: it comes after
/// them), atomically, beside the scores file; nothing when the scores went to standard
/// output. `Err` is a message for the user.
pub fn write_manifest(
    outputs: &Outputs,
    meta: &OutputMeta,
    as_of_millis: i64,
    inputs: &[Input],
    written: Written,
) -> Result<(), Message> {
    let (Some(scores), Some(path)) = (outputs.scores.as_deref(), outputs.manifest()) else {
        return Ok(());
    };
    // A table has no folder to hold a manifest: the history keeps what a run read. Scores sent
    // to a device or a pipe (`--out /dev/stdout`) leave no file to describe either.
    if crate::database::is_db(scores) || std::fs::metadata(scores).is_ok_and(|m| !m.is_file()) {
        return Ok(());
    }
    let mut files = vec![Output::new(
        OutputRole::Scores,
        scores,
        outputs.format,
        written.contacts,
    )];
    if let (Some(explain), Some(rows)) = (outputs.explain.as_deref(), written.explanations) {
        files.push(Output::new(
            OutputRole::Explain,
            explain,
            OutputFormat::Ndjson,
            rows,
        ));
    }
    if let (Some(accounts), Some(rows)) = (outputs.accounts.as_deref(), written.accounts) {
        files.push(Output::new(
            OutputRole::Accounts,
            accounts,
            outputs.accounts_format,
            rows,
        ));
    }
    if let Some((skipped, rows)) = written.skipped_rows {
        files.push(Output::new(
            OutputRole::SkippedRows,
            skipped,
            OutputFormat::Csv,
            rows,
        ));
    }
    Manifest::new(meta, as_of_millis, inputs.to_vec(), files).write(&path)
}

/// What the accounts output (LANGUAGE.md §13) comes to for a ruleset: whether to write it,
/// or the warning for the run's summary when the ruleset has account items and no accounts
/// output is configured. `Err` is the usage error of `--accounts-out` for a ruleset
/// without account items.
pub fn check_accounts_output(
    outputs: &Outputs,
    has_account_items: bool,
) -> Result<Option<String>, crate::pipeline::Failure> {
    match (&outputs.accounts, has_account_items) {
        (Some(path), false) if outputs.accounts_from_flag => {
            let report = Message::new(format!("`--accounts-out {}` asks for the accounts' scores, but the ruleset has no account items", crate::database::shown(path))).help("add `account score` or `account segment` items to the rule file (docs/language.md, \"Accounts\"), or leave out `--accounts-out`");
            Err(crate::pipeline::Failure::usage(report))
        }
        (Some(path), false) => Ok(Some(format!(
            "warning: `output.accounts` names `{}`, but the ruleset has no account items: it is not written",
            crate::database::shown(path)
        ))),
        (None, true) => Ok(Some(
            "warning: the ruleset has account items, but no accounts output is configured: the accounts' scores are not written\n  = help: set `output: accounts:` in `scoreline.yaml`, or pass `--accounts-out FILE`".into(),
        )),
        _ => Ok(None),
    }
}

/// Writes the accounts' evaluation (LANGUAGE.md §13: `id`, every account score, every
/// account segment with its `NAME_action` column, in accounts order) to `outputs.accounts`,
/// atomically, with the scores' rules: the format from its extension (else the scores'),
/// the ruleset stamped as the scores are (`--stamp` columns in CSV, a `ruleset` field in
/// JSON). Returns the rows written (for [`Written::accounts`]); `Ok(None)` when no
/// accounts output is configured or there is no accounts evaluation. `Err` is a message.
pub fn write_accounts(
    meta: &OutputMeta,
    accounts: Option<&Evaluation>,
    outputs: &Outputs,
) -> Result<Option<usize>, Message> {
    let (Some(path), Some(evaluation)) = (outputs.accounts.as_deref(), accounts) else {
        return Ok(None);
    };
    write_scores(
        meta,
        evaluation,
        Some(path),
        outputs.accounts_format,
        outputs.stamp,
    )?;
    Ok(Some(evaluation.len()))
}

/// The run summary's line about the accounts: how many were scored and where they went,
/// and the count of each account segment's labels.
pub fn accounts_summary(accounts: &Evaluation, out: Option<&Path>) -> String {
    let n = accounts.len();
    let mut line = format!("scored {n} account{}", if n == 1 { "" } else { "s" });
    if let Some(path) = out {
        line.push_str(&format!(" → {}", crate::database::shown(path)));
    }
    line.push_str(&segment_counts_lines(&accounts.segment_counts));
    line
}

/// A summary's lines of segment counts: `\ntier: hot 3, warm 5, (no label) 1` per segment, a
/// label that several arms give counted once with their total.
pub fn segment_counts_lines(segments: &[scoreline_engine::SegmentCounts]) -> String {
    let mut out = String::new();
    for counts in segments {
        let mut parts: Vec<String> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (label, _) in &counts.labels {
            if seen.contains(&label.as_str()) {
                continue;
            }
            seen.push(label);
            let n: usize = counts
                .labels
                .iter()
                .filter(|(l, _)| l == label)
                .map(|(_, n)| n)
                .sum();
            parts.push(format!("{label} {n}"));
        }
        if counts.missing > 0 {
            parts.push(format!("(no label) {}", counts.missing));
        }
        out.push_str(&format!("\n{}: {}", counts.segment, parts.join(", ")));
    }
    out
}

/// Writes every explanation to `path` as NDJSON, atomically.
pub fn write_explanations(path: &Path, explanations: &[Explanation]) -> Result<(), Message> {
    if crate::database::is_db(path) {
        // One row per contact: its id and its explanation as JSON (the NDJSON file's line).
        let url = crate::database::url(path)?;
        let rows: Vec<[Value; 2]> = explanations
            .iter()
            .map(|x| {
                let json = serde_json::to_string(x).unwrap_or_default();
                [Value::Text(x.id.as_str().into()), Value::Text(json.into())]
            })
            .collect();
        let refs: Vec<&[Value]> = rows.iter().map(|r| r.as_slice()).collect();
        let columns = ["id".to_string(), "explanation".to_string()];
        let kinds = [scoreline_db::OutputColumn::Text; 2];
        return scoreline_db::write_table(&url, &columns, &kinds, &refs).map_err(Message::from);
    }
    write_file(path, |w| {
        let mut w = std::io::BufWriter::new(w);
        for x in explanations {
            serde_json::to_writer(&mut w, x).map_err(std::io::Error::other)?;
            w.write_all(b"\n")?;
        }
        w.flush()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation(totals: &[f64]) -> Evaluation {
        let mut values = Vec::new();
        for (i, t) in totals.iter().enumerate() {
            values.push(Value::Text(format!("c{i}").into()));
            values.push(Value::Number(*t));
            values.push(Value::Text(
                if *t >= 50.0 { "hot, now" } else { "cold" }.into(),
            ));
        }
        Evaluation {
            columns: vec!["id".into(), "total".into(), "tier".into()],
            values,
            ..Evaluation::default()
        }
    }

    fn outputs(accounts: Option<PathBuf>, from_flag: bool) -> Outputs {
        let flags = OutputFlags {
            scores: Some("out/scores.csv".into()),
            accounts: accounts.clone().filter(|_| from_flag),
            ..OutputFlags::default()
        };
        let mut o = Outputs::resolve(&flags, None);
        if !from_flag {
            o.accounts_format = accounts
                .as_deref()
                .and_then(OutputFormat::from_path)
                .unwrap_or(o.format);
            o.accounts = accounts;
        }
        o
    }

    #[test]
    fn the_accounts_output_follows_the_account_items() {
        // `--accounts-out` for a ruleset without account items: a usage error.
        let o = outputs(Some("accounts.csv".into()), true);
        let f = check_accounts_output(&o, false).unwrap_err();
        assert_eq!(f.exit_code(), crate::EXIT_USAGE);
        assert_eq!(
            f.message().cloned().unwrap(),
            Message::new("`--accounts-out accounts.csv` asks for the accounts' scores, but the ruleset has no account items").help("add `account score` or `account segment` items to the rule file (docs/language.md, \"Accounts\"), or leave out `--accounts-out`")
        );
        assert_eq!(check_accounts_output(&o, true).unwrap(), None);
        // `output.accounts` without account items: a warning, nothing written.
        let o = outputs(Some("out/accounts.json".into()), false);
        assert_eq!(
            check_accounts_output(&o, false).unwrap().as_deref(),
            Some("warning: `output.accounts` names `out/accounts.json`, but the ruleset has no account items: it is not written")
        );
        // Account items and no accounts output: a warning for the summary.
        let o = outputs(None, false);
        assert_eq!(
            check_accounts_output(&o, true).unwrap().as_deref(),
            Some("warning: the ruleset has account items, but no accounts output is configured: the accounts' scores are not written\n  = help: set `output: accounts:` in `scoreline.yaml`, or pass `--accounts-out FILE`")
        );
        assert_eq!(check_accounts_output(&o, false).unwrap(), None);
    }

    #[test]
    fn the_accounts_output_is_written_like_the_scores() {
        let meta = OutputMeta {
            ruleset: "accounts".into(),
            version: "0f29e1649763".into(),
        };
        let dir = tempfile::tempdir().unwrap();
        let mut accounts = evaluation(&[72.5, 10.0]);
        accounts.segment_counts = vec![scoreline_engine::SegmentCounts {
            segment: "account_tier".into(),
            labels: vec![("target".into(), 1), ("watch".into(), 1)],
            missing: 0,
        }];
        for (name, expected) in [
            ("a.csv", "id,total,tier\nc0,72.5,\"hot, now\"\nc1,10,cold\n"),
            (
                "a.ndjson",
                "{\"id\":\"c0\",\"total\":72.5,\"tier\":\"hot, now\",\"ruleset\":{\"name\":\"accounts\",\"version\":\"0f29e1649763\"}}\n",
            ),
        ] {
            let path = dir.path().join("out").join(name);
            let o = outputs(Some(path.clone()), true);
            assert_eq!(write_accounts(&meta, Some(&accounts), &o), Ok(Some(2)));
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with(expected), "{name}: {text}");
            // Without an accounts evaluation, or without an accounts output: nothing.
            assert_eq!(write_accounts(&meta, None, &o), Ok(None));
        }
        let o = outputs(None, false);
        assert_eq!(write_accounts(&meta, Some(&accounts), &o), Ok(None));
        assert_eq!(
            accounts_summary(&accounts, Some(Path::new("out/accounts.csv"))),
            "scored 2 accounts → out/accounts.csv\naccount_tier: target 1, watch 1"
        );
    }

    /// Differential: the watcher's rendered scores, after rows were replaced, are the bytes
    /// `scoreline run` writes for the same evaluation, in every format, stamped or not.
    #[test]
    fn rendered_scores_are_the_written_scores() {
        let meta = OutputMeta {
            ruleset: "leads".into(),
            version: "0f29e1649763".into(),
        };
        let dir = tempfile::tempdir().unwrap();
        let (written, rendered) = (dir.path().join("w"), dir.path().join("r"));
        for format in [OutputFormat::Csv, OutputFormat::Json, OutputFormat::Ndjson] {
            for stamp in [false, true] {
                let before = evaluation(&[10.0, 55.5, 0.0, 99.25]);
                let after = evaluation(&[10.0, 12.0, 0.0, 100.0]);
                let mut scores = RenderedScores::render(&meta, &before, format, stamp);
                scores.update(&after, &[1, 3]);
                scores.write(&rendered).unwrap();
                write_scores(&meta, &after, Some(&written), format, stamp).unwrap();
                assert_eq!(
                    std::fs::read_to_string(&rendered).unwrap(),
                    std::fs::read_to_string(&written).unwrap(),
                    "{format:?}, stamp {stamp}"
                );
            }
        }
    }
}
