//! Types of expressions: names, operators, lists, events and aggregates.

use scoreline_syntax::ast::{
    Aggregate, BinaryOp, EventFilter, EventRef, Expr, ExprKind, Ident, Span, UnaryOp,
};

use scoreline_model::suggest;
use super::types::{EventOf, Scalar, Type};
use super::{Checker, Scope};
use crate::resolve::ItemKind;

/// Peels parentheses off an expression.
pub(super) fn unparen(mut e: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    e
}

impl Checker<'_> {
    /// The type of an expression; reports every problem inside it.
    pub(super) fn expr(&mut self, e: &Expr, scope: Scope) -> Type {
        match &e.kind {
            ExprKind::Number(_) => Type::Number,
            ExprKind::String(_) => Type::Text,
            ExprKind::Bool(_) => Type::Bool,
            ExprKind::Date(_) => Type::Date,
            ExprKind::Duration(_) => Type::Duration,
            ExprKind::Missing => Type::Missing,
            ExprKind::List(items) => self.list(items, scope),
            ExprKind::Name(id) => self.name(id, scope),
            ExprKind::ContactField(id) => self.contact_field(id),
            ExprKind::Field { base, name } => self.field(base, name, scope),
            ExprKind::Call { function, args } => self.call(function, args, e.span, scope),
            ExprKind::PluginCall {
                plugin,
                function,
                args,
            } => self.plugin_call(plugin, function, args, e.span, scope),
            ExprKind::Aggregate {
                function,
                function_span,
                field,
                filter,
            } => self.aggregate(*function, *function_span, field.as_ref(), filter, scope),
            ExprKind::Unary { op, operand } => self.unary(*op, operand, e.span, scope),
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs, scope),
            ExprKind::In {
                value,
                list,
                negated,
            } => self.in_list(value, list, *negated, scope),
            ExprKind::Between { value, low, high } => self.between(value, low, high, scope),
            ExprKind::Is { value, .. } => {
                self.expr(value, scope);
                Type::Bool
            }
            ExprKind::Paren(inner) => self.expr(inner, scope),
        }
    }

    /// The type of an expression used as a plain value: an event there is an error.
    pub(super) fn value(&mut self, e: &Expr, scope: Scope) -> Type {
        let ty = self.expr(e, scope);
        self.not_event(e, ty)
    }

    /// Reports an event used where a plain value is needed; gives unknown then.
    pub(super) fn not_event(&mut self, e: &Expr, ty: Type) -> Type {
        if let Type::Event(_) = ty {
            let q = self.quote(e.span);
            let d = self
                .error("E0311", e.span, format!("{q} is an event, not a value"))
                .with_label("an event")
                .with_help(format!(
                    "read one of its properties, such as {}, or its age with `days_since(…)`",
                    self.property_example(e, ty)
                ));
            self.push(d);
            return Type::Unknown;
        }
        ty
    }

    fn property_example(&self, e: &Expr, ty: Type) -> String {
        let text = self.file.slice(e.span);
        let prop = match ty {
            Type::Event(EventOf::Named(i)) => self.schema.events[i]
                .order
                .first()
                .map(String::as_str)
                .unwrap_or("at"),
            _ => "at",
        };
        format!("`{text}.{prop}`")
    }

    /// Checks a condition: it must be true or false.
    pub(super) fn condition(&mut self, e: &Expr, scope: Scope) {
        let ty = self.expr(e, scope);
        self.expect_bool(e, ty);
    }

    /// Reports a value that is not true/false where a condition is expected.
    pub(super) fn expect_bool(&mut self, e: &Expr, ty: Type) {
        if !ty.is_known() || ty == Type::Bool {
            return;
        }
        let q = self.quote(e.span);
        let help = match (&unparen(e).kind, ty) {
            (ExprKind::Name(id), _)
                if self.symbols.get(&id.name).map(|r| r.kind) == Some(ItemKind::Score) =>
            {
                format!("`{0}` is a score; compare it, e.g. `{0} >= 40`", id.name)
            }
            (ExprKind::Name(id), _)
                if self.symbols.get(&id.name).map(|r| r.kind) == Some(ItemKind::Segment) =>
            {
                format!(
                    "`{0}` is a segment; compare its label, e.g. `{0} == \"hot\"`",
                    id.name
                )
            }
            (_, Type::Number) => format!("compare it, e.g. `{} > 0`", self.snippet(e.span)),
            (_, Type::Text) => format!("compare it, e.g. `{} == \"…\"`", self.snippet(e.span)),
            (_, Type::Event(_)) => format!(
                "test whether there is one: `{} is present`",
                self.snippet(e.span)
            ),
            _ => "write a comparison such as `x > 0`, or a true/false field".to_string(),
        };
        let d = self
            .error(
                "E0303",
                e.span,
                format!("{q} is {}, not true or false", ty.describe()),
            )
            .with_label("expected a condition")
            .with_help(help);
        self.push(d);
    }

    fn list(&mut self, items: &[Expr], scope: Scope) -> Type {
        let mut elem: Option<(Scalar, Span)> = None;
        let mut unknown = false;
        for item in items {
            let ty = self.value(item, scope);
            let Some(s) = ty.scalar() else {
                if let Type::List(_) = ty {
                    let d = self
                        .error("E0304", item.span, "a list cannot hold another list")
                        .with_label("a list inside a list")
                        .with_help("write the values one by one: `[\"a\", \"b\"]`");
                    self.push(d);
                }
                unknown = true;
                continue;
            };
            match elem {
                None => elem = Some((s, item.span)),
                Some((first, first_span)) if first != s => {
                    let d = self
                        .error(
                            "E0304",
                            item.span,
                            format!(
                                "this list mixes {} and {}",
                                first.ty().describe(),
                                s.ty().describe()
                            ),
                        )
                        .with_label(s.ty().describe())
                        .with_help(format!(
                            "every value in a list has the same type, like its first value {}",
                            self.quote(first_span)
                        ));
                    self.push(d);
                    unknown = true;
                }
                Some(_) => {}
            }
        }
        if unknown {
            Type::List(None)
        } else {
            Type::List(elem.map(|(s, _)| s))
        }
    }

    /// A bare name: in an event filter a property of the event first; then a let, score or
    /// segment; then a contact field.
    fn name(&mut self, id: &Ident, scope: Scope) -> Type {
        let name = id.name.as_str();
        if let Some(event) = scope.event {
            match name {
                "at" => return Type::Date,
                "type" => return Type::Text,
                _ => {}
            }
            match event {
                EventOf::Named(i) => {
                    if let Some(f) = self.schema.events[i].properties.get(name) {
                        return f.ty;
                    }
                }
                EventOf::Any => {
                    if let Some(ty) = self.schema.any_property(name) {
                        return ty;
                    }
                }
                EventOf::Unknown => {}
            }
            if let Some(ty) = self.item_value(id) {
                return ty;
            }
            return match event {
                EventOf::Unknown => Type::Unknown,
                _ => {
                    self.unknown_property(id, event);
                    Type::Unknown
                }
            };
        }
        if let Some(ty) = self.item_value(id) {
            return ty;
        }
        if let Some(f) = self.schema.contact.get(name) {
            return f.ty;
        }
        if !self.schema.declared {
            // Without a schema, an unknown name is a contact field the data will tell about.
            return Type::Unknown;
        }
        if self.schema.event(name).is_some() {
            let d = self
                .error(
                    "E0107",
                    id.span,
                    format!("`{name}` is an event type, not a value"),
                )
                .with_label("an event type")
                .with_help(format!(
                    "use an aggregate over its events, such as `count({name})` or `days_since(last({name}))`"
                ));
            self.push(d);
            return Type::Unknown;
        }
        let candidates = self.value_names();
        let mut help = suggest::did_you_mean(name, candidates.iter().map(String::as_str));
        if help.is_none() && self.plugins.contains_key(name) {
            help = Some(format!(
                "`{name}` is a plugin: call one of its functions, `{name}.function(…)`"
            ));
        }
        let help = help.unwrap_or_else(|| {
            "declare it in the schema's `contact` block, or define it with `let`".to_string()
        });
        let d = self
            .error("E0101", id.span, format!("unknown name `{name}`"))
            .with_label("not a field, let, score or segment")
            .with_help(help);
        self.push(d);
        Type::Unknown
    }

    /// The type of a let, score or segment named by `id`, if it names one. A plugin name used
    /// as a value is reported (and gives unknown).
    fn item_value(&mut self, id: &Ident) -> Option<Type> {
        let r = self.symbols.get(&id.name)?;
        if r.kind == ItemKind::Plugin {
            let d = self
                .error(
                    "E0107",
                    id.span,
                    format!("`{}` is a plugin, not a value", id.name),
                )
                .with_label("a plugin")
                .with_help(format!(
                    "call one of its functions: `{}.function(…)`",
                    id.name
                ));
            self.push(d);
            return Some(Type::Unknown);
        }
        Some(self.item_type(r.index))
    }

    /// Names a bare name may mean outside events: fields, lets, scores, segments.
    fn value_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.schema.contact_order.clone();
        names.extend(
            self.symbols
                .items
                .iter()
                .filter(|(_, r)| r.kind != ItemKind::Plugin)
                .map(|(n, _)| n.clone()),
        );
        names.sort();
        names
    }

    fn unknown_property(&mut self, id: &Ident, event: EventOf) {
        let name = id.name.as_str();
        let (message, mut candidates): (String, Vec<String>) = match event {
            EventOf::Named(i) => {
                let e = &self.schema.events[i];
                (
                    format!("the event `{}` has no property `{name}`", e.name),
                    e.order.clone(),
                )
            }
            _ => (
                format!("no event type has a property `{name}`"),
                self.schema
                    .events
                    .iter()
                    .flat_map(|e| e.order.iter().cloned())
                    .collect(),
            ),
        };
        candidates.push("at".into());
        candidates.push("type".into());
        candidates.extend(self.value_names());
        let help = if self.schema.contact.contains_key(name) {
            format!("inside an event filter, bare names are the event's properties; to use the contact's field, write `contact.{name}`")
        } else if let Some(s) = suggest::did_you_mean(name, candidates.iter().map(String::as_str)) {
            s
        } else {
            match event {
                EventOf::Named(i) => {
                    let e = &self.schema.events[i];
                    let mut props: Vec<&str> = e.order.iter().map(String::as_str).collect();
                    props.extend(["at", "type"]);
                    format!("`{}` has {}", e.name, suggest::list(&props, 8))
                }
                _ => "declare the property in the schema's `event` blocks".to_string(),
            }
        };
        let d = self
            .error("E0103", id.span, message)
            .with_label("unknown property")
            .with_help(help);
        self.push(d);
    }

    /// `contact.NAME`: always a contact field.
    fn contact_field(&mut self, id: &Ident) -> Type {
        if let Some(f) = self.schema.contact.get(&id.name) {
            return f.ty;
        }
        if !self.schema.declared {
            return Type::Unknown;
        }
        let help = suggest::did_you_mean(
            &id.name,
            self.schema.contact_order.iter().map(String::as_str),
        )
        .unwrap_or_else(|| "declare it in the schema's `contact` block".to_string());
        let d = self
            .error(
                "E0105",
                id.span,
                format!("unknown contact field `{}`", id.name),
            )
            .with_label("not in the schema")
            .with_help(help);
        self.push(d);
        Type::Unknown
    }

    /// `EXPR.NAME`: a property of an event.
    fn field(&mut self, base: &Expr, name: &Ident, scope: Scope) -> Type {
        if let ExprKind::Name(b) = &base.kind {
            let is_value = self.symbols.get(&b.name).is_some()
                || self.schema.contact.contains_key(&b.name)
                || scope.event.is_some_and(|ev| self.is_property(ev, &b.name));
            if !is_value && self.schema.event(&b.name).is_some() {
                let d = self
                    .error(
                        "E0107",
                        base.span.to(name.span),
                        format!("`{}` is an event type, not a value", b.name),
                    )
                    .with_label("an event type")
                    .with_help(format!(
                        "read the property of one event, `last({0}).{1}`, or add them up, `sum({0}.{1})`",
                        b.name, name.name
                    ));
                self.push(d);
                return Type::Unknown;
            }
        }
        let ty = self.expr(base, scope);
        match ty {
            Type::Event(event) => self.event_property(event, name),
            Type::Unknown | Type::Missing => Type::Unknown,
            other => {
                let q = self.quote(base.span);
                let d = self
                    .error(
                        "E0312",
                        name.span,
                        format!(
                            "{q} is {}, it has no property `{}`",
                            other.describe(),
                            name.name
                        ),
                    )
                    .with_label("not an event")
                    .with_help(
                        "`.NAME` reads a property of an event, such as `last(order).amount`",
                    );
                self.push(d);
                Type::Unknown
            }
        }
    }

    fn is_property(&self, event: EventOf, name: &str) -> bool {
        match event {
            EventOf::Named(i) => self.schema.events[i].properties.contains_key(name),
            EventOf::Any => self.schema.any_property(name).is_some(),
            EventOf::Unknown => false,
        }
    }

    /// The type of property `name` of an event, reporting an unknown property.
    pub(super) fn event_property(&mut self, event: EventOf, name: &Ident) -> Type {
        match name.name.as_str() {
            "at" => return Type::Date,
            "type" => return Type::Text,
            _ => {}
        }
        let found = match event {
            EventOf::Named(i) => self.schema.events[i]
                .properties
                .get(&name.name)
                .map(|f| f.ty),
            EventOf::Any => self.schema.any_property(&name.name),
            EventOf::Unknown => return Type::Unknown,
        };
        match found {
            Some(ty) => ty,
            None => {
                self.unknown_property(name, event);
                Type::Unknown
            }
        }
    }

    /// Checks an event filter; gives which events it selects.
    pub(super) fn filter(&mut self, filter: &EventFilter, scope: Scope) -> EventOf {
        let event = match &filter.event {
            EventRef::Any { .. } => EventOf::Any,
            EventRef::Named(id) => match self.schema.event(&id.name) {
                Some(i) => EventOf::Named(i),
                None if !self.schema.declared => EventOf::Unknown,
                None => {
                    let help = suggest::did_you_mean(
                        &id.name,
                        self.schema.events.iter().map(|e| e.name.as_str()),
                    )
                    .unwrap_or_else(|| {
                        let names: Vec<&str> =
                            self.schema.events.iter().map(|e| e.name.as_str()).collect();
                        if names.is_empty() {
                            format!("declare it in the schema: `event {} {{ … }}`", id.name)
                        } else {
                            format!(
                                "the schema declares {}; declare it there or use `any`",
                                suggest::list(&names, 8)
                            )
                        }
                    });
                    let d = self
                        .error(
                            "E0102",
                            id.span,
                            format!("unknown event type `{}`", id.name),
                        )
                        .with_label("not in the schema")
                        .with_help(help);
                    self.push(d);
                    EventOf::Unknown
                }
            },
        };
        if let Some(within) = &filter.within {
            self.positive_duration(within, "within");
        }
        if let Some(cond) = &filter.condition {
            let inner = Scope {
                event: Some(event),
                ..scope
            };
            self.condition(cond, inner);
            self.constant_condition(cond, "where");
        }
        event
    }

    fn aggregate(
        &mut self,
        function: Aggregate,
        function_span: Span,
        field: Option<&Ident>,
        filter: &EventFilter,
        scope: Scope,
    ) -> Type {
        let fname = function.name();
        if let (None, EventRef::Named(id), None, None) =
            (field, &filter.event, &filter.condition, &filter.within)
        {
            let is_event = self.schema.event(&id.name).is_some();
            let is_value =
                self.symbols.get(&id.name).is_some() || self.schema.contact.contains_key(&id.name);
            let takes_field = !matches!(
                function,
                Aggregate::Count | Aggregate::First | Aggregate::Last
            );
            if takes_field && !is_event && is_value {
                // `max(employees)`: one value, not an event type.
                self.name(id, scope);
                let example = self.schema.events.iter().find_map(|e| {
                    e.properties
                        .iter()
                        .find(|(_, f)| f.ty == Type::Number)
                        .map(|(p, _)| format!("{}.{p}", e.name))
                });
                let example = example.unwrap_or_else(|| "order.amount".to_string());
                let d = match function {
                    Aggregate::Min | Aggregate::Max => self
                        .error("E0308", function_span.to(filter.span), format!("`{fname}` of one value needs at least 2 values"))
                        .with_label("1 value")
                        .with_help(format!("compare several values, `{fname}({}, 0)`, or take the {} property of events, `{fname}({example})`", id.name, if function == Aggregate::Min { "smallest" } else { "largest" })),
                    _ => self
                        .error("E0310", filter.span, format!("`{fname}` works on a property of events, not on `{}`", id.name))
                        .with_label("not an event property")
                        .with_help(format!("name the event type and its property: `{fname}({example})`")),
                };
                self.push(d);
                return Type::Unknown;
            }
        }
        let event = self.filter(filter, scope);
        let event_word = self.file.slice(filter.event.span()).to_string();
        match function {
            Aggregate::Count | Aggregate::First | Aggregate::Last => {
                if let Some(f) = field {
                    let help = if function == Aggregate::Count {
                        format!("write `count({event_word})`; to add up a property, write `sum({event_word}.{})`", f.name)
                    } else {
                        format!(
                            "write `{fname}({event_word}).{}` to read the property of that event",
                            f.name
                        )
                    };
                    let d = self
                        .error(
                            "E0310",
                            f.span,
                            format!("`{fname}` takes an event type, not a property"),
                        )
                        .with_label("a property")
                        .with_help(help);
                    self.push(d);
                }
                if function == Aggregate::Count {
                    Type::Number
                } else {
                    Type::Event(event)
                }
            }
            Aggregate::Sum | Aggregate::Avg | Aggregate::Min | Aggregate::Max => {
                let Some(f) = field else {
                    let d = self
                        .error(
                            "E0310",
                            function_span,
                            format!("`{fname}` needs a property of the events"),
                        )
                        .with_label("no property")
                        .with_help(format!("name the property: `{fname}({event_word}.amount)`"));
                    self.push(d);
                    return Type::Unknown;
                };
                let ty = self.event_property(event, f);
                let ok = match function {
                    Aggregate::Min | Aggregate::Max => {
                        matches!(ty, Type::Number | Type::Date) || !ty.is_known()
                    }
                    _ => ty == Type::Number || !ty.is_known(),
                };
                if !ok {
                    let wants = if matches!(function, Aggregate::Min | Aggregate::Max) {
                        "numbers or dates"
                    } else {
                        "numbers"
                    };
                    let d = self
                        .error(
                            "E0310",
                            f.span,
                            format!(
                                "`{fname}` works on {wants}, but `{}` is {}",
                                f.name,
                                ty.describe()
                            ),
                        )
                        .with_label(ty.describe())
                        .with_help(format!("to count the events, write `count({event_word})`"));
                    self.push(d);
                    return Type::Unknown;
                }
                match function {
                    Aggregate::Min | Aggregate::Max if ty == Type::Date => Type::Date,
                    _ => Type::Number,
                }
            }
        }
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr, span: Span, scope: Scope) -> Type {
        let ty = self.value(operand, scope);
        match op {
            UnaryOp::Not => {
                self.expect_bool(operand, ty);
                Type::Bool
            }
            UnaryOp::Neg => match ty {
                Type::Number | Type::Duration => ty,
                Type::Unknown | Type::Missing => ty,
                other => {
                    let q = self.quote(operand.span);
                    let d = self
                        .error(
                            "E0301",
                            span,
                            format!("cannot negate {q}, which is {}", other.describe()),
                        )
                        .with_label("`-` needs a number")
                        .with_help("only numbers and durations have a sign");
                    self.push(d);
                    Type::Unknown
                }
            },
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        lhs: &Expr,
        rhs: &Expr,
        scope: Scope,
    ) -> Type {
        match op {
            BinaryOp::Coalesce => {
                let l = self.expr(lhs, scope);
                let r = self.expr(rhs, scope);
                self.join(l, r, lhs, rhs, op_span, "`??`")
            }
            BinaryOp::And | BinaryOp::Or => {
                let l = self.value(lhs, scope);
                self.expect_bool(lhs, l);
                let r = self.value(rhs, scope);
                self.expect_bool(rhs, r);
                Type::Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let l = self.value(lhs, scope);
                let r = self.value(rhs, scope);
                if !l.fits(r) && !Self::same_list(l, r) {
                    self.mismatch(op, op_span, lhs, l, rhs, r);
                } else {
                    self.segment_label(lhs, rhs);
                    self.segment_label(rhs, lhs);
                }
                Type::Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let l = self.value(lhs, scope);
                let r = self.value(rhs, scope);
                let ordered = |t: Type| {
                    matches!(t, Type::Number | Type::Date | Type::Duration) || !t.is_known()
                };
                if !l.fits(r) {
                    self.mismatch(op, op_span, lhs, l, rhs, r);
                } else if !ordered(l) || !ordered(r) {
                    let (e, t) = if !ordered(l) { (lhs, l) } else { (rhs, r) };
                    let q = self.quote(e.span);
                    let help = if t == Type::Text {
                        "texts are compared with `==`, `!=`, `in`, `starts_with` or `matches`"
                            .to_string()
                    } else {
                        "only numbers, dates and durations are ordered".to_string()
                    };
                    let d = self
                        .error(
                            "E0315",
                            e.span,
                            format!(
                                "`{}` compares numbers, dates or durations, but {q} is {}",
                                op.symbol(),
                                t.describe()
                            ),
                        )
                        .with_label(t.describe())
                        .with_help(help);
                    self.push(d);
                }
                Type::Bool
            }
            BinaryOp::Matches => {
                let l = self.value(lhs, scope);
                self.text_operand(op, lhs, l);
                let pattern = unparen(rhs);
                match &pattern.kind {
                    ExprKind::String(p) => {
                        let error = self
                            .patterns
                            .entry(p.clone())
                            .or_insert_with(|| regex::Regex::new(p).err().map(|e| regex_reason(&e)))
                            .clone();
                        if let Some(reason) = error {
                            let d = self
                                .error(
                                    "E0306",
                                    rhs.span,
                                    format!("invalid pattern `{p}`: {reason}"),
                                )
                                .with_label("not a valid regular expression")
                                .with_help("patterns use Rust regex syntax; escape special characters such as `(` or `.` with `\\\\`");
                            self.push(d);
                        }
                    }
                    _ => {
                        let r = self.value(rhs, scope);
                        if r.is_known()
                            || matches!(pattern.kind, ExprKind::Name(_) | ExprKind::ContactField(_))
                        {
                            let d = self
                                .error(
                                    "E0306",
                                    rhs.span,
                                    "the pattern after `matches` must be a text in quotes",
                                )
                                .with_label("not a fixed pattern")
                                .with_help("write the pattern itself: `x matches \"(ceo|cmo)\"`; to compare with another value, use `==` or `contains`");
                            self.push(d);
                        }
                    }
                }
                Type::Bool
            }
            BinaryOp::StartsWith | BinaryOp::EndsWith => {
                let l = self.value(lhs, scope);
                self.text_operand(op, lhs, l);
                let r = self.value(rhs, scope);
                self.text_operand(op, rhs, r);
                Type::Bool
            }
            BinaryOp::Contains => {
                let l = self.value(lhs, scope);
                let r = self.value(rhs, scope);
                match l {
                    Type::List(elem) => {
                        let want = elem.map(Scalar::ty).unwrap_or(Type::Unknown);
                        if !r.fits(want) {
                            let q = self.quote(rhs.span);
                            let d = self
                                .error(
                                    "E0305",
                                    rhs.span,
                                    format!("{} holds {}s, but {q} is {}", self.quote(lhs.span), want.name(), r.describe()),
                                )
                                .with_label(r.describe())
                                .with_help("look for a value of the list's type, such as `tags contains \"vip\"`");
                            self.push(d);
                        }
                    }
                    _ => {
                        if l.is_known() && l != Type::Text {
                            let q = self.quote(lhs.span);
                            let d = self
                                .error(
                                    "E0305",
                                    lhs.span,
                                    format!(
                                        "`contains` needs a text or a list, but {q} is {}",
                                        l.describe()
                                    ),
                                )
                                .with_label(l.describe())
                                .with_help(
                                    "`contains` looks for a part of a text or a value in a list",
                                );
                            self.push(d);
                        } else {
                            self.text_operand(op, rhs, r);
                        }
                    }
                }
                Type::Bool
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let l = self.value(lhs, scope);
                let r = self.value(rhs, scope);
                self.arithmetic(op, op_span, lhs, l, rhs, r)
            }
        }
    }

    fn same_list(l: Type, r: Type) -> bool {
        matches!((l, r), (Type::List(a), Type::List(b)) if a.is_none() || b.is_none() || a == b)
    }

    /// `+ - * / %`: numbers; dates and durations where it makes sense.
    fn arithmetic(
        &mut self,
        op: BinaryOp,
        op_span: Span,
        lhs: &Expr,
        l: Type,
        rhs: &Expr,
        r: Type,
    ) -> Type {
        use Type::{Date, Duration, Number};
        if !l.is_known() || !r.is_known() {
            let known = if l.is_known() { l } else { r };
            let bad = known.is_known() && !matches!(known, Number | Date | Duration);
            if !bad {
                return if known == Number {
                    Number
                } else {
                    Type::Unknown
                };
            }
        }
        let result = match (op, l, r) {
            (_, Number, Number) => Some(Number),
            (BinaryOp::Add, Date, Duration) | (BinaryOp::Add, Duration, Date) => Some(Date),
            (BinaryOp::Add | BinaryOp::Sub, Duration, Duration) => Some(Duration),
            (BinaryOp::Sub, Date, Duration) => Some(Date),
            (BinaryOp::Sub, Date, Date) => Some(Duration),
            (BinaryOp::Mul, Duration, Number) | (BinaryOp::Mul, Number, Duration) => Some(Duration),
            (BinaryOp::Div, Duration, Number) => Some(Duration),
            (BinaryOp::Div, Duration, Duration) => Some(Number),
            _ => None,
        };
        if let Some(t) = result {
            return t;
        }
        let verb = match op {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "subtract",
            BinaryOp::Mul => "multiply",
            BinaryOp::Div => "divide",
            _ => "take the remainder of",
        };
        let help = if l == Type::Text || r == Type::Text {
            "texts cannot be computed with; compare them with `==`, `contains` or `in`".to_string()
        } else if matches!((l, r), (Number, Duration) | (Duration, Number)) {
            "a duration (`30d`) and a number cannot be mixed: write both as numbers of days, or both as durations".to_string()
        } else if matches!((l, r), (Date, Number) | (Number, Date)) {
            "add a duration to a date (`created_at + 30d`), or use `days_since(…)` to get a number of days".to_string()
        } else {
            format!(
                "`{}` works on numbers; dates and durations also work with `+` and `-`",
                op.symbol()
            )
        };
        let d = self
            .error(
                "E0301",
                op_span,
                format!("cannot {verb} {} and {}", l.describe(), r.describe()),
            )
            .with_label(format!(
                "{} is {}, {} is {}",
                self.quote(lhs.span),
                l.describe(),
                self.quote(rhs.span),
                r.describe()
            ))
            .with_help(help);
        self.push(d);
        Type::Unknown
    }

    /// Two sides of a comparison with different types.
    fn mismatch(&mut self, op: BinaryOp, op_span: Span, lhs: &Expr, l: Type, rhs: &Expr, r: Type) {
        let help = self
            .mismatch_help(lhs, l, rhs, r)
            .unwrap_or_else(|| format!("both sides of `{}` must have the same type", op.symbol()));
        let d = self
            .error(
                "E0302",
                op_span,
                format!("cannot compare {} with {}", l.describe(), r.describe()),
            )
            .with_label(format!(
                "{} is {}, {} is {}",
                self.quote(lhs.span),
                l.describe(),
                self.quote(rhs.span),
                r.describe()
            ))
            .with_help(help);
        self.push(d);
    }

    fn mismatch_help(&self, lhs: &Expr, l: Type, rhs: &Expr, r: Type) -> Option<String> {
        for (a, at, b, bt) in [(lhs, l, rhs, r), (rhs, r, lhs, l)] {
            let b = unparen(b);
            match (at, bt, &b.kind) {
                (Type::Number, Type::Duration, ExprKind::Duration(d)) => {
                    let days = format_number(d.days());
                    let what = match &unparen(a).kind {
                        ExprKind::Call { function, .. }
                            if matches!(function.name.as_str(), "days_since" | "days_between") =>
                        {
                            format!("`{}` gives a number of days", function.name)
                        }
                        _ => format!("{} is a number", self.quote(a.span)),
                    };
                    return Some(format!(
                        "{what}: write `{days}` instead of `{}`",
                        self.file.slice(b.span)
                    ));
                }
                (Type::Date, Type::Text, ExprKind::String(s)) if looks_like_date(s) => {
                    return Some(format!("write the date bare, without quotes: `{s}`"));
                }
                (Type::Number, Type::Text, ExprKind::String(s))
                    if s.trim().parse::<f64>().is_ok() =>
                {
                    return Some(format!("write the number without quotes: `{}`", s.trim()));
                }
                _ => {}
            }
        }
        None
    }

    /// The type of `a ?? b` or the branches of `if`/`coalesce`.
    pub(super) fn join(
        &mut self,
        l: Type,
        r: Type,
        lhs: &Expr,
        rhs: &Expr,
        at: Span,
        what: &str,
    ) -> Type {
        match (l, r) {
            (Type::Missing, t) | (t, Type::Missing) => t,
            (Type::Unknown, _) | (_, Type::Unknown) => Type::Unknown,
            (Type::Event(a), Type::Event(b)) => {
                Type::Event(if a == b { a } else { EventOf::Unknown })
            }
            (a, b) if a == b || Self::same_list(a, b) => a,
            (a, b) => {
                let d = self
                    .error(
                        "E0314",
                        at,
                        format!("{what} mixes {} and {}", a.describe(), b.describe()),
                    )
                    .with_label(format!(
                        "{} is {}, {} is {}",
                        self.quote(lhs.span),
                        a.describe(),
                        self.quote(rhs.span),
                        b.describe()
                    ))
                    .with_help("the alternatives must have the same type");
                self.push(d);
                Type::Unknown
            }
        }
    }

    fn text_operand(&mut self, op: BinaryOp, e: &Expr, ty: Type) {
        if ty.is_known() && ty != Type::Text {
            let q = self.quote(e.span);
            let help = if let Type::List(_) = ty {
                "to look for a value in a list, use `contains`".to_string()
            } else {
                format!("`{}` works on texts", op.symbol())
            };
            let d = self
                .error(
                    "E0305",
                    e.span,
                    format!(
                        "`{}` needs a text, but {q} is {}",
                        op.symbol(),
                        ty.describe()
                    ),
                )
                .with_label(ty.describe())
                .with_help(help);
            self.push(d);
        }
    }

    fn in_list(&mut self, value: &Expr, list: &Expr, negated: bool, scope: Scope) -> Type {
        let v = self.value(value, scope);
        let l = self.value(list, scope);
        let word = if negated { "not in" } else { "in" };
        match l {
            Type::List(elem) => {
                let want = elem.map(Scalar::ty).unwrap_or(Type::Unknown);
                if !v.fits(want) {
                    let q = self.quote(value.span);
                    let d = self
                        .error(
                            "E0304",
                            value.span,
                            format!(
                                "{q} is {}, but the list holds {}s",
                                v.describe(),
                                want.name()
                            ),
                        )
                        .with_label(v.describe())
                        .with_help("the value and the list's items must have the same type");
                    self.push(d);
                } else {
                    self.segment_label(value, list);
                }
            }
            t if t.is_known() => {
                let q = self.quote(list.span);
                let help = match &unparen(list).kind {
                    ExprKind::String(text) if text.contains(',') => {
                        let items: Vec<String> =
                            text.split(',').map(|i| format!("{:?}", i.trim())).collect();
                        format!(
                            "write a list: `{} {word} [{}]`",
                            self.snippet(value.span),
                            items.join(", ")
                        )
                    }
                    _ if t == Type::Text => format!(
                        "to look for a part of a text, write `{} contains {}`",
                        self.snippet(value.span),
                        self.snippet(list.span)
                    ),
                    _ => format!("write a list: `x {word} [\"a\", \"b\"]`"),
                };
                let d = self
                    .error(
                        "E0304",
                        list.span,
                        format!("`{word}` needs a list, but {q} is {}", t.describe()),
                    )
                    .with_label("not a list")
                    .with_help(help);
                self.push(d);
            }
            _ => {}
        }
        Type::Bool
    }

    fn between(&mut self, value: &Expr, low: &Expr, high: &Expr, scope: Scope) -> Type {
        let v = self.value(value, scope);
        let lo = self.value(low, scope);
        let hi = self.value(high, scope);
        let ordered =
            |t: Type| matches!(t, Type::Number | Type::Date | Type::Duration) || !t.is_known();
        for (e, t) in [(value, v), (low, lo), (high, hi)] {
            if !ordered(t) {
                let q = self.quote(e.span);
                let d = self
                    .error(
                        "E0313",
                        e.span,
                        format!(
                            "`between` needs numbers, dates or durations, but {q} is {}",
                            t.describe()
                        ),
                    )
                    .with_label(t.describe())
                    .with_help("write `x between 10 and 20`");
                self.push(d);
                return Type::Bool;
            }
        }
        let known: Vec<(&Expr, Type)> = [(value, v), (low, lo), (high, hi)]
            .into_iter()
            .filter(|(_, t)| t.is_known())
            .collect();
        if let Some(&(first, ft)) = known.first() {
            if let Some(&(other, ot)) = known.iter().find(|(_, t)| *t != ft) {
                let help = self.mismatch_help(first, ft, other, ot).unwrap_or_else(|| {
                    if ft == Type::Date {
                        format!(
                            "write dates as bounds: `{} between 2026-01-01 and 2026-06-30`",
                            self.snippet(first.span)
                        )
                    } else {
                        "the value and both bounds must have the same type".to_string()
                    }
                });
                let d = self
                    .error(
                        "E0313",
                        other.span,
                        format!(
                            "{} is {}, but {} is {}",
                            self.quote(other.span),
                            ot.describe(),
                            self.quote(first.span),
                            ft.describe()
                        ),
                    )
                    .with_label(ot.describe())
                    .with_help(help);
                self.push(d);
            }
        }
        Type::Bool
    }

    /// `within`, `decay` durations must be positive.
    pub(super) fn positive_duration(&mut self, d: &scoreline_syntax::ast::DurationLit, word: &str) {
        if d.amount <= 0.0 || d.amount.is_nan() {
            let text = self.file.slice(d.span).to_string();
            let diag = self
                .error(
                    "E0211",
                    d.span,
                    format!("the duration after `{word}` must be more than zero, not `{text}`"),
                )
                .with_label("not positive")
                .with_help("write a positive duration such as `30d` or `12h`");
            self.push(diag);
        }
    }

    /// `tier == "hto"`: a segment compared with a label it never gives.
    fn segment_label(&mut self, segment: &Expr, label: &Expr) {
        let ExprKind::Name(id) = &unparen(segment).kind else {
            return;
        };
        let Some(r) = self.symbols.get(&id.name) else {
            return;
        };
        if r.kind != ItemKind::Segment {
            return;
        }
        let scoreline_syntax::ast::Item::Segment(seg) = &self.ast.items[r.index] else {
            return;
        };
        let labels: Vec<&str> = seg.arms.iter().map(|a| a.label.value.as_str()).collect();
        let label = unparen(label);
        let texts: Vec<(&str, Span)> = match &label.kind {
            ExprKind::String(s) => vec![(s.as_str(), label.span)],
            ExprKind::List(items) => items
                .iter()
                .filter_map(|i| match &unparen(i).kind {
                    ExprKind::String(s) => Some((s.as_str(), i.span)),
                    _ => None,
                })
                .collect(),
            _ => return,
        };
        for (text, span) in texts {
            if labels.contains(&text) {
                continue;
            }
            let help = suggest::did_you_mean(text, labels.iter().copied())
                .unwrap_or_else(|| format!("`{}` gives {}", id.name, suggest::list(&labels, 8)));
            let d = self
                .warning(
                    "W0108",
                    span,
                    format!("the segment `{}` has no label `{text}`", id.name),
                )
                .with_label("never equal")
                .with_help(help);
            self.push(d);
        }
    }

    /// A condition made of literals only is the same for every contact.
    pub(super) fn constant_condition(&mut self, cond: &Expr, word: &str) {
        if !is_constant(cond) {
            return;
        }
        let q = self.quote(cond.span);
        let help = if word == "when" {
            "it is the same for every contact; compare a field, a score or an aggregate instead, or remove the `when`".to_string()
        } else {
            format!("it is the same for every event; compare a property instead, or remove the `{word}`")
        };
        let d = self
            .warning(
                "W0105",
                cond.span,
                format!("the condition {q} does not depend on the data"),
            )
            .with_label("always the same")
            .with_help(help);
        self.push(d);
    }
}

/// Whether an expression is built from literals only.
pub(super) fn is_constant(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number(_)
        | ExprKind::String(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::Duration(_)
        | ExprKind::Missing => true,
        ExprKind::List(items) => items.iter().all(is_constant),
        ExprKind::Name(_)
        | ExprKind::ContactField(_)
        | ExprKind::Field { .. }
        | ExprKind::Call { .. }
        | ExprKind::PluginCall { .. }
        | ExprKind::Aggregate { .. } => false,
        ExprKind::Unary { operand, .. } => is_constant(operand),
        ExprKind::Binary { lhs, rhs, .. } => is_constant(lhs) && is_constant(rhs),
        ExprKind::In { value, list, .. } => is_constant(value) && is_constant(list),
        ExprKind::Between { value, low, high } => {
            is_constant(value) && is_constant(low) && is_constant(high)
        }
        ExprKind::Is { value, .. } => is_constant(value),
        ExprKind::Paren(inner) => is_constant(inner),
    }
}

/// A number as an author would write it: `30`, `0.5`.
pub(super) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// The last line of a regex error ("error: unclosed group"), without the prefix.
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    last.trim()
        .strip_prefix("error: ")
        .unwrap_or(last.trim())
        .to_string()
}
