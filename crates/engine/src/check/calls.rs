//! Calls: built-in functions, population functions and plugin functions.

use scoreline_syntax::ast::{Expr, ExprKind, Ident, Span};

use super::expr::{format_number, unparen};
use super::population::POPULATION;
use scoreline_model::suggest;
use super::types::Type;
use super::{Checker, PluginState, Scope};
use crate::resolve::ItemKind;

/// Every built-in function with how it is written, for help lines and suggestions.
pub(super) const BUILTINS: &[(&str, &str)] = &[
    ("lower", "lower(text)"),
    ("upper", "upper(text)"),
    ("len", "len(text or list)"),
    ("abs", "abs(number)"),
    ("round", "round(number) or round(number, digits)"),
    ("floor", "floor(number)"),
    ("ceil", "ceil(number)"),
    ("ln", "ln(number)"),
    ("min", "min(a, b, …)"),
    ("max", "max(a, b, …)"),
    ("days_since", "days_since(date or event)"),
    ("days_between", "days_between(date, date)"),
    ("if", "if(condition, a, b)"),
    ("coalesce", "coalesce(a, b, …)"),
    ("ntile", "ntile(value, buckets)"),
    ("quintile", "quintile(value)"),
    ("decile", "decile(value)"),
    ("percent_rank", "percent_rank(value)"),
];

fn usage(name: &str) -> &'static str {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, u)| *u)
        .unwrap_or("")
}

impl Checker<'_> {
    /// A call of a built-in or population function.
    pub(super) fn call(
        &mut self,
        function: &Ident,
        args: &[Expr],
        span: Span,
        scope: Scope,
    ) -> Type {
        let before = self.diags.len();
        let ty = self.call_type(function, args, span, scope);
        // A call with a mistake in it has no trustworthy type: do not report its uses too.
        if self.diags[before..].iter().any(|d| d.is_error()) {
            Type::Unknown
        } else {
            ty
        }
    }

    fn call_type(&mut self, function: &Ident, args: &[Expr], span: Span, scope: Scope) -> Type {
        let name = function.name.as_str();
        if let Some(&(pop, _)) = POPULATION.iter().find(|(n, _)| *n == name) {
            return self.population_call(pop, function, args, span, scope);
        }
        let Some(&(builtin, _)) = BUILTINS.iter().find(|(n, _)| *n == name) else {
            for arg in args {
                self.expr(arg, scope);
            }
            self.unknown_function(function);
            return Type::Unknown;
        };
        let (min, max) = match builtin {
            "lower" | "upper" | "len" | "abs" | "floor" | "ceil" | "ln" | "days_since" => (1, 1),
            "round" => (1, 2),
            "days_between" => (2, 2),
            "if" => (3, 3),
            _ => (2, usize::MAX), // min, max, coalesce
        };
        if args.len() < min || args.len() > max {
            self.arity(builtin, function, args, span, min, max);
        }
        match builtin {
            "lower" | "upper" => {
                self.args_of(builtin, args, scope, &[Type::Text]);
                Type::Text
            }
            "len" => {
                if let Some(arg) = args.first() {
                    let t = self.value(arg, scope);
                    if t.is_known() && t != Type::Text && !matches!(t, Type::List(_)) {
                        self.arg_type(builtin, arg, t, "a text or a list");
                    }
                }
                self.rest(args, 1, scope);
                Type::Number
            }
            "abs" | "floor" | "ceil" | "ln" | "round" => {
                self.args_of(builtin, args, scope, &[Type::Number, Type::Number]);
                if builtin == "round" {
                    if let Some(digits) = args.get(1) {
                        if let ExprKind::Number(n) = unparen(digits).kind {
                            if n.fract() != 0.0 || !(0.0..=15.0).contains(&n) {
                                let d = self
                                    .error("E0307", digits.span, format!("`round` keeps 0 to 15 digits, not `{}`", format_number(n)))
                                    .with_label("not a number of digits")
                                    .with_help("write a whole number of digits after the point, such as `round(x, 2)`");
                                self.push(d);
                            }
                        }
                    }
                }
                Type::Number
            }
            "days_since" => {
                if let Some(arg) = args.first() {
                    let t = self.expr(arg, scope);
                    if t.is_known() && t != Type::Date && !matches!(t, Type::Event(_)) {
                        self.arg_type(builtin, arg, t, "a date or an event");
                    }
                }
                self.rest(args, 1, scope);
                Type::Number
            }
            "days_between" => {
                self.args_of(builtin, args, scope, &[Type::Date, Type::Date]);
                Type::Number
            }
            "if" => {
                if let Some(cond) = args.first() {
                    let t = self.value(cond, scope);
                    self.expect_bool(cond, t);
                }
                match (args.get(1), args.get(2)) {
                    (Some(a), Some(b)) => {
                        let ta = self.expr(a, scope);
                        let tb = self.expr(b, scope);
                        let r = self.join(ta, tb, a, b, function.span, "`if`");
                        self.rest(args, 3, scope);
                        r
                    }
                    _ => {
                        self.rest(args, 1, scope);
                        Type::Unknown
                    }
                }
            }
            "coalesce" => {
                let mut ty = Type::Missing;
                let mut first: Option<&Expr> = None;
                for arg in args {
                    let t = self.expr(arg, scope);
                    ty = match first {
                        None => t,
                        Some(f) => self.join(ty, t, f, arg, function.span, "`coalesce`"),
                    };
                    first.get_or_insert(arg);
                }
                ty
            }
            _ => {
                // min, max: all numbers, all dates or all durations.
                let mut seen: Option<(Type, &Expr)> = None;
                for arg in args {
                    let t = self.value(arg, scope);
                    if !t.is_known() {
                        continue;
                    }
                    if !matches!(t, Type::Number | Type::Date | Type::Duration) {
                        self.arg_type(builtin, arg, t, "numbers, dates or durations");
                        continue;
                    }
                    match seen {
                        None => seen = Some((t, arg)),
                        Some((s, first)) if s != t => {
                            let d = self
                                .error(
                                    "E0307",
                                    arg.span,
                                    format!(
                                        "`{builtin}` mixes {} and {}",
                                        s.describe(),
                                        t.describe()
                                    ),
                                )
                                .with_label(t.describe())
                                .with_help(format!(
                                    "every value must have the type of the first one, {}",
                                    self.quote(first.span)
                                ));
                            self.push(d);
                        }
                        Some(_) => {}
                    }
                }
                seen.map(|(t, _)| t).unwrap_or(Type::Unknown)
            }
        }
    }

    /// Checks arguments against expected types (extra arguments are still checked).
    fn args_of(&mut self, function: &str, args: &[Expr], scope: Scope, want: &[Type]) {
        for (i, arg) in args.iter().enumerate() {
            let t = self.value(arg, scope);
            if let Some(&w) = want.get(i) {
                if !t.fits(w) {
                    self.arg_type(function, arg, t, w.describe());
                }
            }
        }
    }

    fn rest(&mut self, args: &[Expr], from: usize, scope: Scope) {
        for arg in args.iter().skip(from) {
            self.expr(arg, scope);
        }
    }

    fn arg_type(&mut self, function: &str, arg: &Expr, got: Type, want: &str) {
        let q = self.quote(arg.span);
        let d = self
            .error(
                "E0307",
                arg.span,
                format!("`{function}` needs {want}, but {q} is {}", got.describe()),
            )
            .with_label(got.describe())
            .with_help(format!("write `{}`", usage(function)));
        self.push(d);
    }

    fn arity(
        &mut self,
        function: &str,
        ident: &Ident,
        args: &[Expr],
        span: Span,
        min: usize,
        max: usize,
    ) {
        let takes = if min == max {
            format!("{min} argument{}", if min == 1 { "" } else { "s" })
        } else if max == usize::MAX {
            format!("at least {min} arguments")
        } else {
            format!("{min} or {max} arguments")
        };
        let given = args.len();
        let mut help = format!("write `{}`", usage(function));
        if matches!(function, "min" | "max") && given == 1 {
            help = format!(
                "to take the {} property of events, name it: `{function}(order.amount)`",
                if function == "min" {
                    "smallest"
                } else {
                    "largest"
                }
            );
        }
        let d = self
            .error(
                "E0308",
                ident.span.to(span),
                format!(
                    "`{function}` takes {takes}, but {given} {} given",
                    if given == 1 { "was" } else { "were" }
                ),
            )
            .with_label(format!(
                "{given} argument{}",
                if given == 1 { "" } else { "s" }
            ))
            .with_help(help);
        self.push(d);
    }

    fn unknown_function(&mut self, function: &Ident) {
        let name = function.name.as_str();
        let mut candidates: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
        candidates.extend(["count", "sum", "avg", "first", "last"]);
        let mut help = suggest::did_you_mean(name, candidates.iter().copied());
        if help.is_none() {
            // A plugin function called without its plugin's name.
            for (plugin, state) in &self.plugins {
                if let PluginState::Loaded(functions) = state {
                    if functions.iter().any(|f| f.name == name) {
                        help = Some(format!("`{name}` is a function of the plugin `{plugin}`: write `{plugin}.{name}(…)`"));
                        break;
                    }
                }
            }
        }
        if help.is_none() && self.plugins.contains_key(name) {
            help = Some(format!(
                "`{name}` is a plugin: call one of its functions, `{name}.function(…)`"
            ));
        }
        let help = help.unwrap_or_else(|| {
            "the functions are `lower`, `upper`, `len`, `abs`, `round`, `floor`, `ceil`, `ln`, `min`, `max`, `days_since`, `days_between`, `if`, `coalesce`".to_string()
        });
        let d = self
            .error("E0104", function.span, format!("unknown function `{name}`"))
            .with_label("not a function")
            .with_help(help);
        self.push(d);
    }

    /// `PLUGIN.FUNCTION(args…)`
    pub(super) fn plugin_call(
        &mut self,
        plugin: &Ident,
        function: &Ident,
        args: &[Expr],
        span: Span,
        scope: Scope,
    ) -> Type {
        for arg in args {
            // `contact` and `events` pass the whole record and the contact's events.
            if let ExprKind::Name(id) = &arg.kind {
                if (id.name == "contact" || id.name == "events")
                    && self.symbols.get(&id.name).is_none()
                    && !self.schema.contact.contains_key(&id.name)
                {
                    continue;
                }
            }
            self.value(arg, scope);
        }
        let Some(state) = self.plugins.get(&plugin.name) else {
            let help = match self.symbols.get(&plugin.name) {
                Some(r) if r.kind != ItemKind::Plugin => format!(
                    "`{}` is a {}; a plugin is declared with `plugin {} = \"file.rhai\"`",
                    plugin.name,
                    r.kind.word(),
                    plugin.name
                ),
                _ => {
                    let names: Vec<&str> = self.plugins.keys().map(String::as_str).collect();
                    suggest::did_you_mean(&plugin.name, names.iter().copied()).unwrap_or_else(
                        || format!("declare it: `plugin {} = \"file.rhai\"`", plugin.name),
                    )
                }
            };
            let d = self
                .error(
                    "E0106",
                    plugin.span,
                    format!("unknown plugin `{}`", plugin.name),
                )
                .with_label("not a declared plugin")
                .with_help(help);
            self.push(d);
            return Type::Unknown;
        };
        let PluginState::Loaded(functions) = state else {
            return Type::Unknown;
        };
        match functions.iter().find(|f| f.name == function.name) {
            None => {
                let mut names: Vec<&str> = functions.iter().map(|f| f.name.as_str()).collect();
                names.sort_unstable();
                let offers = if names.is_empty() {
                    format!("`{}` offers no functions", plugin.name)
                } else {
                    format!("`{}` offers {}", plugin.name, suggest::list(&names, 10))
                };
                let help = match suggest::closest(&function.name, names.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`? {offers}"),
                    None => offers,
                };
                let d = self
                    .error(
                        "E0402",
                        function.span,
                        format!(
                            "the plugin `{}` has no function `{}`",
                            plugin.name, function.name
                        ),
                    )
                    .with_label("unknown function")
                    .with_help(help);
                self.push(d);
            }
            Some(f) if f.arity != args.len() => {
                let arity = f.arity;
                let d = self
                    .error(
                        "E0403",
                        function.span.to(span),
                        format!(
                            "`{}.{}` takes {arity} argument{}, but {} {} given",
                            plugin.name,
                            function.name,
                            if arity == 1 { "" } else { "s" },
                            args.len(),
                            if args.len() == 1 { "was" } else { "were" }
                        ),
                    )
                    .with_label(format!(
                        "{} argument{}",
                        args.len(),
                        if args.len() == 1 { "" } else { "s" }
                    ))
                    .with_help(format!(
                        "pass exactly {arity} value{} to `{}`",
                        if arity == 1 { "" } else { "s" },
                        function.name
                    ));
                self.push(d);
            }
            Some(_) => {}
        }
        Type::Unknown
    }

    /// `ntile(x, n)`, `quintile(x)`, `decile(x)`, `percent_rank(x)`.
    fn population_call(
        &mut self,
        name: &'static str,
        function: &Ident,
        args: &[Expr],
        span: Span,
        scope: Scope,
    ) -> Type {
        if scope.event.is_some() {
            let d = self
                .error(
                    "E0504",
                    function.span,
                    format!("`{name}` cannot be used inside an event filter or an `each` clause"),
                )
                .with_label("ranks contacts, not events")
                .with_help(format!("compute it in a `let` and use that name in a `rule` instead: `let r = {name}(…)`"));
            self.push(d);
        } else if let Some(outer) = scope.population {
            let d = self
                .error(
                    "E0502",
                    function.span,
                    format!("`{name}` cannot be used inside the argument of `{outer}`"),
                )
                .with_label("a ranking inside a ranking")
                .with_help(format!("rank the value itself: `{outer}(x)`, or combine rankings outside, e.g. `{outer}(x) + {name}(y)`"));
            self.push(d);
        }
        let want = if name == "ntile" { 2 } else { 1 };
        if args.len() != want {
            self.arity(name, function, args, span, want, want);
        }
        let inner = Scope {
            population: Some(name),
            ..scope
        };
        if let Some(arg) = args.first() {
            let t = self.value(arg, inner);
            if t.is_known() && !matches!(t, Type::Number | Type::Date | Type::Duration) {
                self.arg_type(name, arg, t, "a number, a date or a duration");
            }
            self.population_dependencies(name, arg);
        }
        if name == "ntile" {
            if let Some(n) = args.get(1) {
                let ok =
                    matches!(unparen(n).kind, ExprKind::Number(v) if v >= 1.0 && v.fract() == 0.0);
                if !ok {
                    self.value(n, scope);
                    let d = self
                        .error(
                            "E0503",
                            n.span,
                            format!("the number of buckets of `ntile` must be a whole number of at least 1, not {}", self.quote(n.span)),
                        )
                        .with_label("not a fixed number of buckets")
                        .with_help("write the number itself, such as `ntile(x, 4)`");
                    self.push(d);
                }
            }
        }
        self.rest(args, want, scope);
        Type::Number
    }
}
