//! AST → plan: names resolved to slots, regexes compiled, constants folded.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use regex::Regex;
use scoreline_model::{suggest, Schema};
use scoreline_syntax::ast::{
    Aggregate, BinaryOp, Clause, DecayKind, DurationLit, DurationUnit, EachOption, EventFilter,
    EventRef, Expr, ExprKind, Ident, Item, RuleFile, ScoreBody, Span, UnaryOp,
};
use scoreline_syntax::{Diagnostic, SourceFile};

use super::node::*;
use super::Plan;
use crate::resolve::{ItemKind, Symbols};

const DAY_MS: f64 = 86_400_000.0;
const HOUR_MS: f64 = 3_600_000.0;

/// Which event types bare names inside a `where` or `each` points refer to.
#[derive(Clone, Copy)]
enum Scope {
    Contact,
    Event(TypeSel),
}

struct Compiler<'c> {
    file: &'c Arc<SourceFile>,
    symbols: &'c Symbols,
    schema: &'c Schema,
    plugins: &'c [(String, Arc<scoreline_plugins::Plugin>)],
    plugin_functions: Vec<PluginFnPlan>,
    /// Slot of each let/score/segment by item index.
    slot_of_item: HashMap<usize, u32>,
    diagnostics: Vec<Diagnostic>,
    population: Vec<PopSite>,
    /// Items referenced (directly) by population arguments, with the population call's span.
    population_refs: Vec<(usize, Span)>,
    /// The span of the population function whose argument is being compiled.
    population_span: Span,
    /// Inside a population function's argument: references are recorded, nesting is an error.
    in_population_arg: bool,
    /// Whether the item being compiled calls a population function directly.
    item_uses_population: bool,
}

pub(super) fn compile(
    file: &Arc<SourceFile>,
    ast: &RuleFile,
    symbols: &Symbols,
    schema: &Schema,
    plugins: &[(String, Arc<scoreline_plugins::Plugin>)],
) -> Result<Plan, Vec<Diagnostic>> {
    let mut slot_of_item = HashMap::new();
    for (index, item) in ast.items.iter().enumerate() {
        if matches!(item, Item::Let(_) | Item::Score(_) | Item::Segment(_)) {
            let next = slot_of_item.len() as u32;
            slot_of_item.insert(index, next);
        }
    }
    let mut c = Compiler {
        file,
        symbols,
        schema,
        plugins,
        plugin_functions: Vec::new(),
        slot_of_item,
        diagnostics: Vec::new(),
        population: Vec::new(),
        population_refs: Vec::new(),
        population_span: Span::default(),
        in_population_arg: false,
        item_uses_population: false,
    };

    let mut lets = Vec::new();
    let mut scores = Vec::new();
    let mut segments = Vec::new();
    let mut step_of_item: HashMap<usize, Step> = HashMap::new();
    let mut uses_population: HashSet<usize> = HashSet::new();
    for (index, item) in ast.items.iter().enumerate() {
        c.item_uses_population = false;
        let slot = c.slot_of_item.get(&index).copied();
        match item {
            Item::Let(l) => {
                let value = c.expr(&l.value, Scope::Contact);
                step_of_item.insert(
                    index,
                    Step::Let {
                        index: lets.len() as u32,
                    },
                );
                lets.push(LetPlan {
                    slot: slot.expect("let slot"),
                    value,
                });
            }
            Item::Score(s) => {
                let plan = c.score(s, slot.expect("score slot"));
                step_of_item.insert(
                    index,
                    Step::Score {
                        index: scores.len() as u32,
                    },
                );
                scores.push(plan);
            }
            Item::Segment(s) => {
                let arms = s
                    .arms
                    .iter()
                    .map(|arm| ArmPlan {
                        label: Arc::from(arm.label.value.as_str()),
                        condition: arm.condition.as_ref().map(|e| c.expr(e, Scope::Contact)),
                        action: arm.action.as_ref().map(|a| Arc::from(a.value.as_str())),
                    })
                    .collect::<Vec<_>>();
                step_of_item.insert(
                    index,
                    Step::Segment {
                        index: segments.len() as u32,
                    },
                );
                segments.push(SegmentPlan {
                    name: s.name.name.clone(),
                    slot: slot.expect("segment slot"),
                    has_action: arms.iter().any(|a| a.action.is_some()),
                    arms,
                });
            }
            Item::Schema(_) | Item::Plugin(_) => {}
        }
        if c.item_uses_population {
            uses_population.insert(index);
        }
    }

    // An item uses population functions if it calls one or refers to an item that does.
    let mut transitive = HashSet::new();
    for &index in &symbols.order {
        let direct = uses_population.contains(&index);
        let through = symbols
            .depends_on
            .get(&index)
            .is_some_and(|deps| deps.iter().any(|d| transitive.contains(d)));
        if direct || through {
            transitive.insert(index);
        }
    }
    // Population arguments may not depend on another population function.
    let mut needed: HashSet<usize> = HashSet::new();
    let mut stack: Vec<usize> = c.population_refs.iter().map(|r| r.0).collect();
    while let Some(index) = stack.pop() {
        if needed.insert(index) {
            if let Some(deps) = symbols.depends_on.get(&index) {
                stack.extend(deps.iter().copied());
            }
        }
    }
    let mut reported = HashSet::new();
    for &(index, span) in &c.population_refs {
        if transitive.contains(&index) && reported.insert(index) {
            let name = crate::resolve::item_name(&ast.items[index]).expect("named item");
            c.diagnostics.push(
                Diagnostic::error(
                    file,
                    "E0703",
                    span,
                    format!(
                        "the argument of a population function depends on `{}`, which uses a population function",
                        name.name
                    ),
                )
                .with_label("ranks a value that is itself a rank")
                .with_help("population functions rank every contact's value first, so their argument cannot use `ntile`, `quintile`, `decile` or `percent_rank`, even through a name"),
            );
        }
    }

    if c.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(c.diagnostics);
    }

    let steps: Vec<Step> = symbols
        .order
        .iter()
        .filter_map(|i| step_of_item.get(i).copied())
        .collect();
    let population_steps = symbols
        .order
        .iter()
        .filter(|i| needed.contains(i))
        .filter_map(|i| step_of_item.get(i).copied())
        .collect();
    Ok(Plan {
        ruleset: ast.header.as_ref().map(|h| h.name.name.clone()),
        lets,
        scores,
        segments,
        steps,
        population_steps,
        population: c.population,
        slot_count: c.slot_of_item.len(),
        event_types: schema
            .events
            .iter()
            .map(|e| Arc::from(e.name.as_str()))
            .collect(),
        plugin_functions: c.plugin_functions,
    })
}

fn duration_ms(d: &DurationLit) -> f64 {
    match d.unit {
        DurationUnit::Days => d.amount * DAY_MS,
        DurationUnit::Hours => d.amount * HOUR_MS,
    }
}

impl Compiler<'_> {
    fn error(&mut self, code: &'static str, span: Span, message: String, help: String) {
        self.diagnostics
            .push(Diagnostic::error(self.file, code, span, message).with_help(help));
    }

    fn score(&mut self, s: &scoreline_syntax::ast::ScoreDecl, slot: u32) -> ScorePlan {
        let mut clamp = None;
        let body = match &s.body {
            ScoreBody::Block { clauses } => {
                let mut plans = Vec::new();
                for clause in clauses {
                    match clause {
                        Clause::Clamp(cl) => clamp = Some((cl.lo.value, cl.hi.value)),
                        Clause::Rule(r) => {
                            let label = match &r.label {
                                Some(l) => l.value.clone(),
                                None => clause_text(self.file.slice(r.span)),
                            };
                            let condition =
                                r.condition.as_ref().map(|e| self.expr(e, Scope::Contact));
                            let points = self.expr(&r.points.expr, Scope::Contact);
                            plans.push(ClausePlan {
                                label,
                                kind: ClauseKind::Rule { condition, points },
                            });
                        }
                        Clause::Each(e) => {
                            let mut filter = self.filter(&e.filter);
                            let scope = Scope::Event(filter.types);
                            let points = self.expr(&e.points.expr, scope);
                            let mut cap = None;
                            let mut decay = Decay::None;
                            for option in &e.options {
                                match option {
                                    EachOption::Max { value, .. } => cap = Some(value.value.abs()),
                                    EachOption::Decay { kind, duration, .. } => {
                                        let ms = duration_ms(duration);
                                        decay = match kind {
                                            DecayKind::HalfLife => Decay::HalfLife(ms),
                                            DecayKind::Linear => Decay::Linear(ms),
                                        };
                                    }
                                    EachOption::Within { duration, .. } => {
                                        let ms = duration_ms(duration);
                                        filter.within_ms =
                                            Some(filter.within_ms.map_or(ms, |w| w.min(ms)));
                                    }
                                }
                            }
                            plans.push(ClausePlan {
                                label: clause_text(self.file.slice(e.span)),
                                kind: ClauseKind::Each {
                                    filter,
                                    points,
                                    cap,
                                    decay,
                                },
                            });
                        }
                    }
                }
                ScoreBodyPlan::Block(plans)
            }
            ScoreBody::Expr { value, clamp: c } => {
                clamp = c.as_ref().map(|cl| (cl.lo.value, cl.hi.value));
                ScoreBodyPlan::Expr {
                    value: self.expr(value, Scope::Contact),
                    text: clause_text(self.file.slice(value.span)),
                }
            }
        };
        ScorePlan {
            name: s.name.name.clone(),
            label: s.label.as_ref().map(|l| l.value.clone()),
            slot,
            body,
            clamp,
        }
    }

    fn event_type(&self, name: &str) -> TypeSel {
        match self.schema.events.iter().position(|e| e.name == name) {
            Some(i) => TypeSel::One(i as u32),
            None => TypeSel::Nothing,
        }
    }

    fn filter(&mut self, f: &EventFilter) -> Filter {
        let types = match &f.event {
            EventRef::Any { .. } => TypeSel::Any,
            EventRef::Named(id) => self.event_type(&id.name),
        };
        let condition = f
            .condition
            .as_ref()
            .map(|e| self.expr(e, Scope::Event(types)));
        Filter {
            types,
            condition,
            within_ms: f.within.as_ref().map(duration_ms),
        }
    }

    /// The per-type property table for `name` among the selected types, if any has it.
    fn property(&self, types: TypeSel, name: &str) -> Option<PropSel> {
        let mut table = vec![NO_PROP; self.schema.events.len()];
        let mut found = false;
        for (t, spec) in self.schema.events.iter().enumerate() {
            let selected = match types {
                TypeSel::Any => true,
                TypeSel::One(one) => one as usize == t,
                TypeSel::Nothing => false,
            };
            if !selected {
                continue;
            }
            if let Some(p) = spec.fields.iter().position(|f| f.name == name) {
                table[t] = p as u32;
                found = true;
            }
        }
        found.then(|| PropSel::ByType(table.into_boxed_slice()))
    }

    /// A property read from an event value of unknown type (`last(order).amount`).
    fn event_field(&self, name: &str) -> PropSel {
        match name {
            "at" => PropSel::At,
            "type" => PropSel::Type,
            _ => self
                .property(TypeSel::Any, name)
                .unwrap_or_else(|| PropSel::ByType(vec![NO_PROP; self.schema.events.len()].into())),
        }
    }

    fn contact_field(&mut self, id: &Ident) -> Node {
        if let Some(i) = self.schema.contact.iter().position(|f| f.name == id.name) {
            return Node::Field(i as u32);
        }
        let known: Vec<&str> = self
            .schema
            .contact
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let help = match suggest::closest(&id.name, known.iter().copied()) {
            Some(n) => format!("did you mean `{n}`?"),
            None => "add this column to the contacts data, or declare it in the rule file's schema"
                .to_string(),
        };
        self.error(
            "E0701",
            id.span,
            format!("unknown field `{}`", id.name),
            help,
        );
        Node::Const(Const::Missing)
    }

    fn item_slot(&mut self, id: &Ident) -> Option<Node> {
        let item = self.symbols.get(&id.name)?;
        if item.kind == ItemKind::Plugin {
            return None;
        }
        if self.in_population_arg {
            self.population_refs
                .push((item.index, self.population_span));
        }
        self.slot_of_item.get(&item.index).map(|&s| Node::Slot(s))
    }

    fn name(&mut self, id: &Ident, scope: Scope) -> Node {
        if let Scope::Event(types) = scope {
            match id.name.as_str() {
                "at" => return Node::Prop(PropSel::At),
                "type" => return Node::Prop(PropSel::Type),
                _ => {}
            }
            if let Some(p) = self.property(types, &id.name) {
                return Node::Prop(p);
            }
        }
        if let Some(node) = self.item_slot(id) {
            return node;
        }
        self.contact_field(id)
    }

    fn exprs(&mut self, exprs: &[Expr], scope: Scope) -> Vec<Node> {
        exprs.iter().map(|e| self.expr(e, scope)).collect()
    }

    fn expr(&mut self, e: &Expr, scope: Scope) -> Node {
        match &e.kind {
            ExprKind::Number(n) => Node::Const(Const::Num(*n)),
            ExprKind::String(s) => Node::Const(Const::Text(s.as_str().into())),
            ExprKind::Bool(b) => Node::Const(Const::Bool(*b)),
            ExprKind::Date(d) => Node::Const(Const::Date(d.millis)),
            ExprKind::Duration(d) => Node::Const(Const::Num(duration_ms(d) / DAY_MS)),
            ExprKind::Missing => Node::Const(Const::Missing),
            ExprKind::List(items) => {
                let texts: Option<Vec<Arc<str>>> = items
                    .iter()
                    .map(|i| match &i.kind {
                        ExprKind::String(s) => Some(Arc::from(s.as_str())),
                        _ => None,
                    })
                    .collect();
                match texts {
                    Some(t) => Node::Const(Const::List(t.into())),
                    None => {
                        self.error(
                            "E0706",
                            e.span,
                            "a list used as a value may only hold texts written out".to_string(),
                            "write the list with text literals, such as `[\"a\", \"b\"]`, or use `x in [..]`".to_string(),
                        );
                        Node::Const(Const::Missing)
                    }
                }
            }
            ExprKind::Name(id) => self.name(id, scope),
            ExprKind::ContactField(id) => self.contact_field(id),
            ExprKind::Field { base, name } => {
                let base = self.expr(base, scope);
                Node::EventField(Box::new(base), self.event_field(&name.name))
            }
            ExprKind::Paren(inner) => self.expr(inner, scope),
            ExprKind::Unary { op, operand } => {
                let inner = self.expr(operand, scope);
                match (op, &inner) {
                    (UnaryOp::Neg, Node::Const(Const::Num(n))) => Node::Const(Const::Num(-n)),
                    (UnaryOp::Neg, _) => Node::Neg(Box::new(inner)),
                    (UnaryOp::Not, Node::Const(Const::Bool(b))) => Node::Const(Const::Bool(!b)),
                    (UnaryOp::Not, _) => Node::Not(Box::new(inner)),
                }
            }
            ExprKind::Binary { op, lhs, rhs, .. } => self.binary(*op, lhs, rhs, scope),
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let value = Box::new(self.expr(value, scope));
                match &list.kind {
                    ExprKind::List(items) => Node::InItems {
                        value,
                        items: self.exprs(items, scope),
                        negated: *negated,
                    },
                    _ => Node::InList {
                        value,
                        list: Box::new(self.expr(list, scope)),
                        negated: *negated,
                    },
                }
            }
            ExprKind::Between { value, low, high } => Node::Between(
                Box::new(self.expr(value, scope)),
                Box::new(self.expr(low, scope)),
                Box::new(self.expr(high, scope)),
            ),
            ExprKind::Is { value, present } => {
                Node::Is(Box::new(self.expr(value, scope)), *present)
            }
            ExprKind::Call { function, args } => self.call(function, args, scope, e.span),
            ExprKind::PluginCall {
                plugin,
                function,
                args,
            } => self.plugin_call(plugin, function, args, scope),
            ExprKind::Aggregate {
                function,
                function_span,
                field,
                filter,
            } => {
                let f = self.filter(filter);
                let kind = match function {
                    Aggregate::Count => AggKind::Count,
                    Aggregate::Sum => AggKind::Sum,
                    Aggregate::Avg => AggKind::Avg,
                    Aggregate::Min => AggKind::Min,
                    Aggregate::Max => AggKind::Max,
                    Aggregate::First => AggKind::First,
                    Aggregate::Last => AggKind::Last,
                };
                let prop = field.as_ref().map(|id| match id.name.as_str() {
                    "at" => PropSel::At,
                    "type" => PropSel::Type,
                    name => self.property(f.types, name).unwrap_or_else(|| {
                        PropSel::ByType(vec![NO_PROP; self.schema.events.len()].into())
                    }),
                });
                if prop.is_none()
                    && matches!(
                        kind,
                        AggKind::Sum | AggKind::Avg | AggKind::Min | AggKind::Max
                    )
                {
                    self.error(
                        "E0707",
                        *function_span,
                        format!("`{}` needs a property of the events", function.name()),
                        format!(
                            "write the property after the event name, such as `{}(order.amount)`",
                            function.name()
                        ),
                    );
                }
                Node::Agg(Box::new(Agg {
                    kind,
                    filter: f,
                    prop,
                }))
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, scope: Scope) -> Node {
        if op == BinaryOp::Matches {
            let value = self.expr(lhs, scope);
            let pattern = match &strip_parens(rhs).kind {
                ExprKind::String(s) => s,
                _ => {
                    self.error(
                        "E0702",
                        rhs.span,
                        "the pattern after `matches` must be a text written out".to_string(),
                        "write the regular expression in quotes, such as `matches \"^vp\"`"
                            .to_string(),
                    );
                    return Node::Const(Const::Missing);
                }
            };
            return match Regex::new(pattern) {
                Ok(re) => Node::Matches(Box::new(value), Box::new(re)),
                Err(err) => {
                    let detail = err.to_string();
                    let last = detail.lines().last().unwrap_or("").trim().to_string();
                    self.error(
                        "E0702",
                        rhs.span,
                        format!("`{pattern}` is not a valid regular expression"),
                        if last.is_empty() {
                            "check the pattern's brackets and escapes".to_string()
                        } else {
                            format!(
                                "{}; check the pattern's brackets and escapes",
                                last.trim_start_matches("error: ")
                            )
                        },
                    );
                    Node::Const(Const::Missing)
                }
            };
        }
        let l = self.expr(lhs, scope);
        let r = self.expr(rhs, scope);
        let bin = |op: BinOp, l: Node, r: Node| -> Node {
            if let (Some(Const::Num(a)), Some(Const::Num(b))) = (l.as_const(), r.as_const()) {
                let folded = match op {
                    BinOp::Add => Some(a + b),
                    BinOp::Sub => Some(a - b),
                    BinOp::Mul => Some(a * b),
                    _ => None,
                };
                if let Some(v) = folded.filter(|v| v.is_finite()) {
                    return Node::Const(Const::Num(v));
                }
            }
            Node::Bin(op, Box::new(l), Box::new(r))
        };
        match op {
            BinaryOp::Coalesce => {
                let mut items = match l {
                    Node::Coalesce(items) => items,
                    other => vec![other],
                };
                items.push(r);
                Node::Coalesce(items)
            }
            BinaryOp::Or => Node::Or(Box::new(l), Box::new(r)),
            BinaryOp::And => Node::And(Box::new(l), Box::new(r)),
            BinaryOp::Eq => bin(BinOp::Eq, l, r),
            BinaryOp::Ne => bin(BinOp::Ne, l, r),
            BinaryOp::Lt => bin(BinOp::Lt, l, r),
            BinaryOp::Le => bin(BinOp::Le, l, r),
            BinaryOp::Gt => bin(BinOp::Gt, l, r),
            BinaryOp::Ge => bin(BinOp::Ge, l, r),
            BinaryOp::StartsWith => bin(BinOp::StartsWith, l, r),
            BinaryOp::EndsWith => bin(BinOp::EndsWith, l, r),
            BinaryOp::Contains => bin(BinOp::Contains, l, r),
            BinaryOp::Add => bin(BinOp::Add, l, r),
            BinaryOp::Sub => bin(BinOp::Sub, l, r),
            BinaryOp::Mul => bin(BinOp::Mul, l, r),
            BinaryOp::Div => bin(BinOp::Div, l, r),
            BinaryOp::Rem => bin(BinOp::Rem, l, r),
            BinaryOp::Matches => unreachable!("handled above"),
        }
    }

    fn call(&mut self, function: &Ident, args: &[Expr], scope: Scope, span: Span) -> Node {
        let name = function.name.as_str();
        let arity = |n: usize| args.len() == n;
        let (func, ok, expected): (Option<Func>, bool, &str) = match name {
            "lower" => (Some(Func::Lower), arity(1), "one argument"),
            "upper" => (Some(Func::Upper), arity(1), "one argument"),
            "len" => (Some(Func::Len), arity(1), "one argument"),
            "abs" => (Some(Func::Abs), arity(1), "one argument"),
            "round" => (
                Some(Func::Round),
                arity(1) || arity(2),
                "one or two arguments",
            ),
            "floor" => (Some(Func::Floor), arity(1), "one argument"),
            "ceil" => (Some(Func::Ceil), arity(1), "one argument"),
            "ln" => (Some(Func::Ln), arity(1), "one argument"),
            "min" => (Some(Func::Min), !args.is_empty(), "at least one argument"),
            "max" => (Some(Func::Max), !args.is_empty(), "at least one argument"),
            "days_since" => (Some(Func::DaysSince), arity(1), "one argument"),
            "days_between" => (Some(Func::DaysBetween), arity(2), "two arguments"),
            "if" => (None, arity(3), "three arguments"),
            "coalesce" => (None, !args.is_empty(), "at least one argument"),
            "ntile" => (None, arity(2), "two arguments"),
            "quintile" | "decile" | "percent_rank" => (None, arity(1), "one argument"),
            _ => {
                let known = [
                    "lower",
                    "upper",
                    "len",
                    "abs",
                    "round",
                    "floor",
                    "ceil",
                    "ln",
                    "min",
                    "max",
                    "days_since",
                    "days_between",
                    "if",
                    "coalesce",
                    "ntile",
                    "quintile",
                    "decile",
                    "percent_rank",
                ];
                let help = match suggest::closest(name, known.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None => {
                        "see the list of built-in functions in the language reference".to_string()
                    }
                };
                self.error(
                    "E0704",
                    function.span,
                    format!("unknown function `{name}`"),
                    help,
                );
                return Node::Const(Const::Missing);
            }
        };
        if !ok {
            self.error(
                "E0704",
                span,
                format!("`{name}` takes {expected}, not {}", args.len()),
                format!("call `{name}` with {expected}"),
            );
            return Node::Const(Const::Missing);
        }
        if let Some(func) = func {
            return Node::Call(func, self.exprs(args, scope));
        }
        match name {
            "if" => {
                let mut nodes = self.exprs(args, scope).into_iter();
                let (c, a, b) = (
                    nodes.next().expect("3 args"),
                    nodes.next().expect("3 args"),
                    nodes.next().expect("3 args"),
                );
                Node::If(Box::new(c), Box::new(a), Box::new(b))
            }
            "coalesce" => Node::Coalesce(self.exprs(args, scope)),
            _ => self.population_call(name, function, args, scope),
        }
    }

    fn population_call(
        &mut self,
        name: &str,
        function: &Ident,
        args: &[Expr],
        scope: Scope,
    ) -> Node {
        if matches!(scope, Scope::Event(_)) {
            self.error(
                "E0703",
                function.span,
                format!("`{name}` cannot be used inside an event filter or `each` points"),
                "compute the rank in a `let` and use that name here".to_string(),
            );
            return Node::Const(Const::Missing);
        }
        if self.in_population_arg {
            self.error(
                "E0703",
                function.span,
                format!("`{name}` cannot be used inside the argument of another population function"),
                "population functions rank every contact's value first, so their argument cannot itself be a rank".to_string(),
            );
            return Node::Const(Const::Missing);
        }
        self.in_population_arg = true;
        self.population_span = function.span;
        let arg = self.expr(&args[0], Scope::Contact);
        self.in_population_arg = false;
        let (kind, buckets) = match name {
            "ntile" => (PopKind::Ntile, Some(self.expr(&args[1], Scope::Contact))),
            "quintile" => (PopKind::Ntile, Some(Node::Const(Const::Num(5.0)))),
            "decile" => (PopKind::Ntile, Some(Node::Const(Const::Num(10.0)))),
            _ => (PopKind::PercentRank, None),
        };
        self.item_uses_population = true;
        self.population.push(PopSite { kind, arg, buckets });
        Node::Population(self.population.len() as u32 - 1)
    }
}

impl Compiler<'_> {
    fn plugin_call(
        &mut self,
        plugin: &Ident,
        function: &Ident,
        args: &[Expr],
        scope: Scope,
    ) -> Node {
        let Some((_, loaded)) = self.plugins.iter().find(|(name, _)| *name == plugin.name) else {
            let known: Vec<&str> = self.plugins.iter().map(|(n, _)| n.as_str()).collect();
            let help = match suggest::closest(&plugin.name, known.iter().copied()) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!(
                    "declare it with `plugin {} = \"path/to/script.rhai\"`",
                    plugin.name
                ),
            };
            self.error(
                "E0705",
                plugin.span,
                format!("unknown plugin `{}`", plugin.name),
                help,
            );
            return Node::Const(Const::Missing);
        };
        let Some(index) = loaded.function_index(&function.name, args.len()) else {
            let same_name: Vec<usize> = loaded
                .functions()
                .iter()
                .filter(|f| f.name == function.name)
                .map(|f| f.arity)
                .collect();
            let help = if let Some(arity) = same_name.first() {
                format!(
                    "`{}.{}` takes {arity} argument{}",
                    plugin.name,
                    function.name,
                    if *arity == 1 { "" } else { "s" }
                )
            } else {
                let names: Vec<&str> = loaded.functions().iter().map(|f| f.name.as_str()).collect();
                match suggest::closest(&function.name, names.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`?"),
                    None if names.is_empty() => {
                        "this plugin defines no callable function".to_string()
                    }
                    None => format!(
                        "its functions are {}",
                        names
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            };
            self.error(
                "E0705",
                function.span,
                format!(
                    "plugin `{}` has no function `{}` taking {} argument{}",
                    plugin.name,
                    function.name,
                    args.len(),
                    if args.len() == 1 { "" } else { "s" }
                ),
                help,
            );
            return Node::Const(Const::Missing);
        };
        let existing = self
            .plugin_functions
            .iter()
            .position(|f| f.plugin_name == plugin.name && f.index == index);
        let fn_index = existing.unwrap_or_else(|| {
            self.plugin_functions.push(PluginFnPlan {
                plugin_name: plugin.name.clone(),
                function: function.name.clone(),
                plugin: Arc::clone(loaded),
                index,
            });
            self.plugin_functions.len() - 1
        });
        let args = args
            .iter()
            .map(|a| match &a.kind {
                ExprKind::Name(id)
                    if id.name == "contact" && self.symbols.get("contact").is_none() =>
                {
                    PluginArgNode::Contact
                }
                ExprKind::Name(id)
                    if id.name == "events"
                        && self.symbols.get("events").is_none()
                        && !self.schema.contact.iter().any(|f| f.name == "events") =>
                {
                    PluginArgNode::Events
                }
                _ => PluginArgNode::Value(self.expr(a, scope)),
            })
            .collect();
        Node::Plugin(fn_index as u32, args)
    }
}

fn strip_parens(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip_parens(inner),
        _ => e,
    }
}

/// A clause's source text as an explanation label: on one line, runs of blanks (such as the
/// formatter's alignment) collapsed to one space, comments dropped.
fn clause_text(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.lines() {
        let code = strip_comment(line);
        for word in code.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// A line without its `#` comment (a `#` inside a string is kept).
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod clause_text_tests {
    use super::clause_text;

    #[test]
    fn labels_are_one_line_with_single_spaces() {
        assert_eq!(
            clause_text(
                "each page_view   where url starts_with \"/a  #b\"     => +10 # note\n  max 30"
            ),
            "each page_view where url starts_with \"/a #b\" => +10 max 30"
        );
    }
}
