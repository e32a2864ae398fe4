//! Scoreline's plugin host: rule files call functions of sandboxed Rhai scripts.
//!
//! A [`Plugin`] is compiled and loaded once, then called concurrently from every worker:
//! values cross as described in [`value`], each call runs under [`Limits`], and failures are
//! [`Diagnostic`](scoreline_syntax::Diagnostic)s (at load) or [`PluginError`]s (per call).
#![forbid(unsafe_code)]

pub mod error;
mod globals;
pub mod limits;
pub mod plugin;
pub mod value;

pub use error::PluginError;
pub use globals::W_GLOBAL_LET;
pub use limits::Limits;
pub use plugin::{capture_log, CapturedLog, FunctionInfo, Plugin};
pub use value::{EventArg, PluginArg};
