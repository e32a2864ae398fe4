//! Items: lets, scores with their clauses and options, segments.

use scoreline_syntax::codes;
use std::collections::HashSet;

use scoreline_syntax::ast::{
    Clamp, Clause, DecayKind, EachClause, EachOption, ExprKind, Item, Points, ScoreBody, ScoreDecl,
    Span,
};

use super::expr::format_number;
use super::types::Type;
use super::{Checker, Scope};
use crate::resolve::{item_name, ItemKind};
use crate::typed;

impl Checker<'_> {
    /// Checks every item: lets first in evaluation order, so that their types are known
    /// wherever they are used.
    pub(super) fn items(&mut self) {
        let mut done = vec![false; self.ast.items.len()];
        for &index in &self.symbols.order {
            self.item(index);
            done[index] = true;
        }
        for (index, done) in done.into_iter().enumerate() {
            if !done {
                self.item(index);
            }
        }
        self.unused_lets();
        self.hidden_fields();
        self.two_levels();
    }

    /// An account item may read contact items that do not themselves read account items
    /// (LANGUAGE.md §13; a cycle through both levels is reported as a cycle already). Items named
    /// like an account field are refused too.
    fn two_levels(&mut self) {
        for (index, item) in self.ast.items.iter().enumerate() {
            let Some(name) = item_name(item) else {
                continue;
            };
            let is_item = self
                .symbols
                .get(&name.name)
                .is_some_and(|r| r.index == index && r.kind != ItemKind::Plugin);
            if is_item && self.schema.account.contains_key(&name.name) && name.name != "id" {
                let d = self
                    .error(
                        codes::E0908,
                        name.span,
                        format!("`{}` is also an account field", name.name),
                    )
                    .with_label("same name as an account field")
                    .with_help("no item may take the name of a field of either level; rename it");
                self.push(d);
            }
        }
        let order: Vec<usize> = self.symbols.order.clone();
        for &account_item in order.iter().filter(|&&i| self.symbols.is_account(i)) {
            let deps = self
                .symbols
                .depends_on
                .get(&account_item)
                .cloned()
                .unwrap_or_default();
            for contact_item in deps.into_iter().filter(|&d| !self.symbols.is_account(d)) {
                // Every item the contact item needs, directly or through names.
                let mut seen = HashSet::new();
                let mut stack = vec![contact_item];
                let mut found = None;
                while let Some(i) = stack.pop() {
                    if !seen.insert(i) {
                        continue;
                    }
                    if self.symbols.is_account(i) {
                        found = Some(i);
                        break;
                    }
                    stack.extend(self.symbols.depends_on.get(&i).into_iter().flatten());
                }
                let Some(read) = found else { continue };
                let name = |i: usize| {
                    item_name(&self.ast.items[i]).map_or(String::new(), |n| n.name.clone())
                };
                let at =
                    item_name(&self.ast.items[account_item]).map_or(Span::default(), |n| n.span);
                let (a, c, b) = (name(account_item), name(contact_item), name(read));
                let d = self
                    .error(
                        codes::E0909,
                        at,
                        format!("`{a}` reads the contact item `{c}`, which reads the account item `{b}`"),
                    )
                    .with_label("goes through both levels twice")
                    .with_help(format!("the account items are computed from contact items that do not read the account; give `{a}` a contact value that does not depend on `account.{b}`"));
                self.push(d);
                break;
            }
        }
        self.ranking_across_levels();
    }

    /// A contacts' population function whose argument reads `account.` cannot feed an account
    /// item (E0910): the account items are computed before the contacts are ranked by their
    /// account's values, so a contact value they read cannot be ranked first.
    fn ranking_across_levels(&mut self) {
        let n = self.ast.items.len();
        let closure = |start: usize| {
            let mut seen = HashSet::new();
            let mut stack = vec![start];
            while let Some(i) = stack.pop() {
                if seen.insert(i) {
                    stack.extend(self.symbols.depends_on.get(&i).into_iter().flatten());
                }
            }
            seen
        };
        // The items that read an account value, directly or through names.
        let direct: Vec<bool> = (0..n)
            .map(|i| {
                self.symbols.is_account(i)
                    || super::population::item_exprs(&self.ast.items[i])
                        .iter()
                        .any(|e| {
                            let mut found = false;
                            e.walk(|x| found |= matches!(x.kind, ExprKind::AccountField(_)));
                            found
                        })
            })
            .collect();
        let reads_account = |i: usize| closure(i).iter().any(|&j| direct[j]);
        // A contacts' ranking whose argument reads an account value.
        let mut ranking: Option<Span> = None;
        for i in (0..n).filter(|&i| !self.symbols.is_account(i) && self.ranks[i].is_some()) {
            for e in super::population::item_exprs(&self.ast.items[i]) {
                e.walk(|x| {
                    let ExprKind::Call { function, args } = &x.kind else {
                        return;
                    };
                    if !crate::builtins::get(&function.name).is_some_and(|b| b.is_population()) {
                        return;
                    }
                    for arg in args {
                        arg.walk(|a| {
                            let reads = match &a.kind {
                                ExprKind::AccountField(_) => true,
                                ExprKind::Name(id) => self.symbols.get(&id.name).is_some_and(|r| {
                                    r.kind != ItemKind::Plugin && reads_account(r.index)
                                }),
                                _ => false,
                            };
                            if reads && ranking.is_none() {
                                ranking = Some(x.span);
                            }
                        });
                    }
                });
            }
        }
        let Some(span) = ranking else { return };
        // An account item reading a contact value that needs a contacts' ranking.
        let feeds = (0..n).filter(|&a| self.symbols.is_account(a)).any(|a| {
            self.symbols
                .depends_on
                .get(&a)
                .into_iter()
                .flatten()
                .filter(|&&d| !self.symbols.is_account(d))
                .any(|&d| closure(d).iter().any(|&j| self.ranks[j].is_some()))
        });
        if feeds {
            let d = self
                .error(
                    codes::E0910,
                    span,
                    "this ranking of contacts reads an account value, and an account item reads a ranked contact value",
                )
                .with_label("ranks by the account")
                .with_help("the account items are computed before the contacts are ranked by their account: rank the contacts by a value that does not read `account.`, or rank the accounts in an account item");
            self.push(d);
        }
    }

    fn item(&mut self, index: usize) {
        self.item_account = self.symbols.is_account(index);
        let top = self.top();
        let typed_item = match &self.ast.items[index] {
            Item::Schema(_) | Item::Plugin(_) => None,
            Item::Let(l) => {
                let value = self.expr(&l.value, top);
                self.item_types[index] = Some(value.ty);
                Some(typed::Item::Let(typed::Let { index, value }))
            }
            Item::Score(s) => Some(typed::Item::Score(self.score(index, s))),
            Item::Segment(s) => {
                let mut arms = Vec::with_capacity(s.arms.len());
                for arm in &s.arms {
                    let condition = arm.condition.as_ref().map(|c| {
                        let typed = self.condition(c, top);
                        self.constant_condition(c, "when");
                        typed
                    });
                    let keep = arm.keep.as_ref().map(|k| {
                        if arm.condition.is_none() {
                            let d = self
                                .error(
                                    codes::E0213,
                                    k.span,
                                    format!(
                                        "`keep when` on the arm `{}`, which has no `when`",
                                        arm.label.value
                                    ),
                                )
                                .with_label("nothing to keep")
                                .with_help("an arm without `when` matches everyone already: give it a `when` condition, or remove `keep when`");
                            self.push(d);
                        }
                        self.condition(&k.condition, top)
                    });
                    arms.push(typed::Arm {
                        label: arm.label.value.clone(),
                        condition,
                        keep,
                        action: arm.action.as_ref().map(|a| a.value.clone()),
                    });
                }
                let before = self.diags.len();
                self.segment_warnings(s);
                if self.item_account {
                    // §9's warnings read "accounts" for an account segment.
                    for d in &mut self.diags[before..] {
                        let words = |t: &str| {
                            t.replace("contacts", "accounts")
                                .replace("contact", "account")
                        };
                        d.message = words(&d.message);
                        d.label = words(&d.label);
                        d.help = d.help.as_deref().map(words);
                    }
                }
                Some(typed::Item::Segment(typed::Segment {
                    index,
                    name: s.name.name.clone(),
                    arms,
                }))
            }
        };
        self.typed_items[index] = typed_item;
    }

    fn score(&mut self, index: usize, s: &ScoreDecl) -> typed::Score {
        let top = self.top();
        let (body, clamp) = match &s.body {
            ScoreBody::Expr { value, clamp } => {
                let typed_value = self.value(value, top);
                let ty = typed_value.ty;
                if ty.is_known() && ty != Type::Number {
                    let q = self.quote(value.span);
                    let d = self
                        .error(
                            codes::E0309,
                            value.span,
                            format!("a score must be a number, but {q} is {}", ty.describe()),
                        )
                        .with_label(ty.describe())
                        .with_help("compute a number, such as `fit + engagement`; to label contacts, use a `segment`");
                    self.push(d);
                }
                if let Some(c) = clamp {
                    self.clamp(c);
                }
                (
                    typed::ScoreBody::Expr(typed_value),
                    clamp.as_ref().map(|c| (c.lo.value, c.hi.value)),
                )
            }
            ScoreBody::Block { clauses } => {
                let mut first_clamp: Option<Span> = None;
                let mut clamp = None;
                let mut typed_clauses = Vec::with_capacity(clauses.len());
                for clause in clauses {
                    match clause {
                        Clause::Rule(r) => {
                            let condition = r.condition.as_ref().map(|c| {
                                let typed = self.condition(c, top);
                                self.constant_condition(c, "when");
                                typed
                            });
                            let points = self.points(&r.points, top);
                            typed_clauses.push(typed::Clause {
                                label: r.label.as_ref().map(|l| l.value.clone()),
                                span: r.span,
                                kind: typed::ClauseKind::Rule { condition, points },
                            });
                        }
                        Clause::Each(e) => typed_clauses.push(self.each(e)),
                        Clause::Clamp(c) => {
                            if let Some(first) = first_clamp {
                                let line = self.line(first);
                                let d = self
                                    .error(codes::E0208, c.span, format!("the score `{}` has two clamps", s.name.name))
                                    .with_label("second clamp")
                                    .with_help(format!("a score has at most one clamp; keep the one on line {line} or this one"));
                                self.push(d);
                            } else {
                                first_clamp = Some(c.span);
                            }
                            self.clamp(c);
                            clamp = Some((c.lo.value, c.hi.value));
                        }
                    }
                }
                (typed::ScoreBody::Block(typed_clauses), clamp)
            }
        };
        typed::Score {
            index,
            name: s.name.name.clone(),
            label: s.label.as_ref().map(|l| l.value.clone()),
            body,
            clamp,
        }
    }

    fn points(&mut self, points: &Points, scope: Scope) -> typed::Expr {
        let typed_points = self.value(&points.expr, scope);
        let ty = typed_points.ty;
        if ty.is_known() && ty != Type::Number {
            let q = self.quote(points.expr.span);
            let d = self
                .error(
                    codes::E0309,
                    points.expr.span,
                    format!("points must be a number, but {q} is {}", ty.describe()),
                )
                .with_label(ty.describe())
                .with_help("write a number such as `+10`, or a computation in parentheses such as `(amount / 100)`");
            self.push(d);
        }
        typed_points
    }

    fn each(&mut self, e: &EachClause) -> typed::Clause {
        let (event, filter) = self.filter(&e.filter, self.top());
        let inner = Scope {
            event: Some(event),
            filter: Some(&e.filter.event),
            ..self.top()
        };
        let points = self.points(&e.points, inner);
        let mut max: Option<Span> = None;
        let mut decay: Option<Span> = None;
        let mut within: Option<Span> = e.filter.within.map(|d| d.span);
        let mut per: Option<Span> = None;
        let (mut cap, mut fade, mut option_within, mut period) = (None, None, None, None);
        for option in &e.options {
            let (slot, word, help) = match option {
                EachOption::Max { .. } => (&mut max, "max", "keep one `max`"),
                EachOption::Decay { .. } => (&mut decay, "decay", "keep one `decay`"),
                EachOption::Within { .. } => (
                    &mut within,
                    "within",
                    "`within` in the filter and after the points mean the same; keep one",
                ),
                EachOption::Per { .. } => (&mut per, "per", "keep one `per`"),
            };
            if slot.is_some() {
                let d = self
                    .error(
                        codes::E0207,
                        option.span(),
                        format!("`{word}` is given twice in this clause"),
                    )
                    .with_label(format!("second `{word}`"))
                    .with_help(help);
                self.push(d);
            } else {
                *slot = Some(option.span());
            }
            match option {
                EachOption::Max { value, .. } => {
                    cap = Some(value.value);
                    if value.value <= 0.0 || value.value.is_nan() {
                        let text = self.file.slice(value.span).to_string();
                        let d = self
                            .error(codes::E0210, value.span, format!("the cap after `max` must be more than zero, not `{text}`"))
                            .with_label("not positive")
                            .with_help("the cap bounds the clause's total whatever its sign: write `max 30` even for negative points");
                        self.push(d);
                    }
                }
                EachOption::Decay { kind, duration, .. } => {
                    fade = Some((*kind, *duration));
                    let word = match kind {
                        DecayKind::HalfLife => "half_life",
                        DecayKind::Linear => "linear",
                    };
                    self.positive_duration(duration, word);
                }
                EachOption::Within { duration, .. } => {
                    option_within = Some(*duration);
                    self.positive_duration(duration, "within");
                }
                EachOption::Per { duration, .. } => {
                    period = Some(*duration);
                    self.positive_period(duration);
                }
            }
        }
        typed::Clause {
            label: None,
            span: e.span,
            kind: typed::ClauseKind::Each {
                filter,
                points,
                max: cap,
                decay: fade,
                within: option_within,
                per: period,
            },
        }
    }

    fn clamp(&mut self, c: &Clamp) {
        if c.lo.value > c.hi.value {
            let lo = format_number(c.lo.value);
            let hi = format_number(c.hi.value);
            let d = self
                .error(
                    codes::E0209,
                    c.span,
                    format!(
                        "the clamp `{lo}..{hi}` is empty: its low bound is above its high bound"
                    ),
                )
                .with_label("low bound above high bound")
                .with_help(format!("write the smaller bound first: `clamp {hi}..{lo}`"));
            self.push(d);
        }
    }

    /// Warns about lets that nothing refers to.
    fn unused_lets(&mut self) {
        let used: HashSet<usize> = self
            .symbols
            .depends_on
            .values()
            .flatten()
            .copied()
            .collect();
        for (index, item) in self.ast.items.iter().enumerate() {
            let Item::Let(l) = item else { continue };
            if used.contains(&index)
                || self.symbols.get(&l.name.name).map(|r| r.index) != Some(index)
            {
                continue;
            }
            let d = self
                .warning(
                    codes::W0106,
                    l.name.span,
                    format!("the let `{}` is never used", l.name.name),
                )
                .with_label("not used by any score or segment")
                .with_help("use it in a score or a segment, or remove it");
            self.push(d);
        }
    }

    /// Warns about lets, scores and segments named like a contact field.
    fn hidden_fields(&mut self) {
        if !self.schema.declared {
            return;
        }
        for (index, item) in self.ast.items.iter().enumerate() {
            let Some(name) = item_name(item) else {
                continue;
            };
            let Some(r) = self.symbols.get(&name.name) else {
                continue;
            };
            if r.index != index
                || r.kind == ItemKind::Plugin
                || !self.schema.contact.contains_key(&name.name)
            {
                continue;
            }
            let d = self
                .warning(
                    codes::W0107,
                    name.span,
                    format!("the {} `{}` hides the contact field `{}`", r.kind.word(), name.name, name.name),
                )
                .with_label("same name as a field")
                .with_help(format!(
                    "a bare `{0}` now means this {1}; rename it, or write `contact.{0}` where you mean the field",
                    name.name,
                    r.kind.word()
                ));
            self.push(d);
        }
    }
}
