//! `scoreline diff`: what a rule change does, before it is merged (TRUST.md). Two versions
//! of a ruleset (rule files, or `REV:PATH` from git) score the same contacts at the same
//! as-of, from one load of the data; the scores and segments are compared contact by contact.

pub mod compare;
pub mod git;
pub mod text;

use crate::failure::{Message, Problem};
use std::path::{Path, PathBuf};

use scoreline_data::Dataset;
use scoreline_engine::{AsOf, EvalOptions, Evaluation, PartitionStatistics, Plan};
use serde::Serialize;

use crate::evaluate::RulesetRef;
use crate::pipeline::{check_source, load_data, resolve, Failure, Ruleset};
use crate::sources::{read_source, PluginFiles};
use crate::Inputs;

pub use compare::{Clause, Mover, ScoreDiff, SegmentDiff};

/// One version of the ruleset: a rule file on disk, or a rule file at a git revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    File(PathBuf),
    Git { rev: String, path: PathBuf },
}

impl Version {
    /// `REV:PATH` (when the text is not a file on disk and has a `:` after its first
    /// character), else a rule file path.
    pub fn parse(text: &str) -> Version {
        if !Path::new(text).exists() {
            if let Some((rev, path)) = text.split_once(':') {
                if !rev.is_empty() && !path.is_empty() {
                    return Version::Git {
                        rev: rev.to_string(),
                        path: PathBuf::from(path),
                    };
                }
            }
        }
        Version::File(PathBuf::from(text))
    }

    /// As the user wrote it.
    pub fn describe(&self) -> String {
        match self {
            Version::File(p) => p.display().to_string(),
            Version::Git { rev, path } => format!("{rev}:{}", path.display()),
        }
    }
}

/// What to compare, besides the inputs shared with `run`.
#[derive(Debug, Clone)]
pub struct Request {
    pub inputs: Inputs,
    /// OLD and NEW; `None` with `--rev`.
    pub versions: Option<(Version, Version)>,
    /// `--rev REV`: the project's ruleset at REV against the working tree.
    pub rev: Option<String>,
    /// How many increases and decreases per score (`--top`).
    pub top: usize,
    /// `--base-run RUN_ID`: the base is this run of the score history (read, not rescored),
    /// the head the ruleset in force, scored as of that run's as-of.
    pub base_run: Option<i64>,
    /// `--history URL` (else `output.history`), where `base_run` is.
    pub history: Option<PathBuf>,
}

/// The JSON report of TRUST.md.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub base: RulesetRef,
    pub head: RulesetRef,
    pub contacts: usize,
    pub scores: Vec<ScoreDiff>,
    pub added_scores: Vec<String>,
    pub removed_scores: Vec<String>,
    pub segments: Vec<SegmentDiff>,
}

/// A comparison: the report, and what people (text, markdown, HTML) are shown besides it.
#[derive(Debug, Clone)]
pub struct Diffed {
    pub report: Report,
    /// The two versions as the user named them.
    pub base_source: String,
    pub head_source: String,
    pub as_of: String,
    /// Per score in both: every contact's value before and after (for the HTML report).
    pub values: Vec<compare::ScoreValues>,
    /// Per segment in both: the labels in order (base's arms, then head's new ones).
    pub labels: Vec<(String, Vec<Option<String>>)>,
}

impl Diffed {
    /// The report as JSON (numbers unrounded), with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.report).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The segments in which more than `pct` % of the contacts changed label, with their share.
    pub fn moved_over(&self, pct: f64) -> Vec<(&str, f64)> {
        let n = self.report.contacts;
        self.report
            .segments
            .iter()
            .filter_map(|s| {
                let share = if n == 0 {
                    0.0
                } else {
                    s.moved as f64 * 100.0 / n as f64
                };
                (share > pct).then_some((s.name.as_str(), share))
            })
            .collect()
    }
}

/// The base and head versions a request names.
fn versions(request: &Request, ruleset: Option<&Path>) -> Result<(Version, Version), Failure> {
    match (&request.versions, &request.rev, ruleset) {
        (Some(_), Some(_), _) => Err(Failure::usage(Message::new("`--rev` compares the project's ruleset with the working tree, and cannot be used with OLD and NEW").help("pass either `--rev REV`, or the two versions (`scoreline diff main:leads.score leads.score`)"))),
        (Some(v), None, _) => Ok(v.clone()),
        (None, Some(rev), Some(path)) => Ok((
            Version::Git {
                rev: rev.clone(),
                path: path.to_path_buf(),
            },
            Version::File(path.to_path_buf()),
        )),
        (None, Some(_), None) | (None, None, _) => Err(Failure::usage(Message::new("no versions to compare").help("pass the old and the new rule file (`scoreline diff main:leads.score leads.score`), or `--rev REV` in a project folder"))),
    }
}

/// Reads and checks one version; `side` is `base` or `head`, for messages.
fn read_version(
    version: &Version,
    side: &str,
    limits: Option<&scoreline_plugins::Limits>,
) -> Result<(Ruleset, String), Failure> {
    let limits = limits.cloned().unwrap_or_default();
    let (file, path, copy) = match version {
        Version::File(path) => {
            let source = read_source(path).map_err(|e| Failure::errors(e.0))?;
            let plugins = PluginFiles::new(path, limits);
            (check_source(source, plugins), path.clone(), None)
        }
        Version::Git { rev, path } => {
            let copy = git::read(rev, path, side).map_err(Failure::errors)?;
            let source = std::sync::Arc::new(scoreline_syntax::SourceFile::new(
                version.describe(),
                copy.text.clone(),
            ));
            let plugins = PluginFiles::new(&copy.path, limits);
            (check_source(source, plugins), path.clone(), Some(copy))
        }
    };
    Ruleset::from_checked(&path, file).map_err(|mut f| {
        if let (Some(copy), Version::Git { rev, .. }) = (&copy, version) {
            in_revision(&mut f, copy, rev);
        }
        on_side(f, side, version)
    })
}

/// Names the files of a version read from git as `REV:path`, not by their temporary copy.
fn in_revision(f: &mut Failure, copy: &git::FromGit, rev: &str) {
    for problem in &mut f.problems {
        match problem {
            Problem::Rules(diagnostics) => {
                for d in diagnostics {
                    let name = copy.in_revision(rev, &d.file.name);
                    if name != d.file.name {
                        d.file = std::sync::Arc::new(scoreline_syntax::SourceFile::new(
                            name,
                            d.file.text.clone(),
                        ));
                    }
                    d.message = copy.in_revision(rev, &d.message);
                    d.help = d.help.as_ref().map(|h| copy.in_revision(rev, h));
                }
            }
            Problem::Message(m) | Problem::Summary(m) => {
                m.text = copy.in_revision(rev, &m.text);
                m.help = m.help.iter().map(|h| copy.in_revision(rev, h)).collect();
            }
            Problem::Note(text) => *text = copy.in_revision(rev, text),
            Problem::Data(_) => {}
        }
    }
}

/// A failure of one version's rule file, saying which side it is.
fn on_side(f: Failure, side: &str, version: &Version) -> Failure {
    f.with(Problem::Message(
        Message::new(format!(
            "the {side} version `{}` has errors; nothing was compared",
            version.describe()
        ))
        .help(
            "fix the rule file (`scoreline check` lists the problems it can find without the data)",
        ),
    ))
}

/// Resolves the inputs, checks both versions, loads the data once, scores it with each and
/// compares. Warnings are said on the console ([`crate::console`]).
pub fn diff(request: &Request) -> Result<Diffed, Failure> {
    if let Some(run_id) = request.base_run {
        return diff_stored(request, run_id);
    }
    let mut inputs = request.inputs.clone();
    if let Some((_, head)) = &request.versions {
        // The data inputs come from the flags or the project; the rule files from OLD and NEW.
        if inputs.ruleset.is_none() {
            inputs.ruleset = Some(PathBuf::from(head.describe()));
        }
    }
    if request.versions.is_none() && request.rev.is_none() {
        versions(request, None)?;
    }
    let mut settings = resolve(&inputs)?;
    let (base_version, head_version) = versions(request, Some(&settings.ruleset))?;
    let (base, base_warnings) = read_version(&base_version, "base", settings.limits.as_ref())?;
    let (head, head_warnings) = read_version(&head_version, "head", settings.limits.as_ref())?;
    // Accounts are built when either version has account items (or there is a file).
    settings.accounts_wanted = base.uses_accounts() || head.uses_accounts();
    for w in [base_warnings, head_warnings] {
        if !w.is_empty() {
            crate::console::say(&w);
        }
    }

    // One load when both versions read the data the same way; two only when their schemas
    // differ (each version's own data errors, as `run` gives them).
    let (base_data, head_data) = if base.schema() == head.schema() {
        (load(&settings, base.schema())?, None)
    } else {
        crate::console::say(
            "note: the two versions declare different schemas: the data is loaded for each",
        );
        let base_data = load(&settings, base.schema()).map_err(|f| data_side(f, "base"))?;
        let head_data = load(&settings, head.schema()).map_err(|f| data_side(f, "head"))?;
        if ids(&base_data) != ids(&head_data) {
            return Err(Failure::errors(Message::new("the two versions' schemas keep different contacts from the data").help("fix the data rows the one version rejects, so that both score the same contacts")));
        }
        (base_data, Some(head_data))
    };
    let head_data_ref = head_data.as_ref().unwrap_or(&base_data);
    let base_plan = base
        .compile(&base_data.schema)
        .map_err(|f| on_side(f, "base", &base_version))?;
    let head_plan = head
        .compile(&head_data_ref.schema)
        .map_err(|f| on_side(f, "head", &head_version))?;

    let pool = crate::score::thread_pool(settings.threads);
    let as_of = AsOf::from_millis(settings.as_of_millis);
    let before = score(&base_plan, &base_data, as_of, pool.as_ref(), "base")?;
    let after = score(&head_plan, head_data_ref, as_of, pool.as_ref(), "head")?;

    let base_meta = base.meta(&base_plan);
    let head_meta = head.meta(&head_plan);
    let sides = compare::Sides {
        ids: ids(&base_data),
        before: compare::Side {
            plan: Some(&base_plan),
            stored: None,
            data: &base_data,
            scored: &before,
        },
        after: compare::Side {
            plan: Some(&head_plan),
            stored: None,
            data: head_data_ref,
            scored: &after,
        },
        as_of,
    };
    let compared = compare::compare(&sides, request.top);
    Ok(Diffed {
        report: Report {
            base: RulesetRef {
                name: base_meta.ruleset,
                version: base_meta.version,
            },
            head: RulesetRef {
                name: head_meta.ruleset,
                version: head_meta.version,
            },
            contacts: base_data.contacts.len(),
            scores: compared.scores,
            added_scores: compared.added_scores,
            removed_scores: compared.removed_scores,
            segments: compared.segments,
        },
        base_source: base_version.describe(),
        head_source: head_version.describe(),
        as_of: scoreline_data::format_date(settings.as_of_millis),
        values: compared.values,
        labels: compared.labels,
    })
}

/// `diff --base-run RUN_ID`: a stored run against the ruleset in force, scored now as of the
/// run's as-of, on the data of the settings (a contact the run did not score is missing on the
/// base side).
fn diff_stored(request: &Request, run_id: i64) -> Result<Diffed, Failure> {
    if request.versions.is_some() || request.rev.is_some() {
        return Err(Failure::usage(
            Message::new("`--base-run` is the base: give no OLD and NEW, nor `--rev`")
                .help("the head is the project's ruleset (or `--ruleset FILE`)"),
        ));
    }
    let settings = resolve(&request.inputs)?;
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
                Message::new("`--base-run` needs the score history")
                    .help("pass `--history URL`, or set `output.history` in `scoreline.yaml`"),
            )
        })?;
    let url = crate::database::url(&path).map_err(Failure::usage)?;
    let stored = scoreline_db::History::open(&url, false)
        .and_then(|mut h| h.run(run_id, scoreline_db::Entity::Contact))
        .map_err(|e| Failure::errors(e.into()))?;
    let head_version = Version::File(settings.ruleset.clone());
    let (head, warnings) = read_version(&head_version, "head", settings.limits.as_ref())?;
    if !warnings.is_empty() {
        crate::console::say(&warnings);
    }
    let data = load(&settings, head.schema())?;
    let head_plan = head
        .compile(&data.schema)
        .map_err(|f| on_side(f, "head", &head_version))?;
    let as_of_millis =
        scoreline_data::parse_date(&stored.run.as_of).unwrap_or(settings.as_of_millis);
    let as_of = AsOf::from_millis(as_of_millis);
    let pool = crate::score::thread_pool(settings.threads);
    let after = score(&head_plan, &data, as_of, pool.as_ref(), "head")?;
    // The stored run as an evaluation over the data's contacts, in their order.
    let by_id: std::collections::HashMap<&str, &scoreline_db::HistoryEntry> =
        stored.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut columns = vec!["id".to_string()];
    columns.extend(stored.run.scores.iter().cloned());
    columns.extend(stored.run.segments.iter().cloned());
    let mut values = Vec::with_capacity(columns.len() * data.contacts.len());
    for c in &data.contacts {
        let id = c.id().to_string();
        let entry = by_id.get(id.as_str());
        values.push(scoreline_data::Value::Text(id.as_str().into()));
        for (k, _) in stored.run.scores.iter().enumerate() {
            values.push(entry.and_then(|e| e.scores[k].1).map_or(
                scoreline_data::Value::Missing,
                scoreline_data::Value::Number,
            ));
        }
        for (k, _) in stored.run.segments.iter().enumerate() {
            values.push(
                entry
                    .and_then(|e| e.segments[k].1.clone())
                    .map_or(scoreline_data::Value::Missing, |l| {
                        scoreline_data::Value::Text(l.as_str().into())
                    }),
            );
        }
    }
    let before = Scored {
        evaluation: Evaluation {
            columns,
            values,
            ..Evaluation::default()
        },
        statistics: PartitionStatistics::default(),
    };
    let head_meta = head.meta(&head_plan);
    let sides = compare::Sides {
        ids: ids(&data),
        before: compare::Side {
            plan: None,
            stored: Some(&stored.run),
            data: &data,
            scored: &before,
        },
        after: compare::Side {
            plan: Some(&head_plan),
            stored: None,
            data: &data,
            scored: &after,
        },
        as_of,
    };
    let compared = compare::compare(&sides, request.top);
    Ok(Diffed {
        report: Report {
            base: RulesetRef {
                name: stored.run.ruleset.clone(),
                version: stored.run.version.clone(),
            },
            head: RulesetRef {
                name: head_meta.ruleset,
                version: head_meta.version,
            },
            contacts: data.contacts.len(),
            scores: compared.scores,
            added_scores: compared.added_scores,
            removed_scores: compared.removed_scores,
            segments: compared.segments,
        },
        base_source: format!("run {run_id} of {url}"),
        head_source: head_version.describe(),
        as_of: scoreline_data::format_date(as_of_millis),
        values: compared.values,
        labels: compared.labels,
    })
}

fn contact_id(c: &scoreline_data::Contact) -> String {
    c.id().to_string()
}

fn ids(d: &Dataset) -> Vec<String> {
    d.contacts.iter().map(contact_id).collect()
}

/// A data load that failed against one version's schema, saying which.
fn data_side(f: Failure, side: &str) -> Failure {
    f.with(Problem::Note(format!(
        "  = note: the data was read with the {side} version's schema"
    )))
}

/// Loads the data for a schema (or inferring one), printing the warnings.
fn load(
    settings: &crate::pipeline::Settings,
    schema: Option<&scoreline_data::Schema>,
) -> Result<Dataset, Failure> {
    let (loaded, _, warnings) = load_data(settings, schema)?;
    if !warnings.is_empty() {
        crate::console::say(&warnings);
    }
    if let Some(path) = &settings.skip_bad_rows {
        scoreline_data::write_skipped(path, &loaded.skipped).map_err(|e| {
            Failure::errors(Message::new(format!(
                "cannot write `{}`: {}",
                path.display(),
                crate::sources::io_reason(&e)
            )))
        })?;
    }
    Ok(loaded.dataset)
}

/// A version's scores and the population statistics they were scored with (to explain the
/// movers afterwards, each on its own, against the whole population).
pub struct Scored {
    pub evaluation: Evaluation,
    pub statistics: PartitionStatistics,
}

/// Scores the data with one version; failed plugin calls fail the comparison (their scores
/// would be missing, and every such contact would look moved).
fn score(
    plan: &Plan,
    data: &Dataset,
    as_of: AsOf,
    pool: Option<&rayon::ThreadPool>,
    side: &str,
) -> Result<Scored, Failure> {
    let statistics = plan.statistics(data, as_of, pool);
    let evaluation = plan.evaluate(
        data,
        &statistics,
        statistics.summary(),
        as_of,
        EvalOptions {
            explain: false,
            pool,
            previous: None,
        },
    );
    for line in &evaluation.plugin_log {
        crate::console::say(line);
    }
    if evaluation.plugin_errors.is_empty() {
        return Ok(Scored {
            evaluation,
            statistics,
        });
    }
    Err(crate::score::plugin_failure(
        &evaluation,
        Message::new(format!(
            "plugin calls failed in the {side} version; nothing was compared"
        ))
        .help("fix the plugin: the contacts it failed for would have no score"),
    ))
}
