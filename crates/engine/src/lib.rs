//! The Scoreline engine: names resolved, types checked, a compiled plan, evaluation of
//! contacts and explanations. It does no I/O and keeps no global state.
#![forbid(unsafe_code)]

pub mod check;
pub mod resolve;
