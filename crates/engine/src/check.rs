//! The checker: every name resolved, every expression typed, plugins asked for their
//! functions, and warnings about rules that cannot do what their author meant.
//!
//! It reports every problem it finds in one pass. A name it cannot resolve gets an unknown
//! type, and unknown types are accepted everywhere, so one typo gives one error.
//!
//! What it learns is the typed tree ([`crate::typed`]) the compiler lowers: the compiler has
//! no error of its own, only the checks of [`in_force`] against the data's schema and the
//! loaded plugins, which the checker cannot make before they are known.

mod calls;
mod expr;
mod in_force;
mod items;
mod partial;
mod population;
mod schema;
mod segments;
pub mod types;

use scoreline_syntax::codes;
use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;
use scoreline_syntax::ast::{EventRef, Item, RuleFile, Span};
use scoreline_syntax::{Diagnostic, SourceFile};

use crate::resolve::{self, ItemKind, Symbols};
use crate::typed;
pub use in_force::in_force;
pub use partial::check_partial;
use schema::SchemaEnv;
pub use types::{EventOf, Scalar, Type};

/// What the checker needs from outside the engine.
pub struct CheckOptions<'a> {
    /// Finds and compiles the plugins the file declares (may know nothing).
    pub plugins: &'a dyn PluginResolver,
}

/// Finds a plugin script by the path written in the rule file and tells what it offers.
pub trait PluginResolver {
    /// What the script at `declared_path` (as written, relative to the rule file) offers.
    fn resolve(&self, declared_path: &str) -> PluginInfo;

    /// Told the rule file's plugin declarations before they are resolved (their names tag
    /// the plugins' log lines).
    fn declared(&self, _file: &RuleFile) {}

    /// The compiled script at `declared_path`, for evaluation, if it loaded.
    fn plugin(&self, _declared_path: &str) -> Option<Arc<scoreline_plugins::Plugin>> {
        None
    }
}

/// The outcome of looking up a plugin script.
#[derive(Debug, Clone)]
pub enum PluginInfo {
    /// The script could not be read; `reason` says where it was looked for and why.
    NotFound { reason: String },
    /// The script does not compile; the diagnostics point into the script.
    Failed(Vec<Diagnostic>),
    /// The script compiled; these are its callable functions.
    Loaded { functions: Vec<PluginFunction> },
}

/// A function a plugin offers: `NAME.function(…)` with `arity` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginFunction {
    pub name: String,
    pub arity: usize,
}

/// A resolver that knows no plugin: every plugin is reported as not found.
pub struct NoPlugins;

impl PluginResolver for NoPlugins {
    fn resolve(&self, declared_path: &str) -> PluginInfo {
        PluginInfo::NotFound {
            reason: format!("plugins are not available here (`{declared_path}`)"),
        }
    }
}

/// What the checker learnt about a rule file.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The rule file checked.
    pub file: Arc<SourceFile>,
    /// The rule file as the checker understood it: what the compiler lowers.
    pub typed: typed::RuleFile,
    /// Item names, references and evaluation order.
    pub symbols: Symbols,
    /// The schema block, as the data loaders use it (contact fields start with `id: text`).
    pub schema: Option<scoreline_model::Schema>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The type of each let, score and segment, by name (`Unknown` when it has errors or
    /// depends on data without a schema).
    pub types: HashMap<String, Type>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        has_errors(&self.diagnostics)
    }
}

/// Whether any of the diagnostics is an error (not a warning).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Checks a parsed rule file: names, types, plugins, population functions and warnings.
pub fn check(file: &Arc<SourceFile>, ast: &RuleFile, options: &CheckOptions) -> Checked {
    let (symbols, mut diagnostics) = resolve::resolve(file, ast);
    let env = schema::build(file, ast, &mut diagnostics);
    let mut checker = Checker::new(file, ast, &symbols, &env, diagnostics);
    checker.plugins(options.plugins);
    checker.items();
    let mut types = HashMap::new();
    for (name, r) in &symbols.items {
        if r.kind != ItemKind::Plugin {
            types.insert(name.clone(), checker.item_type(r.index));
        }
    }
    let typed = typed::RuleFile {
        ruleset: ast.header.as_ref().map(|h| h.name.name.clone()),
        items: checker.typed_items.into_iter().flatten().collect(),
        fields: checker.fields,
        plugin_calls: checker.plugin_calls,
        account_fields: checker.account_fields,
    };
    let mut diagnostics = checker.diags;
    // Plugin diagnostics point into other files: keep them after this file's, in order.
    diagnostics.sort_by(|a, b| {
        let other_a = !Arc::ptr_eq(&a.file, file);
        let other_b = !Arc::ptr_eq(&b.file, file);
        (other_a, a.span.start, a.span.end).cmp(&(other_b, b.span.start, b.span.end))
    });
    Checked {
        file: Arc::clone(file),
        typed,
        symbols,
        schema: env.declared.then(|| env.to_data()),
        diagnostics,
        types,
    }
}

/// What a declared plugin turned out to be.
enum PluginState {
    /// Not found or failed to compile: already reported; calls are not checked further.
    Unavailable,
    Loaded(Vec<PluginFunction>),
}

/// Where an expression stands, which decides what its bare names mean.
#[derive(Debug, Clone, Copy, Default)]
struct Scope<'a> {
    /// Inside `where` or the points of an `each`: bare names are the event's properties.
    event: Option<EventOf>,
    /// With `event`, the event type as the filter names it.
    filter: Option<&'a EventRef>,
    /// Inside the argument of a population function (its name).
    population: Option<&'static str>,
    /// Bare names are an account's (its fields and account items), not a contact's.
    account: bool,
    /// Inside `contacts where …` or a `contacts.NAME` of an account item.
    member: bool,
}

/// The state of one check.
struct Checker<'a> {
    file: &'a Arc<SourceFile>,
    ast: &'a RuleFile,
    symbols: &'a Symbols,
    schema: &'a SchemaEnv,
    plugins: HashMap<String, PluginState>,
    /// The type of each item by index, once known.
    item_types: Vec<Option<Type>>,
    /// Whether each item calls a population function itself (not through names).
    ranks: Vec<Option<&'static str>>,
    /// Patterns already compiled, or why they are invalid (files repeat patterns).
    patterns: HashMap<String, Result<Regex, String>>,
    /// The typed form of each item, by index, once checked.
    typed_items: Vec<Option<typed::Item>>,
    /// The contact fields read, and the plugin functions called (see [`in_force`]).
    fields: Vec<typed::FieldUse>,
    /// The account fields read.
    account_fields: Vec<typed::FieldUse>,
    /// Whether the item being checked is an account item.
    item_account: bool,
    plugin_calls: Vec<typed::PluginUse>,
    diags: Vec<Diagnostic>,
    /// How many of `diags` are errors.
    errors: usize,
}

impl<'a> Checker<'a> {
    fn new(
        file: &'a Arc<SourceFile>,
        ast: &'a RuleFile,
        symbols: &'a Symbols,
        schema: &'a SchemaEnv,
        diags: Vec<Diagnostic>,
    ) -> Checker<'a> {
        let mut item_types = vec![None; ast.items.len()];
        for (index, item) in ast.items.iter().enumerate() {
            match item {
                Item::Score(_) => item_types[index] = Some(Type::Number),
                Item::Segment(_) => item_types[index] = Some(Type::Text),
                _ => {}
            }
        }
        Checker {
            file,
            ast,
            symbols,
            schema,
            plugins: HashMap::new(),
            item_types,
            ranks: population::direct_ranks(ast),
            patterns: HashMap::new(),
            typed_items: vec![None; ast.items.len()],
            fields: Vec::new(),
            account_fields: Vec::new(),
            item_account: false,
            plugin_calls: Vec::new(),
            errors: diags.iter().filter(|d| d.is_error()).count(),
            diags,
        }
    }

    /// The scope at the top of the item being checked: bare names are of its level.
    fn top(&self) -> Scope<'static> {
        Scope {
            account: self.item_account,
            ..Scope::default()
        }
    }

    /// The type of item `index`; unknown until its value has been checked.
    fn item_type(&self, index: usize) -> Type {
        self.item_types
            .get(index)
            .copied()
            .flatten()
            .unwrap_or(Type::Unknown)
    }

    /// An error in this file, to be completed and then pushed with [`Checker::push`].
    fn error(&self, code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.file, code, self.trim(span), message)
    }

    /// A warning in this file.
    fn warning(&self, code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(self.file, code, self.trim(span), message)
    }

    /// The span without the whitespace it may end with, so carets stay under the words.
    fn trim(&self, span: Span) -> Span {
        let text = self.file.slice(span);
        let kept = text.trim_end().len();
        if kept == 0 {
            return span;
        }
        Span {
            start: span.start,
            end: span.start + kept as u32,
        }
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.errors += usize::from(diagnostic.is_error());
        self.diags.push(diagnostic);
    }

    /// How many errors have been reported so far.
    fn error_count(&self) -> usize {
        self.errors
    }

    /// The source text of a span, in backticks, shortened when long.
    fn quote(&self, span: Span) -> String {
        format!("`{}`", self.snippet(span))
    }

    /// The source text of a span on one line, shortened when long.
    fn snippet(&self, span: Span) -> String {
        let text = self.file.slice(span);
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > 40 {
            let short: String = text.chars().take(37).collect();
            format!("{short}…")
        } else {
            text
        }
    }

    /// The 1-based line of a byte offset.
    fn line(&self, span: Span) -> usize {
        self.file.line_col(span.start as usize).line
    }

    /// Asks the resolver for each declared plugin; reports missing scripts and name clashes.
    fn plugins(&mut self, resolver: &dyn PluginResolver) {
        for (index, item) in self.ast.items.iter().enumerate() {
            let Item::Plugin(decl) = item else { continue };
            if self.schema.contact.contains_key(&decl.name.name) {
                let name = &decl.name.name;
                let d = self
                    .error(
                        codes::E0404,
                        decl.name.span,
                        format!("the plugin name `{name}` is also a contact field"),
                    )
                    .with_label("clashes with the field")
                    .with_help(format!(
                        "give the plugin another name, such as `{name}_plugin`"
                    ));
                self.push(d);
            }
            let state = match resolver.resolve(&decl.path.value) {
                PluginInfo::NotFound { reason } => {
                    let d = self
                        .error(
                            codes::E0401,
                            decl.path.span,
                            format!("plugin file `{}` not found", decl.path.value),
                        )
                        .with_label("cannot read this file")
                        .with_help(format!("{reason}; the path is relative to the rule file"));
                    self.push(d);
                    PluginState::Unavailable
                }
                PluginInfo::Failed(diagnostics) => {
                    for d in diagnostics {
                        self.push(d);
                    }
                    PluginState::Unavailable
                }
                PluginInfo::Loaded { functions } => {
                    if let Some(plugin) = resolver.plugin(&decl.path.value) {
                        for d in plugin.warnings() {
                            self.push(d.clone());
                        }
                    }
                    PluginState::Loaded(functions)
                }
            };
            // A plugin declared twice is reported by the resolver; the first one counts.
            if self.symbols.get(&decl.name.name).map(|r| r.index) == Some(index) {
                self.plugins.insert(decl.name.name.clone(), state);
            }
        }
    }
}
