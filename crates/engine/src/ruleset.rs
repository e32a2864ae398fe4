//! The engine's front door: a rule file checked with its plugins ([`Ruleset::check`]), then
//! compiled against the schema of the data in force ([`Ruleset::compile`]) into a [`Plan`]
//! that scores partitions ([`Plan::statistics`], [`Plan::evaluate`]). The CLI, watch, the rule
//! tests, and any other host (a language server, a Python or Spark job) go through it.

use std::sync::Arc;

use scoreline_model::Schema;
use scoreline_plugins::Plugin;
use scoreline_syntax::ast::{Item, RuleFile};
use scoreline_syntax::{Diagnostic, SourceFile};

use crate::check::{check, check_partial, CheckOptions, Checked, PluginResolver};
use crate::plan::Plan;

/// A rule file that parsed and checked without errors, with its plugins: ready to compile.
#[derive(Debug)]
pub struct Ruleset {
    source: Arc<SourceFile>,
    ast: RuleFile,
    checked: Checked,
    /// The plugins by their name in the rule file, in declaration order.
    plugins: Vec<(String, Arc<Plugin>)>,
}

/// A rule file that did not check: every syntax error, and what the checker found in the items
/// that could be read, sorted by position (this file's first, then its plugins').
#[derive(Debug, Clone)]
pub struct Rejected {
    pub diagnostics: Vec<Diagnostic>,
    /// The file's tree, when it parsed (the errors are the checker's).
    pub ast: Option<RuleFile>,
    /// What the checker learnt, when the file parsed.
    pub checked: Option<Checked>,
}

impl Ruleset {
    /// Parses and checks `source`; `plugins` finds the scripts the file declares and tells
    /// what they offer. `Ok` when there is no error (warnings are in
    /// [`Ruleset::diagnostics`]).
    pub fn check(
        source: Arc<SourceFile>,
        plugins: &dyn PluginResolver,
    ) -> Result<Ruleset, Box<Rejected>> {
        let parsed = scoreline_syntax::parser::parse_recovering(&source);
        plugins.declared(&parsed.file);
        let options = CheckOptions { plugins };
        if !parsed.errors.is_empty() {
            let checked = check_partial(&source, &parsed, &options);
            let mut diagnostics = parsed.errors;
            diagnostics.extend(checked.diagnostics);
            diagnostics.sort_by_key(|d| (!Arc::ptr_eq(&d.file, &source), d.span.start, d.span.end));
            return Err(Box::new(Rejected {
                diagnostics,
                ast: None,
                checked: None,
            }));
        }
        let ast = parsed.file;
        let checked = check(&source, &ast, &options);
        if checked.has_errors() {
            return Err(Box::new(Rejected {
                diagnostics: checked.diagnostics.clone(),
                ast: Some(ast),
                checked: Some(checked),
            }));
        }
        let plugins = ast
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Plugin(p) => plugins
                    .plugin(&p.path.value)
                    .map(|plugin| (p.name.name.clone(), plugin)),
                _ => None,
            })
            .collect();
        Ok(Ruleset {
            source,
            ast,
            checked,
            plugins,
        })
    }

    /// Compiles the ruleset against the schema in force: the ruleset's own, or the one the
    /// loader inferred from the data when the file has no `schema` block.
    pub fn compile(&self, schema: &Schema) -> Result<Plan, Vec<Diagnostic>> {
        crate::plan::compile(&self.checked, schema, &self.plugins)
    }

    /// Whether the rule file has account items (`account let`, `account score`,
    /// `account segment`; LANGUAGE.md §13).
    pub fn has_account_items(&self) -> bool {
        !self.checked.symbols.account_items.is_empty()
    }

    /// Whether scoring needs the data's accounts: account items, or contact items reading an
    /// account field (`account.NAME`).
    pub fn uses_accounts(&self) -> bool {
        self.has_account_items() || !self.checked.typed.account_fields.is_empty()
    }

    /// The schema block, if the rule file has one (else the data's types are inferred).
    pub fn schema(&self) -> Option<&Schema> {
        self.checked.schema.as_ref()
    }

    /// The checker's warnings (a ruleset has no errors), sorted by position.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.checked.diagnostics
    }

    /// The rule file.
    pub fn source(&self) -> &Arc<SourceFile> {
        &self.source
    }

    /// The rule file's tree.
    pub fn ast(&self) -> &RuleFile {
        &self.ast
    }

    /// What the checker learnt: names, types, the schema.
    pub fn checked(&self) -> &Checked {
        &self.checked
    }

    /// The plugins by their name in the rule file, in declaration order.
    pub fn plugins(&self) -> &[(String, Arc<Plugin>)] {
        &self.plugins
    }

    /// The rule file's tree and what the checker learnt.
    pub fn into_parts(self) -> (RuleFile, Checked) {
        (self.ast, self.checked)
    }
}
