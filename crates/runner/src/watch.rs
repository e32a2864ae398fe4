//! `scoreline watch`: a full run, then a watch on the rule file, its plugins, the data files
//! and `scoreline.yaml`; each change reloads only what changed, rescores, writes the outputs
//! atomically and prints one status line. A change that fails keeps the last good state.

pub mod changes;
pub mod files;
pub mod growth;
pub mod incremental;
pub mod status;

use crate::failure::Message as ErrorMessage;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scoreline_data::{Dataset, OutputMeta, Source};
use scoreline_engine::{AsOf, EvalOptions, Evaluation, PartitionStatistics, Plan};
use scoreline_syntax::ast::{Item, RuleFile};
use scoreline_syntax::SourceFile;

use crate::manifest::{self, Input, InputHash};
use crate::output::{
    write_explanations, write_manifest, OutputFlags, Outputs, RenderedScores, Written,
};
use crate::pipeline::{
    check_source, parse_as_of, render_problems, resolve, Failure, Ruleset, Settings,
};
use crate::score::{score, thread_pool, ScoreOptions, Scored};
use crate::sources::{io_reason, read_source, PluginCache, PluginFiles};
use crate::Inputs;

use changes::{Columns, FeedStamp};
use files::{path_key, FileRole, FolderWatch, Hint, Message, WatchedFiles};
use growth::Growth;
use status::{Move, Outcome, Status};

/// How `scoreline watch` runs.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub inputs: Inputs,
    pub outputs: OutputFlags,
    /// Status lines as NDJSON instead of text.
    pub json_status: bool,
    /// Poll the files instead of waiting for the system's change events.
    pub poll: bool,
    /// How long the files must stay quiet before a change still being written (or one in
    /// a burst of saves) is handled.
    pub debounce: Duration,
    /// Write the scores even when plugin calls fail (their values missing).
    pub allow_plugin_errors: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            inputs: Inputs::default(),
            outputs: OutputFlags::default(),
            json_status: false,
            poll: false,
            debounce: Duration::from_millis(50),
            allow_plugin_errors: false,
        }
    }
}

/// Runs the watcher until Ctrl-C or SIGTERM. `Err` when it cannot start: the command line or
/// the project file leaves nothing to watch, or the files cannot be watched. A cycle that
/// fails is reported ([`crate::console::failure`]) and watching goes on.
pub fn watch(options: WatchOptions) -> Result<(), Failure> {
    let settings = resolve(&options.inputs)?;
    let outputs = Outputs::resolve(&options.outputs, settings.project.as_ref());
    // The watcher follows files on disk, a SQLite database among them; a PostgreSQL server
    // tells no one of its changes: its tables are read by `run` (on a schedule).
    let servers: Vec<String> = std::iter::once(&settings.contacts)
        .chain(&settings.events)
        .chain(&settings.accounts)
        .filter(|p| crate::database::url(p).is_ok_and(|u| u.sqlite_path().is_none()))
        .map(|p| crate::database::shown(p))
        .collect();
    if let Some(first) = servers.first() {
        return Err(Failure::usage(ErrorMessage::new(format!("`scoreline watch` follows files and SQLite databases, not a PostgreSQL server (`{first}`)")).help("run `scoreline run` on a schedule to score from PostgreSQL; the outputs, `--history` and `--changes` may name one")));
    }
    if outputs.scores.is_none() {
        return Err(Failure::usage(
            ErrorMessage::new("`scoreline watch` needs a file to write the scores to")
                .help("pass `--out FILE`, or set `output: scores:` in `scoreline.yaml`"),
        ));
    }
    let (tx, rx) = mpsc::channel();
    if let Err(message) = stop_on_signals(tx.clone()) {
        crate::console::say(format!("warning: {message}"));
    }
    let pace = Pace::new(options.debounce);
    let mut folder_watch = match FolderWatch::start(tx, pace.delay, options.poll) {
        Ok(w) => w,
        Err(message) => {
            return Err(Failure::errors(ErrorMessage::new(format!(
                "cannot watch the files: {message}"
            ))));
        }
    };
    if let Some(feed) = outputs
        .changes
        .as_ref()
        .filter(|f| !crate::database::is_db(f))
    {
        match changes::repair_feed(feed) {
            Ok(0) => {}
            Ok(cut) => warn_cut_line(feed, cut),
            Err(e) => crate::console::say(format!(
                "warning: cannot read `{}`: {}",
                feed.display(),
                io_reason(&e)
            )),
        }
    }
    let mut runner = Runner::new(options, settings, outputs);
    // Watch before the first read, so that no change is missed; again after it, for the
    // plugins the rule file declares.
    runner.rewatch(&mut folder_watch);
    runner.cycle(Change::everything(), vec!["start".into()], Instant::now());
    runner.rewatch(&mut folder_watch);
    crate::console::say(format!(
        "watching {} file{} (Ctrl-C to stop)",
        runner.files.len(),
        if runner.files.len() == 1 { "" } else { "s" }
    ));
    let mut last_change = None;
    while let Some(batch) = pace.next_batch(&rx, &runner.files, last_change) {
        last_change = batch.last;
        // The cycle's time is the runner's own work, from the end of the wait.
        let noticed = Instant::now();
        let (change, names) = runner.classify(&batch);
        if change.is_empty() {
            continue;
        }
        runner.cycle(change, names, noticed);
        runner.rewatch(&mut folder_watch);
    }
    folder_watch.stop();
    Ok(())
}

/// When the runner handles a change: at once when the writers are done with the files it
/// concerns (closed after writing, or renamed into place) — the usual save — and otherwise,
/// or in a burst of saves (changes closer together than the debounce time), once the files
/// have been quiet for the debounce time.
struct Pace {
    /// How long the debouncer holds an event to merge it with those that follow.
    delay: Duration,
    /// How long the files must be quiet while a write may go on, or during a burst.
    quiet: Duration,
    /// In a burst of finished saves that never pauses, the longest wait for a rescore.
    max_wait: Duration,
}

impl Pace {
    fn new(debounce: Duration) -> Pace {
        let quiet = debounce.max(Duration::from_millis(10));
        Pace {
            delay: debounce.min(Duration::from_millis(10)),
            quiet,
            max_wait: (quiet * 4).max(Duration::from_secs(2)),
        }
    }

    /// Waits for the next change to the watched files and gathers the messages that belong
    /// with it; `last_change` is when the previous batch's last change was reported. `None` on
    /// Ctrl-C, SIGTERM, or when the watch has ended.
    fn next_batch(
        &self,
        rx: &Receiver<Message>,
        files: &WatchedFiles,
        last_change: Option<Instant>,
    ) -> Option<Batch> {
        let mut batch = Batch::default();
        while batch.is_empty() {
            if !batch.add(rx.recv().ok()?, files) {
                return None;
            }
        }
        let started = Instant::now();
        // A change that follows the last one closely is part of a burst that goes on.
        let burst = match (last_change, batch.first) {
            (Some(last), Some(first)) => first.saturating_duration_since(last) < self.quiet,
            _ => false,
        };
        loop {
            let wait = match (batch.done(), burst) {
                (false, _) => self.quiet,
                (true, false) => Duration::ZERO,
                (true, true) => self
                    .quiet
                    .min(self.max_wait.saturating_sub(started.elapsed())),
            };
            let message = if wait.is_zero() {
                match rx.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) => return Some(batch),
                    Err(TryRecvError::Disconnected) => return None,
                }
            } else {
                match rx.recv_timeout(wait) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => return Some(batch),
                    Err(RecvTimeoutError::Disconnected) => return None,
                }
            };
            if !batch.add(message, files) {
                return None;
            }
        }
    }
}

/// Sends [`Message::Stop`] on Ctrl-C (SIGINT) and SIGTERM, so that the runner finishes the
/// cycle under way (no half-written output, no temporary file) and exits 0.
#[cfg(unix)]
fn stop_on_signals(tx: Sender<Message>) -> Result<(), String> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("cannot handle Ctrl-C: {}", io_reason(&e)))?;
    std::thread::Builder::new()
        .name("scoreline signals".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                let _ = tx.send(Message::Stop);
            }
        })
        .map_err(|e| format!("cannot handle Ctrl-C: {}", io_reason(&e)))?;
    Ok(())
}

#[cfg(not(unix))]
fn stop_on_signals(_tx: Sender<Message>) -> Result<(), String> {
    Ok(())
}

/// The watched files that messages said changed, gathered for one cycle.
#[derive(Default)]
struct Batch {
    /// Each watched file touched, and whether its writer may still be at work.
    paths: HashMap<PathBuf, bool>,
    rescan: bool,
    /// When the first and the last change to a watched file were reported.
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Batch {
    /// Adds a message (files that are not watched are left out); `false` means stop.
    fn add(&mut self, message: Message, files: &WatchedFiles) -> bool {
        match message {
            Message::Paths(touched, at) => {
                // A database's files count when their content changes: the runner's own
                // reads open the log to write and give it the database's owner.
                let followed = |t: &files::Touched| {
                    files.get(&t.path).is_some()
                        && !(matches!(t.hint, Hint::Attributes | Hint::Closed)
                            && files.is_database(&t.path))
                };
                for t in touched.into_iter().filter(followed) {
                    self.first.get_or_insert(at);
                    self.last = Some(at);
                    let writing = self.paths.entry(t.path).or_insert(false);
                    match t.hint {
                        Hint::Writing => *writing = true,
                        Hint::Written | Hint::Closed => *writing = false,
                        Hint::Attributes => {}
                    }
                }
            }
            Message::Rescan => self.rescan = true,
            Message::Problem(p) => crate::console::say(format!("warning: {p}")),
            Message::Stop => return false,
        }
        true
    }

    fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.rescan
    }

    /// Whether every file's last event said its writer was done with it.
    fn done(&self) -> bool {
        !self.rescan && self.paths.values().all(|writing| !writing)
    }
}

/// What changed in one cycle.
#[derive(Debug, Default, Clone)]
struct Change {
    /// Re-read everything (the first run, a rescan, new settings).
    all: bool,
    project: bool,
    rules: bool,
    /// Plugin files, by key.
    plugins: BTreeSet<PathBuf>,
    /// Data files: 0 is the contacts file, `i + 1` the events file `i`.
    data: BTreeSet<usize>,
}

impl Change {
    fn everything() -> Change {
        Change {
            all: true,
            ..Change::default()
        }
    }

    fn is_empty(&self) -> bool {
        !self.all && !self.project && !self.rules && self.plugins.is_empty() && self.data.is_empty()
    }
}

/// The state in force: the last ruleset, data and outputs that were good.
/// The labels of `evaluation` in the segments of `plan` that have a `keep when` arm: the
/// previous scoring they read. `None` when no segment has one.
fn previous_scoring(
    evaluation: &Evaluation,
    plan: &Plan,
) -> Option<scoreline_engine::PreviousScoring> {
    let sticky = plan.sticky_segment_names();
    if sticky.is_empty() {
        return None;
    }
    let mut previous = scoreline_engine::PreviousScoring::new();
    for segment in sticky {
        let Some(c) = evaluation.columns.iter().position(|n| n == segment) else {
            continue;
        };
        previous.add_segment(segment);
        for row in evaluation.rows() {
            if let (scoreline_data::Value::Text(id), scoreline_data::Value::Text(label)) =
                (&row[0], &row[c])
            {
                previous.insert(segment, id, label);
            }
        }
    }
    Some(previous)
}

struct Good {
    ruleset: Arc<Ruleset>,
    /// The rule file's meaning (its tree without positions or comments) and its plugins' bytes.
    fingerprint: String,
    plan: Arc<Plan>,
    columns: Columns,
    meta: OutputMeta,
    dataset: Arc<Dataset>,
    evaluation: Evaluation,
    /// The population statistics `evaluation` was scored with (each contact's keys).
    statistics: PartitionStatistics,
    /// The scores file's text, as last written.
    rendered: RenderedScores,
    as_of_millis: i64,
    /// Each contact's row by id, for appended events (built after a full rescore).
    index: Option<HashMap<Arc<str>, usize>>,
    /// The data files `dataset` was loaded from, as the manifest describes them.
    inputs: Vec<Input>,
    /// The rows of the skipped rows file written with `dataset`, with `--skip-bad-rows`.
    skipped_rows: Option<usize>,
    /// The accounts' evaluation (LANGUAGE.md §13), when the ruleset has account items.
    accounts: Option<Evaluation>,
}

/// A data input as last read: a file's bytes and their SHA-256 (kept open, so that appended
/// bytes are hashed alone), or a SQLite table's rows and their hash.
#[derive(Clone)]
enum Held {
    File { source: Source, hash: InputHash },
    Table(Arc<scoreline_db::ReadTable>, String),
}

impl Held {
    fn new(source: Source) -> Held {
        let hash = InputHash::of(&source.bytes);
        Held::File { source, hash }
    }

    fn table(rows: scoreline_db::ReadTable) -> Held {
        let hash = rows.sha256();
        Held::Table(Arc::new(rows), hash)
    }

    /// The file's bytes as read (none for a table).
    fn source(&self) -> Option<&Source> {
        match self {
            Held::File { source, .. } => Some(source),
            Held::Table(..) => None,
        }
    }

    fn append(&mut self, tail: &[u8]) {
        if let Held::File { source, hash } = self {
            source.bytes.extend_from_slice(tail);
            hash.append(tail);
        }
    }

    fn sha256(&self) -> String {
        match self {
            Held::File { hash, .. } => hash.hex(),
            Held::Table(_, hash) => hash.clone(),
        }
    }

    /// The input as the loader takes it.
    fn input(&self) -> scoreline_data::Input<'_> {
        match self {
            Held::File { source, .. } => scoreline_data::Input::File(source),
            Held::Table(rows, _) => scoreline_data::Input::Table(&rows.table),
        }
    }
}

/// The SQLite file a data input names, when it is one.
fn sqlite_file(path: &Path) -> Option<PathBuf> {
    let url = crate::database::url(path).ok()?;
    url.sqlite_path().map(Path::to_path_buf)
}

/// Watches a data input: a file, or a SQLite database's file and its write-ahead log (where a
/// commit lands first, in WAL mode), both shown as the database's file (which may hold more
/// than one of the inputs). A database's files are followed for their content only: to read a
/// database in WAL mode, SQLite opens its log to write and gives it the database's owner,
/// which the watch would see at every read, the runner's own included.
fn add_data(files: &mut WatchedFiles, path: &Path, role: FileRole) {
    match sqlite_file(path) {
        Some(db) => {
            let shown = db.display().to_string();
            let mut wal = db.clone().into_os_string();
            wal.push("-wal");
            files.add_database(&db, role.clone(), shown.clone());
            files.add_database(Path::new(&wal), role, shown);
        }
        None => files.add(path, role),
    }
}

struct Runner {
    options: WatchOptions,
    settings: Settings,
    outputs: Outputs,
    files: WatchedFiles,
    /// The plugin files the rule file declared when it last parsed.
    plugin_paths: Vec<PathBuf>,
    plugins: PluginCache,
    /// The rule file as last read.
    rule_source: Option<Arc<SourceFile>>,
    /// The data files as last read (contacts first); `None` when unreadable or not read yet.
    sources: Vec<Option<Held>>,
    /// Whether the data set in force was loaded from exactly `sources`.
    data_synced: bool,
    good: Option<Good>,
    /// The threads every cycle scores on (from `settings.threads`).
    pool: Option<rayon::ThreadPool>,
    /// The problems of the cycle under way, as data: a failed cycle's status line carries them.
    problems: std::cell::RefCell<Vec<serde_json::Value>>,
}

/// A cycle that did not apply: its report has been printed.
struct NotApplied;

impl Runner {
    fn new(options: WatchOptions, settings: Settings, outputs: Outputs) -> Runner {
        let mut runner = Runner {
            options,
            sources: vec![None; source_count(&settings)],
            settings,
            outputs,
            files: WatchedFiles::default(),
            plugin_paths: Vec::new(),
            plugins: PluginCache::new(),
            rule_source: None,
            data_synced: false,
            good: None,
            pool: None,
            problems: Default::default(),
        };
        runner.pool = thread_pool(runner.settings.threads);
        runner.track_files();
        runner
    }

    fn track_files(&mut self) {
        let mut files = WatchedFiles::default();
        if let Some(p) = self.settings.project_file() {
            files.add(&p, FileRole::Project);
        }
        files.add(&self.settings.ruleset, FileRole::Rules);
        for p in &self.plugin_paths {
            files.add(p, FileRole::Plugin);
        }
        add_data(&mut files, &self.settings.contacts, FileRole::Contacts);
        for (i, e) in self.settings.events.iter().enumerate() {
            add_data(&mut files, e, FileRole::Events(i));
        }
        if let Some(a) = &self.settings.accounts {
            add_data(&mut files, a, FileRole::Accounts);
        }
        self.files = files;
    }

    fn rewatch(&mut self, watch: &mut FolderWatch) {
        self.track_files();
        for problem in watch.set_files(&self.files) {
            crate::console::say(&problem);
        }
    }

    /// The change a batch of events stands for, and the names of the files concerned.
    fn classify(&self, batch: &Batch) -> (Change, Vec<String>) {
        if batch.rescan {
            return (Change::everything(), vec!["(every file)".into()]);
        }
        let mut change = Change::default();
        let mut names = Vec::new();
        let mut paths: Vec<&PathBuf> = batch.paths.keys().collect();
        paths.sort();
        for path in paths {
            let Some((roles, name)) = self.files.get(path) else {
                continue;
            };
            for role in roles {
                match role {
                    FileRole::Project => change.project = true,
                    FileRole::Rules => change.rules = true,
                    FileRole::Plugin => {
                        change.plugins.insert(path.clone());
                    }
                    FileRole::Contacts => {
                        change.data.insert(0);
                    }
                    FileRole::Events(i) => {
                        change.data.insert(i + 1);
                    }
                    FileRole::Accounts => {
                        change.data.insert(1 + self.settings.events.len());
                    }
                }
            }
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        (change, names)
    }

    /// Says a stage's failure, and keeps its problems for the status line.
    fn report_failure(&self, f: Failure) {
        self.problems.borrow_mut().extend(f.to_json());
        crate::console::failure(&f);
    }

    /// Says an error message, and keeps it for the status line.
    fn report_message(&self, m: ErrorMessage) {
        self.report_failure(Failure::errors(m));
    }

    /// Handles one change and prints its status line.
    fn cycle(&mut self, change: Change, names: Vec<String>, noticed: Instant) {
        self.problems.borrow_mut().clear();
        let status = match self.apply(change, noticed) {
            Ok(mut status) => {
                status.changed = names;
                status
            }
            Err(NotApplied) => Status {
                diagnostics: std::mem::take(&mut *self.problems.borrow_mut()),
                time: now_text(),
                changed: names,
                outcome: Outcome::Failed,
                incremental: false,
                ms: noticed.elapsed().as_millis() as u64,
                contacts: self.good.as_ref().map_or(0, |g| g.evaluation.len()),
                rescored: 0,
                score_changed: 0,
                segment_changed: 0,
                moves: Vec::new(),
                ruleset_version: self
                    .good
                    .as_ref()
                    .map(|g| g.meta.version.clone())
                    .unwrap_or_default(),
                feed_lines: 0,
            },
        };
        let line = if self.options.json_status {
            status.json()
        } else {
            status.human()
        };
        crate::console::status(&line);
    }

    fn unchanged(&self, noticed: Instant) -> Status {
        let good = self.good.as_ref();
        Status {
            diagnostics: Vec::new(),
            time: now_text(),
            changed: Vec::new(),
            outcome: Outcome::Unchanged,
            incremental: false,
            ms: noticed.elapsed().as_millis() as u64,
            contacts: good.map_or(0, |g| g.evaluation.len()),
            rescored: 0,
            score_changed: 0,
            segment_changed: 0,
            moves: Vec::new(),
            ruleset_version: good.map(|g| g.meta.version.clone()).unwrap_or_default(),
            feed_lines: 0,
        }
    }

    fn apply(&mut self, mut change: Change, noticed: Instant) -> Result<Status, NotApplied> {
        // 1. The project file: new settings mean re-reading everything.
        if change.project && !change.all {
            let settings = resolve(&self.options.inputs).map_err(|f| {
                self.report_failure(f);
                NotApplied
            })?;
            let outputs = Outputs::resolve(&self.options.outputs, settings.project.as_ref());
            if outputs.scores.is_none() {
                self.report_message(
                    ErrorMessage::new("`scoreline.yaml` no longer names a scores file")
                        .help("set `output: scores:`, or pass `--out FILE`"),
                );
                return Err(NotApplied);
            }
            if !same_settings(&settings, &self.settings) || outputs != self.outputs {
                if settings.threads != self.settings.threads {
                    self.pool = thread_pool(settings.threads);
                }
                self.settings = settings;
                self.outputs = outputs;
                change.all = true;
            }
        }
        if change.all {
            self.plugins.clear();
            self.rule_source = None;
            self.sources = vec![None; source_count(&self.settings)];
            self.data_synced = false;
        }

        // 2. The rule file and its plugins.
        // Without a good state yet (the first run failed), every change checks the rules again.
        let mut recheck =
            change.all || change.rules || self.rule_source.is_none() || self.good.is_none();
        for key in &change.plugins {
            let before = self.plugins.len();
            let current = std::fs::read(key).ok();
            self.plugins.retain(|(path, _), plugin| {
                path_key(path) != *key || current.as_deref() == Some(&plugin.bytes[..])
            });
            // A plugin that failed before is not in the cache: check again in any case.
            if self.plugins.len() != before || self.plugin_paths.iter().any(|p| path_key(p) == *key)
            {
                recheck = true;
            }
        }
        if change.rules || self.rule_source.is_none() {
            match read_source(&self.settings.ruleset) {
                Ok(source) => self.rule_source = Some(source),
                Err(e) => {
                    self.report_message(e.0);
                    return Err(NotApplied);
                }
            }
        }
        let candidate = if recheck {
            let source = self.rule_source.clone().ok_or(NotApplied)?;
            let files = PluginFiles::with_compiled(
                &self.settings.ruleset,
                self.settings.limits.clone().unwrap_or_default(),
                self.plugins.clone(),
            );
            let checked = check_source(source, files);
            if let Some(ast) = &checked.ast {
                self.plugin_paths = plugin_paths(ast, &checked.plugins);
            }
            self.plugins = checked.plugins.compiled();
            let (ruleset, warnings) = Ruleset::from_checked(&self.settings.ruleset, checked)
                .map_err(|f| {
                    self.report_failure(f);
                    NotApplied
                })?;
            if !warnings.is_empty() {
                crate::console::say(&warnings);
            }
            let fingerprint = fingerprint(&ruleset, &self.plugins);
            Some((ruleset, fingerprint))
        } else {
            None
        };
        let rules_changed = match (&candidate, &self.good) {
            (Some((_, f)), Some(good)) => *f != good.fingerprint,
            (Some(_), None) => true,
            (None, _) => false,
        };

        // 3. The data files: read the ones that changed, keep the ones whose bytes differ. A
        // file held in memory is compared with the disk without being read into memory again,
        // and lines appended to it are all that is read.
        let wanted: Vec<usize> = (0..self.sources.len())
            .filter(|i| change.all || change.data.contains(i) || self.sources[*i].is_none())
            .collect();
        // Whether the data set in force was loaded from the bytes held before this change.
        let was_synced = self.data_synced;
        let mut changed_data = BTreeSet::new();
        let mut appended: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut unreadable = Vec::new();
        let mut failed_tables = Vec::new();
        for i in wanted {
            let path = self.data_path(i).to_path_buf();
            if crate::database::is_db(&path) {
                // A table is read again whole; its rows' hash says whether they changed.
                match crate::database::table(&path, &self.data_key(i), &[]) {
                    Ok(rows) => {
                        let held = Held::table(rows);
                        let same = self.sources[i]
                            .as_ref()
                            .is_some_and(|old| old.sha256() == held.sha256());
                        if !same {
                            changed_data.insert(i);
                            self.sources[i] = Some(held);
                        }
                    }
                    Err(problem) => {
                        failed_tables.push(problem);
                        self.sources[i] = None;
                    }
                }
                continue;
            }
            let growth = match self.sources[i].as_ref().and_then(Held::source) {
                // A file that cannot be read is read in full below, which reports why.
                Some(held) => growth::growth(&path, &held.bytes).unwrap_or(Growth::Rewritten),
                None => Growth::Rewritten,
            };
            match growth {
                Growth::Same => {}
                Growth::Appended(tail) => {
                    if let Some(held) = &mut self.sources[i] {
                        held.append(&tail);
                    }
                    changed_data.insert(i);
                    appended.push((i, tail));
                }
                Growth::Rewritten => match Source::read(&path) {
                    Ok(source) => {
                        let same = self.sources[i]
                            .as_ref()
                            .and_then(Held::source)
                            .is_some_and(|old| old.bytes == source.bytes);
                        if !same {
                            changed_data.insert(i);
                            self.sources[i] = Some(Held::new(source));
                        }
                    }
                    Err(problem) => {
                        unreadable.push(problem);
                        self.sources[i] = None;
                    }
                },
            }
        }
        if !unreadable.is_empty() || !failed_tables.is_empty() || !changed_data.is_empty() {
            self.data_synced = false;
        }
        if !failed_tables.is_empty() {
            self.report_failure(Failure {
                kind: crate::failure::Kind::Errors,
                problems: failed_tables,
            });
            return Err(NotApplied);
        }
        if !unreadable.is_empty() {
            self.problems
                .borrow_mut()
                .extend(unreadable.iter().map(scoreline_data::DataProblem::to_json));
            crate::console::say(render_problems(&unreadable));
            return Err(NotApplied);
        }
        let schema_changed = match (&candidate, &self.good) {
            (Some((r, _)), Some(good)) => r.schema() != good.ruleset.schema(),
            _ => false,
        };
        if self.good.is_some() && !rules_changed && changed_data.is_empty() && !change.all {
            return Ok(self.unchanged(noticed));
        }

        // 4. Only lines appended to the last events file: rescore the contacts concerned.
        if !rules_changed && !schema_changed && changed_data.len() == 1 {
            if let [(i, tail)] = &appended[..] {
                if was_synced {
                    if let Some(status) = self.try_incremental(*i, tail, noticed) {
                        return Ok(status);
                    }
                }
            }
        }

        // 5. A full rescore with whatever is new.
        let good = self.good.take();
        let result = self.full(good, candidate, &changed_data, change.all, noticed);
        match result {
            Ok((status, good, reloaded)) => {
                self.good = Some(good);
                if reloaded {
                    self.data_synced = true;
                }
                Ok(status)
            }
            Err(good) => {
                self.good = *good;
                Err(NotApplied)
            }
        }
    }

    fn data_path(&self, i: usize) -> &Path {
        match (i, &self.settings.accounts) {
            (0, _) => &self.settings.contacts,
            (i, Some(a)) if i == 1 + self.settings.events.len() => a,
            (i, _) => &self.settings.events[i - 1],
        }
    }

    /// The column that names a row of data input `i` in messages: the contacts' id, the
    /// events' contact, the accounts' id.
    fn data_key(&self, i: usize) -> String {
        match (i, &self.settings.accounts) {
            (0, _) => self.settings.id_column.clone(),
            (i, Some(_)) if i == 1 + self.settings.events.len() => "id".into(),
            _ => self.settings.events_columns.contact_id.clone(),
        }
    }

    /// Rescores with the new ruleset and/or data; `true` with the new state when the data set
    /// was loaded again from the files' bytes in memory. On failure the state in force is
    /// given back.
    fn full(
        &mut self,
        good: Option<Good>,
        candidate: Option<(Ruleset, String)>,
        changed_data: &BTreeSet<usize>,
        all: bool,
        noticed: Instant,
    ) -> Result<(Status, Good, bool), Box<Option<Good>>> {
        let rules_new = candidate.is_some();
        let Some((ruleset, fingerprint)) = candidate.map(|(r, f)| (Arc::new(r), f)).or_else(|| {
            good.as_ref()
                .map(|g| (Arc::clone(&g.ruleset), g.fingerprint.clone()))
        }) else {
            return Err(Box::new(good));
        };
        match crate::output::check_accounts_output(&self.outputs, ruleset.uses_accounts()) {
            Ok(Some(warning)) => crate::console::say(&warning),
            Ok(None) => {}
            Err(f) => {
                self.report_failure(f);
                return Err(Box::new(good));
            }
        }
        // The data: loaded again (from the bytes in memory) when a file or the schema changed.
        let reload = all
            || !changed_data.is_empty()
            || good.is_none()
            || good
                .as_ref()
                .is_some_and(|g| g.ruleset.schema() != ruleset.schema());
        let (dataset, mut index, inputs, skipped_rows) = if reload {
            // Every file was read (an unreadable one ends the cycle before).
            let held: Option<Vec<&Held>> = self.sources.iter().map(Option::as_ref).collect();
            let Some((contacts, rest)) = held.as_deref().and_then(<[_]>::split_first) else {
                return Err(Box::new(good));
            };
            let hashes: Vec<String> = held.iter().flatten().map(|h| h.sha256()).collect();
            // The accounts file, when there is one, is held after the events files.
            let (events, accounts) = rest.split_at(self.settings.events.len().min(rest.len()));
            let events: Vec<scoreline_data::Input> = events.iter().map(|h| h.input()).collect();
            let preset_schema = self.settings.preset_schema(ruleset.schema());
            let schema = preset_schema.as_ref().or(ruleset.schema());
            let mut options = self.settings.load_options(schema);
            options.accounts.wanted = ruleset.uses_accounts();
            options.accounts.input = accounts.first().map(|h| h.input());
            let loaded = scoreline_data::read_inputs(contacts.input(), &events, &options)
                .map(scoreline_data::Records::group);
            match loaded {
                Ok(loaded) => {
                    if !loaded.warnings.is_empty() {
                        crate::console::say(render_problems(&loaded.warnings));
                    }
                    let mut skipped_rows = None;
                    if let Some(path) = &self.settings.skip_bad_rows {
                        if let Err(e) = scoreline_data::write_skipped(path, &loaded.skipped) {
                            self.report_message(ErrorMessage::new(format!(
                                "cannot write `{}`: {}",
                                path.display(),
                                io_reason(&e)
                            )));
                            return Err(Box::new(good));
                        }
                        skipped_rows = Some(loaded.skipped.len());
                    }
                    let paths: Vec<&Path> =
                        (0..self.sources.len()).map(|i| self.data_path(i)).collect();
                    let inputs = manifest::inputs(
                        &paths,
                        &hashes,
                        &loaded.files,
                        self.settings.accounts.is_some(),
                    );
                    (Arc::new(loaded.dataset), None, inputs, skipped_rows)
                }
                Err(e) => {
                    self.report_failure(Failure::load(&e));
                    return Err(Box::new(good));
                }
            }
        } else {
            let Some(g) = good.as_ref() else {
                return Err(Box::new(good));
            };
            (
                Arc::clone(&g.dataset),
                g.index.clone(),
                g.inputs.clone(),
                g.skipped_rows,
            )
        };
        if reload {
            index = None;
        }
        let reuse_plan = good
            .as_ref()
            .filter(|g| !rules_new && g.dataset.schema == dataset.schema)
            .map(|g| Arc::clone(&g.plan));
        let plan = match reuse_plan {
            Some(p) => p,
            None => match ruleset.compile(&dataset.schema) {
                Ok(p) => Arc::new(p),
                Err(f) => {
                    self.report_failure(f);
                    return Err(Box::new(good));
                }
            },
        };
        let as_of_millis = match parse_as_of(&self.settings.as_of_text) {
            Ok(ms) => ms,
            Err(m) => {
                self.report_message(m);
                return Err(Box::new(good));
            }
        };
        flush_plugin_logs(&ruleset);
        let explain = self.outputs.explain.is_some();
        // `keep when` reads the last good scoring (none before the first one).
        let previous = good
            .as_ref()
            .and_then(|g| previous_scoring(&g.evaluation, &plan));
        let options = ScoreOptions {
            explain,
            pool: self.pool.as_ref(),
            allow_plugin_errors: self.options.allow_plugin_errors,
            previous: previous.as_ref(),
        };
        let Scored {
            mut evaluation,
            statistics,
            accounts,
        } = match score(&plan, &dataset, as_of_millis, options) {
            Ok(scored) => scored,
            Err(f) => {
                self.report_failure(f);
                return Err(Box::new(good));
            }
        };
        // The id column keeps the input's name (`Record ID`), as `run` writes it.
        if let (Some(id), Ok(name)) = (
            evaluation.columns.first_mut(),
            self.settings.output_id_column(ruleset.schema()),
        ) {
            *id = name;
        }
        let explanations = explain.then(|| std::mem::take(&mut evaluation.explanations));
        let meta = ruleset.meta(&plan);
        let columns = Columns::new(
            &plan.score_names(),
            &plan.segment_names(),
            &evaluation.columns,
        );
        let rescored = evaluation.len();
        let rendered =
            RenderedScores::render(&meta, &evaluation, self.outputs.format, self.outputs.stamp);
        let mut new = Good {
            ruleset,
            fingerprint,
            plan,
            columns,
            meta,
            dataset,
            evaluation,
            statistics,
            rendered,
            as_of_millis,
            index,
            inputs,
            skipped_rows,
            accounts,
        };
        let before = good
            .as_ref()
            .map(|g| (&g.evaluation, &g.columns, &new.evaluation));
        match self.publish(
            before,
            &new,
            explanations.as_deref(),
            false,
            rescored,
            noticed,
        ) {
            Ok(status) => {
                // Ready for appended events, now that the outputs are in place.
                if new.index.is_none() {
                    new.index = Some(row_index(&new.dataset));
                }
                Ok((status, new, reload))
            }
            Err(()) => Err(Box::new(good)),
        }
    }

    /// Lines appended to the last events file only: load them, rescore the contacts they
    /// concern, write the outputs, then add the lines to the data set in force. `None` when
    /// the change does not qualify (then a full rescore).
    fn try_incremental(&mut self, i: usize, tail: &[u8], noticed: Instant) -> Option<Status> {
        let last = self.settings.events.len();
        if i != last || i == 0 || self.outputs.explain.is_some() {
            return None;
        }
        // With accounts, a contact's new events move its account's values too: a full rescore.
        if self.settings.accounts.is_some()
            || self
                .good
                .as_ref()
                .is_some_and(|g| !g.dataset.accounts.is_empty())
        {
            return None;
        }
        // Lines appended to an events file with its own columns or type: a full rescore.
        if self.settings.skip_bad_rows.is_some()
            || self
                .settings
                .events_files
                .iter()
                .any(|f| *f != scoreline_data::EventsFile::default())
            || self.settings.events_columns != scoreline_data::EventColumns::default()
            || !self.settings.event_types.is_empty()
        {
            return None;
        }
        let mut good = self.good.take()?;
        let result = self.incremental(&mut good, tail, i, noticed);
        self.good = Some(good);
        result
    }

    fn incremental(
        &mut self,
        good: &mut Good,
        tail: &[u8],
        i: usize,
        noticed: Instant,
    ) -> Option<Status> {
        if !good.evaluation.plugin_errors.is_empty() {
            return None;
        }
        let dialect = &self.settings.dialect;
        let held = self.sources[i].as_ref()?.source()?;
        let tail = incremental::tail_source(held, tail, dialect)?;
        // Only the contacts the new lines name are loaded, then rescored.
        let ids = incremental::tail_ids(&tail, dialect)?;
        let index = good.index.get_or_insert_with(|| row_index(&good.dataset));
        let mut rows = ids
            .iter()
            .map(|id| index.get(id.as_str()).copied())
            .collect::<Option<Vec<usize>>>()?;
        rows.sort_unstable();
        rows.dedup();
        let named = incremental::ids_source(&good.dataset, &rows, &self.settings.id_column);
        let added = incremental::load_tail(
            &named,
            &tail,
            &good.dataset.schema.events,
            &self.settings.id_column,
            dialect,
        )?;
        let touched = incremental::subset_with(&good.dataset, &rows, &added);
        let as_of = AsOf::from_millis(good.as_of_millis);
        let pool = self.pool.as_ref().filter(|_| rows.len() > 1000);
        // With population functions, the statistics in force move with the touched contacts'
        // values: the contacts whose answers move are rescored too (all of them is a full
        // rescore).
        let (rescore, statistics, sub) = if good.plan.has_population_functions() {
            let changed = good.plan.statistics(&touched, as_of, pool);
            let mut after = good.statistics.clone();
            after.update(&rows, &changed);
            let mut rescore = after.moved(good.statistics.summary(), after.summary());
            rescore.extend_from_slice(&rows);
            rescore.sort_unstable();
            rescore.dedup();
            // When nearly every contact moves (a value appeared or vanished, so the count
            // changed), a full rescore costs less than copying them out.
            if rescore.len() * 10 > good.dataset.contacts.len() * 9 {
                return None;
            }
            let at: Vec<usize> = rows
                .iter()
                .filter_map(|r| rescore.binary_search(r).ok())
                .collect();
            let mut sub = incremental::subset(&good.dataset, &rescore);
            incremental::merge(&mut sub.events, &added, &at);
            (rescore, Some(after), sub)
        } else {
            (rows.clone(), None, touched)
        };
        let own = good.plan.statistics(&sub, as_of, pool);
        let all = statistics.as_ref().unwrap_or(&own).summary();
        let previous = previous_scoring(&good.evaluation, &good.plan);
        let scored = good.plan.evaluate(
            &sub,
            &own,
            all,
            as_of,
            EvalOptions {
                explain: false,
                pool,
                previous: previous.as_ref(),
            },
        );
        for line in &scored.plugin_log {
            crate::console::say(line);
        }
        if !scored.plugin_errors.is_empty() {
            // A full rescore of the data set in force reports the errors the usual way.
            return None;
        }
        // The rows before, for the comparison; then the new rows in place.
        let width = good.evaluation.columns.len();
        let before = Evaluation {
            columns: good.evaluation.columns.clone(),
            values: rescore
                .iter()
                .flat_map(|&r| {
                    good.evaluation.values[r * width..(r + 1) * width]
                        .iter()
                        .cloned()
                })
                .collect(),
            ..Evaluation::default()
        };
        // The events file as the manifest describes it, with the appended lines (all loaded:
        // any problem has made the load fail).
        let input_before = good.inputs.get(i)?.clone();
        let mut input_after = input_before.clone();
        input_after.sha256 = self.sources[i].as_ref()?.sha256();
        input_after.rows += added.len();
        incremental::patch(&mut good.evaluation, &rescore, &scored);
        good.rendered.update(&good.evaluation, &rescore);
        good.inputs[i] = input_after;
        match self.publish(
            Some((&before, &good.columns, &scored)),
            good,
            None,
            true,
            rescore.len(),
            noticed,
        ) {
            Ok(status) => {
                // Off the clock: the new events join the data set in force, which is then
                // again the held bytes' data set.
                let dataset = Arc::make_mut(&mut good.dataset);
                incremental::merge(&mut dataset.events, &added, &rows);
                if let Some(after) = statistics {
                    good.statistics = after;
                }
                self.data_synced = true;
                Some(status)
            }
            Err(()) => {
                // The scores in force stay those written last; the data set in force no
                // longer matches the files' bytes (`data_synced` stays false), so the next
                // change reloads it.
                incremental::patch(&mut good.evaluation, &rescore, &before);
                good.rendered.update(&good.evaluation, &rescore);
                good.inputs[i] = input_before;
                Some(self.failed_status(noticed))
            }
        }
    }

    fn failed_status(&self, noticed: Instant) -> Status {
        let mut s = self.unchanged(noticed);
        s.outcome = Outcome::Failed;
        s.diagnostics = std::mem::take(&mut *self.problems.borrow_mut());
        s
    }

    /// Writes the outputs of `new`, appends the change feed, and builds the status.
    fn publish(
        &self,
        compare: Option<(&Evaluation, &Columns, &Evaluation)>,
        new: &Good,
        explanations: Option<&[scoreline_engine::Explanation]>,
        incremental: bool,
        rescored: usize,
        noticed: Instant,
    ) -> Result<Status, ()> {
        let time = now_text();
        let as_of = scoreline_data::format_date(new.as_of_millis);
        let feed_path = self.outputs.changes.as_ref();
        let diff = compare.map(|(evaluation, columns, after)| {
            changes::diff(
                evaluation,
                columns,
                after,
                &new.columns,
                &FeedStamp {
                    version: &new.meta.version,
                    as_of: &as_of,
                    time: &time,
                },
                feed_path.is_some(),
            )
        });
        if let Some(path) = self.outputs.scores.as_deref() {
            // A table is replaced whole, in one transaction, as `run` replaces it.
            let written = if crate::database::is_db(path) {
                crate::output::write_scores(
                    &new.meta,
                    &new.evaluation,
                    Some(path),
                    self.outputs.format,
                    self.outputs.stamp,
                )
            } else {
                new.rendered.write(path)
            };
            if let Err(m) = written {
                self.report_message(m);
                return Err(());
            }
        }
        if let (Some(path), Some(x)) = (&self.outputs.explain, explanations) {
            if let Err(m) = write_explanations(path, x) {
                self.report_message(m);
                return Err(());
            }
        }
        let accounts_written =
            match crate::output::write_accounts(&new.meta, new.accounts.as_ref(), &self.outputs) {
                Ok(rows) => rows,
                Err(m) => {
                    self.report_message(m);
                    return Err(());
                }
            };
        // After the outputs it describes, before the change feed (which it does not).
        let written = Written {
            contacts: new.evaluation.len(),
            explanations: explanations.map(<[_]>::len),
            skipped_rows: self.settings.skip_bad_rows.as_deref().zip(new.skipped_rows),
            accounts: accounts_written,
        };
        if let Err(m) = write_manifest(
            &self.outputs,
            &new.meta,
            new.as_of_millis,
            &new.inputs,
            written,
        ) {
            self.report_message(m);
            return Err(());
        }
        let mut feed_lines = 0;
        if let (Some(path), Some(d)) = (feed_path.filter(|p| crate::database::is_db(p)), &diff) {
            if let Err(m) = crate::database::append_feed(path, &d.feed) {
                self.report_message(m);
                return Err(());
            }
            feed_lines = d.feed.len();
        } else if let (Some(path), Some(d)) = (feed_path, &diff) {
            if let Err(m) = crate::output::create_parent(path) {
                self.report_message(m);
                return Err(());
            }
            match changes::append_feed(path, &d.feed) {
                Ok(0) => {}
                Ok(cut) => warn_cut_line(path, cut),
                Err(e) => {
                    self.report_message(ErrorMessage::new(format!(
                        "cannot append to `{}`: {}",
                        path.display(),
                        io_reason(&e)
                    )));
                    return Err(());
                }
            }
            feed_lines = d.feed.len();
        }
        let diff = diff.unwrap_or_default();
        // The history gets the first scoring and every cycle that moved a score or a segment.
        if let Some(path) = &self.outputs.history {
            if compare.is_none() || diff.score_changed > 0 || diff.segment_changed > 0 {
                let started =
                    chrono::Utc::now().timestamp_millis() - noticed.elapsed().as_millis() as i64;
                if let Err(m) = crate::history::append(
                    path,
                    "watch",
                    &new.meta,
                    new.as_of_millis,
                    started,
                    &new.inputs,
                    (&new.evaluation, new.accounts.as_ref()),
                ) {
                    self.report_message(m);
                    return Err(());
                }
            }
        }
        Ok(Status {
            diagnostics: Vec::new(),
            time,
            changed: Vec::new(),
            outcome: Outcome::Rescored,
            incremental,
            ms: noticed.elapsed().as_millis() as u64,
            contacts: new.evaluation.len(),
            rescored,
            score_changed: diff.score_changed,
            segment_changed: diff.segment_changed,
            moves: diff
                .moves
                .into_iter()
                .flat_map(|(segment, m)| {
                    m.into_iter().map(move |(from, to, count)| Move {
                        segment: segment.clone(),
                        from,
                        to,
                        count,
                    })
                })
                .collect(),
            ruleset_version: new.meta.version.clone(),
            feed_lines,
        })
    }
}

/// Says that an unfinished line was removed from the end of the change feed.
fn warn_cut_line(path: &Path, bytes: u64) {
    crate::console::say(format!(
        "warning: `{}` ended with an unfinished line ({bytes} bytes, from a run stopped in the middle of a write): removed, so that the feed holds whole lines only",
        path.display()
    ));
}

/// Each contact's row, by id.
fn row_index(dataset: &Dataset) -> HashMap<Arc<str>, usize> {
    dataset
        .contacts
        .iter()
        .enumerate()
        .map(|(row, c)| (Arc::from(c.id()), row))
        .collect()
}

/// The plugin files a rule file declares.
fn plugin_paths(ast: &RuleFile, files: &PluginFiles) -> Vec<PathBuf> {
    ast.items
        .iter()
        .filter_map(|item| match item {
            Item::Plugin(p) => Some(files.path_of(&p.path.value)),
            _ => None,
        })
        .collect()
}

/// What the rule file means, without positions or comments, followed by a hash of each
/// plugin's bytes: two rule files with the same fingerprint score the same.
fn fingerprint(ruleset: &Ruleset, plugins: &PluginCache) -> String {
    use std::hash::{Hash, Hasher};
    fn is_span(value: &serde_json::Value) -> bool {
        matches!(value, serde_json::Value::Object(map)
            if map.len() == 2 && map.contains_key("start") && map.contains_key("end"))
    }
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|key, v| !key.ends_with("span") && key != "plus" && !is_span(v));
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(&ruleset.ast).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut value {
        map.remove("comments");
    }
    strip(&mut value);
    let mut out = value.to_string();
    for (name, _) in &ruleset.plugins {
        let bytes = plugins
            .iter()
            .find(|((_, n), _)| n == name)
            .map(|(_, p)| &p.bytes[..])
            .unwrap_or_default();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        out.push_str(&format!("\n{name}:{:016x}", h.finish()));
    }
    out
}

fn same_settings(a: &Settings, b: &Settings) -> bool {
    a.ruleset == b.ruleset
        && a.contacts == b.contacts
        && a.events == b.events
        && a.accounts == b.accounts
        && a.accounts_dialect == b.accounts_dialect
        && a.account_column == b.account_column
        && a.as_of_text == b.as_of_text
        && a.id_column == b.id_column
        && a.dialect == b.dialect
        && a.limits == b.limits
        && a.skip_bad_rows == b.skip_bad_rows
}

/// The data files held: the contacts, the events files, then the accounts file if any.
fn source_count(settings: &Settings) -> usize {
    1 + settings.events.len() + usize::from(settings.accounts.is_some())
}

fn flush_plugin_logs(ruleset: &Ruleset) {
    for (_, plugin) in &ruleset.plugins {
        for line in plugin.take_log() {
            crate::console::say(&line);
        }
    }
}

fn now_text() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
