//! Databases where data files are accepted: a contacts or events input named by a URL
//! (`sqlite:crm.db?table=contacts`, `postgres://…?query=…`) is read with `scoreline-db` and
//! handed to the loader as a table's rows (validated by the same converters as a file's);
//! outputs and the score history named by a URL are written there.

use std::path::{Path, PathBuf};

use scoreline_data::{Input as DataInput, LoadOptions, Schema, Source};
use scoreline_db::{DbUrl, ReadTable};

use crate::manifest::{Input, InputHash, InputRole};
use crate::pipeline::{Failure, Message, Problem, Settings};

/// Whether a path as given (flag or `scoreline.yaml`) is a database URL.
pub fn is_db(path: &Path) -> bool {
    path.to_str().is_some_and(scoreline_db::is_url)
}

/// The URL a path holds (see [`is_db`]). `Err` is a message for the user.
pub fn url(path: &Path) -> Result<DbUrl, Message> {
    let text = path.to_str().unwrap_or_default();
    DbUrl::parse(text).map_err(Message::from)
}

/// A URL from `scoreline.yaml`, its SQLite file taken relative to the project's folder (the
/// text kept as written otherwise: a password in it stays usable).
pub fn relative_to(text: &str, dir: &Path) -> PathBuf {
    match text.strip_prefix("sqlite:") {
        Some(rest) => {
            let file = rest.strip_prefix("//").unwrap_or(rest);
            let end = file.find('?').unwrap_or(file.len());
            let path = Path::new(&file[..end]);
            if path.is_absolute() || dir.as_os_str().is_empty() {
                PathBuf::from(text)
            } else {
                PathBuf::from(format!(
                    "sqlite:{}{}",
                    dir.join(path).display(),
                    &file[end..]
                ))
            }
        }
        None => PathBuf::from(text),
    }
}

/// The columns the load cannot do without, in a contacts table: the id column, then every
/// required field's column and every column a `from` names.
fn contact_columns(settings: &Settings, schema: Option<&Schema>) -> Result<Vec<String>, Failure> {
    let mut cols = vec![settings.id_column_of(schema)?];
    if let Some(s) = schema {
        for f in s.contact.iter().filter(|f| f.name != "id") {
            if !f.optional || f.column.is_some() {
                cols.push(f.column().to_string());
            }
        }
    }
    Ok(cols)
}

/// The columns every events table must have: its contact, its time and (unless its entry fixes
/// the type) its type.
fn event_columns(settings: &Settings, i: usize) -> Vec<String> {
    let own = settings.events_files.get(i);
    let base = &settings.events_columns;
    let mut cols = vec![
        own.and_then(|f| f.contact_id.clone())
            .unwrap_or_else(|| base.contact_id.clone()),
        own.and_then(|f| f.at.clone())
            .unwrap_or_else(|| base.at.clone()),
    ];
    if own.and_then(|f| f.event_type.as_ref()).is_none() {
        cols.push(
            own.and_then(|f| f.type_column.clone())
                .unwrap_or_else(|| base.type_column.clone()),
        );
    }
    cols
}

/// One input, read: a file's bytes or a table's rows. Any input a data file may be (the
/// accounts too) is read with [`Read::path`] and handed to the loader with [`Read::input`].
pub enum Read {
    File(Source),
    Table(ReadTable),
}

/// Reads the table or query a database URL names (see [`Read::path`]).
pub fn table(path: &Path, key: &str, required: &[String]) -> Result<ReadTable, Problem> {
    let u = url(path).map_err(Problem::Message)?;
    scoreline_db::read(&u, key, required).map_err(|e| Problem::Message(e.into()))
}

impl Read {
    /// Reads a data file, or the table or query a URL names (`key`: the column that names a
    /// row in messages; `required`: the columns the load cannot do without). `Err` is the
    /// problem: the database's, or the file's.
    pub fn path(path: &Path, key: &str, required: &[String]) -> Result<Read, Problem> {
        if is_db(path) {
            table(path, key, required).map(Read::Table)
        } else {
            Source::read(path)
                .map(Read::File)
                .map_err(|p| Problem::Data(vec![p]))
        }
    }

    /// The input as the loader takes it.
    pub fn input(&self) -> DataInput<'_> {
        match self {
            Read::File(s) => DataInput::File(s),
            Read::Table(t) => DataInput::Table(&t.table),
        }
    }

    /// The SHA-256 of the file's bytes, or of the table's rows, for the manifest and history.
    pub fn sha256(&self) -> String {
        match self {
            Read::File(s) => InputHash::of(&s.bytes).hex(),
            Read::Table(t) => t.sha256(),
        }
    }
}

fn read_one(
    path: &Path,
    key: &str,
    required: &[String],
    problems: &mut Vec<Problem>,
) -> Option<Read> {
    Read::path(path, key, required)
        .map_err(|m| problems.push(m))
        .ok()
}

/// Loads inputs of which some are databases: every input read (each problem reported), then
/// validated and grouped by the loader as files are; with the manifest's description of each.
pub(crate) fn load(
    settings: &Settings,
    schema: Option<&Schema>,
    options: &LoadOptions,
) -> Result<(scoreline_data::Loaded, Vec<Input>), Failure> {
    let mut problems = Vec::new();
    let id = settings.id_column_of(schema)?;
    let contacts = read_one(
        &settings.contacts,
        &id,
        &contact_columns(settings, schema)?,
        &mut problems,
    );
    let ev_key = settings.events_columns.contact_id.clone();
    let events: Vec<Option<Read>> = settings
        .events
        .iter()
        .enumerate()
        .map(|(i, p)| read_one(p, &ev_key, &event_columns(settings, i), &mut problems))
        .collect();
    // The accounts (a file or a table), keyed by their `id`.
    let accounts = settings
        .accounts
        .as_ref()
        .and_then(|p| read_one(p, "id", &[], &mut problems));
    let (Some(contacts), true) = (contacts, problems.is_empty()) else {
        return Err(Failure {
            kind: crate::failure::Kind::Errors,
            problems,
        });
    };
    let events: Vec<Read> = events.into_iter().flatten().collect();
    let event_inputs: Vec<DataInput> = events.iter().map(Read::input).collect();
    let mut options = options.clone();
    options.accounts.input = accounts.as_ref().map(Read::input);
    // The inputs are hashed (in the order of `Loaded::files`: contacts, events, then
    // accounts) while the loader converts their rows.
    let (hashes, records) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| {
            std::iter::once(&contacts)
                .chain(&events)
                .chain(&accounts)
                .map(Read::sha256)
                .collect::<Vec<String>>()
        });
        let records = scoreline_data::read_inputs(contacts.input(), &event_inputs, &options);
        let hashes = hashing
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (hashes, records)
    });
    let records = records.map_err(|e| Failure::load(&e))?;
    drop(event_inputs);
    drop(options);
    // The rows as read are freed on a thread of their own (millions of small texts), while
    // the events are grouped.
    std::thread::spawn(move || drop((contacts, events, accounts)));
    let loaded = records.group();
    let paths: Vec<&PathBuf> = std::iter::once(&settings.contacts)
        .chain(&settings.events)
        .chain(&settings.accounts)
        .collect();
    let last = paths.len() - 1;
    let inputs = paths
        .into_iter()
        .zip(hashes)
        .enumerate()
        .map(|(i, (path, sha256))| {
            let counts = loaded.files.get(i).cloned().unwrap_or_default();
            Input {
                role: if i == 0 {
                    InputRole::Contacts
                } else if settings.accounts.is_some() && i == last {
                    InputRole::Accounts
                } else {
                    InputRole::Events
                },
                path: shown(path),
                sha256,
                rows: counts.rows,
                skipped: counts.skipped,
            }
        })
        .collect();
    Ok((loaded, inputs))
}

/// A path or URL as messages and the manifest show it (a URL without its password).
pub fn shown(path: &Path) -> String {
    match path.to_str() {
        Some(s) if scoreline_db::is_url(s) => scoreline_db::redact(s),
        _ => path.display().to_string(),
    }
}

/// Appends change-feed lines to a table (`--changes sqlite:feed.db?table=changes`), in one
/// transaction: one row per line, its `time` and `id` in columns of their own and the whole
/// line (the NDJSON file's) in `change`. `Err` is a message for the user.
pub fn append_feed(path: &Path, lines: &[String]) -> Result<(), Message> {
    use scoreline_data::Value;
    if lines.is_empty() {
        return Ok(());
    }
    let u = url(path)?;
    let rows: Vec<[Value; 3]> = lines
        .iter()
        .map(|line| {
            let json: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            let text = |key: &str| match json.get(key) {
                Some(serde_json::Value::String(s)) => Value::Text(s.as_str().into()),
                _ => Value::Missing,
            };
            [text("time"), text("id"), Value::Text(line.as_str().into())]
        })
        .collect();
    let refs: Vec<&[Value]> = rows.iter().map(|r| r.as_slice()).collect();
    let names = ["time".to_string(), "id".to_string(), "change".to_string()];
    let kinds = [scoreline_db::OutputColumn::Text; 3];
    scoreline_db::append_table(&u, &names, &kinds, &refs).map_err(Message::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_file_in_a_project_is_relative_to_its_folder() {
        let dir = Path::new("projects/crm");
        assert_eq!(
            relative_to("sqlite:data/crm.db?table=contacts", dir),
            PathBuf::from("sqlite:projects/crm/data/crm.db?table=contacts")
        );
        assert_eq!(
            relative_to("sqlite:/srv/crm.db?table=contacts", dir),
            PathBuf::from("sqlite:/srv/crm.db?table=contacts")
        );
        // A server's URL is kept as written, its password with it (it is never shown).
        let pg = "postgres://ops:pw@db:5432/crm?table=contacts";
        assert_eq!(relative_to(pg, dir), PathBuf::from(pg));
        assert_eq!(
            shown(Path::new(pg)),
            "postgres://ops@db:5432/crm?table=contacts"
        );
    }
}
