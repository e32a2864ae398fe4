//! Loading contacts and events from files (by extension) or from records given as values:
//! each input decoded into records (`decode.rs`), the types inferred or the schema in force,
//! every record checked against it by the converter of its kind (`contacts.rs`, `events.rs`),
//! every problem collected with its position, bad rows optionally set aside.

mod accounts;
mod aside;
mod cells;
mod contacts;
mod decode;
mod events;
mod par;
mod plan;
mod sink;
mod stream;

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use crate::dialect::{self, Delimiter, Dialect, Encoding};
use crate::model::{Dataset, FieldType, Schema, Value, NO_ACCOUNT};
use crate::problem::{sort_problems, DataProblem, LoadError, RecordAt, SkippedRow};
use crate::record::RecordSet;

pub use self::aside::SetAside;
pub use self::stream::Observe;

use self::accounts::{AccountBook, Link};
use self::cells::At;
use self::decode::{Body, File};
use self::events::{EventCols, EventOut, Fixed, Ids, TypeFrom};
use self::plan::{ContactPlan, EventPlan, InferEvents, InferTable};
use crate::record::Datum;

/// A data file format, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`: a header row, then one row per record.
    Csv,
    /// `.ndjson`, `.jsonl`: one JSON object per line.
    Ndjson,
    /// `.json`: one array of objects.
    Json,
    /// `.yaml`, `.yml`: a list of maps.
    Yaml,
}

impl Format {
    /// The format of a file, by its extension (any case); `None` if it is not a data file.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// A data file's name (as shown in messages), format and bytes.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name shown in problems, usually the path as the user wrote it.
    pub name: String,
    pub format: Format,
    pub bytes: Vec<u8>,
}

impl Source {
    /// Reads a file; its format comes from its extension.
    pub fn read(path: &Path) -> Result<Source, DataProblem> {
        let name = path.display().to_string();
        let problem =
            |message: String, help: Option<String>| At::default().problem(&name, message, help);
        let Some(format) = Format::from_path(path) else {
            let ext = path
                .extension()
                .map(|e| format!("`.{}`", e.to_string_lossy()))
                .unwrap_or_else(|| "no extension".into());
            return Err(problem(
                format!("cannot tell the data format of this file ({ext})"),
                Some(
                    "name data files `.csv`, `.ndjson`, `.jsonl`, `.json`, `.yaml` or `.yml`"
                        .into(),
                ),
            ));
        };
        match read_bytes(path) {
            Ok(bytes) => Ok(Source {
                name: name.clone(),
                format,
                bytes,
            }),
            Err(e) => Err(problem(
                format!("cannot read the file: {}", io_reason(&e)),
                None,
            )),
        }
    }
}

impl Source {
    /// This source with its bytes in UTF-8: as it is, or decoded from `encoding` (or from
    /// UTF-16 when the bytes start with a UTF-16 byte-order mark). `Err` names the line and
    /// column of the first bytes that are not text in that encoding.
    pub fn to_utf8(&self, encoding: Encoding) -> Result<Cow<'_, Source>, DataProblem> {
        match dialect::decode(&self.bytes, encoding) {
            Ok(Cow::Borrowed(_)) => Ok(Cow::Borrowed(self)),
            Ok(Cow::Owned(bytes)) => Ok(Cow::Owned(Source {
                name: self.name.clone(),
                format: self.format,
                bytes,
            })),
            Err((message, line, column)) => Err(At::line(Some(line), Some(column)).problem(
                &self.name,
                message,
                Some("check the file's `encoding` setting".into()),
            )),
        }
    }
}

/// Files larger than this are read by several threads at once, each its own part.
const PARALLEL_READ_BYTES: u64 = 32 << 20;

/// A file's bytes. A large file is read in parts on every core: copying it out of the page
/// cache (and faulting in the memory it goes to) is then shared, not one core's work while
/// the others wait.
fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let threads = par::thread_count(0).min(8);
        if meta.is_file() && meta.len() >= PARALLEL_READ_BYTES && threads > 1 {
            let len = usize::try_from(meta.len()).map_err(|_| std::io::ErrorKind::OutOfMemory)?;
            let mut bytes = vec![0u8; len];
            let part = len.div_ceil(threads);
            let results: Vec<std::io::Result<()>> = std::thread::scope(|s| {
                let handles: Vec<_> = bytes
                    .chunks_mut(part)
                    .enumerate()
                    .map(|(k, buf)| {
                        let file = &file;
                        s.spawn(move || file.read_exact_at(buf, (k * part) as u64))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });
            results.into_iter().collect::<std::io::Result<()>>()?;
            // A file that grew meanwhile: read whole again, as `fs::read` would have.
            if file.metadata()?.len() == meta.len() {
                return Ok(bytes);
            }
        }
    }
    std::fs::read(path)
}

/// A short lowercase reason for an I/O error.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "it does not exist".into(),
        PermissionDenied => "permission denied".into(),
        IsADirectory => "it is a folder".into(),
        _ => {
            let s = e.to_string();
            let s = s.split(" (os error").next().unwrap_or(&s).to_string();
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => s,
            }
        }
    }
}

/// How to load: schema, id column, how the files are written, what to do with bad rows,
/// parallelism.
#[derive(Debug, Clone)]
pub struct LoadOptions<'a> {
    /// The schema to validate against; `None` infers the types from the data.
    pub schema: Option<&'a Schema>,
    /// The contacts' id column (default `id`). Events always name their contact `contact_id`.
    pub id_column: String,
    /// How the files are written (delimiter, numbers, lists, encoding); the same for every file.
    pub dialect: Dialect,
    /// Set bad rows aside (in [`Loaded::skipped`]) instead of failing.
    pub skip_bad_rows: bool,
    /// Threads to use (0: every core). The result does not depend on it.
    pub threads: usize,
    /// About how many bytes each parallel job reads (the result does not depend on it).
    pub chunk_bytes: usize,
    /// Event types to set aside when the schema in force does not have them: their events
    /// are not a data problem, are not in the data set, and are listed in
    /// [`Loaded::set_aside`] with their contact and time (an outcome to evaluate against).
    /// A type the schema has is loaded as usual.
    pub set_aside: Vec<String>,
    /// The names of the events' `contact_id`, `type` and `at` columns, for every events file.
    pub events_columns: EventColumns,
    /// Each events file's own settings, in the order of the events inputs (a file past the
    /// end of the list is read with the load's settings).
    pub events_files: Vec<EventsFile>,
    /// Type values as the events files write them (`Email Opened`) → the schema's event
    /// names (`email_open`).
    pub event_types: Vec<(String, String)>,
    /// The contacts file's own dialect (`None`: [`LoadOptions::dialect`]).
    pub contacts_dialect: Option<Dialect>,
    /// The CRM export a preset expects, for messages about the columns it names.
    pub preset: Option<PresetHint>,
    /// Accounts (LANGUAGE.md §13): the accounts input, the contacts' link field, whether to
    /// build accounts at all.
    pub accounts: AccountOptions<'a>,
}

/// How accounts are loaded (LANGUAGE.md §13). Without an accounts input and unless
/// `wanted`, no accounts are built: `Dataset::accounts` stays empty and the link field is
/// an ordinary contact field.
#[derive(Debug, Clone)]
pub struct AccountOptions<'a> {
    /// The accounts file's bytes or records (for [`load`], [`LoadRequest::accounts`] fills it).
    pub input: Option<Input<'a>>,
    /// Build accounts even without an accounts input (the ruleset has account items or reads
    /// `account.`): they are then the distinct links, in first-seen order, with only `id`.
    pub wanted: bool,
    /// The contact field that names each contact's account (default `account_id`).
    pub link: String,
    /// The accounts file's own dialect (`None`: [`LoadOptions::dialect`]).
    pub dialect: Option<Dialect>,
}

impl Default for AccountOptions<'_> {
    fn default() -> Self {
        AccountOptions {
            input: None,
            wanted: false,
            link: "account_id".into(),
            dialect: None,
        }
    }
}

impl AccountOptions<'_> {
    /// Whether the load builds accounts: an accounts input is given, or they are wanted.
    pub fn built(&self) -> bool {
        self.input.is_some() || self.wanted
    }
}

/// What a preset (`preset: hubspot`) expects of the files, for messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresetHint {
    /// How the setting is written (`preset: hubspot`).
    pub setting: String,
    /// The export it reads (`a HubSpot contacts export`).
    pub export: String,
    /// The columns it names (the id column and the fields').
    pub columns: Vec<String>,
}

impl PresetHint {
    /// A help line's words about a column the file lacks, if the preset named it.
    fn about(&self, column: &str, id: bool) -> Option<String> {
        let or = if id {
            "set `id_column`, or write `id: text from \"…\"` in the schema"
        } else {
            "name the column with `from` in the schema"
        };
        self.columns.iter().any(|c| c == column).then(|| {
            format!(
                "`{}` reads `{column}` from {}; is this file one? Export it with its standard columns, or {or}",
                self.setting, self.export
            )
        })
    }
}

/// The names of the three columns every event has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventColumns {
    pub contact_id: String,
    pub type_column: String,
    pub at: String,
}

impl Default for EventColumns {
    fn default() -> Self {
        EventColumns {
            contact_id: "contact_id".into(),
            type_column: "type".into(),
            at: "at".into(),
        }
    }
}

/// How one events file is read, over the load's settings key by key (`None`: the load's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventsFile {
    /// The event type of every record: the file holds one type (HubSpot and Salesforce
    /// export one activity per file), and has no type column.
    pub event_type: Option<String>,
    pub contact_id: Option<String>,
    pub type_column: Option<String>,
    pub at: Option<String>,
    pub dialect: Option<Dialect>,
}

impl Default for LoadOptions<'_> {
    fn default() -> Self {
        LoadOptions {
            schema: None,
            id_column: "id".into(),
            dialect: Dialect::default(),
            skip_bad_rows: false,
            threads: 0,
            chunk_bytes: 8 << 20,
            set_aside: Vec::new(),
            events_columns: EventColumns::default(),
            events_files: Vec::new(),
            event_types: Vec::new(),
            contacts_dialect: None,
            preset: None,
            accounts: AccountOptions::default(),
        }
    }
}

/// Which files to load, and how.
#[derive(Debug, Clone)]
pub struct LoadRequest<'a> {
    /// The contacts file.
    pub contacts: PathBuf,
    /// Events files (0 or more), read in this order.
    pub events: Vec<PathBuf>,
    /// The accounts file (LANGUAGE.md §13), if any.
    pub accounts: Option<PathBuf>,
    pub options: LoadOptions<'a>,
}

impl LoadRequest<'_> {
    /// A request for a contacts file alone, with default options.
    pub fn new(contacts: impl Into<PathBuf>) -> Self {
        LoadRequest {
            contacts: contacts.into(),
            events: Vec::new(),
            accounts: None,
            options: LoadOptions::default(),
        }
    }
}

/// What loading gives: the data, the rows set aside, warnings (ignored columns), and how many
/// records each file held.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub dataset: Dataset,
    /// Rows set aside with skip-bad-rows, in file and line order.
    pub skipped: Vec<SkippedRow>,
    /// Things worth knowing that are not errors, such as columns that are not in the schema.
    pub warnings: Vec<DataProblem>,
    /// Each file's records: the contacts file first, then the events files in order, then
    /// the accounts file (when there is one).
    pub files: Vec<FileRows>,
    /// The events of each type set aside (those of [`LoadOptions::set_aside`] that the
    /// schema in force does not have), in the order asked.
    pub set_aside: Vec<SetAside>,
}

/// How many records one data file held, and how many of them were set aside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRows {
    /// The file's name, as in problems.
    pub file: String,
    /// The records read: CSV rows after the header, NDJSON lines (blank lines are not
    /// records), the items of a JSON array or a YAML list. A contact's inline events are part
    /// of its record.
    pub rows: usize,
    /// Of those, the records set aside with skip-bad-rows (a contact, or an event of the file).
    pub skipped: usize,
}

/// Loads the contacts file and the events files of a request.
///
/// Every problem is collected (not only the first) and reported with its `file:line:column`;
/// with `skip_bad_rows`, bad rows are set aside instead and only problems that concern a whole
/// file (unreadable, broken JSON array, missing column) fail the load.
pub fn load(request: &LoadRequest) -> Result<Loaded, LoadError> {
    let (contacts, accounts, events) = read_all_sources(request)?;
    let mut options = request.options.clone();
    if let Some(a) = &accounts {
        options.accounts.input = Some(Input::File(a));
    }
    let read = read_records(&contacts, &events, &options)?;
    drop((contacts, accounts, events));
    Ok(read.group())
}

/// Loads contacts and events from sources it takes: like [`load_sources`], but the files'
/// bytes are freed once every record is read, before the events are grouped by contact, so
/// that the two are never in memory at once.
pub fn load_owned(
    contacts: Source,
    events: Vec<Source>,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let read = read_records(&contacts, &events, options)?;
    drop((contacts, events));
    Ok(read.group())
}

/// Reads the contacts file and the events files of a request (not its accounts file: see
/// [`read_all_sources`]); every file that cannot be read is reported.
pub fn read_sources(request: &LoadRequest) -> Result<(Source, Vec<Source>), LoadError> {
    let request = LoadRequest {
        accounts: None,
        ..request.clone()
    };
    read_all_sources(&request).map(|(c, _, e)| (c, e))
}

/// Reads the contacts file, the accounts file (when the request has one) and the events
/// files of a request (what [`load`] does before [`read_records`], with the accounts source
/// as [`AccountOptions::input`]); every file that cannot be read is reported.
pub fn read_all_sources(
    request: &LoadRequest,
) -> Result<(Source, Option<Source>, Vec<Source>), LoadError> {
    let mut problems = Vec::new();
    let (contacts, accounts) = read_contacts_and_accounts(request, &mut problems);
    let events: Vec<Source> = request
        .events
        .iter()
        .filter_map(|p| Source::read(p).map_err(|p| problems.push(p)).ok())
        .collect();
    match contacts {
        Some(c) if problems.is_empty() => Ok((c, accounts, events)),
        _ => Err(unreadable(request, problems)),
    }
}

/// The contacts file and the accounts file (when the request has one), read whole; a file
/// that cannot be read goes to `problems`.
fn read_contacts_and_accounts(
    request: &LoadRequest,
    problems: &mut Vec<DataProblem>,
) -> (Option<Source>, Option<Source>) {
    let contacts = Source::read(&request.contacts)
        .map_err(|p| problems.push(p))
        .ok();
    let accounts = request
        .accounts
        .as_ref()
        .and_then(|p| Source::read(p).map_err(|p| problems.push(p)).ok());
    (contacts, accounts)
}

/// The files of a request that cannot be read, in the order the request names them.
fn unreadable(request: &LoadRequest, problems: Vec<DataProblem>) -> LoadError {
    let order: Vec<String> = std::iter::once(&request.contacts)
        .chain(&request.accounts)
        .chain(&request.events)
        .map(|p| p.display().to_string())
        .collect();
    LoadError::from_problems(problems, &order)
}

/// The block size of [`load_streamed`] for `scoreline run`: large enough that reading and
/// cutting cost nothing next to parsing, small enough that a few in flight are a small part
/// of the data set.
pub const BLOCK_BYTES: usize = 16 << 20;

/// Loads the files of a request as [`load`] does, with the same result, but reads a large
/// CSV events file in blocks of about `block_bytes` (cut after whole rows), each parsed while
/// the next is read and freed once parsed, never the whole file at once (with a declared
/// schema; inferring types reads every file whole). `observe` sees every byte of every file,
/// each file's in order, with its index in [`Loaded::files`] (for the manifest's hashes);
/// a file that cannot be read is not observed.
pub fn load_streamed(
    request: &LoadRequest,
    block_bytes: usize,
    observe: Observe,
) -> Result<Loaded, LoadError> {
    let options = &request.options;
    let mut problems = Vec::new();
    let (contacts, accounts) = read_contacts_and_accounts(request, &mut problems);
    let mut events = Vec::new();
    let mut tails = Vec::new();
    for (i, path) in request.events.iter().enumerate() {
        let dialect = options
            .events_files
            .get(i)
            .and_then(|f| f.dialect.as_ref())
            .unwrap_or(&options.dialect);
        let streams = dialect.encoding.is_utf8() && options.schema.is_some();
        let dialect = streams.then_some(dialect);
        match read_head(path, i + 1, block_bytes, dialect) {
            Ok((source, tail)) => {
                if tail.is_some() {
                    observe(i + 1, &source.bytes);
                }
                events.push(source);
                tails.push(tail);
            }
            Err(p) => problems.push(p),
        }
    }
    let contacts = match contacts {
        Some(c) if problems.is_empty() => c,
        _ => return Err(unreadable(request, problems)),
    };
    let mut options = options.clone();
    options.accounts.input = accounts.as_ref().map(Input::File);
    let inputs: Vec<Input> = events.iter().map(Input::File).collect();
    let whole: Vec<bool> = tails.iter().map(Option::is_none).collect();
    let contacts = std::sync::Arc::new(contacts);
    let read = std::thread::scope(|s| {
        // The files read whole are observed beside the loading (the contacts' bytes are
        // freed by whichever of the two is done with them last).
        let own = std::sync::Arc::clone(&contacts);
        s.spawn(|| {
            observe(0, &own.bytes);
            drop(own);
            for (i, e) in events.iter().enumerate() {
                if whole[i] {
                    observe(i + 1, &e.bytes);
                }
            }
            if let Some(a) = &accounts {
                observe(events.len() + 1, &a.bytes);
            }
        });
        read_inputs_with(
            Contacts::Owned(contacts),
            &inputs,
            &options,
            (tails, Some(observe)),
        )
    });
    drop(inputs);
    drop(options);
    drop((accounts, events));
    Ok(read?.group())
}

/// An events file: whole (`None`), or, when it is a large CSV file to read in `dialect`, its
/// head (the header and the first rows, about `block` bytes) and the rest to read in blocks.
fn read_head(
    path: &Path,
    index: usize,
    block: usize,
    dialect: Option<&Dialect>,
) -> Result<(Source, Option<stream::Tail>), DataProblem> {
    use std::io::{Read, Seek};
    let block = block.max(1);
    let whole = || Source::read(path).map(|s| (s, None));
    let Some(dialect) = dialect.filter(|_| Format::from_path(path) == Some(Format::Csv)) else {
        return whole();
    };
    let Ok(mut file) = std::fs::File::open(path) else {
        return whole();
    };
    match file.metadata() {
        Ok(m) if m.is_file() && m.len() >= 2 * block as u64 => {}
        _ => return whole(),
    }
    let source = |bytes: Vec<u8>| Source {
        name: path.display().to_string(),
        format: Format::Csv,
        bytes,
    };
    // The head: blocks until one holds the end of a row.
    let mut head: Vec<u8> = Vec::new();
    let cut = loop {
        let want = head.len() + block;
        if file
            .by_ref()
            .take(block as u64)
            .read_to_end(&mut head)
            .is_err()
        {
            return whole();
        }
        if head.len() < want {
            // The whole file, read already.
            return Ok((source(head), None));
        }
        if encoding_rs::Encoding::for_bom(&head).is_some_and(|(e, _)| e != encoding_rs::UTF_8) {
            return whole();
        }
        // The rows as `decode::open` sees them: after a UTF-8 byte-order mark.
        let bom = if head.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let delimiter = dialect
            .delimiter
            .unwrap_or_else(|| Delimiter::detect(&head[bom..]));
        match stream::row_end(&head[bom..], delimiter.byte()) {
            stream::Cut::At(n) => break bom + n,
            stream::Cut::NotYet => continue,
            stream::Cut::Irregular => return whole(),
        }
    };
    if stream::lone_cr(&head[..cut]) || file.seek(std::io::SeekFrom::Start(cut as u64)).is_err() {
        return whole();
    }
    head.truncate(cut);
    let tail = stream::Tail {
        file,
        index,
        block,
        quoted: false,
    };
    Ok((source(head), Some(tail)))
}

/// Loads contacts and events from bytes already in memory (what [`load`] does after reading
/// the files). Never panics, whatever the bytes.
pub fn load_sources<'s>(
    contacts: &'s Source,
    events: &'s [Source],
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    Ok(read_records(contacts, events, options)?.group())
}

/// Every record of the data files, read and validated but not yet grouped by contact
/// ([`Records::group`]); it no longer borrows the files' bytes, which can be freed first.
pub struct Records {
    schema: Schema,
    contacts: Vec<crate::model::Contact>,
    accounts: crate::model::Accounts,
    /// The events of each source, in file order (inline events first).
    parts: Vec<EventOut>,
    skipped: Vec<SkippedRow>,
    warnings: Vec<DataProblem>,
    files: Vec<FileRows>,
    threads: usize,
    /// Event types from this index on are set aside, one per name of `aside`.
    aside_from: usize,
    aside: Vec<String>,
}

impl Records {
    /// Groups the events by contact and sorts them by time: the data, ready for scoring.
    pub fn group(mut self) -> Loaded {
        let set_aside = aside::split(&mut self.parts, self.aside_from, &self.aside);
        let events = events::group(self.contacts.len(), self.parts, self.threads);
        Loaded {
            dataset: Dataset {
                accounts: self.accounts,
                schema: self.schema,
                contacts: self.contacts,
                events,
            },
            skipped: self.skipped,
            warnings: self.warnings,
            files: self.files,
            set_aside,
        }
    }
}

/// Reads and validates every record of the sources: [`load_sources`] without the grouping
/// of events, so that the caller can free the sources' bytes before it.
pub fn read_records<'s>(
    contacts: &'s Source,
    events: &'s [Source],
    options: &LoadOptions,
) -> Result<Records, LoadError> {
    let events: Vec<Input> = events.iter().map(Input::File).collect();
    read_inputs(Input::File(contacts), &events, options)
}

/// One input of a load: a data file's bytes, records given as values, or the rows of a
/// database table or query.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    File(&'a Source),
    /// Records named by the schema's field names (the rule tests, Arrow).
    Records(&'a RecordSet),
    /// A database table's rows, one record per row, its fields named by the table's columns:
    /// read as an export is (the schema's `from`, `id_column` and the events' column names
    /// apply); problems name the row, its id and the column.
    Table(&'a crate::table::Table),
}

impl Input<'_> {
    /// The name shown in problems.
    pub fn name(&self) -> &str {
        match self {
            Input::File(s) => &s.name,
            Input::Records(r) => &r.name,
            Input::Table(t) => &t.name,
        }
    }
}

/// Loads contacts and events given as values, with no text in between: the records are
/// checked against the schema (or typed by inference) exactly as a file's records are, and
/// problems name the record (its index, and its id when it has one) and the field.
pub fn load_records(
    contacts: &RecordSet,
    events: &[RecordSet],
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let events: Vec<Input> = events.iter().map(Input::Records).collect();
    load_inputs(Input::Records(contacts), &events, options)
}

/// Loads contacts and events from any inputs, files and records given as values alike.
pub fn load_inputs(
    contacts: Input,
    events: &[Input],
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    Ok(read_inputs(contacts, events, options)?.group())
}

/// Reads and validates every record of the inputs: [`load_inputs`] without the grouping of
/// events.
pub fn read_inputs<'s>(
    contacts: Input<'s>,
    events: &[Input<'s>],
    options: &LoadOptions,
) -> Result<Records, LoadError> {
    read_inputs_with(
        Contacts::Input(contacts),
        events,
        options,
        (Vec::new(), None),
    )
}

/// The contacts input of a load: borrowed, or a file kept by the load, whose bytes are freed
/// once its records are read (before the events are).
enum Contacts<'s> {
    Input(Input<'s>),
    Owned(std::sync::Arc<Source>),
}

/// [`read_inputs`], with the tails of events files read in blocks (`tails[i]` for events
/// input `i`, whose source is then the file's head), each block observed.
fn read_inputs_with<'s>(
    contacts: Contacts<'s>,
    events: &[Input<'s>],
    options: &LoadOptions,
    (tails, observe): (Vec<Option<stream::Tail>>, Option<Observe>),
) -> Result<Records, LoadError> {
    // `own` keeps an owned contacts file until its records are read (dropped below).
    let own = contacts;
    let contacts = match &own {
        Contacts::Input(i) => *i,
        Contacts::Owned(s) => Input::File(s),
    };
    let threads = par::thread_count(options.threads);
    let chunk = options.chunk_bytes.max(1);
    let skip = options.skip_bad_rows;
    // Records given as values name their fields (and events' properties) by the schema's
    // names, not by the columns of an export.
    let given = matches!(contacts, Input::Records(_));
    let unmapped = options.schema.filter(|_| given).map(|s| {
        let mut s = s.clone();
        let fields = s
            .contact
            .iter_mut()
            .chain(s.account.iter_mut())
            .chain(s.events.iter_mut().flat_map(|e| e.fields.iter_mut()));
        for f in fields {
            f.column = None;
        }
        s
    });
    let schema_in_force = unmapped.as_ref().or(options.schema);
    // The schema's `id: text from "…"` names the id column, else the options do; compared
    // with the header's names in NFC.
    let id_column = crate::model::column_key(
        schema_in_force
            .and_then(|s| s.contact.iter().find(|f| f.name == "id"))
            .and_then(|f| f.column.as_deref())
            .unwrap_or(&options.id_column),
    )
    .into_owned();
    let id_column = id_column.as_str();
    let account_input = options.accounts.input;
    let build_accounts = options.accounts.built();
    let order: Vec<String> = std::iter::once(contacts.name())
        .chain(account_input.as_ref().map(|a| a.name()))
        .chain(events.iter().map(|s| s.name()))
        .map(str::to_string)
        .collect();
    let fail = |problems: Vec<DataProblem>| Err(LoadError::from_problems(problems, &order));

    // 1. The structure of each input (files in UTF-8).
    let mut fatal = Vec::new();
    let mut no_id: Option<DataProblem> = None;
    let mut warnings = Vec::new();
    let cdialect = options
        .contacts_dialect
        .as_ref()
        .unwrap_or(&options.dialect);
    let edialects: Vec<&Dialect> = (0..events.len())
        .map(|i| {
            options
                .events_files
                .get(i)
                .and_then(|f| f.dialect.as_ref())
                .unwrap_or(&options.dialect)
        })
        .collect();
    let ctext = match contacts {
        Input::File(s) => in_utf8(s, cdialect, &mut warnings)
            .map(Text::File)
            .map_err(|p| fatal.push(p))
            .ok(),
        Input::Records(r) => Some(Text::Records(r)),
        Input::Table(t) => Some(Text::Table(t)),
    };
    let mut text = |input: Input<'s>, dialect: &Dialect| -> Option<Text<'s>> {
        match input {
            Input::File(s) => in_utf8(s, dialect, &mut warnings)
                .map(Text::File)
                .map_err(|p| fatal.push(p))
                .ok(),
            Input::Records(r) => Some(Text::Records(r)),
            Input::Table(t) => Some(Text::Table(t)),
        }
    };
    let etexts: Vec<Option<Text>> = events
        .iter()
        .zip(&edialects)
        .map(|(&i, d)| text(i, d))
        .collect();
    let cfile = ctext
        .as_ref()
        .and_then(|t| t.open(chunk, cdialect).map_err(|p| fatal.push(p)).ok());
    let aliases: std::sync::Arc<crate::fxhash::FxHashMap<String, String>> =
        std::sync::Arc::new(options.event_types.iter().cloned().collect());
    let efiles: Vec<Option<File>> = etexts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut file = t
                .as_ref()?
                .open(chunk, edialects[i])
                .map_err(|p| fatal.push(p))
                .ok()?;
            file.events = event_cols(options, i, &aliases);
            Some(file)
        })
        .collect();
    // The accounts file, read in its own dialect or the load's; its ids are in an `id` column (or the
    // schema's `id: text from "…"` in its `account` block).
    let adialect = options
        .accounts
        .dialect
        .as_ref()
        .unwrap_or(&options.dialect);
    let atext: Option<Text> = match account_input {
        Some(Input::File(s)) => in_utf8(s, adialect, &mut warnings)
            .map(Text::File)
            .map_err(|p| fatal.push(p))
            .ok(),
        Some(Input::Records(r)) => Some(Text::Records(r)),
        Some(Input::Table(t)) => Some(Text::Table(t)),
        None => None,
    };
    let afile: Option<File> = atext
        .as_ref()
        .and_then(|t| t.open(chunk, adialect).map_err(|p| fatal.push(p)).ok());
    let mut no_account_id: Option<DataProblem> = None;
    let account_id_column = crate::model::column_key(
        schema_in_force
            .and_then(|s| s.account.iter().find(|f| f.name == "id"))
            .and_then(|f| f.column.as_deref())
            .unwrap_or("id"),
    )
    .into_owned();
    if let Some(File {
        body: Body::Csv {
            header, delimiter, ..
        },
        name,
        ..
    }) = &afile
    {
        if let Some(p) = one_column(name, header, *delimiter) {
            fatal.push(p);
        } else if !header.is_empty() && !header.contains(&account_id_column) {
            let names = header.iter().map(String::as_str);
            let help = match scoreline_model::suggest::closest(&account_id_column, names) {
                Some(s) => format!("did you mean `{s}`? (the accounts' ids are read from the `{account_id_column}` column)"),
                None => format!(
                    "the accounts' ids are read from the `{account_id_column}` column; rename the id column, or write `id: text from \"…\"` in the schema's `account` block"
                ),
            };
            let p = file_problem(
                name,
                format!("the header has no `{account_id_column}` column"),
                Some(help),
            );
            // With a schema, reported with the file's other missing columns.
            if schema_in_force.is_some() {
                no_account_id = Some(p);
            } else {
                fatal.push(p);
            }
        }
    }
    if let Some(File {
        body: Body::Csv {
            header, delimiter, ..
        },
        name,
        ..
    }) = &cfile
    {
        if let Some(p) = one_column(name, header, *delimiter) {
            fatal.push(p);
        } else if !header.is_empty() && !header.iter().any(|h| h == id_column) {
            let names = header.iter().map(String::as_str);
            let preset = options
                .preset
                .as_ref()
                .and_then(|p| p.about(id_column, true));
            let help = match (scoreline_model::suggest::closest(id_column, names), preset) {
                (_, Some(preset)) => preset,
                (Some(s), None) => format!("did you mean `{s}`? (the contacts' ids are read from the `{id_column}` column)"),
                (None, None) => format!(
                    "the contacts' ids are read from the `{id_column}` column; rename the id column, or set `id_column`"
                ),
            };
            // Reported with the other missing columns (a preset's, say), once they are known.
            no_id = Some(file_problem(
                name,
                format!("the header has no `{id_column}` column"),
                Some(help),
            ));
        }
    }
    for f in efiles.iter().flatten() {
        if let Body::Csv {
            header, delimiter, ..
        } = &f.body
        {
            if let Some(p) = one_column(f.name, header, *delimiter) {
                fatal.push(p);
                continue;
            }
            if header.is_empty() {
                continue;
            }
            for which in [Fixed::Contact, Fixed::Type, Fixed::At] {
                let Some(col) = f.events.column(which) else {
                    continue;
                };
                if header.iter().any(|h| h == col) {
                    continue;
                }
                let names = header.iter().map(String::as_str);
                let what = match which {
                    Fixed::Contact => "the events' contact ids",
                    Fixed::Type => "the events' types",
                    Fixed::At => "the events' times",
                };
                let help = match scoreline_model::suggest::closest(col, names) {
                    Some(s) => format!("did you mean `{s}`? ({what} are read from the `{col}` column)"),
                    None if col == which.name() => {
                        "an events file has the columns `contact_id`, `type` and `at`, then the event fields; for other names, set `events_columns` (or `contact_id`, `type`, `at` in the file's entry)".into()
                    }
                    None => format!("{what} are read from the `{col}` column; name the right one in `events_columns` or in the file's entry"),
                };
                fatal.push(file_problem(
                    f.name,
                    format!("the header has no `{col}` column"),
                    Some(help),
                ));
            }
        }
    }
    for f in cfile.iter().chain(&afile).chain(efiles.iter().flatten()) {
        if let Body::Csv { header, .. } = &f.body {
            for (c, h) in header.iter().enumerate() {
                if h.is_empty() {
                    warnings.push(at_header(
                        f.name,
                        c,
                        format!("column {} has no name and is ignored", c + 1),
                        None,
                    ));
                }
            }
        }
    }
    if !fatal.is_empty() || (no_id.is_some() && options.schema.is_none()) {
        fatal.extend(no_id);
        return fail(fatal);
    }
    let (Some(cfile), efiles) = (cfile, efiles.into_iter().flatten().collect::<Vec<File>>()) else {
        return fail(fatal);
    };

    // 2. The schema in force: declared, or inferred from every file.
    let mut schema =
        match schema_in_force {
            Some(s) => Schema {
                account: Vec::new(),
                contact: plan::contact_fields(s),
                events: s.events.clone(),
            },
            None => {
                let jobs: Vec<(Option<usize>, usize)> =
                    (0..cfile.chunk_count())
                        .map(|k| (None, k))
                        .chain(efiles.iter().enumerate().flat_map(|(f, file)| {
                            (0..file.chunk_count()).map(move |k| (Some(f), k))
                        }))
                        .collect();
                let parts = par::par_map(&jobs, threads, |&(f, k)| match f {
                    None => contacts::infer_chunk(&cfile, k, id_column),
                    Some(f) => (InferTable::default(), events::infer_chunk(&efiles[f], k)),
                });
                let mut table = InferTable::default();
                let mut evs = InferEvents::default();
                if let Body::Csv { header, .. } = &cfile.body {
                    for h in header.iter().filter(|h| !h.is_empty() && *h != id_column) {
                        table.col(h);
                    }
                }
                for (t, e) in &parts {
                    table.merge(t);
                    evs.merge(e);
                }
                comma_hints(&cfile, &efiles, &table, &evs, &mut warnings);
                plan::inferred_schema(&table, &evs)
            }
        };
    // Accounts: their fields (declared, inferred from the accounts file, or `id` alone when
    // they are implied by the links), and the contacts' link field.
    let mut link_field = None;
    if build_accounts {
        schema.account = match (schema_in_force, &afile) {
            (Some(s), _) => plan::account_fields(s),
            (None, Some(af)) => {
                let jobs: Vec<usize> = (0..af.chunk_count()).collect();
                let parts = par::par_map(&jobs, threads, |&k| {
                    contacts::infer_chunk(af, k, &account_id_column).0
                });
                let mut table = InferTable::default();
                if let Body::Csv { header, .. } = &af.body {
                    for h in header
                        .iter()
                        .filter(|h| !h.is_empty() && **h != account_id_column)
                    {
                        table.col(h);
                    }
                }
                for t in &parts {
                    table.merge(t);
                }
                plan::inferred_accounts(&table)
            }
            (None, None) => vec![plan::id_field()],
        };
        let link = options.accounts.link.as_str();
        link_field = schema
            .contact
            .iter()
            .position(|f| f.name == link)
            .filter(|&i| i > 0);
        match link_field {
            // Links are texts, compared exactly: an inferred column of numbers is read as text.
            Some(i) if schema_in_force.is_none() => schema.contact[i].ty = FieldType::Text,
            Some(_) => {}
            None => fatal.push(no_link(&cfile, link, schema_in_force.is_some())),
        }
        if afile.is_none() {
            let from = if account_input.is_some() { 0 } else { 1 };
            for f in schema.account.iter().skip(from).filter(|f| !f.optional) {
                fatal.push(At::default().problem(
                    cfile.name,
                    format!(
                        "the schema's account field `{}` is required, but there is no accounts file",
                        f.name
                    ),
                    Some(format!(
                        "make it optional (`{}: {}?`), or give the accounts file (`data.accounts` in scoreline.yaml, or `--accounts FILE`)",
                        f.name,
                        f.ty.name()
                    )),
                ));
            }
        }
        if !fatal.is_empty() {
            fatal.extend(no_account_id.take());
            return fail(fatal);
        }
    }
    let cplan = ContactPlan::new(schema.contact.clone(), id_column).with_link(link_field);
    let aplan = ContactPlan::new(schema.account.clone(), &account_id_column).for_accounts();
    // Types set aside follow the schema's, with no properties.
    let aside: Vec<String> = options
        .set_aside
        .iter()
        .filter(|t| schema.event(t).is_none())
        .fold(Vec::new(), |mut names, t| {
            if !names.contains(t) {
                names.push(t.clone());
            }
            names
        });
    let aside_from = schema.events.len();
    let mut specs = schema.events.clone();
    specs.extend(aside.iter().map(|name| crate::model::EventSpec {
        name: name.clone(),
        fields: Vec::new(),
    }));
    let eplan = EventPlan::new(specs, options.schema.is_some(), aside_from);
    // A file's one event type must be the schema's (after `event_types`).
    if options.schema.is_some() {
        for f in &efiles {
            if let TypeFrom::Fixed(Datum::Text(t)) = &f.events.ty {
                if eplan.lookup(f.events.type_name(t).as_bytes()).is_none() {
                    let (message, help) = eplan.unknown(t);
                    fatal.push(At::default().problem(
                        f.name,
                        format!("{message} (the file's `type`)"),
                        help,
                    ));
                }
            }
        }
        if !fatal.is_empty() {
            fatal.extend(no_id.take());
            return fail(fatal);
        }
    }
    if options.schema.is_some() {
        check_columns(
            &cfile,
            &efiles,
            (&cplan, &eplan),
            options.preset.as_ref(),
            &mut fatal,
            &mut warnings,
        );
        if let Some(af) = &afile {
            fatal.extend(no_account_id.take());
            check_table(af, &aplan, None, &mut fatal, &mut warnings);
        }
        if let Some(p) = no_id.take() {
            fatal.insert(0, p);
        }
        if !fatal.is_empty() {
            return fail(fatal);
        }
    }

    // 3. Contacts, in parallel chunks, then in order: ids and duplicates.
    let given = cfile.given();
    let jobs: Vec<usize> = (0..cfile.chunk_count()).collect();
    let outs = par::par_map(&jobs, threads, |&k| {
        contacts::read_chunk(&cfile, k, &cplan, &eplan, skip)
    });
    let total: usize = outs.iter().map(|o| o.contacts.len()).sum();
    let mut all_contacts = Vec::with_capacity(total);
    let mut first_line: Vec<u32> = Vec::with_capacity(total);
    let mut ids = Ids::default();
    ids.index.reserve(total);
    let mut inline = EventOut::default();
    let mut problems = Vec::new();
    let mut skipped = Vec::new();
    // The accounts, read before the contacts are taken in order: a contact linking to an
    // account set aside is set aside with it.
    let mut account_rows = None;
    let mut book = if !build_accounts {
        None
    } else if let Some(af) = &afile {
        let empty = EventPlan::new(Vec::new(), true, 0);
        let jobs: Vec<usize> = (0..af.chunk_count()).collect();
        let outs = par::par_map(&jobs, threads, |&k| {
            contacts::read_chunk(af, k, &aplan, &empty, skip)
        });
        let (book, records) = AccountBook::read(
            af,
            outs,
            schema.account.len(),
            skip,
            (&mut problems, &mut skipped, &mut warnings),
        );
        account_rows = Some(FileRows {
            file: af.name.to_string(),
            rows: records,
            skipped: records.saturating_sub(book.rows.len()),
        });
        Some(book)
    } else {
        Some(AccountBook::implied(schema.account.len()))
    };
    let mut of_contact: Vec<u32> = Vec::new();
    let mut base = cfile.first_base();
    let contact_rows: usize = outs.iter().map(|o| o.records).sum();
    for mut out in outs {
        let shift = if cfile.relative_lines() { base } else { 0 };
        base += out.newlines;
        out.sink.shift(shift);
        out.sink.name_columns(cfile.csv_header());
        let mut local = Vec::with_capacity(out.contacts.len());
        let mut inline_counts: Option<Vec<u32>> = None;
        for (k, contact) in out.contacts.into_iter().enumerate() {
            let (line, column) = out.id_pos[k];
            let line = if line > 0 { line + shift } else { 0 };
            if let Some(Value::Text(id)) = contact.fields.first() {
                match ids.index.entry(id.clone()) {
                    Entry::Occupied(e) => {
                        // For records given as values, `line` is the record's index + 1.
                        let first = first_line[*e.get() as usize];
                        let help = match first {
                            0 => "each contact needs its own id".into(),
                            n if given => format!(
                                "the id is first used by record {n}; each contact needs its own id"
                            ),
                            n => format!(
                                "the id is first used at line {n}; each contact needs its own id"
                            ),
                        };
                        let message =
                            format!("duplicate contact id `{}`", crate::cell::shorten(id));
                        if skip {
                            let counts = inline_counts.get_or_insert_with(|| {
                                let mut c = vec![0u32; local.capacity()];
                                for &i in &out.inline.contact {
                                    if let Some(x) = c.get_mut(i as usize) {
                                        *x += 1;
                                    }
                                }
                                c
                            });
                            let n = counts.get(k).copied().unwrap_or(0);
                            let mut reason = message;
                            if n > 0 {
                                let s = if n == 1 { "" } else { "s" };
                                reason.push_str(&format!(
                                    " (its {n} inline event{s} are set aside with it)"
                                ));
                            }
                            let raw = contacts::raw_text(&cfile, &out.raws[k]);
                            skipped.push(SkippedRow {
                                file: cfile.name.to_string(),
                                line,
                                record: None,
                                reason,
                                raw,
                            });
                        } else {
                            let at = if given {
                                At {
                                    record: Some(Box::new(RecordAt {
                                        index: line as usize - 1,
                                        key: Some(id.to_string()),
                                        event: None,
                                        field: Some(id_column.to_string()),
                                        row: cfile.rows(),
                                    })),
                                    ..At::default()
                                }
                            } else {
                                At::line((line > 0).then_some(line), (column > 0).then_some(column))
                            };
                            let mut problem = at.problem(cfile.name, message, Some(help));
                            if let (Some(header), Some(c)) = (cfile.csv_header(), problem.column) {
                                problem.column_name = header.get(c as usize - 1).cloned();
                            }
                            problems.push(problem);
                        }
                        local.push(None);
                        continue;
                    }
                    Entry::Vacant(v) => {
                        if let (Some(book), Some(f)) = (book.as_mut(), link_field) {
                            let (lline, lcol) = out.link_pos.get(k).copied().unwrap_or((0, 0));
                            let lline = if lline > 0 { lline + shift } else { 0 };
                            let (message, help) = match book.link(&contact.fields[f]) {
                                Link::None => {
                                    of_contact.push(NO_ACCOUNT);
                                    None
                                }
                                Link::Account(a) => {
                                    of_contact.push(a);
                                    None
                                }
                                Link::Skipped(reason) => {
                                    let account = match &contact.fields[f] {
                                        Value::Text(t) => crate::cell::shorten(t),
                                        _ => String::new(),
                                    };
                                    Some((
                                        format!("its account `{account}` is set aside ({reason})"),
                                        None,
                                    ))
                                }
                                Link::Unknown(message, help) => Some((message, help)),
                            }
                            .map_or((None, None), |(m, h)| (Some(m), h));
                            if let Some(message) = message {
                                if skip {
                                    let counts = inline_counts.get_or_insert_with(|| {
                                        let mut c = vec![0u32; local.capacity()];
                                        for &i in &out.inline.contact {
                                            if let Some(x) = c.get_mut(i as usize) {
                                                *x += 1;
                                            }
                                        }
                                        c
                                    });
                                    let n = counts.get(k).copied().unwrap_or(0);
                                    let mut reason = message;
                                    if n > 0 {
                                        let s = if n == 1 { "" } else { "s" };
                                        reason.push_str(&format!(
                                            " (its {n} inline event{s} are set aside with it)"
                                        ));
                                    }
                                    ids.skipped.entry(id.clone()).or_insert(reason.clone());
                                    skipped.push(SkippedRow {
                                        file: cfile.name.to_string(),
                                        line,
                                        record: None,
                                        reason,
                                        raw: contacts::raw_text(&cfile, &out.raws[k]),
                                    });
                                    local.push(None);
                                    continue;
                                }
                                let link = &cplan.names[f];
                                let at = if given {
                                    At {
                                        record: Some(Box::new(RecordAt {
                                            index: lline.max(1) as usize - 1,
                                            key: Some(id.to_string()),
                                            event: None,
                                            field: Some(link.clone()),
                                            row: cfile.rows(),
                                        })),
                                        ..At::default()
                                    }
                                } else {
                                    At::line(
                                        (lline > 0).then_some(lline),
                                        (lcol > 0).then_some(lcol),
                                    )
                                };
                                let mut problem = at.problem(cfile.name, message, help);
                                if let (Some(header), Some(c)) =
                                    (cfile.csv_header(), problem.column)
                                {
                                    problem.column_name = header.get(c as usize - 1).cloned();
                                }
                                problems.push(problem);
                                of_contact.push(NO_ACCOUNT);
                            }
                        }
                        v.insert(all_contacts.len() as u32);
                    }
                }
            } else if book.is_some() {
                of_contact.push(NO_ACCOUNT);
            }
            local.push(Some(all_contacts.len() as u32));
            ids.order.push(match contact.fields.first() {
                Some(Value::Text(id)) => id.clone(),
                _ => std::sync::Arc::from(""),
            });
            all_contacts.push(contact);
            first_line.push(line);
        }
        for (id, reason) in out.skipped_ids {
            ids.skipped.entry(id).or_insert(reason);
        }
        inline.append_mapped(out.inline, |c| local.get(c as usize).copied().flatten());
        problems.append(&mut out.sink.problems);
        skipped.append(&mut out.sink.skipped);
        warnings.append(&mut out.sink.warnings);
    }
    drop(first_line);
    // The contacts file is read: what is left to know of it.
    let (cname, cgiven) = (cfile.name.to_string(), cfile.given());
    drop(cfile);
    drop(ctext);
    drop(own);
    let accounts = match book {
        Some(book) => crate::model::Accounts {
            rows: book.into_rows(),
            of_contact,
        },
        None => crate::model::Accounts::default(),
    };

    // 4. Events files, in parallel chunks, then grouped by contact; a file read in blocks
    // has its head's chunks first, then each block's, parsed as the next is read.
    let jobs: Vec<(usize, usize)> = efiles
        .iter()
        .enumerate()
        .flat_map(|(f, file)| (0..file.chunk_count()).map(move |k| (f, k)))
        .collect();
    let outs = par::par_map(&jobs, threads, |&(f, k)| {
        events::read_chunk(&efiles[f], k, &eplan, &ids, skip)
    });
    let mut files: Vec<FileRows> = std::iter::once(FileRows {
        file: cname.clone(),
        rows: contact_rows,
        skipped: contact_rows.saturating_sub(all_contacts.len()),
    })
    .chain(efiles.iter().map(|f| FileRows {
        file: f.name.to_string(),
        ..FileRows::default()
    }))
    .collect();
    let mut bases: Vec<u32> = efiles.iter().map(File::first_base).collect();
    // Takes one chunk's events, in file order, after the contacts' inline events. They go
    // into one set of large arrays (not one per chunk): freed at once when grouped, their memory goes back to the system instead
    // of staying with the allocator, in pieces, while the events are scored.
    let mut unread = Vec::new();
    let mut file_events = inline;
    let mut parts = Vec::new();
    let mut take = in_order(|f: usize, mut out: events::EventChunk| {
        let counts = &mut files[f + 1];
        counts.rows += out.records;
        // What the file held and was not kept was set aside (else the load fails below).
        counts.skipped += out.records.saturating_sub(out.events.len());
        let shift = if efiles[f].relative_lines() {
            bases[f]
        } else {
            0
        };
        bases[f] += out.newlines;
        out.sink.shift(shift);
        out.sink.name_columns(efiles[f].csv_header());
        file_events.append(out.events);
        problems.append(&mut out.sink.problems);
        skipped.append(&mut out.sink.skipped);
        warnings.append(&mut out.sink.warnings);
    });
    let mut outs = jobs.iter().zip(outs).peekable();
    let mut tails = tails;
    tails.resize_with(efiles.len(), || None);
    for (f, tail) in tails.into_iter().enumerate() {
        while let Some((_, out)) = outs.next_if(|((g, _), _)| *g == f) {
            take(f, out);
        }
        if let (Some(mut tail), Some(observe)) = (tail, observe) {
            tail.quoted = !efiles[f].csv_plain();
            let read = stream::events(
                tail,
                &efiles[f],
                (&eplan, &ids),
                (skip, threads, chunk),
                observe,
                &mut |out| take(f, out),
            );
            unread.extend(read.err());
        }
    }
    problems.append(&mut unread);
    parts.push(file_events);
    // A million ids are a million reference counts to drop and a large map to free: done
    // on a thread of its own, while the events are grouped.
    if ids.order.len() >= 100_000 {
        let _ = std::thread::Builder::new()
            .name("scoreline-free".into())
            .spawn(move || drop(ids));
    } else {
        drop(ids);
    }

    sort_problems(&mut warnings, &order);
    warnings.dedup_by(|a, b| a.file == b.file && a.message == b.message);
    if !problems.is_empty() {
        // Without skip-bad-rows, these are problems of rows (with it, only those that fail
        // whatever rows are set aside are left).
        let mut e = LoadError::from_problems(problems, &order);
        e.in_rows = !skip;
        return Err(e);
    }
    let rank = |f: &str| order.iter().position(|x| x == f).unwrap_or(usize::MAX);
    skipped.sort_by_key(|s| (rank(&s.file), s.line));
    // Rows of records given as values were numbered by record: they have no line.
    let given: Vec<&str> = std::iter::once(cgiven.then_some(cname.as_str()))
        .flatten()
        .chain(
            afile
                .iter()
                .chain(&efiles)
                .filter(|f| f.given())
                .map(|f| f.name),
        )
        .collect();
    for s in skipped
        .iter_mut()
        .filter(|s| given.contains(&s.file.as_str()))
    {
        s.record = s.line.checked_sub(1).map(|i| i as usize);
        s.line = 0;
    }
    files.extend(account_rows);
    Ok(Records {
        schema,
        contacts: all_contacts,
        accounts,
        parts,
        skipped,
        warnings,
        files,
        threads,
        aside_from,
        aside,
    })
}

/// `f`, taking chunks of any lifetime (a block's chunks live only while it is parsed).
fn in_order<F: FnMut(usize, events::EventChunk<'_>)>(f: F) -> F {
    f
}

/// An input ready to be opened: a file's source in UTF-8, records given as values, or a
/// table's rows.
enum Text<'s> {
    File(Cow<'s, Source>),
    Records(&'s RecordSet),
    Table(&'s crate::table::Table),
}

impl Text<'_> {
    /// The input's structure (see [`decode::open`]), read in its dialect.
    fn open(&self, chunk: usize, dialect: &Dialect) -> Result<File<'_>, DataProblem> {
        match self {
            Text::File(s) => decode::open(s, chunk, dialect),
            Text::Records(r) => Ok(decode::given(r, chunk)),
            Text::Table(t) => Ok(decode::table(t, chunk)),
        }
    }
}

/// Where the fixed fields of events file `i` are: its entry's settings over
/// `events_columns`, the names compared in NFC.
fn event_cols(
    options: &LoadOptions,
    i: usize,
    aliases: &std::sync::Arc<crate::fxhash::FxHashMap<String, String>>,
) -> EventCols {
    let own = options.events_files.get(i);
    let base = &options.events_columns;
    let pick = |own: Option<&String>, base: &str| {
        crate::model::column_key(own.map_or(base, String::as_str)).into_owned()
    };
    EventCols {
        contact_id: pick(own.and_then(|f| f.contact_id.as_ref()), &base.contact_id),
        at: pick(own.and_then(|f| f.at.as_ref()), &base.at),
        ty: match own.and_then(|f| f.event_type.clone()) {
            Some(t) => TypeFrom::Fixed(Datum::Text(t)),
            None => TypeFrom::Column(pick(
                own.and_then(|f| f.type_column.as_ref()),
                &base.type_column,
            )),
        },
        aliases: std::sync::Arc::clone(aliases),
    }
}

/// A source whose bytes are UTF-8 (see [`Source::to_utf8`]). A UTF-8 file read in another
/// encoding (its accents would be garbled) gets a warning.
fn in_utf8<'s>(
    source: &'s Source,
    dialect: &Dialect,
    warnings: &mut Vec<DataProblem>,
) -> Result<Cow<'s, Source>, DataProblem> {
    let encoding = dialect.encoding;
    let text = source.to_utf8(encoding)?;
    if matches!(text, Cow::Owned(_))
        && !encoding.is_utf8()
        && !source.bytes.is_ascii()
        && std::str::from_utf8(&source.bytes).is_ok()
    {
        warnings.push(At::default().problem(
            &source.name,
            format!(
                "the file is read as `{}` text, but it looks like UTF-8: accented letters may come out wrong",
                encoding.name()
            ),
            Some("if the file is UTF-8, remove the `encoding` setting".into()),
        ));
    }
    Ok(text)
}

/// A CSV header read as one single column whose name holds another delimiter: the file's
/// cells are separated by that one (detection was misled, or the setting is wrong).
fn one_column(file: &str, header: &[String], delimiter: Delimiter) -> Option<DataProblem> {
    let [only] = header else { return None };
    let other = Delimiter::ALL
        .into_iter()
        .filter(|d| *d != delimiter)
        .max_by_key(|d| only.bytes().filter(|&b| b == d.byte()).count())
        .filter(|d| only.as_bytes().contains(&d.byte()))?;
    let setting = match other {
        Delimiter::Tab => "`delimiter: tab` (or `--delimiter tab`)".to_string(),
        d => format!("`delimiter: \"{0}\"` (or `--delimiter '{0}'`)", d.name()),
    };
    let shown = crate::cell::shorten(&only.replace('\t', "\\t"));
    Some(file_problem(
        file,
        format!(
            "the header is read as one single column `{shown}`, which holds `{}`",
            if other == Delimiter::Tab {
                "\\t"
            } else {
                other.name()
            }
        ),
        Some(format!(
            "the cells seem to be separated by {}, not {}: set {setting}",
            delimiter_words(other),
            delimiter_words(delimiter)
        )),
    ))
}

fn delimiter_words(d: Delimiter) -> &'static str {
    match d {
        Delimiter::Comma => "`,`",
        Delimiter::Semicolon => "`;`",
        Delimiter::Tab => "tabs",
    }
}

/// Warnings for inferred columns read as text whose values all look like numbers written
/// with a decimal comma: without `decimal: ","`, rules comparing them with numbers never hold.
fn comma_hints(
    cfile: &File,
    efiles: &[File],
    table: &InferTable,
    evs: &InferEvents,
    warnings: &mut Vec<DataProblem>,
) {
    let mut warn = |file: &File, name: &str| {
        let Body::Csv { header, .. } = &file.body else {
            return false;
        };
        let Some(c) = header.iter().position(|h| h == name) else {
            return false;
        };
        warnings.push(at_header(
            file.name,
            c,
            format!("column `{name}` is read as text, but its values look like numbers with a decimal comma"),
            Some("to read them as numbers, set `decimal: \",\"` (and `thousands`, if they have one)".into()),
        ));
        true
    };
    for (name, inf) in table.names.iter().zip(&table.cols) {
        if inf.looks_like_comma_numbers() {
            warn(cfile, name);
        }
    }
    for t in &evs.props {
        for (name, inf) in t.names.iter().zip(&t.cols) {
            if inf.looks_like_comma_numbers() {
                // The first events file with such a column.
                efiles.iter().any(|f| warn(f, name));
            }
        }
    }
}

fn file_problem(file: &str, message: String, help: Option<String>) -> DataProblem {
    At::line(Some(1), None).problem(file, message, help)
}

fn at_header(file: &str, column: usize, message: String, help: Option<String>) -> DataProblem {
    At::line(Some(1), Some(column as u32 + 1)).problem(file, message, help)
}

/// With a schema: CSV columns of required fields must be there; other columns are ignored
/// with a warning.
fn check_columns(
    cfile: &File,
    efiles: &[File],
    (cplan, eplan): (&ContactPlan, &EventPlan),
    preset: Option<&PresetHint>,
    fatal: &mut Vec<DataProblem>,
    warnings: &mut Vec<DataProblem>,
) {
    check_table(cfile, cplan, preset, fatal, warnings);
    check_event_columns(efiles, eplan, preset, fatal, warnings);
}

/// The help for a column or field the schema does not have.
pub(crate) fn declare_help(accounts: bool) -> &'static str {
    if accounts {
        "declare it in the `account` block of the ruleset's `schema` to use it"
    } else {
        "declare it in the ruleset's `schema` block to use it"
    }
}

/// With accounts, the contacts lack the link field: the problem (at the contacts file's
/// header when it is CSV).
fn no_link(cfile: &File, link: &str, declared: bool) -> DataProblem {
    let set = "or name the link with `data.account_column` in scoreline.yaml (`--account-column`)";
    if declared {
        return At::default().problem(
            cfile.name,
            format!(
                "the schema has no contact field `{link}`, which links each contact to its account"
            ),
            Some(format!(
                "declare `{link}: text?` in the schema's `contact` block, {set}"
            )),
        );
    }
    let help = match cfile.csv_header() {
        Some(header) => match scoreline_model::suggest::closest(link, header.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`? (each contact's account is read from the `{link}` column; {set})"),
            None => format!("each contact's account is read from the `{link}` column: add it, {set}"),
        },
        None => format!("each contact's account is read from its `{link}` field: add it, {set}"),
    };
    let at = if cfile.csv_header().is_some() {
        At::line(Some(1), None)
    } else {
        At::default()
    };
    let message = match cfile.csv_header() {
        Some(_) => format!("the header has no `{link}` column"),
        None => format!("no contact has a `{link}` field"),
    };
    at.problem(cfile.name, message, Some(help))
}

/// With a schema: the CSV columns of a contacts or accounts file's required fields must be
/// there; other columns are ignored with a warning.
fn check_table(
    cfile: &File,
    cplan: &ContactPlan,
    preset: Option<&PresetHint>,
    fatal: &mut Vec<DataProblem>,
    warnings: &mut Vec<DataProblem>,
) {
    if let Body::Csv { header, .. } = &cfile.body {
        if !header.is_empty() {
            let cols = contacts::field_columns(cplan, header);
            let names: Vec<&str> = header.iter().map(String::as_str).collect();
            for (f, spec) in cplan.fields.iter().enumerate().skip(1) {
                if cols[f].is_some() {
                    continue;
                }
                let column = &cplan.names[f];
                if spec.column.is_some() {
                    // A column named with `from` must be there, even for an optional field.
                    fatal.push(missing_from(cfile.name, spec, column, &names, preset));
                } else if !spec.optional {
                    let help = match scoreline_model::suggest::closest(column, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`? (the schema declares `{}: {}`)", spec.name, spec.ty.name()),
                        None => format!(
                            "add the column, or declare the field `{}: {}?` to allow missing values",
                            spec.name,
                            spec.ty.name()
                        ),
                    };
                    fatal.push(file_problem(
                        cfile.name,
                        format!("the header has no `{column}` column"),
                        Some(help),
                    ));
                }
            }
            for (c, h) in header.iter().enumerate() {
                if !h.is_empty() && !cols.contains(&Some(c)) {
                    warnings.push(at_header(
                        cfile.name,
                        c,
                        format!("column `{h}` is not in the schema and is ignored"),
                        Some(declare_help(cplan.accounts).into()),
                    ));
                }
            }
        }
    }
}

/// With a schema: event properties named with `from` must have their columns; other columns
/// are ignored with a warning.
fn check_event_columns(
    efiles: &[File],
    eplan: &EventPlan,
    preset: Option<&PresetHint>,
    fatal: &mut Vec<DataProblem>,
    warnings: &mut Vec<DataProblem>,
) {
    // An event property named with `from`: some CSV events file must have its column.
    let csv_events: Vec<(&str, &Vec<String>)> = efiles
        .iter()
        .filter_map(|f| match &f.body {
            Body::Csv { header, .. } if !header.is_empty() => Some((f.name, header)),
            _ => None,
        })
        .collect();
    if let Some((first, header)) = csv_events.first() {
        for (t, spec) in eplan.specs.iter().enumerate() {
            for (p, field) in spec.fields.iter().enumerate() {
                let column = &eplan.names[t][p];
                if field.column.is_some() && !csv_events.iter().any(|(_, h)| h.contains(column)) {
                    let names: Vec<&str> = header.iter().map(String::as_str).collect();
                    fatal.push(missing_from(first, field, column, &names, preset));
                }
            }
        }
    }
    for f in efiles {
        if let Body::Csv { header, .. } = &f.body {
            let Some(layout) = events::CsvLayout::new(header, &f.events) else {
                continue;
            };
            for &c in &layout.props {
                let used = eplan.names.iter().any(|names| names.contains(&header[c]));
                if !used {
                    warnings.push(at_header(
                        f.name,
                        c,
                        format!(
                            "column `{}` is not a field of any event in the schema and is ignored",
                            header[c]
                        ),
                        Some(
                            "declare it in an `event` of the ruleset's `schema` block to use it"
                                .into(),
                        ),
                    ));
                }
            }
        }
    }
}

/// A column named by a schema field's `from` that the header lacks.
fn missing_from(
    file: &str,
    spec: &crate::model::FieldSpec,
    column: &str,
    header: &[&str],
    preset: Option<&PresetHint>,
) -> DataProblem {
    let reads = format!("the schema reads `{}` from it", spec.name);
    let help = match (
        scoreline_model::suggest::closest(column, header.iter().copied()),
        preset.and_then(|p| p.about(column, false)),
    ) {
        (_, Some(preset)) => preset,
        (Some(s), None) => format!("did you mean `{s}`? ({reads})"),
        (None, None) => format!(
            "{reads}; the header has {}",
            scoreline_model::suggest::list(header, 8)
        ),
    };
    file_problem(
        file,
        format!("the header has no `{column}` column"),
        Some(help),
    )
}
