//! An evaluation as an Arrow batch with `run`'s columns.

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;
use scoreline_engine::Evaluation;
use scoreline_model::Value;
use scoreline_syntax::ast::{Item, RuleFile};

/// A column of the output and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Col {
    Id,
    Score(String),
    Text(String),
}

/// The output columns of a rule file, as `Plan::columns` orders them.
pub fn columns(ast: &RuleFile) -> Vec<Col> {
    let mut out = vec![Col::Id];
    for item in &ast.items {
        if let Item::Score(s) = item {
            out.push(Col::Score(s.name.name.clone()));
        }
    }
    for item in &ast.items {
        if let Item::Segment(s) = item {
            out.push(Col::Text(s.name.name.clone()));
            if s.arms.iter().any(|a| a.action.is_some()) {
                out.push(Col::Text(format!("{}_action", s.name.name)));
            }
        }
    }
    out
}

pub fn schema(columns: &[Col], id_column: &str) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| match c {
                Col::Id => Field::new(id_column, DataType::Utf8, false),
                Col::Score(name) => Field::new(name, DataType::Float64, true),
                Col::Text(name) => Field::new(name, DataType::Utf8, true),
            })
            .collect::<Vec<_>>(),
    ))
}

/// A score as `run` writes it: rounded to cents (and never `-0`).
pub fn cents(v: f64) -> f64 {
    let c = (v * 100.0).round();
    if c.abs() >= 9.0e15 {
        let r = v.round();
        return if r == 0.0 { 0.0 } else { r };
    }
    let r = c / 100.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// The rows of `evaluation` as one batch, with the columns and types of `columns`; with
/// `parallel`, the columns are built on the current rayon pool.
pub fn batch(
    evaluation: &Evaluation,
    columns: &[Col],
    id_column: &str,
    parallel: bool,
) -> Result<RecordBatch, ArrowError> {
    let names: Vec<&str> = columns
        .iter()
        .map(|c| match c {
            Col::Id => "id",
            Col::Score(n) | Col::Text(n) => n.as_str(),
        })
        .collect();
    if names != evaluation.columns {
        return Err(ArrowError::SchemaError(format!(
            "the evaluation's columns {:?} are not the rule file's {names:?}",
            evaluation.columns
        )));
    }
    let width = columns.len();
    let rows = evaluation.len();
    // Each column on its own (with `parallel`, on the current rayon pool), in order.
    let build = |(c, column): (usize, &Col)| -> ArrayRef {
        let cells = evaluation.values.iter().skip(c).step_by(width).take(rows);
        match column {
            Col::Score(_) => {
                let mut b = Float64Builder::with_capacity(rows);
                for v in cells {
                    match v {
                        Value::Number(n) if n.is_finite() => b.append_value(cents(*n)),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Col::Id | Col::Text(_) => {
                let mut b = StringBuilder::with_capacity(rows, rows * 8);
                for v in cells {
                    match v {
                        Value::Text(t) => b.append_value(t),
                        Value::Missing => b.append_null(),
                        Value::Number(n) => {
                            b.append_value(scoreline_data::write::format_number(*n))
                        }
                        Value::Bool(x) => b.append_value(if *x { "true" } else { "false" }),
                        Value::Date(ms) => b.append_value(scoreline_data::format_date(*ms)),
                        Value::List(items) => b.append_value(items.join(";")),
                    }
                }
                Arc::new(b.finish())
            }
        }
    };
    let arrays: Vec<ArrayRef> = if parallel {
        columns.par_iter().enumerate().map(build).collect()
    } else {
        columns.iter().enumerate().map(build).collect()
    };
    RecordBatch::try_new(schema(columns, id_column), arrays)
}
