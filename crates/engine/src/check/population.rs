//! Population functions rank a contact among all contacts: their argument may not depend on
//! another ranking, directly or through names.

use scoreline_syntax::codes;
use std::collections::{HashMap, VecDeque};

use scoreline_syntax::ast::{Clause, Expr, ExprKind, Item, RuleFile, ScoreBody};

use super::Checker;
use crate::builtins;
use crate::resolve::{collect_names, item_name, ItemKind};

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
        Item::Segment(s) => {
            for arm in &s.arms {
                out.extend(arm.condition.as_ref());
                out.extend(arm.keep.as_ref().map(|k| &k.condition));
            }
        }
        Item::Schema(_) | Item::Plugin(_) => {}
    }
    out
}

/// For each item, the first population function it calls itself (in source order), if any.
pub(super) fn direct_ranks(ast: &RuleFile) -> Vec<Option<&'static str>> {
    ast.items
        .iter()
        .map(|item| {
            let mut found = None;
            for e in item_exprs(item) {
                e.walk(|e| {
                    if let ExprKind::Call { function, .. } = &e.kind {
                        if found.is_none() {
                            found = builtins::get(&function.name)
                                .filter(|b| b.is_population())
                                .map(|b| b.name);
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
                    codes::E0501,
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
