//! `scoreline fmt`: rewrite rule files in the canonical layout.

use scoreline_runner::failure::Message;
use std::path::PathBuf;

use crate::args::FmtArgs;
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use scoreline_runner::sources::{find_rule_files, read_source};

/// Runs `scoreline fmt`.
pub fn run(args: FmtArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let files = match find_rule_files(&paths) {
        Ok(f) => f,
        Err(e) => {
            crate::render::error(&e.0);
            return EXIT_USAGE;
        }
    };
    let mut failed = false;
    let mut changed = Vec::new();
    for path in &files {
        let source = match read_source(path) {
            Ok(s) => s,
            Err(e) => {
                crate::render::error(&e.0);
                failed = true;
                continue;
            }
        };
        let ast = match scoreline_syntax::parse(&source) {
            Ok(ast) => ast,
            Err(diagnostics) => {
                eprintln!("{}", scoreline_syntax::diagnostic::render(&diagnostics));
                eprintln!("not formatted: `{}` has syntax errors", path.display());
                failed = true;
                continue;
            }
        };
        let formatted = scoreline_syntax::format::format(&source, &ast);
        if formatted == source.text {
            continue;
        }
        changed.push(path.clone());
        if !args.check {
            if let Err(e) =
                scoreline_data::write_atomic(path, |w| w.write_all(formatted.as_bytes()))
            {
                crate::render::error(&Message::new(format!(
                    "cannot write `{}`: {}",
                    path.display(),
                    scoreline_runner::sources::io_reason(&e)
                )));
                failed = true;
            }
        }
    }
    if args.check {
        for path in &changed {
            outln!("{}", path.display());
        }
        if !changed.is_empty() {
            eprintln!(
                "{} would be reformatted; run `scoreline fmt` to fix",
                if changed.len() == 1 {
                    "1 file".to_string()
                } else {
                    format!("{} files", changed.len())
                }
            );
        }
    } else {
        // Say what happened, also when nothing had to change.
        let of = |n: usize| {
            if n == 1 {
                "1 file".to_string()
            } else {
                format!("{n} files")
            }
        };
        match (changed.len(), files.len()) {
            (_, 0) => eprintln!("no rule file (`*.score`) found"),
            (0, n) => eprintln!("{} already formatted, nothing rewritten", of(n)),
            (c, n) => {
                for path in &changed {
                    eprintln!("formatted `{}`", path.display());
                }
                eprintln!("formatted {c} of {}", of(n));
            }
        }
    }
    if failed || (args.check && !changed.is_empty()) {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}
