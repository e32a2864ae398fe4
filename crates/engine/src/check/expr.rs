//! Types of expressions: names, operators, lists, events and aggregates. Each check gives
//! the expression's typed form (see [`crate::typed`]).

use scoreline_model::suggest;
use scoreline_syntax::ast::{
    Aggregate, BinaryOp, ContactsAggregate, EventFilter, EventRef, Expr, ExprKind, Ident, NumLit,
    Span, UnaryOp,
};
use scoreline_syntax::codes;

use super::types::{EventOf, Scalar, Type};
use super::{Checker, Scope};
use crate::builtins::{self, Returns};
use crate::resolve::ItemKind;
use crate::typed::{self, EventSel, FieldUse, InList};

/// Peels parentheses off an expression.
pub(super) fn unparen(mut e: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    e
}

/// A typed expression at `span`.
pub(super) fn typed(kind: typed::ExprKind, ty: Type, span: Span) -> typed::Expr {
    typed::Expr { kind, ty, span }
}

/// What an expression with a reported error becomes; `ty` is the type its uses see.
pub(super) fn invalid(ty: Type, span: Span) -> typed::Expr {
    typed(typed::ExprKind::Invalid, ty, span)
}

impl Checker<'_> {
    /// The type of an expression, in its typed form; reports every problem inside it.
    pub(super) fn expr(&mut self, e: &Expr, scope: Scope) -> typed::Expr {
        use typed::ExprKind as T;
        let span = e.span;
        match &e.kind {
            ExprKind::Number(n) => typed(T::Number(*n), Type::Number, span),
            ExprKind::String(s) => typed(T::Text(s.clone()), Type::Text, span),
            ExprKind::Bool(b) => typed(T::Bool(*b), Type::Bool, span),
            ExprKind::Date(d) => typed(T::Date(d.millis), Type::Date, span),
            ExprKind::Duration(d) => typed(T::Duration(*d), Type::Duration, span),
            ExprKind::Missing => typed(T::Missing, Type::Missing, span),
            ExprKind::List(items) => self.list_value(e, items, scope),
            ExprKind::Name(id) => self.name(id, scope),
            ExprKind::ContactField(id) => self.contact_field(id, span, scope),
            ExprKind::AccountField(id) => self.account_field(id, span, scope),
            ExprKind::ContactsAggregate {
                function,
                function_span,
                contacts_span,
                field,
                k,
                condition,
            } => self.contacts_aggregate(
                (*function, *function_span, *contacts_span),
                field.as_ref(),
                k.as_ref(),
                condition.as_deref(),
                span,
                scope,
            ),
            ExprKind::Field { base, name } => self.field(base, name, span, scope),
            ExprKind::Call { function, args } => self.call(function, args, span, scope),
            ExprKind::PluginCall {
                plugin,
                function,
                args,
            } => self.plugin_call(plugin, function, args, span, scope),
            ExprKind::Aggregate {
                function,
                function_span,
                field,
                filter,
            } => self.aggregate(
                *function,
                *function_span,
                field.as_ref(),
                filter,
                span,
                scope,
            ),
            ExprKind::Unary { op, operand } => self.unary(*op, operand, span, scope),
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs, span, scope),
            ExprKind::In {
                value,
                list,
                negated,
            } => self.in_list(value, list, *negated, span, scope),
            ExprKind::Between { value, low, high } => self.between(value, low, high, span, scope),
            ExprKind::Is { value, present } => {
                let value = self.expr(value, scope);
                typed(
                    T::Is {
                        value: Box::new(value),
                        present: *present,
                    },
                    Type::Bool,
                    span,
                )
            }
            ExprKind::Paren(inner) => {
                let mut inner = self.expr(inner, scope);
                inner.span = span;
                inner
            }
        }
    }

    /// An expression used as a plain value: an event there is an error.
    pub(super) fn value(&mut self, e: &Expr, scope: Scope) -> typed::Expr {
        let mut t = self.expr(e, scope);
        t.ty = self.not_event(e, t.ty);
        t
    }

    /// Reports an event used where a plain value is needed; gives unknown then.
    pub(super) fn not_event(&mut self, e: &Expr, ty: Type) -> Type {
        if let Type::Event(_) = ty {
            let q = self.quote(e.span);
            let d = self
                .error(
                    codes::E0311,
                    e.span,
                    format!("{q} is an event, not a value"),
                )
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
    pub(super) fn condition(&mut self, e: &Expr, scope: Scope) -> typed::Expr {
        let t = self.expr(e, scope);
        self.expect_bool(e, t.ty);
        t
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
                codes::E0303,
                e.span,
                format!("{q} is {}, not true or false", ty.describe()),
            )
            .with_label("expected a condition")
            .with_help(help);
        self.push(d);
    }

    /// The items of a list written out, and the list's type.
    fn list_items(&mut self, items: &[Expr], scope: Scope) -> (Type, Vec<typed::Expr>) {
        let mut elem: Option<(Scalar, Span)> = None;
        let mut unknown = false;
        let mut typed_items = Vec::with_capacity(items.len());
        for item in items {
            let t = self.value(item, scope);
            let ty = t.ty;
            typed_items.push(t);
            let Some(s) = ty.scalar() else {
                if let Type::List(_) = ty {
                    let d = self
                        .error(codes::E0304, item.span, "a list cannot hold another list")
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
                            codes::E0304,
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
        let ty = if unknown {
            Type::List(None)
        } else {
            Type::List(elem.map(|(s, _)| s))
        };
        (ty, typed_items)
    }

    /// A list used as a value (anywhere but right after `in`): its items must be texts
    /// written out, the only lists a value can hold.
    fn list_value(&mut self, e: &Expr, items: &[Expr], scope: Scope) -> typed::Expr {
        let before = self.error_count();
        let (ty, _) = self.list_items(items, scope);
        let texts: Option<Vec<String>> = items
            .iter()
            .map(|i| match &i.kind {
                ExprKind::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        match texts {
            Some(texts) => typed(typed::ExprKind::Texts(texts), ty, e.span),
            None => {
                // A list already reported (mixed types) is not reported again.
                if self.error_count() == before {
                    let d = self
                        .error(
                            codes::E0706,
                            e.span,
                            "a list used as a value may only hold texts written out",
                        )
                        .with_label("not only texts in quotes")
                        .with_help("write the list with text literals, such as `[\"a\", \"b\"]`, or use `x in [..]`");
                    self.push(d);
                }
                invalid(ty, e.span)
            }
        }
    }

    /// A bare name: in an event filter a property of the event first; then a let, score or
    /// segment; then a contact field.
    fn name(&mut self, id: &Ident, scope: Scope) -> typed::Expr {
        use typed::ExprKind as T;
        let name = id.name.as_str();
        let span = id.span;
        if let Some(event) = scope.event {
            match name {
                "at" => return typed(T::Property(name.to_string()), Type::Date, span),
                "type" => return typed(T::Property(name.to_string()), Type::Text, span),
                _ => {}
            }
            let property = match event {
                EventOf::Named(i) => self.schema.events[i].properties.get(name).map(|f| f.ty),
                EventOf::Any => self.schema.any_property(name),
                EventOf::Unknown => None,
            };
            if let Some(ty) = property {
                return typed(T::Property(name.to_string()), ty, span);
            }
            // Without a schema, the data's events may have such a property: the compiler
            // looks first.
            let undeclared = !self.schema.declared;
            if let Some((ty, index)) = self.item_value(id) {
                return match index {
                    Some(index) if self.wrong_level(id, index, scope) => invalid(ty, span),
                    Some(index) if undeclared => self.at_level(
                        scope,
                        typed(
                            T::PropertyOr {
                                name: name.to_string(),
                                item: Some(index),
                            },
                            ty,
                            span,
                        ),
                    ),
                    Some(index) => self.at_level(scope, typed(T::Item(index), ty, span)),
                    None => invalid(ty, span),
                };
            }
            return match event {
                EventOf::Unknown if undeclared => {
                    let unless = scope.filter.map(event_sel);
                    self.level_field_use(scope, name, span, unless);
                    typed(
                        T::PropertyOr {
                            name: name.to_string(),
                            item: None,
                        },
                        Type::Unknown,
                        span,
                    )
                }
                EventOf::Unknown => invalid(Type::Unknown, span),
                _ => {
                    self.unknown_property(id, event);
                    invalid(Type::Unknown, span)
                }
            };
        }
        if let Some((ty, index)) = self.item_value(id) {
            return match index {
                Some(index) if self.wrong_level(id, index, scope) => invalid(ty, span),
                Some(index) => self.at_level(scope, typed(T::Item(index), ty, span)),
                None => invalid(ty, span),
            };
        }
        let fields = if scope.account {
            &self.schema.account
        } else {
            &self.schema.contact
        };
        if let Some(f) = fields.get(name) {
            let ty = f.ty;
            self.level_field_use(scope, name, span, None);
            return self.at_level(scope, typed(T::Field(name.to_string()), ty, span));
        }
        if !self.schema.declared {
            // Without a schema, an unknown name is a field the data will tell about.
            self.level_field_use(scope, name, span, None);
            return self.at_level(
                scope,
                typed(T::Field(name.to_string()), Type::Unknown, span),
            );
        }
        if scope.account {
            return self.unknown_account_name(id, span, "");
        }
        if self.item_account && name == "contacts" {
            return invalid(Type::Unknown, span);
        }
        if self.schema.event(name).is_some() {
            let d = self
                .error(
                    codes::E0107,
                    id.span,
                    format!("`{name}` is an event type, not a value"),
                )
                .with_label("an event type")
                .with_help(format!(
                    "use an aggregate over its events, such as `count({name})` or `days_since(last({name}))`"
                ));
            self.push(d);
            return invalid(Type::Unknown, span);
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
            .error(codes::E0101, id.span, format!("unknown name `{name}`"))
            .with_label("not a field, let, score or segment")
            .with_help(help);
        self.push(d);
        invalid(Type::Unknown, span)
    }

    /// Notes a contact field the rules read, for the check against the schema in force.
    fn field_use(&mut self, name: &str, span: Span, unless_property_of: Option<EventSel>) {
        self.fields.push(FieldUse {
            name: name.to_string(),
            span,
            unless_property_of,
        });
    }

    /// The type and item index of a let, score or segment named by `id`, if it names one. A
    /// plugin name used as a value is reported (and gives unknown, without an index).
    fn item_value(&mut self, id: &Ident) -> Option<(Type, Option<usize>)> {
        let r = self.symbols.get(&id.name)?;
        if r.kind == ItemKind::Plugin {
            let d = self
                .error(
                    codes::E0107,
                    id.span,
                    format!("`{}` is a plugin, not a value", id.name),
                )
                .with_label("a plugin")
                .with_help(format!(
                    "call one of its functions: `{}.function(…)`",
                    id.name
                ));
            self.push(d);
            return Some((Type::Unknown, None));
        }
        Some((self.item_type(r.index), Some(r.index)))
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
            .error(codes::E0103, id.span, message)
            .with_label("unknown property")
            .with_help(help);
        self.push(d);
    }

    /// `contact.NAME`: a contact field; in an account item's event filter or `contacts where`,
    /// a field or item of the contact at hand.
    fn contact_field(&mut self, id: &Ident, span: Span, scope: Scope) -> typed::Expr {
        if self.item_account {
            if scope.event.is_none() && !scope.member {
                let d = self
                    .error(
                        codes::E0907,
                        span,
                        format!("`contact.{}` in an account item reads no contact", id.name),
                    )
                    .with_label("which contact?")
                    .with_help(format!(
                        "an account has many contacts: aggregate them, such as `max(contacts.{0})` or `count(contacts where {0} …)`; inside an event filter `contact.{0}` is the event's contact",
                        id.name
                    ));
                self.push(d);
                return invalid(Type::Unknown, span);
            }
            let inner = Scope {
                account: false,
                member: true,
                event: None,
                filter: None,
                ..scope
            };
            let mut e = self.name(id, inner);
            e.span = span;
            return e;
        }
        let field = |ty| typed(typed::ExprKind::Field(id.name.clone()), ty, span);
        if let Some(f) = self.schema.contact.get(&id.name) {
            let ty = f.ty;
            self.field_use(&id.name, id.span, None);
            return field(ty);
        }
        if !self.schema.declared {
            self.field_use(&id.name, id.span, None);
            return field(Type::Unknown);
        }
        let help = suggest::did_you_mean(
            &id.name,
            self.schema.contact_order.iter().map(String::as_str),
        )
        .unwrap_or_else(|| "declare it in the schema's `contact` block".to_string());
        let d = self
            .error(
                codes::E0105,
                id.span,
                format!("unknown contact field `{}`", id.name),
            )
            .with_label("not in the schema")
            .with_help(help);
        self.push(d);
        invalid(Type::Unknown, span)
    }

    /// A typed expression of the level `scope` reads (its bare names), as seen from the item
    /// being checked: the account's value in a contact item, a contact's in an account item.
    fn at_level(&mut self, scope: Scope, e: typed::Expr) -> typed::Expr {
        let (ty, span) = (e.ty, e.span);
        if matches!(ty, Type::Event(_)) && scope.account != self.item_account {
            let (whose, example) = if scope.account {
                (
                    "an account's",
                    "account let last_demo_at = last(demo_request).at",
                )
            } else {
                ("a contact's", "let last_visit_at = last(page_view).at")
            };
            let d = self
                .error(
                    codes::E0906,
                    span,
                    format!(
                        "{} is {whose} event, which the other level cannot read",
                        self.quote(span)
                    ),
                )
                .with_label("an event")
                .with_help(format!(
                    "read a value of the event instead, computed where the event is: `{example}`"
                ));
            self.push(d);
            return invalid(Type::Unknown, span);
        }
        match (scope.account, self.item_account) {
            (true, false) => typed(typed::ExprKind::Account(Box::new(e)), ty, span),
            (false, true) => typed(typed::ExprKind::Member(Box::new(e)), ty, span),
            _ => e,
        }
    }

    /// Notes a field read at the level of `scope`.
    fn level_field_use(
        &mut self,
        scope: Scope,
        name: &str,
        span: Span,
        unless_property_of: Option<EventSel>,
    ) {
        if scope.account {
            self.account_fields.push(FieldUse {
                name: name.to_string(),
                span,
                unless_property_of,
            });
        } else {
            self.field_use(name, span, unless_property_of);
        }
    }

    /// Reports an item of the other level named bare (LANGUAGE.md §13); true if it is one.
    fn wrong_level(&mut self, id: &Ident, index: usize, scope: Scope) -> bool {
        let is_account = self.symbols.is_account(index);
        if is_account == scope.account {
            return false;
        }
        let kind = self.symbols.get(&id.name).map_or("item", |r| r.kind.word());
        let name = &id.name;
        let d = if is_account {
            self.error(
                codes::E0901,
                id.span,
                format!("`{name}` is an account {kind}, not the contact's"),
            )
            .with_label("an account item")
            .with_help(format!(
                "a contact item reads its account's values as `account.{name}`"
            ))
        } else {
            self.error(
                codes::E0902,
                id.span,
                format!("`{name}` is a contact {kind}, and an account has many contacts"),
            )
            .with_label("a contact item")
            .with_help(format!(
                "aggregate it over the account's contacts, such as `sum(contacts.{name})`, `max(contacts.{name})` or `count(contacts where {name} …)`"
            ))
        };
        self.push(d);
        true
    }

    /// `account.NAME` naming nothing, or a bare name of an account item naming nothing.
    fn unknown_account_name(&mut self, id: &Ident, span: Span, prefix: &str) -> typed::Expr {
        let mut candidates: Vec<String> = self.schema.account_order.clone();
        if !candidates.iter().any(|c| c == "id") {
            candidates.push("id".into());
        }
        candidates.extend(
            self.symbols
                .items
                .iter()
                .filter(|(_, r)| self.symbols.is_account(r.index))
                .map(|(n, _)| n.clone()),
        );
        candidates.sort();
        let help = suggest::did_you_mean(&id.name, candidates.iter().map(String::as_str))
            .map(|h| {
                if prefix.is_empty() {
                    h
                } else {
                    h.replace('`', "")
                        .replacen("did you mean ", &format!("did you mean `{prefix}"), 1)
                        .replacen('?', "`?", 1)
                }
            })
            .unwrap_or_else(|| {
                "declare it in the schema's `account` block, or define it with `account let`"
                    .to_string()
            });
        let d = self
            .error(
                codes::E0904,
                span,
                format!(
                    "`{prefix}{}` names no account field or account item",
                    id.name
                ),
            )
            .with_label("not an account field, let, score or segment")
            .with_help(help);
        self.push(d);
        invalid(Type::Unknown, span)
    }

    /// `account.NAME`: a field or item of the account (the contact's, in a contact item).
    fn account_field(&mut self, id: &Ident, span: Span, scope: Scope) -> typed::Expr {
        let inner = Scope {
            account: true,
            member: false,
            event: None,
            filter: None,
            ..scope
        };
        if id.name == "id" && !self.schema.account.contains_key("id") {
            let e = typed(typed::ExprKind::Field("id".into()), Type::Text, span);
            self.level_field_use(inner, "id", id.span, None);
            return self.at_level(inner, e);
        }
        if let Some(r) = self.symbols.get(&id.name) {
            if r.kind != ItemKind::Plugin && self.symbols.is_account(r.index) {
                let ty = self.item_type(r.index);
                return self.at_level(inner, typed(typed::ExprKind::Item(r.index), ty, span));
            }
        }
        if let Some(f) = self.schema.account.get(&id.name) {
            let ty = f.ty;
            self.level_field_use(inner, &id.name, id.span, None);
            return self.at_level(
                inner,
                typed(typed::ExprKind::Field(id.name.clone()), ty, span),
            );
        }
        if !self.schema.declared
            && self
                .symbols
                .get(&id.name)
                .is_none_or(|r| r.kind == ItemKind::Plugin)
        {
            self.level_field_use(inner, &id.name, id.span, None);
            return self.at_level(
                inner,
                typed(typed::ExprKind::Field(id.name.clone()), Type::Unknown, span),
            );
        }
        self.unknown_account_name(id, span, "account.")
    }

    /// `count(contacts where …)`, `sum(contacts.NAME where …)`, `top_avg(contacts.NAME, K …)`.
    fn contacts_aggregate(
        &mut self,
        (function, function_span, contacts_span): (ContactsAggregate, Span, Span),
        field: Option<&Ident>,
        k: Option<&NumLit>,
        condition: Option<&Expr>,
        span: Span,
        scope: Scope,
    ) -> typed::Expr {
        let fname = function.name();
        if !self.item_account || scope.member {
            let (message, help) = if self.item_account {
                (
                    "`contacts` inside `contacts where …`".to_string(),
                    "a `contacts` aggregate is about one account's contacts; compute it in an `account let` and compare with `account.NAME`".to_string(),
                )
            } else {
                (
                    "`contacts` is only in account items".to_string(),
                    "an account's contacts are aggregated in `account let`, `account score` or `account segment`; a contact item reads the result as `account.NAME`".to_string(),
                )
            };
            let d = self
                .error(codes::E0903, contacts_span, message)
                .with_label("not an account item")
                .with_help(help);
            self.push(d);
            return invalid(Type::Unknown, span);
        }
        let member = Scope {
            account: false,
            member: true,
            event: None,
            filter: None,
            ..scope
        };
        let value = field.map(|f| {
            let mut v = self.name(f, member);
            v.span = f.span;
            v
        });
        let value_ty = value.as_ref().map_or(Type::Unknown, |v| v.ty);
        match function {
            ContactsAggregate::Count => {}
            ContactsAggregate::Sum | ContactsAggregate::Avg | ContactsAggregate::TopAvg => {
                if field.is_none() {
                    let d = self
                        .error(
                            codes::E0906,
                            function_span.to(contacts_span),
                            format!("`{fname}` needs a contact value"),
                        )
                        .with_label("of what?")
                        .with_help(format!(
                            "name the value to aggregate: `{fname}(contacts.engagement)`"
                        ));
                    self.push(d);
                } else if value_ty.is_known() && value_ty != Type::Number {
                    let d = self
                        .error(
                            codes::E0906,
                            field.map_or(span, |f| f.span),
                            format!("`{fname}` needs numbers, and `{}` is {}", field.map_or("", |f| f.name.as_str()), value_ty.describe()),
                        )
                        .with_label("not a number")
                        .with_help("aggregate a number field or score; `count(contacts where …)` counts contacts of any kind");
                    self.push(d);
                }
            }
            ContactsAggregate::Min | ContactsAggregate::Max => {
                if field.is_none() {
                    let d = self
                        .error(
                            codes::E0906,
                            function_span.to(contacts_span),
                            format!("`{fname}` needs a contact value"),
                        )
                        .with_label("of what?")
                        .with_help(format!("name the value: `{fname}(contacts.engagement)`"));
                    self.push(d);
                } else if value_ty.is_known() && !matches!(value_ty, Type::Number | Type::Date) {
                    let d = self
                        .error(
                            codes::E0906,
                            field.map_or(span, |f| f.span),
                            format!(
                                "`{fname}` needs numbers or dates, and `{}` is {}",
                                field.map_or("", |f| f.name.as_str()),
                                value_ty.describe()
                            ),
                        )
                        .with_label("not a number or a date")
                        .with_help("aggregate a number or date field, or a score");
                    self.push(d);
                }
            }
        }
        let k_value = match (function, k) {
            (ContactsAggregate::TopAvg, Some(k)) => {
                if k.value < 1.0 || k.value.fract() != 0.0 {
                    let d = self
                        .error(codes::E0905, k.span, format!("`top_avg` takes the K largest values, and K = {} is not a whole number of at least 1", format_number(k.value)))
                        .with_label("not a whole number ≥ 1")
                        .with_help("write how many of the largest values to average, such as `top_avg(contacts.engagement, 3)`");
                    self.push(d);
                    None
                } else {
                    Some(k.value as usize)
                }
            }
            (ContactsAggregate::TopAvg, None) => {
                let d = self
                    .error(
                        codes::E0905,
                        function_span.to(span),
                        "`top_avg` needs K, how many of the largest values to average",
                    )
                    .with_label("K missing")
                    .with_help("write it after the value: `top_avg(contacts.engagement, 3)`");
                self.push(d);
                None
            }
            (_, Some(k)) => {
                let d = self
                    .error(codes::E0905, k.span, format!("`{fname}` takes no K"))
                    .with_label("only `top_avg` takes K")
                    .with_help(format!("remove it, or average the K largest values with `top_avg(contacts.NAME, {})`", format_number(k.value)));
                self.push(d);
                None
            }
            (_, None) => None,
        };
        let condition = condition.map(|c| {
            let typed = self.condition(c, member);
            self.constant_condition(c, "contacts where");
            Box::new(typed)
        });
        let ty = match function {
            ContactsAggregate::Min | ContactsAggregate::Max if value_ty == Type::Date => Type::Date,
            ContactsAggregate::Min | ContactsAggregate::Max
                if !value_ty.is_known() && field.is_some() =>
            {
                Type::Unknown
            }
            _ => Type::Number,
        };
        typed(
            typed::ExprKind::Contacts {
                function,
                value: value.map(Box::new),
                k: k_value,
                condition,
            },
            ty,
            span,
        )
    }

    /// `EXPR.NAME`: a property of an event.
    fn field(&mut self, base: &Expr, name: &Ident, span: Span, scope: Scope) -> typed::Expr {
        if let ExprKind::Name(b) = &base.kind {
            let is_value = self.symbols.get(&b.name).is_some()
                || self.schema.contact.contains_key(&b.name)
                || scope.event.is_some_and(|ev| self.is_property(ev, &b.name));
            if !is_value && self.schema.event(&b.name).is_some() {
                let d = self
                    .error(
                        codes::E0107,
                        base.span.to(name.span),
                        format!("`{}` is an event type, not a value", b.name),
                    )
                    .with_label("an event type")
                    .with_help(format!(
                        "read the property of one event, `last({0}).{1}`, or add them up, `sum({0}.{1})`",
                        b.name, name.name
                    ));
                self.push(d);
                return invalid(Type::Unknown, span);
            }
        }
        let base_typed = self.expr(base, scope);
        let ty = match base_typed.ty {
            Type::Event(event) => self.event_property(event, name),
            Type::Unknown | Type::Missing => Type::Unknown,
            other => {
                let q = self.quote(base.span);
                let d = self
                    .error(
                        codes::E0312,
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
                return invalid(Type::Unknown, span);
            }
        };
        typed(
            typed::ExprKind::EventProperty {
                base: Box::new(base_typed),
                name: name.name.clone(),
            },
            ty,
            span,
        )
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

    /// Checks an event filter; gives which events it selects, and its typed form.
    pub(super) fn filter(
        &mut self,
        filter: &EventFilter,
        scope: Scope,
    ) -> (EventOf, typed::Filter) {
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
                            codes::E0102,
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
        let condition = filter.condition.as_ref().map(|cond| {
            let inner = Scope {
                event: Some(event),
                filter: Some(&filter.event),
                ..scope
            };
            let c = self.condition(cond, inner);
            self.constant_condition(cond, "where");
            c
        });
        let typed = typed::Filter {
            event: event_sel(&filter.event),
            condition,
            within: filter.within,
        };
        (event, typed)
    }

    fn aggregate(
        &mut self,
        function: Aggregate,
        function_span: Span,
        field: Option<&Ident>,
        filter: &EventFilter,
        span: Span,
        scope: Scope,
    ) -> typed::Expr {
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
                        .error(codes::E0308, function_span.to(filter.span), format!("`{fname}` of one value needs at least 2 values"))
                        .with_label("1 value")
                        .with_help(format!("compare several values, `{fname}({}, 0)`, or take the {} property of events, `{fname}({example})`", id.name, if function == Aggregate::Min { "smallest" } else { "largest" })),
                    _ => self
                        .error(codes::E0310, filter.span, format!("`{fname}` works on a property of events, not on `{}`", id.name))
                        .with_label("not an event property")
                        .with_help(format!("name the event type and its property: `{fname}({example})`")),
                };
                self.push(d);
                return invalid(Type::Unknown, span);
            }
        }
        let (event, typed_filter) = self.filter(filter, scope);
        let event_word = self.file.slice(filter.event.span()).to_string();
        let ty = match function {
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
                            codes::E0310,
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
                            codes::E0310,
                            function_span,
                            format!("`{fname}` needs a property of the events"),
                        )
                        .with_label("no property")
                        .with_help(format!("name the property: `{fname}({event_word}.amount)`"));
                    self.push(d);
                    return invalid(Type::Unknown, span);
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
                            codes::E0310,
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
                    return invalid(Type::Unknown, span);
                }
                match function {
                    Aggregate::Min | Aggregate::Max if ty == Type::Date => Type::Date,
                    _ => Type::Number,
                }
            }
        };
        typed(
            typed::ExprKind::Aggregate {
                function,
                property: field.map(|f| f.name.clone()),
                filter: Box::new(typed_filter),
            },
            ty,
            span,
        )
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr, span: Span, scope: Scope) -> typed::Expr {
        let t = self.value(operand, scope);
        let ty = t.ty;
        match op {
            UnaryOp::Not => {
                self.expect_bool(operand, ty);
                typed(typed::ExprKind::Not(Box::new(t)), Type::Bool, span)
            }
            UnaryOp::Neg => match ty {
                Type::Number | Type::Duration | Type::Unknown | Type::Missing => {
                    typed(typed::ExprKind::Neg(Box::new(t)), ty, span)
                }
                other => {
                    let q = self.quote(operand.span);
                    let d = self
                        .error(
                            codes::E0301,
                            span,
                            format!("cannot negate {q}, which is {}", other.describe()),
                        )
                        .with_label("`-` needs a number")
                        .with_help("only numbers and durations have a sign");
                    self.push(d);
                    invalid(Type::Unknown, span)
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
        span: Span,
        scope: Scope,
    ) -> typed::Expr {
        let (l, r, ty) = match op {
            BinaryOp::Coalesce => {
                let l = self.expr(lhs, scope);
                let r = self.expr(rhs, scope);
                let ty = self.join(l.ty, r.ty, lhs, rhs, op_span, "`??`");
                (l, r, ty)
            }
            BinaryOp::And | BinaryOp::Or => {
                let l = self.value(lhs, scope);
                self.expect_bool(lhs, l.ty);
                let r = self.value(rhs, scope);
                self.expect_bool(rhs, r.ty);
                (l, r, Type::Bool)
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let lt = self.value(lhs, scope);
                let rt = self.value(rhs, scope);
                let (l, r) = (lt.ty, rt.ty);
                if !l.fits(r) && !Self::same_list(l, r) {
                    self.mismatch(op, op_span, lhs, l, rhs, r);
                } else {
                    self.segment_label(lhs, rhs);
                    self.segment_label(rhs, lhs);
                }
                (lt, rt, Type::Bool)
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let lt = self.value(lhs, scope);
                let rt = self.value(rhs, scope);
                let (l, r) = (lt.ty, rt.ty);
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
                            codes::E0315,
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
                (lt, rt, Type::Bool)
            }
            BinaryOp::Matches => {
                let l = self.value(lhs, scope);
                self.text_operand(op, lhs, l.ty);
                let pattern = unparen(rhs);
                match &pattern.kind {
                    ExprKind::String(p) => {
                        let compiled = self
                            .patterns
                            .entry(p.clone())
                            .or_insert_with(|| regex::Regex::new(p).map_err(|e| regex_reason(&e)))
                            .clone();
                        match compiled {
                            Ok(pattern) => {
                                return typed(
                                    typed::ExprKind::Matches {
                                        value: Box::new(l),
                                        pattern,
                                    },
                                    Type::Bool,
                                    span,
                                )
                            }
                            Err(reason) => {
                                let d = self
                                .error(
                                    codes::E0306,
                                    rhs.span,
                                    format!("invalid pattern `{p}`: {reason}"),
                                )
                                .with_label("not a valid regular expression")
                                .with_help("patterns use Rust regex syntax; escape special characters such as `(` or `.` with `\\\\`");
                                self.push(d);
                            }
                        }
                    }
                    _ => {
                        let before = self.error_count();
                        let r = self.value(rhs, scope);
                        // Any pattern but a text in quotes is refused; one whose own mistakes
                        // were reported (of unknown type then) is not reported again.
                        if r.ty.is_known()
                            || matches!(pattern.kind, ExprKind::Name(_) | ExprKind::ContactField(_))
                            || self.error_count() == before
                        {
                            let d = self
                                .error(
                                    codes::E0306,
                                    rhs.span,
                                    "the pattern after `matches` must be a text in quotes",
                                )
                                .with_label("not a fixed pattern")
                                .with_help("write the pattern itself: `x matches \"(ceo|cmo)\"`; to compare with another value, use `==` or `contains`");
                            self.push(d);
                        }
                    }
                }
                return invalid(Type::Bool, span);
            }
            BinaryOp::StartsWith | BinaryOp::EndsWith => {
                let l = self.value(lhs, scope);
                self.text_operand(op, lhs, l.ty);
                let r = self.value(rhs, scope);
                self.text_operand(op, rhs, r.ty);
                (l, r, Type::Bool)
            }
            BinaryOp::Contains => {
                let lt = self.value(lhs, scope);
                let rt = self.value(rhs, scope);
                let (l, r) = (lt.ty, rt.ty);
                match l {
                    Type::List(elem) => {
                        let want = elem.map(Scalar::ty).unwrap_or(Type::Unknown);
                        if !r.fits(want) {
                            let q = self.quote(rhs.span);
                            let d = self
                                .error(
                                    codes::E0305,
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
                                    codes::E0305,
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
                (lt, rt, Type::Bool)
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                let l = self.value(lhs, scope);
                let r = self.value(rhs, scope);
                let ty = self.arithmetic(op, op_span, lhs, l.ty, rhs, r.ty);
                (l, r, ty)
            }
        };
        typed(
            typed::ExprKind::Binary {
                op,
                lhs: Box::new(l),
                rhs: Box::new(r),
            },
            ty,
            span,
        )
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
                codes::E0301,
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
                codes::E0302,
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
                            if builtins::get(&function.name)
                                .is_some_and(|b| b.result == Returns::Days) =>
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
                        codes::E0314,
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
                    codes::E0305,
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

    fn in_list(
        &mut self,
        value: &Expr,
        list: &Expr,
        negated: bool,
        span: Span,
        scope: Scope,
    ) -> typed::Expr {
        let value_typed = self.value(value, scope);
        let v = value_typed.ty;
        // A list written right after `in` may hold any values; any other is a list value.
        let (l, list_typed) = match &list.kind {
            ExprKind::List(items) => {
                let (ty, items) = self.list_items(items, scope);
                (ty, InList::Items(items))
            }
            _ => {
                let t = self.value(list, scope);
                (t.ty, InList::Value(Box::new(t)))
            }
        };
        let word = if negated { "not in" } else { "in" };
        match l {
            Type::List(elem) => {
                let want = elem.map(Scalar::ty).unwrap_or(Type::Unknown);
                if !v.fits(want) {
                    let q = self.quote(value.span);
                    let d = self
                        .error(
                            codes::E0304,
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
                        codes::E0304,
                        list.span,
                        format!("`{word}` needs a list, but {q} is {}", t.describe()),
                    )
                    .with_label("not a list")
                    .with_help(help);
                self.push(d);
            }
            _ => {}
        }
        typed(
            typed::ExprKind::In {
                value: Box::new(value_typed),
                list: list_typed,
                negated,
            },
            Type::Bool,
            span,
        )
    }

    fn between(
        &mut self,
        value: &Expr,
        low: &Expr,
        high: &Expr,
        span: Span,
        scope: Scope,
    ) -> typed::Expr {
        let typed_value = self.value(value, scope);
        let typed_low = self.value(low, scope);
        let typed_high = self.value(high, scope);
        let (v, lo, hi) = (typed_value.ty, typed_low.ty, typed_high.ty);
        let node = typed(
            typed::ExprKind::Between {
                value: Box::new(typed_value),
                low: Box::new(typed_low),
                high: Box::new(typed_high),
            },
            Type::Bool,
            span,
        );
        let ordered =
            |t: Type| matches!(t, Type::Number | Type::Date | Type::Duration) || !t.is_known();
        for (e, t) in [(value, v), (low, lo), (high, hi)] {
            if !ordered(t) {
                let q = self.quote(e.span);
                let d = self
                    .error(
                        codes::E0313,
                        e.span,
                        format!(
                            "`between` needs numbers, dates or durations, but {q} is {}",
                            t.describe()
                        ),
                    )
                    .with_label(t.describe())
                    .with_help("write `x between 10 and 20`");
                self.push(d);
                return node;
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
                        codes::E0313,
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
        node
    }

    /// `within`, `decay` durations must be positive.
    pub(super) fn positive_duration(&mut self, d: &scoreline_syntax::ast::DurationLit, word: &str) {
        if d.amount <= 0.0 || d.amount.is_nan() {
            let text = self.file.slice(d.span).to_string();
            let diag = self
                .error(
                    codes::E0211,
                    d.span,
                    format!("the duration after `{word}` must be more than zero, not `{text}`"),
                )
                .with_label("not positive")
                .with_help("write a positive duration such as `30d` or `12h`");
            self.push(diag);
        }
    }

    /// `per 0d`: a period in which no event could count.
    pub(super) fn positive_period(&mut self, d: &scoreline_syntax::ast::DurationLit) {
        if d.amount <= 0.0 || d.amount.is_nan() {
            let text = self.file.slice(d.span).to_string();
            let diag = self
                .error(
                    codes::E0212,
                    d.span,
                    format!("the period after `per` must be more than zero, not `{text}`"),
                )
                .with_label("not positive")
                .with_help("write the length of the period in which one event counts, such as `per 1d` for once a day");
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
                    codes::W0108,
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
            let who = if self.item_account {
                "account"
            } else {
                "contact"
            };
            format!("it is the same for every {who}; compare a field, a score or an aggregate instead, or remove the `when`")
        } else if word == "contacts where" {
            "it is the same for every contact of the account; compare a contact field or item instead, or remove the `where`".to_string()
        } else {
            format!("it is the same for every event; compare a property instead, or remove the `{word}`")
        };
        let d = self
            .warning(
                codes::W0105,
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
    let mut constant = true;
    e.walk(|e| {
        if matches!(
            e.kind,
            ExprKind::Name(_)
                | ExprKind::ContactField(_)
                | ExprKind::Field { .. }
                | ExprKind::Call { .. }
                | ExprKind::PluginCall { .. }
                | ExprKind::Aggregate { .. }
                | ExprKind::AccountField(_)
                | ExprKind::ContactsAggregate { .. }
        ) {
            constant = false;
        }
    });
    constant
}

/// The events a filter names, as the typed tree says it.
pub(super) fn event_sel(event: &EventRef) -> EventSel {
    match event {
        EventRef::Any { .. } => EventSel::Any,
        EventRef::Named(id) => EventSel::Named(id.name.clone()),
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
