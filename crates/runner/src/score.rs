//! Scoring a data set, as `run` and every `watch` cycle do it: the engine's evaluation on the
//! configured threads, the plugins' log lines to the run's log, and failed plugin calls
//! reported (and, unless allowed, refused before anything is written).

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

/// Why scoring gave nothing to write.
#[derive(Debug, PartialEq, Eq)]
pub struct PluginCallsFailed;

/// A data set scored: the rows, and the population statistics they were scored with (kept by
/// `watch` to rescore a few contacts later).
pub struct Scored {
    pub evaluation: Evaluation,
    pub statistics: PartitionStatistics,
    /// The accounts' evaluation (LANGUAGE.md §13: one row per account, account items only),
    /// when the ruleset has account items; written by [`crate::output::write_accounts`].
    pub accounts: Option<Evaluation>,
}

/// Scores `dataset` at `as_of`, says what the plugins printed, reports failed plugin calls
/// and refuses them unless allowed (the message is said on the console).
pub fn score(
    plan: &Plan,
    dataset: &Dataset,
    as_of_millis: i64,
    options: ScoreOptions,
) -> Result<Scored, PluginCallsFailed> {
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
        report_plugin_errors(&evaluation);
        if !options.allow_plugin_errors {
            crate::console::say("error: plugin calls failed; no output was written\n  = help: fix the plugin, or pass `--allow-plugin-errors` to write the scores with those values missing");
            return Err(PluginCallsFailed);
        }
    }
    let accounts = evaluation.accounts.take().map(|a| *a);
    if let Some(accounts) = &accounts {
        for line in &accounts.plugin_log {
            crate::console::say(line);
        }
        if !accounts.plugin_errors.is_empty() {
            report_plugin_errors(accounts);
            if !options.allow_plugin_errors {
                crate::console::say("error: plugin calls failed; no output was written\n  = help: fix the plugin, or pass `--allow-plugin-errors` to write the scores with those values missing");
                return Err(PluginCallsFailed);
            }
        }
    }
    Ok(Scored {
        evaluation,
        statistics,
        accounts,
    })
}

/// Says each plugin function that failed ([`plugin_errors_report`]).
pub fn report_plugin_errors(evaluation: &Evaluation) {
    crate::console::say(plugin_errors_report(evaluation));
}

/// Each plugin function that failed: its first error, how many contacts, the first ids.
pub fn plugin_errors_report(evaluation: &Evaluation) -> String {
    let mut report = String::new();
    for tally in &evaluation.plugin_errors {
        report.push_str(&tally.error.to_diagnostic().render());
        report.push_str(&format!(
            "\n`{}.{}` failed for {} contact{} (first: {})\n\n",
            tally.plugin,
            tally.function,
            tally.count,
            if tally.count == 1 { "" } else { "s" },
            tally.contact_ids.join(", ")
        ));
    }
    report
}
