//! Expressions: the grammar gives a flat `operand (operator operand)*` sequence; precedence
//! climbing here builds the tree, loosest first as in LANGUAGE.md §4:
//! `??` · `or` · `and` · `not` · comparisons (non-associative) · `+ -` · `* / %` · unary `-`
//! · postfix · primary.
//!
//! Every node's depth is tracked: a tree deeper than [`MAX_EXPR_DEPTH`] is an error, so
//! that no later recursive walk (checking, evaluation, formatting, dropping) can overflow the
//! stack.

use std::iter::Peekable;
use std::sync::Arc;

use super::build::{
    date, duration, event_ref, filter_tail, ident, internal, number, span_of, string, Built,
    Children, P,
};
use super::errors::codes;
use super::{Rule, MAX_EXPR_DEPTH};
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// Binding powers, loosest first.
const BP_COALESCE: u8 = 1;
const BP_OR: u8 = 2;
const BP_AND: u8 = 3;
const BP_COMPARE: u8 = 5;
const BP_ADD: u8 = 6;
const BP_MUL: u8 = 7;
/// The operand of unary minus: only another prefix or an atom.
const BP_NEG_OPERAND: u8 = 8;

/// An infix operator of the flat sequence.
#[derive(Clone, Copy)]
enum Op {
    Binary(BinaryOp),
    In { negated: bool },
    Between,
}

impl Op {
    fn power(self) -> u8 {
        match self {
            Op::Binary(op) => match op {
                BinaryOp::Coalesce => BP_COALESCE,
                BinaryOp::Or => BP_OR,
                BinaryOp::And => BP_AND,
                BinaryOp::Add | BinaryOp::Sub => BP_ADD,
                BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => BP_MUL,
                _ => BP_COMPARE,
            },
            Op::In { .. } | Op::Between => BP_COMPARE,
        }
    }
}

/// An element of the flat sequence.
enum Tok {
    Prefix(UnaryOp, Span),
    /// A primary with its postfixes applied, and its depth.
    Atom(Expr, u32),
    Infix(Op, Span),
    /// `is missing` / `is present`.
    Is(bool, Span),
}

/// An expression with the depth of its tree.
type Deep = (Expr, u32);

/// Builds an expression from an `expr` pair.
pub(super) fn build_expr(file: &Arc<SourceFile>, pair: P) -> Built<Expr> {
    deep_expr(file, pair).map(|(e, _)| e)
}

/// Builds an expression from an `expr` pair, with the depth of its tree.
pub(super) fn deep_expr(file: &Arc<SourceFile>, pair: P) -> Built<Deep> {
    let span = span_of(&pair);
    let mut toks = Vec::new();
    for p in pair.into_inner() {
        if p.as_rule() == Rule::operand {
            operand(file, p, &mut toks)?;
        } else {
            toks.push(operator(file, p)?);
        }
    }
    if let [Tok::Atom(..)] = toks.as_slice() {
        // A lone operand (the most common expression): no operator stacks to set up.
        if let Some(Tok::Atom(e, d)) = toks.pop() {
            return Ok((e, d));
        }
    }
    Climber {
        file,
        toks: toks.into_iter().peekable(),
        end: span,
        operands: Vec::new(),
        pending: Vec::new(),
    }
    .run()
}

/// An infix operator or an `is missing` / `is present` test.
fn operator(file: &Arc<SourceFile>, p: P) -> Built<Tok> {
    let span = span_of(&p);
    if p.as_rule() == Rule::is_test {
        let present = p.into_inner().any(|q| q.as_rule() == Rule::kw_present);
        return Ok(Tok::Is(present, span));
    }
    let text = p.as_str();
    let op = match text {
        "??" => Op::Binary(BinaryOp::Coalesce),
        "==" => Op::Binary(BinaryOp::Eq),
        "!=" => Op::Binary(BinaryOp::Ne),
        "<=" => Op::Binary(BinaryOp::Le),
        ">=" => Op::Binary(BinaryOp::Ge),
        "<" => Op::Binary(BinaryOp::Lt),
        ">" => Op::Binary(BinaryOp::Gt),
        "+" => Op::Binary(BinaryOp::Add),
        "-" => Op::Binary(BinaryOp::Sub),
        "*" => Op::Binary(BinaryOp::Mul),
        "/" => Op::Binary(BinaryOp::Div),
        "%" => Op::Binary(BinaryOp::Rem),
        "or" => Op::Binary(BinaryOp::Or),
        "and" => Op::Binary(BinaryOp::And),
        "matches" => Op::Binary(BinaryOp::Matches),
        "starts_with" => Op::Binary(BinaryOp::StartsWith),
        "ends_with" => Op::Binary(BinaryOp::EndsWith),
        "contains" => Op::Binary(BinaryOp::Contains),
        "in" => Op::In { negated: false },
        "between" => Op::Between,
        _ if text.starts_with("not") && text.ends_with("in") => Op::In { negated: true },
        _ => return Err(internal(file, span)),
    };
    if p.as_rule() != Rule::infix {
        return Err(internal(file, span));
    }
    Ok(Tok::Infix(op, span))
}

fn tok_span(tok: &Tok) -> Span {
    match tok {
        Tok::Prefix(_, s) | Tok::Infix(_, s) | Tok::Is(_, s) => *s,
        Tok::Atom(e, _) => e.span,
    }
}

/// Pushes an operand's prefixes and its primary (with postfixes applied) onto `toks`.
fn operand(file: &Arc<SourceFile>, pair: P, toks: &mut Vec<Tok>) -> Built<()> {
    let mut atom: Option<Deep> = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::prefix => {
                let op = if p.as_str() == "-" {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Not
                };
                toks.push(Tok::Prefix(op, span_of(&p)));
            }
            Rule::field_access => {
                let base = atom.take().ok_or_else(|| internal(file, span_of(&p)))?;
                atom = Some(field_access(file, base, p)?);
            }
            _ => {
                if atom.is_some() {
                    return Err(internal(file, span_of(&p)));
                }
                atom = Some(primary(file, p)?);
            }
        }
    }
    let (e, d) = atom.ok_or_else(|| internal(file, Span::default()))?;
    toks.push(Tok::Atom(e, d));
    Ok(())
}

/// `EXPR.NAME`
fn field_access(file: &Arc<SourceFile>, (base, depth): Deep, p: P) -> Built<Deep> {
    let mut c = Children::of(file, p);
    c.expect(Rule::dot)?;
    let name = ident(&c.expect(Rule::member)?);
    let span = base.span.to(name.span);
    let e = Expr {
        kind: ExprKind::Field {
            base: Box::new(base),
            name,
        },
        span,
    };
    deeper(file, e, depth + 1, span)
}

/// Checks the depth of a new node.
fn deeper(file: &Arc<SourceFile>, e: Expr, depth: u32, at: Span) -> Built<Deep> {
    if depth > MAX_EXPR_DEPTH {
        Err(too_deep(file, at))
    } else {
        Ok((e, depth))
    }
}

fn too_deep(file: &Arc<SourceFile>, at: Span) -> Diagnostic {
    Diagnostic::error(
        file,
        codes::EXPR_TOO_DEEP,
        at,
        "expression is nested too deeply",
    )
    .with_label(format!("more than {MAX_EXPR_DEPTH} levels at this point"))
    .with_help("split it into several `let` items")
}

/// A primary expression.
fn primary(file: &Arc<SourceFile>, pair: P) -> Built<Deep> {
    // Each form has its own function: the recursive path (parentheses, lists, calls) then
    // only goes through small stack frames.
    match pair.as_rule() {
        Rule::paren => paren(file, pair),
        Rule::list | Rule::named => with_args(file, pair),
        Rule::aggregate => aggregate(file, pair),
        Rule::contacts_aggregate => contacts_aggregate(file, pair),
        _ => leaf(file, pair),
    }
}

/// A literal, a name or `contact.NAME`.
fn leaf(file: &Arc<SourceFile>, pair: P) -> Built<Deep> {
    let mut span = span_of(&pair);
    let kind = match pair.as_rule() {
        Rule::number => ExprKind::Number(number(file, &pair)?.value),
        Rule::string => ExprKind::String(string(file, &pair)?.value),
        Rule::kw_true => ExprKind::Bool(true),
        Rule::kw_false => ExprKind::Bool(false),
        Rule::kw_missing => ExprKind::Missing,
        Rule::date => ExprKind::Date(date(file, &pair)?),
        Rule::duration => ExprKind::Duration(duration(file, &pair)?),
        Rule::contact_field => {
            let mut c = Children::of(file, pair);
            let kw = c.expect(Rule::kw_contact)?;
            let name = match c.take(Rule::dot) {
                Some(_) => ident(&c.expect(Rule::member)?),
                None => ident(&kw),
            };
            // The pair's own span may end with whitespace (the optional `.NAME` did not come).
            span = span_of(&kw).to(name.span);
            if name.span == span {
                // `contact` alone: the whole record, a name the engine knows.
                ExprKind::Name(name)
            } else {
                ExprKind::ContactField(name)
            }
        }
        Rule::account_field => {
            let mut c = Children::of(file, pair);
            let kw = c.expect(Rule::kw_account)?;
            let name = match c.take(Rule::dot) {
                Some(_) => ident(&c.expect(Rule::member)?),
                None => ident(&kw),
            };
            span = span_of(&kw).to(name.span);
            if name.span == span {
                // `account` alone: the account's record, a name the engine knows.
                ExprKind::Name(name)
            } else {
                ExprKind::AccountField(name)
            }
        }
        _ => return Err(internal(file, span)),
    };
    Ok((Expr { kind, span }, 1))
}

/// `( EXPR )`
fn paren(file: &Arc<SourceFile>, pair: P) -> Built<Deep> {
    let span = span_of(&pair);
    let mut c = Children::of(file, pair);
    c.expect(Rule::lparen)?;
    let (inner, d) = deep_expr(file, c.expect(Rule::expr)?)?;
    let e = Expr {
        kind: ExprKind::Paren(Box::new(inner)),
        span,
    };
    deeper(file, e, d + 1, span)
}

/// A list `[…]`, a name, a call `f(…)` or a plugin call `p.f(…)`.
fn with_args(file: &Arc<SourceFile>, pair: P) -> Built<Deep> {
    let span = span_of(&pair);
    if pair.as_rule() == Rule::list {
        let (items, d) = expr_list(file, pair.into_inner())?;
        return deeper(
            file,
            Expr {
                kind: ExprKind::List(items),
                span,
            },
            d + 1,
            span,
        );
    }
    let mut c = Children::of(file, pair);
    let first = ident(&c.expect(Rule::name_ref)?);
    let second = match c.take(Rule::dot) {
        Some(_) => Some(ident(&c.expect(Rule::function_name)?)),
        None => None,
    };
    // The pair's own span may end with the whitespace before a `(` that did not come.
    let Some(args) = c.take(Rule::call_args) else {
        let span = first.span;
        return Ok((
            Expr {
                kind: ExprKind::Name(first),
                span,
            },
            1,
        ));
    };
    let span = first.span.to(span_of(&args));
    let (args, d) = expr_list(file, args.into_inner())?;
    let kind = match second {
        None => ExprKind::Call {
            function: first,
            args,
        },
        Some(function) => ExprKind::PluginCall {
            plugin: first,
            function,
            args,
        },
    };
    deeper(file, Expr { kind, span }, d + 1, span)
}

/// The `expr` children of a call or list (brackets and commas skipped), with their depth.
fn expr_list<'i>(
    file: &Arc<SourceFile>,
    pairs: impl Iterator<Item = P<'i>>,
) -> Built<(Vec<Expr>, u32)> {
    let mut items = Vec::new();
    let mut depth = 0;
    for p in pairs {
        if p.as_rule() == Rule::expr {
            let (e, d) = deep_expr(file, p)?;
            depth = depth.max(d);
            items.push(e);
        }
    }
    Ok((items, depth))
}

/// `count(FILTER)`, `sum(TYPE.FIELD where … within …)`, …
fn aggregate(file: &Arc<SourceFile>, pair: P) -> Built<Deep> {
    let span = span_of(&pair);
    let mut c = Children::of(file, pair);
    let name = c.expect(Rule::aggregate_name)?;
    let function = match name.as_str() {
        "count" => Aggregate::Count,
        "sum" => Aggregate::Sum,
        "avg" => Aggregate::Avg,
        "min" => Aggregate::Min,
        "max" => Aggregate::Max,
        "first" => Aggregate::First,
        "last" => Aggregate::Last,
        _ => return Err(internal(file, span_of(&name))),
    };
    c.expect(Rule::lparen)?;
    let event = event_ref(file, c.next()?)?;
    let mut filter = EventFilter {
        span: event.span(),
        event,
        condition: None,
        within: None,
    };
    let field = match c.take(Rule::dot) {
        Some(_) => {
            let f = ident(&c.expect(Rule::member)?);
            filter.span = filter.span.to(f.span);
            Some(f)
        }
        None => None,
    };
    let depth = filter_tail(file, &mut c, &mut filter)? + 1;
    c.expect(Rule::rparen)?;
    let e = Expr {
        kind: ExprKind::Aggregate {
            function,
            function_span: span_of(&name),
            field,
            filter: Box::new(filter),
        },
        span,
    };
    deeper(file, e, depth, span)
}

/// `count(contacts where …)`, `sum(contacts.NAME where …)`, `top_avg(contacts.NAME, K where …)`
fn contacts_aggregate(file: &Arc<SourceFile>, pair: P) -> Built<Deep> {
    let span = span_of(&pair);
    let mut c = Children::of(file, pair);
    let name = c.expect(Rule::contacts_agg_name)?;
    let Some(function) = ContactsAggregate::from_name(name.as_str()) else {
        return Err(internal(file, span_of(&name)));
    };
    c.expect(Rule::lparen)?;
    let contacts_span = span_of(&c.expect(Rule::kw_contacts)?);
    let field = match c.take(Rule::dot) {
        Some(_) => Some(ident(&c.expect(Rule::member)?)),
        None => None,
    };
    let k = match c.take(Rule::comma) {
        Some(_) => Some(number(file, &c.expect(Rule::number)?)?),
        None => None,
    };
    let (condition, depth) = match c.take(Rule::kw_where) {
        Some(_) => {
            let (e, d) = deep_expr(file, c.expect(Rule::expr)?)?;
            (Some(Box::new(e)), d)
        }
        None => (None, 0),
    };
    c.expect(Rule::rparen)?;
    let e = Expr {
        kind: ExprKind::ContactsAggregate {
            function,
            function_span: span_of(&name),
            contacts_span,
            field,
            k,
            condition,
        },
        span,
    };
    deeper(file, e, depth + 1, span)
}

/// An operator waiting on the stack for its right operand to be complete.
enum Pending {
    Prefix(UnaryOp, Span),
    Infix(Op, Span),
    /// `between` whose lower bound is being read (a barrier: it ends at the `and`).
    BetweenLow(Span),
    /// `between … and` whose upper bound is being read.
    BetweenHigh,
}

impl Pending {
    /// How tightly the operator holds its right operand: it is applied (reduced) when an
    /// operator of this power or looser arrives.
    fn power(&self) -> u8 {
        match self {
            // `not` takes comparisons and everything tighter; `-` only an atom.
            Pending::Prefix(UnaryOp::Not, _) => BP_COMPARE - 1,
            Pending::Prefix(UnaryOp::Neg, _) => BP_NEG_OPERAND,
            Pending::Infix(op, _) => op.power(),
            Pending::BetweenLow(_) => u8::MAX,
            Pending::BetweenHigh => BP_COMPARE,
        }
    }
}

/// An operand on the stack: the expression, its depth, and whether it is a bare comparison
/// (so that `a < b < c` can be refused).
struct Operand {
    expr: Expr,
    depth: u32,
    comparison: bool,
}

/// Operator-precedence parsing with explicit stacks (no recursion, whatever the input).
struct Climber<'f> {
    file: &'f Arc<SourceFile>,
    toks: Peekable<std::vec::IntoIter<Tok>>,
    /// The span of the whole expression (for errors at its end).
    end: Span,
    operands: Vec<Operand>,
    pending: Vec<Pending>,
}

impl Climber<'_> {
    fn run(mut self) -> Built<Deep> {
        let mut want_operand = true;
        while let Some(tok) = self.toks.next() {
            match (want_operand, tok) {
                (true, Tok::Prefix(op, span)) => self.pending.push(Pending::Prefix(op, span)),
                (true, Tok::Atom(expr, depth)) => {
                    self.operands.push(Operand {
                        expr,
                        depth,
                        comparison: false,
                    });
                    want_operand = false;
                }
                (false, Tok::Infix(op, span)) => {
                    let power = op.power();
                    self.reduce_while(power)?;
                    if let Some(Pending::BetweenLow(_)) = self.pending.last() {
                        if power < BP_ADD {
                            // The lower bound ends here: only `and` may follow.
                            if !matches!(op, Op::Binary(BinaryOp::And)) {
                                return Err(self.between_without_and(span));
                            }
                            self.pending.pop();
                            self.pending.push(Pending::BetweenHigh);
                            want_operand = true;
                            continue;
                        }
                    }
                    if power == BP_COMPARE {
                        self.refuse_chain(span)?;
                    }
                    self.pending.push(match op {
                        Op::Between => Pending::BetweenLow(span),
                        op => Pending::Infix(op, span),
                    });
                    want_operand = true;
                }
                (false, Tok::Is(present, span)) => {
                    self.reduce_while(BP_COMPARE)?;
                    if let Some(Pending::BetweenLow(_)) = self.pending.last() {
                        return Err(self.between_without_and(span));
                    }
                    self.refuse_chain(span)?;
                    let Some(value) = self.operands.pop() else {
                        return Err(internal(self.file, span));
                    };
                    let whole = value.expr.span.to(span);
                    let expr = Expr {
                        kind: ExprKind::Is {
                            value: Box::new(value.expr),
                            present,
                        },
                        span: whole,
                    };
                    self.push(expr, value.depth + 1, true, span)?;
                }
                (_, tok) => return Err(internal(self.file, tok_span(&tok))),
            }
        }
        if want_operand {
            return Err(internal(self.file, self.end));
        }
        self.reduce_while(0)?;
        if let Some(Pending::BetweenLow(_)) = self.pending.last() {
            let end = self.end.end as usize;
            return Err(self.between_without_and(Span::new(end, end)));
        }
        match (
            self.operands.pop(),
            self.operands.is_empty(),
            self.pending.is_empty(),
        ) {
            (Some(op), true, true) => Ok((op.expr, op.depth)),
            _ => Err(internal(self.file, self.end)),
        }
    }

    /// Applies the pending operators that hold their operand at least as tightly as `power`.
    fn reduce_while(&mut self, power: u8) -> Built<()> {
        while self.pending.last().is_some_and(|p| p.power() >= power)
            && !matches!(self.pending.last(), Some(Pending::BetweenLow(_)))
        {
            let Some(p) = self.pending.pop() else { break };
            self.reduce(p)?;
        }
        Ok(())
    }

    fn pop_operand(&mut self) -> Built<Operand> {
        self.operands
            .pop()
            .ok_or_else(|| internal(self.file, self.end))
    }

    /// Applies one operator to the operands on top of the stack.
    fn reduce(&mut self, pending: Pending) -> Built<()> {
        match pending {
            Pending::Prefix(op, op_span) => {
                let operand = self.pop_operand()?;
                let span = op_span.to(operand.expr.span);
                let expr = Expr {
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand.expr),
                    },
                    span,
                };
                self.push(expr, operand.depth + 1, false, op_span)
            }
            Pending::Infix(op, op_span) => {
                let rhs = self.pop_operand()?;
                let lhs = self.pop_operand()?;
                let span = lhs.expr.span.to(rhs.expr.span);
                let depth = lhs.depth.max(rhs.depth) + 1;
                let kind = match op {
                    Op::Binary(op) => ExprKind::Binary {
                        op,
                        op_span,
                        lhs: Box::new(lhs.expr),
                        rhs: Box::new(rhs.expr),
                    },
                    Op::In { negated } => ExprKind::In {
                        value: Box::new(lhs.expr),
                        list: Box::new(rhs.expr),
                        negated,
                    },
                    Op::Between => return Err(internal(self.file, op_span)),
                };
                let comparison = op.power() == BP_COMPARE;
                self.push(Expr { kind, span }, depth, comparison, op_span)
            }
            Pending::BetweenHigh => {
                let high = self.pop_operand()?;
                let low = self.pop_operand()?;
                let value = self.pop_operand()?;
                let span = value.expr.span.to(high.expr.span);
                let depth = value.depth.max(low.depth).max(high.depth) + 1;
                let expr = Expr {
                    kind: ExprKind::Between {
                        value: Box::new(value.expr),
                        low: Box::new(low.expr),
                        high: Box::new(high.expr),
                    },
                    span,
                };
                self.push(expr, depth, true, span)
            }
            Pending::BetweenLow(span) => Err(internal(self.file, span)),
        }
    }

    /// Pushes a new node, refusing trees deeper than [`MAX_EXPR_DEPTH`].
    fn push(&mut self, expr: Expr, depth: u32, comparison: bool, at: Span) -> Built<()> {
        if depth > MAX_EXPR_DEPTH {
            return Err(too_deep(self.file, at));
        }
        self.operands.push(Operand {
            expr,
            depth,
            comparison,
        });
        Ok(())
    }

    /// Refuses a comparison whose left operand is itself a bare comparison.
    fn refuse_chain(&self, at: Span) -> Built<()> {
        if self.operands.last().is_some_and(|o| o.comparison) {
            return Err(Diagnostic::error(
                self.file,
                codes::CHAINED_COMPARISON,
                at,
                "comparisons cannot be chained",
            )
            .with_label("a second comparison")
            .with_help("combine them with `and`, as in `a < b and b < c`, or add parentheses"));
        }
        Ok(())
    }

    fn between_without_and(&self, at: Span) -> Diagnostic {
        let low = self
            .operands
            .last()
            .map(|o| self.file.slice(o.expr.span))
            .unwrap_or("1");
        Diagnostic::error(
            self.file,
            codes::BETWEEN_WITHOUT_AND,
            at,
            "expected `and` after the lower bound of `between`",
        )
        .with_label("`and` expected here")
        .with_help(format!("write both bounds, as in `between {low} and 100`"))
    }
}
