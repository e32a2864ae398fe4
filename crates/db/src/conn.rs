//! Opening a database: a SQLite file, or a PostgreSQL server with credentials from the URL,
//! the environment or `~/.pgpass`; and the databases' errors in the user's words.

use std::time::Duration;

use crate::url::{DbUrl, PgParts, Place};
use crate::DbError;

/// An open database.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(Box<Pg>),
}

/// A PostgreSQL connection, and how it was opened (to open more like it).
pub(crate) struct Pg {
    client: postgres::Client,
    pub(crate) config: tokio_postgres::Config,
}

impl std::ops::Deref for Pg {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        &self.client
    }
}

impl std::ops::DerefMut for Pg {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        &mut self.client
    }
}

/// How a SQLite file is opened.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// To read: the file must exist.
    Read,
    /// To write: created if missing.
    Write,
}

impl Conn {
    pub(crate) fn open(url: &DbUrl, mode: Mode) -> Result<Conn, DbError> {
        match &url.place {
            Place::Sqlite(path) => {
                use rusqlite::OpenFlags;
                if mode == Mode::Read && !path.is_file() {
                    return Err(DbError::new(
                        format!("cannot open `{}`: the file does not exist", url.database()),
                        Some("check the path after `sqlite:` (relative to the folder of `scoreline.yaml`, or to the current folder on the command line)".into()),
                    ));
                }
                if mode == Mode::Write {
                    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                        let _ = std::fs::create_dir_all(parent);
                    }
                }
                let flags = match mode {
                    Mode::Read => OpenFlags::SQLITE_OPEN_READ_ONLY,
                    Mode::Write => {
                        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
                    }
                } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(|e| {
                    DbError::new(
                        format!("cannot open `{}`: {}", url.database(), sqlite_reason(&e)),
                        None,
                    )
                })?;
                // A writer holding the file (watch, another run) is waited for, not failed on.
                let _ = conn.busy_timeout(Duration::from_secs(10));
                Ok(Conn::Sqlite(conn))
            }
            Place::Postgres(parts) => {
                let config = PgConfig::of(parts);
                let client = postgres::Config::from(config.config.clone())
                    .connect(postgres::NoTls)
                    .map_err(|e| config.failed(url, &e))?;
                Ok(Conn::Postgres(Box::new(Pg {
                    client,
                    config: config.config,
                })))
            }
        }
    }
}

/// What the environment gives for a part the URL leaves out.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Where and as whom to connect, from the URL, else the environment, else libpq's defaults.
struct PgConfig {
    config: tokio_postgres::Config,
    host: String,
    port: u16,
    user: String,
    dbname: String,
}

impl PgConfig {
    fn of(parts: &PgParts) -> PgConfig {
        let host = parts
            .host
            .clone()
            .or_else(|| env("PGHOST"))
            .unwrap_or_else(|| "localhost".into());
        let port = parts
            .port
            .or_else(|| env("PGPORT").and_then(|p| p.parse().ok()))
            .unwrap_or(5432);
        let user = parts
            .user
            .clone()
            .or_else(|| env("PGUSER"))
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".into());
        let dbname = parts
            .dbname
            .clone()
            .or_else(|| env("PGDATABASE"))
            .unwrap_or_else(|| user.clone());
        let password = parts
            .password
            .clone()
            .or_else(|| env("PGPASSWORD"))
            .or_else(|| crate::pgpass::lookup(&host, port, &dbname, &user));
        let timeout = env("PGCONNECT_TIMEOUT")
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(10);
        let mut config = tokio_postgres::Config::new();
        config
            .host(&host)
            .port(port)
            .user(&user)
            .dbname(&dbname)
            .application_name("scoreline")
            .connect_timeout(Duration::from_secs(timeout.max(1)));
        if let Some(p) = &password {
            config.password(p);
        }
        PgConfig {
            config,
            host,
            port,
            user,
            dbname,
        }
    }

    /// Why a connection failed, in the user's words (the URL shown without its password).
    fn failed(&self, url: &DbUrl, e: &postgres::Error) -> DbError {
        let PgConfig {
            host,
            port,
            user,
            dbname,
            ..
        } = self;
        let shown = url.database();
        match e.as_db_error() {
            Some(db) => DbError::new(
                format!("cannot connect to `{shown}`: {}", db.message()),
                Some(if db.code() == &postgres::error::SqlState::INVALID_PASSWORD
                    || db.code() == &postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                {
                    format!("check the user `{user}` and its password: in the URL (`postgres://USER:PASSWORD@…`), in `PGPASSWORD`, or in `~/.pgpass`")
                } else {
                    format!("check that the database `{dbname}` exists and that `{user}` may connect to it")
                }),
            ),
            None => DbError::new(
                format!("cannot connect to `{shown}`: {}", pg_reason(e)),
                Some(format!(
                    "check that a PostgreSQL server is running on {host} and listens on port {port} (the URL's host and port, else `PGHOST` and `PGPORT`), and that no firewall is in the way"
                )),
            ),
        }
    }
}

/// A SQLite error in the user's words (SQLite's own message, which names the table or column).
pub(crate) fn sqlite_reason(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        rusqlite::Error::SqliteFailure(f, None) => f.to_string().to_lowercase(),
        other => other.to_string(),
    }
}

/// A PostgreSQL error in the user's words: the server's message, or why it could not be
/// reached.
pub(crate) fn pg_reason(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    text.to_lowercase()
}
