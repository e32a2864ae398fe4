//! A ruleset as text: the rule file and the plugin scripts it declares, read once where the
//! files are and sent to wherever the scoring runs.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use scoreline_engine::check::{PluginFunction, PluginInfo, PluginResolver};
use scoreline_plugins::{Limits, Plugin};
use scoreline_syntax::ast::{Item, RuleFile};
use scoreline_syntax::SourceFile;

use crate::Error;

/// A rule file and its plugins' scripts, by the path the rule file declares them with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RulesetSource {
    /// The rule file's name in messages (its path as given).
    pub name: String,
    pub text: String,
    /// Each declared plugin path (`"../plugins/x.rhai"`) and the script's text.
    pub plugins: BTreeMap<String, String>,
    /// Where each declared plugin was looked for, for messages when it was not found.
    pub plugin_paths: BTreeMap<String, String>,
}

impl RulesetSource {
    /// Reads the rule file at `path` and every plugin script it declares (relative to it).
    /// A script that cannot be read is left out; checking then says which and where.
    pub fn read(path: &Path) -> Result<RulesetSource, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Other(format!(
                "cannot read the rule file `{}`: {e}",
                path.display()
            ))
        })?;
        let mut source = RulesetSource::from_text(path.display().to_string(), text);
        let base = path.parent().unwrap_or(Path::new(""));
        for (declared, at) in source.plugin_paths.iter_mut() {
            let file = base.join(declared);
            *at = file.display().to_string();
            if let Ok(script) = std::fs::read_to_string(&file) {
                source.plugins.insert(declared.clone(), script);
            }
        }
        Ok(source)
    }

    /// A rule file given as text, without its plugins (add them to `plugins`).
    pub fn from_text(name: String, text: String) -> RulesetSource {
        let file = Arc::new(SourceFile::new(name.clone(), text.clone()));
        let parsed = scoreline_syntax::parser::parse_recovering(&file);
        let plugin_paths = declared(&parsed.file)
            .into_iter()
            .map(|(_, path)| (path.clone(), path))
            .collect();
        RulesetSource {
            name,
            text,
            plugins: BTreeMap::new(),
            plugin_paths,
        }
    }

    /// The source as JSON (to send it to another machine).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A source from [`RulesetSource::to_json`]'s text.
    pub fn from_json(text: &str) -> Result<RulesetSource, Error> {
        serde_json::from_str(text)
            .map_err(|e| Error::Other(format!("the ruleset does not parse: {e}")))
    }
}

/// The plugin declarations of a file: (name, declared path).
fn declared(file: &RuleFile) -> Vec<(String, String)> {
    file.items
        .iter()
        .filter_map(|item| match item {
            Item::Plugin(p) => Some((p.name.name.clone(), p.path.value.clone())),
            _ => None,
        })
        .collect()
}

/// Plugins compiled from the scripts a [`RulesetSource`] carries (no file is read).
pub struct MemoryPlugins<'a> {
    source: &'a RulesetSource,
    names: Mutex<HashMap<String, String>>,
    loaded: Mutex<HashMap<String, Result<Arc<Plugin>, PluginInfo>>>,
}

impl<'a> MemoryPlugins<'a> {
    pub fn new(source: &'a RulesetSource) -> MemoryPlugins<'a> {
        MemoryPlugins {
            source,
            names: Mutex::new(HashMap::new()),
            loaded: Mutex::new(HashMap::new()),
        }
    }

    fn load(&self, declared: &str) -> Result<Arc<Plugin>, PluginInfo> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = loaded.get(declared) {
            return found.clone();
        }
        let name = self
            .names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(declared)
            .cloned()
            .unwrap_or_else(|| "plugin".into());
        let at = self
            .source
            .plugin_paths
            .get(declared)
            .cloned()
            .unwrap_or_else(|| declared.to_string());
        let result = match self.source.plugins.get(declared) {
            None => Err(PluginInfo::NotFound {
                reason: format!("`{at}`: no such file (plugins are read where the rule file is)"),
            }),
            Some(text) => {
                let script = Arc::new(SourceFile::new(at, text.clone()));
                Plugin::load(&name, script, &Limits::default())
                    .map(Arc::new)
                    .map_err(PluginInfo::Failed)
            }
        };
        loaded.insert(declared.to_string(), result.clone());
        result
    }
}

impl PluginResolver for MemoryPlugins<'_> {
    fn resolve(&self, declared_path: &str) -> PluginInfo {
        match self.load(declared_path) {
            Ok(plugin) => PluginInfo::Loaded {
                functions: plugin
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

    fn declared(&self, file: &RuleFile) {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        for (name, path) in declared(file) {
            names.entry(path).or_insert(name);
        }
    }

    fn plugin(&self, declared_path: &str) -> Option<Arc<Plugin>> {
        self.load(declared_path).ok()
    }
}
