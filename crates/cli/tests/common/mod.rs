//! What the binary's end-to-end tests share: running `scoreline` in a folder, its output as
//! text, the repository's folder.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root (for the example rulesets and plugins).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary with `args` in `dir`.
pub fn scoreline(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scoreline"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// What it printed on standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What it printed on standard output.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
