//! Scoreline's data: contacts and events read from CSV, NDJSON, JSON and YAML, validated
//! against the ruleset's schema (or typed by inference), and the writers for outputs.
#![forbid(unsafe_code)]

mod cell;
mod fxhash;
pub mod load;
pub mod model;
pub mod problem;
mod raw;
pub mod write;
mod yaml;

pub use cell::{format_date, parse_bool, parse_date, parse_number};
pub use load::{
    load, load_owned, load_sources, read_records, read_sources, FileRows, Format, LoadOptions,
    LoadRequest, Loaded, Records, SetAside, Source,
};
pub use model::{Contact, Dataset, EventSpec, Events, FieldSpec, FieldType, Schema, Value};
pub use problem::{write_skipped, write_skipped_to, DataProblem, LoadError, SkippedRow};
pub use write::{
    format_number, write_atomic, OutputFormat, OutputMeta, OutputTable, RenderedRows, RowWriter,
};
