//! The evaluation plan: a rule file compiled against the schema in force, with every name
//! turned into a slot (contact field index, item slot, event type id, property index), every
//! regex compiled once and trivial constants folded. Evaluation lives in [`crate::eval`].

mod compile;
pub(crate) mod node;

use std::sync::Arc;

use scoreline_syntax::Diagnostic;

use crate::check::Checked;
use node::{LetPlan, PluginFnPlan, PopSite, ScorePlan, SegmentPlan, Step};

/// A rule file compiled for evaluation against data of one schema.
#[derive(Debug)]
pub struct Plan {
    pub(crate) ruleset: Option<String>,
    pub(crate) lets: Vec<LetPlan>,
    /// Scores in file order.
    pub(crate) scores: Vec<ScorePlan>,
    /// Segments in file order.
    pub(crate) segments: Vec<SegmentPlan>,
    /// Every let, score and segment in an order where each comes after what it uses.
    pub(crate) steps: Vec<Step>,
    /// The item index of each step.
    pub(crate) step_items: Vec<usize>,
    /// The steps that population arguments need (a prefix-closed subset of `steps`).
    pub(crate) population_steps: Vec<Step>,
    pub(crate) population: Vec<PopSite>,
    pub(crate) slot_count: usize,
    /// Event type names by type id, as in the schema in force.
    pub(crate) event_types: Vec<Arc<str>>,
    /// The plugin functions called, each once however often it is written.
    pub(crate) plugin_functions: Vec<PluginFnPlan>,
    /// The account items, if the file has any (LANGUAGE.md §13).
    pub(crate) account: Option<Box<node::AccountLevel>>,
    /// Whether contact items read `account.NAME`.
    pub(crate) reads_account: bool,
    /// Whether the contacts' population arguments read `account.NAME`.
    pub(crate) population_reads_account: bool,
    /// Whether the items read events.
    pub(crate) reads_events: bool,
    /// Whether this is the plan of the account items (over the accounts).
    pub(crate) is_account_level: bool,
}

/// Compiles a checked rule file against the schema in force (declared, or inferred from the
/// data) and the loaded plugins (by their name in the rule file). The only errors are the
/// checker's: those of the file if it has any, else [`crate::check::in_force`]'s.
pub fn compile(
    checked: &Checked,
    schema: &scoreline_model::Schema,
    plugins: &[(String, Arc<scoreline_plugins::Plugin>)],
) -> Result<Plan, Vec<Diagnostic>> {
    compile::compile(checked, schema, plugins)
}

impl Plan {
    /// The ruleset's name from the file's header, if it has one.
    pub fn ruleset(&self) -> Option<&str> {
        self.ruleset.as_deref()
    }

    /// The output columns: `id`, every score in file order, then every segment (and its
    /// `NAME_action` column when any of its arms has an action).
    pub fn columns(&self) -> Vec<String> {
        let mut columns = vec!["id".to_string()];
        columns.extend(self.scores.iter().map(|s| s.name.clone()));
        for segment in &self.segments {
            columns.push(segment.name.clone());
            if segment.has_action {
                columns.push(format!("{}_action", segment.name));
            }
        }
        columns
    }

    /// The names of the scores, in file order.
    pub fn score_names(&self) -> Vec<&str> {
        self.scores.iter().map(|s| s.name.as_str()).collect()
    }

    /// The names of the segments, in file order.
    pub fn segment_names(&self) -> Vec<&str> {
        self.segments.iter().map(|s| s.name.as_str()).collect()
    }

    /// The names of the segments with a `keep when` arm (which read a previous scoring).
    pub fn sticky_segment_names(&self) -> Vec<&str> {
        self.segments
            .iter()
            .filter(|s| s.arms.iter().any(|a| a.keep.is_some()))
            .map(|s| s.name.as_str())
            .collect()
    }

    /// Whether evaluation needs a first pass over every contact (population functions).
    pub fn has_population_functions(&self) -> bool {
        !self.population.is_empty()
    }

    /// Whether the file has account items (`account let`, `account score`, `account segment`).
    pub fn has_account_items(&self) -> bool {
        self.account.is_some()
    }

    /// Whether scoring needs the data's accounts: account items, or contact items reading
    /// `account.NAME`.
    pub fn uses_accounts(&self) -> bool {
        self.account.is_some() || self.reads_account
    }

    /// The accounts output's columns (`id`, the account scores, the account segments with
    /// their `NAME_action` columns), if the file has account items.
    pub fn account_columns(&self) -> Option<Vec<String>> {
        self.account.as_ref().map(|a| a.plan.columns())
    }

    /// The names of the account scores and segments, in file order.
    pub fn account_score_names(&self) -> Vec<&str> {
        self.account
            .as_ref()
            .map_or_else(Vec::new, |a| a.plan.score_names())
    }
}
