//! The canonical formatter: AST + source text → formatted text, comments kept.
//!
//! The output is a function of the tree, the literal texts and the comments only, so
//! formatting twice gives the same text, and parsing the output gives back the same tree.
//! Expressions are never broken across lines (except a `let` list the author wrote over
//! several lines: one element per line) and parentheses are kept exactly as written.

mod expr;
mod literal;
mod printer;

use crate::ast::{
    Arm, Clamp, Clause, DecayKind, EachOption, Expr, ExprKind, FieldDecl, Item, LetDecl, RuleFile,
    SchemaBlock, SchemaBlockKind, ScoreBody, ScoreDecl, SegmentDecl, Span,
};
use crate::source::SourceFile;

use expr::ExprPrinter;
use printer::Printer;

/// Formats a parsed rule file canonically.
pub fn format(file: &SourceFile, ast: &RuleFile) -> String {
    let mut formatter = Formatter {
        src: &file.text,
        exprs: ExprPrinter::new(&file.text),
        printer: Printer::new(&file.text, &ast.comments),
    };
    formatter.file(ast);
    formatter.printer.finish()
}

/// The width of `text` on screen (wide characters such as `名` take two columns).
fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` followed by spaces up to `column` characters (at least one space).
fn pad(text: &str, column: usize) -> String {
    let spaces = column.saturating_sub(width(text)).max(1);
    format!("{text}{}", " ".repeat(spaces))
}

struct Formatter<'a> {
    src: &'a str,
    exprs: ExprPrinter<'a>,
    printer: Printer<'a>,
}

impl Formatter<'_> {
    fn file(&mut self, ast: &RuleFile) {
        if let Some(header) = &ast.header {
            let mut text = format!("ruleset {}", header.name.name);
            if let Some(title) = &header.title {
                text.push(' ');
                text.push_str(&literal::string(&title.value));
            }
            self.printer.item_gap();
            self.line(0, &text, header.span);
        }
        for item in &ast.items {
            self.printer.item_gap();
            self.item(item);
        }
    }

    fn line(&mut self, depth: usize, text: &str, span: Span) {
        self.printer
            .line(depth, text, span.start as usize, span.end as usize);
    }

    /// Whether a block spanning `span` is empty and can be written `{}` on its header's line.
    fn bare(&self, len: usize, span: Span) -> bool {
        len == 0
            && !self
                .printer
                .has_comment_in(span.start as usize, span.end as usize)
    }

    fn close(&mut self, depth: usize, span: Span) {
        let brace = self.printer.closing('}', span.end as usize);
        self.printer.close(depth, '}', brace);
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Schema(schema) => {
                if self.bare(schema.blocks.len(), schema.span) {
                    self.line(0, "schema {}", schema.span);
                    return;
                }
                let start = schema.span.start as usize;
                self.printer
                    .open(0, "schema {", start, start + "schema".len());
                for block in &schema.blocks {
                    self.schema_block(1, block);
                }
                self.close(0, schema.span);
            }
            Item::Plugin(plugin) => {
                let text = format!(
                    "plugin {} = {}",
                    plugin.name.name,
                    literal::string(&plugin.path.value)
                );
                self.line(0, &text, plugin.span);
            }
            Item::Let(decl) => match &decl.value.kind {
                ExprKind::List(items) if !items.is_empty() && self.spans_lines(decl.value.span) => {
                    self.let_list(decl, items)
                }
                _ => {
                    let text = format!(
                        "{}let {} = {}",
                        level(decl.account),
                        decl.name.name,
                        self.exprs.expr(&decl.value)
                    );
                    self.line(0, &text, decl.span);
                }
            },
            Item::Score(score) => self.score(score),
            Item::Segment(segment) => self.segment(segment),
        }
    }

    /// Whether the author wrote `span` over several lines.
    fn spans_lines(&self, span: Span) -> bool {
        self.src
            .get(span.range())
            .is_some_and(|text| text.contains('\n'))
    }

    /// `let NAME = [ … ]` written over several lines by the author: one element per line, so
    /// that comments about single elements stay beside them.
    fn let_list(&mut self, decl: &LetDecl, items: &[Expr]) {
        let list = decl.value.span;
        let text = format!("{}let {} = [", level(decl.account), decl.name.name);
        self.printer
            .open(0, &text, decl.span.start as usize, list.start as usize + 1);
        for (i, item) in items.iter().enumerate() {
            let mut text = self.exprs.expr(item);
            if i + 1 < items.len() {
                text.push(',');
            }
            self.line(1, &text, item.span);
        }
        let bracket = self.printer.closing(']', list.end as usize);
        self.printer.close(0, ']', bracket);
    }

    fn schema_block(&mut self, depth: usize, block: &SchemaBlock) {
        let (head, head_end) = match &block.kind {
            SchemaBlockKind::Contact { keyword } => ("contact".to_string(), keyword.end),
            SchemaBlockKind::Account { keyword } => ("account".to_string(), keyword.end),
            SchemaBlockKind::Event { name } => (format!("event {}", name.name), name.span.end),
        };
        let one_line = block.fields.len() <= 1
            && !self
                .printer
                .has_comment_in(block.span.start as usize, block.span.end as usize);
        if one_line {
            let text = match block.fields.first() {
                Some(field) => format!("{head} {{ {} }}", field_text(field)),
                None => format!("{head} {{}}"),
            };
            self.line(depth, &text, block.span);
            return;
        }
        self.printer.open(
            depth,
            &format!("{head} {{"),
            block.span.start as usize,
            head_end as usize,
        );
        for field in &block.fields {
            self.line(depth + 1, &field_text(field), field.span);
        }
        self.close(depth, block.span);
    }

    fn score(&mut self, score: &ScoreDecl) {
        let mut head = format!("{}score {}", level(score.account), score.name.name);
        let mut head_end = score.name.span.end;
        if let Some(label) = &score.label {
            head.push(' ');
            head.push_str(&literal::string(&label.value));
            head_end = label.span.end;
        }
        match &score.body {
            ScoreBody::Expr { value, clamp } => {
                let mut text = format!("{head} = {}", self.exprs.expr(value));
                if let Some(clamp) = clamp {
                    text.push(' ');
                    text.push_str(&self.clamp(clamp));
                }
                self.line(0, &text, score.span);
            }
            ScoreBody::Block { clauses } => {
                if self.bare(clauses.len(), score.span) {
                    self.line(0, &format!("{head} {{}}"), score.span);
                    return;
                }
                self.printer.open(
                    0,
                    &format!("{head} {{"),
                    score.span.start as usize,
                    head_end as usize,
                );
                for (text, clause) in self.clause_lines(clauses).iter().zip(clauses) {
                    self.line(1, text, clause.span());
                }
                self.close(0, score.span);
            }
        }
    }

    /// The lines of a score block, `when` of rules and `=>` of all clauses aligned.
    fn clause_lines(&self, clauses: &[Clause]) -> Vec<String> {
        // (text before `when`, condition) for rules; what comes before `=>` for the rest.
        let rule_head = |label: &Option<crate::ast::StrLit>| match label {
            Some(label) => format!("rule {}", literal::string(&label.value)),
            None => "rule".to_string(),
        };
        let when_column = clauses
            .iter()
            .filter_map(|clause| match clause {
                Clause::Rule(rule) if rule.condition.is_some() => {
                    Some(width(&rule_head(&rule.label)) + 1)
                }
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let before_arrow: Vec<Option<String>> = clauses
            .iter()
            .map(|clause| match clause {
                Clause::Rule(rule) => Some(match &rule.condition {
                    Some(condition) => format!(
                        "{}when {}",
                        pad(&rule_head(&rule.label), when_column),
                        self.exprs.expr(condition)
                    ),
                    None => rule_head(&rule.label),
                }),
                Clause::Each(each) => Some(format!("each {}", self.exprs.filter(&each.filter))),
                Clause::Clamp(_) => None,
            })
            .collect();
        let arrow_column = before_arrow
            .iter()
            .flatten()
            .map(|text| width(text) + 1)
            .max()
            .unwrap_or(0);
        clauses
            .iter()
            .zip(before_arrow)
            .map(|(clause, before)| match clause {
                Clause::Rule(rule) => format!(
                    "{}=> {}",
                    pad(before.as_deref().unwrap_or(""), arrow_column),
                    self.exprs.points(&rule.points)
                ),
                Clause::Each(each) => {
                    let mut text = format!(
                        "{}=> {}",
                        pad(before.as_deref().unwrap_or(""), arrow_column),
                        self.exprs.points(&each.points)
                    );
                    for option in &each.options {
                        text.push(' ');
                        text.push_str(&self.each_option(option));
                    }
                    text
                }
                Clause::Clamp(clamp) => self.clamp(clamp),
            })
            .collect()
    }

    fn each_option(&self, option: &EachOption) -> String {
        match option {
            EachOption::Max { value, .. } => {
                format!("max {}", literal::signed(self.src, value.span, value.value))
            }
            EachOption::Decay { kind, duration, .. } => {
                let kind = match kind {
                    DecayKind::HalfLife => "half_life",
                    DecayKind::Linear => "linear",
                };
                format!("decay {kind} {}", literal::duration(self.src, duration))
            }
            EachOption::Within { duration, .. } => {
                format!("within {}", literal::duration(self.src, duration))
            }
            EachOption::Per { duration, .. } => {
                format!("per {}", literal::duration(self.src, duration))
            }
        }
    }

    fn clamp(&self, clamp: &Clamp) -> String {
        format!(
            "clamp {}..{}",
            literal::signed(self.src, clamp.lo.span, clamp.lo.value),
            literal::signed(self.src, clamp.hi.span, clamp.hi.value)
        )
    }

    fn segment(&mut self, segment: &SegmentDecl) {
        let head = format!("{}segment {}", level(segment.account), segment.name.name);
        if self.bare(segment.arms.len(), segment.span) {
            self.line(0, &format!("{head} {{}}"), segment.span);
            return;
        }
        self.printer.open(
            0,
            &format!("{head} {{"),
            segment.span.start as usize,
            segment.name.span.end as usize,
        );
        for (text, arm) in self.arm_lines(&segment.arms).iter().zip(&segment.arms) {
            self.line(1, text, arm.span);
        }
        self.close(0, segment.span);
    }

    /// The lines of a segment, `when` and `=>` of the arms aligned.
    fn arm_lines(&self, arms: &[Arm]) -> Vec<String> {
        let when_column = arms
            .iter()
            .filter(|arm| arm.condition.is_some())
            .map(|arm| width(&literal::string(&arm.label.value)) + 1)
            .max()
            .unwrap_or(0);
        let before_arrow: Vec<String> = arms
            .iter()
            .map(|arm| {
                let label = literal::string(&arm.label.value);
                let text = match &arm.condition {
                    Some(condition) => {
                        format!(
                            "{}when {}",
                            pad(&label, when_column),
                            self.exprs.expr(condition)
                        )
                    }
                    None => label,
                };
                match &arm.keep {
                    Some(keep) => format!("{text} keep when {}", self.exprs.expr(&keep.condition)),
                    None => text,
                }
            })
            .collect();
        let arrow_column = arms
            .iter()
            .zip(&before_arrow)
            .filter(|(arm, _)| arm.action.is_some())
            .map(|(_, text)| width(text) + 1)
            .max()
            .unwrap_or(0);
        arms.iter()
            .zip(before_arrow)
            .map(|(arm, before)| match &arm.action {
                Some(action) => format!(
                    "{}=> {}",
                    pad(&before, arrow_column),
                    literal::string(&action.value)
                ),
                None => before,
            })
            .collect()
    }
}

/// `name: type` or `name: type?`, then `from "Column"` if the field names its column.
fn field_text(field: &FieldDecl) -> String {
    let optional = if field.optional { "?" } else { "" };
    let mut text = format!("{}: {}{optional}", field.name.name, field.ty.keyword());
    if let Some(from) = &field.from {
        text.push_str(" from ");
        text.push_str(&literal::string(&from.value));
    }
    text
}

/// `account ` in front of an account item, nothing in front of a contact item.
fn level(account: Option<Span>) -> &'static str {
    if account.is_some() {
        "account "
    } else {
        ""
    }
}
