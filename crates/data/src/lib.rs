//! Scoreline's data: contacts and events read from CSV, NDJSON, JSON and YAML files or given
//! as records of values, validated against the ruleset's schema (or typed by inference), and
//! the writers for outputs.
#![forbid(unsafe_code)]

mod cell;
pub mod dates;
pub mod dialect;
mod fxhash;
pub mod load;
/// The data model, from its own crate (`scoreline-model`), where the engine finds it.
pub use scoreline_model as model;
mod json;
pub mod problem;
pub mod record;
pub mod table;
pub mod write;
mod yaml;

pub use cell::{format_date, parse_bool, parse_date, parse_number, text_cell};
pub use dates::Dates;
pub use dialect::{Decimal, Delimiter, Dialect, Encoding, Thousands};
pub use load::{
    load, load_inputs, load_owned, load_records, load_sources, load_streamed, read_all_sources,
    read_inputs, read_records, read_sources, AccountOptions, EventColumns, EventsFile, FileRows,
    Format, Input, LoadOptions, LoadRequest, Loaded, Observe, PresetHint, Records, SetAside,
    Source, BLOCK_BYTES,
};
pub use model::{
    Accounts, Contact, Dataset, EventSpec, Events, FieldSpec, FieldType, Schema, Value,
};
pub use problem::{write_skipped, write_skipped_to, DataProblem, LoadError, RecordAt, SkippedRow};
pub use record::{Datum, Record, RecordSet};
pub use table::{CellRef, Table, TableRows};
pub use write::{
    format_number, write_atomic, OutputFormat, OutputMeta, OutputTable, RenderedRows, RowWriter,
};
