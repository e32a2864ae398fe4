//! The files the runner watches, and the file-system watch itself.
//!
//! Editors save by writing a temporary file and renaming it over the original, or by deleting
//! and recreating it: a watch on the file itself goes silent after the first save. So the
//! runner watches the folders that hold its files and keeps only the events whose path is one
//! of them; every kind of event (create, rename, modify, remove) counts as "maybe changed", and
//! the content decides.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

/// What a watched file is to the runner.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileRole {
    /// `scoreline.yaml`.
    Project,
    /// The rule file.
    Rules,
    /// A plugin script the rule file declares.
    Plugin,
    /// The contacts file.
    Contacts,
    /// The events file at this index of the settings' list.
    Events(usize),
    /// The accounts file (LANGUAGE.md §13).
    Accounts,
}

/// What an event says about the write to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// Written, created, removed or renamed away: more may follow.
    Writing,
    /// Renamed into place: the writer is done with it.
    Written,
    /// Closed after being opened to write: the writer is done with it, if it wrote (SQLite
    /// opens a database's log to write even to read it).
    Closed,
    /// Only its attributes (time, permissions) changed.
    Attributes,
}

/// A path an event concerns, and what the event says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub path: PathBuf,
    pub hint: Hint,
}

/// A message to the runner's loop.
#[derive(Debug)]
pub enum Message {
    /// Paths that may have changed, in the order of the events, and when they were reported.
    Paths(Vec<Touched>, Instant),
    /// The watch lost events: every file must be re-read.
    Rescan,
    /// The watch reported a problem (already phrased for the user).
    Problem(String),
    /// Ctrl-C or SIGTERM.
    Stop,
}

/// Whether a file name is one of an editor's temporary or backup files: vim's `.swp`, `.swx`
/// and `4913` probe, `~` backups, Emacs' `#…#` and `.#…` locks, JetBrains' `___jb_tmp___`.
pub fn is_editor_temporary(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name == "4913"
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.ends_with(".tmp")
}

/// The key a path is known by: absolute, with its folder resolved (links, `..`), so that it
/// compares equal to the paths in the watch's events.
pub fn path_key(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => match parent.canonicalize() {
            Ok(dir) => dir.join(name),
            Err(_) => absolute,
        },
        _ => absolute,
    }
}

/// The files being watched, by key, with their roles (a SQLite file may hold the contacts
/// and the events) and the name shown to the user.
#[derive(Debug, Default)]
pub struct WatchedFiles {
    by_key: HashMap<PathBuf, (Vec<FileRole>, String)>,
    /// The files of SQLite databases, followed for their content only.
    databases: BTreeSet<PathBuf>,
}

impl WatchedFiles {
    /// Adds a file (as the user named it) in a role; a file already watched takes one more.
    pub fn add(&mut self, path: &Path, role: FileRole) {
        self.add_named(path, role, path.display().to_string());
    }

    /// Adds a file shown to the user as `name` (a database by its URL, without password).
    pub fn add_named(&mut self, path: &Path, role: FileRole, name: String) {
        let (roles, _) = self
            .by_key
            .entry(path_key(path))
            .or_insert_with(|| (Vec::new(), name));
        if !roles.contains(&role) {
            roles.push(role);
        }
    }

    /// Adds a file of a SQLite database (see [`WatchedFiles::is_database`]).
    pub fn add_database(&mut self, path: &Path, role: FileRole, name: String) {
        self.databases.insert(path_key(path));
        self.add_named(path, role, name);
    }

    /// Whether an event's path is a SQLite database's file or log.
    pub fn is_database(&self, event_path: &Path) -> bool {
        self.databases.contains(event_path)
    }

    /// The roles and display name of an event's path, if it is watched.
    pub fn get(&self, event_path: &Path) -> Option<&(Vec<FileRole>, String)> {
        self.by_key.get(event_path)
    }

    /// The folders to watch.
    pub fn folders(&self) -> BTreeSet<PathBuf> {
        self.by_key
            .keys()
            .filter_map(|k| k.parent().map(Path::to_path_buf))
            .collect()
    }

    /// How many files are watched.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether no file is watched.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

enum Inner {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Poller),
}

/// A watch on the runner's files that sends [`Message`]s: native events on the files'
/// folders (debounced), or polling of the files themselves.
pub struct FolderWatch {
    inner: Inner,
    folders: BTreeSet<PathBuf>,
    /// Folders that could not be watched and were reported: tried again on every change,
    /// reported again only once they could be watched and then could not.
    reported: BTreeSet<PathBuf>,
}

/// How often `--poll` looks at the files.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// Polls the watched files' metadata. notify's own `PollWatcher` compares modification times
/// in whole seconds, so it misses a second save within the same second; this compares them to
/// the nanosecond, with the size and the file's identity (a rename over the file changes it).
struct Poller {
    /// The files and what they looked like at the last look.
    files: Arc<Mutex<HashMap<PathBuf, Stamp>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What polling compares: modification time, size, file identity, and the status change
/// time (a rewrite that kept the modification time, an owner or permissions changed); `None`
/// when missing.
type Stamp = Option<(Option<std::time::SystemTime>, u64, u64, u32)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let (id, changed) = {
        use std::os::unix::fs::MetadataExt;
        (m.ino() ^ (m.dev() << 32), m.ctime_nsec() as u32)
    };
    #[cfg(not(unix))]
    let (id, changed) = (0, 0);
    Some((m.modified().ok(), m.len(), id, changed))
}

/// What a change of stamp says: only the status change time moved (the attributes changed, or
/// a rewrite kept its modification time), or more.
fn poll_hint(before: &Stamp, now: &Stamp) -> Hint {
    match (before, now) {
        (Some((m, l, i, _)), Some((m2, l2, i2, _))) if (m, l, i) == (m2, l2, i2) => {
            Hint::Attributes
        }
        // Polling cannot tell whether the writer is done.
        _ => Hint::Writing,
    }
}

impl Poller {
    fn start(tx: Sender<Message>) -> Result<Poller, String> {
        let files: Arc<Mutex<HashMap<PathBuf, Stamp>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (f, s) = (Arc::clone(&files), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("scoreline poll".into())
            .spawn(move || {
                while !s.load(Ordering::Acquire) {
                    let mut changed = Vec::new();
                    for (path, seen) in f.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
                        let now = stamp(path);
                        if now != *seen {
                            let hint = poll_hint(seen, &now);
                            *seen = now;
                            changed.push(Touched {
                                path: path.clone(),
                                hint,
                            });
                        }
                    }
                    if !changed.is_empty()
                        && tx.send(Message::Paths(changed, Instant::now())).is_err()
                    {
                        break;
                    }
                    std::thread::sleep(POLL_EVERY);
                }
            })
            .map_err(|e| crate::sources::io_reason(&e))?;
        Ok(Poller {
            files,
            stop,
            thread: Some(thread),
        })
    }
}

impl FolderWatch {
    /// Starts a native watch (inotify, FSEvents, ReadDirectoryChangesW), or a polling one.
    /// `delay` is how long the debouncer holds an event to merge it with the next ones
    /// (the runner then waits for the files to be quiet, or not at all when a save is done).
    pub fn start(tx: Sender<Message>, delay: Duration, poll: bool) -> Result<FolderWatch, String> {
        let tx_poll = tx.clone();
        let handler = move |result: DebounceEventResult| match result {
            Ok(events) => {
                if events.iter().any(|e| e.need_rescan()) {
                    let _ = tx.send(Message::Rescan);
                    return;
                }
                let touched: Vec<Touched> = events
                    .into_iter()
                    .flat_map(|e| touched(e.event))
                    .filter(|t| !is_editor_temporary(&t.path))
                    .collect();
                if !touched.is_empty() {
                    let _ = tx.send(Message::Paths(touched, Instant::now()));
                }
            }
            Err(errors) => {
                for e in errors {
                    let _ = tx.send(Message::Problem(watch_problem(&e)));
                }
            }
        };
        let inner = if poll {
            Inner::Poll(Poller::start(tx_poll)?)
        } else {
            let delay = delay.max(Duration::from_millis(1));
            Inner::Native(
                new_debouncer(delay, Some(delay / 2), handler).map_err(|e| watch_problem(&e))?,
            )
        };
        Ok(FolderWatch {
            inner,
            folders: BTreeSet::new(),
            reported: BTreeSet::new(),
        })
    }

    /// Watches exactly these files (through their folders, or by polling them). Returns a
    /// message per folder that could not be watched (once for each folder).
    pub fn set_files(&mut self, files: &WatchedFiles) -> Vec<String> {
        if let Inner::Poll(p) = &self.inner {
            // New files are looked at now, so that a change from here on is seen.
            let mut polled = p.files.lock().unwrap_or_else(|e| e.into_inner());
            polled.retain(|k, _| files.by_key.contains_key(k));
            for key in files.by_key.keys() {
                polled.entry(key.clone()).or_insert_with(|| stamp(key));
            }
            return Vec::new();
        }
        let wanted = files.folders();
        let mut problems = Vec::new();
        for old in self
            .folders
            .difference(&wanted)
            .cloned()
            .collect::<Vec<_>>()
        {
            if let Inner::Native(d) = &mut self.inner {
                let _ = d.unwatch(&old);
            }
            self.folders.remove(&old);
        }
        for new in wanted {
            if self.folders.contains(&new) {
                continue;
            }
            let result = match &mut self.inner {
                Inner::Native(d) => d.watch(&new, RecursiveMode::NonRecursive),
                Inner::Poll(_) => Ok(()),
            };
            match result {
                Ok(()) => {
                    self.reported.remove(&new);
                    self.folders.insert(new);
                }
                Err(e) => {
                    if self.reported.insert(new.clone()) {
                        problems.push(format!(
                            "warning: cannot watch folder `{}`: {}",
                            new.display(),
                            watch_problem(&e)
                        ));
                    }
                }
            }
        }
        problems
    }

    /// Stops watching (waits for the debouncer's thread).
    pub fn stop(self) {
        match self.inner {
            Inner::Native(d) => d.stop(),
            Inner::Poll(mut p) => {
                p.stop.store(true, Ordering::Release);
                if let Some(t) = p.thread.take() {
                    let _ = t.join();
                }
            }
        }
    }
}

/// The paths an event concerns, with what it says of each. Opening, reading and closing a
/// file without writing (as the runner itself does) concern none.
fn touched(event: notify::Event) -> Vec<Touched> {
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    use notify::EventKind;
    let hint = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => Hint::Closed,
        EventKind::Access(_) => return Vec::new(),
        EventKind::Modify(ModifyKind::Metadata(_)) => Hint::Attributes,
        // Renamed into place: the last path is the destination, the first (if two) is gone.
        EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both)) => {
            let last = event.paths.len().saturating_sub(1);
            return event
                .paths
                .into_iter()
                .enumerate()
                .map(|(i, path)| Touched {
                    path,
                    hint: if i == last {
                        Hint::Written
                    } else {
                        Hint::Writing
                    },
                })
                .collect();
        }
        _ => Hint::Writing,
    };
    event
        .paths
        .into_iter()
        .map(|path| Touched { path, hint })
        .collect()
}

/// A watch error in plain words, with the fix for the usual ones.
fn watch_problem(e: &notify::Error) -> String {
    match &e.kind {
        notify::ErrorKind::MaxFilesWatch => {
            "the system's limit of watched files is reached\n  = help: raise `fs.inotify.max_user_watches`, or pass `--poll`".into()
        }
        notify::ErrorKind::Io(io) if io.raw_os_error() == Some(28) => {
            "the system's limit of watched files is reached\n  = help: raise `fs.inotify.max_user_watches`, or pass `--poll`".into()
        }
        notify::ErrorKind::Io(io) => crate::sources::io_reason(io),
        notify::ErrorKind::PathNotFound => "no such folder".into(),
        _ => "the file watch failed\n  = help: pass `--poll` to check the files by polling".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_tells_attributes_from_content() {
        let at = |s| Some(std::time::UNIX_EPOCH + Duration::from_secs(s));
        let before: Stamp = Some((at(10), 100, 7, 1));
        assert_eq!(
            poll_hint(&before, &Some((at(10), 100, 7, 2))),
            Hint::Attributes
        );
        assert_eq!(
            poll_hint(&before, &Some((at(11), 100, 7, 2))),
            Hint::Writing
        );
        assert_eq!(
            poll_hint(&before, &Some((at(10), 101, 7, 2))),
            Hint::Writing
        );
        assert_eq!(
            poll_hint(&before, &Some((at(10), 100, 8, 1))),
            Hint::Writing
        );
        assert_eq!(poll_hint(&before, &None), Hint::Writing);
        assert_eq!(poll_hint(&None, &before), Hint::Writing);
    }

    #[test]
    fn events_say_whether_the_writer_is_done() {
        use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind};
        use notify::event::{MetadataKind, RemoveKind, RenameMode};
        use notify::{Event, EventKind};
        let one = |kind: EventKind| {
            touched(Event::new(kind).add_path("/p/a".into()))
                .into_iter()
                .map(|t| t.hint)
                .collect::<Vec<_>>()
        };
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert_eq!(one(closed), [Hint::Closed]);
        let read = EventKind::Access(AccessKind::Close(AccessMode::Read));
        assert_eq!(one(read), []);
        assert_eq!(
            one(EventKind::Access(AccessKind::Open(
                notify::event::AccessMode::Any
            ))),
            []
        );
        let written = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        assert_eq!(one(written), [Hint::Writing]);
        assert_eq!(one(EventKind::Create(CreateKind::File)), [Hint::Writing]);
        assert_eq!(one(EventKind::Remove(RemoveKind::File)), [Hint::Writing]);
        let away = EventKind::Modify(ModifyKind::Name(RenameMode::From));
        assert_eq!(one(away), [Hint::Writing]);
        let into = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        assert_eq!(one(into), [Hint::Written]);
        let attributes = EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any));
        assert_eq!(one(attributes), [Hint::Attributes]);
        let both = touched(
            Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
                .add_path("/p/a.new".into())
                .add_path("/p/a".into()),
        );
        assert_eq!(
            both,
            [
                Touched {
                    path: "/p/a.new".into(),
                    hint: Hint::Writing
                },
                Touched {
                    path: "/p/a".into(),
                    hint: Hint::Written
                }
            ]
        );
    }

    #[test]
    fn editor_temporaries_are_recognised() {
        for name in [
            ".leads.score.swp",
            "leads.score~",
            "4913",
            ".#leads.score",
            "#leads.score#",
            "leads.score___jb_tmp___",
        ] {
            assert!(is_editor_temporary(Path::new(name)), "{name}");
        }
        for name in ["leads.score", "events.ndjson", "scoreline.yaml", "49130"] {
            assert!(!is_editor_temporary(Path::new(name)), "{name}");
        }
    }
}
