//! pest pairs → AST items and literals. Expressions are built in `expr.rs`.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use pest::iterators::{Pair, Pairs};

use super::errors::{bad_date, codes, shorten};
use super::expr::{build_expr, deep_expr};
use super::Rule;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

/// A pest pair.
pub(super) type P<'i> = Pair<'i, Rule>;
/// The result of building a node.
pub(super) type Built<T> = Result<T, Diagnostic>;

/// The byte span of a pair.
pub(super) fn span_of(pair: &P) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

/// An error for a pair shape the grammar does not produce (a bug, reported instead of a panic).
pub(super) fn internal(file: &Arc<SourceFile>, span: Span) -> Diagnostic {
    Diagnostic::error(
        file,
        codes::UNEXPECTED,
        span,
        "this part of the file could not be read",
    )
    .with_help("this is a bug in Scoreline's parser: please report it with this file")
}

/// Walks the children of a pair, with errors that point at the parent when one is missing.
pub(super) struct Children<'i, 'f> {
    pub file: &'f Arc<SourceFile>,
    pub parent: Span,
    pub inner: std::iter::Peekable<Pairs<'i, Rule>>,
}

impl<'i, 'f> Children<'i, 'f> {
    /// The children of `pair`.
    pub fn of(file: &'f Arc<SourceFile>, pair: P<'i>) -> Children<'i, 'f> {
        Children {
            file,
            parent: span_of(&pair),
            inner: pair.into_inner().peekable(),
        }
    }

    /// The next child, which must exist.
    pub fn next(&mut self) -> Built<P<'i>> {
        self.inner
            .next()
            .ok_or_else(|| internal(self.file, self.parent))
    }

    /// The next child if it is `rule`.
    pub fn take(&mut self, rule: Rule) -> Option<P<'i>> {
        if self.peek_rule() == Some(rule) {
            self.inner.next()
        } else {
            None
        }
    }

    /// The next child, which must be `rule`.
    pub fn expect(&mut self, rule: Rule) -> Built<P<'i>> {
        let p = self.next()?;
        if p.as_rule() == rule {
            Ok(p)
        } else {
            Err(internal(self.file, span_of(&p)))
        }
    }

    /// The rule of the next child.
    pub fn peek_rule(&mut self) -> Option<Rule> {
        self.inner.peek().map(|p| p.as_rule())
    }
}

/// The header and items of a stretch of the file that pest read: the whole file (a `file`
/// pair) or what follows a syntax error (a `resume` pair).
#[derive(Default)]
pub(super) struct Stretch {
    pub header: Option<Header>,
    pub items: Vec<Item>,
    /// The header or items that could not be built (a bad date, `a < b < c`…): where each
    /// one is, and its error.
    pub failed: Vec<(Span, Diagnostic)>,
}

/// Builds a stretch from the pairs of a `file` or `resume` rule.
pub(super) fn stretch(file: &Arc<SourceFile>, mut pairs: Pairs<Rule>) -> Stretch {
    let mut out = Stretch::default();
    let Some(top) = pairs.next() else {
        let whole = Span::new(0, file.text.len());
        out.failed.push((whole, internal(file, whole)));
        return out;
    };
    for pair in top.into_inner() {
        let span = span_of(&pair);
        let built = match pair.as_rule() {
            Rule::header => build_header(file, pair).map(|h| out.header = Some(h)),
            Rule::schema => build_schema(file, pair).map(|s| out.items.push(Item::Schema(s))),
            Rule::plugin => build_plugin(file, pair).map(|p| out.items.push(Item::Plugin(p))),
            Rule::let_decl => build_let(file, pair).map(|l| out.items.push(Item::Let(l))),
            Rule::score => build_score(file, pair).map(|s| out.items.push(Item::Score(s))),
            Rule::segment => build_segment(file, pair).map(|s| out.items.push(Item::Segment(s))),
            Rule::EOI | Rule::resume_gap => Ok(()),
            _ => Err(internal(file, span)),
        };
        if let Err(d) = built {
            out.failed.push((span, d));
        }
    }
    out
}

/// An identifier from any of the `*_name` rules.
pub(super) fn ident(pair: &P) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span_of(pair),
    }
}

fn build_header(file: &Arc<SourceFile>, pair: P) -> Built<Header> {
    let mut c = Children::of(file, pair);
    let kw = c.expect(Rule::kw_ruleset)?;
    let name = ident(&c.expect(Rule::ruleset_name)?);
    let title = c.take(Rule::string).map(|p| string(file, &p)).transpose()?;
    let end = title.as_ref().map_or(name.span, |t| t.span);
    Ok(Header {
        span: span_of(&kw).to(end),
        name,
        title,
    })
}

fn build_schema(file: &Arc<SourceFile>, pair: P) -> Built<Schema> {
    let mut c = Children::of(file, pair);
    let kw = c.expect(Rule::kw_schema)?;
    c.expect(Rule::lbrace)?;
    let mut blocks = Vec::new();
    loop {
        let p = c.next()?;
        match p.as_rule() {
            Rule::contact_block | Rule::account_block | Rule::event_block => {
                blocks.push(build_schema_block(file, p)?)
            }
            Rule::rbrace => {
                return Ok(Schema {
                    blocks,
                    span: span_of(&kw).to(span_of(&p)),
                })
            }
            _ => return Err(internal(file, span_of(&p))),
        }
    }
}

fn build_schema_block(file: &Arc<SourceFile>, pair: P) -> Built<SchemaBlock> {
    let rule = pair.as_rule();
    let mut c = Children::of(file, pair);
    let (start, kind) = if rule == Rule::contact_block {
        let kw = span_of(&c.expect(Rule::kw_contact)?);
        (kw, SchemaBlockKind::Contact { keyword: kw })
    } else if rule == Rule::account_block {
        let kw = span_of(&c.expect(Rule::kw_account)?);
        (kw, SchemaBlockKind::Account { keyword: kw })
    } else {
        let kw = span_of(&c.expect(Rule::kw_event)?);
        let name = ident(&c.expect(Rule::event_name)?);
        (kw, SchemaBlockKind::Event { name })
    };
    c.expect(Rule::lbrace)?;
    let mut fields = Vec::new();
    loop {
        let p = c.next()?;
        match p.as_rule() {
            Rule::field => fields.push(build_field(file, p)?),
            Rule::comma => {}
            Rule::rbrace => {
                return Ok(SchemaBlock {
                    kind,
                    fields,
                    span: start.to(span_of(&p)),
                })
            }
            _ => return Err(internal(file, span_of(&p))),
        }
    }
}

fn build_field(file: &Arc<SourceFile>, pair: P) -> Built<FieldDecl> {
    let mut c = Children::of(file, pair);
    let name = ident(&c.expect(Rule::field_name)?);
    c.expect(Rule::colon)?;
    let ty_pair = c.expect(Rule::field_type)?;
    let ty = match ty_pair.as_str() {
        "text" => FieldType::Text,
        "number" => FieldType::Number,
        "bool" => FieldType::Bool,
        "date" => FieldType::Date,
        "list" => FieldType::List,
        _ => return Err(internal(file, span_of(&ty_pair))),
    };
    let mut ty_span = span_of(&ty_pair);
    let question = c.take(Rule::question);
    if let Some(q) = &question {
        ty_span = ty_span.to(span_of(q));
    }
    let from = match c.take(Rule::kw_from) {
        Some(_) => Some(string(file, &c.expect(Rule::string)?)?),
        None => None,
    };
    let end = from.as_ref().map_or(ty_span, |f| f.span);
    Ok(FieldDecl {
        span: name.span.to(end),
        name,
        ty,
        ty_span,
        optional: question.is_some(),
        from,
    })
}

fn build_plugin(file: &Arc<SourceFile>, pair: P) -> Built<PluginDecl> {
    let mut c = Children::of(file, pair);
    let kw = c.expect(Rule::kw_plugin)?;
    let name = ident(&c.expect(Rule::plugin_name)?);
    c.expect(Rule::eq)?;
    let path = string(file, &c.expect(Rule::string)?)?;
    Ok(PluginDecl {
        span: span_of(&kw).to(path.span),
        name,
        path,
    })
}

fn build_let(file: &Arc<SourceFile>, pair: P) -> Built<LetDecl> {
    let mut c = Children::of(file, pair);
    let account = c.take(Rule::kw_account).map(|p| span_of(&p));
    let kw = c.expect(Rule::kw_let)?;
    let name = ident(&c.expect(Rule::let_name)?);
    c.expect(Rule::eq)?;
    let value = build_expr(file, c.expect(Rule::expr)?)?;
    Ok(LetDecl {
        span: account.unwrap_or(span_of(&kw)).to(value.span),
        account,
        name,
        value,
    })
}

fn build_score(file: &Arc<SourceFile>, pair: P) -> Built<ScoreDecl> {
    let mut c = Children::of(file, pair);
    let account = c.take(Rule::kw_account).map(|p| span_of(&p));
    let kw = c.expect(Rule::kw_score)?;
    let name = ident(&c.expect(Rule::score_name)?);
    let label = c.take(Rule::string).map(|p| string(file, &p)).transpose()?;
    let body_pair = c.next()?;
    let (body, end) = match body_pair.as_rule() {
        Rule::score_block => build_score_block(file, body_pair)?,
        Rule::score_expr => {
            let mut b = Children::of(file, body_pair);
            b.expect(Rule::eq)?;
            let value = build_expr(file, b.expect(Rule::expr)?)?;
            let clamp = b
                .take(Rule::clamp)
                .map(|p| build_clamp(file, p))
                .transpose()?;
            let end = clamp.as_ref().map_or(value.span, |c| c.span);
            (ScoreBody::Expr { value, clamp }, end)
        }
        _ => return Err(internal(file, span_of(&body_pair))),
    };
    Ok(ScoreDecl {
        span: account.unwrap_or(span_of(&kw)).to(end),
        account,
        name,
        label,
        body,
    })
}

fn build_score_block(file: &Arc<SourceFile>, pair: P) -> Built<(ScoreBody, Span)> {
    let mut c = Children::of(file, pair);
    c.expect(Rule::lbrace)?;
    let mut clauses = Vec::new();
    loop {
        let p = c.next()?;
        match p.as_rule() {
            Rule::rule_clause => clauses.push(Clause::Rule(build_rule(file, p)?)),
            Rule::each_clause => clauses.push(Clause::Each(build_each(file, p)?)),
            Rule::clamp => clauses.push(Clause::Clamp(build_clamp(file, p)?)),
            Rule::rbrace => return Ok((ScoreBody::Block { clauses }, span_of(&p))),
            _ => return Err(internal(file, span_of(&p))),
        }
    }
}

fn build_rule(file: &Arc<SourceFile>, pair: P) -> Built<RuleClause> {
    let mut c = Children::of(file, pair);
    let kw = c.expect(Rule::kw_rule)?;
    let label = c.take(Rule::string).map(|p| string(file, &p)).transpose()?;
    let condition = match c.take(Rule::kw_when) {
        Some(_) => Some(build_expr(file, c.expect(Rule::expr)?)?),
        None => None,
    };
    c.expect(Rule::arrow)?;
    let points = build_points(file, c.expect(Rule::points)?)?;
    Ok(RuleClause {
        span: span_of(&kw).to(points.span),
        label,
        condition,
        points,
    })
}

fn build_points(file: &Arc<SourceFile>, pair: P) -> Built<Points> {
    let mut c = Children::of(file, pair);
    let plus = c.take(Rule::plus);
    let expr = build_expr(file, c.expect(Rule::expr)?)?;
    let span = match &plus {
        Some(p) => span_of(p).to(expr.span),
        None => expr.span,
    };
    Ok(Points {
        plus: plus.is_some(),
        expr,
        span,
    })
}

fn build_each(file: &Arc<SourceFile>, pair: P) -> Built<EachClause> {
    let mut c = Children::of(file, pair);
    let kw = c.expect(Rule::kw_each)?;
    let filter = build_filter(file, c.expect(Rule::event_filter)?)?;
    c.expect(Rule::arrow)?;
    let points = build_points(file, c.expect(Rule::points)?)?;
    let mut end = points.span;
    let mut options = Vec::new();
    for p in c.inner.by_ref() {
        let span = span_of(&p);
        let rule = p.as_rule();
        let mut o = Children::of(file, p);
        let option = match rule {
            Rule::max_option => {
                o.expect(Rule::kw_max)?;
                let value = signed_number(file, &o.expect(Rule::signed_number)?)?;
                EachOption::Max {
                    span: span.to(value.span),
                    value,
                }
            }
            Rule::decay_option => {
                o.expect(Rule::kw_decay)?;
                let kind_pair = o.next()?;
                let kind = match kind_pair.as_rule() {
                    Rule::kw_half_life => DecayKind::HalfLife,
                    Rule::kw_linear => DecayKind::Linear,
                    _ => return Err(internal(file, span_of(&kind_pair))),
                };
                let duration = duration(file, &o.expect(Rule::duration)?)?;
                EachOption::Decay {
                    kind,
                    span: span.to(duration.span),
                    duration,
                }
            }
            Rule::within_option => {
                o.expect(Rule::kw_within)?;
                let duration = duration(file, &o.expect(Rule::duration)?)?;
                EachOption::Within {
                    span: span.to(duration.span),
                    duration,
                }
            }
            Rule::per_option => {
                o.expect(Rule::kw_per)?;
                let duration = duration(file, &o.expect(Rule::duration)?)?;
                EachOption::Per {
                    span: span.to(duration.span),
                    duration,
                }
            }
            _ => return Err(internal(file, span)),
        };
        end = option.span();
        options.push(option);
    }
    Ok(EachClause {
        span: span_of(&kw).to(end),
        filter,
        points,
        options,
    })
}

/// `TYPE [where COND] [within D]` in an `each` clause.
fn build_filter(file: &Arc<SourceFile>, pair: P) -> Built<EventFilter> {
    let mut c = Children::of(file, pair);
    let event = event_ref(file, c.next()?)?;
    let mut filter = EventFilter {
        span: event.span(),
        event,
        condition: None,
        within: None,
    };
    filter_tail(file, &mut c, &mut filter)?;
    Ok(filter)
}

/// `any` or an event name.
pub(super) fn event_ref(file: &Arc<SourceFile>, pair: P) -> Built<EventRef> {
    match pair.as_rule() {
        Rule::kw_any => Ok(EventRef::Any {
            span: span_of(&pair),
        }),
        Rule::event_name => Ok(EventRef::Named(ident(&pair))),
        _ => Err(internal(file, span_of(&pair))),
    }
}

/// The optional `where COND` and `within D` of a filter; widens the filter's span. Returns
/// the depth of the condition's tree (0 without one).
pub(super) fn filter_tail(
    file: &Arc<SourceFile>,
    c: &mut Children,
    filter: &mut EventFilter,
) -> Built<u32> {
    let mut depth = 0;
    if c.take(Rule::kw_where).is_some() {
        let (cond, d) = deep_expr(file, c.expect(Rule::expr)?)?;
        depth = d;
        filter.span = filter.span.to(cond.span);
        filter.condition = Some(cond);
    }
    if c.take(Rule::kw_within).is_some() {
        let d = duration(file, &c.expect(Rule::duration)?)?;
        filter.span = filter.span.to(d.span);
        filter.within = Some(d);
    }
    Ok(depth)
}

fn build_clamp(file: &Arc<SourceFile>, pair: P) -> Built<Clamp> {
    let mut c = Children::of(file, pair);
    let kw = c.expect(Rule::kw_clamp)?;
    let lo = signed_number(file, &c.expect(Rule::signed_number)?)?;
    c.expect(Rule::dotdot)?;
    let hi = signed_number(file, &c.expect(Rule::signed_number)?)?;
    Ok(Clamp {
        span: span_of(&kw).to(hi.span),
        lo,
        hi,
    })
}

fn build_segment(file: &Arc<SourceFile>, pair: P) -> Built<SegmentDecl> {
    let mut c = Children::of(file, pair);
    let account = c.take(Rule::kw_account).map(|p| span_of(&p));
    let kw = c.expect(Rule::kw_segment)?;
    let name = ident(&c.expect(Rule::segment_name)?);
    c.expect(Rule::lbrace)?;
    let mut arms = Vec::new();
    loop {
        let p = c.next()?;
        match p.as_rule() {
            Rule::arm => arms.push(build_arm(file, p)?),
            Rule::rbrace => {
                return Ok(SegmentDecl {
                    span: account.unwrap_or(span_of(&kw)).to(span_of(&p)),
                    account,
                    name,
                    arms,
                })
            }
            _ => return Err(internal(file, span_of(&p))),
        }
    }
}

fn build_arm(file: &Arc<SourceFile>, pair: P) -> Built<Arm> {
    let mut c = Children::of(file, pair);
    let label = string(file, &c.expect(Rule::string)?)?;
    let mut span = label.span;
    let condition = match c.take(Rule::kw_when) {
        Some(_) => {
            let e = build_expr(file, c.expect(Rule::expr)?)?;
            span = span.to(e.span);
            Some(e)
        }
        None => None,
    };
    let keep = match c.take(Rule::kw_keep) {
        Some(kw) => {
            c.expect(Rule::kw_when)?;
            let e = build_expr(file, c.expect(Rule::expr)?)?;
            span = span.to(e.span);
            Some(Keep {
                span: span_of(&kw).to(e.span),
                condition: e,
            })
        }
        None => None,
    };
    let action = match c.take(Rule::arrow) {
        Some(_) => {
            let s = string(file, &c.expect(Rule::string)?)?;
            span = span.to(s.span);
            Some(s)
        }
        None => None,
    };
    Ok(Arm {
        label,
        condition,
        keep,
        action,
        span,
    })
}

// ---------------------------------------------------------------------------- literals

/// The value of a number literal (`1_000`, `0.5`).
pub(super) fn number_value(file: &Arc<SourceFile>, text: &str, span: Span) -> Built<f64> {
    let parsed = if text.contains('_') {
        text.chars()
            .filter(|&c| c != '_')
            .collect::<String>()
            .parse::<f64>()
    } else {
        text.parse::<f64>()
    };
    match parsed {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(Diagnostic::error(
            file,
            codes::BAD_NUMBER,
            span,
            format!("`{}` is too large a number", shorten(text)),
        )
        .with_help("numbers are 64-bit floats: at most about 1.8e308")),
    }
}

/// A number literal.
pub(super) fn number(file: &Arc<SourceFile>, pair: &P) -> Built<NumLit> {
    let span = span_of(pair);
    Ok(NumLit {
        value: number_value(file, pair.as_str(), span)?,
        span,
    })
}

/// A signed number (`-10`, `+5`, `30`).
pub(super) fn signed_number(file: &Arc<SourceFile>, pair: &P) -> Built<SignedNum> {
    let span = span_of(pair);
    let text = pair.as_str();
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, &text[1..]),
        Some(b'+') => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    Ok(SignedNum {
        value: sign * number_value(file, digits, span)?,
        span,
    })
}

/// A duration literal (`30d`, `12h`, `0.5d`).
pub(super) fn duration(file: &Arc<SourceFile>, pair: &P) -> Built<DurationLit> {
    let span = span_of(pair);
    let text = pair.as_str();
    let (amount, unit) = match text.strip_suffix('d') {
        Some(a) => (a, DurationUnit::Days),
        None => (text.strip_suffix('h').unwrap_or(text), DurationUnit::Hours),
    };
    Ok(DurationLit {
        amount: number_value(file, amount, span)?,
        unit,
        span,
    })
}

/// A date literal, checked against the calendar and RFC 3339.
pub(super) fn date(file: &Arc<SourceFile>, pair: &P) -> Built<DateLit> {
    let span = span_of(pair);
    let text = pair.as_str();
    let millis = if text.len() == 10 {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc().timestamp_millis())
    } else {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|dt| dt.timestamp_millis())
    };
    match millis {
        Some(millis) => Ok(DateLit {
            millis,
            has_time: text.len() > 10,
            span,
        }),
        None => Err(bad_date(file, text, span)),
    }
}

/// A string literal with its escapes resolved.
pub(super) fn string(file: &Arc<SourceFile>, pair: &P) -> Built<StrLit> {
    let span = span_of(pair);
    let raw = pair.as_str();
    let inner = raw
        .get(1..raw.len().saturating_sub(1))
        .ok_or_else(|| internal(file, span))?;
    let mut value = String::with_capacity(inner.len());
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '"')) => value.push('"'),
            Some((_, '\\')) => value.push('\\'),
            Some((_, 'n')) => value.push('\n'),
            Some((_, 't')) => value.push('\t'),
            Some((_, 'u')) => {
                let rest = &inner[i + 2..];
                let close = rest.find('}').ok_or_else(|| internal(file, span))?;
                let hex = rest.get(1..close).unwrap_or("");
                for _ in 0..=close {
                    chars.next();
                }
                let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                match ch {
                    Some(ch) => value.push(ch),
                    None => {
                        let start = span.start as usize + 1 + i;
                        let esc = Span::new(start, start + 2 + close + 1);
                        return Err(Diagnostic::error(
                            file,
                            codes::BAD_ESCAPE,
                            esc,
                            format!("`\\u{{{hex}}}` is not a character"),
                        )
                        .with_help("`\\u{…}` takes the hexadecimal code of a Unicode character, such as `\\u{e9}` for `é`"));
                    }
                }
            }
            _ => return Err(internal(file, span)),
        }
    }
    Ok(StrLit { value, span })
}
