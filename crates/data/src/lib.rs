//! Scoreline's data: contacts and events read from CSV, NDJSON, JSON and YAML, validated
//! against the ruleset's schema (or typed by inference), and the writers for outputs.
#![forbid(unsafe_code)]

pub mod model;

pub use model::{Contact, Dataset, EventSpec, Events, FieldSpec, FieldType, Schema, Value};
