//! What the runner tells the user while it works (warnings, notes, plugin log lines, and the
//! failures of `watch`'s cycles as data), handed to the sink the program installs: the
//! library never prints, and never renders a failure.
//! The CLI installs one that writes standard error. A program that installs none (a test, an
//! embedding) gets the messages kept, to take with [`take`]; at most [`KEPT`] of them.

use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};

use crate::failure::Failure;

/// Where the runner's messages go.
pub trait Sink: Send + Sync {
    /// One message: one or more whole lines, without the last line's newline.
    fn message(&self, text: &str);

    /// One status line of `watch` (text or JSON: what a program reading watch's output
    /// parses), without its newline.
    fn status(&self, line: &str);

    /// A failure the runner reports and goes on after (a `watch` cycle that failed, a stage
    /// of `prepare`), for the program to render.
    fn failure(&self, failure: &Failure);
}

/// What was said while no sink was installed.
#[derive(Debug, Clone)]
pub enum Said {
    Message(String),
    Status(String),
    Failure(Failure),
}

static SINK: OnceLock<Box<dyn Sink>> = OnceLock::new();

/// The messages said while no sink is installed, oldest first.
static KEPT_MESSAGES: Mutex<VecDeque<Said>> = Mutex::new(VecDeque::new());

/// How many messages are kept without a sink (the oldest are dropped after).
pub const KEPT: usize = 10_000;

/// Installs the sink for the rest of the process. `false` if one was installed before (the
/// first stays).
pub fn install(sink: Box<dyn Sink>) -> bool {
    SINK.set(sink).is_ok()
}

/// Says one message (whole lines; a trailing newline is not needed and is dropped).
pub fn say(text: impl AsRef<str>) {
    let text = text.as_ref();
    let text = text.strip_suffix('\n').unwrap_or(text);
    match SINK.get() {
        Some(sink) => sink.message(text),
        None => keep(Said::Message(text.to_string())),
    }
}

/// Reports a failure and goes on.
pub fn failure(failure: &Failure) {
    match SINK.get() {
        Some(sink) => sink.failure(failure),
        None => keep(Said::Failure(failure.clone())),
    }
}

/// Gives one status line of `watch`.
pub fn status(line: &str) {
    match SINK.get() {
        Some(sink) => sink.status(line),
        None => keep(Said::Status(line.to_string())),
    }
}

fn keep(said: Said) {
    let mut kept = KEPT_MESSAGES.lock().unwrap_or_else(|p| p.into_inner());
    if kept.len() >= KEPT {
        kept.pop_front();
    }
    kept.push_back(said);
}

/// The messages kept since the last call (none once a sink is installed).
pub fn take() -> Vec<Said> {
    std::mem::take(&mut *KEPT_MESSAGES.lock().unwrap_or_else(|p| p.into_inner())).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // No sink is installed in the runner's own tests: what the runner says is kept.
    #[test]
    fn without_a_sink_messages_are_kept_not_printed_and_bounded() {
        say("warning: console-test one\n");
        status("{\"status\":\"console-test\"}");
        let f = Failure::usage(crate::failure::Message::new("console-test failure"));
        failure(&f);
        let kept = take();
        let said = |want: &str| {
            kept.iter().any(|s| match s {
                Said::Message(m) | Said::Status(m) => m == want,
                Said::Failure(f) => f.message().is_some_and(|m| m.text == want),
            })
        };
        assert!(said("warning: console-test one"));
        assert!(said("{\"status\":\"console-test\"}"));
        assert!(said("console-test failure"));
        for i in 0..KEPT + 5 {
            say(format!("console-test {i}"));
        }
        let kept = take();
        assert!(kept.len() <= KEPT);
        let said = |want: &str| {
            kept.iter()
                .any(|s| matches!(s, Said::Message(m) if m == want))
        };
        assert!(said(&format!("console-test {}", KEPT + 4)));
        assert!(!said("console-test 0"));
    }
}
