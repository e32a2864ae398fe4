//! `scoreline explain ID`: one contact's scores and segments, clause by clause.

use crate::args::{ExplainArgs, ExplainFormat};
use crate::{EXIT_ERRORS, EXIT_OK};
use scoreline_runner::failure::Message;
use scoreline_runner::pipeline::prepare;

/// Runs `scoreline explain`.
pub fn run(args: ExplainArgs) -> u8 {
    let prepared = match prepare(&args.inputs.to_inputs()) {
        Ok(p) => p,
        Err(failure) => return crate::render::fail(failure),
    };
    let what = if args.account { "account" } else { "contact" };
    if args.account && !prepared.plan.has_account_items() {
        crate::render::error(&Message::new(format!("the ruleset `{}` has no account items to explain", prepared.meta.ruleset)).help("`explain --account` explains `account score` and `account segment` items; explain a contact without `--account`"));
        return crate::EXIT_USAGE;
    }
    let records = if args.account {
        &prepared.dataset.accounts.rows
    } else {
        &prepared.dataset.contacts
    };
    let Some(index) = records.iter().position(|c| c.id() == args.id) else {
        let ids = records.iter().map(|c| c.id());
        let wanted = args.id.to_lowercase();
        let same_but_case: Vec<&str> = ids
            .clone()
            .filter(|id| id.to_lowercase() == wanted)
            .take(3)
            .collect();
        let help = if !same_but_case.is_empty() {
            let list: Vec<String> = same_but_case.iter().map(|i| format!("`{i}`")).collect();
            format!(
                "did you mean {}? ids are compared exactly, case included",
                list.join(" or ")
            )
        } else {
            match scoreline_data::model::suggest::closest(&args.id, ids) {
                Some(near) => {
                    format!("did you mean `{near}`? ids are compared exactly, case included")
                }
                None => "ids are compared exactly, case included".to_string(),
            }
        };
        let file = match (&prepared.accounts_path, args.account) {
            (Some(path), true) => path.display().to_string(),
            (None, true) => format!(
                "the accounts linked from `{}`",
                prepared.contacts_path.display()
            ),
            _ => prepared.contacts_path.display().to_string(),
        };
        let file = if args.account && prepared.accounts_path.is_none() {
            file
        } else {
            format!("`{file}`")
        };
        crate::render::error(
            &Message::new(format!("no {what} with id `{}` in {file}", args.id))
                .help(help.to_string()),
        );
        return EXIT_ERRORS;
    };
    let as_of = scoreline_engine::AsOf::from_millis(prepared.as_of_millis);
    let explained = if args.account {
        prepared
            .plan
            .explain_account(&prepared.dataset, index, as_of, args.show_events)
    } else {
        None
    };
    let (explanation, plugin_log) = if let Some(explained) = explained {
        explained
    } else if args.show_events {
        prepared
            .plan
            .explain_with_events(&prepared.dataset, index, as_of, None)
    } else {
        prepared.plan.explain(&prepared.dataset, index, as_of)
    };
    for line in plugin_log {
        eprintln!("{line}");
    }
    match args.format {
        ExplainFormat::Text => {
            outln!(
                "ruleset {} version {}, as of {}\n",
                prepared.meta.ruleset,
                prepared.meta.version,
                scoreline_data::format_date(prepared.as_of_millis)
            );
            out!("{}", explanation.render_text());
        }
        ExplainFormat::Json => {
            let mut value = serde_json::to_value(&explanation).unwrap_or_default();
            if let Some(map) = value.as_object_mut() {
                map.insert(
                    "ruleset_version".into(),
                    serde_json::Value::String(prepared.meta.version.clone()),
                );
                map.insert(
                    "as_of".into(),
                    serde_json::Value::String(scoreline_data::format_date(prepared.as_of_millis)),
                );
            }
            outln!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
    }
    EXIT_OK
}
