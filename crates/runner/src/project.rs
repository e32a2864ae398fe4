//! `scoreline.yaml`: the project file that lets `run` and `watch` work without flags.

use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    pub contacts: Option<PathBuf>,
    #[serde(default)]
    pub events: OneOrMany,
    pub id_column: Option<String>,
}

/// `events:` may be one path or a list of paths.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    #[default]
    None,
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl OneOrMany {
    /// The paths, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(p) => vec![p.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
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
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

/// Reads `DIR/scoreline.yaml`. `Ok(None)` when `dir` was not given and the current folder
/// has no project file.
pub fn load(dir: Option<&Path>) -> Result<Option<LoadedProject>, String> {
    let (dir, required) = match dir {
        Some(d) => (d.to_path_buf(), true),
        None => (PathBuf::from("."), false),
    };
    let file = dir.join(PROJECT_FILE);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(e) => {
            return Err(format!(
                "error: cannot read `{}`: {}",
                file.display(),
                crate::sources::io_reason(&e)
            ))
        }
    };
    let project: Project = serde_yaml::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        format!(
            "error: {}{}: {}",
            file.display(),
            at,
            yaml_reason(&e.to_string())
        )
    })?;
    let dir = if dir.as_os_str() == "." {
        PathBuf::new()
    } else {
        dir
    };
    Ok(Some(LoadedProject { dir, project }))
}

/// serde_yaml's message without its trailing location (we print our own).
fn yaml_reason(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
