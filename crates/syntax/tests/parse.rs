//! Parser tests: folder-driven snapshots of valid files (a readable AST dump) and of syntax
//! errors (the rendered diagnostic), precedence unit tests, and robustness against
//! pathological input (deep nesting, long chains, huge files, junk).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scoreline_syntax::ast::*;
use scoreline_syntax::parser::parse_recovering;
use scoreline_syntax::{parse, Diagnostic, SourceFile};

fn source(name: &str, text: &str) -> Arc<SourceFile> {
    Arc::new(SourceFile::new(name, text))
}

fn parse_ok(text: &str) -> RuleFile {
    match parse(&source("test.score", text)) {
        Ok(ast) => ast,
        Err(ds) => panic!(
            "unexpected error:\n{}",
            scoreline_syntax::diagnostic::render(&ds)
        ),
    }
}

fn parse_err(text: &str) -> Diagnostic {
    match parse(&source("test.score", text)) {
        Ok(_) => panic!(
            "expected a syntax error for {:?}",
            text.chars().take(200).collect::<String>()
        ),
        Err(mut ds) => {
            assert_eq!(ds.len(), 1, "one diagnostic per syntax error");
            ds.remove(0)
        }
    }
}

// ---------------------------------------------------------------------------- AST dump

/// An indented dump of the AST: one node a line, with its span and the text it covers.
struct Dump<'a> {
    text: &'a str,
    out: String,
}

impl Dump<'_> {
    fn line(&mut self, depth: usize, label: &str, span: Span) {
        let slice = self.text.get(span.range()).unwrap_or("<bad span>");
        if label != "file" {
            assert_eq!(
                slice.trim(),
                slice,
                "{label}: a span must not start or end with blanks"
            );
        }
        let shown = if slice.contains('\n') || slice.chars().count() > 60 {
            let head: String = slice.chars().take(24).collect();
            let tail: Vec<char> = slice.chars().rev().take(12).collect();
            let tail: String = tail.into_iter().rev().collect();
            format!("{head} … {tail}")
        } else {
            slice.to_string()
        }
        .replace('\n', "⏎");
        let _ = writeln!(
            self.out,
            "{}{label} @{}..{} ‹{shown}›",
            "  ".repeat(depth),
            span.start,
            span.end
        );
    }

    fn file(&mut self, f: &RuleFile) {
        self.line(0, "file", f.span);
        for c in &f.comments {
            self.line(1, &format!("comment {:?}", c.text), c.span);
        }
        if let Some(h) = &f.header {
            self.line(1, &format!("ruleset {}", h.name.name), h.span);
            self.ident(2, "name", &h.name);
            if let Some(t) = &h.title {
                self.str_lit(2, "title", t);
            }
        }
        for item in &f.items {
            self.item(1, item);
        }
    }

    fn ident(&mut self, d: usize, role: &str, id: &Ident) {
        self.line(d, &format!("{role} {}", id.name), id.span);
    }

    fn str_lit(&mut self, d: usize, role: &str, s: &StrLit) {
        self.line(d, &format!("{role} {:?}", s.value), s.span);
    }

    fn item(&mut self, d: usize, item: &Item) {
        match item {
            Item::Schema(s) => {
                self.line(d, "schema", s.span);
                for b in &s.blocks {
                    match &b.kind {
                        SchemaBlockKind::Contact { keyword } => {
                            self.line(d + 1, "contact", b.span);
                            self.line(d + 2, "keyword", *keyword);
                        }
                        SchemaBlockKind::Account { keyword } => {
                            self.line(d + 1, "account", b.span);
                            self.line(d + 2, "keyword", *keyword);
                        }
                        SchemaBlockKind::Event { name } => {
                            self.line(d + 1, &format!("event {}", name.name), b.span);
                            self.ident(d + 2, "name", name);
                        }
                    }
                    for f in &b.fields {
                        let opt = if f.optional { " optional" } else { "" };
                        self.line(
                            d + 2,
                            &format!("field {}: {}{opt}", f.name.name, f.ty.keyword()),
                            f.span,
                        );
                        self.line(d + 3, "type", f.ty_span);
                        if let Some(from) = &f.from {
                            self.str_lit(d + 3, "from", from);
                        }
                    }
                }
            }
            Item::Plugin(p) => {
                self.line(d, &format!("plugin {}", p.name.name), p.span);
                self.ident(d + 1, "name", &p.name);
                self.str_lit(d + 1, "path", &p.path);
            }
            Item::Let(l) => {
                self.line(d, &format!("let {}", l.name.name), l.span);
                self.ident(d + 1, "name", &l.name);
                self.expr(d + 1, &l.value);
            }
            Item::Score(s) => {
                self.line(d, &format!("score {}", s.name.name), s.span);
                self.ident(d + 1, "name", &s.name);
                if let Some(l) = &s.label {
                    self.str_lit(d + 1, "label", l);
                }
                match &s.body {
                    ScoreBody::Block { clauses } => {
                        for c in clauses {
                            self.clause(d + 1, c);
                        }
                    }
                    ScoreBody::Expr { value, clamp } => {
                        self.expr(d + 1, value);
                        if let Some(c) = clamp {
                            self.clamp(d + 1, c);
                        }
                    }
                }
            }
            Item::Segment(s) => {
                self.line(d, &format!("segment {}", s.name.name), s.span);
                self.ident(d + 1, "name", &s.name);
                for arm in &s.arms {
                    self.line(d + 1, &format!("arm {:?}", arm.label.value), arm.span);
                    if let Some(c) = &arm.condition {
                        self.line(d + 2, "when", c.span);
                        self.expr(d + 3, c);
                    }
                    if let Some(k) = &arm.keep {
                        self.line(d + 2, "keep when", k.span);
                        self.expr(d + 3, &k.condition);
                    }
                    if let Some(a) = &arm.action {
                        self.str_lit(d + 2, "action", a);
                    }
                }
            }
        }
    }

    fn clamp(&mut self, d: usize, c: &Clamp) {
        self.line(
            d,
            &format!("clamp {} .. {}", c.lo.value, c.hi.value),
            c.span,
        );
        self.line(d + 1, "lo", c.lo.span);
        self.line(d + 1, "hi", c.hi.span);
    }

    fn points(&mut self, d: usize, p: &Points) {
        let plus = if p.plus { " (+)" } else { "" };
        self.line(d, &format!("points{plus}"), p.span);
        self.expr(d + 1, &p.expr);
    }

    fn duration(&mut self, d: usize, role: &str, l: &DurationLit) {
        self.line(
            d,
            &format!("{role} {} {:?} = {} days", l.amount, l.unit, l.days()),
            l.span,
        );
    }

    fn filter(&mut self, d: usize, f: &EventFilter) {
        let event = match &f.event {
            EventRef::Any { .. } => "any".to_string(),
            EventRef::Named(id) => id.name.clone(),
        };
        self.line(d, &format!("filter {event}"), f.span);
        self.line(d + 1, "event", f.event.span());
        if let Some(c) = &f.condition {
            self.line(d + 1, "where", c.span);
            self.expr(d + 2, c);
        }
        if let Some(w) = &f.within {
            self.duration(d + 1, "within", w);
        }
    }

    fn clause(&mut self, d: usize, c: &Clause) {
        match c {
            Clause::Rule(r) => {
                let label = r.label.as_ref().map(|l| format!(" {:?}", l.value));
                self.line(d, &format!("rule{}", label.unwrap_or_default()), r.span);
                if let Some(l) = &r.label {
                    self.str_lit(d + 1, "label", l);
                }
                if let Some(cond) = &r.condition {
                    self.line(d + 1, "when", cond.span);
                    self.expr(d + 2, cond);
                }
                self.points(d + 1, &r.points);
            }
            Clause::Each(e) => {
                self.line(d, "each", e.span);
                self.filter(d + 1, &e.filter);
                self.points(d + 1, &e.points);
                for o in &e.options {
                    match o {
                        EachOption::Max { value, span } => {
                            self.line(d + 1, &format!("max {}", value.value), *span);
                            self.line(d + 2, "value", value.span);
                        }
                        EachOption::Decay {
                            kind,
                            duration,
                            span,
                        } => {
                            self.line(d + 1, &format!("decay {kind:?}"), *span);
                            self.duration(d + 2, "duration", duration);
                        }
                        EachOption::Within { duration, span } => {
                            self.line(d + 1, "within", *span);
                            self.duration(d + 2, "duration", duration);
                        }
                        EachOption::Per { duration, span } => {
                            self.line(d + 1, "per", *span);
                            self.duration(d + 2, "duration", duration);
                        }
                    }
                }
            }
            Clause::Clamp(c) => self.clamp(d, c),
        }
    }

    fn expr(&mut self, d: usize, e: &Expr) {
        let s = e.span;
        match &e.kind {
            ExprKind::Number(n) => self.line(d, &format!("number {n}"), s),
            ExprKind::String(v) => self.line(d, &format!("string {v:?}"), s),
            ExprKind::Bool(b) => self.line(d, &format!("bool {b}"), s),
            ExprKind::Date(l) => {
                self.line(
                    d,
                    &format!("date millis={} has_time={}", l.millis, l.has_time),
                    s,
                );
                assert_eq!(l.span, s);
            }
            ExprKind::Duration(l) => {
                self.duration(d, "duration", l);
                assert_eq!(l.span, s);
            }
            ExprKind::List(items) => {
                self.line(d, "list", s);
                for i in items {
                    self.expr(d + 1, i);
                }
            }
            ExprKind::Missing => self.line(d, "missing", s),
            ExprKind::Name(id) => {
                self.line(d, &format!("name {}", id.name), s);
                assert_eq!(id.span, s);
            }
            ExprKind::ContactField(id) => {
                self.line(d, &format!("contact.{}", id.name), s);
                self.ident(d + 1, "field", id);
            }
            ExprKind::AccountField(id) => {
                self.line(d, &format!("account.{}", id.name), s);
                self.ident(d + 1, "field", id);
            }
            ExprKind::ContactsAggregate {
                function,
                function_span,
                contacts_span,
                field,
                k,
                condition,
            } => {
                self.line(d, &format!("contacts aggregate {}", function.name()), s);
                self.line(d + 1, "function", *function_span);
                self.line(d + 1, "contacts", *contacts_span);
                if let Some(f) = field {
                    self.ident(d + 1, "field", f);
                }
                if let Some(k) = k {
                    self.line(d + 1, &format!("k {}", k.value), k.span);
                }
                if let Some(c) = condition {
                    self.expr(d + 1, c);
                }
            }
            ExprKind::Field { base, name } => {
                self.line(d, &format!("field .{}", name.name), s);
                self.expr(d + 1, base);
                self.ident(d + 1, "name", name);
            }
            ExprKind::Call { function, args } => {
                self.line(d, &format!("call {}", function.name), s);
                self.ident(d + 1, "function", function);
                for a in args {
                    self.expr(d + 1, a);
                }
            }
            ExprKind::PluginCall {
                plugin,
                function,
                args,
            } => {
                self.line(
                    d,
                    &format!("plugin call {}.{}", plugin.name, function.name),
                    s,
                );
                self.ident(d + 1, "plugin", plugin);
                self.ident(d + 1, "function", function);
                for a in args {
                    self.expr(d + 1, a);
                }
            }
            ExprKind::Aggregate {
                function,
                function_span,
                field,
                filter,
            } => {
                self.line(d, &format!("aggregate {}", function.name()), s);
                self.line(d + 1, "function", *function_span);
                if let Some(f) = field {
                    self.ident(d + 1, "field", f);
                }
                self.filter(d + 1, filter);
            }
            ExprKind::Unary { op, operand } => {
                self.line(d, &format!("unary {op:?}"), s);
                self.expr(d + 1, operand);
            }
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => {
                self.line(d, &format!("binary {}", op.symbol()), s);
                self.line(d + 1, "op", *op_span);
                self.expr(d + 1, lhs);
                self.expr(d + 1, rhs);
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                self.line(d, if *negated { "not in" } else { "in" }, s);
                self.expr(d + 1, value);
                self.expr(d + 1, list);
            }
            ExprKind::Between { value, low, high } => {
                self.line(d, "between", s);
                self.expr(d + 1, value);
                self.expr(d + 1, low);
                self.expr(d + 1, high);
            }
            ExprKind::Is { value, present } => {
                self.line(d, if *present { "is present" } else { "is missing" }, s);
                self.expr(d + 1, value);
            }
            ExprKind::Paren(inner) => {
                self.line(d, "paren", s);
                self.expr(d + 1, inner);
            }
        }
    }
}

fn dump(text: &str, ast: &RuleFile) -> String {
    let mut d = Dump {
        text,
        out: String::new(),
    };
    d.file(ast);
    d.out
}

#[test]
fn valid_cases() {
    insta::glob!("cases/parse/*.score", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let ast = parse_ok(&text);
        assert_eq!(ast.span, Span::new(0, text.len()));
        insta::assert_snapshot!(dump(&text, &ast));
    });
}

#[test]
fn syntax_error_cases() {
    insta::glob!("cases/syntax_errors/*.score", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let ds = match parse(&source(&name, &text)) {
            Ok(_) => panic!("{name} should not parse"),
            Err(ds) => ds,
        };
        assert_eq!(ds.len(), 1, "{name}: one diagnostic per syntax error");
        let d = &ds[0];
        assert!(d.code.starts_with("E00"), "{name}: code {}", d.code);
        insta::assert_snapshot!(d.render());
    });
}

/// Files with several broken items: every error, in order, then what was still read and what
/// was skipped (so that a case shows which items the checker will see).
#[test]
fn several_syntax_errors_cases() {
    insta::glob!("cases/syntax_errors_many/*.score", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let file = source(&name, &text);
        let parsed = parse_recovering(&file);
        assert!(parsed.errors.len() >= 2, "{name}: several errors expected");
        for pair in parsed.errors.windows(2) {
            assert!(
                pair[0].span.start <= pair[1].span.start,
                "{name}: in file order"
            );
            assert_ne!(
                pair[0].message, pair[1].message,
                "{name}: an error repeated"
            );
        }
        // `parse` reports the same errors.
        let Err(all) = parse(&file) else {
            panic!("{name} should not parse")
        };
        assert_eq!(all.len(), parsed.errors.len());
        let mut out = String::new();
        for item in &parsed.file.items {
            let (word, id) = match item {
                Item::Schema(_) => ("schema", None),
                Item::Plugin(p) => ("plugin", Some(&p.name)),
                Item::Let(l) => ("let", Some(&l.name)),
                Item::Score(s) => ("score", Some(&s.name)),
                Item::Segment(s) => ("segment", Some(&s.name)),
            };
            let at = file.line_col(item.span().start as usize);
            let name = id.map(|i| format!(" {}", i.name)).unwrap_or_default();
            let _ = writeln!(out, "read:    {word}{name} (line {})", at.line);
        }
        for s in &parsed.skipped {
            let from = file.line_col(s.span.start as usize);
            let to = file.line_col(s.span.end as usize);
            let word = s.keyword.unwrap_or("(no item word)");
            let name = s
                .name
                .as_ref()
                .map(|i| format!(" {}", i.name))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "skipped: {word}{name} (line {} to line {}:{})",
                from.line, to.line, to.column
            );
        }
        out.push('\n');
        out.push_str(&scoreline_syntax::diagnostic::render(&parsed.errors));
        insta::assert_snapshot!(out);
    });
}

#[test]
fn a_file_without_errors_reads_the_same_with_recovery() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cases/parse/language_example.score"
    ))
    .unwrap();
    let file = source("x.score", &text);
    let parsed = parse_recovering(&file);
    assert!(parsed.errors.is_empty() && parsed.skipped.is_empty());
    assert_eq!(parsed.file, parse(&file).unwrap());
}

#[test]
fn items_around_a_broken_one_keep_their_spans() {
    // Spans after the skipped part are the file's offsets, not offsets in what was re-read.
    let text = "let a = 1\nlet b = (\nscore c \"C\" = a + 2\n";
    let parsed = parse_recovering(&source("t.score", text));
    assert_eq!(parsed.errors.len(), 1);
    let names: Vec<(&str, &str)> = parsed
        .file
        .items
        .iter()
        .map(|i| match i {
            Item::Let(l) => (l.name.name.as_str(), &text[l.span.range()]),
            Item::Score(s) => (s.name.name.as_str(), &text[s.span.range()]),
            _ => panic!("unexpected item"),
        })
        .collect();
    assert_eq!(names, [("a", "let a = 1"), ("c", "score c \"C\" = a + 2")]);
    assert_eq!(parsed.skipped.len(), 1);
    assert_eq!(&text[parsed.skipped[0].span.range()], "let b = (\n");
    assert_eq!(parsed.skipped[0].name.as_ref().unwrap().name, "b");
}

#[test]
fn errors_stop_at_the_limit_quickly() {
    let n = scoreline_syntax::parser::MAX_SYNTAX_ERRORS;
    let d = on_small_stack(Duration::from_secs(60), move || {
        let text = "let x = )\n".repeat(HUGE / 10);
        parse_recovering(&source("t.score", &text)).errors
    });
    assert_eq!(d.len(), n + 1);
    assert!(d[..n].iter().all(|d| d.code == "E0001"));
    assert_eq!(d[n].code, "E0016");
    assert_eq!(d[n].span.start as usize, n * 10);
    // Items that pest reads but that cannot be built count too.
    let line = "let x = a < b < c\n";
    let parsed = parse_recovering(&source("t.score", &line.repeat(2 * n)));
    assert_eq!(parsed.errors.len(), n + 1);
    assert!(parsed.errors[..n].iter().all(|d| d.code == "E0011"));
    assert_eq!(parsed.errors[n].code, "E0016");
    assert_eq!(parsed.errors[n].span.start as usize, n * line.len());
    assert!(parsed.file.items.is_empty());
}

// ---------------------------------------------------------------------------- precedence

/// A compact s-expression of an expression (spans left out).
fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.to_string(),
        ExprKind::String(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Date(d) => format!("date:{}", d.millis),
        ExprKind::Duration(d) => format!("{}{:?}", d.amount, d.unit),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(sexpr).collect::<Vec<_>>().join(" ")
        ),
        ExprKind::Missing => "missing".into(),
        ExprKind::Name(id) => id.name.clone(),
        ExprKind::ContactField(id) => format!("contact.{}", id.name),
        ExprKind::AccountField(id) => format!("account.{}", id.name),
        ExprKind::ContactsAggregate {
            function,
            field,
            k,
            condition,
            ..
        } => format!(
            "({} contacts{}{}{})",
            function.name(),
            field
                .as_ref()
                .map(|f| format!(".{}", f.name))
                .unwrap_or_default(),
            k.map(|k| format!(", {}", k.value)).unwrap_or_default(),
            condition
                .as_ref()
                .map(|c| format!(" where {}", sexpr(c)))
                .unwrap_or_default()
        ),
        ExprKind::Field { base, name } => format!("(. {} {})", sexpr(base), name.name),
        ExprKind::Call { function, args } => format!(
            "(call {}{})",
            function.name,
            args.iter()
                .map(|a| format!(" {}", sexpr(a)))
                .collect::<String>()
        ),
        ExprKind::PluginCall {
            plugin,
            function,
            args,
        } => format!(
            "(plugin {}.{}{})",
            plugin.name,
            function.name,
            args.iter()
                .map(|a| format!(" {}", sexpr(a)))
                .collect::<String>()
        ),
        ExprKind::Aggregate {
            function,
            field,
            filter,
            ..
        } => {
            let event = match &filter.event {
                EventRef::Any { .. } => "any".to_string(),
                EventRef::Named(id) => id.name.clone(),
            };
            let field = field.as_ref().map(|f| format!(".{}", f.name));
            let cond = filter
                .condition
                .as_ref()
                .map(|c| format!(" where {}", sexpr(c)));
            let within = filter
                .within
                .as_ref()
                .map(|w| format!(" within {}", w.amount));
            format!(
                "({} {event}{}{}{})",
                function.name(),
                field.unwrap_or_default(),
                cond.unwrap_or_default(),
                within.unwrap_or_default()
            )
        }
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "not",
            };
            format!("({op} {})", sexpr(operand))
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs))
        }
        ExprKind::In {
            value,
            list,
            negated,
        } => format!(
            "({} {} {})",
            if *negated { "not-in" } else { "in" },
            sexpr(value),
            sexpr(list)
        ),
        ExprKind::Between { value, low, high } => {
            format!("(between {} {} {})", sexpr(value), sexpr(low), sexpr(high))
        }
        ExprKind::Is { value, present } => format!(
            "({} {})",
            if *present { "present" } else { "missing?" },
            sexpr(value)
        ),
        ExprKind::Paren(inner) => format!("(paren {})", sexpr(inner)),
    }
}

/// Parses `let x = EXPR` and returns the expression's s-expression.
fn group(expr: &str) -> String {
    let ast = parse_ok(&format!("let x = {expr}"));
    match &ast.items[..] {
        [Item::Let(l)] => {
            assert_eq!(l.value.span, Span::new(8, 8 + expr.len()), "span of {expr}");
            sexpr(&l.value)
        }
        other => panic!("expected one let, got {other:?}"),
    }
}

#[test]
fn the_walk_visits_every_expression_parents_first_in_source_order() {
    let ast = parse_ok(
        "let x = f(a, -b) + [c] ?? count(o where p.q between d and (e)) or m.g(h) and i is missing and contact.j",
    );
    let [Item::Let(l)] = &ast.items[..] else {
        panic!("expected one let");
    };
    let mut names = Vec::new();
    let mut visited = 0;
    l.value.walk(|e| {
        visited += 1;
        if let ExprKind::Name(id) = &e.kind {
            names.push(id.name.as_str());
        }
    });
    assert_eq!(names, ["a", "b", "c", "p", "d", "e", "h", "i"]);
    // Every node once: count them independently, through the direct children.
    fn count(e: &Expr) -> usize {
        let mut n = 1;
        e.for_each_child(|c| n += count(c));
        n
    }
    assert_eq!(visited, count(&l.value));
    let mut first = None;
    l.value.walk(|e| {
        first.get_or_insert(e.span);
    });
    assert_eq!(first, Some(l.value.span));
}

#[test]
fn precedence_from_loosest_to_tightest() {
    assert_eq!(
        group("a ?? b or c and not d == 1 + 2 * -x"),
        "(?? a (or b (and c (not (== d (+ 1 (* 2 (- x))))))))"
    );
    assert_eq!(
        group("-x * 2 + 1 == d and not c or b ?? a"),
        "(?? (or (and (== (+ (* (- x) 2) 1) d) (not c)) b) a)"
    );
}

#[test]
fn binary_operators_are_left_associative() {
    assert_eq!(group("a - b - c"), "(- (- a b) c)");
    assert_eq!(group("a / b * c % d"), "(% (* (/ a b) c) d)");
    assert_eq!(group("a ?? b ?? c"), "(?? (?? a b) c)");
    assert_eq!(group("a or b or c"), "(or (or a b) c)");
    assert_eq!(group("a and b and c"), "(and (and a b) c)");
}

#[test]
fn not_binds_looser_than_comparisons_and_tighter_than_and() {
    assert_eq!(group("not a == b"), "(not (== a b))");
    assert_eq!(group("not a and b"), "(and (not a) b)");
    assert_eq!(group("not not a"), "(not (not a))");
    assert_eq!(group("not x is missing"), "(not (missing? x))");
}

#[test]
fn unary_minus_binds_tighter_than_products_and_looser_than_postfix() {
    assert_eq!(group("-a * b"), "(* (- a) b)");
    assert_eq!(group("- -a"), "(- (- a))");
    assert_eq!(group("-last(order).amount"), "(- (. (last order) amount))");
    assert_eq!(group("2 - -3"), "(- 2 (- 3))");
}

#[test]
fn comparison_forms() {
    assert_eq!(group("a in [1, 2,]"), "(in a [1 2])");
    assert_eq!(group("a not in [\"x\"]"), "(not-in a [\"x\"])");
    assert_eq!(
        group("a + 1 between b * 2 and c - 1 and d"),
        "(and (between (+ a 1) (* b 2) (- c 1)) d)"
    );
    assert_eq!(group("a matches \"^x\" or b"), "(or (matches a \"^x\") b)");
    assert_eq!(
        group("a starts_with \"/p\" and a ends_with \"x\""),
        "(and (starts_with a \"/p\") (ends_with a \"x\"))"
    );
    assert_eq!(group("tags contains \"vip\""), "(contains tags \"vip\")");
    assert_eq!(group("a + b is missing"), "(missing? (+ a b))");
    assert_eq!(group("a is present or b"), "(or (present a) b)");
    for op in ["==", "!=", "<", "<=", ">", ">="] {
        assert_eq!(group(&format!("a {op} b + 1")), format!("({op} a (+ b 1))"));
    }
}

#[test]
fn comparisons_do_not_chain() {
    for text in [
        "let x = a < b < c",
        "let x = a == b != c",
        "let x = a in b in c",
        "let x = a is missing is present",
        "let x = a between 1 and 2 between 3 and 4",
    ] {
        let d = parse_err(text);
        assert_eq!(d.code, "E0011", "{text}");
    }
    // Parentheses make it explicit.
    assert_eq!(group("(a < b) == c"), "(== (paren (< a b)) c)");
}

#[test]
fn primaries() {
    assert_eq!(group("1_000.5"), "1000.5");
    assert_eq!(group("2026-11-01"), "date:1793491200000");
    assert_eq!(group("2026-11-01 - 1"), "(- date:1793491200000 1)");
    assert_eq!(group("2026 - 11 - 01"), "(- (- 2026 11) 1)");
    assert_eq!(group("2026-11-01T09:30:00+02:00"), "date:1793518200000");
    assert_eq!(group("0.5d"), "0.5Days");
    assert_eq!(group("12h"), "12Hours");
    assert_eq!(
        group("\"a\\\"b\\\\c\\n\\t\\u{e9}\""),
        "\"a\\\"b\\\\c\\n\\té\""
    );
    assert_eq!(group("true and false"), "(and true false)");
    assert_eq!(group("missing ?? 0"), "(?? missing 0)");
    assert_eq!(group("contact.email"), "contact.email");
    assert_eq!(
        group("mailbox.is_free(email, 1)"),
        "(plugin mailbox.is_free email 1)"
    );
    assert_eq!(group("a.b"), "(. a b)");
    assert_eq!(group("f()"), "(call f)");
    assert_eq!(group("[]"), "[]");
    assert_eq!(group("((1))"), "(paren (paren 1))");
}

#[test]
fn aggregates_are_tried_before_calls() {
    assert_eq!(group("max(a, b)"), "(call max a b)");
    assert_eq!(group("max(order.amount)"), "(max order.amount)");
    assert_eq!(group("count(any)"), "(count any)");
    assert_eq!(
        group("sum(order.amount where amount > 10 and contact.vip within 30d)"),
        "(sum order.amount where (and (> amount 10) contact.vip) within 30)"
    );
    assert_eq!(group("last(order).amount"), "(. (last order) amount)");
    assert_eq!(
        group("days_since(first(any within 12h))"),
        "(call days_since (first any within 12))"
    );
    assert_eq!(group("count(x.y.z)"), "(call count (. (. x y) z))");
    assert_eq!(group("min(1)"), "(call min 1)");
}

#[test]
fn keywords_are_whole_words() {
    assert_eq!(
        group("scored + any_order + notable + iso"),
        "(+ (+ (+ scored any_order) notable) iso)"
    );
    assert_eq!(group("android or order_count"), "(or android order_count)");
    assert_eq!(
        group("région * chiffre_affaires"),
        "(* région chiffre_affaires)"
    );
    assert_eq!(group("_x"), "_x");
}

#[test]
fn spans_of_items_clauses_and_points() {
    let text = "score s \"S\" {\n  rule \"r\" when a => +10\n  each e where x within 2d => -5 max 30\n  clamp -1..2\n}\n# end\n";
    let ast = parse_ok(text);
    let slice = |s: Span| &text[s.range()];
    let Item::Score(score) = &ast.items[0] else {
        panic!()
    };
    assert!(slice(score.span).starts_with("score s"));
    assert!(slice(score.span).ends_with('}'));
    let ScoreBody::Block { clauses } = &score.body else {
        panic!()
    };
    let Clause::Rule(rule) = &clauses[0] else {
        panic!()
    };
    assert_eq!(slice(rule.span), "rule \"r\" when a => +10");
    assert_eq!(slice(rule.points.span), "+10");
    let Clause::Each(each) = &clauses[1] else {
        panic!()
    };
    assert_eq!(slice(each.span), "each e where x within 2d => -5 max 30");
    assert_eq!(slice(each.filter.span), "e where x within 2d");
    assert_eq!(slice(each.points.span), "-5");
    assert!(!each.points.plus);
    assert_eq!(sexpr(&each.points.expr), "(- 5)");
    let Clause::Clamp(clamp) = &clauses[2] else {
        panic!()
    };
    assert_eq!(slice(clamp.span), "clamp -1..2");
    assert_eq!((clamp.lo.value, clamp.hi.value), (-1.0, 2.0));
    assert_eq!(ast.comments.len(), 1);
    assert_eq!(slice(ast.comments[0].span), "# end");
}

#[test]
fn comments_are_collected_with_crlf_line_ends() {
    let text = "# one\r\nlet a = 1 # two\r\n# three";
    let ast = parse_ok(text);
    let texts: Vec<_> = ast.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["# one", "# two", "# three"]);
    for c in &ast.comments {
        assert_eq!(&text[c.span.range()], c.text);
    }
    // A `#` inside a string is not a comment.
    assert!(parse_ok("let a = \"#x\"").comments.is_empty());
}

#[test]
fn empty_and_comment_only_files_parse() {
    assert!(parse_ok("").items.is_empty());
    assert_eq!(parse_ok("  # only a comment").comments.len(), 1);
    assert!(parse_ok("\u{feff}let a = 1").items.len() == 1);
}

// ---------------------------------------------------------------------------- robustness

/// Runs `f` on a thread with a 2 MB stack (smaller than the default main thread's) and a
/// time limit: proves that no input overflows the stack or hangs.
fn on_small_stack<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let start = Instant::now();
    let out = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the parser must not panic or overflow its stack");
    assert!(
        start.elapsed() < limit,
        "took {:?} (limit {limit:?})",
        start.elapsed()
    );
    out
}

#[test]
fn ten_thousand_nested_parentheses_are_rejected_at_the_paren() {
    let d = on_small_stack(Duration::from_secs(20), || {
        let text = format!("let x = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        parse_err(&text)
    });
    assert_eq!(d.code, "E0009");
    assert_eq!(d.span, Span::new(8 + 128, 8 + 129));
    // Unclosed too.
    let d = on_small_stack(Duration::from_secs(20), || {
        parse_err(&format!("let x = {}", "[(".repeat(5_000)))
    });
    assert_eq!(d.code, "E0009");
}

#[test]
fn nesting_up_to_the_limit_parses_on_a_small_stack() {
    on_small_stack(Duration::from_secs(20), || {
        let text = format!("let x = {}1{}", "(".repeat(120), ")".repeat(120));
        parse_ok(&text);
        let text = format!("let x = {}1{}", "f(".repeat(120), ")".repeat(120));
        parse_ok(&text);
        let text = format!("let x = {}1{}", "[".repeat(120), "]".repeat(120));
        parse_ok(&text);
        let text = format!(
            "let x = {}1{}",
            "count(e where ".repeat(120),
            ")".repeat(120)
        );
        parse_ok(&text);
    });
}

#[test]
fn unclosed_nesting_fails_fast() {
    on_small_stack(Duration::from_secs(20), || {
        for open in [
            "(",
            "f(",
            "max(",
            "p.f(",
            "[",
            "count(e where ",
            "-(",
            "not (",
        ] {
            let text = format!("let x = {}1", open.repeat(120));
            let d = parse_err(&text);
            assert!(d.code.starts_with("E00"), "{open}: {}", d.code);
        }
    });
}

#[test]
fn a_hundred_thousand_term_chain_is_an_error_not_a_crash() {
    let d = on_small_stack(Duration::from_secs(60), || {
        let text = format!("let x = 1{}", "+1".repeat(100_000));
        parse_err(&text)
    });
    assert_eq!(d.code, "E0010");
    assert_eq!(d.message, "expression is nested too deeply");
    for op in ["-", "not "] {
        let d = on_small_stack(Duration::from_secs(60), move || {
            let text = format!("let x = {}1", op.repeat(100_000));
            parse_err(&text)
        });
        assert_eq!(d.code, "E0010", "prefix {op}");
    }
    // A long but reasonable chain is fine.
    on_small_stack(Duration::from_secs(20), || {
        parse_ok(&format!("let x = 1{}", " + 1".repeat(200)));
    });
}

/// Size of the "huge file" inputs: 50 MB when optimized (`cargo test --release`); debug
/// builds of pest are about ten times slower, so the default test run uses 2 MB.
const HUGE: usize = if cfg!(debug_assertions) {
    2 << 20
} else {
    50 << 20
};

#[test]
fn a_huge_file_parses_in_seconds() {
    let unit = "score s \"S\" {\n  rule \"r\" when industry in [\"SaaS\", \"Retail\"] and employees between 50 and 1000 => +15 # c\n  each page_view where url starts_with \"/pricing\" => +10 max 30 decay half_life 30d\n}\n";
    let text = unit.repeat(HUGE / unit.len() + 1);
    let start = Instant::now();
    let ast = parse_ok(&text);
    let took = start.elapsed();
    assert_eq!(ast.items.len(), HUGE / unit.len() + 1);
    assert_eq!(ast.comments.len(), ast.items.len());
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

#[test]
fn huge_junk_files_fail_quickly() {
    let cases: Vec<String> = vec![
        "\"".repeat(HUGE),
        format!("let x = \"{}", "a".repeat(HUGE)),
        format!("let x = \"{}\" +", "a".repeat(HUGE)),
        format!("# {}\n@", "x".repeat(HUGE)),
        "let x = 1\n".repeat(HUGE / 10) + "@",
        "let x = 1\n".repeat(HUGE / 10) + "let",
        "((((((((((".repeat(HUGE / 10),
        "}".repeat(HUGE),
        "\u{0}".repeat(HUGE),
    ];
    for text in cases {
        on_small_stack(Duration::from_secs(60), move || {
            let d = parse_err(&text);
            assert!(d.code.starts_with("E00"));
        });
    }
}

#[test]
fn binary_junk_never_panics() {
    // A small deterministic generator: bytes, tokens of the language and brackets.
    let pieces = [
        "score",
        "s",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "rule",
        "\"x\"",
        "when",
        "=>",
        "+",
        "-",
        "1",
        "2026-11-01",
        "30d",
        "each",
        "max",
        "where",
        "within",
        "and",
        "not",
        "in",
        "between",
        "is",
        "missing",
        "count(",
        "x.y(",
        ",",
        "..",
        "clamp",
        "segment",
        "#c\n",
        "\n",
        " ",
        "\u{0}",
        "é",
        "\"",
        "\\",
        "1.2.3",
        "let",
        "=",
        "?",
        "schema",
        "contact",
    ];
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    on_small_stack(Duration::from_secs(120), move || {
        for _ in 0..3_000 {
            let len = (next() % 40) as usize;
            let mut text = String::new();
            for _ in 0..len {
                text.push_str(pieces[(next() % pieces.len() as u64) as usize]);
                if next() % 3 == 0 {
                    text.push(' ');
                }
            }
            let file = source("junk.score", &text);
            if let Err(ds) = parse(&file) {
                assert!(!ds.is_empty());
                for d in &ds {
                    assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
                    let rendered = d.render();
                    assert!(!rendered.contains("Rule::"), "{rendered}");
                    assert!(!rendered.contains("kw_"), "{rendered}");
                    assert!(!rendered.contains("resume"), "{rendered}");
                }
            }
        }
    });
}
