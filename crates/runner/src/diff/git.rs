//! Reading a rule file and the plugins it declares as they were at a git revision
//! (`git show REV:PATH`), into a temporary folder laid out like the repository, so that the
//! plugins are found beside the rule file exactly as on disk.

use crate::failure::Message;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// A rule file read from git: its text, and a temporary copy of it with its plugins.
pub struct FromGit {
    /// The rule file's text at the revision.
    pub text: String,
    /// The rule file inside the temporary folder (its plugins beside it as in the repository).
    pub path: PathBuf,
    /// The temporary folder, removed when this is dropped.
    dir: PathBuf,
}

impl FromGit {
    /// A message with the temporary folder's paths written as `REV:PATH`.
    pub fn in_revision(&self, rev: &str, text: &str) -> String {
        text.replace(&format!("{}/", self.dir.display()), &format!("{rev}:"))
    }
}

impl Drop for FromGit {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs git with `args` in the current folder; `Err` is git's message (or that git is missing).
fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|_| "git is not installed or cannot be run".to_string())?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// `path` relative to the repository root, given the current folder's prefix in it
/// (`git rev-parse --show-prefix`); `None` when it leaves the repository.
fn in_repository(prefix: &str, path: &Path) -> Option<String> {
    let mut parts: Vec<String> = prefix
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

/// Reads `path` (relative to the current folder) at revision `rev`, with every plugin it
/// declares from the same revision. `Err` says what is wrong.
pub fn read(rev: &str, path: &Path, side: &str) -> Result<FromGit, Message> {
    let shown = format!("{rev}:{}", path.display());
    let prefix = git(&["rev-parse", "--show-prefix"]).map_err(|_| {
        Message::new(format!(
            "`{shown}` names a git revision, but this folder is not in a git repository"
        ))
        .help(format!(
            "run the command inside the repository, or give the {side} version as a rule file path"
        ))
    })?;
    let prefix = String::from_utf8_lossy(&prefix).trim().to_string();
    if git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .is_err()
    {
        return Err(
            Message::new(format!("`{rev}` is not a revision of this repository")).help(format!(
                "list the revisions that changed the rule file with `git log --oneline -- {}`",
                path.display()
            )),
        );
    }
    let absolute;
    let path = if path.is_absolute() {
        let top = git(&["rev-parse", "--show-toplevel"]).unwrap_or_default();
        let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
        absolute = path
            .strip_prefix(&top)
            .map(Path::to_path_buf)
            .map_err(|_| {
                Message::new(format!(
                    "`{}` is outside this git repository",
                    path.display()
                ))
                .help("give a path inside the repository")
            })?;
        absolute.as_path()
    } else {
        path
    };
    let Some(in_repo) = in_repository(&prefix, path) else {
        return Err(Message::new(format!(
            "`{}` is outside this git repository",
            path.display()
        ))
        .help("give a path inside the repository"));
    };
    let bytes = git(&["show", &format!("{rev}:{in_repo}")]).map_err(|_| {
        Message::new(format!(
            "`{}` does not exist at revision `{rev}`",
            path.display()
        ))
        .help(format!(
            "list the revisions that have it with `git log --oneline -- {}`",
            path.display()
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Message::new(format!("`{shown}` is not UTF-8 text")).help("save the file as UTF-8")
    })?;

    let dir = temporary_folder()?;
    let guard = FromGit {
        text,
        path: dir.join(&in_repo),
        dir,
    };
    write(&guard.path, guard.text.as_bytes())?;
    // The plugins the file declares, at the same revision; one that is not there is left
    // out, and the checker reports it as not found.
    let source = std::sync::Arc::new(scoreline_syntax::SourceFile::new(
        shown.clone(),
        guard.text.clone(),
    ));
    if let Ok(ast) = scoreline_syntax::parse(&source) {
        let base = Path::new(&in_repo).parent().unwrap_or(Path::new(""));
        for item in &ast.items {
            if let scoreline_syntax::ast::Item::Plugin(p) = item {
                let Some(plugin) = in_repository("", &base.join(&p.path.value)) else {
                    continue;
                };
                if let Ok(bytes) = git(&["show", &format!("{rev}:{plugin}")]) {
                    write(&guard.dir.join(&plugin), &bytes)?;
                }
            }
        }
    }
    Ok(guard)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Message> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| temp_error(&e))?;
    }
    std::fs::write(path, bytes).map_err(|e| temp_error(&e))
}

fn temp_error(e: &std::io::Error) -> Message {
    Message::new(format!(
        "cannot write a temporary copy of the rule file: {}",
        crate::sources::io_reason(e)
    ))
    .help(format!(
        "check that the temporary folder (`{}`) is writable",
        std::env::temp_dir().display()
    ))
}

/// A new, empty folder under the system's temporary folder.
fn temporary_folder() -> Result<PathBuf, Message> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir =
        std::env::temp_dir().join(format!("scoreline-diff-{}-{n}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| temp_error(&e))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_taken_relative_to_the_repository_root() {
        assert_eq!(
            in_repository("proj/", Path::new("leads.score")).as_deref(),
            Some("proj/leads.score")
        );
        assert_eq!(
            in_repository("proj/", Path::new("../plugins/a.rhai")).as_deref(),
            Some("plugins/a.rhai")
        );
        assert_eq!(in_repository("", Path::new("../x.score")), None);
    }
}
