//! The answers to the editor's requests, from one [`Analysis`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use lsp_types::{
    CompletionItem, CompletionItemKind, Diagnostic, DiagnosticSeverity, DocumentSymbol,
    Documentation, Hover, HoverContents, Location, MarkupContent, MarkupKind, NumberOrString,
    Position, Range, SymbolKind, TextEdit, Uri, WorkspaceEdit,
};
use scoreline_syntax::ast::{
    Clause, DecayKind, DurationLit, DurationUnit, EachClause, EachOption, Item, RuleClause,
    ScoreBody, ScoreDecl, Span,
};
use scoreline_syntax::parser::RESERVED_WORDS;
use scoreline_syntax::{Severity, SourceFile};

use crate::analysis::Analysis;
use crate::index::{contains, ItemKind, Target};
use crate::text::LineIndex;
use crate::uri;

/// The words that are keywords only where they stand (`max` and `per` after an `each`
/// clause's points, `keep when` on an arm, `from` in a schema field): offered by completion,
/// allowed as names. The reserved words are the parser's (`RESERVED_WORDS`).
const SOFT_WORDS: &[&str] = &["max", "per", "keep", "from"];

const FIELD_TYPES: &[&str] = &["text", "number", "bool", "date", "list"];

const AGGREGATES: &[(&str, &str)] = &[
    (
        "count",
        "count(EVENT [where COND] [within D]): how many matching events",
    ),
    (
        "sum",
        "sum(EVENT.PROPERTY [where COND] [within D]): the total of a number property",
    ),
    (
        "avg",
        "avg(EVENT.PROPERTY …): the average of a number property (missing over none)",
    ),
    (
        "min",
        "min(EVENT.PROPERTY …): the smallest value (missing over none)",
    ),
    (
        "max",
        "max(EVENT.PROPERTY …): the largest value (missing over none)",
    ),
    (
        "first",
        "first(EVENT …): the oldest matching event (missing over none)",
    ),
    (
        "last",
        "last(EVENT …): the most recent matching event (missing over none)",
    ),
];

/// The diagnostics of `check` for this document, and those inside its plugins by file.
pub fn diagnostics(analysis: &Analysis) -> (Vec<Diagnostic>, HashMap<String, Vec<Diagnostic>>) {
    let mut own = Vec::new();
    let mut others: HashMap<String, Vec<Diagnostic>> = HashMap::new();
    let mut plugin_lines: HashMap<String, LineIndex> = HashMap::new();
    for d in &analysis.checked.diagnostics {
        let is_own = Arc::ptr_eq(&d.file, &analysis.source);
        let range = if is_own {
            analysis
                .lines
                .range(analysis.text(), d.span.start as usize, d.span.end as usize)
        } else {
            let lines = plugin_lines
                .entry(d.file.name.clone())
                .or_insert_with(|| LineIndex::new(&d.file.text));
            lines.range(&d.file.text, d.span.start as usize, d.span.end as usize)
        };
        let converted = to_lsp(d, range);
        if is_own {
            own.push(converted);
        } else {
            others
                .entry(uri::from_path(Path::new(&d.file.name)))
                .or_default()
                .push(converted);
        }
    }
    (own, others)
}

/// A diagnostic as the editor shows it: `check`'s message, then its help line.
pub fn to_lsp(d: &scoreline_syntax::Diagnostic, range: Range) -> Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("scoreline".into()),
        message,
        ..Diagnostic::default()
    }
}

/// The whole document formatted as `scoreline fmt` does, as one edit (none when it is
/// already formatted); `Err` when it has syntax errors.
pub fn formatting(analysis: &Analysis) -> Result<Vec<TextEdit>, String> {
    if !analysis.parses {
        return Err("the file has syntax errors: fix them to format it".into());
    }
    let formatted = scoreline_syntax::format::format(&analysis.source, &analysis.tree);
    if formatted == analysis.text() {
        return Ok(Vec::new());
    }
    let end = analysis
        .lines
        .position(analysis.text(), analysis.text().len());
    Ok(vec![TextEdit::new(
        Range::new(Position::new(0, 0), end),
        formatted,
    )])
}

/// What the name or clause at `offset` is.
pub fn hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    let (text, span) = match analysis.index.target_at(offset) {
        Some((target, span)) => (describe(analysis, &target)?, span),
        None => {
            let (text, span) = clause_at(analysis, offset)?;
            (text, span)
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(
            analysis
                .lines
                .range(analysis.text(), span.start as usize, span.end as usize),
        ),
    })
}

fn code(text: &str) -> String {
    format!("```scoreline\n{text}\n```")
}

fn slice(source: &SourceFile, span: Span) -> &str {
    source.slice(span)
}

fn type_of(analysis: &Analysis, name: &str) -> Option<&'static str> {
    let checked = analysis.checked.checked.as_ref()?;
    let ty = checked.types.get(name)?;
    ty.is_known().then(|| ty.name())
}

fn describe(analysis: &Analysis, target: &Target) -> Option<String> {
    let index = &analysis.index;
    match target {
        Target::Item(name) => {
            let def = index.item(name)?;
            let item = analysis.tree.items.get(def.index)?;
            let ty = type_of(analysis, name)
                .map(|t| format!("\n\ntype: {t}"))
                .unwrap_or_default();
            Some(match item {
                Item::Let(l) => format!(
                    "{}{ty}",
                    code(&format!(
                        "let {} = {}",
                        l.name.name,
                        slice(&analysis.source, l.value.span)
                    ))
                ),
                Item::Score(s) => format!("{}{}{ty}", code(&score_head(s)), score_words(s)),
                Item::Segment(s) => {
                    let mut out = code(&format!("segment {}", s.name.name));
                    out.push_str("\n\n");
                    for arm in &s.arms {
                        out.push_str(&format!("- `\"{}\"`", arm.label.value));
                        if let Some(c) = &arm.condition {
                            out.push_str(&format!(" when `{}`", slice(&analysis.source, c.span)));
                        } else {
                            out.push_str(" (everyone else)");
                        }
                        if let Some(k) = &arm.keep {
                            out.push_str(&format!(
                                ", kept while `{}`",
                                slice(&analysis.source, k.condition.span)
                            ));
                        }
                        if let Some(a) = &arm.action {
                            out.push_str(&format!(" → {}", a.value));
                        }
                        out.push('\n');
                    }
                    out
                }
                Item::Plugin(p) => {
                    let mut out = code(&format!("plugin {} = \"{}\"", p.name.name, p.path.value));
                    match analysis.plugin_functions(&p.path.value) {
                        Some(functions) if !functions.is_empty() => {
                            out.push_str("\n\nfunctions:\n");
                            for (f, params) in functions {
                                out.push_str(&format!(
                                    "- `{}.{f}({})`\n",
                                    p.name.name,
                                    params.join(", ")
                                ));
                            }
                        }
                        Some(_) => out.push_str("\n\nno functions"),
                        None => out.push_str("\n\nthe script did not load (see its diagnostic)"),
                    }
                    out
                }
                Item::Schema(_) => return None,
            })
        }
        Target::Field(name) => Some(match index.field(name) {
            Some(f) => format!(
                "{}\n\na contact field{}{}",
                code(&format!(
                    "{}: {}{}",
                    f.name.name,
                    f.ty.keyword(),
                    if f.optional { "?" } else { "" }
                )),
                if f.optional {
                    ", optional: it may be missing"
                } else {
                    ", required: every contact has it"
                },
                column_read(f)
            ),
            None if index.has_schema => {
                format!("`{name}`: not a field of the schema's contact block")
            }
            None => format!(
                "`{name}`: a contact field (without a schema, its type comes from the data)"
            ),
        }),
        Target::Event(name) => Some(match index.event(name) {
            Some(e) => {
                let props: Vec<String> = e
                    .properties
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: {}{}",
                            p.name.name,
                            p.ty.keyword(),
                            if p.optional { "?" } else { "" }
                        )
                    })
                    .collect();
                format!(
                    "{}\n\nan event type; every event also has `at` (date) and `type` (text)",
                    code(&format!("event {} {{ {} }}", e.name, props.join(", ")))
                )
            }
            None => format!("`{name}`: an event type"),
        }),
        Target::Property(event, name) => {
            if name == "at" {
                return Some("`at`: date, when the event happened".into());
            }
            if name == "type" {
                return Some("`type`: text, the event's type".into());
            }
            let found = event.as_ref().and_then(|e| {
                index
                    .event(e)?
                    .properties
                    .iter()
                    .find(|p| &p.name.name == name)
            });
            Some(match (found, event) {
                (Some(p), Some(e)) => format!(
                    "{}\n\na property of `{e}` events{}{}",
                    code(&format!(
                        "{}: {}{}",
                        p.name.name,
                        p.ty.keyword(),
                        if p.optional { "?" } else { "" }
                    )),
                    if p.optional { ", optional" } else { "" },
                    column_read(p)
                ),
                (_, Some(e)) => format!("`{name}`: a property of `{e}` events"),
                (_, None) => format!("`{name}`: an event property"),
            })
        }
        Target::PluginFunction(plugin, function) => {
            let (declared, path) = analysis.plugin_path(plugin)?;
            let functions = analysis.plugin_functions(&declared)?;
            let (_, params) = functions.iter().find(|(f, _)| f == function)?;
            Some(format!(
                "{}\n\nfrom `{}`",
                code(&format!("{plugin}.{function}({})", params.join(", "))),
                path.display()
            ))
        }
        Target::Builtin(name) => {
            if let Some(b) = scoreline_engine::builtins::get(name) {
                return Some(format!(
                    "{}\n\n{}\n\nexample: `{}` gives `{}`",
                    code(b.usage),
                    b.doc,
                    b.example.0,
                    b.example.1
                ));
            }
            let (_, doc) = AGGREGATES.iter().find(|(n, _)| n == name)?;
            Some(code(doc))
        }
    }
}

/// `; read from the column `Number of Employees`` for a field with `from`.
fn column_read(f: &scoreline_syntax::ast::FieldDecl) -> String {
    f.from
        .as_ref()
        .map(|c| format!("; read from the data column `{}`", c.value))
        .unwrap_or_default()
}

fn score_head(s: &ScoreDecl) -> String {
    match &s.label {
        Some(label) => format!("score {} \"{}\"", s.name.name, label.value),
        None => format!("score {}", s.name.name),
    }
}

fn score_words(s: &ScoreDecl) -> String {
    match &s.body {
        ScoreBody::Block { clauses } => {
            let rules = clauses
                .iter()
                .filter(|c| !matches!(c, Clause::Clamp(_)))
                .count();
            let clamp = clauses.iter().find_map(|c| match c {
                Clause::Clamp(c) => Some(format!(
                    ", clamped to {}..{}",
                    num(c.lo.value),
                    num(c.hi.value)
                )),
                _ => None,
            });
            format!(
                "\n\nthe sum of {rules} clause{}{}",
                if rules == 1 { "" } else { "s" },
                clamp.unwrap_or_default()
            )
        }
        ScoreBody::Expr { clamp, .. } => format!(
            "\n\nan expression{}",
            clamp
                .as_ref()
                .map(|c| format!(", clamped to {}..{}", num(c.lo.value), num(c.hi.value)))
                .unwrap_or_default()
        ),
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn duration(d: &DurationLit) -> String {
    let unit = match d.unit {
        DurationUnit::Days => "day",
        DurationUnit::Hours => "hour",
    };
    let amount = num(d.amount);
    if d.amount == 1.0 {
        format!("1 {unit}")
    } else {
        format!("{amount} {unit}s")
    }
}

/// The clause of a score block at `offset`, described in words.
fn clause_at(analysis: &Analysis, offset: usize) -> Option<(String, Span)> {
    for item in &analysis.tree.items {
        let Item::Score(score) = item else { continue };
        let ScoreBody::Block { clauses } = &score.body else {
            continue;
        };
        for clause in clauses {
            if !contains(clause.span(), offset) {
                continue;
            }
            let text = match clause {
                Clause::Rule(rule) => rule_words(analysis, rule),
                Clause::Each(each) => each_words(analysis, each),
                Clause::Clamp(c) => format!(
                    "the score `{}` is kept between {} and {}",
                    score.name.name,
                    num(c.lo.value),
                    num(c.hi.value)
                ),
            };
            return Some((text, clause.span()));
        }
    }
    None
}

fn points(analysis: &Analysis, expr: &scoreline_syntax::ast::Expr, plus: bool) -> String {
    let text = slice(&analysis.source, expr.span);
    if plus {
        format!("+{text}")
    } else {
        text.to_string()
    }
}

fn rule_words(analysis: &Analysis, rule: &RuleClause) -> String {
    let label = rule
        .label
        .as_ref()
        .map(|l| format!("rule \"{}\": ", l.value))
        .unwrap_or_else(|| "rule: ".into());
    let pts = points(analysis, &rule.points.expr, rule.points.plus);
    match &rule.condition {
        Some(c) => format!(
            "{label}**{pts}** points when `{}` holds (0 when it does not or is missing)",
            slice(&analysis.source, c.span)
        ),
        None => format!("{label}**{pts}** points, always"),
    }
}

fn each_words(analysis: &Analysis, each: &EachClause) -> String {
    let pts = points(analysis, &each.points.expr, each.points.plus);
    let mut parts = vec![format!(
        "**{pts}** points for each `{}` event",
        slice(&analysis.source, each.filter.span)
    )];
    if let Some(w) = &each.filter.within {
        parts.push(format!("only events of the last {}", duration(w)));
    }
    for option in &each.options {
        parts.push(match option {
            EachOption::Max { value, .. } => format!("at most {} in all", num(value.value.abs())),
            EachOption::Decay {
                kind: DecayKind::HalfLife,
                duration: d,
                ..
            } => format!(
                "decay: an event's points halve every {} (an event {} old counts half)",
                duration(d),
                duration(d)
            ),
            EachOption::Decay {
                kind: DecayKind::Linear,
                duration: d,
                ..
            } => format!(
                "decay: an event's points fall in a straight line to 0 at {} old",
                duration(d)
            ),
            EachOption::Within { duration: d, .. } => {
                format!("only events of the last {}", duration(d))
            }
            EachOption::Per { duration: d, .. } => format!(
                "at most one event per {} counts (the most recent of each period)",
                duration(d)
            ),
        });
    }
    parts.join("; ")
}

/// Where the name at `offset` is defined.
pub fn definition(analysis: &Analysis, offset: usize) -> Option<Location> {
    let (target, _) = analysis.index.target_at(offset)?;
    if let Target::PluginFunction(plugin, function) = &target {
        let (_, path) = analysis.plugin_path(plugin)?;
        let text = std::fs::read_to_string(&path).ok()?;
        let at = find_function(&text, function)?;
        let lines = LineIndex::new(&text);
        return Some(Location::new(
            uri::parse(&uri::from_path(&path))?,
            lines.range(&text, at, at + function.len()),
        ));
    }
    if let Target::Item(name) = &target {
        // A name that is no item of this file (a typo) has no definition.
        analysis.index.item(name)?;
    }
    let span = analysis.index.definition(&target)?;
    Some(Location::new(
        analysis_uri(analysis)?,
        analysis
            .lines
            .range(analysis.text(), span.start as usize, span.end as usize),
    ))
}

/// The offset of the name in `fn NAME(` in a plugin script.
fn find_function(text: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find("fn ") {
        let start = from + found + 3;
        let rest = text[start..].trim_start();
        let name_at = text.len() - rest.len();
        if rest.starts_with(name)
            && rest[name.len()..].trim_start().starts_with('(')
            && (from + found == 0 || !is_ident(text[..from + found].chars().next_back()))
        {
            return Some(name_at);
        }
        from = start;
    }
    None
}

fn is_ident(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn analysis_uri(analysis: &Analysis) -> Option<Uri> {
    uri::parse(&uri::from_path(Path::new(&analysis.source.name)))
}

/// Every use of the name at `offset` (and its definition when asked).
pub fn references(analysis: &Analysis, offset: usize, declaration: bool) -> Vec<Location> {
    let Some((target, _)) = analysis.index.target_at(offset) else {
        return Vec::new();
    };
    let Some(uri) = analysis_uri(analysis) else {
        return Vec::new();
    };
    let mut spans = analysis.index.uses(&target);
    if declaration {
        if let Some(def) = analysis.index.definition(&target) {
            spans.push(def);
        }
    }
    spans.sort_by_key(|s| (s.start, s.end));
    spans.dedup();
    spans
        .into_iter()
        .map(|s| {
            Location::new(
                uri.clone(),
                analysis
                    .lines
                    .range(analysis.text(), s.start as usize, s.end as usize),
            )
        })
        .collect()
}

/// The item name at `offset`, when it can be renamed.
pub fn prepare_rename(analysis: &Analysis, offset: usize) -> Result<Range, String> {
    match analysis.index.target_at(offset) {
        Some((Target::Item(name), span)) if analysis.index.item(&name).is_some() => Ok(analysis
            .lines
            .range(analysis.text(), span.start as usize, span.end as usize)),
        Some(_) => Err("only lets, scores, segments and plugins can be renamed".into()),
        None => Err("no name here".into()),
    }
}

/// Renames the item at `offset` and every use of it.
pub fn rename(analysis: &Analysis, offset: usize, new_name: &str) -> Result<WorkspaceEdit, String> {
    let Some((Target::Item(name), _)) = analysis.index.target_at(offset) else {
        return Err("only lets, scores, segments and plugins can be renamed".into());
    };
    let def = analysis
        .index
        .item(&name)
        .ok_or_else(|| format!("`{name}` is not declared in this file"))?;
    let mut chars = new_name.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{new_name}` is not a name: use letters, digits and `_`, starting with a letter"
        ));
    }
    if RESERVED_WORDS.contains(&new_name) {
        return Err(format!("`{new_name}` is a keyword of the language"));
    }
    if new_name != name
        && (analysis.index.item(new_name).is_some() || analysis.index.field(new_name).is_some())
    {
        return Err(format!("`{new_name}` is already a name in this file"));
    }
    let uri = analysis_uri(analysis).ok_or("the document has no file path")?;
    let mut spans = analysis.index.uses(&Target::Item(name));
    spans.push(def.name_span);
    spans.sort_by_key(|s| s.start);
    spans.dedup();
    let edits = spans
        .into_iter()
        .map(|s| {
            TextEdit::new(
                analysis
                    .lines
                    .range(analysis.text(), s.start as usize, s.end as usize),
                new_name.to_string(),
            )
        })
        .collect();
    Ok(WorkspaceEdit {
        changes: Some(HashMap::from([(uri, edits)])),
        ..WorkspaceEdit::default()
    })
}

/// The scores, segments, lets, plugins and schema blocks of the file.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be given.
pub fn symbols(analysis: &Analysis) -> Vec<DocumentSymbol> {
    let range = |span: Span| {
        analysis
            .lines
            .range(analysis.text(), span.start as usize, span.end as usize)
    };
    let symbol =
        |name: String, detail: Option<String>, kind, span: Span, selection: Span, children| {
            DocumentSymbol {
                name,
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: range(span),
                selection_range: range(selection),
                children,
            }
        };
    let mut out = Vec::new();
    for item in &analysis.tree.items {
        match item {
            Item::Let(l) => out.push(symbol(
                l.name.name.clone(),
                Some("let".into()),
                SymbolKind::VARIABLE,
                l.span,
                l.name.span,
                None,
            )),
            Item::Score(s) => out.push(symbol(
                s.name.name.clone(),
                s.label.as_ref().map(|l| l.value.clone()),
                SymbolKind::FUNCTION,
                s.span,
                s.name.span,
                None,
            )),
            Item::Segment(s) => {
                let arms = s
                    .arms
                    .iter()
                    .map(|a| {
                        symbol(
                            a.label.value.clone(),
                            a.action.as_ref().map(|x| x.value.clone()),
                            SymbolKind::ENUM_MEMBER,
                            a.span,
                            a.label.span,
                            None,
                        )
                    })
                    .collect();
                out.push(symbol(
                    s.name.name.clone(),
                    Some("segment".into()),
                    SymbolKind::ENUM,
                    s.span,
                    s.name.span,
                    Some(arms),
                ))
            }
            Item::Plugin(p) => out.push(symbol(
                p.name.name.clone(),
                Some(p.path.value.clone()),
                SymbolKind::MODULE,
                p.span,
                p.name.span,
                None,
            )),
            Item::Schema(schema) => {
                let blocks = schema
                    .blocks
                    .iter()
                    .map(|b| {
                        let (name, selection) = match &b.kind {
                            scoreline_syntax::ast::SchemaBlockKind::Contact { keyword } => {
                                ("contact".to_string(), *keyword)
                            }
                            scoreline_syntax::ast::SchemaBlockKind::Account { keyword } => {
                                ("account".to_string(), *keyword)
                            }
                            scoreline_syntax::ast::SchemaBlockKind::Event { name } => {
                                (format!("event {}", name.name), name.span)
                            }
                        };
                        let fields = b
                            .fields
                            .iter()
                            .map(|f| {
                                symbol(
                                    f.name.name.clone(),
                                    Some(format!(
                                        "{}{}",
                                        f.ty.keyword(),
                                        if f.optional { "?" } else { "" }
                                    )),
                                    SymbolKind::FIELD,
                                    f.span,
                                    f.name.span,
                                    None,
                                )
                            })
                            .collect();
                        symbol(
                            name,
                            None,
                            SymbolKind::STRUCT,
                            b.span,
                            selection,
                            Some(fields),
                        )
                    })
                    .collect();
                out.push(symbol(
                    "schema".into(),
                    None,
                    SymbolKind::NAMESPACE,
                    schema.span,
                    Span::new(schema.span.start as usize, schema.span.start as usize + 6),
                    Some(blocks),
                ))
            }
        }
    }
    out
}

/// What may be typed at `offset`.
pub fn completion(analysis: &Analysis, offset: usize) -> Vec<CompletionItem> {
    let text = analysis.text();
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let word_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let head = &before[..word_start];
    let index = &analysis.index;

    // `NAME.` : a plugin's functions, the contact's fields, an event's properties.
    if let Some(owner) = head.strip_suffix('.') {
        let owner_start = owner
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(owner.len(), |(i, _)| i);
        let owner = &owner[owner_start..];
        if owner == "contact" {
            return field_items(analysis);
        }
        if let Some((declared, _)) = analysis.plugin_path(owner) {
            return analysis
                .plugin_functions(&declared)
                .unwrap_or_default()
                .into_iter()
                .map(|(f, params)| CompletionItem {
                    label: f.clone(),
                    kind: Some(CompletionItemKind::FUNCTION),
                    detail: Some(format!("{owner}.{f}({})", params.join(", "))),
                    ..CompletionItem::default()
                })
                .collect();
        }
        if index.event(owner).is_some() {
            return property_items(analysis, Some(owner));
        }
        return Vec::new();
    }

    // After `each` or an aggregate's `(`: the event types.
    let trimmed = head.trim_end();
    let after_event_word = trimmed.ends_with("each")
        && trimmed[..trimmed.len() - 4]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_')
        || AGGREGATES
            .iter()
            .any(|(name, _)| ends_with_call(trimmed, name));
    if after_event_word {
        let mut items: Vec<CompletionItem> = index
            .events
            .iter()
            .map(|e| CompletionItem {
                label: e.name.clone(),
                kind: Some(CompletionItemKind::EVENT),
                detail: Some("event type".into()),
                ..CompletionItem::default()
            })
            .collect();
        items.push(keyword_item("any"));
        return items;
    }

    // After `NAME:` in a schema block: the field types.
    if trimmed.ends_with(':') {
        return FIELD_TYPES
            .iter()
            .map(|t| CompletionItem {
                label: t.to_string(),
                kind: Some(CompletionItemKind::TYPE_PARAMETER),
                ..CompletionItem::default()
            })
            .collect();
    }

    let mut items = Vec::new();
    // Inside the `where` of a filter: that event's properties first.
    if let Some(event) = where_scope(before) {
        items.extend(property_items(analysis, event.as_deref()));
    }
    items.extend(field_items(analysis));
    for def in &index.items {
        let (kind, detail) = match def.kind {
            ItemKind::Let => (CompletionItemKind::VARIABLE, "let"),
            ItemKind::Score => (CompletionItemKind::VALUE, "score"),
            ItemKind::Segment => (CompletionItemKind::ENUM, "segment"),
            ItemKind::Plugin => (CompletionItemKind::MODULE, "plugin"),
        };
        items.push(CompletionItem {
            label: def.name.clone(),
            kind: Some(kind),
            detail: Some(detail.into()),
            ..CompletionItem::default()
        });
    }
    for b in scoreline_engine::builtins::BUILTINS {
        items.push(CompletionItem {
            label: b.name.to_string(),
            kind: Some(CompletionItemKind::FUNCTION),
            detail: Some(b.usage.to_string()),
            documentation: Some(Documentation::String(b.doc.to_string())),
            ..CompletionItem::default()
        });
    }
    for (name, doc) in AGGREGATES {
        if items.iter().any(|i| i.label == *name) {
            continue;
        }
        items.push(CompletionItem {
            label: name.to_string(),
            kind: Some(CompletionItemKind::FUNCTION),
            detail: Some(doc.to_string()),
            ..CompletionItem::default()
        });
    }
    for k in RESERVED_WORDS.iter().chain(SOFT_WORDS) {
        if !items.iter().any(|i| i.label == *k) {
            items.push(keyword_item(k));
        }
    }
    items
}

fn ends_with_call(text: &str, name: &str) -> bool {
    let Some(rest) = text.strip_suffix('(') else {
        return false;
    };
    let rest = rest.trim_end();
    rest.ends_with(name)
        && rest[..rest.len() - name.len()]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_')
}

/// The event whose `where` condition the text before the cursor is in (on this line):
/// `Some(Some(event))`, `Some(None)` for `any`, `None` outside any filter.
fn where_scope(before: &str) -> Option<Option<String>> {
    let at = before.rfind(" where ")?;
    let head = before[..at].trim_end();
    // The event word just before `where`, possibly `EVENT.PROPERTY` in an aggregate.
    let word_start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == '.')
        .last()
        .map(|(i, _)| i)?;
    let word = &head[word_start..];
    let event = word.split('.').next().unwrap_or(word);
    let opener = head[..word_start].trim_end();
    let opens_filter = opener.ends_with("each") || opener.ends_with('(');
    if !opens_filter {
        return None;
    }
    // Closed already: `count(x where y) > 1 and |`.
    if opener.ends_with('(') {
        let depth = before[at..].chars().fold(0i32, |d, c| match c {
            '(' => d + 1,
            ')' => d - 1,
            _ => d,
        });
        if depth < 0 {
            return None;
        }
    }
    Some((event != "any").then(|| event.to_string()))
}

fn keyword_item(k: &str) -> CompletionItem {
    CompletionItem {
        label: k.to_string(),
        kind: Some(CompletionItemKind::KEYWORD),
        ..CompletionItem::default()
    }
}

fn field_items(analysis: &Analysis) -> Vec<CompletionItem> {
    analysis
        .index
        .fields
        .iter()
        .map(|f| CompletionItem {
            label: f.name.name.clone(),
            kind: Some(CompletionItemKind::FIELD),
            detail: Some(format!(
                "contact field: {}{}",
                f.ty.keyword(),
                if f.optional { "?" } else { "" }
            )),
            ..CompletionItem::default()
        })
        .collect()
}

fn property_items(analysis: &Analysis, event: Option<&str>) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = Vec::new();
    for e in &analysis.index.events {
        if event.is_some_and(|name| name != e.name) {
            continue;
        }
        for p in &e.properties {
            if items.iter().any(|i| i.label == p.name.name) {
                continue;
            }
            items.push(CompletionItem {
                label: p.name.name.clone(),
                kind: Some(CompletionItemKind::PROPERTY),
                detail: Some(format!(
                    "{} property: {}{}",
                    e.name,
                    p.ty.keyword(),
                    if p.optional { "?" } else { "" }
                )),
                ..CompletionItem::default()
            });
        }
    }
    for (name, what) in [
        ("at", "date, when the event happened"),
        ("type", "text, the event's type"),
    ] {
        items.push(CompletionItem {
            label: name.into(),
            kind: Some(CompletionItemKind::PROPERTY),
            detail: Some(what.into()),
            ..CompletionItem::default()
        });
    }
    items
}
