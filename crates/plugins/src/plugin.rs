//! A loaded plugin: one compiled Rhai script, its sandboxed engine and its callable functions.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rhai::module_resolvers::DummyModuleResolver;
use rhai::{CallFnOptions, Dynamic, Engine, FnAccess, FuncArgs, Module, Scope, AST};
use scoreline_model::Value;
use scoreline_syntax::{Diagnostic, SourceFile};

use crate::error::{
    compile_diagnostic, function_position, load_diagnostic, runtime_message, PluginError,
};
use crate::limits::Limits;
use crate::value::{arg_to_dynamic, from_dynamic, PluginArg, ReturnError};

/// Most log lines kept between two [`Plugin::take_log`]s; later ones are counted, not kept.
const MAX_LOG_LINES: usize = 10_000;

/// How often (in operations) a running call looks at the clock.
const CLOCK_EVERY: u64 = 1_024;

thread_local! {
    /// When the call running on this thread must stop. Calls run on their caller's thread,
    /// so a thread-local is the call's own state and needs no lock.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// The lines printed on this thread while [`capture_log`] runs: each evaluation gets its
    /// own log, whoever else calls the same plugins at the same time.
    static CAPTURE: RefCell<Option<Log>> = const { RefCell::new(None) };
}

/// What plugins printed (`print`, `debug`) during a [`capture_log`], each line starting with
/// the plugin's name, in the order printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapturedLog {
    pub lines: Vec<String>,
    /// Lines printed beyond the most kept, counted only.
    pub dropped: usize,
}

impl CapturedLog {
    /// Appends `other` after these lines, keeping at most as many lines as a plugin's log.
    pub fn append(&mut self, other: CapturedLog) {
        let room = MAX_LOG_LINES.saturating_sub(self.lines.len());
        let kept = other.lines.len().min(room);
        self.dropped += other.lines.len() - kept + other.dropped;
        self.lines.extend(other.lines.into_iter().take(kept));
    }

    /// The lines, then a line saying how many were not kept, if any.
    pub fn into_lines(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.lines.push(format!(
                "{} more plugin log lines were not kept",
                self.dropped
            ));
        }
        self.lines
    }
}

/// Runs `f` and returns what plugins printed on this thread meanwhile (calls made on other
/// threads are not seen: each worker captures its own). Outside a capture, lines go to the
/// plugin's own log ([`Plugin::take_log`]).
pub fn capture_log<R>(f: impl FnOnce() -> R) -> (R, CapturedLog) {
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(Log::default()));
    let result = f();
    let log = CAPTURE.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
    let log = log.unwrap_or_default();
    (
        result,
        CapturedLog {
            lines: log.lines,
            dropped: log.dropped,
        },
    )
}

/// Sends a printed line to the capture running on this thread, or else to `shared`.
fn log_line(shared: &Mutex<Log>, line: String) {
    let line = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some(log) => {
            log.push(line);
            None
        }
        None => Some(line),
    });
    if let Some(line) = line {
        if let Ok(mut log) = shared.lock() {
            log.push(line);
        }
    }
}

/// A callable function of a plugin: its name and how many arguments it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: String,
    pub arity: usize,
    /// Its parameter names, for messages and documentation.
    pub params: Vec<String>,
}

/// Lines a plugin printed (`print`, `debug`), kept until the caller takes them.
#[derive(Debug, Default)]
struct Log {
    lines: Vec<String>,
    dropped: usize,
}

impl Log {
    fn push(&mut self, line: String) {
        if self.lines.len() < MAX_LOG_LINES {
            self.lines.push(line);
        } else {
            self.dropped += 1;
        }
    }
}

/// A compiled, loaded plugin script. Shared by reference across threads; calls do not lock.
pub struct Plugin {
    name: Arc<str>,
    file: Arc<SourceFile>,
    limits: Limits,
    /// The sandboxed engine, with the script's functions registered as a global module
    /// (which keeps the script's top-level constants visible to them as `global::NAME`).
    engine: Engine,
    /// An AST without statements or functions: calls then look only in the engine's modules.
    empty: AST,
    functions: Vec<FunctionInfo>,
    log: Arc<Mutex<Log>>,
    /// What the script does that will fail at every call (`global::NAME` of a `let`).
    warnings: Vec<Diagnostic>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("file", &self.file.name)
            .field("functions", &self.functions)
            .finish_non_exhaustive()
    }
}

/// Sets this thread's call deadline, and puts back the previous one when dropped.
struct DeadlineGuard(Option<Instant>);

impl DeadlineGuard {
    fn start(limits: &Limits) -> DeadlineGuard {
        let deadline = if limits.max_call_time.is_zero() {
            None
        } else {
            Instant::now().checked_add(limits.max_call_time)
        };
        DeadlineGuard(DEADLINE.with(|d| d.replace(deadline)))
    }
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(self.0));
    }
}

/// The arguments of one call, turned into script values as Rhai reads them (no extra vector).
struct CallArgs<'a>(&'a [PluginArg<'a>]);

impl FuncArgs for CallArgs<'_> {
    fn parse<ARGS: Extend<Dynamic>>(self, args: &mut ARGS) {
        args.extend(self.0.iter().map(arg_to_dynamic));
    }
}

/// A sandboxed engine: limits set, no imports, no `eval`, output captured.
fn sandbox(name: &Arc<str>, limits: &Limits, log: &Arc<Mutex<Log>>) -> Engine {
    let mut engine = Engine::new();
    engine.set_module_resolver(DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.set_strict_variables(true);
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_depth);
    engine.set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.set_max_variables(limits.max_variables);
    engine.set_max_functions(10_000);
    engine.set_max_modules(0);

    engine.on_progress(|operations| {
        if operations % CLOCK_EVERY != 0 {
            return None;
        }
        match DEADLINE.with(Cell::get) {
            Some(deadline) if Instant::now() >= deadline => Some(Dynamic::from("timeout")),
            _ => None,
        }
    });

    let (print_name, print_log) = (Arc::clone(name), Arc::clone(log));
    engine.on_print(move |text| log_line(&print_log, format!("{print_name}: {text}")));
    let (debug_name, debug_log) = (Arc::clone(name), Arc::clone(log));
    engine.on_debug(move |text, _source, position| {
        let line = match position.line() {
            Some(line) => format!("{debug_name} (line {line}): {text}"),
            None => format!("{debug_name}: {text}"),
        };
        log_line(&debug_log, line);
    });
    engine
}

impl Plugin {
    /// Compiles `script` and runs its top-level statements once.
    ///
    /// Errors are diagnostics pointing into the script: a syntax error, or a failure of the
    /// top-level statements (which are run under the same limits as calls).
    pub fn load(
        name: &str,
        script: Arc<SourceFile>,
        limits: &Limits,
    ) -> Result<Plugin, Vec<Diagnostic>> {
        let name: Arc<str> = Arc::from(name);
        let log = Arc::new(Mutex::new(Log::default()));
        let mut engine = sandbox(&name, limits, &log);

        let mut ast = engine
            .compile(&script.text)
            .map_err(|error| vec![compile_diagnostic(&script, &error)])?;
        ast.set_source(script.name.as_str());

        let mut functions: Vec<FunctionInfo> = ast
            .iter_functions()
            .filter(|f| {
                f.access == FnAccess::Public && f.this_type.is_none() && !f.name.starts_with('_')
            })
            .map(|f| FunctionInfo {
                name: f.name.to_string(),
                arity: f.params.len(),
                params: f.params.iter().map(|p| p.to_string()).collect(),
            })
            .collect();
        // Rhai keeps functions by hash: sort them so the list (and indices) are stable.
        functions.sort_by(|a, b| (&a.name, a.arity).cmp(&(&b.name, b.arity)));

        let module = {
            let _deadline = DeadlineGuard::start(limits);
            Module::eval_ast_as_new(Scope::new(), &ast, &engine)
                .map_err(|error| vec![load_diagnostic(&script, *error, limits)])?
        };
        engine.register_global_module(module.into());

        let warnings = crate::globals::global_reads_of_lets(&script);
        Ok(Plugin {
            warnings,
            name,
            file: script,
            limits: limits.clone(),
            engine,
            empty: AST::empty(),
            functions,
            log,
        })
    }

    /// Warnings pointing into the script: reads that fail at every call.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The plugin's name in the rule file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The plugin's script.
    pub fn file(&self) -> &Arc<SourceFile> {
        &self.file
    }

    /// The callable functions (top-level, name not beginning with `_`), sorted by name and arity.
    pub fn functions(&self) -> &[FunctionInfo] {
        &self.functions
    }

    /// The index of function `name` taking `arity` arguments, to pass to [`Plugin::call`].
    pub fn function_index(&self, name: &str, arity: usize) -> Option<usize> {
        self.functions
            .iter()
            .position(|f| f.name == name && f.arity == arity)
    }

    /// Calls function number `function` (see [`Plugin::function_index`]) with `args`.
    ///
    /// The call runs under the plugin's limits; whatever happens, the plugin stays usable.
    pub fn call(&self, function: usize, args: &[PluginArg<'_>]) -> Result<Value, PluginError> {
        let Some(info) = self.functions.get(function) else {
            return Err(self.error(
                "?",
                None,
                format!("this plugin has no function number {function}"),
                None,
            ));
        };
        if args.len() != info.arity {
            return Err(self.error(
                &info.name,
                None,
                format!(
                    "`{}` takes {} arguments, not {}",
                    info.name,
                    info.arity,
                    args.len()
                ),
                None,
            ));
        }
        let result = {
            let _deadline = DeadlineGuard::start(&self.limits);
            // A panic inside the script engine (a bug of rhai's, seen once under parallel
            // calls) fails this call like any other error, instead of the whole run.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.engine.call_fn_with_options::<Dynamic>(
                    CallFnOptions::new()
                        .eval_ast(false)
                        .rewind_scope(false)
                        .in_all_namespaces(true),
                    &mut Scope::new(),
                    &self.empty,
                    &info.name,
                    CallArgs(args),
                )
            }))
        };
        let Ok(result) = result else {
            return Err(self.error(
                &info.name,
                function_position(&self.file, &info.name),
                "the script engine failed inside this call (an internal error of rhai)".into(),
                Some("run again; if it happens again, report it with the plugin and the contact's data".into()),
            ));
        };
        match result {
            Ok(result) => from_dynamic(result).map_err(|error| {
                let position = function_position(&self.file, &info.name);
                let returned = match error {
                    ReturnError::WrongType(what) => what,
                    ReturnError::NotFinite => "a number that is not finite",
                };
                self.error(
                    &info.name,
                    position,
                    format!("returned {returned}; plugin functions must return text, a number, a bool or nothing"),
                    Some("return `()` for missing".into()),
                )
            }),
            Err(error) => {
                let (position, message, help) = runtime_message(*error, &self.limits);
                let position = position.or_else(|| function_position(&self.file, &info.name));
                Err(self.error(&info.name, position, message, help))
            }
        }
    }

    /// Takes the lines printed by the script (`print`, `debug`) since the last call, each
    /// starting with the plugin's name.
    pub fn take_log(&self) -> Vec<String> {
        let Ok(mut log) = self.log.lock() else {
            return Vec::new();
        };
        let mut lines = std::mem::take(&mut log.lines);
        if log.dropped > 0 {
            lines.push(format!(
                "{}: {} more lines were not kept",
                self.name, log.dropped
            ));
            log.dropped = 0;
        }
        lines
    }

    fn error(
        &self,
        function: &str,
        position: Option<scoreline_syntax::source::LineCol>,
        message: String,
        help: Option<String>,
    ) -> PluginError {
        PluginError {
            plugin: Arc::clone(&self.name),
            function: function.to_string(),
            file: Arc::clone(&self.file),
            position,
            message,
            help,
        }
    }
}

/// A plugin is shared by reference across the engine's worker threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Plugin>();
};
