//! What the rules read, found by walking the typed tree: the contact fields, the event types
//! and properties, and every text literal a field or property is compared with, each with
//! the names of the rules it comes from.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use scoreline_engine::typed::{
    self, ClauseKind, EventSel, Expr, ExprKind, Filter, InList, ScoreBody,
};
use scoreline_syntax::ast::{self, BinaryOp};
use scoreline_syntax::SourceFile;

/// Where a compared value comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// A contact field.
    Field(String),
    /// A property of events: of one type (`Some`), or of any type that has it (`None`).
    /// In a file without a schema, a bare name in a filter may also be a contact field.
    Property {
        event: Option<String>,
        name: String,
        or_field: bool,
    },
}

/// A function applied to the value before it is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Transform {
    None,
    Lower,
    Upper,
}

impl Transform {
    /// The value as the rule compares it.
    pub fn apply<'a>(self, text: &'a str) -> std::borrow::Cow<'a, str> {
        match self {
            Transform::None => text.into(),
            Transform::Lower => text.to_lowercase().into(),
            Transform::Upper => text.to_uppercase().into(),
        }
    }
}

/// How a literal is compared.
#[derive(Debug, Clone)]
pub enum Op {
    /// `==`, `!=`, `in`, `not in`, and `"x" in LIST_FIELD`.
    Eq,
    StartsWith,
    EndsWith,
    Contains,
    Matches(Regex),
}

impl Op {
    /// The operator as written.
    pub fn symbol(&self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
            Op::Contains => "contains",
            Op::Matches(_) => "matches",
        }
    }

    /// Whether `value` (already transformed) passes the comparison with `literal`.
    pub fn test(&self, value: &str, literal: &str) -> bool {
        match self {
            Op::Eq => value == literal,
            Op::StartsWith => value.starts_with(literal),
            Op::EndsWith => value.ends_with(literal),
            Op::Contains => value.contains(literal),
            Op::Matches(re) => re.is_match(value),
        }
    }

    fn key(&self) -> (u8, &str) {
        match self {
            Op::Eq => (0, ""),
            Op::StartsWith => (1, ""),
            Op::EndsWith => (2, ""),
            Op::Contains => (3, ""),
            Op::Matches(re) => (4, re.as_str()),
        }
    }
}

/// A text literal the rules compare a field or property with.
#[derive(Debug, Clone)]
pub struct Literal {
    pub subject: Subject,
    pub transform: Transform,
    pub op: Op,
    /// The literal (for `matches`, the pattern).
    pub text: String,
    /// The rules that compare it, in file order.
    pub rules: Vec<String>,
}

/// Everything the rules read.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    /// Contact fields, with the rules that read them.
    pub fields: BTreeMap<String, BTreeSet<String>>,
    /// `(event type or None for any type, property)`, with the rules.
    pub properties: BTreeMap<(Option<String>, String), BTreeSet<String>>,
    /// Event types named by a filter, with the rules.
    pub event_types: BTreeMap<String, BTreeSet<String>>,
    /// Rules with an `any` filter.
    pub any_rules: BTreeSet<String>,
    /// Text literals, in file order, one per subject, operator and text.
    pub literals: Vec<Literal>,
}

impl Reads {
    /// What the typed tree of `ast` reads.
    pub fn of(typed: &typed::RuleFile, ast: &ast::RuleFile, source: &SourceFile) -> Reads {
        let mut reads = Reads::default();
        for item in &typed.items {
            match item {
                typed::Item::Let(l) => {
                    let name = match ast.items.get(l.index) {
                        Some(ast::Item::Let(decl)) => format!("let {}", decl.name.name),
                        _ => "let".to_string(),
                    };
                    reads.expr(&l.value, None, &name);
                }
                typed::Item::Score(s) => match &s.body {
                    ScoreBody::Expr(e) => reads.expr(e, None, &s.name),
                    ScoreBody::Block(clauses) => {
                        for clause in clauses {
                            let rule = clause_name(&s.name, clause, source);
                            match &clause.kind {
                                ClauseKind::Rule { condition, points } => {
                                    if let Some(c) = condition {
                                        reads.expr(c, None, &rule);
                                    }
                                    reads.expr(points, None, &rule);
                                }
                                ClauseKind::Each { filter, points, .. } => {
                                    reads.filter(filter, &rule);
                                    reads.expr(points, Some(&filter.event), &rule);
                                }
                            }
                        }
                    }
                },
                typed::Item::Segment(s) => {
                    for arm in &s.arms {
                        let rule = format!("{} / \"{}\"", s.name, arm.label);
                        for e in arm.condition.iter().chain(&arm.keep) {
                            reads.expr(e, None, &rule);
                        }
                    }
                }
            }
        }
        reads
    }

    fn filter(&mut self, filter: &Filter, rule: &str) {
        match &filter.event {
            EventSel::Any => {
                self.any_rules.insert(rule.to_string());
            }
            EventSel::Named(t) => {
                self.event_types
                    .entry(t.clone())
                    .or_default()
                    .insert(rule.to_string());
            }
        }
        if let Some(c) = &filter.condition {
            self.expr(c, Some(&filter.event), rule);
        }
    }

    fn expr(&mut self, e: &Expr, event: Option<&EventSel>, rule: &str) {
        match &e.kind {
            ExprKind::Field(name) => self.read(&Subject::Field(name.clone()), rule),
            ExprKind::Property(_)
            | ExprKind::PropertyOr { .. }
            | ExprKind::EventProperty { .. } => {
                if let Some(s) = subject(e, event) {
                    self.read(&s.0, rule);
                }
            }
            ExprKind::Aggregate {
                property, filter, ..
            } => {
                self.filter(filter, rule);
                if let Some(p) = property {
                    self.read(&property_of(&filter.event, p, false), rule);
                }
                // The filter's condition was read with its own event type.
                return;
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let op = match op {
                    BinaryOp::Eq | BinaryOp::Ne => Some(Op::Eq),
                    BinaryOp::StartsWith => Some(Op::StartsWith),
                    BinaryOp::EndsWith => Some(Op::EndsWith),
                    BinaryOp::Contains => Some(Op::Contains),
                    _ => None,
                };
                if let Some(op) = op {
                    let symmetric = matches!(op, Op::Eq);
                    if let (Some(s), ExprKind::Text(t)) = (subject(lhs, event), &rhs.kind) {
                        self.literal(s, op, t, rule);
                    } else if let (true, Some(s), ExprKind::Text(t)) =
                        (symmetric, subject(rhs, event), &lhs.kind)
                    {
                        self.literal(s, op, t, rule);
                    }
                }
            }
            ExprKind::Matches { value, pattern } => {
                if let Some(s) = subject(value, event) {
                    self.literal(s, Op::Matches(pattern.clone()), pattern.as_str(), rule);
                }
            }
            ExprKind::In { value, list, .. } => match list {
                InList::Items(items) => {
                    if let Some(s) = subject(value, event) {
                        for item in items {
                            if let ExprKind::Text(t) = &item.kind {
                                self.literal(s.clone(), Op::Eq, t, rule);
                            }
                        }
                    }
                }
                InList::Value(list) => {
                    if let (ExprKind::Text(t), Some(s)) = (&value.kind, subject(list, event)) {
                        self.literal(s, Op::Eq, t, rule);
                    }
                }
            },
            _ => {}
        }
        e.for_each_child(|child| self.expr(child, event, rule));
    }

    fn read(&mut self, subject: &Subject, rule: &str) {
        match subject {
            Subject::Field(name) => {
                self.fields
                    .entry(name.clone())
                    .or_default()
                    .insert(rule.to_string());
            }
            Subject::Property {
                event,
                name,
                or_field,
            } => {
                if name == "at" || name == "type" {
                    return;
                }
                self.properties
                    .entry((event.clone(), name.clone()))
                    .or_default()
                    .insert(rule.to_string());
                if *or_field {
                    self.fields
                        .entry(name.clone())
                        .or_default()
                        .insert(rule.to_string());
                }
            }
        }
    }

    fn literal(
        &mut self,
        (subject, transform): (Subject, Transform),
        op: Op,
        text: &str,
        rule: &str,
    ) {
        let found = self.literals.iter_mut().find(|l| {
            l.subject == subject
                && l.transform == transform
                && l.op.key() == op.key()
                && l.text == text
        });
        match found {
            Some(l) => {
                if !l.rules.iter().any(|r| r == rule) {
                    l.rules.push(rule.to_string());
                }
            }
            None => self.literals.push(Literal {
                subject,
                transform,
                op,
                text: text.to_string(),
                rules: vec![rule.to_string()],
            }),
        }
    }
}

fn property_of(event: &EventSel, name: &str, or_field: bool) -> Subject {
    Subject::Property {
        event: match event {
            EventSel::Any => None,
            EventSel::Named(t) => Some(t.clone()),
        },
        name: name.to_string(),
        or_field,
    }
}

/// The field or property an expression reads, and the function applied to it.
fn subject(e: &Expr, event: Option<&EventSel>) -> Option<(Subject, Transform)> {
    match &e.kind {
        ExprKind::Field(name) => Some((Subject::Field(name.clone()), Transform::None)),
        ExprKind::Property(name) => Some((property_of(event?, name, false), Transform::None)),
        ExprKind::PropertyOr { name, item: None } => {
            Some((property_of(event?, name, true), Transform::None))
        }
        ExprKind::EventProperty { base, name } => match &base.kind {
            ExprKind::Aggregate { filter, .. } => {
                Some((property_of(&filter.event, name, false), Transform::None))
            }
            _ => None,
        },
        ExprKind::Call { function, args } if args.len() == 1 => {
            let transform = match function.name {
                "lower" => Transform::Lower,
                "upper" => Transform::Upper,
                _ => return None,
            };
            let (s, inner) = subject(&args[0], event)?;
            (inner == Transform::None).then_some((s, transform))
        }
        _ => None,
    }
}

/// A clause's name for findings: the score and the clause's label, else its text up to
/// the points.
fn clause_name(score: &str, clause: &typed::Clause, source: &SourceFile) -> String {
    if let Some(label) = &clause.label {
        return format!("{score} / {label}");
    }
    let text = source
        .text
        .get(clause.span.start as usize..clause.span.end as usize)
        .unwrap_or_default();
    let text = text.split("=>").next().unwrap_or(text);
    let words: Vec<&str> = text.split_whitespace().collect();
    format!("{score} / {}", words.join(" "))
}
