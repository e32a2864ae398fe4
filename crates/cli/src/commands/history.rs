//! `scoreline history ID`: a contact's (or an account's) scores and segments over past runs.

use scoreline_db::Entity;
use scoreline_runner::failure::Message;

use crate::args::{HistoryArgs, HistoryFormat};
use crate::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};

/// Runs `scoreline history`.
pub fn run(args: HistoryArgs) -> u8 {
    let history = match args.history.clone() {
        Some(h) => h,
        None => match scoreline_runner::project::load(args.project.as_deref()) {
            Ok(Some(p)) => match p.project.output.history.as_ref() {
                Some(h) => p.path(h),
                None => return no_history(),
            },
            Ok(None) => return no_history(),
            Err(message) => {
                crate::render::error(&message);
                return EXIT_USAGE;
            }
        },
    };
    let entity = if args.account {
        Entity::Account
    } else {
        Entity::Contact
    };
    match scoreline_runner::history::show(
        &history,
        &args.id,
        entity,
        args.limit,
        args.format == HistoryFormat::Json,
    ) {
        Ok(text) => {
            println!("{text}");
            EXIT_OK
        }
        Err(message) => {
            crate::render::error(&message);
            EXIT_ERRORS
        }
    }
}

fn no_history() -> u8 {
    crate::render::error(&Message::new("no score history given").help("pass `--history URL` (like `--history sqlite:history.db`), or set `output.history` in `scoreline.yaml`"));
    EXIT_USAGE
}
