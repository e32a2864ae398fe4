//! Evaluation of a plan over a data set: per contact, in parallel or not, with the same
//! output either way. Population functions take a first pass over every contact.

mod accounts;
mod interp;
mod population;
mod previous;
pub(crate) mod round;
pub(crate) mod value;

use std::cell::RefCell;
use std::sync::Arc;

use rayon::prelude::*;
use rayon::ThreadPool;
use scoreline_model::{AsOf, Dataset, Value};
use scoreline_plugins::{capture_log, CapturedLog};
use serde::Serialize;

use crate::explain::{Explanation, ScoreExplanation, SegmentExplanation};
use crate::plan::node::ScoreBodyPlan;
use crate::plan::node::Step;
use crate::plan::Plan;
use accounts::{contact_levels, to_value, Levels};
use interp::{events_until, Ctx, PluginErrors, NO_EVENT, NO_MEMBER};
use population::Population;
pub use population::{PartitionStatistics, Statistics};
pub use previous::PreviousScoring;
use value::Val;

/// How many contacts a worker takes at a time.
pub(crate) const CHUNK: usize = 2048;
/// How many contact ids a plugin error tally keeps.
pub(crate) const ERROR_IDS: usize = 5;

/// The result of scoring a data set.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// The output columns (see [`Plan::columns`]).
    pub columns: Vec<String>,
    /// Every row's values, row after row, in input order (`columns.len()` values per row).
    pub values: Vec<Value>,
    /// Runtime errors of plugin functions, one tally per function that failed.
    pub plugin_errors: Vec<PluginErrorTally>,
    /// The rows whose plugin calls failed, in row order (empty when none did): what an
    /// `errors` column shows. Other rows have no error.
    pub errors: Vec<RowError>,
    /// How many contacts got each label, per segment.
    pub segment_counts: Vec<SegmentCounts>,
    /// Every contact's explanation, in row order, when [`EvalOptions::explain`] asked.
    pub explanations: Vec<Explanation>,
    /// What the plugins printed (`print`, `debug`) during this evaluation, each line starting
    /// with the plugin's name, in contact order: the run's log, never part of the scores.
    pub plugin_log: Vec<String>,
    /// The accounts' rows (LANGUAGE.md §13), when the file has account items: `id`, the
    /// account scores, the account segments, one row per account in the data's order.
    pub accounts: Option<Box<Evaluation>>,
}

/// How to evaluate a partition.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalOptions<'p> {
    /// Explain every contact ([`Evaluation::explanations`]).
    pub explain: bool,
    /// The threads to score on; `None` scores on the caller's thread. The result is the same.
    pub pool: Option<&'p ThreadPool>,
    /// The previous scoring that `keep when` reads; without one, `keep when` is ignored.
    pub previous: Option<&'p PreviousScoring>,
}

impl Evaluation {
    /// The number of rows (contacts).
    pub fn len(&self) -> usize {
        self.values
            .len()
            .checked_div(self.columns.len())
            .unwrap_or(0)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s values, in column order.
    pub fn row(&self, i: usize) -> &[Value] {
        let w = self.columns.len();
        &self.values[i * w..(i + 1) * w]
    }

    /// Every row, in input order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[Value]> + '_ {
        self.values.chunks_exact(self.columns.len().max(1))
    }

    /// Row `i`'s plugin errors as one message, if a plugin call failed for it.
    pub fn row_error(&self, i: usize) -> Option<&str> {
        self.errors
            .binary_search_by_key(&i, |e| e.row)
            .ok()
            .map(|at| self.errors[at].message.as_str())
    }
}

/// The plugin calls that failed for one row (their values are missing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The row's index (its contact's index in the data set).
    pub row: usize,
    /// Each failure as `mailbox.kind failed at email_domain.rhai:12:5: the script threw `x``,
    /// several joined with `; `.
    pub message: String,
}

/// The runtime errors of one plugin function during a run.
#[derive(Debug, Clone, Serialize)]
pub struct PluginErrorTally {
    pub plugin: String,
    pub function: String,
    /// How many contacts got an error (and so a missing value).
    pub count: usize,
    /// The first few contacts' ids, in input order.
    pub contact_ids: Vec<String>,
    /// The first error: `mailbox.kind failed for contact `c3` at email_domain.rhai:12:5: …`.
    pub message: String,
    /// The first error, for rendering as a diagnostic pointing into the script.
    #[serde(skip)]
    pub error: scoreline_plugins::PluginError,
}

impl PartialEq for PluginErrorTally {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.plugin,
            &self.function,
            self.count,
            &self.contact_ids,
            &self.message,
        ) == (
            &other.plugin,
            &other.function,
            other.count,
            &other.contact_ids,
            &other.message,
        )
    }
}

/// What one clause of a block score did for one contact (see [`Plan::score_with_contributions`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClauseValue {
    /// What the clause added to the score.
    pub contribution: f64,
    /// A rule whose condition held, an `each` that matched an event.
    pub fired: bool,
}

/// The clauses of some block scores, per contact: what `scoreline fit` learns from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contributions {
    /// Per column of `values`: the score's name and the clause's index among its `rule` and
    /// `each` clauses (in the order written).
    pub clauses: Vec<(String, usize)>,
    /// Row after row (contacts in input order), one value per entry of `clauses`.
    pub values: Vec<ClauseValue>,
}

/// How many contacts got each label of a segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentCounts {
    pub segment: String,
    /// Each arm's label and count, in arm order (a label used by two arms appears twice).
    pub labels: Vec<(String, usize)>,
    /// Contacts that no arm matched.
    pub missing: usize,
}

/// Per-worker reusable state.
pub(crate) struct Scratch<'a> {
    slots: Vec<Val<'a>>,
    /// The arm each segment chose for the current contact.
    arms: Vec<Option<usize>>,
    plugin_errors: RefCell<PluginErrors>,
    /// Per score (plan order): whether its clauses' values are collected in `traced`.
    trace: Vec<bool>,
    /// The current chunk's clause values of the traced scores, contact after contact.
    traced: Vec<ClauseValue>,
    /// Each segment's arm labels and actions, copied per worker: output rows share them, and
    /// workers bumping one shared reference count would contend on it.
    labels: Vec<Vec<(Value, Value)>>,
}

impl<'a> Scratch<'a> {
    fn new(plan: &Plan) -> Scratch<'a> {
        let text = |t: &str| Value::Text(Arc::from(t));
        Scratch {
            slots: vec![Val::Missing; plan.slot_count],
            arms: vec![None; plan.segments.len()],
            plugin_errors: RefCell::default(),
            trace: Vec::new(),
            traced: Vec::new(),
            labels: plan
                .segments
                .iter()
                .map(|s| {
                    s.arms
                        .iter()
                        .map(|a| {
                            let action = a.action.as_deref().map_or(Value::Missing, text);
                            (text(&a.label), action)
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

/// What one chunk of contacts produced besides its rows.
#[derive(Default)]
struct ChunkStats {
    /// Per segment, per arm counts followed by the "no label" count.
    arm_counts: Vec<Vec<usize>>,
    plugin_errors: Vec<PluginErrorTally>,
    row_errors: Vec<RowError>,
    explanations: Vec<Explanation>,
    contributions: Vec<ClauseValue>,
    /// The kept slots' values (see [`Plan::run`]), row after row.
    kept: Vec<Value>,
    log: CapturedLog,
}

/// Plugin failures of the population pass, by contact index (ascending): each contact's row
/// reports them with its own.
pub(crate) type PopulationErrors = Vec<(usize, Vec<(usize, scoreline_plugins::PluginError)>)>;

/// Runs `f` on every chunk of `items` (`chunk` items each) with per-worker state from
/// `init`, on `pool` or on this thread; results in chunk order either way.
pub(crate) fn map_chunks<T: Send, S, R: Send>(
    items: &mut [T],
    chunk: usize,
    pool: Option<&ThreadPool>,
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, (usize, &mut [T])) -> R + Sync + Send,
) -> Vec<R> {
    let chunk = chunk.max(1);
    match pool {
        Some(pool) => pool.install(|| {
            items
                .par_chunks_mut(chunk)
                .enumerate()
                .map_init(&init, &f)
                .collect()
        }),
        None => {
            let mut state = init();
            items
                .chunks_mut(chunk)
                .enumerate()
                .map(|c| f(&mut state, c))
                .collect()
        }
    }
}

impl Plan {
    /// Scores every contact of `data` at `as_of`, the whole data set being one partition:
    /// [`Plan::statistics`], then [`Plan::evaluate`] with them.
    pub fn score(&self, data: &Dataset, as_of: AsOf, options: EvalOptions) -> Evaluation {
        let own = self.statistics(data, as_of, options.pool);
        let all = own.summary().clone();
        self.evaluate(data, &own, &all, as_of, options)
    }

    /// The first pass over one partition of the contacts, for population functions (empty
    /// when the plan has none): merge the partitions' [`PartitionStatistics::summary`] with
    /// [`Statistics::merge`], then evaluate each partition with the merged statistics.
    pub fn statistics(
        &self,
        partition: &Dataset,
        as_of: AsOf,
        pool: Option<&ThreadPool>,
    ) -> PartitionStatistics {
        if self.population_reads_account {
            let options = EvalOptions {
                pool,
                ..EvalOptions::default()
            };
            let run = self.prepare_accounts(partition, as_of, options);
            let levels = contact_levels(partition, run.as_ref());
            return self.population_pass(partition, as_of.millis(), pool, &levels);
        }
        self.population_pass(partition, as_of.millis(), pool, &Levels::NONE)
    }

    /// Scores every contact of `partition` at `as_of`; rows come back in input order, the same
    /// whatever the pool. `own` is the partition's first pass ([`Plan::statistics`]; computed
    /// again if it was over other contacts or events), `all` the statistics of the whole
    /// population.
    pub fn evaluate(
        &self,
        partition: &Dataset,
        own: &PartitionStatistics,
        all: &Statistics,
        as_of: AsOf,
        options: EvalOptions,
    ) -> Evaluation {
        let again;
        let own = if self.population.is_empty()
            || (own.contacts() == partition.contacts.len()
                && own.partition == population::partition_key(partition))
        {
            own
        } else {
            again = self.statistics(partition, as_of, options.pool);
            &again
        };
        let run = match self.account {
            Some(_) => self.account_run(partition, as_of, options, Some((own, all))),
            None => None,
        };
        let levels = contact_levels(partition, run.as_ref());
        let mut evaluation = self
            .run(
                partition,
                as_of.millis(),
                (own, all),
                options,
                &[],
                &levels,
                &[],
            )
            .0;
        evaluation.accounts = run.map(|r| Box::new(r.evaluation));
        if !own.log.lines.is_empty() || own.log.dropped > 0 {
            let mut log = own.log.clone();
            log.append(CapturedLog {
                lines: std::mem::take(&mut evaluation.plugin_log),
                dropped: 0,
            });
            evaluation.plugin_log = log.into_lines();
        }
        evaluation
    }

    /// [`Plan::score`], also collecting every clause's value for the block scores named in
    /// `scores` (an unknown name or an expression score adds no column).
    pub fn score_with_contributions(
        &self,
        data: &Dataset,
        as_of: AsOf,
        scores: &[&str],
        options: EvalOptions,
    ) -> (Evaluation, Contributions) {
        let trace: Vec<bool> = self
            .scores
            .iter()
            .map(|s| scores.contains(&s.name.as_str()) && matches!(s.body, ScoreBodyPlan::Block(_)))
            .collect();
        let own = self.statistics(data, as_of, options.pool);
        let all = own.summary().clone();
        let run = match self.account {
            Some(_) => self.account_run(data, as_of, options, Some((&own, &all))),
            None => None,
        };
        let levels = contact_levels(data, run.as_ref());
        let (mut evaluation, values, _) = self.run(
            data,
            as_of.millis(),
            (&own, &all),
            options,
            &trace,
            &levels,
            &[],
        );
        evaluation.accounts = run.map(|r| Box::new(r.evaluation));
        if !own.log.lines.is_empty() || own.log.dropped > 0 {
            let mut log = own.log.clone();
            log.append(CapturedLog {
                lines: std::mem::take(&mut evaluation.plugin_log),
                dropped: 0,
            });
            evaluation.plugin_log = log.into_lines();
        }
        let mut clauses = Vec::new();
        for step in &self.steps {
            if let Step::Score { index } = *step {
                let s = &self.scores[index as usize];
                if let (true, ScoreBodyPlan::Block(block)) = (trace[index as usize], &s.body) {
                    clauses.extend((0..block.len()).map(|i| (s.name.clone(), i)));
                }
            }
        }
        (evaluation, Contributions { clauses, values })
    }

    /// Explains contact number `contact` (its index in `data.contacts`), with what the
    /// plugins printed meanwhile.
    pub fn explain(
        &self,
        data: &Dataset,
        contact: usize,
        as_of: AsOf,
    ) -> (Explanation, Vec<String>) {
        self.explain_with(data, contact, as_of, None)
    }

    /// [`Plan::explain`] with the previous scoring that `keep when` reads.
    pub fn explain_with(
        &self,
        data: &Dataset,
        contact: usize,
        as_of: AsOf,
        previous: Option<&PreviousScoring>,
    ) -> (Explanation, Vec<String>) {
        self.explain_listing(data, contact, as_of, previous, false)
    }

    /// [`Plan::explain_with`], each `each` clause also listing the events it matched with
    /// their age, decay factor and points ([`crate::explain::ClauseExplanation::events`]).
    pub fn explain_with_events(
        &self,
        data: &Dataset,
        contact: usize,
        as_of: AsOf,
        previous: Option<&PreviousScoring>,
    ) -> (Explanation, Vec<String>) {
        self.explain_listing(data, contact, as_of, previous, true)
    }

    fn explain_listing(
        &self,
        data: &Dataset,
        contact: usize,
        as_of: AsOf,
        previous: Option<&PreviousScoring>,
        list_events: bool,
    ) -> (Explanation, Vec<String>) {
        let run = self.prepare_accounts(data, as_of, EvalOptions::default());
        let levels = contact_levels(data, run.as_ref());
        self.explain_at(data, contact, as_of, previous, list_events, &levels)
    }

    /// Explains account number `account` (its index in the data's accounts), with what the
    /// plugins printed meanwhile; `None` when the file has no account items.
    pub fn explain_account(
        &self,
        data: &Dataset,
        account: usize,
        as_of: AsOf,
        list_events: bool,
    ) -> Option<(Explanation, Vec<String>)> {
        let level = self.account.as_deref()?;
        let run = self.prepare_accounts(data, as_of, EvalOptions::default())?;
        if account >= run.data.contacts.len() {
            return None;
        }
        let levels = run.account_levels(level.members.len(), data);
        Some(
            level
                .plan
                .explain_at(&run.data, account, as_of, None, list_events, &levels),
        )
    }

    fn explain_at<'a>(
        &'a self,
        data: &'a Dataset,
        contact: usize,
        as_of: AsOf,
        previous: Option<&PreviousScoring>,
        list_events: bool,
        levels: &'a Levels<'a>,
    ) -> (Explanation, Vec<String>) {
        let own = self.population_pass(data, as_of.millis(), None, levels);
        let ((explanation, _), log) = capture_log(|| {
            let population = self.population_view(&own, own.summary());
            let mut scratch = Scratch::new(self);
            let mut out = vec![Value::Missing; self.columns().len()];
            let mut explanation = self.new_explanation(data, contact);
            explanation.list_events = list_events;
            let errors = self.contact(
                data,
                (as_of.millis(), previous),
                (population.as_ref(), &own.errors),
                contact,
                &mut scratch,
                &mut out,
                Some(&mut explanation),
                levels,
            );
            (explanation, errors)
        });
        let mut all = own.log.clone();
        all.append(log);
        (explanation, all.into_lines())
    }

    pub(crate) fn population_view<'s>(
        &self,
        own: &'s PartitionStatistics,
        all: &'s Statistics,
    ) -> Option<Population<'s>> {
        (!self.population.is_empty()).then(|| Population {
            kinds: self.population.iter().map(|s| s.kind).collect(),
            own,
            all,
        })
    }

    fn new_explanation(&self, data: &Dataset, contact: usize) -> Explanation {
        Explanation {
            kind: self.is_account_level.then_some("account"),
            id: data.contacts[contact].id().to_string(),
            ruleset: self.ruleset.clone(),
            scores: Vec::new(),
            segments: Vec::new(),
            errors: Vec::new(),
            list_events: false,
        }
    }

    /// Scores every row of `data`; also gives the values of the slots `keep`, row after row.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run<'a>(
        &'a self,
        data: &'a Dataset,
        as_of: i64,
        (own, all): (&PartitionStatistics, &Statistics),
        options: EvalOptions,
        trace: &[bool],
        levels: &'a Levels<'a>,
        keep: &[u32],
    ) -> (Evaluation, Vec<ClauseValue>, Vec<Value>) {
        let explain = options.explain;
        let columns = self.columns();
        let width = columns.len();
        let n = data.contacts.len();
        let population = self.population_view(own, all);
        let population_errors = &own.errors;
        let mut values = vec![Value::Missing; n * width];
        let work = |scratch: &mut Scratch<'a>, (chunk, out): (usize, &mut [Value])| {
            let first = chunk * CHUNK;
            let mut stats = ChunkStats {
                arm_counts: self
                    .segments
                    .iter()
                    .map(|s| vec![0; s.arms.len() + 1])
                    .collect(),
                ..ChunkStats::default()
            };
            let ((), log) = capture_log(|| {
                for (i, row) in out.chunks_exact_mut(width).enumerate() {
                    let contact = first + i;
                    let mut explanation = explain.then(|| self.new_explanation(data, contact));
                    let errors = self.contact(
                        data,
                        (as_of, options.previous),
                        (population.as_ref(), population_errors),
                        contact,
                        scratch,
                        row,
                        explanation.as_mut(),
                        levels,
                    );
                    for &slot in keep {
                        let value = scratch.slots.get(slot as usize);
                        stats.kept.push(value.map_or(Value::Missing, to_value));
                    }
                    if let Some(message) = errors {
                        stats.row_errors.push(RowError {
                            row: contact,
                            message,
                        });
                    }
                    for (counts, arm) in stats.arm_counts.iter_mut().zip(&scratch.arms) {
                        let last = counts.len() - 1;
                        counts[arm.unwrap_or(last)] += 1;
                    }
                    stats.explanations.extend(explanation);
                    stats.contributions.append(&mut scratch.traced);
                }
            });
            stats.log = log;
            stats.plugin_errors = std::mem::take(&mut scratch.plugin_errors.borrow_mut().tallies)
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            stats
        };
        let stats: Vec<ChunkStats> = if width == 0 || n == 0 {
            Vec::new()
        } else {
            map_chunks(
                &mut values,
                CHUNK * width,
                options.pool,
                || {
                    let mut scratch = Scratch::<'a>::new(self);
                    scratch.trace = trace.to_vec();
                    scratch
                },
                work,
            )
        };
        let mut contributions = Vec::new();
        let mut kept = Vec::new();
        let mut stats = stats;
        for chunk in &mut stats {
            contributions.append(&mut chunk.contributions);
            kept.append(&mut chunk.kept);
        }
        (self.merge(columns, values, stats), contributions, kept)
    }

    fn merge(
        &self,
        columns: Vec<String>,
        values: Vec<Value>,
        stats: Vec<ChunkStats>,
    ) -> Evaluation {
        let mut totals: Vec<Vec<usize>> = self
            .segments
            .iter()
            .map(|s| vec![0; s.arms.len() + 1])
            .collect();
        let mut plugin_errors: Vec<PluginErrorTally> = Vec::new();
        let mut errors = Vec::new();
        let mut explanations = Vec::new();
        let mut log = CapturedLog::default();
        for chunk in stats {
            log.append(chunk.log);
            for (total, counts) in totals.iter_mut().zip(&chunk.arm_counts) {
                for (t, c) in total.iter_mut().zip(counts) {
                    *t += c;
                }
            }
            for tally in chunk.plugin_errors {
                match plugin_errors
                    .iter_mut()
                    .find(|t| t.plugin == tally.plugin && t.function == tally.function)
                {
                    Some(t) => {
                        t.count += tally.count;
                        let room = ERROR_IDS.saturating_sub(t.contact_ids.len());
                        t.contact_ids
                            .extend(tally.contact_ids.into_iter().take(room));
                    }
                    None => plugin_errors.push(tally),
                }
            }
            errors.extend(chunk.row_errors);
            explanations.extend(chunk.explanations);
        }
        let segment_counts = self
            .segments
            .iter()
            .zip(totals)
            .map(|(segment, counts)| SegmentCounts {
                segment: segment.name.clone(),
                labels: segment
                    .arms
                    .iter()
                    .zip(&counts)
                    .map(|(arm, c)| (arm.label.to_string(), *c))
                    .collect(),
                missing: counts.last().copied().unwrap_or(0),
            })
            .collect();
        Evaluation {
            columns,
            values,
            plugin_errors,
            errors,
            segment_counts,
            explanations,
            plugin_log: log.into_lines(),
            accounts: None,
        }
    }

    /// The first pass for population functions: every contact's argument values, the plugin
    /// calls that failed on the way, and what the plugins printed.
    pub(crate) fn population_pass<'a>(
        &'a self,
        data: &'a Dataset,
        as_of: i64,
        pool: Option<&ThreadPool>,
        levels: &'a Levels<'a>,
    ) -> PartitionStatistics {
        let sites = self.population.len();
        let n = data.contacts.len();
        if sites == 0 {
            return PartitionStatistics::default();
        }
        let mut keys = vec![f64::NAN; n * sites];
        let work = |scratch: &mut Scratch<'a>, (chunk, out): (usize, &mut [f64])| {
            let mut errors: PopulationErrors = Vec::new();
            let ((), log) = capture_log(|| {
                for (i, row) in out.chunks_exact_mut(sites).enumerate() {
                    let contact = chunk * CHUNK + i;
                    let (events_start, events_end) = events_until(data, contact, as_of);
                    let fields = &data.contacts[contact].fields[..];
                    self.run_steps(
                        &self.population_steps,
                        data,
                        // A population argument sees no previous scoring: `keep when` is
                        // ignored in this first pass.
                        (as_of, None),
                        None,
                        contact,
                        (events_start, events_end),
                        scratch,
                        None,
                        levels,
                    );
                    let ctx = Ctx {
                        plan: self,
                        data,
                        contact,
                        fields,
                        events_start,
                        events_end,
                        as_of,
                        slots: &scratch.slots,
                        population: None,
                        plugin_errors: &scratch.plugin_errors,
                        levels,
                        member: NO_MEMBER,
                    };
                    for (key, site) in row.iter_mut().zip(&self.population) {
                        *key = match ctx.eval(&site.arg, NO_EVENT) {
                            Val::Num(x) => x,
                            Val::Date(d) => d as f64,
                            _ => f64::NAN,
                        };
                    }
                    let mut plugin_errors = scratch.plugin_errors.borrow_mut();
                    if !plugin_errors.current.is_empty() {
                        errors.push((contact, std::mem::take(&mut plugin_errors.current)));
                    }
                }
            });
            (errors, log)
        };
        let parts: Vec<(PopulationErrors, CapturedLog)> = if n == 0 {
            Vec::new()
        } else {
            map_chunks(
                &mut keys,
                CHUNK * sites,
                pool,
                || Scratch::<'a>::new(self),
                work,
            )
        };
        let mut errors = Vec::new();
        let mut log = CapturedLog::default();
        for (e, l) in parts {
            errors.extend(e);
            log.append(l);
        }
        PartitionStatistics::new(sites, keys, errors, log, population::partition_key(data))
    }

    /// Evaluates `steps` for one contact into `scratch.slots`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_steps<'a>(
        &'a self,
        steps: &[Step],
        data: &'a Dataset,
        (as_of, previous): (i64, Option<&PreviousScoring>),
        population: Option<&Population<'_>>,
        contact: usize,
        (events_start, events_end): (usize, usize),
        scratch: &mut Scratch<'a>,
        mut explanation: Option<&mut Explanation>,
        levels: &'a Levels<'a>,
    ) {
        let fields = &data.contacts[contact].fields[..];
        for step in steps {
            let ctx = Ctx {
                plan: self,
                data,
                contact,
                fields,
                events_start,
                events_end,
                as_of,
                slots: &scratch.slots,
                population,
                plugin_errors: &scratch.plugin_errors,
                levels,
                member: NO_MEMBER,
            };
            let (slot, value) = match *step {
                Step::Let { index } => {
                    let l = &self.lets[index as usize];
                    (l.slot, ctx.eval(&l.value, NO_EVENT))
                }
                Step::Score { index } => {
                    let s = &self.scores[index as usize];
                    let traced = scratch.trace.get(index as usize).copied().unwrap_or(false);
                    let values = traced.then_some(&mut scratch.traced);
                    let value = match explanation.as_deref_mut() {
                        Some(e) => {
                            let mut trace =
                                ScoreExplanation::new(&s.name, s.label.as_deref(), e.list_events);
                            let v = ctx.score(s, Some(&mut trace), values);
                            e.scores.push(trace);
                            v
                        }
                        None => ctx.score(s, None, values),
                    };
                    (s.slot, value)
                }
                Step::Segment { index } => {
                    let s = &self.segments[index as usize];
                    let before =
                        previous.and_then(|p| p.label(&s.name, data.contacts[contact].id()));
                    let arm = match explanation.as_deref_mut() {
                        Some(e) => {
                            let mut trace = SegmentExplanation::new(&s.name);
                            let arm = ctx.segment(s, before, Some(&mut trace));
                            e.segments.push(trace);
                            arm
                        }
                        None => ctx.segment(s, before, None),
                    };
                    scratch.arms[index as usize] = arm;
                    let value = arm.map_or(Val::Missing, |a| Val::Str(&s.arms[a].label));
                    (s.slot, value)
                }
            };
            scratch.slots[slot as usize] = value;
        }
    }

    /// Scores one contact into `row`; `scratch.arms` holds the arm each segment chose.
    /// Returns the contact's plugin failures as one message, if any call failed.
    #[allow(clippy::too_many_arguments)]
    fn contact<'a>(
        &'a self,
        data: &'a Dataset,
        (as_of, previous): (i64, Option<&PreviousScoring>),
        (population, population_errors): (Option<&Population<'_>>, &PopulationErrors),
        contact: usize,
        scratch: &mut Scratch<'a>,
        row: &mut [Value],
        mut explanation: Option<&mut Explanation>,
        levels: &'a Levels<'a>,
    ) -> Option<String> {
        if !population_errors.is_empty() {
            if let Ok(at) = population_errors.binary_search_by_key(&contact, |e| e.0) {
                let mut plugin_errors = scratch.plugin_errors.borrow_mut();
                for (function, error) in &population_errors[at].1 {
                    plugin_errors.record(*function, error.clone());
                }
            }
        }
        let events = events_until(data, contact, as_of);
        // With accounts, the lets and scores the first pass computed for them are taken from
        // there (not when explaining or tracing, which show how they were computed).
        let mut steps = &self.steps;
        if let Some(level) = self.account.as_deref() {
            if levels.member_width > 0 && explanation.is_none() && !scratch.trace.contains(&true) {
                for &(slot, column) in &level.prefill {
                    scratch.slots[slot as usize] =
                        Val::from_value(levels.member_value(contact, column as usize));
                }
                steps = &level.rest_steps;
            }
        }
        self.run_steps(
            steps,
            data,
            (as_of, previous),
            population,
            contact,
            events,
            scratch,
            explanation.as_deref_mut(),
            levels,
        );
        let id = data.contacts[contact].id();
        let errors = scratch.plugin_errors.borrow_mut().finish_contact(self, id);
        let message = interp::join(errors.iter().cloned());
        if let Some(e) = explanation {
            e.order_like(self);
            e.errors = errors;
        }
        row[0] = data.contacts[contact]
            .fields
            .first()
            .cloned()
            .unwrap_or_default();
        let mut col = 1;
        for score in &self.scores {
            row[col] = match scratch.slots[score.slot as usize] {
                Val::Num(n) => Value::Number(n),
                _ => Value::Missing,
            };
            col += 1;
        }
        for ((segment, arm), labels) in self.segments.iter().zip(&scratch.arms).zip(&scratch.labels)
        {
            let arm = arm.map(|a| &labels[a]);
            row[col] = arm.map_or(Value::Missing, |a| a.0.clone());
            col += 1;
            if segment.has_action {
                row[col] = arm.map_or(Value::Missing, |a| a.1.clone());
                col += 1;
            }
        }
        message
    }
}
