//! What `--score NAME` fits: the block scores it is made of (itself, or the terms of a
//! weighted sum), and each of their clauses' points as written.

use scoreline_syntax::ast::{
    BinaryOp, Clause, EachOption, Expr, ExprKind, Item, RuleFile, ScoreBody, Span, UnaryOp,
};
use scoreline_syntax::SourceFile;

/// A block score behind NAME and its weight in NAME.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub name: String,
    pub weight: f64,
    /// The block's clamp (`clamp LO..HI` clause), with the spans of its bounds.
    pub clamp: Option<Bounds>,
    pub clauses: Vec<ClauseSite>,
}

/// A clamp's bounds and where they are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub lo: f64,
    pub hi: f64,
    pub lo_span: Span,
    pub hi_span: Span,
}

/// How a clause's points are written.
#[derive(Debug, Clone, PartialEq)]
pub enum PointsForm {
    /// A number (`+10`, `-5`, `0`): the span covers the whole points.
    Number { value: f64, plus: bool },
    /// `(k * (EXPR))`, as an earlier fit wrote it: `k` is rewritten (its span).
    Multiplier { value: f64, span: Span },
    /// Any other expression: wrapped in a multiplier.
    Expression,
}

/// One `rule` or `each` clause of a fitted block.
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseSite {
    /// The label, else the clause's text (for people).
    pub label: String,
    pub is_each: bool,
    pub form: PointsForm,
    /// The span of the points (what follows `=>`).
    pub points_span: Span,
    /// `max M` and the span of M.
    pub cap: Option<(f64, Span)>,
    pub span: Span,
    /// The 1-based line the clause starts on.
    pub line: usize,
}

impl ClauseSite {
    /// The multiplier the clause's contribution is divided by to give its feature: the
    /// points, an earlier multiplier, or 1 for an expression.
    pub fn scale(&self) -> f64 {
        match self.form {
            PointsForm::Number { value, .. } | PointsForm::Multiplier { value, .. } => value,
            PointsForm::Expression => 1.0,
        }
    }
}

/// The fitted score: the block scores it reads with their weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub blocks: Vec<Block>,
    /// NAME's own clamp when it is an expression score.
    pub clamp: Option<Bounds>,
    /// The constant added in NAME's expression (`a + b + 5`).
    pub constant: f64,
}

/// Finds what `--score NAME` fits. `Err` is the whole message.
pub fn target(file: &SourceFile, ast: &RuleFile, name: &str) -> Result<Target, String> {
    let scores: Vec<&scoreline_syntax::ast::ScoreDecl> = ast
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Score(s) => Some(s),
            _ => None,
        })
        .collect();
    let Some(score) = scores.iter().find(|s| s.name.name == name) else {
        let names: Vec<&str> = scores.iter().map(|s| s.name.name.as_str()).collect();
        let help = match crate::evaluate::nearest(name, &names) {
            Some(near) => format!("did you mean `{near}`?"),
            None if names.is_empty() => "the rule file has no score".to_string(),
            None => format!(
                "the rule file's scores are {}",
                names
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(format!(
            "error: `--score {name}` names no score\n  = help: {help}"
        ));
    };
    let block_of = |n: &str| -> Option<Block> {
        let s = scores.iter().find(|s| s.name.name == n)?;
        let ScoreBody::Block { clauses } = &s.body else {
            return None;
        };
        Some(block(file, n, clauses))
    };
    match &score.body {
        ScoreBody::Block { .. } => Ok(Target {
            name: name.to_string(),
            blocks: block_of(name).into_iter().collect(),
            clamp: None,
            constant: 0.0,
        }),
        ScoreBody::Expr { value, clamp } => {
            let not_a_sum = |why: String| {
                format!(
                    "error: `--score {name}` is not a block score or a weighted sum of block scores: {why}\n  = help: fit a block score (`score NAME {{ rule … }}`), or a score such as `{name} = fit + 0.5 * engagement` whose terms are block scores"
                )
            };
            let mut terms = Vec::new();
            let mut constant = 0.0;
            sum_terms(value, 1.0, &mut terms, &mut constant).map_err(|span| {
                not_a_sum(format!(
                    "`{}` is not a block score times a number",
                    file.slice(span)
                ))
            })?;
            let mut blocks: Vec<Block> = Vec::new();
            for (term, weight, span) in terms {
                let Some(mut b) = block_of(&term) else {
                    return Err(not_a_sum(format!(
                        "`{}` is not a block score",
                        file.slice(span)
                    )));
                };
                match blocks.iter_mut().find(|x| x.name == term) {
                    Some(existing) => existing.weight += weight,
                    None => {
                        b.weight = weight;
                        blocks.push(b);
                    }
                }
            }
            blocks.retain(|b| b.weight != 0.0);
            if blocks.is_empty() {
                return Err(not_a_sum("it reads no block score".to_string()));
            }
            Ok(Target {
                name: name.to_string(),
                blocks,
                clamp: clamp.as_ref().map(|c| Bounds {
                    lo: c.lo.value,
                    hi: c.hi.value,
                    lo_span: c.lo.span,
                    hi_span: c.hi.span,
                }),
                constant,
            })
        }
    }
}

/// Splits `expr` into `weight × NAME` terms and a constant; `Err` is the span of a part that
/// is neither.
fn sum_terms(
    expr: &Expr,
    sign: f64,
    terms: &mut Vec<(String, f64, Span)>,
    constant: &mut f64,
) -> Result<(), Span> {
    match &expr.kind {
        ExprKind::Paren(inner) => sum_terms(inner, sign, terms, constant),
        ExprKind::Binary {
            op: BinaryOp::Add,
            lhs,
            rhs,
            ..
        } => {
            sum_terms(lhs, sign, terms, constant)?;
            sum_terms(rhs, sign, terms, constant)
        }
        ExprKind::Binary {
            op: BinaryOp::Sub,
            lhs,
            rhs,
            ..
        } => {
            sum_terms(lhs, sign, terms, constant)?;
            sum_terms(rhs, -sign, terms, constant)
        }
        _ => {
            if let Some(c) = number(expr) {
                *constant += sign * c;
                return Ok(());
            }
            let (name, weight) = weighted_name(expr).ok_or(expr.span)?;
            terms.push((name, sign * weight, expr.span));
            Ok(())
        }
    }
}

/// `NAME`, `k * NAME`, `NAME * k` or `NAME / k`.
fn weighted_name(expr: &Expr) -> Option<(String, f64)> {
    match &expr.kind {
        ExprKind::Paren(inner) => weighted_name(inner),
        ExprKind::Name(id) => Some((id.name.clone(), 1.0)),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => weighted_name(operand).map(|(n, w)| (n, -w)),
        ExprKind::Binary {
            op: BinaryOp::Mul,
            lhs,
            rhs,
            ..
        } => match (number(lhs), number(rhs)) {
            (Some(k), None) => weighted_name(rhs).map(|(n, w)| (n, k * w)),
            (None, Some(k)) => weighted_name(lhs).map(|(n, w)| (n, k * w)),
            _ => None,
        },
        ExprKind::Binary {
            op: BinaryOp::Div,
            lhs,
            rhs,
            ..
        } => {
            let k = number(rhs).filter(|k| *k != 0.0)?;
            weighted_name(lhs).map(|(n, w)| (n, w / k))
        }
        _ => None,
    }
}

/// The value of a number literal, negated or in parentheses.
pub fn number(expr: &Expr) -> Option<f64> {
    match &expr.kind {
        ExprKind::Number(v) => Some(*v),
        ExprKind::Paren(inner) => number(inner),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => number(operand).map(|v| -v),
        _ => None,
    }
}

fn block(file: &SourceFile, name: &str, clauses: &[Clause]) -> Block {
    let mut sites = Vec::new();
    let mut clamp = None;
    for clause in clauses {
        let (label, points, cap, is_each) = match clause {
            Clause::Rule(r) => (
                r.label.as_ref().map(|l| l.value.clone()),
                &r.points,
                None,
                false,
            ),
            Clause::Each(e) => {
                let cap = e.options.iter().find_map(|o| match o {
                    EachOption::Max { value, .. } => Some((value.value, value.span)),
                    _ => None,
                });
                (None, &e.points, cap, true)
            }
            Clause::Clamp(c) => {
                clamp = Some(Bounds {
                    lo: c.lo.value,
                    hi: c.hi.value,
                    lo_span: c.lo.span,
                    hi_span: c.hi.span,
                });
                continue;
            }
        };
        let span = clause.span();
        let label = label.unwrap_or_else(|| {
            let text: String = file
                .slice(span)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let cut = text.split(" => ").next().unwrap_or(&text).to_string();
            cut
        });
        let form = match number(&points.expr) {
            Some(value) => PointsForm::Number {
                value,
                plus: points.plus,
            },
            None => match multiplier(&points.expr) {
                Some((value, span)) => PointsForm::Multiplier { value, span },
                None => PointsForm::Expression,
            },
        };
        sites.push(ClauseSite {
            label,
            is_each,
            form,
            points_span: points.span,
            cap,
            span,
            line: file.line_col(span.start as usize).line,
        });
    }
    Block {
        name: name.to_string(),
        weight: 1.0,
        clamp,
        clauses: sites,
    }
}

/// `(k * (EXPR))`: the multiplier and its span.
fn multiplier(expr: &Expr) -> Option<(f64, Span)> {
    let ExprKind::Paren(inner) = &expr.kind else {
        return None;
    };
    let ExprKind::Binary {
        op: BinaryOp::Mul,
        lhs,
        rhs,
        ..
    } = &inner.kind
    else {
        return None;
    };
    let k = number(lhs)?;
    if number(rhs).is_some() {
        return None;
    }
    Some((k, lhs.span))
}
