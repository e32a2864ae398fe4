//! Values during evaluation: borrowed from the data and the plan where possible.

use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::Arc;

use scoreline_model::Value;

use crate::plan::node::Const;

/// Milliseconds in a day: ages and `days_since` are in days of 86,400 s.
pub(crate) const DAY_MS: f64 = 86_400_000.0;

/// A value while a contact is evaluated.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    Missing,
    Num(f64),
    Bool(bool),
    Date(i64),
    Str(&'a str),
    /// A text computed during evaluation (`lower(role)`).
    Owned(Rc<str>),
    List(&'a [Arc<str>]),
    /// An event, by index in the data set's events (`last(order)`).
    Event(u32),
}

impl<'a> Val<'a> {
    /// A data value, borrowed.
    #[inline]
    pub fn from_value(v: &'a Value) -> Val<'a> {
        match v {
            Value::Missing => Val::Missing,
            Value::Number(n) => Val::Num(*n),
            Value::Text(t) => Val::Str(t),
            Value::Bool(b) => Val::Bool(*b),
            Value::Date(d) => Val::Date(*d),
            Value::List(l) => Val::List(l),
        }
    }

    /// A plan constant, borrowed.
    #[inline]
    pub fn from_const(c: &'a Const) -> Val<'a> {
        match c {
            Const::Missing => Val::Missing,
            Const::Num(n) => Val::Num(*n),
            Const::Bool(b) => Val::Bool(*b),
            Const::Date(d) => Val::Date(*d),
            Const::Text(t) => Val::Str(t),
            Const::List(l) => Val::List(l),
        }
    }

    /// A number, treating a non-finite result as missing.
    #[inline]
    pub fn num(n: f64) -> Val<'a> {
        if n.is_finite() {
            Val::Num(n)
        } else {
            Val::Missing
        }
    }

    #[inline]
    pub fn is_missing(&self) -> bool {
        matches!(self, Val::Missing)
    }

    /// The text, if this is a text.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Owned(s) => Some(s),
            _ => None,
        }
    }

    #[inline]
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// Three-valued truth: `Some(b)` for a boolean, `None` for missing (or not a boolean).
    #[inline]
    pub fn truth(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether a condition holds (missing does not).
    #[inline]
    pub fn holds(&self) -> bool {
        matches!(self, Val::Bool(true))
    }

    /// An owned data value, for outputs and plugins.
    pub fn to_value(&self, at: &[i64]) -> Value {
        match self {
            Val::Missing => Value::Missing,
            Val::Num(n) => Value::Number(*n),
            Val::Bool(b) => Value::Bool(*b),
            Val::Date(d) => Value::Date(*d),
            Val::Str(s) => Value::Text(Arc::from(*s)),
            Val::Owned(s) => Value::Text(Arc::from(&**s)),
            Val::List(l) => Value::List(Arc::from(*l)),
            Val::Event(e) => Value::Date(at[*e as usize]),
        }
    }
}

/// Equality: `None` when either side is missing; different kinds are unequal.
#[inline]
pub(crate) fn equals(a: &Val, b: &Val) -> Option<bool> {
    Some(match (a, b) {
        (Val::Missing, _) | (_, Val::Missing) => return None,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Date(x), Val::Date(y)) => x == y,
        (Val::Event(x), Val::Event(y)) => x == y,
        (Val::List(x), Val::List(y)) => x == y,
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    })
}

/// Ordering of two numbers, two dates or two texts; `None` for missing or mixed kinds.
#[inline]
pub(crate) fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        _ => match (a.as_str(), b.as_str()) {
            (Some(x), Some(y)) => Some(x.cmp(y)),
            _ => None,
        },
    }
}
