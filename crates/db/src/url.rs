//! Database URLs: `sqlite:PATH?table=NAME`, `sqlite:PATH?query=SELECT …` and
//! `postgres://USER:PASSWORD@HOST:PORT/DB?table=NAME` (or `?query=…`), and how they are shown
//! (never with a password).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::DbError;

/// Whether `text` names a database rather than a file.
pub fn is_url(text: &str) -> bool {
    text.starts_with("sqlite:")
        || text.starts_with("postgres://")
        || text.starts_with("postgresql://")
}

/// A database, and the table or query a URL names in it.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    pub(crate) place: Place,
    /// `?table=` or `?query=`, when given.
    pub target: Option<Target>,
}

/// Which database.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Place {
    Sqlite(PathBuf),
    Postgres(PgParts),
}

/// What a URL says of a PostgreSQL server; what it leaves out comes from the environment
/// (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`) or `~/.pgpass`.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct PgParts {
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) dbname: Option<String>,
}

/// The rows a URL reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `?table=NAME` (`schema.name` allowed).
    Table(String),
    /// `?query=SELECT …`: everything after `query=`, as written.
    Query(String),
}

impl DbUrl {
    /// Reads a URL. `Err` says what is wrong with it, in the user's words.
    pub fn parse(text: &str) -> Result<DbUrl, DbError> {
        let shown = redact(text);
        let bad = |message: String, help: &str| DbError::new(message, Some(help.to_string()));
        let (base, params) = match text.find('?') {
            Some(i) => (&text[..i], Some(&text[i + 1..])),
            None => (text, None),
        };
        let target = match params {
            None => None,
            Some(p) => Some(parse_target(p).map_err(|m| {
                bad(
                    format!("`{shown}`: {m}"),
                    "write `?table=NAME` or `?query=SELECT …` after the database",
                )
            })?),
        };
        let place = if let Some(rest) = base.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(bad(
                    format!("`{shown}` names no database file"),
                    "write the file after `sqlite:`, like `sqlite:data/crm.db?table=contacts`",
                ));
            }
            Place::Sqlite(PathBuf::from(path))
        } else if let Some(rest) = base
            .strip_prefix("postgres://")
            .or_else(|| base.strip_prefix("postgresql://"))
        {
            Place::Postgres(parse_pg(rest).map_err(|m| {
                bad(
                    format!("`{shown}`: {m}"),
                    "write `postgres://USER@HOST:PORT/DATABASE?table=NAME`",
                )
            })?)
        } else {
            return Err(bad(
                format!("`{shown}` is not a database URL"),
                "write `sqlite:FILE?table=NAME` or `postgres://USER@HOST:PORT/DATABASE?table=NAME`",
            ));
        };
        Ok(DbUrl { place, target })
    }

    /// The URL with a SQLite file's relative path taken from folder `dir` (a project's).
    pub fn relative_to(mut self, dir: &Path) -> DbUrl {
        if let Place::Sqlite(p) = &mut self.place {
            if p.is_relative() && !dir.as_os_str().is_empty() {
                *p = dir.join(&*p);
            }
        }
        self
    }

    /// The SQLite file, for a `sqlite:` URL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.place {
            Place::Sqlite(p) => Some(p),
            Place::Postgres(_) => None,
        }
    }

    /// The table of `?table=`, if that is what the URL names.
    pub fn table(&self) -> Option<&str> {
        match &self.target {
            Some(Target::Table(t)) => Some(t),
            _ => None,
        }
    }

    /// The same database with another target.
    pub fn with_target(&self, target: Option<Target>) -> DbUrl {
        DbUrl {
            place: self.place.clone(),
            target,
        }
    }

    /// The database alone, as shown (no password, no table or query).
    pub fn database(&self) -> String {
        self.with_target(None).to_string()
    }
}

/// The URL as it can be shown: a PostgreSQL password is never written.
impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Place::Sqlite(p) => write!(f, "sqlite:{}", p.display())?,
            Place::Postgres(pg) => {
                f.write_str("postgres://")?;
                if let Some(u) = &pg.user {
                    write!(f, "{u}@")?;
                }
                if let Some(h) = &pg.host {
                    f.write_str(h)?;
                }
                if let Some(p) = pg.port {
                    write!(f, ":{p}")?;
                }
                if let Some(d) = &pg.dbname {
                    write!(f, "/{d}")?;
                }
            }
        }
        match &self.target {
            Some(Target::Table(t)) => write!(f, "?table={t}"),
            Some(Target::Query(q)) => write!(f, "?query={q}"),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({self})")
    }
}

/// Any text with the password of a `postgres://user:password@…` URL in it removed (for
/// messages about text that may not even parse).
pub fn redact(text: &str) -> String {
    let Some(scheme) = ["postgres://", "postgresql://"]
        .into_iter()
        .find(|s| text.starts_with(s))
    else {
        return text.to_string();
    };
    let rest = &text[scheme.len()..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}{user}{}", &rest[at..])
        }
        None => text.to_string(),
    }
}

fn parse_target(params: &str) -> Result<Target, String> {
    // `query=` takes the rest of the URL as written: a query may hold `&`, `=` and `?`.
    if let Some(q) = params.strip_prefix("query=") {
        let q = q.trim();
        if q.is_empty() {
            return Err("`query=` is empty".into());
        }
        return Ok(Target::Query(q.to_string()));
    }
    if let Some(t) = params.strip_prefix("table=") {
        let t = percent_decode(t.trim());
        if t.is_empty() || t.contains('&') {
            return Err(format!("`table={t}` is not a table name"));
        }
        return Ok(Target::Table(t));
    }
    let key = params.split('=').next().unwrap_or(params);
    Err(format!("unknown parameter `{key}`"))
}

fn parse_pg(rest: &str) -> Result<PgParts, String> {
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let mut parts = PgParts::default();
    let hostport = match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.split_once(':') {
                Some((u, p)) => {
                    parts.user = Some(percent_decode(u)).filter(|u| !u.is_empty());
                    parts.password = Some(percent_decode(p));
                }
                None => parts.user = Some(percent_decode(userinfo)).filter(|u| !u.is_empty()),
            }
            &authority[at + 1..]
        }
        None => authority,
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => {
            let port = p
                .parse::<u16>()
                .map_err(|_| format!("`{p}` is not a port number"))?;
            (h, Some(port))
        }
        _ => (hostport, None),
    };
    parts.host = Some(percent_decode(
        host.trim_start_matches('[').trim_end_matches(']'),
    ))
    .filter(|h| !h.is_empty());
    parts.port = port;
    parts.dbname = Some(percent_decode(path)).filter(|d| !d.is_empty());
    Ok(parts)
}

/// Decodes `%HH` sequences (a password or name with reserved characters in it).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_and_show_without_password() {
        let u = DbUrl::parse("postgres://ops:s%40cret@db.example:5433/crm?table=contacts").unwrap();
        let Place::Postgres(pg) = &u.place else {
            panic!("not postgres")
        };
        assert_eq!(pg.password.as_deref(), Some("s@cret"));
        assert_eq!(pg.port, Some(5433));
        assert_eq!(
            u.to_string(),
            "postgres://ops@db.example:5433/crm?table=contacts"
        );
        assert_eq!(
            redact("postgres://ops:secret@db:1/x?table=a"),
            "postgres://ops@db:1/x?table=a"
        );
        let s = DbUrl::parse("sqlite:data/crm.db?query=SELECT * FROM c WHERE a = 'x&y'").unwrap();
        assert_eq!(
            s.target,
            Some(Target::Query("SELECT * FROM c WHERE a = 'x&y'".into()))
        );
        assert_eq!(s.sqlite_path(), Some(Path::new("data/crm.db")));
        let e = DbUrl::parse("sqlite:crm.db?tabel=x").unwrap_err();
        assert_eq!(
            e.message,
            "`sqlite:crm.db?tabel=x`: unknown parameter `tabel`"
        );
        let e = DbUrl::parse("postgres://u:pw@h:port/x").unwrap_err();
        assert!(!e.to_string().contains("pw"), "{e}");
    }
}
