//! The abstract syntax tree of a rule file. Every node keeps its byte span in the source.
//!
//! The tree keeps what the author wrote (parentheses, the order of clauses and options)
//! so that the formatter can reproduce it; meaning is given to it by the engine's checker.

use serde::Serialize;

/// A half-open byte range `start..end` in the rule file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from byte `start` to byte `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The span as a `usize` range, for slicing the source.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A name written by the author, with where it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal: `value` has its escapes resolved; `span` covers the quotes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrLit {
    pub value: String,
    pub span: Span,
}

/// A number literal as written (`12`, `0.5`, `1_000`); the sign is a separate unary minus.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NumLit {
    pub value: f64,
    pub span: Span,
}

/// A signed number where the grammar allows only a constant (`clamp -10..10`, `max 30`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SignedNum {
    pub value: f64,
    pub span: Span,
}

/// The unit of a duration literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DurationUnit {
    Days,
    Hours,
}

/// A duration literal: `30d`, `12h`, `0.5d`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DurationLit {
    /// The number as written, in `unit`s.
    pub amount: f64,
    pub unit: DurationUnit,
    pub span: Span,
}

impl DurationLit {
    /// The duration in days (86,400 s each), the unit the engine computes ages in.
    pub fn days(&self) -> f64 {
        match self.unit {
            DurationUnit::Days => self.amount,
            DurationUnit::Hours => self.amount / 24.0,
        }
    }
}

/// A date literal written bare: `2026-11-01` or `2026-11-01T09:30:00Z`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DateLit {
    /// Milliseconds since 1970-01-01T00:00:00Z; a date alone means 00:00 UTC.
    pub millis: i64,
    /// Whether the literal had a time part (the formatter keeps the author's form).
    pub has_time: bool,
    pub span: Span,
}

/// A whole rule file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFile {
    pub header: Option<Header>,
    pub items: Vec<Item>,
    /// Every comment in the file, in order, for the formatter.
    pub comments: Vec<Comment>,
    pub span: Span,
}

/// A `# …` comment; `span` covers the `#` up to (not including) the newline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// `ruleset NAME "Title"?`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    pub name: Ident,
    pub title: Option<StrLit>,
    pub span: Span,
}

/// A top-level item of a rule file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Item {
    Schema(Schema),
    Plugin(PluginDecl),
    Let(LetDecl),
    Score(ScoreDecl),
    Segment(SegmentDecl),
}

impl Item {
    /// The span of the whole item.
    pub fn span(&self) -> Span {
        match self {
            Item::Schema(s) => s.span,
            Item::Plugin(p) => p.span,
            Item::Let(l) => l.span,
            Item::Score(s) => s.span,
            Item::Segment(s) => s.span,
        }
    }
}

/// `schema { contact { … } event NAME { … } … }`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schema {
    pub blocks: Vec<SchemaBlock>,
    pub span: Span,
}

/// What a schema block describes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SchemaBlockKind {
    /// `contact { … }`; `keyword` is the span of the word `contact`.
    Contact { keyword: Span },
    /// `account { … }` (LANGUAGE.md §13); `keyword` is the span of the word `account`.
    Account { keyword: Span },
    /// `event NAME { … }`
    Event { name: Ident },
}

/// One `contact { … }` or `event NAME { … }` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaBlock {
    pub kind: SchemaBlockKind,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

/// The type of a schema field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FieldType {
    Text,
    Number,
    Bool,
    Date,
    List,
}

impl FieldType {
    /// The type's name as written in a schema.
    pub fn keyword(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Bool => "bool",
            FieldType::Date => "date",
            FieldType::List => "list",
        }
    }
}

/// `NAME: TYPE` or `NAME: TYPE?` in a schema block, maybe followed by `from "Column"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: FieldType,
    /// The span of the type word (and its `?`).
    pub ty_span: Span,
    pub optional: bool,
    /// `from "Column"`: the data column the field reads (by default, the field's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<StrLit>,
    pub span: Span,
}

/// `plugin NAME = "path/to/file.rhai"`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginDecl {
    pub name: Ident,
    pub path: StrLit,
    pub span: Span,
}

/// `let NAME = EXPR`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LetDecl {
    /// The word `account` in front: an account item (LANGUAGE.md §13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Span>,
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `score NAME "Label"? { … }` or `score NAME "Label"? = EXPR clamp?`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreDecl {
    /// The word `account` in front: an account item (LANGUAGE.md §13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Span>,
    pub name: Ident,
    pub label: Option<StrLit>,
    pub body: ScoreBody,
    pub span: Span,
}

/// The two forms of a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ScoreBody {
    /// `{ rule … each … clamp … }`, clauses in the order written.
    Block { clauses: Vec<Clause> },
    /// `= EXPR clamp LO..HI?`
    Expr { value: Expr, clamp: Option<Clamp> },
}

/// A line inside a score block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Clause {
    Rule(RuleClause),
    Each(EachClause),
    Clamp(Clamp),
}

impl Clause {
    /// The span of the whole clause.
    pub fn span(&self) -> Span {
        match self {
            Clause::Rule(r) => r.span,
            Clause::Each(e) => e.span,
            Clause::Clamp(c) => c.span,
        }
    }
}

/// `rule "label"? when COND => POINTS` or `rule "label"? => EXPR`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleClause {
    pub label: Option<StrLit>,
    pub condition: Option<Expr>,
    pub points: Points,
    pub span: Span,
}

/// What follows `=>` in a clause: `+10`, `-5`, `10`, `(amount / 100)`, or (in a rule) any expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Points {
    /// Whether the author wrote a leading `+`.
    pub plus: bool,
    /// The value; `-5` is a negation of the literal `5`.
    pub expr: Expr,
    pub span: Span,
}

/// `each FILTER => POINTS [max M] [decay half_life D | decay linear D] [within D]`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EachClause {
    pub filter: EventFilter,
    pub points: Points,
    /// The options after the points, in the order written.
    pub options: Vec<EachOption>,
    pub span: Span,
}

/// An option after an `each` clause's points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum EachOption {
    /// `max M`: the contribution's magnitude is capped at M.
    Max { value: SignedNum, span: Span },
    /// `decay half_life D` or `decay linear D`.
    Decay {
        kind: DecayKind,
        duration: DurationLit,
        span: Span,
    },
    /// `within D`, the same as `within` in the filter.
    Within { duration: DurationLit, span: Span },
    /// `per D`: at most one matching event counts per period of length D.
    Per { duration: DurationLit, span: Span },
}

impl EachOption {
    /// The span of the whole option.
    pub fn span(&self) -> Span {
        match self {
            EachOption::Max { span, .. }
            | EachOption::Decay { span, .. }
            | EachOption::Within { span, .. }
            | EachOption::Per { span, .. } => *span,
        }
    }
}

/// How an `each` clause's points fade with the event's age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecayKind {
    HalfLife,
    Linear,
}

/// `clamp LO..HI`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clamp {
    pub lo: SignedNum,
    pub hi: SignedNum,
    pub span: Span,
}

/// `TYPE [where COND] [within DURATION]`, TYPE an event name or `any`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventFilter {
    pub event: EventRef,
    pub condition: Option<Expr>,
    pub within: Option<DurationLit>,
    pub span: Span,
}

/// The event type a filter selects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum EventRef {
    /// `any`: every event type.
    Any { span: Span },
    /// A named event type.
    Named(Ident),
}

impl EventRef {
    /// The span of the event word.
    pub fn span(&self) -> Span {
        match self {
            EventRef::Any { span } => *span,
            EventRef::Named(id) => id.span,
        }
    }
}

/// `segment NAME { ARM … }`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentDecl {
    /// The word `account` in front: an account item (LANGUAGE.md §13).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Span>,
    pub name: Ident,
    pub arms: Vec<Arm>,
    pub span: Span,
}

/// `"label" [when COND] [=> "action"]`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arm {
    pub label: StrLit,
    pub condition: Option<Expr>,
    /// `keep when COND`: the arm's label stays while COND holds for a contact that had it.
    pub keep: Option<Keep>,
    pub action: Option<StrLit>,
    pub span: Span,
}

/// `keep when COND` on a segment arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keep {
    pub condition: Expr,
    /// From `keep` to the end of the condition.
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// Calls `f` on each direct sub-expression, in source order. An aggregate's `where`
    /// condition is one (its property and `within` are not expressions).
    pub fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Duration(_)
            | ExprKind::Missing
            | ExprKind::Name(_)
            | ExprKind::ContactField(_)
            | ExprKind::AccountField(_) => {}
            ExprKind::ContactsAggregate { condition, .. } => {
                if let Some(condition) = condition {
                    f(condition)
                }
            }
            ExprKind::List(items) => items.iter().for_each(f),
            ExprKind::Field { base, .. } => f(base),
            ExprKind::Call { args, .. } | ExprKind::PluginCall { args, .. } => {
                args.iter().for_each(f)
            }
            ExprKind::Aggregate { filter, .. } => {
                if let Some(condition) = &filter.condition {
                    f(condition)
                }
            }
            ExprKind::Unary { operand, .. } => f(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::In { value, list, .. } => {
                f(value);
                f(list);
            }
            ExprKind::Between { value, low, high } => {
                f(value);
                f(low);
                f(high);
            }
            ExprKind::Is { value, .. } => f(value),
            ExprKind::Paren(inner) => f(inner),
        }
    }

    /// Calls `f` on this expression and every expression inside it, event filters included:
    /// parents before their children, in source order.
    pub fn walk<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        // An explicit stack, so that a deep tree cannot overflow the call stack.
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            let first = stack.len();
            e.for_each_child(|child| stack.push(child));
            stack[first..].reverse();
        }
    }
}

/// The forms of an expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    Number(f64),
    String(String),
    Bool(bool),
    Date(DateLit),
    Duration(DurationLit),
    List(Vec<Expr>),
    /// The literal `missing`.
    Missing,
    /// A bare name: a contact field, a let, score or segment, or inside `where` an event property.
    Name(Ident),
    /// `contact.NAME`
    ContactField(Ident),
    /// `account.NAME`: a field or an account item of the contact's account (LANGUAGE.md §13).
    AccountField(Ident),
    /// `count(contacts where …)`, `sum(contacts.NAME where …)`, `top_avg(contacts.NAME, K …)`:
    /// an aggregate over an account's contacts.
    ContactsAggregate {
        function: ContactsAggregate,
        function_span: Span,
        /// The word `contacts`.
        contacts_span: Span,
        /// `.NAME`: the contact field or item aggregated.
        field: Option<Ident>,
        /// `top_avg`'s K.
        k: Option<NumLit>,
        condition: Option<Box<Expr>>,
    },
    /// `EXPR.NAME`, such as `last(order).amount`.
    Field {
        base: Box<Expr>,
        name: Ident,
    },
    /// A built-in or population function: `lower(role)`, `max(a, b)`, `quintile(x)`.
    Call {
        function: Ident,
        args: Vec<Expr>,
    },
    /// `PLUGIN.FUNCTION(args…)`
    PluginCall {
        plugin: Ident,
        function: Ident,
        args: Vec<Expr>,
    },
    /// `count(FILTER)`, `sum(TYPE.FIELD …)`, `first(FILTER)`, …
    Aggregate {
        function: Aggregate,
        /// The span of the function name.
        function_span: Span,
        /// The property aggregated (`amount` in `sum(order.amount)`), when there is one.
        field: Option<Ident>,
        filter: Box<EventFilter>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        /// The span of the operator word or symbol.
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x in LIST` / `x not in LIST`
    In {
        value: Box<Expr>,
        list: Box<Expr>,
        negated: bool,
    },
    /// `x between A and B` (inclusive)
    Between {
        value: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    /// `x is missing` (`present == false`) / `x is present` (`present == true`)
    Is {
        value: Box<Expr>,
        present: bool,
    },
    /// `( EXPR )`, kept so the formatter reproduces it.
    Paren(Box<Expr>),
}

/// The aggregate functions over event filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Aggregate {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
}

impl Aggregate {
    /// Every aggregate function.
    pub const ALL: [Aggregate; 7] = [
        Aggregate::Count,
        Aggregate::Sum,
        Aggregate::Avg,
        Aggregate::Min,
        Aggregate::Max,
        Aggregate::First,
        Aggregate::Last,
    ];

    /// The function's name as written.
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
            Aggregate::Avg => "avg",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::First => "first",
            Aggregate::Last => "last",
        }
    }
}

/// The aggregates over an account's contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ContactsAggregate {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    TopAvg,
}

impl ContactsAggregate {
    /// The function's name as written.
    pub fn name(self) -> &'static str {
        match self {
            ContactsAggregate::Count => "count",
            ContactsAggregate::Sum => "sum",
            ContactsAggregate::Avg => "avg",
            ContactsAggregate::Min => "min",
            ContactsAggregate::Max => "max",
            ContactsAggregate::TopAvg => "top_avg",
        }
    }

    /// The function of that name.
    pub fn from_name(name: &str) -> Option<ContactsAggregate> {
        Some(match name {
            "count" => ContactsAggregate::Count,
            "sum" => ContactsAggregate::Sum,
            "avg" => ContactsAggregate::Avg,
            "min" => ContactsAggregate::Min,
            "max" => ContactsAggregate::Max,
            "top_avg" => ContactsAggregate::TopAvg,
            _ => return None,
        })
    }
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
}

/// Infix operators, loosest first as in LANGUAGE.md §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinaryOp {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Matches,
    StartsWith,
    EndsWith,
    Contains,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Coalesce => "??",
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Matches => "matches",
            BinaryOp::StartsWith => "starts_with",
            BinaryOp::EndsWith => "ends_with",
            BinaryOp::Contains => "contains",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}
