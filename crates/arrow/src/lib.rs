//! Scoreline on Arrow record batches, for the places where big data lives (Python, Spark).
//!
//! A ruleset is a pure function over partitions of contacts: each contact is scored from its
//! own record and events, plus, for population functions (`percent_rank`, `quintile`, …), a
//! few statistics of the whole population. This crate scores Arrow batches in two passes:
//!
//! 1. [`Partition::statistics`] over each partition; the parts merge exactly with
//!    [`merge_statistics`] (they travel as JSON between machines: [`Statistics`] is serde);
//! 2. [`Partition::score`] of each partition with the merged statistics, into a batch of
//!    `id`, every score and every segment (and `NAME_action`), the columns of `scoreline run`.
//!
//! The batches are read by the loader that reads data files, given the records as values:
//! the same schema checks, inference, trimming, list splitting and date reading, and the same
//! messages, which name the record's id and the column since batches have no lines. Scores are
//! rounded to cents as `run` writes them, so a score formatted with two decimals at most (no
//! trailing zeros) is `run`'s CSV text byte for byte.
//!
//! The ruleset travels as text ([`RulesetSource`]: the rule file and its plugin scripts), so an
//! executor needs no file of its own.

#![forbid(unsafe_code)]

mod convert;
mod fast;
mod output;
mod source;

use std::sync::Arc;

use arrow_array::RecordBatch;
use scoreline_data::{load_records, LoadOptions, RecordSet};
use scoreline_engine::{EvalOptions, PartitionStatistics, Plan, Ruleset};
use scoreline_model::{AsOf, Dataset, Schema};
use scoreline_syntax::{Diagnostic, SourceFile};

pub use scoreline_engine::Statistics;
pub use source::RulesetSource;

/// Why scoring could not be done.
#[derive(Debug, Clone)]
pub enum Error {
    /// The rule file (or a plugin) has errors: `check`'s diagnostics.
    Rules(Vec<Diagnostic>),
    /// The data does not fit: every problem, each naming its source, record and column.
    Data(Vec<String>),
    /// A plugin function failed while scoring (its report, as `run` prints it).
    Plugins(String),
    /// Anything else (a file that cannot be read, statistics that do not parse).
    Other(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Rules(d) => write!(f, "{}", scoreline_syntax::diagnostic::render(d).trim_end()),
            Error::Data(problems) => write!(f, "{}", problems.join("\n")),
            Error::Plugins(report) => write!(f, "{}", report.trim_end()),
            Error::Other(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for Error {}

/// A checked ruleset, ready to score batches.
pub struct Scorer {
    ruleset: Ruleset,
    /// Its warnings (a ruleset with errors is refused).
    pub warnings: Vec<Diagnostic>,
}

impl Scorer {
    /// Checks the ruleset with its plugins; its errors are [`Error::Rules`].
    pub fn new(source: &RulesetSource) -> Result<Scorer, Error> {
        let file = Arc::new(SourceFile::new(source.name.clone(), source.text.clone()));
        let plugins = source::MemoryPlugins::new(source);
        match Ruleset::check(file, &plugins) {
            Ok(ruleset)
                if !ruleset.checked().symbols.account_items.is_empty()
                    || !ruleset.checked().typed.account_fields.is_empty() =>
            {
                Err(Error::Other(format!(
                    "{} scores accounts (`account` items or `account.NAME`), which need every contact of an account together: score it with `scoreline run`; Arrow batches and Spark partitions score contacts only",
                    source.name
                )))
            }
            Ok(ruleset) => Ok(Scorer {
                warnings: ruleset.diagnostics().to_vec(),
                ruleset,
            }),
            Err(rejected) => Err(Error::Rules(rejected.diagnostics)),
        }
    }

    /// Whether scoring needs the population's statistics (the rule file has population
    /// functions such as `percent_rank` or `quintile`, or no schema block to tell): when it
    /// does not, each partition can be scored alone, with no first pass.
    pub fn needs_statistics(&self) -> bool {
        match self.ruleset.schema() {
            Some(schema) => self
                .ruleset
                .compile(schema)
                .map_or(true, |plan| plan.has_population_functions()),
            None => true,
        }
    }

    /// The rule file's schema block, if it has one.
    pub fn schema(&self) -> Option<&Schema> {
        self.ruleset.schema()
    }

    /// Reads one partition: its contacts (one row each, an `id` column unless `id_column`
    /// says otherwise) and their events (`contact_id`, `type`, `at` and properties). Every
    /// event's contact must be in this partition. Without a schema block the types are
    /// inferred from this partition's values, as `run` infers them from a file. Reads and
    /// scores on the caller's thread alone (see [`Scorer::partition_on`]).
    pub fn partition(
        &self,
        contacts: &[RecordBatch],
        events: &[RecordBatch],
        id_column: &str,
        as_of: AsOf,
    ) -> Result<Partition, Error> {
        self.partition_on(contacts, events, id_column, as_of, 1)
    }

    /// [`Scorer::partition`] on `threads` threads (0: one per core; 1: the caller's thread),
    /// both to read the batches and, later, to score them. The result is the same whatever
    /// the number.
    pub fn partition_on(
        &self,
        contacts: &[RecordBatch],
        events: &[RecordBatch],
        id_column: &str,
        as_of: AsOf,
        threads: usize,
    ) -> Result<Partition, Error> {
        let pool = pool(threads);
        // Reading runs its jobs on a rayon pool: this one, or one of a single thread (rather
        // than the global pool of every core).
        let reader = match &pool {
            Some(pool) => Some(Arc::clone(pool)),
            None => pool_of_one(),
        };
        let mut partition = match &reader {
            Some(reader) => reader.install(|| self.read(contacts, events, id_column, as_of)),
            None => self.read(contacts, events, id_column, as_of),
        }?;
        partition.pool = pool;
        Ok(partition)
    }

    fn read(
        &self,
        contacts: &[RecordBatch],
        events: &[RecordBatch],
        id_column: &str,
        as_of: AsOf,
    ) -> Result<Partition, Error> {
        if let Some(schema) = self.ruleset.schema() {
            if let Some(data) = fast::dataset(schema, contacts, events, id_column) {
                let mut partition = self.ready(data, id_column, as_of)?;
                partition.columnar = true;
                return Ok(partition);
            }
        }
        self.partition_through_records(contacts, events, id_column, as_of)
    }

    /// [`Scorer::partition`] through the loader's records alone (what the columnar path
    /// falls back on; public so that tests can compare the two).
    pub fn partition_through_records(
        &self,
        contacts: &[RecordBatch],
        events: &[RecordBatch],
        id_column: &str,
        as_of: AsOf,
    ) -> Result<Partition, Error> {
        let contacts = RecordSet {
            name: "contacts".into(),
            records: convert::records(contacts, "contacts", id_column)?,
        };
        let events = RecordSet {
            name: "events".into(),
            records: convert::records(events, "events", "contact_id")?,
        };
        let options = LoadOptions {
            schema: self.ruleset.schema(),
            id_column: id_column.to_string(),
            threads: 1,
            ..LoadOptions::default()
        };
        let events = if events.records.is_empty() {
            Vec::new()
        } else {
            vec![events]
        };
        let loaded = load_records(&contacts, &events, &options)
            .map_err(|e| Error::Data(e.problems.iter().map(|p| p.to_string()).collect()))?;
        self.ready(loaded.dataset, id_column, as_of)
    }

    fn ready(&self, data: Dataset, id_column: &str, as_of: AsOf) -> Result<Partition, Error> {
        let plan = self.ruleset.compile(&data.schema).map_err(Error::Rules)?;
        Ok(Partition {
            plan,
            columns: output::columns(self.ruleset.ast()),
            data,
            as_of,
            id_column: id_column.to_string(),
            columnar: false,
            pool: None,
        })
    }
}

/// One partition of contacts, read and ready to score.
pub struct Partition {
    plan: Plan,
    columns: Vec<output::Col>,
    data: Dataset,
    as_of: AsOf,
    id_column: String,
    columnar: bool,
    /// The threads to score on (`None`: the caller's).
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl Partition {
    /// Scores on `threads` threads (0: one per core; 1: the caller's thread, the default).
    /// The result is the same whatever the number.
    pub fn set_threads(&mut self, threads: usize) {
        self.pool = pool(threads);
    }

    /// Whether the partition was read column by column (else through the loader's records).
    pub fn read_by_columns(&self) -> bool {
        self.columnar
    }

    /// The number of contacts.
    pub fn len(&self) -> usize {
        self.data.contacts.len()
    }

    /// The data set read (for comparing the two reading paths).
    pub fn dataset(&self) -> &Dataset {
        &self.data
    }

    /// Whether the partition has no contact.
    pub fn is_empty(&self) -> bool {
        self.data.contacts.is_empty()
    }

    /// The first pass: this partition's part of the population statistics (empty when the
    /// ruleset has no population function).
    pub fn statistics(&self) -> Result<Statistics, Error> {
        let own = self.first_pass()?;
        Ok(own.summary().clone())
    }

    fn first_pass(&self) -> Result<PartitionStatistics, Error> {
        Ok(self
            .plan
            .statistics(&self.data, self.as_of, self.pool.as_deref()))
    }

    /// Scores the partition with the statistics of the whole population (the merge of every
    /// partition's [`Partition::statistics`]).
    pub fn score(&self, all: &Statistics) -> Result<RecordBatch, Error> {
        let own = self.first_pass()?;
        self.evaluate(&own, all)
    }

    fn evaluate(&self, own: &PartitionStatistics, all: &Statistics) -> Result<RecordBatch, Error> {
        let evaluation = self.plan.evaluate(
            &self.data,
            own,
            all,
            self.as_of,
            EvalOptions {
                pool: self.pool.as_deref(),
                ..EvalOptions::default()
            },
        );
        if !evaluation.plugin_errors.is_empty() {
            return Err(Error::Plugins(plugin_report(&evaluation)));
        }
        match &self.pool {
            Some(pool) => {
                pool.install(|| output::batch(&evaluation, &self.columns, &self.id_column, true))
            }
            None => output::batch(&evaluation, &self.columns, &self.id_column, false),
        }
        .map_err(|e| Error::Other(e.to_string()))
    }

    /// The whole population is this partition: both passes.
    pub fn score_alone(&self) -> Result<RecordBatch, Error> {
        let own = self.first_pass()?;
        let all = own.summary().clone();
        self.evaluate(&own, &all)
    }
}

/// A pool of `threads` threads (0: one per core), or `None` for the caller's thread alone.
fn pool(threads: usize) -> Option<Arc<rayon::ThreadPool>> {
    match threads {
        1 => None,
        n => {
            let mut builder = rayon::ThreadPoolBuilder::new();
            if n > 0 {
                builder = builder.num_threads(n);
            }
            builder.build().ok().map(Arc::new)
        }
    }
}

/// A pool of one thread, to read on one thread.
fn pool_of_one() -> Option<Arc<rayon::ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .ok()
        .map(Arc::new)
}

fn plugin_report(evaluation: &scoreline_engine::Evaluation) -> String {
    let mut report = String::new();
    for tally in &evaluation.plugin_errors {
        report.push_str(&format!(
            "{}\n`{}.{}` failed for {} contact{} (first: {})\n",
            tally.message,
            tally.plugin,
            tally.function,
            tally.count,
            if tally.count == 1 { "" } else { "s" },
            tally.contact_ids.join(", ")
        ));
    }
    report
}

/// Frees a partition on a thread of its own, so that the caller need not wait: freeing a
/// million contacts and ten million events one allocation at a time takes most of a second.
pub fn drop_aside(partition: Partition) {
    if partition.len() < 10_000 {
        return;
    }
    // If no thread can be started, the partition is freed here as usual.
    let _ = std::thread::Builder::new()
        .name("scoreline-free".into())
        .spawn(move || drop(partition));
}

/// The statistics of the union of the partitions that gave `parts` (exact, whatever the order).
pub fn merge_statistics<'a>(parts: impl IntoIterator<Item = &'a Statistics>) -> Statistics {
    Statistics::merge(parts)
}

/// Statistics as JSON, to send them to another machine.
pub fn statistics_to_json(statistics: &Statistics) -> String {
    serde_json::to_string(statistics).unwrap_or_default()
}

/// Statistics from [`statistics_to_json`]'s text.
pub fn statistics_from_json(text: &str) -> Result<Statistics, Error> {
    serde_json::from_str(text)
        .map_err(|e| Error::Other(format!("the population statistics do not parse: {e}")))
}

/// The schema of the batches [`Partition::score`] gives: the id column (named `id_column`,
/// text), every score (a number) in file order, every segment (text) and its `NAME_action`
/// column when an arm has an action. Known from the rule file alone, so that every partition,
/// even an empty one, gives the same schema.
pub fn output_schema(scorer: &Scorer, id_column: &str) -> arrow_schema::SchemaRef {
    output::schema(&output::columns(scorer.ruleset.ast()), id_column)
}
