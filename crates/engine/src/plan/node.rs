//! The compiled form of expressions, clauses, scores and segments: every name is a slot.

use std::sync::Arc;

use regex::Regex;

pub(crate) use crate::builtins::Func;

/// Marks "no such property for this event type" in a per-type property table.
pub(crate) const NO_PROP: u32 = u32::MAX;

/// A constant folded at compile time.
#[derive(Debug, Clone)]
pub(crate) enum Const {
    Missing,
    Num(f64),
    Bool(bool),
    Date(i64),
    Text(Box<str>),
    List(Arc<[Arc<str>]>),
}

/// Which property of an event a node reads.
#[derive(Debug, Clone)]
pub(crate) enum PropSel {
    /// The time stamp.
    At,
    /// The event type's name.
    Type,
    /// Index of the property within its event, per event type id (`NO_PROP` when the type lacks it).
    ByType(Box<[u32]>),
}

/// Arithmetic, comparison and text operators with no short-circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    StartsWith,
    EndsWith,
    Contains,
}

/// A population function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PopKind {
    Ntile,
    PercentRank,
}

/// One call of a population function: its argument is computed for every contact first.
#[derive(Debug)]
pub(crate) struct PopSite {
    pub kind: PopKind,
    pub arg: Node,
    /// The number of buckets (`ntile` only).
    pub buckets: Option<Node>,
}

/// Which events a filter selects by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeSel {
    Any,
    One(u32),
    /// A type absent from the data: matches nothing.
    Nothing,
}

/// `TYPE [where COND] [within D]` compiled.
#[derive(Debug)]
pub(crate) struct Filter {
    pub types: TypeSel,
    pub condition: Option<Node>,
    /// Keep events whose age in milliseconds is at most this.
    pub within_ms: Option<f64>,
}

/// The aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggKind {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
}

/// An aggregate over the contact's events.
#[derive(Debug)]
pub(crate) struct Agg {
    pub kind: AggKind,
    pub filter: Filter,
    pub prop: Option<PropSel>,
}

/// A plugin function a plan calls.
pub(crate) struct PluginFnPlan {
    pub plugin_name: String,
    pub function: String,
    pub plugin: std::sync::Arc<scoreline_plugins::Plugin>,
    /// The function's index for `Plugin::call`.
    pub index: usize,
}

impl std::fmt::Debug for PluginFnPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.plugin_name, self.function)
    }
}

/// What a plugin argument passes.
#[derive(Debug)]
pub(crate) enum PluginArgNode {
    Value(Node),
    Contact,
    Events,
}

/// A compiled expression.
#[derive(Debug)]
pub(crate) enum Node {
    Const(Const),
    /// A contact field by index in the schema in force.
    Field(u32),
    /// A let, score or segment by slot.
    Slot(u32),
    /// A property of the current event (inside `where` or `each` points).
    Prop(PropSel),
    /// A property of the event an expression evaluates to (`last(order).amount`).
    EventField(Box<Node>, PropSel),
    Neg(Box<Node>),
    Not(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    /// `a ?? b ?? …` and `coalesce(a, b, …)`.
    Coalesce(Vec<Node>),
    /// `x in [a, b]` / `x not in [a, b]`, the list written out.
    InItems {
        value: Box<Node>,
        items: Vec<Node>,
        negated: bool,
    },
    /// `x in LIST` where LIST is a list value (a field or a let).
    InList {
        value: Box<Node>,
        list: Box<Node>,
        negated: bool,
    },
    Between(Box<Node>, Box<Node>, Box<Node>),
    Is(Box<Node>, bool),
    Matches(Box<Node>, Box<Regex>),
    /// A plain built-in function.
    Call(Func, Vec<Node>),
    Agg(Box<Agg>),
    /// A population function call, by site index.
    Population(u32),
    /// A plugin call, by index in the plan's plugin functions.
    Plugin(u32, Vec<PluginArgNode>),
    /// In a contact item, `account.NAME`: a value of the contact's account.
    OfAccount(AccountCol),
    /// In an account item, a column of the contact values table ([`AccountLevel::members`]) of
    /// the contact at hand: the one a `contacts` aggregate is at, else the current event's.
    Member(u32),
    /// In an account item, an aggregate over the account's contacts.
    Members(Box<MembersAgg>),
}

/// Which value of the contact's account a contact item reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AccountCol {
    /// An account field, by index in the account schema.
    Field(u32),
    /// An account item, by index in [`AccountLevel::kept`].
    Kept(u32),
}

/// A contact value account items read: a contact field or a contact item's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberCol {
    Field(u32),
    Slot(u32),
}

/// `count(contacts where …)`, `sum(contacts.NAME where …)`, `top_avg(contacts.NAME, K …)`.
#[derive(Debug)]
pub(crate) struct MembersAgg {
    pub kind: scoreline_syntax::ast::ContactsAggregate,
    /// The member column aggregated.
    pub value: Option<u32>,
    pub k: usize,
    pub condition: Option<Node>,
}

/// The account items of a plan (LANGUAGE.md §13): a plan of their own over the accounts (the
/// account fields as its record, all its contacts' events as its events), with the contact
/// values they read, computed by a first pass over the contacts.
#[derive(Debug)]
pub(crate) struct AccountLevel {
    pub plan: super::Plan,
    /// The contact values the account items read, per contact.
    pub members: Vec<MemberCol>,
    /// The contact steps that compute `members` (a prefix-closed subset of the contact steps).
    pub pre_steps: Vec<Step>,
    /// Whether the account items read events (else the accounts get none).
    pub uses_events: bool,
    /// The event types they read (`None`: any); the accounts get only those.
    pub event_types: Option<Vec<u32>>,
    /// The account slots contact items read (`account.NAME` of an account item).
    pub kept: Vec<u32>,
    /// Whether `pre_steps` need the contacts' population statistics.
    pub pre_uses_population: bool,
    /// The contact lets and scores the first pass computed for `members` that the contact
    /// pass takes from there instead of computing them again: (slot, member column).
    pub prefill: Vec<(u32, u32)>,
    /// The contact steps without those.
    pub rest_steps: Vec<Step>,
}

impl Node {
    /// The constant this node is, if it is one.
    pub fn as_const(&self) -> Option<&Const> {
        match self {
            Node::Const(c) => Some(c),
            _ => None,
        }
    }
}

/// How an `each` clause's points fade with age.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Decay {
    None,
    /// Half-life in milliseconds.
    HalfLife(f64),
    /// Linear fade to zero over this many milliseconds.
    Linear(f64),
}

/// What a clause of a block score does.
#[derive(Debug)]
pub(crate) enum ClauseKind {
    Rule {
        condition: Option<Node>,
        points: Node,
    },
    Each {
        filter: Filter,
        points: Node,
        cap: Option<f64>,
        decay: Decay,
        /// `per D` in milliseconds: one event counts per period of this length.
        per_ms: Option<f64>,
    },
}

/// A clause of a block score with what explanations call it.
#[derive(Debug)]
pub(crate) struct ClausePlan {
    pub label: String,
    pub kind: ClauseKind,
    /// What an explanation shows the rule's condition read (empty for `each`).
    pub reads: Vec<Read>,
}

/// A value a condition reads, as explanations show it: a field, a let, a score, an
/// aggregate or a plugin call, with its source text (`employees`, `count(demo_request)`).
#[derive(Debug)]
pub(crate) struct Read {
    pub text: String,
    pub node: Node,
}

/// The body of a compiled score.
#[derive(Debug)]
pub(crate) enum ScoreBodyPlan {
    Block(Vec<ClausePlan>),
    Expr {
        value: Node,
        text: String,
        /// What an explanation shows the expression read.
        reads: Vec<Read>,
    },
}

/// A compiled score.
#[derive(Debug)]
pub(crate) struct ScorePlan {
    pub name: String,
    pub label: Option<String>,
    pub slot: u32,
    pub body: ScoreBodyPlan,
    pub clamp: Option<(f64, f64)>,
}

/// A compiled segment arm.
#[derive(Debug)]
pub(crate) struct ArmPlan {
    pub label: Arc<str>,
    pub condition: Option<Node>,
    /// `keep when COND`: tried first for a contact whose previous label was this arm's.
    pub keep: Option<Node>,
    pub action: Option<Arc<str>>,
}

/// A compiled segment.
#[derive(Debug)]
pub(crate) struct SegmentPlan {
    pub name: String,
    pub slot: u32,
    pub arms: Vec<ArmPlan>,
    pub has_action: bool,
    /// What an explanation shows the arms' conditions read.
    pub reads: Vec<Read>,
}

/// One step of a contact's evaluation, in dependency order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    Let { index: u32 },
    Score { index: u32 },
    Segment { index: u32 },
}

/// A compiled `let`.
#[derive(Debug)]
pub(crate) struct LetPlan {
    pub slot: u32,
    pub value: Node,
}
