//! `scoreline watch`: the hot-reloading runner (see `scoreline_runner::watch`).

use std::time::Duration;

use scoreline_runner::output::OutputFlags;
use scoreline_runner::watch::{watch, WatchOptions};

use crate::args::{StatusFormat, WatchArgs};

/// Runs `scoreline watch` until Ctrl-C or SIGTERM.
pub fn run(args: WatchArgs) -> u8 {
    let watched = watch(WatchOptions {
        inputs: args.inputs.to_inputs(),
        outputs: OutputFlags {
            scores: args.out,
            format: args.out_format.map(|f| f.to_data()),
            explain: args.explain,
            changes: args.changes,
            stamp: args.stamp,
            history: args.history,
            accounts: args.accounts_out,
        },
        json_status: args.format == StatusFormat::Json,
        poll: args.poll,
        debounce: Duration::from_millis(args.debounce.max(1)),
        allow_plugin_errors: args.allow_plugin_errors,
    });
    match watched {
        Ok(()) => crate::EXIT_OK,
        Err(failure) => crate::render::fail(failure),
    }
}
