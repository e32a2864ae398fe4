//! `scoreline._scoreline`: the engine for Python. Data crosses as Arrow (the PyCapsule stream
//! interface); the Python package (`scoreline/__init__.py`) converts pandas and Polars frames
//! and wraps errors. Every function here is a thin layer over `scoreline-arrow`.

use std::path::Path;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3_arrow::{PySchema, PyTable};
use scoreline_arrow::{Error, RulesetSource, Scorer, Statistics};
use scoreline_model::AsOf;
use scoreline_syntax::Diagnostic;

create_exception!(_scoreline, EngineError, PyException);

/// The error raised for every failure: `(kind, message, diagnostics as JSON)`, which the
/// Python package turns into `scoreline.ScorelineError`.
fn raise(error: Error) -> PyErr {
    let (kind, diagnostics) = match &error {
        Error::Rules(d) => ("rules", d.iter().map(Diagnostic::to_json).collect()),
        Error::Data(_) => ("data", Vec::new()),
        Error::Plugins(_) => ("plugins", Vec::new()),
        Error::Other(_) => ("other", Vec::new()),
    };
    EngineError::new_err((
        kind,
        error.to_string(),
        serde_json::Value::Array(diagnostics).to_string(),
    ))
}

fn source(ruleset: &str) -> PyResult<RulesetSource> {
    RulesetSource::from_json(ruleset).map_err(raise)
}

/// The rule file at `path` and its plugins, as JSON text (what travels to Spark executors).
#[pyfunction]
fn read_ruleset(path: &str) -> PyResult<String> {
    Ok(RulesetSource::read(Path::new(path))
        .map_err(raise)?
        .to_json())
}

/// `check`'s diagnostics of the ruleset (errors and warnings) as JSON text.
#[pyfunction]
fn check(ruleset: &str) -> PyResult<String> {
    let source = source(ruleset)?;
    let diagnostics = match Scorer::new(&source) {
        Ok(scorer) => scorer.warnings,
        Err(Error::Rules(d)) => d,
        Err(other) => return Err(raise(other)),
    };
    let json: Vec<_> = diagnostics.iter().map(Diagnostic::to_json).collect();
    Ok(serde_json::Value::Array(json).to_string())
}

/// Whether the rule file has a schema block.
#[pyfunction]
fn has_schema(ruleset: &str) -> PyResult<bool> {
    Ok(Scorer::new(&source(ruleset)?)
        .map_err(raise)?
        .schema()
        .is_some())
}

/// Whether scoring needs the population's statistics (a first pass over every partition).
#[pyfunction]
fn needs_statistics(ruleset: &str) -> PyResult<bool> {
    Ok(Scorer::new(&source(ruleset)?)
        .map_err(raise)?
        .needs_statistics())
}

/// The schema of the scored tables.
#[pyfunction]
fn output_schema(ruleset: &str, id_column: &str) -> PyResult<PySchema> {
    let scorer = Scorer::new(&source(ruleset)?).map_err(raise)?;
    Ok(PySchema::new(scoreline_arrow::output_schema(
        &scorer, id_column,
    )))
}

fn batches(table: Option<PyTable>) -> Vec<arrow_array::RecordBatch> {
    table.map(|t| t.into_inner().0).unwrap_or_default()
}

/// The first pass over one partition: its population statistics as JSON text.
#[pyfunction]
#[pyo3(signature = (ruleset, contacts, events, as_of_ms, id_column))]
fn statistics(
    py: Python<'_>,
    ruleset: &str,
    contacts: PyTable,
    events: Option<PyTable>,
    as_of_ms: i64,
    id_column: &str,
) -> PyResult<String> {
    let source = source(ruleset)?;
    let (contacts, events) = (batches(Some(contacts)), batches(events));
    py.detach(|| {
        let scorer = Scorer::new(&source)?;
        let partition =
            scorer.partition(&contacts, &events, id_column, AsOf::from_millis(as_of_ms))?;
        Ok(scoreline_arrow::statistics_to_json(
            &partition.statistics()?,
        ))
    })
    .map_err(raise)
}

/// Merges partitions' statistics (JSON texts) into the population's.
#[pyfunction]
fn merge_statistics(parts: Vec<String>) -> PyResult<String> {
    let parsed: Vec<Statistics> = parts
        .iter()
        .map(|p| scoreline_arrow::statistics_from_json(p))
        .collect::<Result<_, _>>()
        .map_err(raise)?;
    Ok(scoreline_arrow::statistics_to_json(
        &scoreline_arrow::merge_statistics(&parsed),
    ))
}

/// Scores one partition; `population` is the merged statistics (JSON), or `None` when this
/// partition is the whole population.
#[pyfunction]
#[pyo3(signature = (ruleset, contacts, events, as_of_ms, id_column, population=None, threads=1))]
#[allow(clippy::too_many_arguments)]
fn score(
    py: Python<'_>,
    ruleset: &str,
    contacts: PyTable,
    events: Option<PyTable>,
    as_of_ms: i64,
    id_column: &str,
    population: Option<&str>,
    threads: usize,
) -> PyResult<Py<PyAny>> {
    let source = source(ruleset)?;
    let (contacts, events) = (batches(Some(contacts)), batches(events));
    let population = population
        .map(scoreline_arrow::statistics_from_json)
        .transpose()
        .map_err(raise)?;
    let (batch, schema) = py
        .detach(|| {
            let scorer = Scorer::new(&source)?;
            let schema = scoreline_arrow::output_schema(&scorer, id_column);
            let partition = scorer.partition_on(
                &contacts,
                &events,
                id_column,
                AsOf::from_millis(as_of_ms),
                threads,
            )?;
            let batch = match &population {
                Some(all) => partition.score(all)?,
                None => partition.score_alone()?,
            };
            scoreline_arrow::drop_aside(partition);
            Ok((batch, schema))
        })
        .map_err(raise)?;
    let table = PyTable::try_new(vec![batch], schema)?;
    Ok(table.into_pyarrow(py)?.unbind())
}

#[pymodule]
fn _scoreline(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("EngineError", m.py().get_type::<EngineError>())?;
    m.add_function(wrap_pyfunction!(read_ruleset, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(has_schema, m)?)?;
    m.add_function(wrap_pyfunction!(needs_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(output_schema, m)?)?;
    m.add_function(wrap_pyfunction!(statistics, m)?)?;
    m.add_function(wrap_pyfunction!(merge_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    Ok(())
}
