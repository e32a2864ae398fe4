//! Failures and messages as the terminal shows them: the one place where the runner's
//! [`Failure`]s become text. Diagnostics as `error[CODE]: …` with the source line
//! (`scoreline_syntax::diagnostic::render`), data problems as `file:line:column: …`, messages
//! as `error: …` with one `  = help: …` line per help.

use scoreline_runner::failure::{Failure, Message, Problem};

/// A message: `error: TEXT` and its help lines.
pub fn message(m: &Message) -> String {
    let mut out = format!("error: {}", m.text);
    for help in &m.help {
        out.push_str("\n  = help: ");
        out.push_str(help);
    }
    out
}

/// Every part of a failure, in order, one after the other.
pub fn failure(f: &Failure) -> String {
    let mut parts: Vec<String> = Vec::new();
    for p in &f.problems {
        match p {
            Problem::Rules(d) if d.is_empty() => {}
            Problem::Data(d) if d.is_empty() => {}
            Problem::Rules(d) => parts.push(scoreline_syntax::diagnostic::render(d)),
            Problem::Data(d) => parts.push(
                d.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Problem::Message(m) | Problem::Summary(m) => parts.push(message(m)),
            Problem::Note(text) => parts.push(text.clone()),
        }
    }
    parts.join("\n")
}

/// Writes `text` to standard error as whole lines (one trailing newline dropped; nothing for
/// an empty text).
pub fn say(text: &str) {
    if text.is_empty() {
        return;
    }
    eprintln!("{}", text.strip_suffix('\n').unwrap_or(text));
}

/// Shows a failure on standard error and gives its exit code.
pub fn fail(f: Failure) -> u8 {
    say(&failure(&f));
    f.exit_code()
}

/// Shows an error message on standard error.
pub fn error(m: &Message) {
    say(&message(m));
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreline_runner::failure::Kind;
    use std::sync::Arc;

    #[test]
    fn a_message_shows_every_help_line() {
        let m = Message::new("`--bins 0` is not a number of buckets")
            .help("such as `--bins 10`")
            .help("or leave it out");
        assert_eq!(
            message(&m),
            "error: `--bins 0` is not a number of buckets\n  = help: such as `--bins 10`\n  = help: or leave it out"
        );
    }

    #[test]
    fn a_failure_shows_its_parts_in_order_and_its_kind_gives_the_exit_code() {
        let file = Arc::new(scoreline_syntax::SourceFile::new(
            "r.score",
            "score s = x\n",
        ));
        let d = scoreline_syntax::Diagnostic::error(
            &file,
            scoreline_syntax::codes::E0101,
            scoreline_syntax::ast::Span::new(10, 11),
            "unknown name `x`",
        );
        let f = Failure {
            kind: Kind::Errors,
            problems: vec![
                Problem::Rules(vec![d.clone()]),
                Problem::Data(Vec::new()),
                Problem::Note("… and 2 more problems".into()),
                Problem::Summary(Message::new("nothing was scored")),
            ],
        };
        let text = failure(&f);
        assert_eq!(
            text,
            format!(
                "{}\n… and 2 more problems\nerror: nothing was scored",
                d.render()
            )
        );
        assert!(text.starts_with("error[E0101]: unknown name `x`"), "{text}");
        assert_eq!(f.exit_code(), scoreline_runner::EXIT_ERRORS);
        assert_eq!(
            Failure::usage(Message::new("x")).exit_code(),
            scoreline_runner::EXIT_USAGE
        );
        // The summary repeats the others: it is not one of the diagnostics.
        let json = f.to_json();
        assert_eq!(json.len(), 1);
        assert_eq!(json[0]["code"], "E0101");
    }
}
