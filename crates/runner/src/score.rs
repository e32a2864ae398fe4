//! Scoring a data set, as `run` and every `watch` cycle do it: the engine's evaluation on the
//! configured threads, the plugins' log lines to the run's log, and failed plugin calls
//! reported (and, unless allowed, refused before anything is written).

use crate::failure::{Failure, Kind, Message, Problem};
use scoreline_data::Dataset;
use scoreline_engine::{AsOf, EvalOptions, Evaluation, PartitionStatistics, Plan};

/// The threads to score on: `None` for one (the caller's), else a pool of `threads` or of
/// every core. Built once and kept, by `run` for its scoring and by `watch` for every cycle.
pub fn thread_pool(threads: Option<usize>) -> Option<rayon::ThreadPool> {
    if threads == Some(1) {
        return None;
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    builder.build().ok()
}

/// How to score.
#[derive(Clone, Copy)]
pub struct ScoreOptions<'p> {
    /// Explain every contact too.
    pub explain: bool,
    pub pool: Option<&'p rayon::ThreadPool>,
    /// Keep the scores when plugin calls failed (their values missing).
    pub allow_plugin_errors: bool,
    /// The previous scoring that `keep when` reads (`run --previous`).
    pub previous: Option<&'p scoreline_engine::PreviousScoring>,
}

/// A data set scored: the rows, and the population statistics they were scored with (kept by
/// `watch` to rescore a few contacts later).
pub struct Scored {
    pub evaluation: Evaluation,
    pub statistics: PartitionStatistics,
    /// The accounts' evaluation (LANGUAGE.md §13: one row per account, account items only),
    /// when the ruleset has account items; written by [`crate::output::write_accounts`].
    pub accounts: Option<Evaluation>,
}

/// Scores `dataset` at `as_of`, says what the plugins printed, and refuses failed plugin
/// calls (the failure lists them) unless allowed (they are then reported on the console).
pub fn score(
    plan: &Plan,
    dataset: &Dataset,
    as_of_millis: i64,
    options: ScoreOptions,
) -> Result<Scored, Failure> {
    let as_of = AsOf::from_millis(as_of_millis);
    let statistics = plan.statistics(dataset, as_of, options.pool);
    let mut evaluation = plan.evaluate(
        dataset,
        &statistics,
        statistics.summary(),
        as_of,
        EvalOptions {
            explain: options.explain,
            pool: options.pool,
            previous: options.previous,
        },
    );
    for line in &evaluation.plugin_log {
        crate::console::say(line);
    }
    if !evaluation.plugin_errors.is_empty() {
        refuse_or_report(&evaluation, options.allow_plugin_errors)?;
    }
    let accounts = evaluation.accounts.take().map(|a| *a);
    if let Some(accounts) = &accounts {
        for line in &accounts.plugin_log {
            crate::console::say(line);
        }
        if !accounts.plugin_errors.is_empty() {
            refuse_or_report(accounts, options.allow_plugin_errors)?;
        }
    }
    Ok(Scored {
        evaluation,
        statistics,
        accounts,
    })
}

/// Failed plugin calls: refused (`Err`, nothing is written), or when allowed reported on
/// the console and scoring goes on.
fn refuse_or_report(evaluation: &Evaluation, allowed: bool) -> Result<(), Failure> {
    if allowed {
        let mut problems = plugin_problems(evaluation);
        // A blank line between the report and what follows (the run's summary).
        problems.push(Problem::Note(String::new()));
        crate::console::failure(&Failure {
            kind: Kind::Errors,
            problems,
        });
        return Ok(());
    }
    Err(plugin_failure(
        evaluation,
        Message::new("plugin calls failed; no output was written").help(
            "fix the plugin, or pass `--allow-plugin-errors` to write the scores with those values missing",
        ),
    ))
}

/// Each plugin function that failed: its first error, then how many contacts and the first
/// ids.
pub fn plugin_problems(evaluation: &Evaluation) -> Vec<Problem> {
    let mut out = Vec::new();
    for tally in &evaluation.plugin_errors {
        out.push(Problem::Rules(vec![tally.error.to_diagnostic()]));
        out.push(Problem::Note(format!(
            "`{}.{}` failed for {} contact{} (first: {})\n",
            tally.plugin,
            tally.function,
            tally.count,
            if tally.count == 1 { "" } else { "s" },
            tally.contact_ids.join(", ")
        )));
    }
    out
}

/// The failure of a command whose plugin calls failed: each failed function, then `message`.
pub fn plugin_failure(evaluation: &Evaluation, message: Message) -> Failure {
    let mut problems = plugin_problems(evaluation);
    problems.push(Problem::Message(message));
    Failure {
        kind: Kind::Errors,
        problems,
    }
}
