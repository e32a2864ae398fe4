//! Population functions rank a contact among all contacts: their argument may not depend on
//! another ranking, directly or through names.

use std::collections::{HashMap, VecDeque};

use scoreline_syntax::ast::{Clause, Expr, ExprKind, Item, RuleFile, ScoreBody};

use super::Checker;
use crate::resolve::{collect_names, item_name, ItemKind};

/// The population functions, with what they compute.
pub(super) const POPULATION: &[(&str, &str)] = &[
    ("ntile", "bucket of n"),
    ("quintile", "bucket of 5"),
    ("decile", "bucket of 10"),
    ("percent_rank", "rank"),
];

/// Calls `f` on every expression inside `e`, `e` included, event filters too.
pub(super) fn walk<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        f(e);
        match &e.kind {
            ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Duration(_)
            | ExprKind::Missing
            | ExprKind::Name(_)
            | ExprKind::ContactField(_) => {}
            ExprKind::List(items) => stack.extend(items),
            ExprKind::Field { base, .. } => stack.push(base),
            ExprKind::Call { args, .. } | ExprKind::PluginCall { args, .. } => stack.extend(args),
            ExprKind::Aggregate { filter, .. } => stack.extend(filter.condition.as_ref()),
            ExprKind::Unary { operand, .. } => stack.push(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            ExprKind::In { value, list, .. } => {
                stack.push(value);
                stack.push(list);
            }
            ExprKind::Between { value, low, high } => {
                stack.push(value);
                stack.push(low);
                stack.push(high);
            }
            ExprKind::Is { value, .. } => stack.push(value),
            ExprKind::Paren(inner) => stack.push(inner),
        }
    }
}

/// Every expression written directly in an item (not in the items it refers to).
pub(super) fn item_exprs(item: &Item) -> Vec<&Expr> {
    let mut out = Vec::new();
    match item {
        Item::Let(l) => out.push(&l.value),
        Item::Score(s) => match &s.body {
            ScoreBody::Expr { value, .. } => out.push(value),
            ScoreBody::Block { clauses } => {
                for clause in clauses {
                    match clause {
                        Clause::Rule(r) => {
                            out.extend(r.condition.as_ref());
                            out.push(&r.points.expr);
                        }
                        Clause::Each(e) => {
                            out.extend(e.filter.condition.as_ref());
                            out.push(&e.points.expr);
                        }
                        Clause::Clamp(_) => {}
                    }
                }
            }
        },
        Item::Segment(s) => out.extend(s.arms.iter().filter_map(|a| a.condition.as_ref())),
        Item::Schema(_) | Item::Plugin(_) => {}
    }
    out
}

/// For each item, the first population function it calls itself, if any.
pub(super) fn direct_ranks(ast: &RuleFile) -> Vec<Option<&'static str>> {
    ast.items
        .iter()
        .map(|item| {
            let mut found = None;
            for e in item_exprs(item) {
                walk(e, &mut |e| {
                    if let ExprKind::Call { function, .. } = &e.kind {
                        if found.is_none() {
                            found = POPULATION
                                .iter()
                                .find(|(n, _)| *n == function.name)
                                .map(|(n, _)| *n);
                        }
                    }
                });
            }
            found
        })
        .collect()
}

impl Checker<'_> {
    /// Reports the argument of population function `name` when it depends, through the
    /// items it names, on an item that calls a population function.
    pub(super) fn population_dependencies(&mut self, name: &'static str, arg: &Expr) {
        let mut names = Vec::new();
        collect_names(arg, &mut names);
        for id in names {
            let Some(start) = self.symbols.get(&id.name) else {
                continue;
            };
            if start.kind == ItemKind::Plugin {
                continue;
            }
            // Breadth-first, so the path shown is a shortest one.
            let mut parent: HashMap<usize, usize> = HashMap::new();
            let mut queue = VecDeque::from([start.index]);
            parent.insert(start.index, start.index);
            let mut found = None;
            while let Some(i) = queue.pop_front() {
                if let Some(rank) = self.ranks.get(i).copied().flatten() {
                    found = Some((i, rank));
                    break;
                }
                for &d in self
                    .symbols
                    .depends_on
                    .get(&i)
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    if let std::collections::hash_map::Entry::Vacant(v) = parent.entry(d) {
                        v.insert(i);
                        queue.push_back(d);
                    }
                }
            }
            let Some((end, rank)) = found else {
                continue;
            };
            let mut path = vec![end];
            let mut at = end;
            while at != start.index {
                at = parent[&at];
                path.push(at);
            }
            path.reverse();
            let names: Vec<String> = path
                .iter()
                .filter_map(|&i| item_name(&self.ast.items[i]).map(|n| format!("`{}`", n.name)))
                .collect();
            let d = self
                .error(
                    "E0501",
                    id.span,
                    format!(
                        "the argument of `{name}` depends on another population function: {}, which uses `{rank}`",
                        names.join(" → ")
                    ),
                )
                .with_label("depends on a ranking")
                .with_help(format!(
                    "rank a value that is computed without rankings, or combine the rankings outside: e.g. `{name}(x) + {rank}(y)`"
                ));
            self.push(d);
            return;
        }
    }
}
