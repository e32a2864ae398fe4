//! The per-contact interpreter: expressions, aggregates, clauses, scores and segments.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use std::fmt::Write;

use scoreline_model::{Dataset, Value};
use scoreline_plugins::{EventArg, PluginArg, PluginError};

use super::accounts::Levels;
use super::population::Population;
use super::round::round_half_away;
use super::value::{compare, equals, Val, DAY_MS};
use crate::eval::{PluginErrorTally, ERROR_IDS};
use crate::explain::{
    ArmResult, ArmTried, ClampExplanation, ClauseExplanation, ClauseKindName, ContactValue,
    MatchedEvent, ScoreExplanation, SegmentExplanation, ShownValue, ValueRead,
};
use crate::plan::node::*;
use crate::plan::Plan;

/// Plugin calls with at most this many plain arguments build them on the stack.
const INLINE_ARGS: usize = 4;

/// A missing value to lend to a plugin call.
static MISSING: Value = Value::Missing;

/// No current event (outside `where` and `each` points).
pub(crate) const NO_EVENT: u32 = u32::MAX;
/// No contact at hand (outside a `contacts` aggregate's `where`).
pub(crate) const NO_MEMBER: usize = usize::MAX;

/// Everything an expression of one contact can read.
pub(crate) struct Ctx<'a, 's> {
    pub plan: &'a Plan,
    pub data: &'a Dataset,
    pub contact: usize,
    pub fields: &'a [Value],
    /// The contact's events up to as-of: `events_start..events_end`.
    pub events_start: usize,
    pub events_end: usize,
    pub as_of: i64,
    pub slots: &'s [Val<'a>],
    pub population: Option<&'s Population<'s>>,
    /// Plugin call failures of the current chunk of contacts.
    pub plugin_errors: &'s RefCell<PluginErrors>,
    /// What the other level gives (accounts for a contact, contacts for an account).
    pub levels: &'a Levels<'a>,
    /// In an account item, the contact a `contacts` aggregate's `where` is at.
    pub member: usize,
}

/// Plugin call failures: the current contact's, and the tallies of the contacts done so far.
#[derive(Default)]
pub(crate) struct PluginErrors {
    /// The current contact's failures, each distinct (function, error) once, in order.
    pub current: Vec<(usize, PluginError)>,
    /// While explaining a clause or arm: the entries of `current` that failed in it.
    touched: Option<Vec<usize>>,
    /// Per plan function index, the tally so far.
    pub tallies: Vec<(usize, PluginErrorTally)>,
    /// While an explanation evaluates the values a condition read: failures are not noted
    /// (the condition's own evaluation noted those that happened).
    muted: bool,
}

/// One failure as a row, an explanation and the tally show it:
/// `mailbox.kind failed at email_domain.rhai:12:5: the script threw `x``.
pub(crate) fn describe(
    plan: &Plan,
    function: usize,
    error: &PluginError,
    contact: Option<&str>,
) -> String {
    let (plugin, name) = match plan.plugin_functions.get(function) {
        Some(f) => (f.plugin_name.as_str(), f.function.as_str()),
        None => (&*error.plugin, error.function.as_str()),
    };
    let mut out = format!("{plugin}.{name} failed");
    if let Some(id) = contact {
        let who = if plan.is_account_level {
            "account"
        } else {
            "contact"
        };
        let _ = write!(out, " for {who} `{id}`");
    }
    match error.position {
        Some(at) => {
            let _ = write!(out, " at {}:{}:{}", error.file.name, at.line, at.column);
        }
        None => {
            let _ = write!(out, " in {}", error.file.name);
        }
    }
    let _ = write!(out, ": {}", error.message);
    out
}

impl PluginErrors {
    /// Notes a failure of plan function `function` for the current contact.
    pub fn record(&mut self, function: usize, error: PluginError) {
        if self.muted {
            return;
        }
        let same = |(f, e): &(usize, PluginError)| {
            *f == function && e.position == error.position && e.message == error.message
        };
        let entry = match self.current.iter().position(same) {
            Some(i) => i,
            None => {
                self.current.push((function, error));
                self.current.len() - 1
            }
        };
        if let Some(touched) = &mut self.touched {
            if !touched.contains(&entry) {
                touched.push(entry);
            }
        }
    }

    /// Starts noting which failures happen (for an explanation's clause or arm).
    pub fn start_tracking(&mut self) {
        self.touched = Some(Vec::new());
    }

    /// The failures since [`PluginErrors::start_tracking`], as one message; stops noting.
    pub fn stop_tracking(&mut self, plan: &Plan) -> Option<String> {
        let touched = self.touched.take()?;
        join(touched.iter().map(|&i| {
            let (f, e) = &self.current[i];
            describe(plan, *f, e, None)
        }))
    }

    /// Ends the current contact: its failures are tallied (once per function) and come back
    /// as one message per failure.
    pub fn finish_contact(&mut self, plan: &Plan, contact_id: &str) -> Vec<String> {
        if self.current.is_empty() {
            return Vec::new();
        }
        let current = std::mem::take(&mut self.current);
        for (i, (function, error)) in current.iter().enumerate() {
            if current[..i].iter().any(|(f, _)| f == function) {
                continue;
            }
            match self.tallies.iter_mut().find(|(f, _)| f == function) {
                Some((_, tally)) => {
                    tally.count += 1;
                    if tally.contact_ids.len() < ERROR_IDS {
                        tally.contact_ids.push(contact_id.to_string());
                    }
                }
                None => {
                    let f = &plan.plugin_functions[*function];
                    self.tallies.push((
                        *function,
                        PluginErrorTally {
                            plugin: f.plugin_name.clone(),
                            function: f.function.clone(),
                            count: 1,
                            contact_ids: vec![contact_id.to_string()],
                            message: describe(plan, *function, error, Some(contact_id)),
                            error: error.clone(),
                        },
                    ));
                }
            }
        }
        current
            .iter()
            .map(|(f, e)| describe(plan, *f, e, None))
            .collect()
    }
}

/// Messages joined with `; `, or none.
pub(crate) fn join(mut messages: impl Iterator<Item = String>) -> Option<String> {
    let mut out = messages.next()?;
    for m in messages {
        out.push_str("; ");
        out.push_str(&m);
    }
    Some(out)
}

/// The range of a contact's events that exist at `as_of` (events are sorted by `at`).
#[inline]
pub(crate) fn events_until(data: &Dataset, contact: usize, as_of: i64) -> (usize, usize) {
    let range = data.events.of_contact(contact);
    let at = &data.events.at[range.clone()];
    let cut = at.partition_point(|&t| t <= as_of);
    (range.start, range.start + cut)
}

impl<'a> Ctx<'a, '_> {
    #[inline]
    fn prop(&self, sel: &'a PropSel, e: usize) -> Val<'a> {
        let events = &self.data.events;
        match sel {
            PropSel::At => Val::Date(events.at[e]),
            PropSel::Type => match self.plan.event_types.get(events.type_id[e] as usize) {
                Some(name) => Val::Str(name),
                None => Val::Missing,
            },
            PropSel::ByType(table) => {
                let index = table
                    .get(events.type_id[e] as usize)
                    .copied()
                    .unwrap_or(NO_PROP);
                if index == NO_PROP {
                    return Val::Missing;
                }
                match events
                    .props
                    .get(events.prop_start[e] as usize + index as usize)
                {
                    Some(v) => Val::from_value(v),
                    None => Val::Missing,
                }
            }
        }
    }

    /// The first event index a filter can match (events older than `within` are skipped).
    #[inline]
    fn filter_start(&self, filter: &Filter) -> usize {
        match filter.within_ms {
            None => self.events_start,
            Some(w) => {
                let at = &self.data.events.at[self.events_start..self.events_end];
                let as_of = self.as_of;
                self.events_start + at.partition_point(|&t| (as_of - t) as f64 > w)
            }
        }
    }

    #[inline]
    fn type_matches(&self, types: TypeSel, e: usize) -> bool {
        match types {
            TypeSel::Any => true,
            TypeSel::One(t) => self.data.events.type_id[e] == t,
            TypeSel::Nothing => false,
        }
    }

    #[inline]
    fn event_matches(&self, filter: &'a Filter, e: usize) -> bool {
        self.type_matches(filter.types, e)
            && filter
                .condition
                .as_ref()
                .is_none_or(|c| self.eval(c, e as u32).holds())
    }

    /// Whether contact `c` passes a `contacts` aggregate's `where` (a missing condition leaves
    /// it out).
    fn member_passes(&self, agg: &'a MembersAgg, c: usize) -> bool {
        let Some(condition) = &agg.condition else {
            return true;
        };
        let at = Ctx {
            plan: self.plan,
            data: self.data,
            contact: self.contact,
            fields: self.fields,
            events_start: self.events_start,
            events_end: self.events_end,
            as_of: self.as_of,
            slots: self.slots,
            population: self.population,
            plugin_errors: self.plugin_errors,
            levels: self.levels,
            member: c,
        };
        matches!(at.eval(condition, NO_EVENT), Val::Bool(true))
    }

    /// The contacts that contributed to a `contacts` aggregate, as an explanation shows them:
    /// the largest value first (ties, and `count` of contacts, in contacts-file order).
    fn contributors(&self, agg: &'a MembersAgg) -> Vec<ContactValue> {
        let mut out: Vec<(Val<'a>, usize)> = Vec::new();
        for &c in self.levels.members_of(self.contact) {
            let c = c as usize;
            if !self.member_passes(agg, c) {
                continue;
            }
            let value = match agg.value {
                Some(col) => Val::from_value(self.levels.member_value(c, col as usize)),
                None => Val::Missing,
            };
            if agg.value.is_some() && matches!(value, Val::Missing) {
                continue;
            }
            out.push((value, c));
        }
        out.sort_by(|a, b| compare(&b.0, &a.0).unwrap_or(Ordering::Equal));
        if agg.kind == scoreline_syntax::ast::ContactsAggregate::TopAvg {
            out.truncate(agg.k.max(1));
        }
        out.into_iter()
            .map(|(v, c)| ContactValue {
                id: self
                    .levels
                    .contacts
                    .get(c)
                    .map_or(String::new(), |k| k.id().to_string()),
                value: self.shown(&v),
            })
            .collect()
    }

    /// An aggregate over the account's contacts (LANGUAGE.md §13).
    fn members(&self, agg: &'a MembersAgg) -> Val<'a> {
        use scoreline_syntax::ast::ContactsAggregate as K;
        let mut count = 0usize;
        let mut sum = 0.0;
        let mut best: Option<Val<'a>> = None;
        let mut numbers: Vec<f64> = Vec::new();
        for &c in self.levels.members_of(self.contact) {
            let c = c as usize;
            if !self.member_passes(agg, c) {
                continue;
            }
            let Some(col) = agg.value else {
                count += 1;
                continue;
            };
            let value = Val::from_value(self.levels.member_value(c, col as usize));
            match (agg.kind, &value) {
                (_, Val::Missing) => {}
                (K::Count, _) => count += 1,
                (K::Sum | K::Avg, Val::Num(n)) => {
                    count += 1;
                    sum += n;
                }
                (K::TopAvg, Val::Num(n)) => numbers.push(*n),
                (K::Min | K::Max, Val::Num(_) | Val::Date(_)) => {
                    let better = match &best {
                        None => true,
                        Some(b) => {
                            let order = compare(&value, b);
                            if agg.kind == K::Min {
                                order == Some(Ordering::Less)
                            } else {
                                order == Some(Ordering::Greater)
                            }
                        }
                    };
                    if better {
                        best = Some(value);
                    }
                }
                _ => {}
            }
        }
        match agg.kind {
            K::Count => Val::Num(count as f64),
            K::Sum => Val::num(sum),
            K::Avg if count == 0 => Val::Missing,
            K::Avg => Val::num(sum / count as f64),
            K::Min | K::Max => best.unwrap_or(Val::Missing),
            K::TopAvg => {
                if numbers.is_empty() {
                    return Val::Missing;
                }
                numbers.sort_by(|a, b| b.total_cmp(a));
                numbers.truncate(agg.k.max(1));
                Val::num(numbers.iter().sum::<f64>() / numbers.len() as f64)
            }
        }
    }

    fn aggregate(&self, agg: &'a Agg) -> Val<'a> {
        let filter = &agg.filter;
        if filter.types == TypeSel::Nothing {
            return match agg.kind {
                AggKind::Count | AggKind::Sum => Val::Num(0.0),
                _ => Val::Missing,
            };
        }
        let start = self.filter_start(filter);
        let end = self.events_end;
        let read = |e: usize| match &agg.prop {
            Some(p) => self.prop(p, e),
            None => Val::Event(e as u32),
        };
        match agg.kind {
            AggKind::Count => {
                let n = (start..end)
                    .filter(|&e| self.event_matches(filter, e))
                    .count();
                Val::Num(n as f64)
            }
            AggKind::First => (start..end)
                .find(|&e| self.event_matches(filter, e))
                .map_or(Val::Missing, read),
            AggKind::Last => (start..end)
                .rev()
                .find(|&e| self.event_matches(filter, e))
                .map_or(Val::Missing, read),
            AggKind::Sum | AggKind::Avg => {
                let (mut sum, mut n) = (0.0, 0usize);
                for e in start..end {
                    if self.event_matches(filter, e) {
                        if let Val::Num(x) = read(e) {
                            sum += x;
                            n += 1;
                        }
                    }
                }
                match agg.kind {
                    AggKind::Sum => Val::num(sum),
                    _ if n == 0 => Val::Missing,
                    _ => Val::num(sum / n as f64),
                }
            }
            AggKind::Min | AggKind::Max => {
                let want = if agg.kind == AggKind::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let mut best = Val::Missing;
                for e in start..end {
                    if self.event_matches(filter, e) {
                        let v = read(e);
                        if !matches!(v, Val::Num(_) | Val::Date(_)) {
                            continue;
                        }
                        if best.is_missing() || compare(&v, &best) == Some(want) {
                            best = v;
                        }
                    }
                }
                best
            }
        }
    }

    /// Evaluates a node; `ev` is the current event inside `where` and `each` points.
    pub fn eval(&self, node: &'a Node, ev: u32) -> Val<'a> {
        match node {
            Node::Const(c) => Val::from_const(c),
            Node::Field(i) => self
                .fields
                .get(*i as usize)
                .map_or(Val::Missing, Val::from_value),
            Node::Slot(s) => self.slots[*s as usize].clone(),
            Node::OfAccount(col) => match self.levels.account_of(self.contact) {
                Some(a) => match *col {
                    AccountCol::Field(i) => self
                        .levels
                        .account_rows
                        .get(a)
                        .and_then(|r| r.fields.get(i as usize))
                        .map_or(Val::Missing, Val::from_value),
                    AccountCol::Kept(k) => self
                        .levels
                        .kept
                        .get(a * self.levels.kept_width + k as usize)
                        .map_or(Val::Missing, Val::from_value),
                },
                None => Val::Missing,
            },
            Node::Member(col) => {
                let contact = if self.member != NO_MEMBER {
                    Some(self.member)
                } else {
                    self.levels.event_contact(ev)
                };
                match contact {
                    Some(c) => Val::from_value(self.levels.member_value(c, *col as usize)),
                    None => Val::Missing,
                }
            }
            Node::Members(agg) => self.members(agg),
            Node::Prop(sel) => {
                if ev == NO_EVENT {
                    Val::Missing
                } else {
                    self.prop(sel, ev as usize)
                }
            }
            Node::EventField(base, sel) => match self.eval(base, ev) {
                Val::Event(e) => self.prop(sel, e as usize),
                _ => Val::Missing,
            },
            Node::Neg(x) => match self.eval(x, ev) {
                Val::Num(n) => Val::Num(-n),
                _ => Val::Missing,
            },
            Node::Not(x) => match self.eval(x, ev).truth() {
                Some(b) => Val::Bool(!b),
                None => Val::Missing,
            },
            Node::And(a, b) => {
                let l = self.eval(a, ev).truth();
                if l == Some(false) {
                    return Val::Bool(false);
                }
                match (l, self.eval(b, ev).truth()) {
                    (_, Some(false)) => Val::Bool(false),
                    (Some(true), Some(true)) => Val::Bool(true),
                    _ => Val::Missing,
                }
            }
            Node::Or(a, b) => {
                let l = self.eval(a, ev).truth();
                if l == Some(true) {
                    return Val::Bool(true);
                }
                match (l, self.eval(b, ev).truth()) {
                    (_, Some(true)) => Val::Bool(true),
                    (Some(false), Some(false)) => Val::Bool(false),
                    _ => Val::Missing,
                }
            }
            Node::Coalesce(items) => {
                for item in items {
                    let v = self.eval(item, ev);
                    if !v.is_missing() {
                        return v;
                    }
                }
                Val::Missing
            }
            Node::Bin(op, a, b) => {
                let l = self.eval(a, ev);
                let r = self.eval(b, ev);
                binary(*op, &l, &r)
            }
            Node::InItems {
                value,
                items,
                negated,
            } => {
                let v = self.eval(value, ev);
                if v.is_missing() {
                    return Val::Missing;
                }
                let mut saw_missing = false;
                for item in items {
                    match equals(&v, &self.eval(item, ev)) {
                        Some(true) => return Val::Bool(!negated),
                        Some(false) => {}
                        None => saw_missing = true,
                    }
                }
                if saw_missing {
                    Val::Missing
                } else {
                    Val::Bool(*negated)
                }
            }
            Node::InList {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value, ev);
                let l = self.eval(list, ev);
                match (v.as_str(), &l) {
                    (Some(s), Val::List(items)) => {
                        Val::Bool(items.iter().any(|i| &**i == s) != *negated)
                    }
                    _ => Val::Missing,
                }
            }
            Node::Between(v, lo, hi) => {
                let v = self.eval(v, ev);
                let lo = self.eval(lo, ev);
                let hi = self.eval(hi, ev);
                match (compare(&v, &lo), compare(&v, &hi)) {
                    (Some(a), Some(b)) => Val::Bool(a != Ordering::Less && b != Ordering::Greater),
                    _ => Val::Missing,
                }
            }
            Node::Is(x, present) => Val::Bool(self.eval(x, ev).is_missing() != *present),
            Node::Matches(x, re) => match self.eval(x, ev).as_str() {
                Some(s) => Val::Bool(re.is_match(s)),
                None => Val::Missing,
            },
            Node::Call(func, args) => self.call(*func, args, ev),
            Node::Agg(agg) => self.aggregate(agg),
            Node::Population(site) => self.population(*site as usize),
            Node::Plugin(function, args) => self.plugin(*function as usize, args, ev),
        }
    }

    /// A plugin call; a failure gives missing and is noted for the contact's row.
    fn plugin(&self, function: usize, args: &'a [PluginArgNode], ev: u32) -> Val<'a> {
        let f = &self.plan.plugin_functions[function];
        let plain =
            args.len() <= INLINE_ARGS && args.iter().all(|a| matches!(a, PluginArgNode::Value(_)));
        let result = if plain {
            // Plain values only (the usual case): no allocation, fields passed by reference.
            let mut owned: [Value; INLINE_ARGS] = Default::default();
            for (slot, arg) in owned.iter_mut().zip(args) {
                if let PluginArgNode::Value(node) = arg {
                    if !matches!(node, Node::Field(_)) {
                        *slot = self.eval(node, ev).to_value(&self.data.events.at);
                    }
                }
            }
            let call_args: [PluginArg; INLINE_ARGS] = std::array::from_fn(|i| match args.get(i) {
                Some(PluginArgNode::Value(Node::Field(k))) => {
                    PluginArg::Value(self.fields.get(*k as usize).unwrap_or(&MISSING))
                }
                _ => PluginArg::Value(&owned[i]),
            });
            f.plugin.call(f.index, &call_args[..args.len()])
        } else {
            self.plugin_general(f, args, ev)
        };
        match result {
            Ok(Value::Number(n)) => Val::num(n),
            Ok(Value::Text(t)) => Val::Owned(Rc::from(&*t)),
            Ok(Value::Bool(b)) => Val::Bool(b),
            Ok(Value::Date(d)) => Val::Date(d),
            Ok(Value::Missing | Value::List(_)) => Val::Missing,
            Err(error) => {
                self.plugin_errors.borrow_mut().record(function, error);
                Val::Missing
            }
        }
    }

    /// A call with `contact` or `events` among its arguments, or with many arguments.
    fn plugin_general(
        &self,
        f: &PluginFnPlan,
        args: &'a [PluginArgNode],
        ev: u32,
    ) -> Result<Value, PluginError> {
        enum Prepared<'v> {
            Borrowed(&'v Value),
            Owned(Value),
            Contact,
            Events,
        }
        let prepared: Vec<Prepared> = args
            .iter()
            .map(|a| match a {
                PluginArgNode::Value(Node::Field(i)) => match self.fields.get(*i as usize) {
                    Some(v) => Prepared::Borrowed(v),
                    None => Prepared::Owned(Value::Missing),
                },
                PluginArgNode::Value(node) => {
                    Prepared::Owned(self.eval(node, ev).to_value(&self.data.events.at))
                }
                PluginArgNode::Contact => Prepared::Contact,
                PluginArgNode::Events => Prepared::Events,
            })
            .collect();
        let schema = &self.data.schema;
        let contact: Vec<(&str, &Value)> =
            if prepared.iter().any(|p| matches!(p, Prepared::Contact)) {
                schema
                    .contact
                    .iter()
                    .map(|f| f.name.as_str())
                    .zip(self.fields.iter())
                    .collect()
            } else {
                Vec::new()
            };
        let wants_events = prepared.iter().any(|p| matches!(p, Prepared::Events));
        let events = &self.data.events;
        let props: Vec<Vec<(&str, &Value)>> = if wants_events {
            (self.events_start..self.events_end)
                .map(|e| {
                    let t = events.type_id[e] as usize;
                    let start = events.prop_start[e] as usize;
                    schema
                        .events
                        .get(t)
                        .map(|spec| {
                            spec.fields
                                .iter()
                                .enumerate()
                                .filter_map(|(i, f)| {
                                    Some((f.name.as_str(), events.props.get(start + i)?))
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        } else {
            Vec::new()
        };
        let event_args: Vec<EventArg> = props
            .iter()
            .zip(self.events_start..self.events_end)
            .map(|(props, e)| EventArg {
                event_type: self
                    .plan
                    .event_types
                    .get(events.type_id[e] as usize)
                    .map_or("", |t| t),
                at_millis: events.at[e],
                props,
            })
            .collect();
        let call_args: Vec<PluginArg> = prepared
            .iter()
            .map(|p| match p {
                Prepared::Borrowed(v) => PluginArg::Value(v),
                Prepared::Owned(v) => PluginArg::Value(v),
                Prepared::Contact => PluginArg::Contact(&contact),
                Prepared::Events => PluginArg::Events(&event_args),
            })
            .collect();
        f.plugin.call(f.index, &call_args)
    }

    fn population(&self, site: usize) -> Val<'a> {
        let Some(population) = self.population else {
            return Val::Missing;
        };
        let plan_site = &self.plan.population[site];
        let buckets = match &plan_site.buckets {
            Some(b) => match self.eval(b, NO_EVENT) {
                Val::Num(n) if n >= 1.0 => Some(n),
                _ => return Val::Missing,
            },
            None => None,
        };
        population.answer(site, self.contact, buckets)
    }

    fn call(&self, func: Func, args: &'a [Node], ev: u32) -> Val<'a> {
        let arg = |i: usize| self.eval(&args[i], ev);
        let num = |i: usize| self.eval(&args[i], ev).as_num();
        match func {
            Func::Lower | Func::Upper => {
                let v = arg(0);
                let Some(s) = v.as_str() else {
                    return Val::Missing;
                };
                let lower = func == Func::Lower;
                let unchanged = s.is_ascii()
                    && !s.bytes().any(|b| {
                        if lower {
                            b.is_ascii_uppercase()
                        } else {
                            b.is_ascii_lowercase()
                        }
                    });
                if unchanged {
                    return v;
                }
                let changed = if lower {
                    s.to_lowercase()
                } else {
                    s.to_uppercase()
                };
                Val::Owned(Rc::from(changed))
            }
            Func::Len => match arg(0) {
                Val::List(l) => Val::Num(l.len() as f64),
                v => match v.as_str() {
                    Some(s) => Val::Num(s.chars().count() as f64),
                    None => Val::Missing,
                },
            },
            Func::Abs => num(0).map_or(Val::Missing, |n| Val::Num(n.abs())),
            Func::Floor => num(0).map_or(Val::Missing, |n| Val::Num(n.floor())),
            Func::Ceil => num(0).map_or(Val::Missing, |n| Val::Num(n.ceil())),
            Func::Ln => match num(0) {
                Some(n) if n > 0.0 => Val::num(n.ln()),
                _ => Val::Missing,
            },
            Func::Round => {
                let Some(n) = num(0) else {
                    return Val::Missing;
                };
                let digits = if args.len() > 1 {
                    match num(1) {
                        Some(d) => d.trunc(),
                        None => return Val::Missing,
                    }
                } else {
                    0.0
                };
                Val::num(round_half_away(n, digits.clamp(-300.0, 15.0) as i32))
            }
            Func::Min | Func::Max => {
                let want = if func == Func::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let mut best = Val::Missing;
                for a in args {
                    let v = self.eval(a, ev);
                    if v.is_missing() {
                        continue;
                    }
                    if best.is_missing() {
                        if !matches!(v, Val::Num(_) | Val::Date(_)) {
                            return Val::Missing;
                        }
                        best = v;
                        continue;
                    }
                    match compare(&v, &best) {
                        Some(o) if o == want => best = v,
                        Some(_) => {}
                        None => return Val::Missing,
                    }
                }
                best
            }
            Func::DaysSince => match self.instant(&arg(0)) {
                Some(t) => Val::num((self.as_of - t) as f64 / DAY_MS),
                None => Val::Missing,
            },
            Func::DaysBetween => match (self.instant(&arg(0)), self.instant(&arg(1))) {
                (Some(a), Some(b)) => Val::num((b - a) as f64 / DAY_MS),
                _ => Val::Missing,
            },
            // Only the branch taken is evaluated; a missing condition does not hold.
            Func::If => {
                if arg(0).holds() {
                    arg(1)
                } else {
                    arg(2)
                }
            }
            // The first present argument; the ones after it are not evaluated.
            Func::Coalesce => args
                .iter()
                .map(|a| self.eval(a, ev))
                .find(|v| !v.is_missing())
                .unwrap_or(Val::Missing),
        }
    }

    /// The instant of a date or of an event.
    #[inline]
    fn instant(&self, v: &Val) -> Option<i64> {
        match v {
            Val::Date(d) => Some(*d),
            Val::Event(e) => self.data.events.at.get(*e as usize).copied(),
            _ => None,
        }
    }

    /// One `each` clause: events matched, periods counted (with `per`), the sum before the
    /// cap, and the contribution; each matched event goes to `listing` when given.
    fn each(
        &self,
        filter: &'a Filter,
        points: &'a Node,
        (cap, decay, per_ms): (Option<f64>, Decay, Option<f64>),
        mut listing: Option<&mut Vec<MatchedEvent>>,
    ) -> EachOutcome {
        let mut outcome = EachOutcome {
            matched: 0,
            periods: per_ms.map(|_| 0),
            before_cap: 0.0,
            contribution: 0.0,
        };
        if filter.types == TypeSel::Nothing {
            return outcome;
        }
        let constant = match points {
            Node::Const(Const::Num(n)) => Some(*n),
            _ => None,
        };
        let start = self.filter_start(filter);
        // An event's points (missing when its points expression is) and decay factor.
        let weigh = |e: usize, when: i64| -> (Option<f64>, f64) {
            let p = match constant {
                Some(n) => Some(n),
                None => match self.eval(points, e as u32) {
                    Val::Num(n) => Some(n),
                    _ => None,
                },
            };
            let age = (self.as_of - when) as f64;
            let factor = match decay {
                Decay::None => 1.0,
                Decay::HalfLife(h) => (-(age / h)).exp2(),
                Decay::Linear(l) => (1.0 - age / l).max(0.0),
            };
            (p, factor)
        };
        let worth = |(p, factor): (Option<f64>, f64)| p.map_or(0.0, |p| p * factor);
        let listed =
            |e: usize, when: i64, (p, factor): (Option<f64>, f64), counted: bool| MatchedEvent {
                event_type: self
                    .plan
                    .event_types
                    .get(self.data.events.type_id[e] as usize)
                    .map_or(String::new(), |t| t.to_string()),
                at: when,
                age_days: (self.as_of - when) as f64 / DAY_MS,
                points: p,
                decay: factor,
                contribution: if counted { worth((p, factor)) } else { 0.0 },
                counted,
            };
        let mut sum = 0.0;
        let at = &self.data.events.at[start..self.events_end];
        // With `per`, events come oldest first, so the last matching event seen in a period
        // is its most recent one: it is counted when the next period starts, or at the end.
        // (period, event, when, its place in `listing`)
        let mut pending: Option<(f64, usize, i64, usize)> = None;
        // Counts a period's pending event: its worth, its listing entry marked counted.
        let count = |(_, last, last_when, entry): (f64, usize, i64, usize),
                     listing: &mut Option<&mut Vec<MatchedEvent>>| {
            let w = worth(weigh(last, last_when));
            if let Some(list) = listing.as_deref_mut() {
                list[entry].counted = true;
                list[entry].contribution = w;
            }
            w
        };
        for (e, &when) in (start..).zip(at) {
            if !self.event_matches(filter, e) {
                continue;
            }
            outcome.matched += 1;
            let Some(d) = per_ms else {
                let w = weigh(e, when);
                sum += worth(w);
                if let Some(list) = listing.as_deref_mut() {
                    list.push(listed(e, when, w, true));
                }
                continue;
            };
            let period = ((self.as_of - when) as f64 / d).floor();
            if let Some(before) = pending {
                if before.0 != period {
                    sum += count(before, &mut listing);
                    outcome.periods = outcome.periods.map(|n| n + 1);
                }
            }
            let entry = match listing.as_deref_mut() {
                Some(list) => {
                    list.push(listed(e, when, weigh(e, when), false));
                    list.len() - 1
                }
                None => 0,
            };
            pending = Some((period, e, when, entry));
        }
        if let Some(last) = pending {
            sum += count(last, &mut listing);
            outcome.periods = outcome.periods.map(|n| n + 1);
        }
        outcome.before_cap = sum;
        outcome.contribution = match cap {
            Some(m) if sum.abs() > m => m.copysign(sum),
            _ => sum,
        };
        outcome
    }

    /// What `reads` give for this contact, as an explanation shows them. A read may call a
    /// plugin the condition did not (`and` stops early): its failures and prints are not
    /// the contact's, so they are left out.
    fn read_values(&self, reads: &'a [Read]) -> Vec<ValueRead> {
        if reads.is_empty() {
            return Vec::new();
        }
        self.plugin_errors.borrow_mut().muted = true;
        let (values, _prints) = scoreline_plugins::capture_log(|| {
            reads
                .iter()
                .map(|r| ValueRead {
                    name: r.text.clone(),
                    value: self.shown(&self.eval(&r.node, NO_EVENT)),
                    contacts: match &r.node {
                        Node::Members(agg) => self.contributors(agg),
                        _ => Vec::new(),
                    },
                })
                .collect()
        });
        self.plugin_errors.borrow_mut().muted = false;
        values
    }

    fn shown(&self, v: &Val) -> ShownValue {
        match v {
            Val::Missing => ShownValue::Missing,
            Val::Num(n) => ShownValue::Number(*n),
            Val::Bool(b) => ShownValue::Bool(*b),
            Val::Date(d) => ShownValue::Date(*d),
            Val::Str(_) | Val::Owned(_) => {
                ShownValue::Text(v.as_str().unwrap_or_default().to_string())
            }
            Val::List(items) => ShownValue::List(items.iter().map(|i| i.to_string()).collect()),
            Val::Event(e) => {
                let e = *e as usize;
                ShownValue::Event {
                    event_type: self
                        .plan
                        .event_types
                        .get(self.data.events.type_id[e] as usize)
                        .map_or(String::new(), |t| t.to_string()),
                    at: self.data.events.at[e],
                }
            }
        }
    }

    /// A score's value (rounded), filling `trace` when asked.
    /// Each block clause's value is pushed on `values` when given (for `scoreline fit`).
    pub fn score(
        &self,
        score: &'a ScorePlan,
        mut trace: Option<&mut ScoreExplanation>,
        mut values: Option<&mut Vec<super::ClauseValue>>,
    ) -> Val<'a> {
        let total = match &score.body {
            ScoreBodyPlan::Block(clauses) => {
                let mut total = 0.0;
                for clause in clauses {
                    let mut events = Vec::new();
                    if trace.is_some() {
                        self.plugin_errors.borrow_mut().start_tracking();
                    }
                    let (fired, contribution, each) = match &clause.kind {
                        ClauseKind::Rule { condition, points } => {
                            let fired = condition
                                .as_ref()
                                .is_none_or(|c| self.eval(c, NO_EVENT).holds());
                            let points = if fired {
                                self.eval(points, NO_EVENT).as_num().unwrap_or(0.0)
                            } else {
                                0.0
                            };
                            (fired, points, None)
                        }
                        ClauseKind::Each {
                            filter,
                            points,
                            cap,
                            decay,
                            per_ms,
                        } => {
                            let listing = trace
                                .as_deref_mut()
                                .filter(|t| t.list_events)
                                .map(|_| &mut events);
                            let outcome =
                                self.each(filter, points, (*cap, *decay, *per_ms), listing);
                            (outcome.matched > 0, outcome.contribution, Some(outcome))
                        }
                    };
                    total += contribution;
                    if let Some(v) = values.as_deref_mut() {
                        v.push(super::ClauseValue {
                            contribution,
                            fired,
                        });
                    }
                    if let Some(t) = trace.as_deref_mut() {
                        let values_read = self.read_values(&clause.reads);
                        t.clauses.push(ClauseExplanation {
                            label: clause.label.clone(),
                            kind: if each.is_some() {
                                ClauseKindName::Each
                            } else {
                                ClauseKindName::Rule
                            },
                            fired,
                            contribution: Some(contribution),
                            events_matched: each.as_ref().map(|e| e.matched),
                            periods_counted: each.as_ref().and_then(|e| e.periods),
                            points_before_cap: each.as_ref().map(|e| e.before_cap),
                            capped: each.as_ref().map(|e| e.contribution != e.before_cap),
                            error: self.plugin_errors.borrow_mut().stop_tracking(self.plan),
                            values_read,
                            events,
                        });
                    }
                }
                Some(total)
            }
            ScoreBodyPlan::Expr { value, text, reads } => {
                if trace.is_some() {
                    self.plugin_errors.borrow_mut().start_tracking();
                }
                let v = self.eval(value, NO_EVENT).as_num();
                if let Some(t) = trace.as_deref_mut() {
                    let values_read = self.read_values(reads);
                    t.clauses.push(ClauseExplanation {
                        label: text.clone(),
                        kind: ClauseKindName::Expr,
                        fired: v.is_some(),
                        contribution: v,
                        events_matched: None,
                        periods_counted: None,
                        points_before_cap: None,
                        capped: None,
                        error: self.plugin_errors.borrow_mut().stop_tracking(self.plan),
                        values_read,
                        events: Vec::new(),
                    });
                }
                v
            }
        };
        let Some(total) = total.filter(|t| t.is_finite()) else {
            return Val::Missing;
        };
        let clamped = match score.clamp {
            Some((lo, hi)) => total.max(lo).min(hi),
            None => total,
        };
        let value = round_half_away(clamped, 2);
        if let Some(t) = trace {
            t.total = Some(total);
            if let Some((lo, hi)) = score.clamp {
                t.clamp = Some(ClampExplanation {
                    low: lo,
                    high: hi,
                    before: total,
                    after: clamped,
                    applied: clamped != total,
                });
            }
            t.value = Some(value);
        }
        Val::Num(value)
    }

    /// The index of the first arm whose condition holds, filling `trace` when asked. An arm
    /// whose label is `before` (the contact's label in the previous scoring) and that has a
    /// `keep when` matches when its keep condition holds, tried before its `when`.
    pub fn segment(
        &self,
        segment: &'a SegmentPlan,
        before: Option<&str>,
        mut trace: Option<&mut SegmentExplanation>,
    ) -> Option<usize> {
        let truth = |v: Option<bool>| match v {
            Some(true) => ArmResult::True,
            Some(false) => ArmResult::False,
            None => ArmResult::Missing,
        };
        if let Some(t) = trace.as_deref_mut() {
            t.values_read = self.read_values(&segment.reads);
        }
        for (i, arm) in segment.arms.iter().enumerate() {
            if trace.is_some() {
                self.plugin_errors.borrow_mut().start_tracking();
            }
            let keep = match &arm.keep {
                Some(k) if before == Some(&*arm.label) => Some(self.eval(k, NO_EVENT).truth()),
                _ => None,
            };
            let kept = keep == Some(Some(true));
            let result = match &arm.condition {
                None => Some(true),
                Some(c) => self.eval(c, NO_EVENT).truth(),
            };
            if let Some(t) = trace.as_deref_mut() {
                t.arms.push(ArmTried {
                    label: arm.label.to_string(),
                    error: self.plugin_errors.borrow_mut().stop_tracking(self.plan),
                    result: truth(result),
                    keep: keep.map(truth),
                });
            }
            if kept || result == Some(true) {
                if let Some(t) = trace {
                    t.label = Some(arm.label.to_string());
                    t.action = arm.action.as_ref().map(|a| a.to_string());
                    t.kept = kept && result != Some(true);
                }
                return Some(i);
            }
        }
        None
    }
}

/// What one `each` clause did for a contact.
struct EachOutcome {
    /// Events that passed the filter.
    matched: usize,
    /// Periods in which an event counted (with `per` only).
    periods: Option<usize>,
    before_cap: f64,
    contribution: f64,
}

/// Arithmetic, comparisons and text operators; any missing operand gives missing.
#[inline]
fn binary<'a>(op: BinOp, l: &Val<'a>, r: &Val<'a>) -> Val<'a> {
    use BinOp::*;
    match op {
        Add | Sub | Mul | Div | Rem => arithmetic(op, l, r),
        Eq => equals(l, r).map_or(Val::Missing, Val::Bool),
        Ne => equals(l, r).map_or(Val::Missing, |b| Val::Bool(!b)),
        Lt | Le | Gt | Ge => match compare(l, r) {
            Some(o) => Val::Bool(match op {
                Lt => o == Ordering::Less,
                Le => o != Ordering::Greater,
                Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }),
            None => Val::Missing,
        },
        StartsWith | EndsWith => match (l.as_str(), r.as_str()) {
            (Some(a), Some(b)) => Val::Bool(if op == StartsWith {
                a.starts_with(b)
            } else {
                a.ends_with(b)
            }),
            _ => Val::Missing,
        },
        Contains => match (l, r.as_str()) {
            (Val::List(items), Some(s)) => Val::Bool(items.iter().any(|i| &**i == s)),
            (_, Some(s)) => match l.as_str() {
                Some(t) => Val::Bool(t.contains(s)),
                None => Val::Missing,
            },
            _ => Val::Missing,
        },
    }
}

#[inline]
fn arithmetic<'a>(op: BinOp, l: &Val<'a>, r: &Val<'a>) -> Val<'a> {
    let shift = |d: i64, days: f64, sign: f64| {
        let ms = (sign * days * DAY_MS).round();
        if ms.is_finite() && ms.abs() < 1e17 {
            Val::Date(d + ms as i64)
        } else {
            Val::Missing
        }
    };
    match (l, r) {
        (Val::Num(a), Val::Num(b)) => match op {
            BinOp::Add => Val::num(a + b),
            BinOp::Sub => Val::num(a - b),
            BinOp::Mul => Val::num(a * b),
            BinOp::Div if *b == 0.0 => Val::Missing,
            BinOp::Div => Val::num(a / b),
            BinOp::Rem if *b == 0.0 => Val::Missing,
            _ => Val::num(a % b),
        },
        (Val::Date(d), Val::Num(n)) => match op {
            BinOp::Add => shift(*d, *n, 1.0),
            BinOp::Sub => shift(*d, *n, -1.0),
            _ => Val::Missing,
        },
        (Val::Num(n), Val::Date(d)) if op == BinOp::Add => shift(*d, *n, 1.0),
        (Val::Date(a), Val::Date(b)) if op == BinOp::Sub => Val::num((a - b) as f64 / DAY_MS),
        _ => Val::Missing,
    }
}
