//! What a rule file names and where: the definitions (items, schema fields, event types and
//! their properties) and every reference to them, built from the parsed tree (the items that
//! parse, when others do not), for hover, navigation, rename, completion and symbols.

use std::collections::HashMap;

use scoreline_syntax::ast::{
    Clause, EachClause, EventRef, Expr, ExprKind, FieldDecl, Item, RuleFile, SchemaBlockKind,
    ScoreBody, Span,
};

/// What a name stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A let, score, segment or plugin, by name.
    Item(String),
    /// A contact field.
    Field(String),
    /// An event type.
    Event(String),
    /// A property of an event type (`None`: of `any` event, or of an unknown one).
    Property(Option<String>, String),
    /// `PLUGIN.FUNCTION`.
    PluginFunction(String, String),
    /// A built-in or aggregate function.
    Builtin(String),
}

/// The kinds of item an author declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Let,
    Score,
    Segment,
    Plugin,
}

/// A declared item.
#[derive(Debug, Clone)]
pub struct ItemDef {
    pub kind: ItemKind,
    pub name: String,
    /// The name's span.
    pub name_span: Span,
    /// The whole item's span.
    pub span: Span,
    /// Its index in the tree's items.
    pub index: usize,
}

/// A field of the contact block or an event block.
#[derive(Debug, Clone)]
pub struct FieldDef {
    pub decl: FieldDecl,
}

/// An event block.
#[derive(Debug, Clone)]
pub struct EventDef {
    pub name: String,
    pub name_span: Span,
    pub span: Span,
    pub properties: Vec<FieldDecl>,
}

/// A name written in the file and what it refers to.
#[derive(Debug, Clone)]
pub struct Reference {
    pub span: Span,
    pub target: Target,
}

/// Everything named in one rule file.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub items: Vec<ItemDef>,
    pub fields: Vec<FieldDecl>,
    pub events: Vec<EventDef>,
    /// Whether the file has a schema block (without one, field types come from the data).
    pub has_schema: bool,
    pub references: Vec<Reference>,
    by_name: HashMap<String, usize>,
}

impl Index {
    /// The index of `file`.
    pub fn new(file: &RuleFile) -> Index {
        let mut index = Index::default();
        for (i, item) in file.items.iter().enumerate() {
            let (kind, name) = match item {
                Item::Let(l) => (ItemKind::Let, &l.name),
                Item::Score(s) => (ItemKind::Score, &s.name),
                Item::Segment(s) => (ItemKind::Segment, &s.name),
                Item::Plugin(p) => (ItemKind::Plugin, &p.name),
                Item::Schema(schema) => {
                    index.has_schema = true;
                    for block in &schema.blocks {
                        match &block.kind {
                            // Account fields are named like fields too (`account.NAME`).
                            SchemaBlockKind::Contact { .. } | SchemaBlockKind::Account { .. } => {
                                index.fields.extend(block.fields.iter().cloned())
                            }
                            SchemaBlockKind::Event { name } => index.events.push(EventDef {
                                name: name.name.clone(),
                                name_span: name.span,
                                span: block.span,
                                properties: block.fields.clone(),
                            }),
                        }
                    }
                    continue;
                }
            };
            index
                .by_name
                .entry(name.name.clone())
                .or_insert(index.items.len());
            index.items.push(ItemDef {
                kind,
                name: name.name.clone(),
                name_span: name.span,
                span: item.span(),
                index: i,
            });
        }
        for item in &file.items {
            index.references_in(item);
        }
        index
    }

    /// The item named `name`.
    pub fn item(&self, name: &str) -> Option<&ItemDef> {
        self.by_name.get(name).map(|&i| &self.items[i])
    }

    /// The contact field named `name`.
    pub fn field(&self, name: &str) -> Option<&FieldDecl> {
        self.fields.iter().find(|f| f.name.name == name)
    }

    /// The event block named `name`.
    pub fn event(&self, name: &str) -> Option<&EventDef> {
        self.events.iter().find(|e| e.name == name)
    }

    /// The reference whose span holds `offset` (the innermost when several do).
    pub fn reference_at(&self, offset: usize) -> Option<&Reference> {
        self.references
            .iter()
            .filter(|r| contains(r.span, offset))
            .min_by_key(|r| r.span.end - r.span.start)
    }

    /// What the name at `offset` is, whether a use or its definition.
    pub fn target_at(&self, offset: usize) -> Option<(Target, Span)> {
        if let Some(r) = self.reference_at(offset) {
            return Some((r.target.clone(), r.span));
        }
        if let Some(item) = self.items.iter().find(|d| contains(d.name_span, offset)) {
            return Some((Target::Item(item.name.clone()), item.name_span));
        }
        if let Some(field) = self.fields.iter().find(|f| contains(f.name.span, offset)) {
            return Some((Target::Field(field.name.name.clone()), field.name.span));
        }
        for event in &self.events {
            if contains(event.name_span, offset) {
                return Some((Target::Event(event.name.clone()), event.name_span));
            }
            if let Some(p) = event
                .properties
                .iter()
                .find(|p| contains(p.name.span, offset))
            {
                return Some((
                    Target::Property(Some(event.name.clone()), p.name.name.clone()),
                    p.name.span,
                ));
            }
        }
        None
    }

    /// Where `target` is defined in this file, if it is.
    pub fn definition(&self, target: &Target) -> Option<Span> {
        match target {
            Target::Item(name) => self.item(name).map(|d| d.name_span),
            Target::Field(name) => self.field(name).map(|f| f.name.span),
            Target::Event(name) => self.event(name).map(|e| e.name_span),
            Target::Property(Some(event), name) => self
                .event(event)
                .and_then(|e| e.properties.iter().find(|p| &p.name.name == name))
                .map(|p| p.name.span),
            Target::Property(None, _) | Target::PluginFunction(..) | Target::Builtin(_) => None,
        }
    }

    /// Every use of `target`, in file order.
    pub fn uses(&self, target: &Target) -> Vec<Span> {
        let mut spans: Vec<Span> = self
            .references
            .iter()
            .filter(|r| same_target(&r.target, target))
            .map(|r| r.span)
            .collect();
        spans.sort_by_key(|s| (s.start, s.end));
        spans.dedup();
        spans
    }

    fn references_in(&mut self, item: &Item) {
        match item {
            Item::Let(l) => self.expr(&l.value, None),
            Item::Score(s) => match &s.body {
                ScoreBody::Block { clauses } => {
                    for clause in clauses {
                        match clause {
                            Clause::Rule(rule) => {
                                if let Some(condition) = &rule.condition {
                                    self.expr(condition, None);
                                }
                                self.expr(&rule.points.expr, None);
                            }
                            Clause::Each(each) => self.each(each),
                            Clause::Clamp(_) => {}
                        }
                    }
                }
                ScoreBody::Expr { value, .. } => self.expr(value, None),
            },
            Item::Segment(segment) => {
                for arm in &segment.arms {
                    if let Some(condition) = &arm.condition {
                        self.expr(condition, None);
                    }
                    if let Some(keep) = &arm.keep {
                        self.expr(&keep.condition, None);
                    }
                }
            }
            Item::Plugin(_) | Item::Schema(_) => {}
        }
    }

    fn each(&mut self, each: &EachClause) {
        let scope = self.event_ref(&each.filter.event);
        if let Some(condition) = &each.filter.condition {
            self.expr(condition, Some(scope));
        }
        self.expr(&each.points.expr, Some(scope_of(&each.filter.event)));
    }

    /// Records the event word of a filter; returns the scope of its `where`.
    fn event_ref(&mut self, event: &EventRef) -> Option<String> {
        match event {
            EventRef::Any { .. } => None,
            EventRef::Named(id) => {
                self.references.push(Reference {
                    span: id.span,
                    target: Target::Event(id.name.clone()),
                });
                Some(id.name.clone())
            }
        }
    }

    /// Records the names in `expr`. `scope` is `Some(event)` inside the `where` of a filter
    /// on that event (`Some(None)` for `any`), where bare names may be event properties.
    fn expr(&mut self, expr: &Expr, scope: Option<Option<String>>) {
        let mut stack = vec![(expr, scope)];
        while let Some((e, scope)) = stack.pop() {
            match &e.kind {
                ExprKind::Name(id) => {
                    let target = self.bare_name(&id.name, scope.as_ref());
                    self.references.push(Reference {
                        span: id.span,
                        target,
                    });
                }
                ExprKind::ContactField(id) => self.references.push(Reference {
                    span: id.span,
                    target: Target::Field(id.name.clone()),
                }),
                // `account.NAME` and `contacts.NAME` name a field or an item of the other level.
                ExprKind::AccountField(id)
                | ExprKind::ContactsAggregate {
                    field: Some(id), ..
                } => {
                    let target = self.bare_name(&id.name, None);
                    self.references.push(Reference {
                        span: id.span,
                        target,
                    });
                    if let ExprKind::ContactsAggregate {
                        condition: Some(c), ..
                    } = &e.kind
                    {
                        stack.push((c, None));
                    }
                }
                ExprKind::Call { function, .. } => self.references.push(Reference {
                    span: function.span,
                    target: Target::Builtin(function.name.clone()),
                }),
                ExprKind::PluginCall {
                    plugin, function, ..
                } => {
                    self.references.push(Reference {
                        span: plugin.span,
                        target: Target::Item(plugin.name.clone()),
                    });
                    self.references.push(Reference {
                        span: function.span,
                        target: Target::PluginFunction(plugin.name.clone(), function.name.clone()),
                    });
                }
                ExprKind::Aggregate {
                    function,
                    function_span,
                    field,
                    filter,
                } => {
                    self.references.push(Reference {
                        span: *function_span,
                        target: Target::Builtin(function.name().to_string()),
                    });
                    let inner = self.event_ref(&filter.event);
                    if let Some(field) = field {
                        self.references.push(Reference {
                            span: field.span,
                            target: Target::Property(inner.clone(), field.name.clone()),
                        });
                    }
                    if let Some(condition) = &filter.condition {
                        stack.push((condition, Some(inner)));
                    }
                    continue;
                }
                _ => {}
            }
            let first = stack.len();
            e.for_each_child(|child| stack.push((child, scope.clone())));
            stack[first..].reverse();
        }
    }

    fn bare_name(&self, name: &str, scope: Option<&Option<String>>) -> Target {
        if let Some(event) = scope {
            let is_property = match event {
                Some(event) => match self.event(event) {
                    Some(def) => def.properties.iter().any(|p| p.name.name == name),
                    // An event type the schema does not declare: its properties are unknown.
                    None => self.item(name).is_none() && self.field(name).is_none(),
                },
                None => {
                    self.events
                        .iter()
                        .any(|e| e.properties.iter().any(|p| p.name.name == name))
                        || (self.item(name).is_none() && self.field(name).is_none())
                }
            };
            if is_property || name == "at" || name == "type" {
                return Target::Property(event.clone(), name.to_string());
            }
        }
        if self.item(name).is_some() {
            Target::Item(name.to_string())
        } else {
            Target::Field(name.to_string())
        }
    }
}

fn scope_of(event: &EventRef) -> Option<String> {
    match event {
        EventRef::Any { .. } => None,
        EventRef::Named(id) => Some(id.name.clone()),
    }
}

/// Whether `span` holds `offset` (its end included, where a cursor after a name stands).
pub fn contains(span: Span, offset: usize) -> bool {
    (span.start as usize) <= offset && offset <= span.end as usize
}

/// Two targets are the same name; a property of an unknown event matches the property of
/// any event with that name.
fn same_target(a: &Target, b: &Target) -> bool {
    match (a, b) {
        (Target::Property(ea, a), Target::Property(eb, b)) => {
            a == b && (ea == eb || ea.is_none() || eb.is_none())
        }
        _ => a == b,
    }
}
