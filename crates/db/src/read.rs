//! Reading a table or a query's result as rows of values ([`Datum`]s) for the data loader:
//! SQL types mapped onto the loader's (integers and reals are numbers, booleans, dates and
//! timestamps are instants, text is read as a CSV cell is, `NULL` is missing), the columns
//! checked against those the load needs, and the rows hashed for the manifest and history.

use scoreline_data::model::{column_key, suggest};
use scoreline_data::{CellRef, Datum, Table, TableRows};
use sha2::{Digest, Sha256};

use crate::conn::{pg_reason, sqlite_reason, Conn, Mode};
use crate::url::{DbUrl, Target};
use crate::DbError;

mod copy;

/// The rows of a table or query, as the loader takes them.
#[derive(Debug, Clone)]
pub struct ReadTable {
    /// The rows (fields named by the columns), named by the URL as shown.
    pub table: Table,
    /// The result's columns, in order, with their declared SQL types.
    pub columns: Vec<Column>,
}

impl ReadTable {
    /// The SHA-256 of the rows as read (every value with its type), in lowercase hex: the
    /// same rows give the same hash, whatever the threads. Computed on every core when asked
    /// (a caller can hash while it converts the rows).
    pub fn sha256(&self) -> String {
        hash_rows(&self.table)
    }
}

/// A column of a result, as the database declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The SQL type as declared (`INTEGER`, `timestamp with time zone`); empty when the
    /// database gives none (a SQLite expression).
    pub sql_type: String,
}

/// Reads every row of the table or query `url` names. `key` is the column whose value names
/// a row in messages (the id); `required` the columns the load cannot do without (an error
/// names the one missing and lists those there are).
pub fn read(url: &DbUrl, key: &str, required: &[String]) -> Result<ReadTable, DbError> {
    let Some(target) = &url.target else {
        return Err(DbError::new(
            format!("`{url}` names no table or query"),
            Some(format!(
                "add `?table=NAME` (or `?query=SELECT …`): `{url}?table=contacts`"
            )),
        ));
    };
    let sql = match target {
        Target::Table(t) => format!("SELECT * FROM {}", quote_table(t)),
        Target::Query(q) => q.clone(),
    };
    let mut conn = Conn::open(url, Mode::Read)?;
    let mut rows = Rows::new(url, key);
    match &mut conn {
        Conn::Sqlite(c) => read_sqlite(c, url, &sql, required, &mut rows)?,
        Conn::Postgres(c) => read_pg(c, url, &sql, required, &mut rows)?,
    }
    Ok(rows.finish())
}

/// A table name as SQL: each dot-separated part in double quotes.
pub(crate) fn quote_table(name: &str) -> String {
    name.split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}

/// An identifier in double quotes.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The rows being read, and their hash.
struct Rows<'u> {
    url: &'u DbUrl,
    key: &'u str,
    names: Vec<std::sync::Arc<str>>,
    columns: Vec<Column>,
    key_col: Option<usize>,
    /// The rows read, by each reader in order.
    readers: Vec<TableRows>,
}

impl<'u> Rows<'u> {
    fn new(url: &'u DbUrl, key: &'u str) -> Self {
        Rows {
            url,
            key,
            names: Vec::new(),
            columns: Vec::new(),
            key_col: None,
            readers: Vec::new(),
        }
    }

    /// The result's columns: checked against `required`.
    fn columns(&mut self, columns: Vec<Column>, required: &[String]) -> Result<(), DbError> {
        let keys: Vec<String> = columns
            .iter()
            .map(|c| column_key(&c.name).into_owned())
            .collect();
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        for r in required {
            if !keys.iter().any(|k| *k == column_key(r)) {
                let (what, of) = match &self.url.target {
                    Some(Target::Table(t)) => (format!("table `{t}`"), "of"),
                    _ => ("the query's result".to_string(), "in"),
                };
                let help = match suggest::closest(r, names.iter().copied()) {
                    Some(s) => format!(
                        "did you mean `{s}`? ({what} has {})",
                        suggest::list(&names, 12)
                    ),
                    None => format!("{what} has {}", suggest::list(&names, 12)),
                };
                return Err(DbError::new(
                    format!("{what} {of} `{}` has no column `{r}`", self.url.database()),
                    Some(help),
                ));
            }
        }
        self.key_col = keys.iter().position(|k| *k == column_key(self.key));
        self.names = columns.iter().map(|c| c.name.as_str().into()).collect();
        self.columns = columns;
        Ok(())
    }

    /// The key of a row, for a message.
    fn key_of(&self, values: &[Datum]) -> String {
        match self.key_col.and_then(|k| values.get(k)) {
            Some(Datum::Text(s)) => format!(" (id `{s}`)"),
            Some(Datum::Int(i)) => format!(" (id `{i}`)"),
            _ => String::new(),
        }
    }

    /// A value that cannot be read: where it is, what it is.
    fn bad_value(&self, row: usize, values: &[Datum], column: usize, what: String) -> DbError {
        DbError::new(
            format!(
                "{}, row {}{}, column `{}`: {what}",
                self.url,
                row + 1,
                self.key_of(values),
                self.names[column]
            ),
            Some(format!(
                "cast the column in a query, like `?query=SELECT CAST({0} AS TEXT) AS {0}, … FROM …`",
                quote_ident(&self.names[column])
            )),
        )
    }

    /// A problem reading from PostgreSQL, `before` rows read before those it counts in.
    fn pg_bad(&self, before: usize, bad: PgBad) -> DbError {
        match bad {
            PgBad::Db(e) => e,
            PgBad::Value(at, values, col, what) => self.bad_value(before + at, &values, col, what),
            PgBad::Unstarted => query_failed(self.url, "the server would not start a COPY".into()),
        }
    }

    fn finish(self) -> ReadTable {
        ReadTable {
            table: Table::new(self.url.to_string(), self.names, self.readers),
            columns: self.columns,
        }
    }
}

/// Rows hashed per block of this many, the blocks' digests then hashed in order: the same
/// rows give the same hash whatever the threads.
const HASH_BLOCK: usize = 4096;

/// The SHA-256 of a result: its column names, then the digest of each block of rows (every
/// value with its type), in order; the blocks are hashed on every core.
fn hash_rows(table: &Table) -> String {
    let blocks: Vec<std::ops::Range<usize>> = (0..table.len().div_ceil(HASH_BLOCK))
        .map(|k| k * HASH_BLOCK..((k + 1) * HASH_BLOCK).min(table.len()))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let per = blocks.len().div_ceil(threads).max(1);
    let digests: Vec<Vec<[u8; 32]>> = std::thread::scope(|scope| {
        let handles: Vec<_> = blocks
            .chunks(per)
            .map(|group| {
                scope.spawn(move || {
                    group
                        .iter()
                        .map(|block| {
                            // The block's bytes are gathered, then hashed at once.
                            let mut bytes = Vec::new();
                            let mut h = Sha256::new();
                            {
                                let buf = std::cell::RefCell::new(&mut bytes);
                                table.visit(
                                    block.clone(),
                                    |v| hash_cell(&mut buf.borrow_mut(), v),
                                    || buf.borrow_mut().push(0xff),
                                );
                            }
                            h.update(&bytes);
                            h.finalize().into()
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut h = Sha256::new();
    for n in table.names() {
        h.update(n.as_bytes());
        h.update([0]);
    }
    for d in digests.iter().flatten() {
        h.update(d);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A cell's bytes as hashed: the same as [`hash_datum`]'s for the value it is.
fn hash_cell(out: &mut Vec<u8>, c: CellRef) {
    match c {
        CellRef::Null => out.push(0),
        CellRef::Bool(b) => out.extend_from_slice(&[1, u8::from(b)]),
        CellRef::Int(i) => {
            out.push(2);
            out.extend_from_slice(&i.to_le_bytes());
        }
        CellRef::Number(n) => {
            out.push(3);
            out.extend_from_slice(&n.to_le_bytes());
        }
        CellRef::Text(s) => {
            out.push(4);
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        CellRef::Date(ms) => {
            out.push(5);
            out.extend_from_slice(&ms.to_le_bytes());
        }
        CellRef::Other(d) => hash_datum(out, d),
    }
}

/// A value's bytes as hashed: its kind, then its bytes (a scalar's as [`hash_cell`]'s).
fn hash_datum(h: &mut Vec<u8>, d: &Datum) {
    match d {
        Datum::Null => hash_cell(h, CellRef::Null),
        Datum::Bool(b) => hash_cell(h, CellRef::Bool(*b)),
        Datum::Int(i) => hash_cell(h, CellRef::Int(*i)),
        Datum::Number(n) => hash_cell(h, CellRef::Number(*n)),
        Datum::Text(s) => hash_cell(h, CellRef::Text(s)),
        Datum::Date(ms) => hash_cell(h, CellRef::Date(*ms)),
        Datum::List(items) => {
            h.push(6);
            h.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for i in items {
                hash_datum(h, i);
            }
        }
        Datum::Record(_) => h.push(7),
    }
}

/// How a SQLite column's values are read, from its declared type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Affinity {
    Plain,
    Bool,
    Date,
}

fn affinity(decl: &str) -> Affinity {
    let d = decl.to_ascii_uppercase();
    if d.contains("BOOL") {
        Affinity::Bool
    } else if d.contains("DATE") || d.contains("TIME") {
        Affinity::Date
    } else {
        Affinity::Plain
    }
}

/// A text of a date or timestamp column: an ISO date, RFC 3339, or SQLite's own
/// `YYYY-MM-DD HH:MM:SS[.SSS]` (UTC, what `CURRENT_TIMESTAMP` writes). `None`: left as text,
/// for the loader to read (and refuse with its message).
fn sql_date(text: &str) -> Option<i64> {
    if let Some(ms) = scoreline_data::parse_date(text) {
        return Some(ms);
    }
    let t = text.trim();
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Some(n.and_utc().timestamp_millis());
        }
    }
    None
}

fn read_sqlite(
    c: &rusqlite::Connection,
    url: &DbUrl,
    sql: &str,
    required: &[String],
    rows: &mut Rows,
) -> Result<(), DbError> {
    let stmt = c.prepare(sql).map_err(|e| sqlite_failed(c, url, &e))?;
    let columns: Vec<Column> = stmt
        .columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_string(),
            sql_type: c.decl_type().unwrap_or("").to_string(),
        })
        .collect();
    let kinds: Vec<Affinity> = columns.iter().map(|c| affinity(&c.sql_type)).collect();
    rows.columns(columns, required)?;
    drop(stmt);
    // A large table is read in ranges of its rowids, one connection per core; the rows come
    // in rowid order whatever the threads (a small table, a query or a table without rowids:
    // one statement, in the order SQLite gives).
    let ranges = match (&url.target, url.sqlite_path()) {
        (Some(Target::Table(t)), Some(path)) => rowid_ranges(c, t).map(|r| (t, path, r)),
        _ => None,
    };
    let chunks: Vec<Result<TableRows, Bad>> = match ranges {
        Some((table, path, ranges)) => {
            let sql = format!(
                "SELECT * FROM {} WHERE rowid BETWEEN ?1 AND ?2 ORDER BY rowid",
                quote_table(table)
            );
            std::thread::scope(|scope| {
                let handles: Vec<_> = ranges
                    .iter()
                    .map(|&(from, to)| {
                        let sql = &sql;
                        let kinds = &kinds;
                        scope.spawn(move || {
                            let own = rusqlite::Connection::open_with_flags(
                                path,
                                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                            )
                            .map_err(Bad::Sqlite)?;
                            // The file is read through a memory map: pages are not copied.
                            let _ = own.execute_batch(MMAP);
                            let mut stmt = own.prepare(sql).map_err(Bad::Sqlite)?;
                            let result = stmt.query([from, to]).map_err(Bad::Sqlite)?;
                            step_sqlite(result, kinds)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            })
        }
        None => {
            let mut stmt = c.prepare(sql).map_err(|e| sqlite_failed(c, url, &e))?;
            let result = stmt.query([]).map_err(|e| sqlite_failed(c, url, &e))?;
            vec![step_sqlite(result, &kinds)]
        }
    };
    let mut index = 0;
    for chunk in chunks {
        match chunk {
            Ok(read) => {
                index += read.len();
                rows.readers.push(read);
            }
            Err(Bad::Sqlite(e)) => return Err(sqlite_failed(c, url, &e)),
            Err(Bad::Value(at, values, col, what)) => {
                return Err(rows.bad_value(index + at, &values, col, what))
            }
        }
    }
    Ok(())
}

/// Why a chunk of rows could not be read: the database failed, or a value (the row's index in
/// the chunk, its values, the column, what is wrong).
enum Bad {
    Sqlite(rusqlite::Error),
    Value(usize, Vec<Datum>, usize, String),
}

/// Reading a file through a memory map (up to 64 GiB of it) instead of copying each page.
const MMAP: &str = "PRAGMA mmap_size = 68719476736";

/// Tables with fewer rows than this are read by one statement.
const PARALLEL_ROWS: i64 = 200_000;

/// The rowid ranges to read a large table in, one per core; `None` to read it whole.
fn rowid_ranges(c: &rusqlite::Connection, table: &str) -> Option<Vec<(i64, i64)>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8) as i64;
    if threads < 2 {
        return None;
    }
    let (lo, hi): (Option<i64>, Option<i64>) = c
        .query_row(
            &format!("SELECT min(rowid), max(rowid) FROM {}", quote_table(table)),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok()?;
    let (lo, hi) = (lo?, hi?);
    let span = hi.checked_sub(lo)?.checked_add(1)?;
    if span < PARALLEL_ROWS {
        return None;
    }
    let per = (span + threads - 1) / threads;
    Some(
        (0..threads)
            .map(|k| (lo + k * per, (lo + (k + 1) * per - 1).min(hi)))
            .filter(|(a, b)| a <= b)
            .collect(),
    )
}

/// Every row of a statement's result, its values read by the columns' declared types.
fn step_sqlite(mut result: rusqlite::Rows<'_>, kinds: &[Affinity]) -> Result<TableRows, Bad> {
    use rusqlite::types::ValueRef;
    let mut out = TableRows::new(kinds.len());
    loop {
        let row = match result.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => return Err(Bad::Sqlite(e)),
        };
        let mut blob = None;
        for (i, kind) in kinds.iter().enumerate() {
            let v = row.get_ref(i).map_err(Bad::Sqlite)?;
            match (v, kind) {
                (ValueRef::Null, _) => out.null(),
                (ValueRef::Integer(i), Affinity::Bool) => out.bool(i != 0),
                (ValueRef::Integer(i), _) => out.int(i),
                (ValueRef::Real(r), _) => out.number(r),
                (ValueRef::Text(t), Affinity::Date) => {
                    match sql_date(&String::from_utf8_lossy(t)) {
                        Some(ms) => out.date(ms),
                        None => out.text_bytes(t),
                    }
                }
                (ValueRef::Text(t), _) => out.text_bytes(t),
                (ValueRef::Blob(_), _) => {
                    blob.get_or_insert(i);
                    out.null()
                }
            }
        }
        if let Some(col) = blob {
            return Err(Bad::Value(
                out.len(),
                out.pending_row(),
                col,
                "the value is binary data (a BLOB), not a number, a text or a date".into(),
            ));
        }
        out.end_row();
    }
    Ok(out)
}

/// A failed statement: a missing table named with the tables there are; else SQLite's message.
fn sqlite_failed(c: &rusqlite::Connection, url: &DbUrl, e: &rusqlite::Error) -> DbError {
    let reason = sqlite_reason(e);
    if let (Some(Target::Table(t)), true) = (&url.target, reason.starts_with("no such table")) {
        let tables: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))
                    .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            })
            .unwrap_or_default();
        return missing_table(url, t, &tables);
    }
    query_failed(url, reason)
}

fn missing_table(url: &DbUrl, table: &str, tables: &[String]) -> DbError {
    let names: Vec<&str> = tables.iter().map(String::as_str).collect();
    let help = if names.is_empty() {
        "the database has no tables".to_string()
    } else {
        match suggest::closest(table, names.iter().copied()) {
            Some(s) => format!(
                "did you mean `{s}`? (the database has {})",
                suggest::list(&names, 12)
            ),
            None => format!("the database has {}", suggest::list(&names, 12)),
        }
    };
    DbError::new(
        format!("`{}` has no table `{table}`", url.database()),
        Some(help),
    )
}

fn query_failed(url: &DbUrl, reason: String) -> DbError {
    let (what, help) = match &url.target {
        Some(Target::Query(_)) => ("the query", "check the query after `?query=`"),
        _ => ("reading the table", "check the table after `?table=`"),
    };
    DbError::new(
        format!("{what} failed in `{}`: {reason}", url.database()),
        Some(help.to_string()),
    )
}

fn read_pg(
    c: &mut crate::conn::Pg,
    url: &DbUrl,
    sql: &str,
    required: &[String],
    rows: &mut Rows,
) -> Result<(), DbError> {
    use postgres::fallible_iterator::FallibleIterator;
    // A table's rows come in the order the server stores them (see `SESSION`).
    let _ = c.batch_execute(SESSION);
    let stmt = match c.prepare(sql) {
        Ok(s) => s,
        Err(e) => return Err(pg_failed(c, url, &e)),
    };
    let columns: Vec<Column> = stmt
        .columns()
        .iter()
        .map(|c| Column {
            name: c.name().to_string(),
            sql_type: c.type_().name().to_string(),
        })
        .collect();
    for (i, col) in stmt.columns().iter().enumerate() {
        if !pg::readable(col.type_()) {
            return Err(DbError::new(
                format!(
                    "{url}, column `{}` is of type `{}`, which scoreline does not read",
                    columns[i].name,
                    col.type_().name()
                ),
                Some(format!(
                    "cast it in a query: `?query=SELECT {0}::text AS {0}, … FROM …`",
                    quote_ident(&columns[i].name)
                )),
            ));
        }
    }
    rows.columns(columns, required)?;
    let n = stmt.columns().len();
    // The rows come by binary COPY (the server's fastest way out, and no row-by-row protocol),
    // on a connection of its own (see `copy::read_async`); a large table in ranges of its
    // pages, one connection per core (see `page_ranges`); a statement COPY cannot wrap is read
    // row by row.
    let types: Vec<postgres::types::Type> =
        stmt.columns().iter().map(|c| c.type_().clone()).collect();
    let config = c.config.clone();
    if let Some(Target::Table(t)) = &url.target {
        if let Some(ranges) = page_ranges(c, t) {
            return read_pg_ranges(c, url, &config, t, &ranges, &types, rows);
        }
    }
    let copy = format!(
        "COPY ({}\n) TO STDOUT (FORMAT binary)",
        sql.trim().trim_end_matches(';')
    );
    let setup = format!("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; {SESSION}");
    let read = match copy::read_async(&config, &setup, &copy, &types) {
        Err(copy::Bad::Unopened) => copy::read_sync(c, &copy, &types),
        other => other,
    };
    match read.map_err(|bad| pg_bad(c, url, bad)) {
        Ok(read) => {
            rows.readers.push(read);
            return Ok(());
        }
        Err(PgBad::Unstarted) => {}
        Err(bad) => return Err(rows.pg_bad(0, bad)),
    }
    let mut it = c
        .query_raw(&stmt, std::iter::empty::<&dyn postgres::types::ToSql>())
        .map_err(|e| query_failed(url, pg_reason(&e)))?;
    let mut read = TableRows::new(n);
    loop {
        let row = match it.next() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(query_failed(url, pg_reason(&e))),
        };
        let mut bad = None;
        for i in 0..n {
            match row.try_get::<_, pg::Cell>(i) {
                Ok(cell) => read.datum(cell.0),
                Err(e) => {
                    bad.get_or_insert((i, e.to_string()));
                    read.null();
                }
            }
        }
        if let Some((col, what)) = bad {
            return Err(rows.bad_value(read.len(), &read.pending_row(), col, what));
        }
        read.end_row();
    }
    rows.readers.push(read);
    Ok(())
}

/// Tables of fewer pages than this (8 KiB each: 16 MiB) are read by one statement.
const PARALLEL_PAGES: i64 = 2048;

/// The page ranges to read a large plain table in, one per core (at most four connections),
/// each `(first page, first page of the next)`, the last open-ended; `None` to read it by one
/// statement: a small table, a view, a partitioned or inherited table (whose scan is not one
/// run of pages), or a server before PostgreSQL 14 (which has no scan of a page range).
fn page_ranges(c: &mut postgres::Client, table: &str) -> Option<Vec<(i64, Option<i64>)>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4) as i64;
    if threads < 2 {
        return None;
    }
    let row = c
        .query_one(
            "SELECT current_setting('server_version_num')::int >= 140000 \
               AND c.relkind = 'r' AND NOT c.relhassubclass, \
             pg_relation_size(c.oid) / current_setting('block_size')::bigint \
             FROM pg_class c WHERE c.oid = $1::text::regclass",
            &[&quote_table(table)],
        )
        .ok()?;
    let (plain, pages): (bool, i64) = (row.get(0), row.get(1));
    if !plain || pages < PARALLEL_PAGES {
        return None;
    }
    let per = (pages + threads - 1) / threads;
    Some(
        (0..threads)
            .map(|k| (k * per, (k + 1 < threads).then_some((k + 1) * per)))
            .collect(),
    )
}

/// Reads a table in page ranges, each on a connection of its own, all in one snapshot
/// (exported by `c`'s transaction, as `pg_dump --jobs` does), so that the rows are those one
/// statement would give, in the same order (the table's pages in order). A range no
/// connection could be opened for is read on `c`, in the same snapshot.
fn read_pg_ranges(
    c: &mut postgres::Client,
    url: &DbUrl,
    config: &tokio_postgres::Config,
    table: &str,
    ranges: &[(i64, Option<i64>)],
    types: &[postgres::types::Type],
    rows: &mut Rows,
) -> Result<(), DbError> {
    let snapshot: String = match c
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .and_then(|()| c.query_one("SELECT pg_export_snapshot()", &[]))
    {
        Ok(row) => row.get(0),
        Err(e) => return Err(pg_failed(c, url, &e)),
    };
    let setup = format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'; {SESSION}"
    );
    let copies: Vec<String> = ranges
        .iter()
        .map(|(from, to)| {
            let upto = to.map_or(String::new(), |to| format!(" AND ctid < '({to},0)'::tid"));
            format!(
                "COPY (SELECT * FROM {} WHERE ctid >= '({from},0)'::tid{upto}) TO STDOUT (FORMAT binary)",
                quote_table(table)
            )
        })
        .collect();
    let results: Vec<Result<TableRows, copy::Bad>> = std::thread::scope(|scope| {
        let handles: Vec<_> = copies
            .iter()
            .map(|copy| scope.spawn(|| copy::read_async(config, &setup, copy, types)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let results: Vec<Result<TableRows, PgBad>> = results
        .into_iter()
        .zip(&copies)
        .map(|(result, copy)| {
            match result {
                Err(copy::Bad::Unopened) => copy::read_sync(c, copy, types),
                other => other,
            }
            .map_err(|bad| pg_bad(c, url, bad))
        })
        .collect();
    let _ = c.batch_execute("COMMIT");
    let mut index = 0;
    for result in results {
        match result {
            Ok(read) => {
                index += read.len();
                rows.readers.push(read);
            }
            Err(bad) => return Err(rows.pg_bad(index, bad)),
        }
    }
    Ok(())
}

/// Settings for a session that reads a table: its rows come in the order the server stores
/// them, once scans are neither parallel (workers' rows interleave) nor synchronised with
/// another scan under way (which starts mid-table).
const SESSION: &str = "SET max_parallel_workers_per_gather = 0; SET synchronize_seqscans = off";

/// Why rows could not be read from PostgreSQL: the database's error; a value (the row's index
/// among those read, its values, the column, what is wrong); or a COPY the server would not
/// start (the statement is then read row by row).
enum PgBad {
    Db(DbError),
    Value(usize, Vec<Datum>, usize, String),
    Unstarted,
}

fn pg_bad(c: &mut postgres::Client, url: &DbUrl, bad: copy::Bad) -> PgBad {
    match bad {
        copy::Bad::Unopened => PgBad::Db(query_failed(
            url,
            "no connection could be opened to read the rows".into(),
        )),
        copy::Bad::Setup(e) => PgBad::Db(pg_failed(c, url, &e)),
        copy::Bad::Unstarted => PgBad::Unstarted,
        copy::Bad::Failed(reason) => PgBad::Db(query_failed(url, reason)),
        copy::Bad::Value(at, values, col, what) => PgBad::Value(at, values, col, what),
    }
}

/// A failed statement on PostgreSQL: a missing table named with those there are; else the
/// server's message.
fn pg_failed(c: &mut postgres::Client, url: &DbUrl, e: &postgres::Error) -> DbError {
    let undefined = e
        .as_db_error()
        .is_some_and(|d| d.code() == &postgres::error::SqlState::UNDEFINED_TABLE);
    if let (Some(Target::Table(t)), true) = (&url.target, undefined) {
        let tables: Vec<String> = c
            .query(
                "SELECT CASE WHEN table_schema = current_schema() THEN table_name ELSE table_schema || '.' || table_name END \
                 FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
                &[],
            )
            .map(|rows| rows.iter().map(|r| r.get::<_, String>(0)).collect())
            .unwrap_or_default();
        return missing_table(url, t, &tables);
    }
    query_failed(url, pg_reason(e))
}

/// PostgreSQL values in the binary protocol, decoded to [`Datum`]s.
mod pg {
    use postgres::types::{FromSql, Type};
    use scoreline_data::Datum;

    /// Microseconds from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch).
    const EPOCH_2000_MS: i64 = 946_684_800_000;

    /// One value of a row.
    pub(super) struct Cell(pub(super) Datum);

    type Failed = Box<dyn std::error::Error + Sync + Send>;

    /// Whether a column of type `ty` holds plain text (its binary value is the text's bytes).
    pub(super) fn plain_text(ty: &Type) -> bool {
        [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty)
    }

    /// Whether the values of a column of type `ty` can be read.
    pub(super) fn readable(ty: &Type) -> bool {
        [
            Type::BOOL,
            Type::INT2,
            Type::INT4,
            Type::INT8,
            Type::OID,
            Type::FLOAT4,
            Type::FLOAT8,
            Type::NUMERIC,
            Type::TEXT,
            Type::VARCHAR,
            Type::BPCHAR,
            Type::NAME,
            Type::UNKNOWN,
            Type::DATE,
            Type::TIMESTAMP,
            Type::TIMESTAMPTZ,
            Type::UUID,
            Type::JSON,
            Type::JSONB,
            Type::TEXT_ARRAY,
            Type::VARCHAR_ARRAY,
        ]
        .contains(ty)
            || ty.name() == "citext"
    }

    fn be<const N: usize>(raw: &[u8]) -> Result<[u8; N], Failed> {
        raw.try_into()
            .map_err(|_| "the server sent a value of an unexpected size".into())
    }

    fn text(raw: &[u8]) -> Result<String, Failed> {
        String::from_utf8(raw.to_vec()).map_err(|_| "the text is not UTF-8".into())
    }

    impl<'a> FromSql<'a> for Cell {
        fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Cell, Failed> {
            let d = match *ty {
                Type::BOOL => Datum::Bool(raw.first().is_some_and(|&b| b != 0)),
                Type::INT2 => Datum::Int(i64::from(i16::from_be_bytes(be(raw)?))),
                Type::INT4 => Datum::Int(i64::from(i32::from_be_bytes(be(raw)?))),
                Type::OID => Datum::Int(i64::from(u32::from_be_bytes(be(raw)?))),
                Type::INT8 => Datum::Int(i64::from_be_bytes(be(raw)?)),
                Type::FLOAT4 => Datum::Number(f64::from(f32::from_be_bytes(be(raw)?))),
                Type::FLOAT8 => Datum::Number(f64::from_be_bytes(be(raw)?)),
                Type::NUMERIC => numeric(raw)?,
                Type::DATE => {
                    let days = i32::from_be_bytes(be(raw)?);
                    if days == i32::MAX || days == i32::MIN {
                        return Err("the date is infinity, not a calendar date".into());
                    }
                    Datum::Date(EPOCH_2000_MS + i64::from(days) * 86_400_000)
                }
                Type::TIMESTAMP | Type::TIMESTAMPTZ => {
                    let us = i64::from_be_bytes(be(raw)?);
                    if us == i64::MAX || us == i64::MIN {
                        return Err("the timestamp is infinity, not an instant".into());
                    }
                    Datum::Date(EPOCH_2000_MS + us.div_euclid(1000))
                }
                Type::UUID => {
                    let b: [u8; 16] = be(raw)?;
                    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                    Datum::Text(format!(
                        "{}-{}-{}-{}-{}",
                        &hex[0..8],
                        &hex[8..12],
                        &hex[12..16],
                        &hex[16..20],
                        &hex[20..]
                    ))
                }
                Type::JSONB => Datum::Text(text(raw.get(1..).unwrap_or_default())?),
                Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => {
                    let items = <Vec<Option<String>> as FromSql>::from_sql(ty, raw)?;
                    Datum::List(items.into_iter().map(Datum::from).collect())
                }
                _ => Datum::Text(text(raw)?),
            };
            Ok(Cell(d))
        }

        fn from_sql_null(_: &Type) -> Result<Cell, Failed> {
            Ok(Cell(Datum::Null))
        }

        fn accepts(ty: &Type) -> bool {
            readable(ty)
        }
    }

    /// A `numeric` in the binary format (base-10000 digits), through its decimal text.
    fn numeric(raw: &[u8]) -> Result<Datum, Failed> {
        let word = |i: usize| -> Result<i16, Failed> {
            Ok(i16::from_be_bytes(be(raw
                .get(i..i + 2)
                .unwrap_or_default())?))
        };
        let ndigits = word(0)? as usize;
        let weight = i32::from(word(2)?);
        let sign = word(4)? as u16;
        if sign == 0xC000 {
            return Err("the number is NaN".into());
        }
        if sign == 0xD000 || sign == 0xF000 {
            return Err("the number is infinity".into());
        }
        let mut text = String::new();
        if sign == 0x4000 {
            text.push('-');
        }
        let mut digits = Vec::with_capacity(ndigits);
        for k in 0..ndigits {
            digits.push(word(8 + 2 * k)?);
        }
        // Digit k weighs 10000^(weight - k): the integer part is weights `weight` to 0, the
        // fraction weights -1 down to the last digit's.
        let at = |p: i32| -> i16 {
            let k = weight - p;
            if k >= 0 {
                digits.get(k as usize).copied().unwrap_or(0)
            } else {
                0
            }
        };
        if weight < 0 {
            text.push('0');
        }
        for p in (0..=weight).rev() {
            if p == weight {
                text.push_str(&at(p).to_string());
            } else {
                text.push_str(&format!("{:04}", at(p)));
            }
        }
        text.push('.');
        let mut p = -1;
        while weight - p < ndigits as i32 {
            text.push_str(&format!("{:04}", at(p)));
            p -= 1;
        }
        text.push('0');
        text.parse::<f64>()
            .map(Datum::Number)
            .map_err(|_| "the number cannot be read".into())
    }
}
