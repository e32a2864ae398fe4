//! The Scoreline rule language's syntax: the grammar, the AST with spans, diagnostics and
//! the formatter. Text goes in, an AST (or diagnostics) comes out; meaning lives in the engine.
#![forbid(unsafe_code)]

pub mod ast;
pub mod codes;
pub mod diagnostic;
pub mod format;
pub mod parser;
pub mod source;

pub use diagnostic::{Diagnostic, Severity};
pub use parser::parse;
pub use source::SourceFile;
