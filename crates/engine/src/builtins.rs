//! The built-in functions, in one table: how each is called, typed, documented and computed.
//!
//! The checker types every call from its entry (arity, [`Param`]s, [`Returns`]), the
//! compiler lowers a call by its [`Kind`], the interpreter computes a [`Func`] in
//! `eval/interp.rs` (the one arm per function that is not here), and docs/language.md shows
//! the table, each example checked by the tests. Adding a function is an entry here, its
//! `Func` variant and its arm in the interpreter.

use crate::check::Type;

/// A built-in function.
#[derive(Debug, PartialEq)]
pub struct Builtin {
    /// The name it is called by.
    pub name: &'static str,
    /// How it is written in help lines and hovers: `round(number) or round(number, digits)`.
    pub usage: &'static str,
    /// What it gives, in one line (docs, hovers, completion).
    pub doc: &'static str,
    /// A call and the value it gives, as written in a rule file. Population functions rank a
    /// contact whose `n` is 40 among five whose `n` are 10, 20, 30, 40 and 50; the as-of is
    /// 2026-11-01.
    pub example: (&'static str, &'static str),
    /// The fewest arguments it takes.
    pub min_args: usize,
    /// Its parameters in order; those after `min_args` may be left out.
    pub params: &'static [Param],
    /// What each further argument is, when it takes any number of them (`min(a, b, …)`).
    pub rest: Option<Param>,
    /// The type of its result.
    pub result: Returns,
    /// How it is computed.
    pub kind: Kind,
}

/// What an argument must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    /// A plain value of this type (not an event).
    Plain(Type),
    /// A number of decimals: a number, and when written out a whole one from 0 to 15.
    Digits,
    /// A text or a list.
    TextOrList,
    /// A date, or an event (its time stamp).
    DateOrEvent,
    /// A condition: true or false.
    Condition,
    /// One of the values the result is chosen from: any type, events included, the same for
    /// all of them.
    Alternative,
    /// Numbers, dates or durations, all of one type.
    Ordered,
    /// The value ranked among all contacts: a number, a date or a duration.
    Ranked,
    /// A number of buckets, written out: a whole number of at least 1.
    Buckets,
}

/// The type of a function's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Returns {
    /// Always this type.
    Type(Type),
    /// A number of days.
    Days,
    /// The type of its [`Param::Alternative`] arguments.
    Alternatives,
    /// The type of its [`Param::Ordered`] arguments.
    Ordered,
}

/// How a function is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// From its arguments, for one contact at a time.
    Plain(Func),
    /// A population function: the contact's bucket among all contacts' values, out of a fixed
    /// number of buckets or (`None`) of its second argument.
    Ntile(Option<u32>),
    /// A population function: the contact's rank among all contacts' values, from 0 to 1.
    PercentRank,
}

/// The computation of a plain function: one arm of the interpreter each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Lower,
    Upper,
    Len,
    Abs,
    Round,
    Floor,
    Ceil,
    Ln,
    Min,
    Max,
    DaysSince,
    DaysBetween,
    If,
    Coalesce,
}

impl Builtin {
    /// The most arguments it takes (`None`: any number).
    pub fn max_args(&self) -> Option<usize> {
        self.rest.is_none().then_some(self.params.len())
    }

    /// What argument `index` must be; `None` past its last parameter.
    pub fn param(&self, index: usize) -> Option<Param> {
        self.params.get(index).copied().or(self.rest)
    }

    /// Whether it ranks a contact among all contacts (a population function).
    pub fn is_population(&self) -> bool {
        !matches!(self.kind, Kind::Plain(_))
    }
}

/// The built-in function called `name`, if there is one.
pub fn get(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// One number in, one number out.
const NUMBER: &[Param] = &[Param::Plain(Type::Number)];
/// One text in, one text out.
const TEXT: &[Param] = &[Param::Plain(Type::Text)];

/// Every built-in function, in the order the docs show them.
pub static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "lower",
        usage: "lower(text)",
        doc: "the text in lower case",
        example: ("lower(\"ACME Inc\")", "\"acme inc\""),
        min_args: 1,
        params: TEXT,
        rest: None,
        result: Returns::Type(Type::Text),
        kind: Kind::Plain(Func::Lower),
    },
    Builtin {
        name: "upper",
        usage: "upper(text)",
        doc: "the text in upper case",
        example: ("upper(\"fr\")", "\"FR\""),
        min_args: 1,
        params: TEXT,
        rest: None,
        result: Returns::Type(Type::Text),
        kind: Kind::Plain(Func::Upper),
    },
    Builtin {
        name: "len",
        usage: "len(text or list)",
        doc: "the number of characters of a text, or of items of a list",
        example: ("len(\"héllo\")", "5"),
        min_args: 1,
        params: &[Param::TextOrList],
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Plain(Func::Len),
    },
    Builtin {
        name: "abs",
        usage: "abs(number)",
        doc: "the number without its sign",
        example: ("abs(-3.5)", "3.5"),
        min_args: 1,
        params: NUMBER,
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Plain(Func::Abs),
    },
    Builtin {
        name: "round",
        usage: "round(number) or round(number, digits)",
        doc: "rounded half away from zero, to a whole number or to `digits` decimals",
        example: ("round(2.675, 2)", "2.68"),
        min_args: 1,
        params: &[Param::Plain(Type::Number), Param::Digits],
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Plain(Func::Round),
    },
    Builtin {
        name: "floor",
        usage: "floor(number)",
        doc: "the largest whole number not above it",
        example: ("floor(-2.5)", "-3"),
        min_args: 1,
        params: NUMBER,
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Plain(Func::Floor),
    },
    Builtin {
        name: "ceil",
        usage: "ceil(number)",
        doc: "the smallest whole number not below it",
        example: ("ceil(2.1)", "3"),
        min_args: 1,
        params: NUMBER,
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Plain(Func::Ceil),
    },
    Builtin {
        name: "ln",
        usage: "ln(number)",
        doc: "the natural logarithm; missing for 0 and below",
        example: ("ln(1)", "0"),
        min_args: 1,
        params: NUMBER,
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Plain(Func::Ln),
    },
    Builtin {
        name: "min",
        usage: "min(a, b, …)",
        doc: "the smallest of numbers, dates or durations; missing ones are left out",
        example: ("min(3, missing, 1)", "1"),
        min_args: 2,
        params: &[],
        rest: Some(Param::Ordered),
        result: Returns::Ordered,
        kind: Kind::Plain(Func::Min),
    },
    Builtin {
        name: "max",
        usage: "max(a, b, …)",
        doc: "the largest of numbers, dates or durations; missing ones are left out",
        example: ("max(2026-01-31, 2026-03-01)", "2026-03-01"),
        min_args: 2,
        params: &[],
        rest: Some(Param::Ordered),
        result: Returns::Ordered,
        kind: Kind::Plain(Func::Max),
    },
    Builtin {
        name: "days_since",
        usage: "days_since(date or event)",
        doc: "the days from the date (or the event's `at`) to the as-of, with their fraction",
        example: ("days_since(2026-10-30T12:00:00Z)", "1.5"),
        min_args: 1,
        params: &[Param::DateOrEvent],
        rest: None,
        result: Returns::Days,
        kind: Kind::Plain(Func::DaysSince),
    },
    Builtin {
        name: "days_between",
        usage: "days_between(date, date)",
        doc: "the days from the first date to the second",
        example: ("days_between(2026-01-01, 2026-03-01)", "59"),
        min_args: 2,
        params: &[Param::Plain(Type::Date), Param::Plain(Type::Date)],
        rest: None,
        result: Returns::Days,
        kind: Kind::Plain(Func::DaysBetween),
    },
    Builtin {
        name: "if",
        usage: "if(condition, a, b)",
        doc: "`a` when the condition holds, else `b` (also when the condition is missing)",
        example: ("if(2 > 1, \"yes\", \"no\")", "\"yes\""),
        min_args: 3,
        params: &[Param::Condition, Param::Alternative, Param::Alternative],
        rest: None,
        result: Returns::Alternatives,
        kind: Kind::Plain(Func::If),
    },
    Builtin {
        name: "coalesce",
        usage: "coalesce(a, b, …)",
        doc: "the first argument that is not missing",
        example: ("coalesce(missing, 5, 7)", "5"),
        min_args: 2,
        params: &[],
        rest: Some(Param::Alternative),
        result: Returns::Alternatives,
        kind: Kind::Plain(Func::Coalesce),
    },
    Builtin {
        name: "ntile",
        usage: "ntile(value, buckets)",
        doc: "the contact's bucket, 1 to `buckets`, among all contacts' values (population)",
        example: ("ntile(n, 2)", "2"),
        min_args: 2,
        params: &[Param::Ranked, Param::Buckets],
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Ntile(None),
    },
    Builtin {
        name: "quintile",
        usage: "quintile(value)",
        doc: "`ntile(value, 5)` (population)",
        example: ("quintile(n)", "4"),
        min_args: 1,
        params: &[Param::Ranked],
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Ntile(Some(5)),
    },
    Builtin {
        name: "decile",
        usage: "decile(value)",
        doc: "`ntile(value, 10)` (population)",
        example: ("decile(n)", "7"),
        min_args: 1,
        params: &[Param::Ranked],
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::Ntile(Some(10)),
    },
    Builtin {
        name: "percent_rank",
        usage: "percent_rank(value)",
        doc: "the share of the other contacts' values below the contact's, 0 to 1 (population)",
        example: ("percent_rank(n)", "0.75"),
        min_args: 1,
        params: &[Param::Ranked],
        rest: None,
        result: Returns::Type(Type::Number),
        kind: Kind::PercentRank,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_arities_consistent() {
        for (i, b) in BUILTINS.iter().enumerate() {
            assert!(
                BUILTINS[..i].iter().all(|o| o.name != b.name),
                "{} twice",
                b.name
            );
            assert!(
                b.min_args <= b.params.len() || b.rest.is_some(),
                "{}",
                b.name
            );
            assert!(b.min_args >= 1, "{}", b.name);
            assert!(b.usage.starts_with(&format!("{}(", b.name)), "{}", b.name);
            assert!(
                b.example.0.starts_with(&format!("{}(", b.name)),
                "{}",
                b.name
            );
            assert_eq!(get(b.name), Some(b));
        }
        assert_eq!(get("nothing"), None);
    }
}
