//! Loaded plugins kept by script content, so that reloading a rule file (watch mode, several
//! rule files declaring the same plugin) does not compile and run an unchanged script again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use scoreline_syntax::{Diagnostic, SourceFile};

use crate::limits::Limits;
use crate::plugin::Plugin;

/// What makes two loads give the same plugin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    name: String,
    file_name: String,
    text: String,
    limits: Limits,
}

/// Plugins already loaded, by name, script name, script text and limits.
#[derive(Debug, Default)]
pub struct PluginCache {
    plugins: Mutex<HashMap<Key, Arc<Plugin>>>,
}

impl PluginCache {
    /// An empty cache.
    pub fn new() -> PluginCache {
        PluginCache::default()
    }

    /// The plugin loaded from this exact script before, or a fresh load (see [`Plugin::load`]).
    /// Scripts that fail to load are not kept.
    pub fn load(
        &self,
        name: &str,
        script: Arc<SourceFile>,
        limits: &Limits,
    ) -> Result<Arc<Plugin>, Vec<Diagnostic>> {
        let key = Key {
            name: name.to_string(),
            file_name: script.name.clone(),
            text: script.text.clone(),
            limits: limits.clone(),
        };
        if let Some(plugin) = self.lock().get(&key) {
            return Ok(Arc::clone(plugin));
        }
        // Load without holding the lock: a slow script must not block other loads.
        let plugin = Arc::new(Plugin::load(name, script, limits)?);
        Ok(Arc::clone(self.lock().entry(key).or_insert(plugin)))
    }

    /// How many plugins are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no plugin is kept.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets every plugin.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Plugin>>> {
        // A panic while holding this lock cannot leave the map half-updated: recover it.
        self.plugins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
