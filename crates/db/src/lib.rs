//! Scoreline's databases: SQLite files and PostgreSQL servers named by URLs, read as data
//! sources (a table or a query, handed to the data loader as rows of values), written as
//! output tables (replaced in one transaction), and the score history.
#![forbid(unsafe_code)]

mod conn;
mod history;
mod pgpass;
mod read;
mod url;
mod write;

use std::fmt;

pub use history::{
    Entity, EntityRows, History, HistoryEntry, HistoryInput, RunRecord, StoredRun, HISTORY_LAYOUT,
};
pub use read::{read, Column, ReadTable};
pub use url::{is_url, redact, DbUrl, Target};
pub use write::{append_table, write_table, OutputColumn};

/// A database problem, in the user's words: a short lowercase sentence, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub message: String,
    pub help: Option<String>,
}

impl DbError {
    pub(crate) fn new(message: impl Into<String>, help: Option<String>) -> DbError {
        DbError {
            message: message.into(),
            help,
        }
    }
}

/// `error: MESSAGE` and `  = help: …`, as the runner prints its errors.
impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DbError {}
