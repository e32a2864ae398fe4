//! Writing an output table: the table is dropped, created and filled in one transaction, so
//! that a reader sees the old rows or the new ones, never a part (a process killed half-way
//! leaves the old table: SQLite rolls its journal back, PostgreSQL the transaction).
//!
//! Column types: a text is `TEXT`; a number `REAL` in SQLite and `double precision` in
//! PostgreSQL (rounded as the CSV output writes it: at most two decimals); true or false is
//! `BOOLEAN` (0 or 1 in SQLite); a date `TEXT` in RFC 3339 in SQLite and `timestamptz` in
//! PostgreSQL; a list `TEXT`, its items separated by `;`. A column whose values are all missing
//! is `TEXT`; a missing value is `NULL`.

use std::io::Write;

use scoreline_data::{format_date, format_number, Value};

use crate::conn::{pg_reason, sqlite_reason, Conn, Mode};
use crate::read::{quote_ident, quote_table};
use crate::url::DbUrl;
use crate::DbError;

/// A column of an output table and the kind of its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputColumn {
    Text,
    Number,
    Bool,
    Date,
}

impl OutputColumn {
    /// The kind of a column, from its first value that is not missing (`Text` if none is).
    pub fn of<'v>(values: impl IntoIterator<Item = &'v Value>) -> OutputColumn {
        for v in values {
            match v {
                Value::Missing => continue,
                Value::Number(_) => return OutputColumn::Number,
                Value::Bool(_) => return OutputColumn::Bool,
                Value::Date(_) => return OutputColumn::Date,
                Value::Text(_) | Value::List(_) => return OutputColumn::Text,
            }
        }
        OutputColumn::Text
    }

    fn sql(self, postgres: bool) -> &'static str {
        match (self, postgres) {
            (OutputColumn::Text, _) => "TEXT",
            (OutputColumn::Number, false) => "REAL",
            (OutputColumn::Number, true) => "double precision",
            (OutputColumn::Bool, _) => "BOOLEAN",
            (OutputColumn::Date, false) => "TEXT",
            (OutputColumn::Date, true) => "timestamptz",
        }
    }
}

/// A number as the CSV output writes it, back as a number.
pub(crate) fn rounded(n: f64) -> f64 {
    format_number(n).parse().unwrap_or(n)
}

fn list_text(items: &[std::sync::Arc<str>]) -> String {
    items.iter().map(|s| &**s).collect::<Vec<_>>().join(";")
}

/// Replaces the table `url` names with `rows` (each `names.len()` values), in one transaction.
pub fn write_table(
    url: &DbUrl,
    names: &[String],
    kinds: &[OutputColumn],
    rows: &[&[Value]],
) -> Result<(), DbError> {
    put_rows(url, names, kinds, rows, false)
}

/// Appends `rows` to the table `url` names (created if missing), in one transaction: the
/// change feed's table.
pub fn append_table(
    url: &DbUrl,
    names: &[String],
    kinds: &[OutputColumn],
    rows: &[&[Value]],
) -> Result<(), DbError> {
    put_rows(url, names, kinds, rows, true)
}

fn put_rows(
    url: &DbUrl,
    names: &[String],
    kinds: &[OutputColumn],
    rows: &[&[Value]],
    append: bool,
) -> Result<(), DbError> {
    let Some(table) = url.table() else {
        return Err(DbError::new(
            format!("`{url}` names no table to write"),
            Some(format!(
                "write the output as `{}?table=NAME`",
                url.database()
            )),
        ));
    };
    let failed = |reason: String| {
        DbError::new(
            format!(
                "cannot write table `{table}` in `{}`: {reason}",
                url.database()
            ),
            Some("the table was left as it was".into()),
        )
    };
    let mut conn = Conn::open(url, Mode::Write)?;
    let postgres = matches!(conn, Conn::Postgres(_));
    let create = format!(
        "CREATE TABLE {}{} ({})",
        if append { "IF NOT EXISTS " } else { "" },
        quote_table(table),
        names
            .iter()
            .zip(kinds)
            .map(|(n, k)| format!("{} {}", quote_ident(n), k.sql(postgres)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let drop = if append {
        "SELECT 1".to_string()
    } else {
        format!("DROP TABLE IF EXISTS {}", quote_table(table))
    };
    match &mut conn {
        Conn::Sqlite(c) => {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| failed(sqlite_reason(&e)))?;
            tx.execute_batch(&format!("{drop}; {create};"))
                .map_err(|e| failed(sqlite_reason(&e)))?;
            insert_sqlite(&tx, table, names.len(), rows).map_err(|e| failed(sqlite_reason(&e)))?;
            tx.commit().map_err(|e| failed(sqlite_reason(&e)))
        }
        Conn::Postgres(c) => {
            let mut tx = c.transaction().map_err(|e| failed(pg_reason(&e)))?;
            tx.batch_execute(&format!("{drop}; {create};"))
                .map_err(|e| failed(pg_reason(&e)))?;
            copy_pg(&mut tx, table, names, rows).map_err(failed)?;
            tx.commit().map_err(|e| failed(pg_reason(&e)))
        }
    }
}

/// Inserts rows with one prepared statement (inside the caller's transaction).
pub(crate) fn insert_sqlite(
    tx: &rusqlite::Connection,
    table: &str,
    width: usize,
    rows: &[&[Value]],
) -> rusqlite::Result<()> {
    use rusqlite::types::ToSqlOutput;
    use rusqlite::types::Value as Sql;
    let marks = vec!["?"; width].join(", ");
    let mut stmt = tx.prepare(&format!(
        "INSERT INTO {} VALUES ({marks})",
        quote_table(table)
    ))?;
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            let value: ToSqlOutput = match v {
                Value::Missing => ToSqlOutput::Owned(Sql::Null),
                Value::Number(n) => ToSqlOutput::Owned(Sql::Real(rounded(*n))),
                Value::Bool(b) => ToSqlOutput::Owned(Sql::Integer(i64::from(*b))),
                Value::Text(t) => {
                    ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Text(t.as_bytes()))
                }
                Value::Date(ms) => ToSqlOutput::Owned(Sql::Text(format_date(*ms))),
                Value::List(items) => ToSqlOutput::Owned(Sql::Text(list_text(items))),
            };
            stmt.raw_bind_parameter(i + 1, value)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

/// Copies rows in with `COPY … FROM STDIN` (text format), inside the caller's transaction.
pub(crate) fn copy_pg(
    tx: &mut postgres::Transaction,
    table: &str,
    names: &[String],
    rows: &[&[Value]],
) -> Result<(), String> {
    let columns = names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ");
    let mut w = tx
        .copy_in(&format!(
            "COPY {} ({columns}) FROM STDIN",
            quote_table(table)
        ))
        .map_err(|e| pg_reason(&e))?;
    let mut line = String::new();
    let mut buf = Vec::with_capacity(1 << 16);
    for row in rows {
        line.clear();
        push_copy_row(&mut line, row);
        buf.extend_from_slice(line.as_bytes());
        if buf.len() >= 1 << 16 {
            w.write_all(&buf).map_err(|e| e.to_string())?;
            buf.clear();
        }
    }
    w.write_all(&buf).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| pg_reason(&e))?;
    Ok(())
}

/// One row in COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
pub(crate) fn push_copy_row(line: &mut String, row: &[Value]) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            line.push('\t');
        }
        match v {
            Value::Missing => line.push_str("\\N"),
            Value::Number(n) => line.push_str(&format_number(*n)),
            Value::Bool(b) => line.push_str(if *b { "t" } else { "f" }),
            Value::Text(t) => push_copy_text(line, t),
            Value::Date(ms) => line.push_str(&format_date(*ms)),
            Value::List(items) => push_copy_text(line, &list_text(items)),
        }
    }
    line.push('\n');
}

pub(crate) fn push_copy_text(line: &mut String, t: &str) {
    for c in t.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c => line.push(c),
        }
    }
}
