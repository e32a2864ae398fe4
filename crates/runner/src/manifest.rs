//! The run's manifest: what produced the outputs (the tool, the ruleset, the as-of) and from
//! which inputs (each data file's path, SHA-256 and records), as a small JSON file written
//! beside the scores after them (`out/scores.csv` → `out/scores.manifest.json`). The CSV
//! outputs stay plain tables; the manifest holds what a comment line would have said.
//!
//! It holds no clock time: two runs with the same inputs and as-of write the same bytes.

use crate::failure::Message;
use std::path::{Component, Path, PathBuf};

use scoreline_data::{FileRows, OutputFormat, OutputMeta};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of the manifest's shape; it changes when a field changes meaning or goes.
pub const MANIFEST_VERSION: u32 = 1;

/// What produced a set of outputs, and from what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The version of this shape ([`MANIFEST_VERSION`]).
    pub manifest_version: u32,
    pub tool: Tool,
    pub ruleset: RulesetStamp,
    /// The instant the scores were computed for (RFC 3339, UTC).
    pub as_of: String,
    /// The data files, the contacts file first, then the events files in order, then the
    /// accounts file.
    pub inputs: Vec<Input>,
    /// The files written with the scores and described by this manifest.
    pub outputs: Vec<Output>,
}

/// The program that wrote the outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// The ruleset's name and version, as stamped on JSON outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesetStamp {
    pub name: String,
    pub version: String,
}

/// What a data file is to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputRole {
    Contacts,
    Events,
    /// The accounts file (LANGUAGE.md §13).
    Accounts,
}

/// One data file, as the scores were computed from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub role: InputRole,
    /// The path as the run was given it (relative to the folder it ran in).
    pub path: String,
    /// The SHA-256 of the file's bytes, in lowercase hex.
    pub sha256: String,
    /// The records read: CSV rows after the header, NDJSON lines, JSON or YAML items.
    pub rows: usize,
    /// Of those, the records set aside with `--skip-bad-rows`.
    pub skipped: usize,
}

/// What an output file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputRole {
    /// The scores table, one row per contact.
    Scores,
    /// Every contact's explanation, one per line.
    Explain,
    /// The rows set aside with `--skip-bad-rows`.
    SkippedRows,
    /// The accounts' scores and segments, one row per account (LANGUAGE.md §13).
    Accounts,
}

/// One output file written with the scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub role: OutputRole,
    /// The path as the run was given it (relative to the folder it ran in).
    pub path: String,
    /// `csv`, `json` or `ndjson`.
    pub format: String,
    /// Rows (CSV, after the header), objects (JSON) or lines (NDJSON).
    pub rows: usize,
}

impl Manifest {
    /// A manifest for outputs of the ruleset `meta` as of `as_of_millis`.
    pub fn new(
        meta: &OutputMeta,
        as_of_millis: i64,
        inputs: Vec<Input>,
        outputs: Vec<Output>,
    ) -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            tool: Tool {
                name: "scoreline".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            ruleset: RulesetStamp {
                name: meta.ruleset.clone(),
                version: meta.version.clone(),
            },
            as_of: scoreline_data::format_date(as_of_millis),
            inputs,
            outputs,
        }
    }

    /// The manifest as written: indented JSON ending with a line break.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the manifest to `path` atomically (temporary file + rename, folder created if
    /// missing). `Err` is a message for the user.
    pub fn write(&self, path: &Path) -> Result<(), Message> {
        let text = self.to_json();
        crate::output::write_file(path, |w| w.write_all(text.as_bytes()))
    }
}

impl Output {
    /// An output file of `role` holding `rows` rows.
    pub fn new(role: OutputRole, path: &Path, format: OutputFormat, rows: usize) -> Output {
        Output {
            role,
            path: path_text(path),
            format: match format {
                OutputFormat::Csv => "csv",
                OutputFormat::Json => "json",
                OutputFormat::Ndjson => "ndjson",
            }
            .into(),
            rows,
        }
    }
}

/// The manifest beside a scores file: its name without the extension, then
/// `.manifest.json` (`out/scores.csv` → `out/scores.manifest.json`).
pub fn manifest_path(scores: &Path) -> PathBuf {
    let stem = scores
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scores".into());
    scores.with_file_name(format!("{stem}.manifest.json"))
}

/// A path as shown in the manifest: as given, without `.` components (`./data/x.csv` is
/// `data/x.csv`).
pub fn path_text(path: &Path) -> String {
    let clean: PathBuf = path
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    if clean.as_os_str().is_empty() {
        ".".into()
    } else {
        clean.display().to_string()
    }
}

/// The SHA-256 of a data file's bytes, kept open so that bytes appended to the file are
/// hashed alone (`scoreline watch` with a growing events file).
#[derive(Debug, Clone, Default)]
pub struct InputHash(Sha256);

impl InputHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> InputHash {
        let mut h = InputHash::default();
        h.append(bytes);
        h
    }

    /// Adds bytes that follow those hashed so far.
    pub fn append(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The hash of every byte so far, in lowercase hex.
    pub fn hex(&self) -> String {
        self.0
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The inputs of a run: each data file's path, hash and records (`files` as the loader
/// counted them, in the same order as `paths`: the contacts file first).
/// With `accounts`, the last of `paths` (and of `files`) is the accounts file.
pub fn inputs(
    paths: &[&Path],
    hashes: &[String],
    files: &[FileRows],
    accounts: bool,
) -> Vec<Input> {
    let accounts_last = accounts && paths.len() > 1;
    paths
        .iter()
        .zip(hashes)
        .enumerate()
        .map(|(i, (path, sha256))| {
            let counts = files.get(i).cloned().unwrap_or_default();
            Input {
                role: if i == 0 {
                    InputRole::Contacts
                } else if accounts_last && i == paths.len() - 1 {
                    InputRole::Accounts
                } else {
                    InputRole::Events
                },
                // A database as its URL without the password.
                path: if crate::database::is_db(path) {
                    crate::database::shown(path)
                } else {
                    path_text(path)
                },
                sha256: sha256.clone(),
                rows: counts.rows,
                skipped: counts.skipped,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_beside_the_scores() {
        let cases = [
            ("out/scores.csv", "out/scores.manifest.json"),
            ("scores.json", "scores.manifest.json"),
            ("out/leads.v2.ndjson", "out/leads.v2.manifest.json"),
            ("out/scores", "out/scores.manifest.json"),
        ];
        for (scores, manifest) in cases {
            assert_eq!(manifest_path(Path::new(scores)), Path::new(manifest));
        }
        assert_eq!(path_text(Path::new("./data/./c.csv")), "data/c.csv");
        assert_eq!(path_text(Path::new("/srv/c.csv")), "/srv/c.csv");
    }

    /// Hashing in parts gives the hash of the whole (the known digest of `abc`).
    #[test]
    fn appended_bytes_extend_the_hash() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(InputHash::of(b"abc").hex(), abc);
        let mut h = InputHash::of(b"a");
        assert_ne!(h.hex(), abc);
        h.append(b"bc");
        assert_eq!(h.hex(), abc);
    }
}
