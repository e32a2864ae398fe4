//! What an expectation says (an exact number, a bound, a label, clauses that must or must
//! not fire) and whether an output meets it.

use serde_yaml::Value as Yaml;

use super::file::scalar_text;

/// What a score must be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NumberCheck {
    Exact(f64),
    Missing,
    Cmp(Op, f64),
    Between(f64, f64),
}

/// A comparison in a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Ne,
    Eq,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ne => "!=",
            Op::Eq => "==",
        }
    }
}

/// Scores are rounded to 2 decimals: numbers closer than this are equal.
const EPSILON: f64 = 1e-9;

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= EPSILON * a.abs().max(b.abs()).max(1.0)
}

impl NumberCheck {
    /// Reads a score's expectation: a number, `missing`/null, or a bound written as text.
    pub(crate) fn parse(v: &Yaml) -> Result<NumberCheck, String> {
        match v {
            Yaml::Null => Ok(NumberCheck::Missing),
            Yaml::Number(n) => n
                .as_f64()
                .filter(|f| f.is_finite())
                .map(NumberCheck::Exact)
                .ok_or_else(|| format!("`{n}` is not a number a score can have")),
            Yaml::String(s) => parse_bound(s),
            Yaml::Tagged(t) => NumberCheck::parse(&t.value),
            _ => Err("a score is expected to be a number or a bound".into()),
        }
    }

    /// Whether `actual` (missing: `None`) meets the expectation.
    pub(crate) fn holds(&self, actual: Option<f64>) -> bool {
        match (self, actual) {
            (NumberCheck::Missing, a) => a.is_none(),
            (_, None) => false,
            (NumberCheck::Exact(e), Some(a)) => same(*e, a),
            (NumberCheck::Cmp(op, e), Some(a)) => match op {
                Op::Ge => a >= *e || same(a, *e),
                Op::Gt => a > *e && !same(a, *e),
                Op::Le => a <= *e || same(a, *e),
                Op::Lt => a < *e && !same(a, *e),
                Op::Ne => !same(a, *e),
                Op::Eq => same(a, *e),
            },
            (NumberCheck::Between(lo, hi), Some(a)) => {
                (a >= *lo || same(a, *lo)) && (a <= *hi || same(a, *hi))
            }
        }
    }

    /// The expectation as the author would write it.
    pub(crate) fn describe(&self) -> String {
        match self {
            NumberCheck::Exact(e) => number(*e),
            NumberCheck::Missing => "missing".into(),
            NumberCheck::Cmp(op, e) => format!("{} {}", op.text(), number(*e)),
            NumberCheck::Between(lo, hi) => format!("between {} and {}", number(*lo), number(*hi)),
        }
    }
}

/// The bound help line, shared by every message about a bound.
pub(crate) const BOUND_HELP: &str = "write a number (`35`), `missing`, or a bound in quotes: `\">= 40\"`, `\"> 1\"`, `\"<= 10\"`, `\"< 5\"`, `\"!= 0\"`, `\"between 10 and 20\"`";

fn parse_bound(text: &str) -> Result<NumberCheck, String> {
    let t = text.trim();
    let bad = || format!("`{t}` is not a number or a bound");
    if t.eq_ignore_ascii_case("missing") {
        return Ok(NumberCheck::Missing);
    }
    if let Some(rest) = t.strip_prefix("between") {
        let (lo, hi) = rest.split_once(" and ").ok_or_else(bad)?;
        let lo = num(lo).ok_or_else(bad)?;
        let hi = num(hi).ok_or_else(bad)?;
        if lo > hi {
            return Err(format!("`{t}` is empty: the low end is above the high end"));
        }
        return Ok(NumberCheck::Between(lo, hi));
    }
    for (prefix, op) in [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("!=", Op::Ne),
        ("==", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return num(rest).map(|n| NumberCheck::Cmp(op, n)).ok_or_else(bad);
        }
    }
    num(t).map(NumberCheck::Exact).ok_or_else(bad)
}

fn num(text: &str) -> Option<f64> {
    let t = text.trim().replace('_', "");
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A number as people read it: at most 2 decimals' worth of noise removed.
pub(crate) fn number(x: f64) -> String {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 {
        "0".into()
    } else {
        format!("{r}")
    }
}

/// What a segment (or its action) must be: a text, or none.
pub(crate) fn parse_label(v: &Yaml) -> Result<Option<String>, String> {
    match v {
        Yaml::Null => Ok(None),
        Yaml::String(s) if s.trim() == "missing" => Ok(None),
        Yaml::String(s) => Ok(Some(s.clone())),
        Yaml::Tagged(t) => parse_label(&t.value),
        other => match scalar_text(other) {
            Some(t) => Ok(Some(t)),
            None => Err("a segment is expected to be a label (a text), or `missing`".into()),
        },
    }
}

/// Clause labels for `fired` / `not_fired`: a list of texts (or one text).
pub(crate) fn parse_labels(v: &Yaml) -> Result<Vec<String>, String> {
    match v {
        Yaml::Sequence(items) => items
            .iter()
            .map(|i| {
                scalar_text(i).ok_or_else(|| {
                    "each entry should be a clause label, e.g. `\"Decision maker\"`".to_string()
                })
            })
            .collect(),
        Yaml::Tagged(t) => parse_labels(&t.value),
        other => match scalar_text(other) {
            Some(t) => Ok(vec![t]),
            None => Err("expected a list of clause labels, e.g. `[\"Decision maker\"]`".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> NumberCheck {
        NumberCheck::parse(&serde_yaml::from_str(s).unwrap()).unwrap()
    }

    #[test]
    fn bounds() {
        assert_eq!(p("35"), NumberCheck::Exact(35.0));
        assert_eq!(p("\"35.5\""), NumberCheck::Exact(35.5));
        assert_eq!(p("null"), NumberCheck::Missing);
        assert_eq!(p("missing"), NumberCheck::Missing);
        assert_eq!(p("\">= 40\""), NumberCheck::Cmp(Op::Ge, 40.0));
        assert_eq!(p("\"> 1\""), NumberCheck::Cmp(Op::Gt, 1.0));
        assert_eq!(p("\"<= -10\""), NumberCheck::Cmp(Op::Le, -10.0));
        assert_eq!(p("\"<5\""), NumberCheck::Cmp(Op::Lt, 5.0));
        assert_eq!(p("\"!= 0\""), NumberCheck::Cmp(Op::Ne, 0.0));
        assert_eq!(p("\"between 10 and 20\""), NumberCheck::Between(10.0, 20.0));
        for bad in [
            "\">= forty\"",
            "\"between 10\"",
            "\"between 20 and 10\"",
            "[1]",
            "true",
        ] {
            let v: Yaml = serde_yaml::from_str(bad).unwrap();
            assert!(NumberCheck::parse(&v).is_err(), "{bad}");
        }
    }

    #[test]
    fn checks() {
        assert!(p("29.33").holds(Some(29.33)));
        assert!(!p("29.33").holds(Some(29.34)));
        assert!(!p("29.33").holds(None));
        assert!(p("null").holds(None));
        assert!(!p("null").holds(Some(0.0)));
        assert!(p("\">= 40\"").holds(Some(40.0)));
        assert!(!p("\">= 40\"").holds(Some(39.99)));
        assert!(!p("\"> 40\"").holds(Some(40.0)));
        assert!(p("\"< 5\"").holds(Some(4.99)));
        assert!(!p("\"< 5\"").holds(Some(5.0)));
        assert!(p("\"!= 0\"").holds(Some(0.01)));
        assert!(!p("\"!= 0\"").holds(Some(0.0)));
        assert!(!p("\"!= 0\"").holds(None));
        assert!(p("\"between 10 and 20\"").holds(Some(10.0)));
        assert!(p("\"between 10 and 20\"").holds(Some(20.0)));
        assert!(!p("\"between 10 and 20\"").holds(Some(20.01)));
        assert_eq!(p("\"between 10 and 20\"").describe(), "between 10 and 20");
    }

    #[test]
    fn labels() {
        let y = |s: &str| serde_yaml::from_str::<Yaml>(s).unwrap();
        assert_eq!(parse_label(&y("hot")), Ok(Some("hot".into())));
        assert_eq!(parse_label(&y("missing")), Ok(None));
        assert_eq!(parse_label(&y("null")), Ok(None));
        assert_eq!(parse_label(&y("12")), Ok(Some("12".into())));
        assert!(parse_label(&y("[hot]")).is_err());
        assert_eq!(parse_labels(&y("[a, b]")), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(parse_labels(&y("a")), Ok(vec!["a".into()]));
        assert!(parse_labels(&y("{a: 1}")).is_err());
    }
}
