//! `scoreline.yaml`: the project file that lets `run` and `watch` work without flags.

use crate::failure::Message;
use std::path::{Path, PathBuf};

use scoreline_data::dates::{parse_timezone, Dates, Tz};
use scoreline_data::dialect::{parse_list_separator, BadSetting};
use scoreline_data::{Decimal, Delimiter, Dialect, Encoding, Thousands};
use serde::{Deserialize, Deserializer};

/// Output formats of scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Csv,
    Json,
    Ndjson,
}

/// The name of the project file.
pub const PROJECT_FILE: &str = "scoreline.yaml";

/// The project file, as written (paths relative to the project folder).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub ruleset: Option<PathBuf>,
    #[serde(default)]
    pub data: ProjectData,
    pub as_of: Option<String>,
    #[serde(default)]
    pub output: ProjectOutput,
    #[serde(default)]
    pub plugins: Option<scoreline_plugins::Limits>,
}

/// The `data:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectData {
    /// The contacts file: a path, or `{file, …}` with the file's own dialect keys.
    #[serde(default, deserialize_with = "contacts_entry")]
    pub contacts: Option<EventsEntry>,
    #[serde(default)]
    pub events: OneOrMany,
    /// The accounts file (LANGUAGE.md §13): a path, or `{file, …}` with its own dialect keys.
    #[serde(default, deserialize_with = "accounts_entry")]
    pub accounts: Option<EventsEntry>,
    /// The contact field that links each contact to its account (default `account_id`).
    pub account_column: Option<String>,
    pub id_column: Option<String>,
    /// The names of the events' `contact_id`, `type` and `at` columns, for every file.
    #[serde(default)]
    pub events_columns: EventsColumns,
    /// Type values as the events files write them → the schema's event names.
    #[serde(default)]
    pub event_types: std::collections::BTreeMap<String, String>,
    // The dialect keys, for every file (see [`DialectKeys`]).
    #[serde(default, deserialize_with = "delimiter")]
    pub delimiter: Option<Delimiter>,
    #[serde(default, deserialize_with = "decimal")]
    pub decimal: Option<Decimal>,
    #[serde(default, deserialize_with = "thousands")]
    pub thousands: Option<Option<Thousands>>,
    #[serde(default, deserialize_with = "encoding")]
    pub encoding: Option<Encoding>,
    #[serde(default, deserialize_with = "list_separator")]
    pub list_separator: Option<char>,
    #[serde(default, deserialize_with = "date_formats")]
    pub date_formats: Option<Vec<String>>,
    #[serde(default, deserialize_with = "timezone")]
    pub timezone: Option<Tz>,
    /// `hubspot` or `salesforce`: the standard columns of those exports.
    pub preset: Option<String>,
}

impl ProjectData {
    /// The dialect keys `data:` sets for every file.
    pub fn dialect_keys(&self) -> DialectKeys {
        DialectKeys {
            delimiter: self.delimiter,
            decimal: self.decimal,
            thousands: self.thousands,
            encoding: self.encoding,
            list_separator: self.list_separator,
            date_formats: self.date_formats.clone(),
            timezone: self.timezone,
        }
    }
}

/// How the data files are written, key by key as a layer of settings gives them (`data:` in
/// `scoreline.yaml`, the command line; later a file's own entry): `None` is "not set here".
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DialectKeys {
    pub delimiter: Option<Delimiter>,
    pub decimal: Option<Decimal>,
    /// `Some(None)`: set to `none`.
    pub thousands: Option<Option<Thousands>>,
    pub encoding: Option<Encoding>,
    pub list_separator: Option<char>,
    /// A file's `date_formats` replace the shared list.
    pub date_formats: Option<Vec<String>>,
    pub timezone: Option<Tz>,
}

impl DialectKeys {
    /// These keys over `base`, key by key.
    pub fn over(self, base: DialectKeys) -> DialectKeys {
        DialectKeys {
            delimiter: self.delimiter.or(base.delimiter),
            decimal: self.decimal.or(base.decimal),
            thousands: self.thousands.or(base.thousands),
            encoding: self.encoding.or(base.encoding),
            list_separator: self.list_separator.or(base.list_separator),
            date_formats: self.date_formats.or(base.date_formats),
            timezone: self.timezone.or(base.timezone),
        }
    }

    /// The dialect, with the defaults for keys not set (delimiter detected, `.` for decimals,
    /// no thousands separator, UTF-8, lists separated by `;` or `|`, ISO dates in UTC).
    pub fn dialect(self) -> Result<Dialect, BadSetting> {
        let dates = match (&self.date_formats, self.timezone) {
            (None, None) => None,
            (formats, tz) => Some(std::sync::Arc::new(Dates::new(
                formats.as_deref().unwrap_or_default(),
                tz,
            )?)),
        };
        Ok(Dialect {
            delimiter: self.delimiter,
            decimal: self.decimal.unwrap_or_default(),
            thousands: self.thousands.flatten(),
            encoding: self.encoding.unwrap_or_default(),
            list_separator: self.list_separator,
            dates,
        })
    }
}

/// A dialect key's value read with `parse`; a value that is not a text, or that `parse`
/// refuses, is an error at its place in the file.
fn setting<'de, D, T>(
    d: D,
    key: &str,
    parse: impl Fn(&str) -> Result<T, BadSetting>,
) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        // `list_separator: |` is a YAML block of text, empty here.
        Some(text) if text.is_empty() => Err(serde::de::Error::custom(format!(
            "`{key}` is empty\n  = help: write the character in quotes, like `{key}: \"|\"`"
        ))),
        Some(text) => parse(&text).map(Some).map_err(|bad| {
            serde::de::Error::custom(format!("`{key}`: {}\n  = help: {}", bad.message, bad.help))
        }),
    }
}

fn delimiter<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Delimiter>, D::Error> {
    setting(d, "delimiter", Delimiter::parse)
}

fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    setting(d, "decimal", Decimal::parse)
}

fn thousands<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Thousands>>, D::Error> {
    setting(d, "thousands", Thousands::parse)
}

fn encoding<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Encoding>, D::Error> {
    setting(d, "encoding", Encoding::parse)
}

fn list_separator<'de, D: Deserializer<'de>>(d: D) -> Result<Option<char>, D::Error> {
    setting(d, "list_separator", parse_list_separator)
}

pub(crate) fn timezone<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
    setting(d, "timezone", parse_timezone)
}

/// `date_formats:` is a list of formats (or one), each checked.
pub(crate) fn date_formats<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Formats {
        One(String),
        Many(Vec<String>),
    }
    let formats = match Option::<Formats>::deserialize(d)? {
        None => return Ok(None),
        Some(Formats::One(f)) => vec![f],
        Some(Formats::Many(v)) => v,
    };
    Dates::new(&formats, None).map_err(|bad| {
        serde::de::Error::custom(format!("{}\n  = help: {}", bad.message, bad.help))
    })?;
    Ok(Some(formats))
}

/// `data.events_columns`: the names of the three columns every event has.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsColumns {
    pub contact_id: Option<String>,
    #[serde(rename = "type")]
    pub type_column: Option<String>,
    pub at: Option<String>,
}

/// One entry of `events:`: a path, or `{file, type, contact_id, at, …}` with the file's own
/// settings (its dialect keys over `data:`'s, key by key).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsEntry {
    pub file: PathBuf,
    /// The event type of every row (the file holds one activity).
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub contact_id: Option<String>,
    pub at: Option<String>,
    #[serde(default, deserialize_with = "delimiter")]
    pub delimiter: Option<Delimiter>,
    #[serde(default, deserialize_with = "decimal")]
    pub decimal: Option<Decimal>,
    #[serde(default, deserialize_with = "thousands")]
    pub thousands: Option<Option<Thousands>>,
    #[serde(default, deserialize_with = "encoding")]
    pub encoding: Option<Encoding>,
    #[serde(default, deserialize_with = "list_separator")]
    pub list_separator: Option<char>,
    #[serde(default, deserialize_with = "date_formats")]
    pub date_formats: Option<Vec<String>>,
    #[serde(default, deserialize_with = "timezone")]
    pub timezone: Option<Tz>,
}

impl EventsEntry {
    fn path(file: PathBuf) -> EventsEntry {
        EventsEntry {
            file,
            event_type: None,
            contact_id: None,
            at: None,
            delimiter: None,
            decimal: None,
            thousands: None,
            encoding: None,
            list_separator: None,
            date_formats: None,
            timezone: None,
        }
    }

    /// The dialect keys this entry sets for its file.
    pub fn dialect_keys(&self) -> DialectKeys {
        DialectKeys {
            delimiter: self.delimiter,
            decimal: self.decimal,
            thousands: self.thousands,
            encoding: self.encoding,
            list_separator: self.list_separator,
            date_formats: self.date_formats.clone(),
            timezone: self.timezone,
        }
    }
}

/// `events:` may be one entry or a list of entries; an entry is a path or a map.
#[derive(Debug, Default)]
pub enum OneOrMany {
    #[default]
    None,
    Many(Vec<EventsEntry>),
}

/// A file entry: a path, or a map (`what` names the key in messages).
fn entry<E: serde::de::Error>(value: serde_yaml::Value, what: &str) -> Result<EventsEntry, E> {
    match value {
        serde_yaml::Value::String(path) => Ok(EventsEntry::path(PathBuf::from(path))),
        serde_yaml::Value::Mapping(_) => serde_yaml::from_value(value).map_err(|e| {
            E::custom(format!(
                "an `{what}` entry: {}",
                yaml_reason(&e.to_string())
            ))
        }),
        _ => Err(E::custom(format!(
            "an `{what}` entry is a path, or a map such as `{{file: data.csv, delimiter: \";\"}}`"
        ))),
    }
}

/// `contacts:` is a path, or `{file, …}` with the file's own dialect keys (an events
/// entry's `type`, `contact_id` and `at` do not apply to it).
fn contacts_entry<'de, D: Deserializer<'de>>(d: D) -> Result<Option<EventsEntry>, D::Error> {
    table_entry(d, "contacts")
}

/// `accounts:` is a path, or `{file, …}` with the file's own dialect keys, as `contacts:`.
fn accounts_entry<'de, D: Deserializer<'de>>(d: D) -> Result<Option<EventsEntry>, D::Error> {
    table_entry(d, "accounts")
}

/// A contacts or accounts entry (`what`): an events entry without `type`, `contact_id`, `at`.
fn table_entry<'de, D: Deserializer<'de>>(
    d: D,
    what: &str,
) -> Result<Option<EventsEntry>, D::Error> {
    use serde::de::Error;
    match serde_yaml::Value::deserialize(d)? {
        serde_yaml::Value::Null => Ok(None),
        value => {
            let e: EventsEntry = entry(value, what)?;
            if e.event_type.is_some() || e.contact_id.is_some() || e.at.is_some() {
                return Err(D::Error::custom(format!(
                    "`{what}` has no `type`, `contact_id` or `at`: those are keys of an `events` entry"
                )));
            }
            Ok(Some(e))
        }
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entry = |v| entry::<D::Error>(v, "events");
        match serde_yaml::Value::deserialize(d)? {
            serde_yaml::Value::Null => Ok(OneOrMany::None),
            serde_yaml::Value::Sequence(items) => Ok(OneOrMany::Many(
                items.into_iter().map(entry).collect::<Result<_, _>>()?,
            )),
            one => Ok(OneOrMany::Many(vec![entry(one)?])),
        }
    }
}

impl OneOrMany {
    /// The entries, in order.
    pub fn entries(&self) -> &[EventsEntry] {
        match self {
            OneOrMany::None => &[],
            OneOrMany::Many(v) => v,
        }
    }

    /// The paths, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.entries().iter().map(|e| e.file.clone()).collect()
    }
}

/// The `output:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectOutput {
    pub scores: Option<PathBuf>,
    pub format: Option<OutputFormat>,
    pub explain: Option<PathBuf>,
    /// The change feed of `scoreline watch` (accepted here so one project file serves both).
    pub changes: Option<PathBuf>,
    /// The name of the scores' id column (by default, the input's id column's name).
    pub id_column: Option<String>,
    /// The score history (`sqlite:history.db`, `postgres://…`): every run appended.
    pub history: Option<PathBuf>,
    /// The accounts' scores and segments (LANGUAGE.md §13): CSV, JSON or NDJSON by extension.
    pub accounts: Option<PathBuf>,
}

/// A project file that was found and read, with the folder its paths are relative to.
#[derive(Debug)]
pub struct LoadedProject {
    pub dir: PathBuf,
    pub project: Project,
}

impl LoadedProject {
    /// A path from the project file, made relative to the current folder.
    pub fn path(&self, p: &Path) -> PathBuf {
        if crate::database::is_db(p) {
            crate::database::relative_to(p.to_str().unwrap_or_default(), &self.dir)
        } else if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

/// Reads `DIR/scoreline.yaml`. `Ok(None)` when `dir` was not given and the current folder
/// has no project file.
pub fn load(dir: Option<&Path>) -> Result<Option<LoadedProject>, Message> {
    let (dir, required) = match dir {
        Some(d) => (d.to_path_buf(), true),
        None => (PathBuf::from("."), false),
    };
    let file = dir.join(PROJECT_FILE);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(e) => {
            return Err(Message::new(format!(
                "cannot read `{}`: {}",
                file.display(),
                crate::sources::io_reason(&e)
            )))
        }
    };
    let project: Project = serde_yaml::from_str(&text).map_err(|e| {
        let reason = e.to_string();
        let at = e
            .location()
            .map(|l| {
                let (line, column) =
                    key_position(&text, &reason, l.line()).unwrap_or((l.line(), l.column()));
                format!(":{line}:{column}")
            })
            .unwrap_or_default();
        Message::new(format!(
            "{}{}: {}",
            file.display(),
            at,
            yaml_reason(&e.to_string())
        ))
    })?;
    let dir = if dir.as_os_str() == "." {
        PathBuf::new()
    } else {
        dir
    };
    Ok(Some(LoadedProject { dir, project }))
}

/// Where the key a message is about (`` `timezone`: … ``) is written, from the line serde_yaml
/// reports on (the start of the map that holds it) on: the key's own line and column.
fn key_position(text: &str, reason: &str, from: usize) -> Option<(usize, usize)> {
    let key = match reason.find("unknown field `") {
        Some(i) => &reason[i + "unknown field `".len()..],
        None => reason
            .strip_prefix("data: `")
            .or_else(|| reason.strip_prefix('`'))?,
    };
    let key = &key[..key.find('`')?];
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find_map(|(i, line)| {
            let indent = line.len() - line.trim_start().len();
            let rest = line
                .trim_start()
                .strip_prefix("- ")
                .unwrap_or(line.trim_start());
            let shift = line.trim_start().len() - rest.len();
            rest.strip_prefix(key)
                .filter(|r| r.trim_start().starts_with(':'))
                .map(|_| (i + 1, indent + shift + 1))
        })
}

/// serde_yaml's message without its trailing location (we print our own).
fn yaml_reason(message: &str) -> String {
    let reason = match message.find(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    if reason == "did not find expected node content" {
        // `decimal: ,` or `list_separator: |`: YAML takes these characters as its own.
        return format!("{reason}\n  = help: write a value such as `,`, `|` or `'` in quotes, like `decimal: \",\"`");
    }
    reason.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_settings_are_read() {
        let p: Project = serde_yaml::from_str(
            "data:\n  contacts: data/contacts.csv\n  accounts: data/accounts.csv\n  account_column: company_id\noutput:\n  scores: out/scores.csv\n  accounts: out/accounts.csv\n",
        )
        .unwrap();
        assert_eq!(
            p.data.accounts.as_ref().map(|a| a.file.clone()),
            Some(PathBuf::from("data/accounts.csv"))
        );
        assert_eq!(p.data.account_column.as_deref(), Some("company_id"));
        assert_eq!(
            p.output.accounts.as_deref(),
            Some(Path::new("out/accounts.csv"))
        );
        // An entry with its own dialect keys, as for the contacts.
        let p: Project = serde_yaml::from_str(
            "data:\n  accounts: {file: accounts.csv, delimiter: \";\", decimal: \",\"}\n",
        )
        .unwrap();
        let entry = p.data.accounts.unwrap();
        assert_eq!(entry.delimiter, Some(Delimiter::Semicolon));
        assert_eq!(entry.decimal, Some(Decimal::Comma));
        // The keys of an events entry are not an accounts entry's.
        let e = serde_yaml::from_str::<Project>("data:\n  accounts: {file: a.csv, type: x}\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("data: `accounts` has no `type`, `contact_id` or `at`"),
            "{e}"
        );
    }
}
