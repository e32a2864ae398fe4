//! `scoreline explain ID`: one contact's scores and segments, clause by clause.

use crate::args::{ExplainArgs, ExplainFormat};
use crate::{EXIT_ERRORS, EXIT_OK};
use scoreline_runner::pipeline::prepare;

/// Runs `scoreline explain`.
pub fn run(args: ExplainArgs) -> u8 {
    let prepared = match prepare(&args.inputs.to_inputs()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let Some(index) = prepared
        .dataset
        .contacts
        .iter()
        .position(|c| c.id() == args.id)
    else {
        eprintln!(
            "error: no contact with id `{}` in `{}`\n  = help: ids are compared exactly, case included",
            args.id,
            prepared.contacts_path.display()
        );
        return EXIT_ERRORS;
    };
    let (explanation, plugin_log) = prepared.plan.explain(
        &prepared.dataset,
        index,
        scoreline_engine::AsOf::from_millis(prepared.as_of_millis),
    );
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
