//! Reading rule files and plugin scripts from disk, and finding rule files in folders.

use crate::failure::Message;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use scoreline_engine::check::{PluginFunction, PluginInfo, PluginResolver};
use scoreline_plugins::{Limits, Plugin};
use scoreline_syntax::SourceFile;

/// A problem reading a file, phrased for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub Message);

/// Reads a text file; a file that is not UTF-8 is an error naming the line and column of
/// the first bad byte.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ReadError(Message::new(format!(
            "cannot read `{}`: {}",
            path.display(),
            io_reason(&e)
        )))
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Arc::new(SourceFile::new(path.display().to_string(), text))),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let before = String::from_utf8_lossy(&bytes[..valid]);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(ReadError(
                Message::new(format!(
                    "`{}` is not UTF-8 text (bad byte at {}:{}:{})",
                    path.display(),
                    path.display(),
                    line,
                    column
                ))
                .help("save the file as UTF-8"),
            ))
        }
    }
}

/// An I/O error in plain words (no Rust type names).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = e.to_string();
            // Drop the "(os error N)" suffix: it helps nobody.
            match text.find(" (os error") {
                Some(i) => text[..i].to_string(),
                None => text,
            }
        }
    }
}

/// Expands folders into the `*.score` files below them (sorted, so output is stable).
pub fn find_rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found).map_err(|e| {
                ReadError(Message::new(format!(
                    "cannot read folder `{}`: {}",
                    path.display(),
                    io_reason(&e)
                )))
            })?;
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "score") {
            out.push(path);
        }
    }
    Ok(())
}

/// A loaded plugin, with the bytes it was compiled from (for the ruleset version).
pub struct LoadedPlugin {
    pub plugin: Arc<Plugin>,
    pub bytes: Vec<u8>,
}

/// Compiled plugins by file and by the name the rule file gives them, kept between checks so
/// that an unchanged plugin is not compiled again.
pub type PluginCache = HashMap<(PathBuf, String), Arc<LoadedPlugin>>;

/// Finds, reads and compiles the plugins a rule file declares, relative to the rule file.
/// Compiled plugins are kept so that `check`, `run` and `explain` compile each once.
pub struct PluginFiles {
    base: PathBuf,
    limits: Limits,
    /// Compiled plugins by declared path (a script declared twice is compiled once).
    loaded: Mutex<HashMap<String, Result<Arc<LoadedPlugin>, PluginInfo>>>,
    /// The plugin name each declared path was given in the rule file (for log lines).
    names: Mutex<HashMap<String, String>>,
    /// Plugins compiled earlier, used instead of reading and compiling the file again.
    preloaded: PluginCache,
}

impl PluginFiles {
    /// Plugins declared by the rule file at `rule_file`.
    pub fn new(rule_file: &Path, limits: Limits) -> PluginFiles {
        PluginFiles {
            base: rule_file
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            limits,
            loaded: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
            preloaded: PluginCache::new(),
        }
    }

    /// Like [`PluginFiles::new`], reusing plugins compiled earlier (by file and name).
    pub fn with_compiled(rule_file: &Path, limits: Limits, preloaded: PluginCache) -> PluginFiles {
        PluginFiles {
            preloaded,
            ..PluginFiles::new(rule_file, limits)
        }
    }

    /// The plugins that compiled, by file and name, to pass to the next check.
    pub fn compiled(&self) -> PluginCache {
        let names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        let loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        loaded
            .iter()
            .filter_map(|(declared, result)| {
                let plugin = result.as_ref().ok()?;
                let name = names
                    .get(declared)
                    .cloned()
                    .unwrap_or_else(|| "plugin".to_string());
                Some(((self.path_of(declared), name), Arc::clone(plugin)))
            })
            .collect()
    }

    /// Remembers the names the rule file gives its plugins.
    pub fn name_plugins(&self, ast: &scoreline_syntax::ast::RuleFile) {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        for item in &ast.items {
            if let scoreline_syntax::ast::Item::Plugin(p) = item {
                names
                    .entry(p.path.value.clone())
                    .or_insert_with(|| p.name.name.clone());
            }
        }
    }

    /// The path a declared plugin path refers to.
    pub fn path_of(&self, declared: &str) -> PathBuf {
        self.base.join(declared)
    }

    /// The compiled plugin for a declared path, if it compiled.
    pub fn get(&self, declared: &str) -> Option<Arc<LoadedPlugin>> {
        self.load(declared).ok()
    }

    fn load(&self, declared: &str) -> Result<Arc<LoadedPlugin>, PluginInfo> {
        let plugin_name = {
            let names = self.names.lock().unwrap_or_else(|e| e.into_inner());
            names
                .get(declared)
                .cloned()
                .unwrap_or_else(|| "plugin".to_string())
        };
        let key = declared.to_string();
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = loaded.get(&key) {
            return clone_result(found);
        }
        let path = self.path_of(declared);
        if let Some(plugin) = self.preloaded.get(&(path.clone(), plugin_name.clone())) {
            loaded.insert(key, Ok(Arc::clone(plugin)));
            return Ok(Arc::clone(plugin));
        }
        let result = match std::fs::read(&path) {
            Err(e) => Err(PluginInfo::NotFound {
                reason: format!("`{}`: {}", path.display(), io_reason(&e)),
            }),
            Ok(bytes) => match String::from_utf8(bytes.clone()) {
                Err(_) => Err(PluginInfo::NotFound {
                    reason: format!("`{}` is not UTF-8 text", path.display()),
                }),
                Ok(text) => {
                    let source = Arc::new(SourceFile::new(path.display().to_string(), text));
                    match Plugin::load(&plugin_name, source, &self.limits) {
                        Ok(plugin) => Ok(Arc::new(LoadedPlugin {
                            plugin: Arc::new(plugin),
                            bytes,
                        })),
                        Err(diagnostics) => Err(PluginInfo::Failed(diagnostics)),
                    }
                }
            },
        };
        let out = clone_result(&result);
        loaded.insert(key, result);
        out
    }
}

fn clone_result(
    r: &Result<Arc<LoadedPlugin>, PluginInfo>,
) -> Result<Arc<LoadedPlugin>, PluginInfo> {
    match r {
        Ok(p) => Ok(Arc::clone(p)),
        Err(info) => Err(info.clone()),
    }
}

impl PluginResolver for PluginFiles {
    fn resolve(&self, declared_path: &str) -> PluginInfo {
        match self.load(declared_path) {
            Ok(p) => PluginInfo::Loaded {
                functions: p
                    .plugin
                    .functions()
                    .iter()
                    .map(|f| PluginFunction {
                        name: f.name.clone(),
                        arity: f.arity,
                    })
                    .collect(),
            },
            Err(info) => info,
        }
    }

    fn declared(&self, file: &scoreline_syntax::ast::RuleFile) {
        self.name_plugins(file);
    }

    fn plugin(&self, declared_path: &str) -> Option<Arc<scoreline_plugins::Plugin>> {
        self.get(declared_path).map(|p| Arc::clone(&p.plugin))
    }
}
