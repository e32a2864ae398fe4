//! The score history: every run appended to a SQLite file or a PostgreSQL database, in a
//! versioned layout (docs/databases.md):
//!
//! - `scoreline_history (key, value)`: `layout` = [`HISTORY_LAYOUT`];
//! - `scoreline_runs (run_id, ruleset, version, as_of, started_at, command, inputs, scores,
//!   segments)`: one row per run; `inputs` is a JSON array of `{role, path, sha256, rows}`,
//!   `scores` and `segments` JSON arrays of the run's column names;
//! - `scoreline_entries (run_id, entity, id, scores, segments)`: one row per contact (entity
//!   `contact`) or account (`account`) and run, `scores` a JSON object of score → number (or
//!   null), `segments` of segment → label (or null); keyed by `(run_id, entity, id)`, with the
//!   index `scoreline_entries_by_id (entity, id, run_id)` for a trend.
//!
//! A database with these tables in another layout is refused with a clear error, never
//! written to.

use scoreline_data::Value;
use serde_json::{Map, Value as Json};

use crate::conn::{pg_reason, sqlite_reason, Conn, Mode};
use crate::url::DbUrl;
use crate::write::{push_copy_text, rounded};
use crate::DbError;

/// The layout version this build reads and writes.
pub const HISTORY_LAYOUT: i64 = 1;

/// What a history row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Contact,
    Account,
}

impl Entity {
    pub fn name(self) -> &'static str {
        match self {
            Entity::Contact => "contact",
            Entity::Account => "account",
        }
    }
}

/// An input of a run, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryInput {
    pub role: String,
    pub path: String,
    pub sha256: String,
    pub rows: usize,
}

/// A run, as the history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// Given by the history when the run is appended (1, 2, …).
    pub run_id: i64,
    pub ruleset: String,
    pub version: String,
    /// RFC 3339.
    pub as_of: String,
    /// RFC 3339: when the run (or the watch cycle) started.
    pub started_at: String,
    /// `run` or `watch`.
    pub command: String,
    pub inputs: Vec<HistoryInput>,
    /// The score columns, then the segment columns, in the scores table's order.
    pub scores: Vec<String>,
    pub segments: Vec<String>,
}

/// The entries of one kind of entity in a run: the scores table's columns (the id first),
/// its rows, and which columns are scores and which segments.
pub struct EntityRows<'a> {
    pub entity: Entity,
    pub columns: &'a [String],
    pub rows: &'a [&'a [Value]],
    pub scores: &'a [String],
    pub segments: &'a [String],
}

/// One entity's scores and segments in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub id: String,
    /// Per score of the run: its value (`None`: missing).
    pub scores: Vec<(String, Option<f64>)>,
    /// Per segment of the run: its label (`None`: no arm matched).
    pub segments: Vec<(String, Option<String>)>,
}

/// A stored run and every entity's entry, in id order as appended.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub run: RunRecord,
    pub entries: Vec<HistoryEntry>,
}

/// An open score history.
pub struct History {
    conn: Conn,
    url: DbUrl,
}

const CREATE: [&str; 4] = [
    "CREATE TABLE scoreline_history (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE scoreline_runs (run_id BIGINT PRIMARY KEY, ruleset TEXT NOT NULL, version TEXT NOT NULL, \
     as_of TEXT NOT NULL, started_at TEXT NOT NULL, command TEXT NOT NULL, inputs TEXT NOT NULL, \
     scores TEXT NOT NULL, segments TEXT NOT NULL)",
    // `run_id` is a run of `scoreline_runs`, written with it in one transaction; not declared
    // as a foreign key, which PostgreSQL would check once per entry (2.8 s of a 5.3 s append
    // of 1M entries) and SQLite does not check at all.
    "CREATE TABLE scoreline_entries (run_id BIGINT NOT NULL, \
     entity TEXT NOT NULL, id TEXT NOT NULL, scores TEXT NOT NULL, segments TEXT NOT NULL, \
     PRIMARY KEY (run_id, entity, id))",
    "CREATE INDEX scoreline_entries_by_id ON scoreline_entries (entity, id, run_id)",
];

impl History {
    /// Opens the history `url` names (a `?table=` is not needed and is ignored), creating its
    /// tables when the database has none. `create`: whether a missing SQLite file may be
    /// created (appending), or must exist (reading).
    pub fn open(url: &DbUrl, create: bool) -> Result<History, DbError> {
        let url = url.with_target(None);
        let mode = if create { Mode::Write } else { Mode::Read };
        let mut conn = Conn::open(&url, mode)?;
        let layout = layout(&mut conn).map_err(|r| failed(&url, r))?;
        match layout {
            Some(HISTORY_LAYOUT) => {}
            None if !create => {
                return Err(DbError::new(
                    format!("`{url}` holds no score history"),
                    Some("a run with `--history URL` (or `output.history` in `scoreline.yaml`) writes one".into()),
                ))
            }
            None => create_tables(&mut conn).map_err(|r| failed(&url, r))?,
            Some(other) => {
                let newer = other > HISTORY_LAYOUT;
                return Err(DbError::new(
                    format!(
                        "`{url}` holds a score history of layout {other}, {} this version of scoreline (layout {HISTORY_LAYOUT})",
                        if newer { "newer than" } else { "older than" }
                    ),
                    Some(if newer {
                        "upgrade scoreline to read it, or give another `--history`".to_string()
                    } else {
                        "give another `--history`: this one is left as it is".to_string()
                    }),
                ));
            }
        }
        Ok(History { conn, url })
    }

    /// Appends a run and the entries of its entities (`columns` are the scores table's:
    /// the id, then scores and segments as `run` names them; each row `columns.len()` values),
    /// in one transaction. Returns the run's id.
    pub fn append(
        &mut self,
        run: &RunRecord,
        entity: Entity,
        columns: &[String],
        rows: &[&[Value]],
    ) -> Result<i64, DbError> {
        self.append_groups(
            run,
            &[EntityRows {
                entity,
                columns,
                rows,
                scores: &run.scores,
                segments: &run.segments,
            }],
        )
    }

    /// Appends a run with the entries of several kinds of entity (the contacts, and the
    /// accounts with their own scores and segments), in one transaction. Returns the run's id.
    pub fn append_groups(
        &mut self,
        run: &RunRecord,
        groups: &[EntityRows<'_>],
    ) -> Result<i64, DbError> {
        let inputs = serde_json::to_string(&run.inputs).unwrap_or_default();
        let scores_json = serde_json::to_string(&run.scores).unwrap_or_default();
        let segments_json = serde_json::to_string(&run.segments).unwrap_or_default();
        let at: Vec<(Keys, Keys)> = groups
            .iter()
            .map(|g| {
                (
                    index_of(g.columns, g.scores),
                    index_of(g.columns, g.segments),
                )
            })
            .collect();
        // The entries are sorted and formatted in blocks on a thread of their own while the
        // database stores the blocks before them (see `formatted`).
        let (sender, blocks) = std::sync::mpsc::sync_channel::<Block>(4);
        std::thread::scope(|scope| {
            scope.spawn(|| formatted(groups, &at, sender));
            self.store(run, groups, &inputs, &scores_json, &segments_json, blocks)
        })
    }

    /// Stores the run and its entries as `blocks` brings them (every block of each group in
    /// turn), in one transaction; the run's id.
    fn store(
        &mut self,
        run: &RunRecord,
        groups: &[EntityRows<'_>],
        inputs: &str,
        scores_json: &str,
        segments_json: &str,
        blocks: std::sync::mpsc::Receiver<Block>,
    ) -> Result<i64, DbError> {
        let url = self.url.clone();
        let fail = |r: String| failed(&url, r);
        match &mut self.conn {
            Conn::Sqlite(c) => {
                let tx = c
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| fail(sqlite_reason(&e)))?;
                let run_id: i64 = tx
                    .query_row(
                        "SELECT COALESCE(MAX(run_id), 0) + 1 FROM scoreline_runs",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(|e| fail(sqlite_reason(&e)))?;
                tx.execute(
                    "INSERT INTO scoreline_runs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    rusqlite::params![
                        run_id,
                        run.ruleset,
                        run.version,
                        run.as_of,
                        run.started_at,
                        run.command,
                        inputs,
                        scores_json,
                        segments_json
                    ],
                )
                .map_err(|e| fail(sqlite_reason(&e)))?;
                {
                    let mut stmt = tx
                        .prepare("INSERT INTO scoreline_entries VALUES (?1, ?2, ?3, ?4, ?5)")
                        .map_err(|e| fail(sqlite_reason(&e)))?;
                    // The run is bound once, the entity once a group; each row binds its
                    // own three.
                    stmt.raw_bind_parameter(1, run_id)
                        .map_err(|e| fail(sqlite_reason(&e)))?;
                    let mut group = None;
                    for block in blocks {
                        if group != Some(block.group) {
                            group = Some(block.group);
                            stmt.raw_bind_parameter(2, groups[block.group].entity.name())
                                .map_err(|e| fail(sqlite_reason(&e)))?;
                        }
                        for (id, scores, segments) in block.entries() {
                            stmt.raw_bind_parameter(3, id)
                                .and_then(|_| stmt.raw_bind_parameter(4, scores))
                                .and_then(|_| stmt.raw_bind_parameter(5, segments))
                                .and_then(|_| stmt.raw_execute())
                                .map_err(|e| fail(sqlite_reason(&e)))?;
                        }
                    }
                }
                tx.commit().map_err(|e| fail(sqlite_reason(&e)))?;
                Ok(run_id)
            }
            Conn::Postgres(c) => {
                use std::io::Write;
                let mut tx = c.transaction().map_err(|e| fail(pg_reason(&e)))?;
                tx.batch_execute("LOCK TABLE scoreline_runs IN EXCLUSIVE MODE")
                    .map_err(|e| fail(pg_reason(&e)))?;
                let run_id: i64 = tx
                    .query_one(
                        "SELECT COALESCE(MAX(run_id), 0) + 1 FROM scoreline_runs",
                        &[],
                    )
                    .map(|r| r.get(0))
                    .map_err(|e| fail(pg_reason(&e)))?;
                tx.execute(
                    "INSERT INTO scoreline_runs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    &[
                        &run_id,
                        &run.ruleset,
                        &run.version,
                        &run.as_of,
                        &run.started_at,
                        &run.command,
                        &inputs,
                        &scores_json,
                        &segments_json,
                    ],
                )
                .map_err(|e| fail(pg_reason(&e)))?;
                let mut w = tx
                    .copy_in(
                        "COPY scoreline_entries (run_id, entity, id, scores, segments) FROM STDIN",
                    )
                    .map_err(|e| fail(pg_reason(&e)))?;
                let mut line = String::new();
                for block in blocks {
                    let prefix = format!("{run_id}\t{}\t", groups[block.group].entity.name());
                    line.clear();
                    for (id, scores, segments) in block.entries() {
                        line.push_str(&prefix);
                        push_copy_text(&mut line, id);
                        line.push('\t');
                        push_copy_text(&mut line, scores);
                        line.push('\t');
                        push_copy_text(&mut line, segments);
                        line.push('\n');
                    }
                    w.write_all(line.as_bytes())
                        .map_err(|e| fail(e.to_string()))?;
                }
                w.finish().map_err(|e| fail(pg_reason(&e)))?;
                tx.commit().map_err(|e| fail(pg_reason(&e)))?;
                Ok(run_id)
            }
        }
    }

    /// One entity's entries, newest run first, at most `limit` (all when `None`), each with
    /// its run.
    pub fn trend(
        &mut self,
        entity: Entity,
        id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<(RunRecord, HistoryEntry)>, DbError> {
        let limit = limit.map_or(i64::MAX, |l| l as i64);
        let sql = "SELECT r.run_id, r.ruleset, r.version, r.as_of, r.started_at, r.command, r.inputs, r.scores, r.segments, e.scores, e.segments \
                   FROM scoreline_entries e JOIN scoreline_runs r ON r.run_id = e.run_id \
                   WHERE e.entity = $1 AND e.id = $2 ORDER BY e.run_id DESC LIMIT $3";
        let raw: Vec<(RawRun, String, String)> = match &mut self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c
                    .prepare(&sql.replace('$', "?"))
                    .map_err(|e| failed(&self.url, sqlite_reason(&e)))?;
                let rows = stmt
                    .query_map(rusqlite::params![entity.name(), id, limit], |r| {
                        Ok((RawRun::sqlite(r)?, r.get(9)?, r.get(10)?))
                    })
                    .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| failed(&self.url, sqlite_reason(&e)))?;
                rows
            }
            Conn::Postgres(c) => c
                .query(sql, &[&entity.name(), &id, &limit])
                .map_err(|e| failed(&self.url, pg_reason(&e)))?
                .iter()
                .map(|r| (RawRun::pg(r), r.get(9), r.get(10)))
                .collect(),
        };
        Ok(raw
            .into_iter()
            .map(|(run, s, g)| {
                let run = run.record();
                let entry = entry(entity, id.to_string(), &run, &s, &g);
                (run, entry)
            })
            .collect())
    }

    /// A stored run with every entry of `entity`; `Err` when there is no such run.
    pub fn run(&mut self, run_id: i64, entity: Entity) -> Result<StoredRun, DbError> {
        let head = "SELECT run_id, ruleset, version, as_of, started_at, command, inputs, scores, segments FROM scoreline_runs WHERE run_id = $1";
        let body = "SELECT id, scores, segments FROM scoreline_entries WHERE run_id = $1 AND entity = $2 ORDER BY id";
        let (run, rows): (Option<RawRun>, Vec<(String, String, String)>) = match &mut self.conn {
            Conn::Sqlite(c) => {
                let fail = |e: rusqlite::Error| failed(&self.url, sqlite_reason(&e));
                let run = c
                    .prepare(&head.replace('$', "?"))
                    .and_then(|mut s| {
                        let mut rows = s.query_map([run_id], RawRun::sqlite)?;
                        rows.next().transpose()
                    })
                    .map_err(fail)?;
                let rows = c
                    .prepare(&body.replace('$', "?"))
                    .and_then(|mut s| {
                        s.query_map(rusqlite::params![run_id, entity.name()], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                        })?
                        .collect::<Result<Vec<_>, _>>()
                    })
                    .map_err(fail)?;
                (run, rows)
            }
            Conn::Postgres(c) => {
                let run = c
                    .query_opt(head, &[&run_id])
                    .map_err(|e| failed(&self.url, pg_reason(&e)))?
                    .map(|r| RawRun::pg(&r));
                let rows = c
                    .query(body, &[&run_id, &entity.name()])
                    .map_err(|e| failed(&self.url, pg_reason(&e)))?
                    .iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2)))
                    .collect();
                (run, rows)
            }
        };
        let Some(run) = run else {
            let last = self.last_run().unwrap_or(0);
            return Err(DbError::new(
                format!("`{}` has no run {run_id}", self.url),
                Some(if last == 0 {
                    "the history holds no run yet".to_string()
                } else {
                    format!("its runs are numbered 1 to {last}")
                }),
            ));
        };
        let run = run.record();
        let entries = rows
            .into_iter()
            .map(|(id, s, g)| entry(entity, id, &run, &s, &g))
            .collect();
        Ok(StoredRun { run, entries })
    }

    /// The id of the last run appended (0: none).
    pub fn last_run(&mut self) -> Result<i64, DbError> {
        let sql = "SELECT COALESCE(MAX(run_id), 0) FROM scoreline_runs";
        match &mut self.conn {
            Conn::Sqlite(c) => c
                .query_row(sql, [], |r| r.get(0))
                .map_err(|e| failed(&self.url, sqlite_reason(&e))),
            Conn::Postgres(c) => c
                .query_one(sql, &[])
                .map(|r| r.get(0))
                .map_err(|e| failed(&self.url, pg_reason(&e))),
        }
    }
}

/// A run's row as read, before its JSON is.
struct RawRun {
    run_id: i64,
    text: [String; 8],
}

impl RawRun {
    fn sqlite(r: &rusqlite::Row) -> rusqlite::Result<RawRun> {
        Ok(RawRun {
            run_id: r.get(0)?,
            text: [
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ],
        })
    }

    fn pg(r: &postgres::Row) -> RawRun {
        RawRun {
            run_id: r.get(0),
            text: std::array::from_fn(|i| r.get(i + 1)),
        }
    }

    fn record(self) -> RunRecord {
        let [ruleset, version, as_of, started_at, command, inputs, scores, segments] = self.text;
        RunRecord {
            run_id: self.run_id,
            ruleset,
            version,
            as_of,
            started_at,
            command,
            inputs: serde_json::from_str(&inputs).unwrap_or_default(),
            scores: serde_json::from_str(&scores).unwrap_or_default(),
            segments: serde_json::from_str(&segments).unwrap_or_default(),
        }
    }
}

/// An entry as read: a contact's values in the run's columns; an account's under the names
/// its objects hold (the run's columns are its contacts').
fn entry(
    entity: Entity,
    id: String,
    run: &RunRecord,
    scores: &str,
    segments: &str,
) -> HistoryEntry {
    let s: Map<String, Json> = serde_json::from_str(scores).unwrap_or_default();
    let g: Map<String, Json> = serde_json::from_str(segments).unwrap_or_default();
    let (score_names, segment_names): (Vec<String>, Vec<String>) = match entity {
        Entity::Contact => (run.scores.clone(), run.segments.clone()),
        Entity::Account => (s.keys().cloned().collect(), g.keys().cloned().collect()),
    };
    HistoryEntry {
        id,
        scores: score_names
            .iter()
            .map(|n| (n.clone(), s.get(n).and_then(Json::as_f64)))
            .collect(),
        segments: segment_names
            .iter()
            .map(|n| {
                (
                    n.clone(),
                    g.get(n).and_then(Json::as_str).map(str::to_string),
                )
            })
            .collect(),
    }
}

/// The rows in the order of their ids (the first value): each run's entries then go into the
/// indexes by `(run_id, entity, id)` and `(entity, id, run_id)` in order, a page after the
/// other, instead of one random page per entry (2.5x faster on 1M shuffled ids).
fn by_id<'r>(rows: &'r [&'r [Value]]) -> Vec<&'r [Value]> {
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| id_text(a).cmp(id_text(b)));
    sorted
}

fn id_text(row: &[Value]) -> &str {
    match row.first() {
        Some(Value::Text(t)) => t,
        _ => "",
    }
}

/// Entries formatted for the history: of group `group` (of `append_groups`), each an id and
/// its scores and segments as JSON texts, side by side in one buffer.
struct Block {
    group: usize,
    text: String,
    /// Where each entry's id, scores and segments end in `text`.
    ends: Vec<[usize; 3]>,
}

impl Block {
    fn entries(&self) -> impl Iterator<Item = (&str, &str, &str)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&[id, scores, segments]| {
            let entry = (
                &self.text[start..id],
                &self.text[id..scores],
                &self.text[scores..segments],
            );
            start = segments;
            entry
        })
    }
}

/// Entries a block holds.
const BLOCK_ENTRIES: usize = 8192;

/// Each group's entries in id order (entries go into the indexes page after page), formatted in
/// blocks sent to `out` in order; stops early when the receiver has gone (a failed insert).
fn formatted(
    groups: &[EntityRows<'_>],
    at: &[(Keys, Keys)],
    out: std::sync::mpsc::SyncSender<Block>,
) {
    for (k, g) in groups.iter().enumerate() {
        for rows in by_id(g.rows).chunks(BLOCK_ENTRIES) {
            let mut block = Block {
                group: k,
                text: String::new(),
                ends: Vec::with_capacity(rows.len()),
            };
            for row in rows {
                block.text.push_str(id_text(row));
                let id = block.text.len();
                object(&mut block.text, row, &at[k].0);
                let scores = block.text.len();
                object(&mut block.text, row, &at[k].1);
                block.ends.push([id, scores, block.text.len()]);
            }
            if out.send(block).is_err() {
                return;
            }
        }
    }
}

/// Columns by index, each with its JSON key (see [`index_of`]).
type Keys = Vec<(usize, String)>;

/// Each named column's index in `columns`, with its name as a JSON key (`"total":`), made
/// once for every row.
fn index_of(columns: &[String], names: &[String]) -> Keys {
    names
        .iter()
        .filter_map(|n| {
            columns.iter().position(|c| c == n).map(|i| {
                let mut key = String::new();
                push_json_text(&mut key, n);
                key.push(':');
                (i, key)
            })
        })
        .collect()
}

/// A JSON object of the named values of `row` (numbers rounded as the CSV writes them).
fn object(out: &mut String, row: &[Value], at: &[(usize, String)]) {
    out.push('{');
    for (k, (i, key)) in at.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(key);
        match row.get(*i) {
            Some(Value::Number(n)) => out.push_str(&scoreline_data::format_number(rounded(*n))),
            Some(Value::Text(t)) => push_json_text(out, t),
            Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            _ => out.push_str("null"),
        }
    }
    out.push('}');
}

/// A JSON string: quoted, with `"`, `\` and control characters escaped.
fn push_json_text(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn failed(url: &DbUrl, reason: String) -> DbError {
    DbError::new(
        format!("the score history `{url}` cannot be used: {reason}"),
        None,
    )
}

/// The layout of the history in the database: `None` when it has none of its tables.
fn layout(conn: &mut Conn) -> Result<Option<i64>, String> {
    let tables: Vec<String> = match conn {
        Conn::Sqlite(c) => c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'scoreline_%'")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| sqlite_reason(&e))?,
        Conn::Postgres(c) => c
            .query(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'scoreline_%'",
                &[],
            )
            .map_err(|e| pg_reason(&e))?
            .iter()
            .map(|r| r.get(0))
            .collect(),
    };
    if tables.is_empty() {
        return Ok(None);
    }
    if !tables.iter().any(|t| t == "scoreline_history") {
        // The tables of a history written before layouts were recorded: layout 0.
        return Ok(Some(0));
    }
    let sql = "SELECT value FROM scoreline_history WHERE key = 'layout'";
    let value: Option<String> = match conn {
        Conn::Sqlite(c) => c
            .prepare(sql)
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.next().transpose())
            .map_err(|e| sqlite_reason(&e))?,
        Conn::Postgres(c) => c
            .query_opt(sql, &[])
            .map_err(|e| pg_reason(&e))?
            .map(|r| r.get(0)),
    };
    Ok(Some(value.and_then(|v| v.parse().ok()).unwrap_or(0)))
}

fn create_tables(conn: &mut Conn) -> Result<(), String> {
    let insert =
        format!("INSERT INTO scoreline_history (key, value) VALUES ('layout', '{HISTORY_LAYOUT}')");
    match conn {
        Conn::Sqlite(c) => {
            let mut sql = CREATE.join(";\n");
            // Keyed by (run_id, entity, id) itself: no second copy of the rows.
            sql = sql.replace(
                "PRIMARY KEY (run_id, entity, id))",
                "PRIMARY KEY (run_id, entity, id)) WITHOUT ROWID",
            );
            c.execute_batch(&format!("BEGIN IMMEDIATE; {sql}; {insert}; COMMIT;"))
                .map_err(|e| sqlite_reason(&e))
        }
        Conn::Postgres(c) => {
            let sql = CREATE.join(";\n");
            c.batch_execute(&format!("BEGIN; {sql}; {insert}; COMMIT;"))
                .map_err(|e| pg_reason(&e))
        }
    }
}
