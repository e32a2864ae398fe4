//! Expressions on one line with normalised spacing. Parentheses are printed exactly where the
//! author wrote them (the AST keeps them), so the printed text parses back to the same tree.

use crate::ast::{EventFilter, EventRef, Expr, ExprKind, Points, UnaryOp};

use super::literal;

/// Prints expressions of one source text.
pub(crate) struct ExprPrinter<'a> {
    src: &'a str,
}

impl<'a> ExprPrinter<'a> {
    /// A printer reading literals from `src`.
    pub(crate) fn new(src: &'a str) -> ExprPrinter<'a> {
        ExprPrinter { src }
    }

    /// `expr` on one line.
    pub(crate) fn expr(&self, expr: &Expr) -> String {
        let mut out = String::new();
        self.write(&mut out, expr);
        out
    }

    /// What follows `=>`: a plain number gets an explicit sign (`+10`, `-5`).
    pub(crate) fn points(&self, points: &Points) -> String {
        match &points.expr.kind {
            ExprKind::Number(value) => {
                format!("+{}", literal::number(self.src, points.expr.span, *value))
            }
            _ => self.expr(&points.expr),
        }
    }

    /// `TYPE [where COND] [within D]`.
    pub(crate) fn filter(&self, filter: &EventFilter) -> String {
        let mut out = String::new();
        self.write_filter(&mut out, filter, None);
        out
    }

    fn write_filter(&self, out: &mut String, filter: &EventFilter, field: Option<&str>) {
        match &filter.event {
            EventRef::Any { .. } => out.push_str("any"),
            EventRef::Named(name) => out.push_str(&name.name),
        }
        if let Some(field) = field {
            out.push('.');
            out.push_str(field);
        }
        if let Some(condition) = &filter.condition {
            out.push_str(" where ");
            self.write(out, condition);
        }
        if let Some(within) = &filter.within {
            out.push_str(" within ");
            out.push_str(&literal::duration(self.src, within));
        }
    }

    fn write_list(&self, out: &mut String, items: &[Expr]) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.write(out, item);
        }
    }

    fn write(&self, out: &mut String, expr: &Expr) {
        match &expr.kind {
            ExprKind::Number(value) => out.push_str(&literal::number(self.src, expr.span, *value)),
            ExprKind::String(value) => out.push_str(&literal::string(value)),
            ExprKind::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            ExprKind::Date(date) => out.push_str(&literal::date(self.src, date)),
            ExprKind::Duration(duration) => out.push_str(&literal::duration(self.src, duration)),
            ExprKind::List(items) => {
                out.push('[');
                self.write_list(out, items);
                out.push(']');
            }
            ExprKind::Missing => out.push_str("missing"),
            ExprKind::Name(name) => out.push_str(&name.name),
            ExprKind::ContactField(name) => {
                out.push_str("contact.");
                out.push_str(&name.name);
            }
            ExprKind::AccountField(name) => {
                out.push_str("account.");
                out.push_str(&name.name);
            }
            ExprKind::ContactsAggregate {
                function,
                field,
                k,
                condition,
                ..
            } => {
                out.push_str(function.name());
                out.push_str("(contacts");
                if let Some(field) = field {
                    out.push('.');
                    out.push_str(&field.name);
                }
                if let Some(k) = k {
                    out.push_str(", ");
                    out.push_str(&literal::number(self.src, k.span, k.value));
                }
                if let Some(condition) = condition {
                    out.push_str(" where ");
                    self.write(out, condition);
                }
                out.push(')');
            }
            ExprKind::Field { base, name } => {
                self.write(out, base);
                out.push('.');
                out.push_str(&name.name);
            }
            ExprKind::Call { function, args } => {
                out.push_str(&function.name);
                out.push('(');
                self.write_list(out, args);
                out.push(')');
            }
            ExprKind::PluginCall {
                plugin,
                function,
                args,
            } => {
                out.push_str(&plugin.name);
                out.push('.');
                out.push_str(&function.name);
                out.push('(');
                self.write_list(out, args);
                out.push(')');
            }
            ExprKind::Aggregate {
                function,
                field,
                filter,
                ..
            } => {
                out.push_str(function.name());
                out.push('(');
                self.write_filter(out, filter, field.as_ref().map(|f| f.name.as_str()));
                out.push(')');
            }
            ExprKind::Unary { op, operand } => {
                let operand = self.expr(operand);
                match op {
                    UnaryOp::Neg => {
                        out.push('-');
                        // `- -x`, not `--x`: two signs stay two tokens.
                        if operand.starts_with('-') {
                            out.push(' ');
                        }
                    }
                    UnaryOp::Not => out.push_str("not "),
                }
                out.push_str(&operand);
            }
            ExprKind::Binary { op, lhs, rhs, .. } => {
                self.write(out, lhs);
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                self.write(out, rhs);
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                self.write(out, value);
                out.push_str(if *negated { " not in " } else { " in " });
                self.write(out, list);
            }
            ExprKind::Between { value, low, high } => {
                self.write(out, value);
                out.push_str(" between ");
                self.write(out, low);
                out.push_str(" and ");
                self.write(out, high);
            }
            ExprKind::Is { value, present } => {
                self.write(out, value);
                out.push_str(if *present {
                    " is present"
                } else {
                    " is missing"
                });
            }
            ExprKind::Paren(inner) => {
                out.push('(');
                self.write(out, inner);
                out.push(')');
            }
        }
    }
}
