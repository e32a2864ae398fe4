//! Names of a rule file's items (lets, scores, segments, plugins), the references between
//! them, and the order in which they can be evaluated.
//!
//! Items may refer to each other in any order; a cycle of references is an error that names
//! the cycle. Both the checker and the plan compiler start from the [`Symbols`] built here.

use scoreline_syntax::codes;
use std::collections::HashMap;
use std::sync::Arc;

use scoreline_syntax::ast::{
    Clause, EventRef, Expr, ExprKind, Ident, Item, RuleFile, SchemaBlockKind, ScoreBody,
};
use scoreline_syntax::{Diagnostic, SourceFile};

/// What kind of item a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Let,
    Score,
    Segment,
    Plugin,
}

impl ItemKind {
    /// The word an author uses for this kind of item.
    pub fn word(self) -> &'static str {
        match self {
            ItemKind::Let => "let",
            ItemKind::Score => "score",
            ItemKind::Segment => "segment",
            ItemKind::Plugin => "plugin",
        }
    }
}

/// A named item: its kind and its index in `RuleFile::items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRef {
    pub kind: ItemKind,
    pub index: usize,
}

/// The item names of a rule file and an evaluation order.
#[derive(Debug, Clone, Default)]
pub struct Symbols {
    /// Every named item (the first declaration wins when a name is declared twice).
    pub items: HashMap<String, ItemRef>,
    /// For each item index (lets, scores, segments only), the item indices it refers to
    /// directly, in the order the references appear.
    pub depends_on: HashMap<usize, Vec<usize>>,
    /// Indices of every let, score and segment such that each comes after everything it
    /// refers to. Items caught in a cycle are left out.
    pub order: Vec<usize>,
    /// The indices of the account items (`account let`, `account score`, `account segment`).
    pub account_items: std::collections::HashSet<usize>,
}

impl Symbols {
    /// The item a name refers to, if any.
    pub fn get(&self, name: &str) -> Option<ItemRef> {
        self.items.get(name).copied()
    }

    /// Whether item `index` is an account item.
    pub fn is_account(&self, index: usize) -> bool {
        self.account_items.contains(&index)
    }
}

/// The name an item declares, if it declares one.
pub fn item_name(item: &Item) -> Option<&Ident> {
    match item {
        Item::Schema(_) => None,
        Item::Plugin(p) => Some(&p.name),
        Item::Let(l) => Some(&l.name),
        Item::Score(s) => Some(&s.name),
        Item::Segment(s) => Some(&s.name),
    }
}

/// The word `account` in front of an account item.
pub fn item_account(item: &Item) -> Option<scoreline_syntax::ast::Span> {
    match item {
        Item::Let(l) => l.account,
        Item::Score(s) => s.account,
        Item::Segment(s) => s.account,
        Item::Schema(_) | Item::Plugin(_) => None,
    }
}

/// Builds the symbol table and evaluation order; reports duplicate names and cycles.
pub fn resolve(file: &Arc<SourceFile>, ast: &RuleFile) -> (Symbols, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut symbols = Symbols::default();
    for (index, item) in ast.items.iter().enumerate() {
        let kind = match item {
            Item::Schema(_) => continue,
            Item::Plugin(_) => ItemKind::Plugin,
            Item::Let(_) => ItemKind::Let,
            Item::Score(_) => ItemKind::Score,
            Item::Segment(_) => ItemKind::Segment,
        };
        if item_account(item).is_some() {
            symbols.account_items.insert(index);
        }
        let name = item_name(item).expect("named item");
        if let Some(first) = symbols.items.get(&name.name) {
            let first_ident = item_name(&ast.items[first.index]).expect("named item");
            let at = file.line_col(first_ident.span.start as usize);
            diagnostics.push(
                Diagnostic::error(
                    file,
                    codes::E0201,
                    name.span,
                    format!("`{}` is already defined", name.name),
                )
                .with_label("defined again here")
                .with_help(format!(
                    "the first `{}` is the {} on line {}; give this one another name",
                    name.name,
                    first.kind.word(),
                    at.line
                )),
            );
            continue;
        }
        symbols
            .items
            .insert(name.name.clone(), ItemRef { kind, index });
    }

    let properties = EventProperties::of(ast);
    for (index, item) in ast.items.iter().enumerate() {
        let mut names = Vec::new();
        match item {
            Item::Let(l) => collect_refs(&l.value, None, &properties, &mut names),
            Item::Score(s) => match &s.body {
                ScoreBody::Expr { value, .. } => collect_refs(value, None, &properties, &mut names),
                ScoreBody::Block { clauses } => {
                    for clause in clauses {
                        match clause {
                            Clause::Rule(r) => {
                                if let Some(c) = &r.condition {
                                    collect_refs(c, None, &properties, &mut names);
                                }
                                collect_refs(&r.points.expr, None, &properties, &mut names);
                            }
                            Clause::Each(e) => {
                                let scope = Some(&e.filter.event);
                                if let Some(c) = &e.filter.condition {
                                    collect_refs(c, scope, &properties, &mut names);
                                }
                                collect_refs(&e.points.expr, scope, &properties, &mut names);
                            }
                            Clause::Clamp(_) => {}
                        }
                    }
                }
            },
            Item::Segment(s) => {
                for arm in &s.arms {
                    if let Some(c) = &arm.condition {
                        collect_refs(c, None, &properties, &mut names);
                    }
                    if let Some(k) = &arm.keep {
                        collect_refs(&k.condition, None, &properties, &mut names);
                    }
                }
            }
            Item::Schema(_) | Item::Plugin(_) => continue,
        }
        names.sort_by_key(|id| id.span.start);
        // Only the first declaration of a name is an item others can refer to.
        if item_name(item)
            .and_then(|n| symbols.get(&n.name))
            .map(|r| r.index)
            != Some(index)
        {
            continue;
        }
        let mut deps = Vec::new();
        for name in names {
            if let Some(target) = symbols.get(&name.name) {
                if target.kind != ItemKind::Plugin && !deps.contains(&target.index) {
                    deps.push(target.index);
                }
            }
        }
        symbols.depends_on.insert(index, deps);
    }

    order_items(file, ast, &mut symbols, &mut diagnostics);
    (symbols, diagnostics)
}

/// Depth-first topological sort; a back edge is a cycle, reported once at its first item.
fn order_items(
    file: &Arc<SourceFile>,
    ast: &RuleFile,
    symbols: &mut Symbols,
    diagnostics: &mut Vec<Diagnostic>,
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
        InCycle,
    }
    let mut marks = vec![Mark::New; ast.items.len()];
    let mut roots: Vec<usize> = symbols.depends_on.keys().copied().collect();
    roots.sort_unstable();
    let mut order = Vec::new();
    for root in roots {
        if marks[root] != Mark::New {
            continue;
        }
        // Explicit stack of (item, next dependency to visit) so deep chains cannot overflow.
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        marks[root] = Mark::Active;
        while let Some(&mut (item, ref mut next)) = stack.last_mut() {
            let deps = &symbols.depends_on[&item];
            if *next < deps.len() {
                let dep = deps[*next];
                *next += 1;
                match marks[dep] {
                    Mark::New => {
                        marks[dep] = Mark::Active;
                        stack.push((dep, 0));
                    }
                    Mark::Active => {
                        let start = stack.iter().position(|&(i, _)| i == dep).unwrap_or(0);
                        let cycle: Vec<usize> = stack[start..].iter().map(|&(i, _)| i).collect();
                        for &i in &cycle {
                            marks[i] = Mark::InCycle;
                        }
                        report_cycle(file, ast, &cycle, diagnostics);
                    }
                    Mark::Done | Mark::InCycle => {}
                }
            } else {
                stack.pop();
                if marks[item] == Mark::Active {
                    marks[item] = Mark::Done;
                    let deps_ok = symbols.depends_on[&item]
                        .iter()
                        .all(|&d| marks[d] == Mark::Done);
                    if deps_ok {
                        order.push(item);
                    } else {
                        marks[item] = Mark::InCycle;
                    }
                }
            }
        }
    }
    symbols.order = order;
}

fn report_cycle(
    file: &Arc<SourceFile>,
    ast: &RuleFile,
    cycle: &[usize],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let names: Vec<&str> = cycle
        .iter()
        .filter_map(|&i| item_name(&ast.items[i]).map(|n| n.name.as_str()))
        .collect();
    let mut path = names.join(" → ");
    if let Some(first) = names.first() {
        path.push_str(" → ");
        path.push_str(first);
    }
    let ident = item_name(&ast.items[cycle[0]]).expect("named item");
    diagnostics.push(
        Diagnostic::error(
            file,
            codes::E0202,
            ident.span,
            format!("`{}` refers to itself through a cycle: {path}", ident.name),
        )
        .with_label("this item is part of the cycle")
        .with_help("each of these needs the others to be computed first; break the cycle by removing one of the references"),
    );
}

/// The properties each event type declares in the file's schema block, if it has one.
struct EventProperties<'a> {
    declared: bool,
    by_event: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> EventProperties<'a> {
    fn of(ast: &'a RuleFile) -> EventProperties<'a> {
        let mut out = EventProperties {
            declared: false,
            by_event: HashMap::new(),
        };
        for item in &ast.items {
            if let Item::Schema(schema) = item {
                out.declared = true;
                for block in &schema.blocks {
                    if let SchemaBlockKind::Event { name } = &block.kind {
                        out.by_event
                            .entry(name.name.as_str())
                            .or_default()
                            .extend(block.fields.iter().map(|f| f.name.name.as_str()));
                    }
                }
            }
        }
        out
    }

    /// Whether a bare name inside a filter on `event` means the event's own data (`at`,
    /// `type` or a declared property) rather than an item. Without a schema block the
    /// properties are unknown, so the name is kept as a possible reference.
    fn is_event_data(&self, event: &EventRef, name: &str) -> bool {
        if name == "at" || name == "type" {
            return true;
        }
        if !self.declared {
            return false;
        }
        match event {
            EventRef::Any { .. } => self.by_event.values().any(|p| p.contains(&name)),
            EventRef::Named(id) => self
                .by_event
                .get(id.name.as_str())
                .is_some_and(|p| p.contains(&name)),
        }
    }
}

/// The bare names of an expression that may refer to items: like [`collect_names`], but
/// inside an event filter (`scope`) a name that is the event's own data is left out.
fn collect_refs<'a>(
    expr: &'a Expr,
    scope: Option<&'a EventRef>,
    properties: &EventProperties,
    out: &mut Vec<&'a Ident>,
) {
    let mut stack: Vec<(&Expr, Option<&EventRef>)> = vec![(expr, scope)];
    while let Some((e, scope)) = stack.pop() {
        match &e.kind {
            ExprKind::Name(id) => {
                if !scope.is_some_and(|ev| properties.is_event_data(ev, &id.name)) {
                    out.push(id);
                }
            }
            // `account.NAME` and `contacts.NAME` name items of the other level; inside `contacts
            // where …` bare names are the contact's, and `contact.NAME` in an account item's
            // event filter is the event's contact's value: all of them may be items.
            ExprKind::AccountField(id) | ExprKind::ContactField(id) => out.push(id),
            ExprKind::ContactsAggregate {
                field, condition, ..
            } => {
                if let Some(f) = field {
                    out.push(f);
                }
                if let Some(c) = condition {
                    stack.push((c, None));
                }
            }
            // An aggregate's condition is about its own events.
            ExprKind::Aggregate { filter, .. } => {
                if let Some(c) = &filter.condition {
                    stack.push((c, Some(&filter.event)));
                }
            }
            _ => e.for_each_child(|c| stack.push((c, scope))),
        }
    }
}

/// Every bare name used in an expression (including inside event filters), in source order.
pub fn collect_names<'a>(expr: &'a Expr, out: &mut Vec<&'a Ident>) {
    expr.walk(|e| {
        if let ExprKind::Name(id) = &e.kind {
            out.push(id);
        }
    });
}
