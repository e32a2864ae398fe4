//! Typed tree → plan: names turned into slots of the schema in force, calls into their
//! computation, constants folded. The checker has said everything there is to say about the
//! rule file (see [`crate::check::in_force`] for what it says here): lowering cannot fail.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use scoreline_model::Schema;
use scoreline_plugins::Plugin;
use scoreline_syntax::ast::{Aggregate, BinaryOp, DecayKind, DurationLit, DurationUnit};
use scoreline_syntax::Diagnostic;

use super::node::*;
use super::Plan;
use crate::builtins::Kind;
use crate::check::{self, Checked};
use crate::typed::{self, ExprKind, InList, PluginArg};

const DAY_MS: f64 = 86_400_000.0;
const HOUR_MS: f64 = 3_600_000.0;

/// Which event types bare names inside a `where` or `each` points refer to.
#[derive(Clone, Copy)]
enum Scope {
    Contact,
    Event(TypeSel),
}

struct Compiler<'c> {
    file: &'c scoreline_syntax::SourceFile,
    /// The schema of the level compiled: for account items, the account fields are its
    /// contact fields (see [`AccountLevel`]).
    schema: &'c Schema,
    /// The data's schema (contact fields, account fields).
    data_schema: &'c Schema,
    /// Compiling the account items.
    account_level: bool,
    /// The contact items' slots (for account items reading contact values).
    contact_slots: HashMap<usize, u32>,
    /// The contact values account items read.
    members: Vec<MemberCol>,
    /// The account items contact items read, by item index.
    kept_items: Vec<usize>,
    /// Whether a contact item read `account.NAME`; inside a population argument, too.
    reads_account: bool,
    population_reads_account: bool,
    plugins: &'c [(String, Arc<Plugin>)],
    plugin_functions: Vec<PluginFnPlan>,
    /// Slot of each let/score/segment by item index.
    slot_of_item: HashMap<usize, u32>,
    population: Vec<PopSite>,
    /// Items referenced (directly) by population arguments.
    population_refs: Vec<usize>,
    /// Inside a population function's argument: item references are recorded.
    in_population_arg: bool,
    /// The items whose own expressions call a population function.
    items_with_population: HashSet<usize>,
    /// The items whose own expressions call a plugin.
    items_with_plugins: HashSet<usize>,
    /// Whether the items read events (aggregates, `each`, plugins given `events`).
    reads_events: bool,
    /// How many plugin calls were compiled so far.
    plugin_calls: usize,
    /// The event types the items' filters select (`None`: any type may be read).
    types_read: Option<Vec<u32>>,
}

pub(super) fn compile(
    checked: &Checked,
    schema: &Schema,
    plugins: &[(String, Arc<Plugin>)],
) -> Result<Plan, Vec<Diagnostic>> {
    if checked.has_errors() {
        return Err(checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect());
    }
    let problems = check::in_force(checked, schema, plugins);
    if !problems.is_empty() {
        return Err(problems);
    }
    let symbols = &checked.symbols;
    let contact_items: Vec<&typed::Item> = checked
        .typed
        .items
        .iter()
        .filter(|i| !symbols.is_account(i.index()))
        .collect();
    let account_items: Vec<&typed::Item> = checked
        .typed
        .items
        .iter()
        .filter(|i| symbols.is_account(i.index()))
        .collect();
    let slots = |items: &[&typed::Item]| -> HashMap<usize, u32> {
        items
            .iter()
            .enumerate()
            .map(|(slot, item)| (item.index(), slot as u32))
            .collect()
    };
    let contact_slots = slots(&contact_items);
    let mut contact = Compiler::new(checked, schema, schema, plugins, contact_slots.clone());
    let mut plan = contact.plan(checked, &contact_items);
    plan.reads_account = contact.reads_account;
    plan.population_reads_account = contact.population_reads_account;
    if account_items.is_empty() {
        return Ok(plan);
    }
    let level_schema = Schema {
        contact: if schema.account.is_empty() {
            vec![scoreline_model::FieldSpec {
                name: "id".into(),
                ty: scoreline_model::FieldType::Text,
                optional: false,
                column: None,
            }]
        } else {
            schema.account.clone()
        },
        events: schema.events.clone(),
        account: Vec::new(),
    };
    let mut account = Compiler::new(
        checked,
        &level_schema,
        schema,
        plugins,
        slots(&account_items),
    );
    account.account_level = true;
    account.contact_slots = contact_slots;
    let mut account_plan = account.plan(checked, &account_items);
    account_plan.event_types = plan.event_types.clone();
    // The contact steps the account items need, directly or through names.
    let mut needed: HashSet<usize> = HashSet::new();
    let mut stack: Vec<usize> = account
        .members
        .iter()
        .filter_map(|m| match m {
            MemberCol::Slot(s) => contact_items.get(*s as usize).map(|i| i.index()),
            MemberCol::Field(_) => None,
        })
        .collect();
    while let Some(index) = stack.pop() {
        if needed.insert(index) {
            if let Some(deps) = symbols.depends_on.get(&index) {
                stack.extend(deps.iter().copied());
            }
        }
    }
    let pre_steps: Vec<Step> = plan
        .steps
        .iter()
        .zip(plan.step_items.iter())
        .filter(|(_, i)| needed.contains(i))
        .map(|(s, _)| *s)
        .collect();
    let pre_uses_population = needed
        .iter()
        .any(|i| contact.items_with_population.contains(i));
    if pre_uses_population && plan.population_reads_account {
        let d = Diagnostic::error(
            &checked.file,
            "E0910",
            Default::default(),
            "population functions of contacts both read an account value and feed an account item",
        )
        .with_label("two levels in one ranking")
        .with_help("rank the contacts by a value that does not read `account.`, or rank the accounts with an account item");
        return Err(vec![d]);
    }
    let kept = contact
        .kept_items
        .iter()
        .map(|i| account.slot_of_item.get(i).copied().unwrap_or(0))
        .collect();
    // The lets and scores the first pass computes for the account items need not be computed
    // again by the contact pass (segments are, for their counts; plugin calls too, for their
    // failures and prints).
    let mut prefill = Vec::new();
    let mut rest_steps = Vec::new();
    for (step, item) in plan.steps.iter().zip(&plan.step_items) {
        let slot = contact.slot_of_item.get(item).copied();
        let column = slot.and_then(|s| {
            account
                .members
                .iter()
                .position(|m| *m == MemberCol::Slot(s))
        });
        match (step, slot, column) {
            (Step::Let { .. } | Step::Score { .. }, Some(slot), Some(column))
                if !contact.items_with_plugins.contains(item) =>
            {
                prefill.push((slot, column as u32));
            }
            _ => rest_steps.push(*step),
        }
    }
    let uses_events = account_plan.reads_events;
    let event_types = account.types_read.take();
    plan.account = Some(Box::new(AccountLevel {
        plan: account_plan,
        members: account.members,
        pre_steps,
        uses_events,
        event_types,
        kept,
        pre_uses_population,
        prefill,
        rest_steps,
    }));
    Ok(plan)
}

impl<'c> Compiler<'c> {
    fn new(
        checked: &'c Checked,
        schema: &'c Schema,
        data_schema: &'c Schema,
        plugins: &'c [(String, Arc<Plugin>)],
        slot_of_item: HashMap<usize, u32>,
    ) -> Compiler<'c> {
        Compiler {
            file: &checked.file,
            schema,
            data_schema,
            account_level: false,
            contact_slots: HashMap::new(),
            members: Vec::new(),
            kept_items: Vec::new(),
            reads_account: false,
            population_reads_account: false,
            items_with_population: HashSet::new(),
            items_with_plugins: HashSet::new(),
            reads_events: false,
            plugin_calls: 0,
            types_read: Some(Vec::new()),
            plugins,
            plugin_functions: Vec::new(),
            slot_of_item,
            population: Vec::new(),
            population_refs: Vec::new(),
            in_population_arg: false,
        }
    }

    /// The plan of one level's items.
    fn plan(&mut self, checked: &Checked, items: &[&typed::Item]) -> Plan {
        let c = self;
        let tree = &checked.typed;
        let symbols = &checked.symbols;
        let mut lets = Vec::new();
        let mut scores = Vec::new();
        let mut segments = Vec::new();
        let mut step_of_item: HashMap<usize, Step> = HashMap::new();
        for (slot, item) in items.iter().enumerate() {
            let slot = slot as u32;
            let sites = c.population.len();
            let calls = c.plugin_calls;
            match item {
                typed::Item::Let(l) => {
                    let value = c.expr(&l.value, Scope::Contact);
                    let index = lets.len() as u32;
                    step_of_item.insert(l.index, Step::Let { index });
                    lets.push(LetPlan { slot, value });
                }
                typed::Item::Score(s) => {
                    let plan = c.score(s, slot);
                    let index = scores.len() as u32;
                    step_of_item.insert(s.index, Step::Score { index });
                    scores.push(plan);
                }
                typed::Item::Segment(s) => {
                    let arms = s
                        .arms
                        .iter()
                        .map(|arm| ArmPlan {
                            label: Arc::from(arm.label.as_str()),
                            condition: arm.condition.as_ref().map(|e| c.expr(e, Scope::Contact)),
                            keep: arm.keep.as_ref().map(|e| c.expr(e, Scope::Contact)),
                            action: arm.action.as_deref().map(Arc::from),
                        })
                        .collect::<Vec<_>>();
                    let conditions: Vec<&typed::Expr> = s
                        .arms
                        .iter()
                        .flat_map(|arm| arm.condition.iter().chain(arm.keep.iter()))
                        .collect();
                    let reads = c.reads(&conditions);
                    let index = segments.len() as u32;
                    step_of_item.insert(s.index, Step::Segment { index });
                    segments.push(SegmentPlan {
                        name: s.name.clone(),
                        slot,
                        has_action: arms.iter().any(|a| a.action.is_some()),
                        arms,
                        reads,
                    });
                }
            }
            if c.population.len() > sites {
                c.items_with_population.insert(item.index());
            }
            if c.plugin_calls > calls {
                c.items_with_plugins.insert(item.index());
            }
        }

        // What population arguments need, directly or through names, is computed first.
        let mut needed: HashSet<usize> = HashSet::new();
        let mut stack: Vec<usize> = c.population_refs.clone();
        while let Some(index) = stack.pop() {
            if needed.insert(index) {
                if let Some(deps) = symbols.depends_on.get(&index) {
                    stack.extend(deps.iter().copied());
                }
            }
        }
        let (steps, step_items): (Vec<Step>, Vec<usize>) = symbols
            .order
            .iter()
            .filter_map(|i| step_of_item.get(i).map(|s| (*s, *i)))
            .unzip();
        let population_steps = symbols
            .order
            .iter()
            .filter(|i| needed.contains(i))
            .filter_map(|i| step_of_item.get(i).copied())
            .collect();
        Plan {
            ruleset: tree.ruleset.clone(),
            lets,
            scores,
            segments,
            steps,
            step_items,
            population_steps,
            population: std::mem::take(&mut c.population),
            slot_count: c.slot_of_item.len(),
            event_types: c
                .schema
                .events
                .iter()
                .map(|e| Arc::from(e.name.as_str()))
                .collect(),
            plugin_functions: std::mem::take(&mut c.plugin_functions),
            account: None,
            reads_account: false,
            population_reads_account: false,
            reads_events: c.reads_events,
            is_account_level: c.account_level,
        }
    }
}

fn duration_ms(d: &DurationLit) -> f64 {
    match d.unit {
        DurationUnit::Days => d.amount * DAY_MS,
        DurationUnit::Hours => d.amount * HOUR_MS,
    }
}

impl Compiler<'_> {
    fn score(&mut self, s: &typed::Score, slot: u32) -> ScorePlan {
        let body = match &s.body {
            typed::ScoreBody::Block(clauses) => {
                let plans = clauses.iter().map(|clause| self.clause(clause)).collect();
                ScoreBodyPlan::Block(plans)
            }
            typed::ScoreBody::Expr(value) => ScoreBodyPlan::Expr {
                value: self.expr(value, Scope::Contact),
                text: clause_text(self.file.slice(value.span)),
                reads: self.reads(&[value]),
            },
        };
        ScorePlan {
            name: s.name.clone(),
            label: s.label.clone(),
            slot,
            body,
            clamp: s.clamp,
        }
    }

    fn clause(&mut self, clause: &typed::Clause) -> ClausePlan {
        let label = match &clause.label {
            Some(l) => l.clone(),
            None => clause_text(self.file.slice(clause.span)),
        };
        let reads = match &clause.kind {
            typed::ClauseKind::Rule {
                condition: Some(c), ..
            } => self.reads(&[c]),
            // Points computed from an account's contacts (`top_avg(contacts.engagement, 3)`):
            // the explanation names the contacts they came from.
            typed::ClauseKind::Rule {
                condition: None,
                points,
            } if reads_contacts(points) => self.reads(&[points]),
            _ => Vec::new(),
        };
        let kind = match &clause.kind {
            typed::ClauseKind::Rule { condition, points } => ClauseKind::Rule {
                condition: condition.as_ref().map(|e| self.expr(e, Scope::Contact)),
                points: self.expr(points, Scope::Contact),
            },
            typed::ClauseKind::Each {
                filter,
                points,
                max,
                decay,
                within,
                per,
            } => {
                self.reads_events = true;
                let mut filter = self.filter(filter);
                let points = self.expr(points, Scope::Event(filter.types));
                if let Some(within) = within {
                    let ms = duration_ms(within);
                    filter.within_ms = Some(filter.within_ms.map_or(ms, |w| w.min(ms)));
                }
                let decay = match decay {
                    None => Decay::None,
                    Some((DecayKind::HalfLife, d)) => Decay::HalfLife(duration_ms(d)),
                    Some((DecayKind::Linear, d)) => Decay::Linear(duration_ms(d)),
                };
                ClauseKind::Each {
                    filter,
                    points,
                    cap: max.map(f64::abs),
                    decay,
                    per_ms: per.as_ref().map(duration_ms),
                }
            }
        };
        ClausePlan { label, kind, reads }
    }

    /// What explanations show `conditions` read: each field, let, score, segment, aggregate
    /// and plugin call once, in the order written, compiled apart from the conditions (they
    /// are evaluated only when explaining). Population function calls are left out (a second
    /// call site would be computed for every contact in every run); their arguments are not.
    fn reads(&mut self, conditions: &[&typed::Expr]) -> Vec<Read> {
        let mut found: Vec<(String, &typed::Expr)> = Vec::new();
        for condition in conditions {
            collect_reads(condition, self.file, &mut found);
        }
        found
            .into_iter()
            .map(|(text, e)| Read {
                node: self.expr(e, Scope::Contact),
                text,
            })
            .collect()
    }

    fn event_type(&self, event: &typed::EventSel) -> TypeSel {
        match event {
            typed::EventSel::Any => TypeSel::Any,
            typed::EventSel::Named(name) => {
                match self.schema.events.iter().position(|e| e.name == *name) {
                    Some(i) => TypeSel::One(i as u32),
                    None => TypeSel::Nothing,
                }
            }
        }
    }

    fn filter(&mut self, f: &typed::Filter) -> Filter {
        let types = self.event_type(&f.event);
        match types {
            TypeSel::Any => self.types_read = None,
            TypeSel::One(t) => {
                if let Some(read) = &mut self.types_read {
                    if !read.contains(&t) {
                        read.push(t);
                    }
                }
            }
            TypeSel::Nothing => {}
        }
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

    /// `at`, `type` or a property of the selected event types (missing where a type lacks it).
    fn property_sel(&self, types: TypeSel, name: &str) -> PropSel {
        match name {
            "at" => PropSel::At,
            "type" => PropSel::Type,
            _ => self
                .property(types, name)
                .unwrap_or_else(|| PropSel::ByType(vec![NO_PROP; self.schema.events.len()].into())),
        }
    }

    fn field(&self, name: &str) -> Node {
        match self.schema.contact.iter().position(|f| f.name == name) {
            Some(i) => Node::Field(i as u32),
            // `check::in_force` has made sure the schema in force has it.
            None => Node::Const(Const::Missing),
        }
    }

    /// `account.NAME` in a contact item.
    fn of_account(&mut self, inner: &typed::Expr) -> Node {
        self.reads_account = true;
        if self.in_population_arg {
            self.population_reads_account = true;
        }
        let field = |name: &str| {
            let at = self.data_schema.account.iter().position(|f| f.name == name);
            match (at, name) {
                (Some(i), _) => Node::OfAccount(AccountCol::Field(i as u32)),
                (None, "id") => Node::OfAccount(AccountCol::Field(0)),
                _ => Node::Const(Const::Missing),
            }
        };
        match &inner.kind {
            ExprKind::Field(name) | ExprKind::PropertyOr { name, item: None } => field(name),
            ExprKind::Item(index)
            | ExprKind::PropertyOr {
                item: Some(index), ..
            } => {
                let at = match self.kept_items.iter().position(|i| i == index) {
                    Some(at) => at,
                    None => {
                        self.kept_items.push(*index);
                        self.kept_items.len() - 1
                    }
                };
                Node::OfAccount(AccountCol::Kept(at as u32))
            }
            _ => Node::Const(Const::Missing),
        }
    }

    /// A contact value an account item reads: its column in the contact values table.
    fn member(&mut self, inner: &typed::Expr) -> u32 {
        let col = match &inner.kind {
            ExprKind::Field(name) | ExprKind::PropertyOr { name, item: None } => MemberCol::Field(
                self.data_schema
                    .contact
                    .iter()
                    .position(|f| f.name == *name)
                    .unwrap_or(usize::MAX) as u32,
            ),
            ExprKind::Item(index)
            | ExprKind::PropertyOr {
                item: Some(index), ..
            } => MemberCol::Slot(self.contact_slots.get(index).copied().unwrap_or(u32::MAX)),
            _ => MemberCol::Field(u32::MAX),
        };
        match self.members.iter().position(|m| *m == col) {
            Some(at) => at as u32,
            None => {
                self.members.push(col);
                self.members.len() as u32 - 1
            }
        }
    }

    fn item(&mut self, index: usize) -> Node {
        if self.in_population_arg {
            self.population_refs.push(index);
        }
        match self.slot_of_item.get(&index) {
            Some(&s) => Node::Slot(s),
            None => Node::Const(Const::Missing),
        }
    }

    fn exprs(&mut self, exprs: &[typed::Expr], scope: Scope) -> Vec<Node> {
        exprs.iter().map(|e| self.expr(e, scope)).collect()
    }

    fn boxed(&mut self, e: &typed::Expr, scope: Scope) -> Box<Node> {
        Box::new(self.expr(e, scope))
    }

    fn expr(&mut self, e: &typed::Expr, scope: Scope) -> Node {
        match &e.kind {
            ExprKind::Number(n) => Node::Const(Const::Num(*n)),
            ExprKind::Text(s) => Node::Const(Const::Text(s.as_str().into())),
            ExprKind::Bool(b) => Node::Const(Const::Bool(*b)),
            ExprKind::Date(d) => Node::Const(Const::Date(*d)),
            ExprKind::Duration(d) => Node::Const(Const::Num(duration_ms(d) / DAY_MS)),
            ExprKind::Missing | ExprKind::Invalid => Node::Const(Const::Missing),
            ExprKind::Texts(texts) => {
                let texts: Vec<Arc<str>> = texts.iter().map(|t| Arc::from(t.as_str())).collect();
                Node::Const(Const::List(texts.into()))
            }
            ExprKind::Item(index) => self.item(*index),
            ExprKind::Field(name) => self.field(name),
            ExprKind::Account(inner) => self.of_account(inner),
            ExprKind::Member(inner) => Node::Member(self.member(inner)),
            ExprKind::Contacts {
                function,
                value,
                k,
                condition,
            } => {
                let value = value.as_ref().map(|v| match &v.kind {
                    ExprKind::Member(inner) => self.member(inner),
                    _ => self.member(v),
                });
                let condition = condition.as_ref().map(|c| self.expr(c, Scope::Contact));
                Node::Members(Box::new(MembersAgg {
                    kind: *function,
                    value,
                    k: k.unwrap_or(1),
                    condition,
                }))
            }
            ExprKind::Property(name) => match scope {
                Scope::Event(types) => Node::Prop(self.property_sel(types, name)),
                Scope::Contact => Node::Const(Const::Missing),
            },
            ExprKind::PropertyOr { name, item } => {
                if let Scope::Event(types) = scope {
                    if let Some(p) = self.property(types, name) {
                        return Node::Prop(p);
                    }
                }
                match item {
                    Some(index) => self.item(*index),
                    None => self.field(name),
                }
            }
            ExprKind::EventProperty { base, name } => {
                let base = self.boxed(base, scope);
                Node::EventField(base, self.property_sel(TypeSel::Any, name))
            }
            ExprKind::Neg(operand) => match self.expr(operand, scope) {
                Node::Const(Const::Num(n)) => Node::Const(Const::Num(-n)),
                inner => Node::Neg(Box::new(inner)),
            },
            ExprKind::Not(operand) => match self.expr(operand, scope) {
                Node::Const(Const::Bool(b)) => Node::Const(Const::Bool(!b)),
                inner => Node::Not(Box::new(inner)),
            },
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, scope),
            ExprKind::Matches { value, pattern } => {
                Node::Matches(self.boxed(value, scope), Box::new(pattern.clone()))
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let value = self.boxed(value, scope);
                match list {
                    InList::Items(items) => Node::InItems {
                        value,
                        items: self.exprs(items, scope),
                        negated: *negated,
                    },
                    InList::Value(list) => Node::InList {
                        value,
                        list: self.boxed(list, scope),
                        negated: *negated,
                    },
                }
            }
            ExprKind::Between { value, low, high } => Node::Between(
                self.boxed(value, scope),
                self.boxed(low, scope),
                self.boxed(high, scope),
            ),
            ExprKind::Is { value, present } => Node::Is(self.boxed(value, scope), *present),
            ExprKind::Call { function, args } => match function.kind {
                Kind::Plain(func) => Node::Call(func, self.exprs(args, scope)),
                Kind::Ntile(buckets) => {
                    let buckets = match buckets {
                        Some(n) => Node::Const(Const::Num(f64::from(n))),
                        None => self.arg(args, 1, Scope::Contact),
                    };
                    self.population_site(PopKind::Ntile, args, Some(buckets))
                }
                Kind::PercentRank => self.population_site(PopKind::PercentRank, args, None),
            },
            ExprKind::Plugin {
                plugin,
                function,
                args,
            } => self.plugin_call(plugin, function, args, scope),
            ExprKind::Aggregate {
                function,
                property,
                filter,
            } => {
                self.reads_events = true;
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
                let prop = property.as_ref().map(|p| self.property_sel(f.types, p));
                Node::Agg(Box::new(Agg {
                    kind,
                    filter: f,
                    prop,
                }))
            }
        }
    }

    /// Argument `i`, lowered (missing if absent, which the checker does not let through).
    fn arg(&mut self, args: &[typed::Expr], i: usize, scope: Scope) -> Node {
        match args.get(i) {
            Some(a) => self.expr(a, scope),
            None => Node::Const(Const::Missing),
        }
    }

    /// A population function's call site: its argument is computed for every contact first.
    fn population_site(
        &mut self,
        kind: PopKind,
        args: &[typed::Expr],
        buckets: Option<Node>,
    ) -> Node {
        let outer = std::mem::replace(&mut self.in_population_arg, true);
        let arg = self.arg(args, 0, Scope::Contact);
        self.in_population_arg = outer;
        self.population.push(PopSite { kind, arg, buckets });
        Node::Population(self.population.len() as u32 - 1)
    }

    fn binary(&mut self, op: BinaryOp, lhs: &typed::Expr, rhs: &typed::Expr, scope: Scope) -> Node {
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
            // The typed tree has `matches` as `ExprKind::Matches`, its pattern compiled.
            BinaryOp::Matches => Node::Const(Const::Missing),
        }
    }

    fn plugin_call(
        &mut self,
        plugin: &str,
        function: &str,
        args: &[PluginArg],
        scope: Scope,
    ) -> Node {
        // `check::in_force` has made sure the plugins in force offer the function.
        let found = self
            .plugins
            .iter()
            .find(|(name, _)| name == plugin)
            .and_then(|(_, loaded)| Some((loaded, loaded.function_index(function, args.len())?)));
        let Some((loaded, index)) = found else {
            return Node::Const(Const::Missing);
        };
        let existing = self
            .plugin_functions
            .iter()
            .position(|f| f.plugin_name == plugin && f.index == index);
        let fn_index = match existing {
            Some(i) => i,
            None => {
                self.plugin_functions.push(PluginFnPlan {
                    plugin_name: plugin.to_string(),
                    function: function.to_string(),
                    plugin: Arc::clone(loaded),
                    index,
                });
                self.plugin_functions.len() - 1
            }
        };
        let events_field = self.schema.contact.iter().position(|f| f.name == "events");
        self.plugin_calls += 1;
        if args.iter().any(|a| matches!(a, PluginArg::Events)) {
            self.reads_events = true;
            self.types_read = None;
        }
        let args = args
            .iter()
            .map(|a| match a {
                PluginArg::Value(e) => PluginArgNode::Value(self.expr(e, scope)),
                PluginArg::Contact => PluginArgNode::Contact,
                PluginArg::Events => match events_field.filter(|_| !self.account_level) {
                    Some(i) => PluginArgNode::Value(Node::Field(i as u32)),
                    None => PluginArgNode::Events,
                },
            })
            .collect();
        Node::Plugin(fn_index as u32, args)
    }
}

/// Adds what `e` reads to `found` (see [`Compiler::reads`]), each source text once.
fn collect_reads<'e>(
    e: &'e typed::Expr,
    file: &scoreline_syntax::SourceFile,
    found: &mut Vec<(String, &'e typed::Expr)>,
) {
    let leaf = |e: &'e typed::Expr, found: &mut Vec<(String, &'e typed::Expr)>| {
        let text = clause_text(file.slice(e.span));
        if !found.iter().any(|(t, _)| *t == text) {
            found.push((text, e));
        }
    };
    match &e.kind {
        ExprKind::Number(_)
        | ExprKind::Text(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::Duration(_)
        | ExprKind::Missing
        | ExprKind::Texts(_)
        | ExprKind::Property(_)
        | ExprKind::Invalid => {}
        ExprKind::Item(_)
        | ExprKind::Field(_)
        | ExprKind::PropertyOr { .. }
        | ExprKind::Account(_)
        | ExprKind::Member(_)
        | ExprKind::Contacts { .. } => leaf(e, found),
        ExprKind::Aggregate { .. } | ExprKind::EventProperty { .. } => {
            if !has_population(e) {
                leaf(e, found);
            }
        }
        ExprKind::Plugin { args, .. } => {
            for arg in args {
                if let PluginArg::Value(a) = arg {
                    collect_reads(a, file, found);
                }
            }
            if !has_population(e) {
                leaf(e, found);
            }
        }
        // `days_since(last(email_open))` reads best as a whole; `lower(role)` as `role`.
        ExprKind::Call { function, args }
            if !function.is_population()
                && args.iter().any(|a| {
                    matches!(
                        a.kind,
                        ExprKind::Aggregate { .. } | ExprKind::EventProperty { .. }
                    )
                }) =>
        {
            if !has_population(e) {
                leaf(e, found);
            }
        }
        ExprKind::Call { args, .. } => {
            for a in args {
                collect_reads(a, file, found);
            }
        }
        ExprKind::Neg(x) | ExprKind::Not(x) => collect_reads(x, file, found),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_reads(lhs, file, found);
            collect_reads(rhs, file, found);
        }
        ExprKind::Matches { value, .. } | ExprKind::Is { value, .. } => {
            collect_reads(value, file, found)
        }
        ExprKind::In { value, list, .. } => {
            collect_reads(value, file, found);
            match list {
                InList::Items(items) => {
                    for i in items {
                        collect_reads(i, file, found);
                    }
                }
                InList::Value(l) => collect_reads(l, file, found),
            }
        }
        ExprKind::Between { value, low, high } => {
            collect_reads(value, file, found);
            collect_reads(low, file, found);
            collect_reads(high, file, found);
        }
    }
}

/// Whether `e` aggregates an account's contacts anywhere.
fn reads_contacts(e: &typed::Expr) -> bool {
    let mut found = matches!(e.kind, ExprKind::Contacts { .. });
    e.for_each_child(|c| found |= reads_contacts(c));
    found
}

/// Whether `e` calls a population function anywhere (filters included).
fn has_population(e: &typed::Expr) -> bool {
    let any = |items: &[typed::Expr]| items.iter().any(has_population);
    let filter = |f: &typed::Filter| f.condition.as_ref().is_some_and(has_population);
    match &e.kind {
        ExprKind::Call { function, args } => function.is_population() || any(args),
        ExprKind::Plugin { args, .. } => args.iter().any(|a| match a {
            PluginArg::Value(v) => has_population(v),
            _ => false,
        }),
        ExprKind::Aggregate { filter: f, .. } => filter(f),
        ExprKind::EventProperty { base, .. } => has_population(base),
        ExprKind::Contacts { condition, .. } => condition.as_deref().is_some_and(has_population),
        ExprKind::Neg(x) | ExprKind::Not(x) => has_population(x),
        ExprKind::Binary { lhs, rhs, .. } => has_population(lhs) || has_population(rhs),
        ExprKind::Matches { value, .. } | ExprKind::Is { value, .. } => has_population(value),
        ExprKind::In { value, list, .. } => {
            has_population(value)
                || match list {
                    InList::Items(items) => any(items),
                    InList::Value(l) => has_population(l),
                }
        }
        ExprKind::Between { value, low, high } => {
            has_population(value) || has_population(low) || has_population(high)
        }
        _ => false,
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
