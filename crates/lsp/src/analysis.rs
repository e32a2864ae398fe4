//! One version of a document, checked: the diagnostics of `scoreline check` and the index of
//! its names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use scoreline_runner::pipeline::{check_source, CheckedFile};
use scoreline_runner::sources::{PluginCache, PluginFiles};
use scoreline_syntax::ast::RuleFile;
use scoreline_syntax::SourceFile;

use crate::index::Index;
use crate::text::LineIndex;

/// The largest document checked as the author types; a larger one gets one warning saying
/// so (the command line still checks it).
pub const MAX_DOCUMENT: usize = 8 * 1024 * 1024;

/// What the server knows about one version of a document.
pub struct Analysis {
    pub source: Arc<SourceFile>,
    pub lines: LineIndex,
    /// The items that parsed (all of them when there is no syntax error).
    pub tree: RuleFile,
    /// Whether the whole file parsed (formatting needs that).
    pub parses: bool,
    pub index: Index,
    /// The checker's findings and the file's plugins.
    pub checked: CheckedFile,
}

impl Analysis {
    /// Checks `text`, the document at `path` (plugins are found relative to it).
    pub fn new(path: &Path, text: &str, plugins: PluginCache) -> Analysis {
        let source = Arc::new(SourceFile::new(path.display().to_string(), text));
        let files = PluginFiles::with_compiled(path, Default::default(), plugins);
        let mut checked = check_source(Arc::clone(&source), files);
        // The checker keeps the tree of a file that parses; one with syntax errors is read
        // again for the items that parse.
        let (tree, parses) = match checked.ast.take() {
            Some(tree) => (tree, true),
            None => (
                scoreline_syntax::parser::parse_recovering(&source).file,
                false,
            ),
        };
        let index = Index::new(&tree);
        Analysis {
            lines: LineIndex::new(text),
            tree,
            parses,
            index,
            checked,
            source,
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.source.text
    }

    /// The plugin script declared as `plugin NAME = "…"`: its path on disk, when declared.
    pub fn plugin_path(&self, name: &str) -> Option<(String, PathBuf)> {
        self.tree.items.iter().find_map(|item| match item {
            scoreline_syntax::ast::Item::Plugin(p) if p.name.name == name => Some((
                p.path.value.clone(),
                self.checked.plugins.path_of(&p.path.value),
            )),
            _ => None,
        })
    }

    /// The functions of the plugin declared with path `declared` and their parameter names,
    /// when the script loaded.
    pub fn plugin_functions(&self, declared: &str) -> Option<Vec<(String, Vec<String>)>> {
        let loaded = self.checked.plugins.get(declared)?;
        Some(
            loaded
                .plugin
                .functions()
                .iter()
                .map(|f| (f.name.clone(), f.params.clone()))
                .collect(),
        )
    }
}
