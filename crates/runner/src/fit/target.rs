//! What `--score NAME` fits: the block scores it is made of (itself, or the terms of a
//! weighted sum), and each of their clauses' points as written.

use crate::failure::Message;
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
pub fn target(file: &SourceFile, ast: &RuleFile, name: &str) -> Result<Target, Message> {
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
        return Err(Message::new(format!("`--score {name}` names no score")).help(help.to_string()));
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
                Message::new(format!("`--score {name}` is not a block score or a weighted sum of block scores: {why}")).help(format!("fit a block score (`score NAME {{ rule … }}`), or a score such as `{name} = fit + 0.5 * engagement` whose terms are block scores"))
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

/// Splits `expr` into `weight × NAME` terms and a constant: sums and differences of names
/// and numbers, each possibly multiplied or divided by a number. `Err` is the span of a
/// part that is none of these.
fn sum_terms(
    expr: &Expr,
    scale: f64,
    terms: &mut Vec<(String, f64, Span)>,
    constant: &mut f64,
) -> Result<(), Span> {
    if let Some(c) = number(expr) {
        *constant += scale * c;
        return Ok(());
    }
    match &expr.kind {
        ExprKind::Name(id) => {
            terms.push((id.name.clone(), scale, expr.span));
            Ok(())
        }
        ExprKind::Paren(inner) => sum_terms(inner, scale, terms, constant),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => sum_terms(operand, -scale, terms, constant),
        ExprKind::Binary { op, lhs, rhs, .. } => match op {
            BinaryOp::Add => {
                sum_terms(lhs, scale, terms, constant)?;
                sum_terms(rhs, scale, terms, constant)
            }
            BinaryOp::Sub => {
                sum_terms(lhs, scale, terms, constant)?;
                sum_terms(rhs, -scale, terms, constant)
            }
            BinaryOp::Mul => match (number(lhs), number(rhs)) {
                (Some(k), None) => sum_terms(rhs, scale * k, terms, constant),
                (None, Some(k)) => sum_terms(lhs, scale * k, terms, constant),
                _ => Err(expr.span),
            },
            BinaryOp::Div => match number(rhs) {
                Some(k) if k != 0.0 => sum_terms(lhs, scale / k, terms, constant),
                _ => Err(expr.span),
            },
            _ => Err(expr.span),
        },
        _ => Err(expr.span),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const RULES: &str = r#"
score fit { rule "a" when x > 1 => +10 }
score engagement { each page_view => (2 * (amount)) max 10 }
let k = 3
score total = fit + 0.5 * engagement
score scaled = (fit + engagement) / 2 - 0.25 * fit + 4
score product = fit * engagement
score with_let = fit + k
"#;

    fn target_of(name: &str) -> Result<Target, Message> {
        let file = Arc::new(SourceFile::new("rules.score", RULES));
        let ast = scoreline_syntax::parse(&file).unwrap();
        target(&file, &ast, name)
    }

    fn weights(t: &Target) -> Vec<(&str, f64)> {
        t.blocks
            .iter()
            .map(|b| (b.name.as_str(), b.weight))
            .collect()
    }

    #[test]
    fn weighted_sums_give_each_block_its_weight() {
        let t = target_of("total").unwrap();
        assert_eq!(weights(&t), vec![("fit", 1.0), ("engagement", 0.5)]);
        let t = target_of("scaled").unwrap();
        assert_eq!(weights(&t), vec![("fit", 0.25), ("engagement", 0.5)]);
        assert_eq!(t.constant, 4.0);
        let t = target_of("fit").unwrap();
        assert_eq!(weights(&t), vec![("fit", 1.0)]);
        assert_eq!(
            t.blocks[0].clauses[0].form,
            PointsForm::Number {
                value: 10.0,
                plus: true
            }
        );
        let e = &target_of("engagement").unwrap().blocks[0].clauses[0];
        assert!(matches!(e.form, PointsForm::Multiplier { value, .. } if value == 2.0));
        assert_eq!(e.cap.map(|c| c.0), Some(10.0));
    }

    #[test]
    fn other_scores_are_refused_with_the_part_that_is_not_a_block() {
        assert_eq!(
            target_of("product").unwrap_err().text,
            "`--score product` is not a block score or a weighted sum of block scores: `fit * engagement` is not a block score times a number"
        );
        assert_eq!(
            target_of("with_let").unwrap_err().text,
            "`--score with_let` is not a block score or a weighted sum of block scores: `k` is not a block score"
        );
        assert_eq!(
            target_of("totl").unwrap_err(),
            Message::new("`--score totl` names no score").help("did you mean `total`?")
        );
    }
}
