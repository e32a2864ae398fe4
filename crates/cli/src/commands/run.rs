//! `scoreline run`: score a data set once and write the scores.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use scoreline_engine::Evaluation;

use crate::args::RunArgs;
use crate::{EXIT_ERRORS, EXIT_OK};
use scoreline_runner::output::{
    accounts_summary, check_accounts_output, write_accounts, write_explanations, write_manifest,
    write_scores_with_errors, OutputFlags, Outputs, Written,
};
use scoreline_runner::pipeline::{prepare, Prepared};
use scoreline_runner::previous::read_previous;
use scoreline_runner::score::{score, thread_pool, ScoreOptions, Scored};

/// Runs `scoreline run`.
pub fn run(args: RunArgs) -> u8 {
    let started = Instant::now();
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let progress = spinner();
    progress.set_message("reading the rules and the data");
    let prepared = match prepare(&args.inputs.to_inputs()) {
        Ok(p) => p,
        Err(failure) => {
            progress.finish_and_clear();
            return crate::render::fail(failure);
        }
    };
    let outputs = Outputs::resolve(
        &OutputFlags {
            scores: args.out.clone(),
            format: args.out_format.map(|f| f.to_data()),
            explain: args.explain.clone(),
            changes: None,
            stamp: args.stamp,
            history: args.history.clone(),
            accounts: args.accounts_out.clone(),
        },
        prepared.project.as_ref(),
    );
    // The accounts output: a usage error for a ruleset without account items, a warning in
    // the summary for account items that go nowhere.
    let accounts_warning = match check_accounts_output(&outputs, prepared.has_account_items) {
        Ok(warning) => warning,
        Err(failure) => {
            progress.finish_and_clear();
            return crate::render::fail(failure);
        }
    };
    let out = outputs.scores.as_ref();
    let explain_path = outputs.explain.as_ref();

    progress.set_message(format!(
        "scoring {} contacts",
        prepared.dataset.contacts.len()
    ));
    let scoring = Instant::now();
    let previous = match &args.previous {
        Some(path) => match read_previous(path, &prepared.plan, &prepared.meta) {
            Ok(previous) => {
                for warning in &previous.warnings {
                    progress.suspend(|| eprintln!("{warning}"));
                }
                previous.scoring
            }
            Err(message) => {
                progress.finish_and_clear();
                crate::render::error(&message);
                return EXIT_ERRORS;
            }
        },
        None => None,
    };
    let pool = thread_pool(args.inputs.threads);
    let options = ScoreOptions {
        explain: explain_path.is_some(),
        pool: pool.as_ref(),
        allow_plugin_errors: args.allow_plugin_errors,
        previous: previous.as_ref(),
    };
    let scored = score(
        &prepared.plan,
        &prepared.dataset,
        prepared.as_of_millis,
        options,
    );
    let scoring_time = scoring.elapsed();
    let Scored {
        mut evaluation,
        mut accounts,
        ..
    } = match scored {
        Ok(scored) => scored,
        Err(failure) => {
            progress.finish_and_clear();
            return crate::render::fail(failure);
        }
    };
    // The id column keeps the input's name (`Record ID`), unless `output.id_column` says.
    if let Some(id) = evaluation.columns.first_mut() {
        id.clone_from(&prepared.id_column);
    }
    // The explanations file: every contact's, then every account's (`"kind": "account"`).
    let explanations = explain_path.is_some().then(|| {
        let mut all = std::mem::take(&mut evaluation.explanations);
        if let Some(accounts) = &mut accounts {
            all.append(&mut accounts.explanations);
        }
        all
    });

    let prepared_time = scoring.saturating_duration_since(started);
    progress.set_message("writing the scores");
    let writing = Instant::now();
    if let Err(message) = write_scores_with_errors(
        &prepared.meta,
        &evaluation,
        out.map(PathBuf::as_path),
        outputs.format,
        outputs.stamp,
        args.allow_plugin_errors,
    ) {
        progress.finish_and_clear();
        crate::render::error(&message);
        return EXIT_ERRORS;
    }
    if let (Some(path), Some(explanations)) = (explain_path, &explanations) {
        if let Err(message) = write_explanations(path, explanations) {
            progress.finish_and_clear();
            crate::render::error(&message);
            return EXIT_ERRORS;
        }
    }
    let writing_time = writing.elapsed();
    let accounts_rows = match write_accounts(&prepared.meta, accounts.as_ref(), &outputs) {
        Ok(rows) => rows,
        Err(message) => {
            progress.finish_and_clear();
            crate::render::error(&message);
            return EXIT_ERRORS;
        }
    };
    // Last, once the outputs it describes are in place.
    let written = Written {
        accounts: accounts_rows,
        contacts: evaluation.len(),
        explanations: explanations.as_ref().map(Vec::len),
        skipped_rows: prepared
            .skipped_rows
            .as_ref()
            .map(|(path, rows)| (path.as_path(), *rows)),
    };
    if let Err(message) = write_manifest(
        &outputs,
        &prepared.meta,
        prepared.as_of_millis,
        &prepared.inputs,
        written,
    ) {
        progress.finish_and_clear();
        crate::render::error(&message);
        return EXIT_ERRORS;
    }
    let appending = Instant::now();
    if let Some(path) = &outputs.history {
        progress.set_message("appending the run to the score history");
        if let Err(message) = scoreline_runner::history::append(
            path,
            "run",
            &prepared.meta,
            prepared.as_of_millis,
            started_at,
            &prepared.inputs,
            (&evaluation, accounts.as_ref()),
        ) {
            progress.finish_and_clear();
            crate::render::error(&message);
            return EXIT_ERRORS;
        }
    }
    // Where the time went, for the benchmarks (bench/databases.sh).
    if std::env::var_os("SCORELINE_TIMINGS").is_some() {
        progress.suspend(|| {
            eprintln!(
                "timings: reading {} ms, scoring {} ms, writing {} ms, history {} ms",
                prepared_time.as_millis(),
                scoring_time.as_millis(),
                writing_time.as_millis(),
                appending.elapsed().as_millis()
            )
        });
    }
    if let Some(path) = &args.report {
        if let Err(message) = write_report(path, &args, &prepared, &evaluation) {
            progress.finish_and_clear();
            eprintln!("{message}");
            return EXIT_ERRORS;
        }
    }
    progress.finish_and_clear();
    eprintln!(
        "{}",
        summary(&prepared, &evaluation, started.elapsed(), scoring_time, out)
    );
    if let Some(accounts) = &accounts {
        eprintln!(
            "{}",
            accounts_summary(accounts, outputs.accounts.as_deref())
        );
    }
    if let Some(warning) = accounts_warning {
        eprintln!("{warning}");
    }
    if let Some(path) = &args.report {
        eprintln!("wrote the report to {}", path.display());
    }
    // The process ends here: the data set and the scores go back to the system with it, at
    // once, instead of being freed value by value (most of a second for a million contacts).
    std::mem::forget((prepared, evaluation, explanations, accounts));
    EXIT_OK
}

/// Writes the HTML report of a run (`--report`).
fn write_report(
    path: &std::path::Path,
    args: &RunArgs,
    prepared: &Prepared,
    evaluation: &Evaluation,
) -> Result<(), String> {
    // The rule file's titles; the inputs resolved already, so this cannot fail but to read.
    let titles = scoreline_runner::pipeline::resolve(&args.inputs.to_inputs())
        .map(|s| scoreline_runner::report::Titles::read(&s.ruleset))
        .unwrap_or_default();
    let html = scoreline_runner::report::run_page(
        &prepared.meta,
        prepared.as_of_millis,
        evaluation,
        &titles,
    );
    scoreline_runner::report::write(path, &html).map_err(|m| crate::render::message(&m))
}

/// A spinner on stderr when it is a terminal; indicatif draws nothing on a pipe.
pub fn spinner() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn summary(
    prepared: &Prepared,
    evaluation: &Evaluation,
    total: Duration,
    scoring: Duration,
    out: Option<&PathBuf>,
) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "scored {} ({}) with {} {} as of {} in {} (scoring {})",
        plural(evaluation.len(), "contact"),
        plural(prepared.events_count, "event"),
        prepared.meta.ruleset,
        prepared.meta.version,
        scoreline_data::format_date(prepared.as_of_millis),
        human_duration(total),
        human_duration(scoring),
    );
    if let Some(path) = out {
        line.push_str(&format!(" → {}", scoreline_runner::database::shown(path)));
    }
    line.push_str(&scoreline_runner::output::segment_counts_lines(
        &evaluation.segment_counts,
    ));
    line
}

/// `12 ms`, `1.4 s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}
