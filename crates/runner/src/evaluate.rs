//! `scoreline evaluate`: score the data as of a past day, then compare the scores and
//! segments with what happened next (TRUST.md). One load serves the as-of and the baseline.

pub mod metrics;
pub mod outcome;
pub mod text;

use crate::failure::Message;
use std::collections::HashMap;
use std::path::Path;

use scoreline_data::{LoadRequest, Value};
use serde::Serialize;

use crate::pipeline::{load_ruleset, parse_as_of, render_problems, resolve, Failure, Ruleset};
use crate::sources::io_reason;
use crate::Inputs;

use metrics::{Metrics, ScoreColumn, SegmentColumn};
pub use outcome::{parse_horizon, Outcome, OutcomeJson};

/// What to evaluate, besides the inputs shared with `run`.
#[derive(Debug, Clone)]
pub struct Request {
    pub inputs: Inputs,
    pub outcome: Outcome,
    /// The scores to report (`--score`, in that order); empty: every score in file order.
    pub scores: Vec<String>,
    /// How many buckets (`--bins`).
    pub bins: usize,
    /// `--baseline-as-of`, for PSI.
    pub baseline_as_of: Option<String>,
    /// `--baseline-run RUN_ID`: the baseline is a run of the score history, read instead of
    /// rescored.
    pub baseline_run: Option<i64>,
    /// `--history URL` (else `output.history`), where `baseline_run` is.
    pub history: Option<std::path::PathBuf>,
}

/// The JSON report of TRUST.md.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub ruleset: RulesetRef,
    pub as_of: String,
    pub outcome: OutcomeJson,
    pub contacts: usize,
    pub unknown_outcome: usize,
    pub positives: usize,
    pub base_rate: Option<f64>,
    pub scores: Vec<metrics::ScoreMetrics>,
    pub segments: Vec<metrics::SegmentMetrics>,
}

/// The ruleset's name and version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RulesetRef {
    pub name: String,
    pub version: String,
}

/// An evaluation: the report, and what people (text, HTML) are shown besides it.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub report: Report,
    /// The outcome, for people.
    pub outcome: String,
    /// The baseline's as-of, with `--baseline-as-of`.
    pub baseline_as_of: Option<String>,
    /// Why some metrics are null.
    pub notes: Vec<metrics::Undefined>,
    /// The rule file's titles, for the HTML report.
    pub titles: crate::report::Titles,
}

impl Evaluated {
    /// The report as JSON (numbers unrounded), with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.report).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Checks the flags that need no data: `--bins`; the outcome was parsed by the caller.
fn check_request(request: &Request) -> Result<(), Failure> {
    if request.bins == 0 {
        return Err(Failure::usage(Message::new("`--bins` must be at least 1").help("the scores are split in that many buckets of about equal size, such as `--bins 10`")));
    }
    Ok(())
}

/// Resolves the inputs, checks the rule file, loads the data once, scores it as of the as-of
/// (and the baseline), and computes every metric. Warnings are said on the console ([`crate::console`]).
pub fn evaluate(request: &Request) -> Result<Evaluated, Failure> {
    check_request(request)?;
    let settings = resolve(&request.inputs)?;
    let baseline_millis = match &request.baseline_as_of {
        Some(text) => Some(parse_as_of(text).map_err(|m| {
            Failure::usage(Message {
                text: m.text.replace("as-of", "baseline as-of"),
                ..m
            })
        })?),
        None => None,
    };
    let (ruleset, warnings) = load_ruleset(&settings)?;
    if !warnings.is_empty() {
        crate::console::say(&warnings);
    }
    let loaded = load_data(&settings, &ruleset, &request.outcome)?;
    let plan = ruleset.compile(&loaded.dataset.schema)?;
    let names = chosen_scores(&plan, &request.scores)?;
    let outcomes = outcome::outcomes(
        &request.outcome,
        &loaded.dataset,
        &loaded.set_aside,
        settings.as_of_millis,
    )
    .map_err(Failure::errors)?;

    let pool = crate::score::thread_pool(settings.threads);
    let evaluation = score(&plan, &loaded.dataset, settings.as_of_millis, pool.as_ref())?;
    let baseline = match baseline_millis {
        Some(t0) => Some(score(&plan, &loaded.dataset, t0, pool.as_ref())?),
        None => None,
    };
    let scores = score_columns(&evaluation, &names);
    let mut baseline_scores = baseline.as_ref().map(|b| score_columns(b, &names));
    let mut baseline_millis = baseline_millis;
    if let Some(run_id) = request.baseline_run {
        let (columns, as_of) =
            stored_baseline(request, &settings, run_id, &loaded.dataset, &names)?;
        baseline_scores = Some(columns);
        baseline_millis = Some(as_of);
    }
    let segments = segment_columns(&evaluation);
    let metrics = metrics::compute(&metrics::Inputs {
        outcomes: &outcomes,
        scores: &scores,
        baseline: baseline_scores.as_deref(),
        segments: &segments,
        bins: request.bins,
    });
    Ok(assemble(
        &ruleset,
        &plan,
        request,
        settings.as_of_millis,
        baseline_millis,
        metrics,
    ))
}

/// The baseline of `--baseline-run`: each chosen score of a stored run, per contact of the
/// data set (missing for a contact the run did not score), and the run's as-of.
fn stored_baseline(
    request: &Request,
    settings: &crate::pipeline::Settings,
    run_id: i64,
    dataset: &scoreline_data::Dataset,
    names: &[String],
) -> Result<(Vec<ScoreColumn>, i64), Failure> {
    if request.baseline_as_of.is_some() {
        return Err(Failure::usage(
            Message::new("`--baseline-run` and `--baseline-as-of` both name a baseline")
                .help("give one of them"),
        ));
    }
    let path = request
        .history
        .clone()
        .or_else(|| {
            settings
                .project
                .as_ref()
                .and_then(|p| p.project.output.history.as_ref().map(|h| p.path(h)))
        })
        .ok_or_else(|| {
            Failure::usage(
                Message::new("`--baseline-run` needs the score history")
                    .help("pass `--history URL`, or set `output.history` in `scoreline.yaml`"),
            )
        })?;
    let url = crate::database::url(&path).map_err(Failure::usage)?;
    let stored = scoreline_db::History::open(&url, false)
        .and_then(|mut h| h.run(run_id, scoreline_db::Entity::Contact))
        .map_err(|e| Failure::errors(e.into()))?;
    let by_id: std::collections::HashMap<&str, &scoreline_db::HistoryEntry> =
        stored.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut columns = Vec::new();
    for name in names {
        if !stored.run.scores.contains(name) {
            return Err(Failure::errors(
                Message::new(format!("run {run_id} of `{url}` has no score `{name}`")).help(
                    format!(
                        "its scores are {}",
                        scoreline_model::suggest::list(
                            &stored
                                .run
                                .scores
                                .iter()
                                .map(String::as_str)
                                .collect::<Vec<_>>(),
                            12
                        )
                    ),
                ),
            ));
        }
        let values = dataset
            .contacts
            .iter()
            .map(|c| {
                let id = match c.fields.first() {
                    Some(Value::Text(t)) => &**t,
                    _ => "",
                };
                by_id.get(id).and_then(|e| {
                    e.scores
                        .iter()
                        .find(|(n, _)| n == name)
                        .and_then(|(_, v)| *v)
                })
            })
            .collect();
        columns.push(ScoreColumn {
            name: name.clone(),
            values,
        });
    }
    let as_of = scoreline_data::parse_date(&stored.run.as_of).unwrap_or_default();
    Ok((columns, as_of))
}

/// Loads the data of `settings` for an outcome: its events are set aside when the schema
/// does not declare their type. Warnings are said on the console ([`crate::console`]).
pub(crate) fn load_data(
    settings: &crate::pipeline::Settings,
    ruleset: &Ruleset,
    outcome: &Outcome,
) -> Result<scoreline_data::Loaded, Failure> {
    // The outcome's events are set aside when the schema does not declare their type.
    let preset_schema = settings.preset_schema(ruleset.schema());
    settings.id_column_of(preset_schema.as_ref().or(ruleset.schema()))?;
    let mut options = settings.load_options(preset_schema.as_ref().or(ruleset.schema()));
    options.accounts.wanted |= ruleset.uses_accounts();
    if let (Some(t), Some(schema)) = (outcome.event_type(), ruleset.schema()) {
        if schema.event(t).is_none() {
            options.set_aside.push(t.to_string());
        }
    }
    let mut load = LoadRequest::new(&settings.contacts);
    load.events = settings.events.clone();
    load.accounts = settings.accounts.clone();
    let database = std::iter::once(&settings.contacts)
        .chain(&settings.events)
        .chain(&settings.accounts)
        .any(|p| crate::database::is_db(p));
    let loaded = if database {
        let schema = preset_schema.as_ref().or(ruleset.schema());
        crate::database::load(settings, schema, &options)?.0
    } else {
        load.options = options;
        scoreline_data::load(&load).map_err(|e| Failure::load(&e))?
    };
    let warnings = render_problems(&loaded.warnings);
    if !warnings.is_empty() {
        crate::console::say(&warnings);
    }
    if let Some(path) = &settings.skip_bad_rows {
        write_skipped(path, &loaded.skipped)?;
    }
    Ok(loaded)
}

fn assemble(
    ruleset: &Ruleset,
    plan: &scoreline_engine::Plan,
    request: &Request,
    as_of: i64,
    baseline: Option<i64>,
    metrics: Metrics,
) -> Evaluated {
    let meta = ruleset.meta(plan);
    let mut notes: Vec<metrics::Undefined> = metrics
        .scores
        .iter()
        .flat_map(|s| s.notes.iter().cloned())
        .collect();
    notes.extend(metrics.notes.iter().cloned());
    Evaluated {
        report: Report {
            ruleset: RulesetRef {
                name: meta.ruleset,
                version: meta.version,
            },
            as_of: scoreline_data::format_date(as_of),
            outcome: request.outcome.to_json(),
            contacts: metrics.contacts,
            unknown_outcome: metrics.unknown_outcome,
            positives: metrics.positives,
            base_rate: metrics.base_rate,
            scores: metrics.scores,
            segments: metrics.segments,
        },
        outcome: request.outcome.describe(),
        baseline_as_of: baseline.map(scoreline_data::format_date),
        notes,
        titles: crate::report::Titles::of(&ruleset.ast),
    }
}

fn write_skipped(path: &Path, skipped: &[scoreline_data::SkippedRow]) -> Result<(), Failure> {
    scoreline_data::write_skipped(path, skipped).map_err(|e| {
        Failure::errors(Message::new(format!(
            "cannot write `{}`: {}",
            path.display(),
            io_reason(&e)
        )))
    })?;
    if !skipped.is_empty() {
        crate::console::say(format!(
            "set aside {} bad row{} in `{}`",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" },
            path.display()
        ));
    }
    Ok(())
}

/// Scores the data as of `as_of`; failed plugin calls fail the evaluation (their scores
/// would be missing, and the metrics quietly about other contacts).
pub(crate) fn score(
    plan: &scoreline_engine::Plan,
    data: &scoreline_data::Dataset,
    as_of: i64,
    pool: Option<&rayon::ThreadPool>,
) -> Result<scoreline_engine::Evaluation, Failure> {
    let evaluation = plan.score(
        data,
        scoreline_engine::AsOf::from_millis(as_of),
        scoreline_engine::EvalOptions {
            explain: false,
            pool,
            previous: None,
        },
    );
    for line in &evaluation.plugin_log {
        crate::console::say(line);
    }
    if evaluation.plugin_errors.is_empty() {
        return Ok(evaluation);
    }
    Err(crate::score::plugin_failure(
        &evaluation,
        Message::new("plugin calls failed; nothing was evaluated")
            .help("fix the plugin: the contacts it failed for would have no score"),
    ))
}

/// The scores to report: those of `--score` in that order, else every score.
fn chosen_scores(plan: &scoreline_engine::Plan, asked: &[String]) -> Result<Vec<String>, Failure> {
    let all = plan.score_names();
    if asked.is_empty() {
        return Ok(all.iter().map(|s| s.to_string()).collect());
    }
    let mut out: Vec<String> = Vec::new();
    for name in asked {
        if !all.contains(&name.as_str()) {
            let help = match nearest(name, &all) {
                Some(near) => format!("did you mean `{near}`?"),
                None if all.is_empty() => "the rule file has no score".to_string(),
                None => format!(
                    "the rule file's scores are {}",
                    all.iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(Failure::usage(
                Message::new(format!("`--score {name}` names no score")).help(help.to_string()),
            ));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// The known name nearest to `name`, when it is close enough to be a likely typo (the
/// workspace's one "did you mean").
pub(crate) fn nearest<'n>(name: &str, known: &[&'n str]) -> Option<&'n str> {
    scoreline_model::suggest::closest(name, known.iter().copied())
}

/// The named scores' values, per contact.
pub fn score_columns(
    evaluation: &scoreline_engine::Evaluation,
    names: &[String],
) -> Vec<ScoreColumn> {
    names
        .iter()
        .filter_map(|name| {
            let col = evaluation.columns.iter().position(|c| c == name)?;
            let values = evaluation
                .rows()
                .map(|row| match row[col] {
                    Value::Number(x) => Some(x),
                    _ => None,
                })
                .collect();
            Some(ScoreColumn {
                name: name.clone(),
                values,
            })
        })
        .collect()
}

/// Every segment's label per contact, with its labels in arm order.
pub fn segment_columns(evaluation: &scoreline_engine::Evaluation) -> Vec<SegmentColumn> {
    evaluation
        .segment_counts
        .iter()
        .filter_map(|counts| {
            let col = evaluation
                .columns
                .iter()
                .position(|c| *c == counts.segment)?;
            let mut labels: Vec<String> = Vec::new();
            for (label, _) in &counts.labels {
                if !labels.contains(label) {
                    labels.push(label.clone());
                }
            }
            let index: HashMap<&str, usize> = labels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i))
                .collect();
            let of_contact = evaluation
                .rows()
                .map(|row| match &row[col] {
                    Value::Text(t) => index.get(&**t).copied(),
                    _ => None,
                })
                .collect();
            Some(SegmentColumn {
                name: counts.segment.clone(),
                labels,
                of_contact,
            })
        })
        .collect()
}
