//! The checker's last word, said when compiling: what only the schema in force and the
//! loaded plugins can tell. A rule file without a schema block reads contact fields the data
//! may lack (E0701); and a program compiled with other plugins than it was checked with may
//! call a function they lack (E0705). Nothing else can fail once the checker has passed a
//! file: lowering the typed tree to a plan cannot.

use scoreline_syntax::codes;
use std::sync::Arc;

use scoreline_model::{suggest, Schema};
use scoreline_plugins::Plugin;
use scoreline_syntax::Diagnostic;

use super::Checked;

/// The problems of a checked rule file against the schema in force (the declared one, or the
/// one inferred from the data) and the loaded plugins (by their name in the rule file), sorted
/// by position. Empty when it can be compiled.
pub fn in_force(
    checked: &Checked,
    schema: &Schema,
    plugins: &[(String, Arc<Plugin>)],
) -> Vec<Diagnostic> {
    let file = &checked.file;
    let mut problems = Vec::new();
    for field in &checked.typed.fields {
        if schema.contact.iter().any(|f| f.name == field.name) {
            continue;
        }
        let is_property = field.unless_property_of.as_ref().is_some_and(|event| {
            schema
                .events
                .iter()
                .filter(|e| event.selects(&e.name))
                .any(|e| e.fields.iter().any(|f| f.name == field.name))
        });
        if is_property {
            continue;
        }
        let known: Vec<&str> = schema.contact.iter().map(|f| f.name.as_str()).collect();
        let help = suggest::did_you_mean(&field.name, known.iter().copied()).unwrap_or_else(|| {
            "add this column to the contacts data, or declare it in the rule file's schema"
                .to_string()
        });
        problems.push(
            Diagnostic::error(
                file,
                codes::E0701,
                field.span,
                format!("unknown field `{}`", field.name),
            )
            .with_help(help),
        );
    }
    for field in &checked.typed.account_fields {
        if field.name == "id" || schema.account.iter().any(|f| f.name == field.name) {
            continue;
        }
        let is_property = field.unless_property_of.as_ref().is_some_and(|event| {
            schema
                .events
                .iter()
                .filter(|e| event.selects(&e.name))
                .any(|e| e.fields.iter().any(|f| f.name == field.name))
        });
        if is_property {
            continue;
        }
        let known: Vec<&str> = schema.account.iter().map(|f| f.name.as_str()).collect();
        let help = suggest::did_you_mean(&field.name, known.iter().copied()).unwrap_or_else(|| {
            if schema.account.len() <= 1 {
                "the accounts have no field but `id`: give an accounts file (`--accounts`, `data.accounts`) with this column".to_string()
            } else {
                "add this column to the accounts data, or declare it in the schema's `account` block".to_string()
            }
        });
        problems.push(
            Diagnostic::error(
                file,
                codes::E0701,
                field.span,
                format!("unknown account field `{}`", field.name),
            )
            .with_help(help),
        );
    }
    for call in &checked.typed.plugin_calls {
        let Some((_, loaded)) = plugins.iter().find(|(name, _)| *name == call.plugin) else {
            let known: Vec<&str> = plugins.iter().map(|(n, _)| n.as_str()).collect();
            let help =
                suggest::did_you_mean(&call.plugin, known.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "declare it with `plugin {} = \"path/to/script.rhai\"`",
                        call.plugin
                    )
                });
            problems.push(
                Diagnostic::error(
                    file,
                    codes::E0705,
                    call.plugin_span,
                    format!("unknown plugin `{}`", call.plugin),
                )
                .with_help(help),
            );
            continue;
        };
        if loaded.function_index(&call.function, call.arity).is_some() {
            continue;
        }
        let same_name: Vec<usize> = loaded
            .functions()
            .iter()
            .filter(|f| f.name == call.function)
            .map(|f| f.arity)
            .collect();
        let help = if let Some(arity) = same_name.first() {
            format!(
                "`{}.{}` takes {arity} argument{}",
                call.plugin,
                call.function,
                if *arity == 1 { "" } else { "s" }
            )
        } else {
            let names: Vec<&str> = loaded.functions().iter().map(|f| f.name.as_str()).collect();
            match suggest::did_you_mean(&call.function, names.iter().copied()) {
                Some(help) => help,
                None if names.is_empty() => "this plugin defines no callable function".to_string(),
                None => format!("its functions are {}", suggest::list(&names, usize::MAX)),
            }
        };
        problems.push(
            Diagnostic::error(
                file,
                codes::E0705,
                call.function_span,
                format!(
                    "plugin `{}` has no function `{}` taking {} argument{}",
                    call.plugin,
                    call.function,
                    call.arity,
                    if call.arity == 1 { "" } else { "s" }
                ),
            )
            .with_help(help),
        );
    }
    problems.sort_by_key(|d| (d.span.start, d.span.end));
    problems
}
