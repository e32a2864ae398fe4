//! The Scoreline engine: names resolved, types checked, a compiled plan, evaluation of
//! contacts and explanations. It does no I/O and keeps no global state.
#![forbid(unsafe_code)]

pub mod builtins;
pub mod check;
pub mod eval;
pub mod explain;
pub mod plan;
pub mod resolve;
pub mod ruleset;
pub mod typed;
pub mod version;

pub use eval::{
    ClauseValue, Contributions, EvalOptions, Evaluation, PartitionStatistics, PluginErrorTally,
    PreviousScoring, RowError, SegmentCounts, Statistics,
};
pub use explain::Explanation;
pub use plan::{compile, Plan};
pub use ruleset::{Rejected, Ruleset};
pub use scoreline_model::AsOf;
pub use version::ruleset_version;
