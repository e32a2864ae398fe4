//! The typed tree: a rule file as the checker understood it, which is what the compiler
//! lowers. Every name is resolved (a let, score or segment by its item index, a contact
//! field, a property of the event in scope), every call is bound to its built-in function
//! (with its table entry) or plugin function, every `matches` pattern is compiled, and every
//! expression has its type. What only the data can tell (a file without a schema) is said as
//! such: [`ExprKind::PropertyOr`] and the [`FieldUse`]s.
//!
//! Where the checker reported an error, an expression may be [`ExprKind::Invalid`]: a tree
//! whose file has errors is never compiled.

use regex::Regex;
use scoreline_syntax::ast::{Aggregate, BinaryOp, DecayKind, DurationLit, Span};

use crate::builtins::Builtin;
use crate::check::Type;

/// The lets, scores and segments of a rule file, in file order, and what they read.
#[derive(Debug, Clone, Default)]
pub struct RuleFile {
    /// The name in the `ruleset` header, if there is one.
    pub ruleset: Option<String>,
    pub items: Vec<Item>,
    /// Every contact field read, which the schema in force must have.
    pub fields: Vec<FieldUse>,
    /// Every plugin function called, which the plugins in force must offer.
    pub plugin_calls: Vec<PluginUse>,
    /// Every account field read (LANGUAGE.md §13), which the schema in force must have.
    pub account_fields: Vec<FieldUse>,
}

/// A contact field read by the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldUse {
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// Inside an event filter of a file without a schema, the name is first a property of
    /// those events: the field is only needed if the data's events have no such property.
    pub unless_property_of: Option<EventSel>,
}

/// A plugin function called by the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginUse {
    pub plugin: String,
    pub function: String,
    /// The number of arguments given.
    pub arity: usize,
    pub plugin_span: Span,
    pub function_span: Span,
}

/// A let, a score or a segment.
#[derive(Debug, Clone)]
pub enum Item {
    Let(Let),
    Score(Score),
    Segment(Segment),
}

impl Item {
    /// The item's index in the AST's `RuleFile::items`.
    pub fn index(&self) -> usize {
        match self {
            Item::Let(l) => l.index,
            Item::Score(s) => s.index,
            Item::Segment(s) => s.index,
        }
    }
}

/// `let NAME = EXPR`
#[derive(Debug, Clone)]
pub struct Let {
    pub index: usize,
    pub value: Expr,
}

/// A score.
#[derive(Debug, Clone)]
pub struct Score {
    pub index: usize,
    pub name: String,
    pub label: Option<String>,
    pub body: ScoreBody,
    /// `clamp LO..HI`
    pub clamp: Option<(f64, f64)>,
}

/// The two forms of a score.
#[derive(Debug, Clone)]
pub enum ScoreBody {
    /// `{ rule … each … }`, clauses in the order written.
    Block(Vec<Clause>),
    /// `= EXPR`
    Expr(Expr),
}

/// A `rule` or an `each` clause.
#[derive(Debug, Clone)]
pub struct Clause {
    /// The label the author gave (`rule "label" …`).
    pub label: Option<String>,
    /// The whole clause, whose text labels it in explanations when it has no label.
    pub span: Span,
    pub kind: ClauseKind,
}

/// What a clause does.
#[derive(Debug, Clone)]
pub enum ClauseKind {
    /// `rule [when COND] => POINTS`
    Rule {
        condition: Option<Expr>,
        points: Expr,
    },
    /// `each FILTER => POINTS [max M] [decay …] [within D] [per D]`
    Each {
        filter: Filter,
        points: Expr,
        /// `max M`
        max: Option<f64>,
        decay: Option<(DecayKind, DurationLit)>,
        /// `within D` written after the points.
        within: Option<DurationLit>,
        /// `per D`: at most one matching event counts per period of length D.
        per: Option<DurationLit>,
    },
}

/// A segment.
#[derive(Debug, Clone)]
pub struct Segment {
    pub index: usize,
    pub name: String,
    pub arms: Vec<Arm>,
}

/// `"label" [when COND] [keep when COND] [=> "action"]`
#[derive(Debug, Clone)]
pub struct Arm {
    pub label: String,
    pub condition: Option<Expr>,
    /// `keep when COND`
    pub keep: Option<Expr>,
    pub action: Option<String>,
}

/// `TYPE [where COND] [within D]`
#[derive(Debug, Clone)]
pub struct Filter {
    pub event: EventSel,
    pub condition: Option<Expr>,
    pub within: Option<DurationLit>,
}

/// The events a filter selects by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSel {
    /// `any`
    Any,
    /// One event type, by name.
    Named(String),
}

impl EventSel {
    /// Whether events of type `name` are selected.
    pub fn selects(&self, name: &str) -> bool {
        match self {
            EventSel::Any => true,
            EventSel::Named(n) => n == name,
        }
    }
}

/// An expression with its type and its span in the rule file (parentheses included).
#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

/// The forms of a typed expression.
#[derive(Debug, Clone)]
pub enum ExprKind {
    Number(f64),
    Text(String),
    Bool(bool),
    /// Milliseconds since 1970-01-01T00:00:00Z.
    Date(i64),
    Duration(DurationLit),
    /// The literal `missing`.
    Missing,
    /// A list used as a value: texts written out (`["a", "b"]`).
    Texts(Vec<String>),
    /// A let, score or segment, by its index in the AST's items.
    Item(usize),
    /// A field of the level evaluated: a contact's field, or in an account item (and inside
    /// [`ExprKind::Account`]) an account's.
    Field(String),
    /// In a contact item, `account.NAME`: the inner expression (an account field or item) of
    /// the contact's account; missing for a contact with no account.
    Account(Box<Expr>),
    /// In an account item, a contact's value (its field or item, the inner expression): of the
    /// contact a `contacts` aggregate is at, or of the event's contact in an event filter.
    Member(Box<Expr>),
    /// `count(contacts where …)`, `sum(contacts.NAME …)`, `top_avg(contacts.NAME, K …)`.
    Contacts {
        function: scoreline_syntax::ast::ContactsAggregate,
        /// The contact value aggregated (an [`ExprKind::Member`]).
        value: Option<Box<Expr>>,
        /// `top_avg`'s K.
        k: Option<usize>,
        condition: Option<Box<Expr>>,
    },
    /// Inside `where` or `each` points: `at`, `type` or a property of the current event.
    Property(String),
    /// Inside `where` or `each` points, in a file without a schema: the current event's
    /// property when the data's events have one, else the item (a let, score or segment),
    /// else the contact field of that name.
    PropertyOr {
        name: String,
        item: Option<usize>,
    },
    /// `base.NAME`: `at`, `type` or a property of the event `base` gives.
    EventProperty {
        base: Box<Expr>,
        name: String,
    },
    /// A built-in function, population functions included.
    Call {
        function: &'static Builtin,
        args: Vec<Expr>,
    },
    /// `PLUGIN.FUNCTION(args…)`
    Plugin {
        plugin: String,
        function: String,
        args: Vec<PluginArg>,
    },
    /// `count(FILTER)`, `sum(TYPE.PROPERTY …)`, …
    Aggregate {
        function: Aggregate,
        property: Option<String>,
        filter: Box<Filter>,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    /// Every binary operator except `matches`.
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x matches "pattern"`, the pattern compiled.
    Matches {
        value: Box<Expr>,
        pattern: Regex,
    },
    /// `x in …` / `x not in …`
    In {
        value: Box<Expr>,
        list: InList,
        negated: bool,
    },
    Between {
        value: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    /// `x is present` (`present`) / `x is missing`
    Is {
        value: Box<Expr>,
        present: bool,
    },
    /// An expression the checker reported an error in.
    Invalid,
}

/// What follows `in`.
#[derive(Debug, Clone)]
pub enum InList {
    /// `[a, b, …]` written out: any expressions.
    Items(Vec<Expr>),
    /// A list value (a field, a let).
    Value(Box<Expr>),
}

/// An argument of a plugin call.
#[derive(Debug, Clone)]
pub enum PluginArg {
    Value(Expr),
    /// The word `contact`: the whole record.
    Contact,
    /// The word `events`: the contact's events up to as-of (unless, in a file without a
    /// schema, the data has a contact field `events`, which is passed instead).
    Events,
}

impl Expr {
    /// Calls `f` on each expression directly inside this one, in source order; an
    /// aggregate's event filter condition included.
    pub fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Number(_)
            | ExprKind::Text(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Duration(_)
            | ExprKind::Missing
            | ExprKind::Texts(_)
            | ExprKind::Item(_)
            | ExprKind::Field(_)
            | ExprKind::Property(_)
            | ExprKind::PropertyOr { .. }
            | ExprKind::Invalid => {}
            ExprKind::EventProperty { base, .. } => f(base),
            ExprKind::Account(inner) | ExprKind::Member(inner) => f(inner),
            ExprKind::Contacts {
                value, condition, ..
            } => {
                if let Some(v) = value {
                    f(v);
                }
                if let Some(c) = condition {
                    f(c);
                }
            }
            ExprKind::Call { args, .. } => args.iter().for_each(f),
            ExprKind::Plugin { args, .. } => {
                for arg in args {
                    if let PluginArg::Value(e) = arg {
                        f(e);
                    }
                }
            }
            ExprKind::Aggregate { filter, .. } => {
                if let Some(c) = &filter.condition {
                    f(c);
                }
            }
            ExprKind::Neg(e) | ExprKind::Not(e) => f(e),
            ExprKind::Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::Matches { value, .. } => f(value),
            ExprKind::In { value, list, .. } => {
                f(value);
                match list {
                    InList::Items(items) => items.iter().for_each(f),
                    InList::Value(v) => f(v),
                }
            }
            ExprKind::Between { value, low, high } => {
                f(value);
                f(low);
                f(high);
            }
            ExprKind::Is { value, .. } => f(value),
        }
    }
}
