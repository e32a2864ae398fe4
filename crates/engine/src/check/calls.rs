//! Calls: built-in functions (population functions included), typed from the table in
//! [`crate::builtins`], and plugin functions.

use scoreline_model::suggest;
use scoreline_syntax::ast::{Aggregate, Expr, ExprKind, Ident, Span};
use scoreline_syntax::codes;

use super::expr::{format_number, invalid, typed, unparen};
use super::types::Type;
use super::{Checker, PluginState, Scope};
use crate::builtins::{self, Builtin, Func, Kind, Param, Returns, BUILTINS};
use crate::resolve::ItemKind;
use crate::typed::{self as t, PluginArg, PluginUse};

impl Checker<'_> {
    /// A call of a built-in or population function.
    pub(super) fn call(
        &mut self,
        function: &Ident,
        args: &[Expr],
        span: Span,
        scope: Scope,
    ) -> t::Expr {
        let before = self.error_count();
        let mut call = self.call_typed(function, args, span, scope);
        // A call with a mistake in it has no trustworthy type: do not report its uses too.
        if self.error_count() > before {
            call.ty = Type::Unknown;
        }
        call
    }

    fn call_typed(&mut self, function: &Ident, args: &[Expr], span: Span, scope: Scope) -> t::Expr {
        let Some(builtin) = builtins::get(&function.name) else {
            for arg in args {
                self.expr(arg, scope);
            }
            self.unknown_function(function);
            return invalid(Type::Unknown, span);
        };
        let name = builtin.name;
        if builtin.is_population() {
            self.population_scope(name, function, scope);
        }
        let max = builtin.max_args().unwrap_or(usize::MAX);
        if args.len() < builtin.min_args || args.len() > max {
            self.arity(builtin, function, args, span, builtin.min_args, max);
        }
        let mut typed_args = Vec::with_capacity(args.len());
        // The type of the alternatives so far, with the first one; the same for ordered values.
        let mut alternatives: Option<(Type, &Expr)> = None;
        let mut ordered: Option<(Type, &Expr)> = None;
        for (i, arg) in args.iter().enumerate() {
            let typed_arg = match builtin.param(i) {
                // An argument too many (reported above) has no part to play; only its own
                // mistakes are reported.
                None => self.expr(arg, scope),
                Some(Param::Plain(want)) => {
                    let a = self.value(arg, scope);
                    if !a.ty.fits(want) {
                        self.arg_type(builtin, arg, a.ty, want.describe());
                    }
                    a
                }
                Some(Param::Digits) => {
                    let a = self.value(arg, scope);
                    if !a.ty.fits(Type::Number) {
                        self.arg_type(builtin, arg, a.ty, Type::Number.describe());
                    }
                    self.digits(name, arg);
                    a
                }
                Some(Param::TextOrList) => {
                    let a = self.value(arg, scope);
                    let ty = a.ty;
                    if ty.is_known() && ty != Type::Text && !matches!(ty, Type::List(_)) {
                        self.arg_type(builtin, arg, ty, "a text or a list");
                    }
                    a
                }
                Some(Param::DateOrEvent) => {
                    let a = self.expr(arg, scope);
                    let ty = a.ty;
                    if ty.is_known() && ty != Type::Date && !matches!(ty, Type::Event(_)) {
                        self.arg_type(builtin, arg, ty, "a date or an event");
                    }
                    a
                }
                Some(Param::Condition) => {
                    let a = self.value(arg, scope);
                    self.expect_bool(arg, a.ty);
                    a
                }
                Some(Param::Alternative) => {
                    let a = self.expr(arg, scope);
                    alternatives = Some(match alternatives {
                        None => (a.ty, arg),
                        Some((ty, first)) => {
                            let what = format!("`{name}`");
                            (self.join(ty, a.ty, first, arg, function.span, &what), first)
                        }
                    });
                    a
                }
                Some(Param::Ordered) => {
                    let a = self.value(arg, scope);
                    self.ordered(builtin, arg, a.ty, &mut ordered);
                    a
                }
                Some(Param::Ranked) => {
                    let inner = Scope {
                        population: Some(name),
                        ..scope
                    };
                    let a = self.value(arg, inner);
                    let ty = a.ty;
                    if ty.is_known() && !matches!(ty, Type::Number | Type::Date | Type::Duration) {
                        self.arg_type(builtin, arg, ty, "a number, a date or a duration");
                    }
                    self.population_dependencies(name, arg);
                    a
                }
                Some(Param::Buckets) => {
                    let a = self.value(arg, scope);
                    self.buckets(name, arg);
                    a
                }
            };
            typed_args.push(typed_arg);
        }
        let ty = match builtin.result {
            Returns::Type(ty) => ty,
            Returns::Days => Type::Number,
            Returns::Alternatives => alternatives.map_or(Type::Missing, |(ty, _)| ty),
            Returns::Ordered => ordered.map_or(Type::Unknown, |(ty, _)| ty),
        };
        typed(
            t::ExprKind::Call {
                function: builtin,
                args: typed_args,
            },
            ty,
            span,
        )
    }

    /// `min`, `max`: numbers, dates or durations, all of the type of the first known one.
    fn ordered<'e>(
        &mut self,
        builtin: &Builtin,
        arg: &'e Expr,
        ty: Type,
        seen: &mut Option<(Type, &'e Expr)>,
    ) {
        if !ty.is_known() {
            return;
        }
        if !matches!(ty, Type::Number | Type::Date | Type::Duration) {
            self.arg_type(builtin, arg, ty, "numbers, dates or durations");
            return;
        }
        match *seen {
            None => *seen = Some((ty, arg)),
            Some((s, first)) if s != ty => {
                let d = self
                    .error(
                        codes::E0307,
                        arg.span,
                        format!(
                            "`{}` mixes {} and {}",
                            builtin.name,
                            s.describe(),
                            ty.describe()
                        ),
                    )
                    .with_label(ty.describe())
                    .with_help(format!(
                        "every value must have the type of the first one, {}",
                        self.quote(first.span)
                    ));
                self.push(d);
            }
            Some(_) => {}
        }
    }

    /// `round(x, d)`: a number of digits written out must be whole, from 0 to 15.
    fn digits(&mut self, name: &str, digits: &Expr) {
        if let ExprKind::Number(n) = unparen(digits).kind {
            if n.fract() != 0.0 || !(0.0..=15.0).contains(&n) {
                let d = self
                    .error(
                        codes::E0307,
                        digits.span,
                        format!("`{name}` keeps 0 to 15 digits, not `{}`", format_number(n)),
                    )
                    .with_label("not a number of digits")
                    .with_help(
                        "write a whole number of digits after the point, such as `round(x, 2)`",
                    );
                self.push(d);
            }
        }
    }

    /// `ntile(x, n)`: the number of buckets must be a whole number of at least 1, written out.
    fn buckets(&mut self, name: &str, n: &Expr) {
        let ok = matches!(unparen(n).kind, ExprKind::Number(v) if v >= 1.0 && v.fract() == 0.0);
        if !ok {
            let d = self
                .error(
                    codes::E0503,
                    n.span,
                    format!(
                        "the number of buckets of `{name}` must be a whole number of at least 1, not {}",
                        self.quote(n.span)
                    ),
                )
                .with_label("not a fixed number of buckets")
                .with_help(format!(
                    "write the number itself, such as `{name}(x, 4)`"
                ));
            self.push(d);
        }
    }

    /// A population function may not be used inside an event filter, nor inside the argument
    /// of another one.
    fn population_scope(&mut self, name: &'static str, function: &Ident, scope: Scope) {
        if scope.event.is_some() {
            let d = self
                .error(
                    codes::E0504,
                    function.span,
                    format!("`{name}` cannot be used inside an event filter or an `each` clause"),
                )
                .with_label("ranks contacts, not events")
                .with_help(format!("compute it in a `let` and use that name in a `rule` instead: `let r = {name}(…)`"));
            self.push(d);
        } else if let Some(outer) = scope.population {
            let d = self
                .error(
                    codes::E0502,
                    function.span,
                    format!("`{name}` cannot be used inside the argument of `{outer}`"),
                )
                .with_label("a ranking inside a ranking")
                .with_help(format!("rank the value itself: `{outer}(x)`, or combine rankings outside, e.g. `{outer}(x) + {name}(y)`"));
            self.push(d);
        }
    }

    fn arg_type(&mut self, builtin: &Builtin, arg: &Expr, got: Type, want: &str) {
        let q = self.quote(arg.span);
        let d = self
            .error(
                codes::E0307,
                arg.span,
                format!(
                    "`{}` needs {want}, but {q} is {}",
                    builtin.name,
                    got.describe()
                ),
            )
            .with_label(got.describe())
            .with_help(format!("write `{}`", builtin.usage));
        self.push(d);
    }

    fn arity(
        &mut self,
        builtin: &Builtin,
        ident: &Ident,
        args: &[Expr],
        span: Span,
        min: usize,
        max: usize,
    ) {
        let function = builtin.name;
        let takes = if min == max {
            format!("{min} argument{}", if min == 1 { "" } else { "s" })
        } else if max == usize::MAX {
            format!("at least {min} arguments")
        } else {
            format!("{min} or {max} arguments")
        };
        let given = args.len();
        let mut help = format!("write `{}`", builtin.usage);
        // `min(x)`: perhaps meant as the aggregate of that name, over a property of events.
        let extreme = match builtin.kind {
            Kind::Plain(Func::Min) => Some("smallest"),
            Kind::Plain(Func::Max) => Some("largest"),
            _ => None,
        };
        if let (Some(extreme), 1) = (extreme, given) {
            help = format!(
                "to take the {extreme} property of events, name it: `{function}(order.amount)`"
            );
        }
        let d = self
            .error(
                codes::E0308,
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
        let mut candidates: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        candidates.extend(Aggregate::ALL.iter().map(|a| a.name()));
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
            let plain: Vec<String> = BUILTINS
                .iter()
                .filter(|b| !b.is_population())
                .map(|b| format!("`{}`", b.name))
                .collect();
            format!("the functions are {}", plain.join(", "))
        });
        let d = self
            .error(
                codes::E0104,
                function.span,
                format!("unknown function `{name}`"),
            )
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
    ) -> t::Expr {
        let mut typed_args = Vec::with_capacity(args.len());
        for arg in args {
            // `contact` and `events` pass the whole record and the contact's events.
            if let ExprKind::Name(id) = &arg.kind {
                let is_item = self.symbols.get(&id.name).is_some();
                // In an account item the record passed is the account's (LANGUAGE.md §13).
                let record = if self.item_account {
                    "account"
                } else {
                    "contact"
                };
                if id.name == record && !is_item {
                    typed_args.push(PluginArg::Contact);
                    continue;
                }
                if self.item_account && id.name == "contact" && !is_item {
                    let d = self
                        .error(codes::E0907, arg.span, "`contact` in an account item: an account has many contacts")
                        .with_label("which contact?")
                        .with_help("pass `account` (the account's record) or `events` (all its contacts' events), or a value such as `max(contacts.engagement)`");
                    self.push(d);
                    typed_args.push(PluginArg::Value(invalid(Type::Unknown, arg.span)));
                    continue;
                }
                if id.name == "events" && !is_item && !self.schema.contact.contains_key("events") {
                    typed_args.push(PluginArg::Events);
                    continue;
                }
            }
            typed_args.push(PluginArg::Value(self.value(arg, scope)));
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
                    codes::E0106,
                    plugin.span,
                    format!("unknown plugin `{}`", plugin.name),
                )
                .with_label("not a declared plugin")
                .with_help(help);
            self.push(d);
            return invalid(Type::Unknown, span);
        };
        let PluginState::Loaded(functions) = state else {
            // Not found or broken: already reported.
            return invalid(Type::Unknown, span);
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
                        codes::E0402,
                        function.span,
                        format!(
                            "the plugin `{}` has no function `{}`",
                            plugin.name, function.name
                        ),
                    )
                    .with_label("unknown function")
                    .with_help(help);
                self.push(d);
                invalid(Type::Unknown, span)
            }
            Some(f) if f.arity != args.len() => {
                let arity = f.arity;
                let d = self
                    .error(
                        codes::E0403,
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
                invalid(Type::Unknown, span)
            }
            Some(_) => {
                self.plugin_calls.push(PluginUse {
                    plugin: plugin.name.clone(),
                    function: function.name.clone(),
                    arity: args.len(),
                    plugin_span: plugin.span,
                    function_span: function.span,
                });
                typed(
                    t::ExprKind::Plugin {
                        plugin: plugin.name.clone(),
                        function: function.name.clone(),
                        args: typed_args,
                    },
                    Type::Unknown,
                    span,
                )
            }
        }
    }
}
