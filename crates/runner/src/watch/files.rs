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
use std::time::Duration;

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
}

/// A message to the runner's loop.
#[derive(Debug)]
pub enum Message {
    /// Paths that may have changed (already debounced).
    Paths(Vec<PathBuf>),
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

/// The files being watched, by key, with their role and the name shown to the user.
#[derive(Debug, Default)]
pub struct WatchedFiles {
    by_key: HashMap<PathBuf, (FileRole, String)>,
}

impl WatchedFiles {
    /// Adds a file (as the user named it).
    pub fn add(&mut self, path: &Path, role: FileRole) {
        self.by_key
            .insert(path_key(path), (role, path.display().to_string()));
    }

    /// The role and display name of an event's path, if it is watched.
    pub fn get(&self, event_path: &Path) -> Option<&(FileRole, String)> {
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

/// What polling compares: modification time, size, file identity; `None` when missing.
type Stamp = Option<(Option<std::time::SystemTime>, u64, u64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let id = {
        use std::os::unix::fs::MetadataExt;
        m.ino() ^ (m.dev() << 32) ^ u64::from(m.ctime_nsec() as u32)
    };
    #[cfg(not(unix))]
    let id = 0;
    Some((m.modified().ok(), m.len(), id))
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
                            *seen = now;
                            changed.push(path.clone());
                        }
                    }
                    if !changed.is_empty() && tx.send(Message::Paths(changed)).is_err() {
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
    pub fn start(
        tx: Sender<Message>,
        debounce: Duration,
        poll: bool,
    ) -> Result<FolderWatch, String> {
        let tx_poll = tx.clone();
        let handler = move |result: DebounceEventResult| match result {
            Ok(events) => {
                if events.iter().any(|e| e.need_rescan()) {
                    let _ = tx.send(Message::Rescan);
                    return;
                }
                // Opening and reading a file (as the runner itself does) is not a change.
                let paths: Vec<PathBuf> = events
                    .into_iter()
                    .filter(|e| !matches!(e.event.kind, notify::EventKind::Access(_)))
                    .flat_map(|e| e.event.paths)
                    .filter(|p| !is_editor_temporary(p))
                    .collect();
                if !paths.is_empty() {
                    let _ = tx.send(Message::Paths(paths));
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
            Inner::Native(new_debouncer(debounce, None, handler).map_err(|e| watch_problem(&e))?)
        };
        Ok(FolderWatch {
            inner,
            folders: BTreeSet::new(),
        })
    }

    /// Watches exactly these files (through their folders, or by polling them). Returns a
    /// message per folder that could not be watched.
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
                    self.folders.insert(new);
                }
                Err(e) => problems.push(format!(
                    "warning: cannot watch folder `{}`: {}",
                    new.display(),
                    watch_problem(&e)
                )),
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
