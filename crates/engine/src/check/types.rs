//! The types the checker gives to expressions.

/// The type of a value in a list, or of a plain value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    Text,
    Number,
    Bool,
    Date,
    Duration,
}

impl Scalar {
    /// The scalar as a full type.
    pub fn ty(self) -> Type {
        match self {
            Scalar::Text => Type::Text,
            Scalar::Number => Type::Number,
            Scalar::Bool => Type::Bool,
            Scalar::Date => Type::Date,
            Scalar::Duration => Type::Duration,
        }
    }
}

/// Which events an event value (the result of `first`/`last`) may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventOf {
    /// An event of the schema's event type with this index.
    Named(usize),
    /// An event of any type (`last(any)`).
    Any,
    /// An event whose type is not known (no schema, or an unknown event name already reported).
    Unknown,
}

/// The type of an expression, a let, a score or a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// Not known at compile time (no schema, or an error already reported): accepted anywhere.
    Unknown,
    /// The literal `missing`: compatible with anything.
    Missing,
    Text,
    Number,
    Bool,
    Date,
    /// A length of time (`30d`, `date - date`).
    Duration,
    /// A list; `None` when its items' type is unknown (an empty literal).
    List(Option<Scalar>),
    /// An event, the result of `first(…)`/`last(…)`.
    Event(EventOf),
}

impl Type {
    /// Whether the type is known (not `Unknown` nor the `missing` literal).
    pub fn is_known(self) -> bool {
        !matches!(self, Type::Unknown | Type::Missing)
    }

    /// Whether a value of this type can stand where `want` is expected.
    pub fn fits(self, want: Type) -> bool {
        !self.is_known() || !want.is_known() || self == want
    }

    /// The scalar this type is, if it is one.
    pub fn scalar(self) -> Option<Scalar> {
        match self {
            Type::Text => Some(Scalar::Text),
            Type::Number => Some(Scalar::Number),
            Type::Bool => Some(Scalar::Bool),
            Type::Date => Some(Scalar::Date),
            Type::Duration => Some(Scalar::Duration),
            _ => None,
        }
    }

    /// The type as named to an author, with an article: `a number`, `an event`.
    pub fn describe(self) -> &'static str {
        match self {
            Type::Unknown => "a value of unknown type",
            Type::Missing => "`missing`",
            Type::Text => "a text",
            Type::Number => "a number",
            Type::Bool => "true or false",
            Type::Date => "a date",
            Type::Duration => "a duration",
            Type::List(Some(Scalar::Number)) => "a list of numbers",
            Type::List(Some(Scalar::Date)) => "a list of dates",
            Type::List(Some(Scalar::Bool)) => "a list of true/false values",
            Type::List(Some(Scalar::Duration)) => "a list of durations",
            Type::List(_) => "a list",
            Type::Event(_) => "an event",
        }
    }

    /// The type's short name: `number`, `text`, `event`.
    pub fn name(self) -> &'static str {
        match self {
            Type::Unknown => "unknown",
            Type::Missing => "missing",
            Type::Text => "text",
            Type::Number => "number",
            Type::Bool => "bool",
            Type::Date => "date",
            Type::Duration => "duration",
            Type::List(_) => "list",
            Type::Event(_) => "event",
        }
    }
}

impl From<scoreline_syntax::ast::FieldType> for Type {
    fn from(t: scoreline_syntax::ast::FieldType) -> Type {
        use scoreline_syntax::ast::FieldType as F;
        match t {
            F::Text => Type::Text,
            F::Number => Type::Number,
            F::Bool => Type::Bool,
            F::Date => Type::Date,
            F::List => Type::List(Some(Scalar::Text)),
        }
    }
}
