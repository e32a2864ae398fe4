//! HTML reports (`--report FILE.html`): one self-contained page (no script, font, image or
//! style from elsewhere), charts as inline SVG, every number also in a table. A report is a
//! [`Page`] of sections, each with charts and tables; `run` and `evaluate` build theirs
//! ([`run_page`], [`evaluate_page`]), and any other command can build its own the same way.

mod diff;
mod evaluate;
mod fit;
mod run;
pub mod svg;

use crate::failure::Message;
use std::path::Path;

use serde::Serialize;

pub use diff::diff_page;
pub use evaluate::evaluate_page;
pub use fit::fit_page;
pub use run::run_page;

/// The page template (minijinja; values are escaped for HTML unless marked safe).
const TEMPLATE: &str = include_str!("report/page.html");
/// The page's style sheet, inlined in it.
const STYLE: &str = include_str!("report/style.css");

/// A report page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Page {
    /// What kind of report, above the title (`Backtest`, `Scores`).
    pub kicker: String,
    pub title: String,
    /// One or two sentences under the title: the key finding in words.
    pub lede: String,
    /// The key numbers, in big type.
    pub kpis: Vec<Kpi>,
    /// Ruleset, version, as-of and inputs, in small type.
    pub meta: Vec<String>,
    pub sections: Vec<Section>,
    /// Notes at the end (why a number is missing, how numbers are computed).
    pub notes: Vec<String>,
}

/// A key number: its value as shown, what it is, and a hint.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Kpi {
    pub value: String,
    pub label: String,
    pub note: Option<String>,
}

/// A section of the page: a heading, an introduction, then blocks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Section {
    pub title: String,
    pub intro: Option<String>,
    pub blocks: Vec<Block>,
}

/// A chart (SVG, written by [`svg`]) with the table of its numbers beside it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Block {
    pub chart: Option<String>,
    pub table: Option<Table>,
    /// Set when rendering: the table goes under the chart rather than beside it.
    #[serde(default)]
    pub stacked: bool,
}

/// A table of numbers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    pub caption: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Per column: whether it holds numbers (right-aligned).
    pub numeric: Vec<bool>,
}

impl Table {
    /// A table with this header; every column but the first holds numbers.
    pub fn new(header: &[&str]) -> Table {
        Table {
            caption: None,
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            numeric: (0..header.len()).map(|i| i > 0).collect(),
        }
    }
}

/// The titles a rule file gives its ruleset and scores, and its segments' actions: what a
/// report shows beside the names.
#[derive(Debug, Clone, Default)]
pub struct Titles {
    pub ruleset: Option<String>,
    /// `(score, title)`.
    pub scores: Vec<(String, String)>,
    /// `(segment, label, action)`, the first arm's action for each label.
    pub actions: Vec<(String, String, String)>,
}

impl Titles {
    /// The titles of a parsed rule file.
    pub fn of(ast: &scoreline_syntax::ast::RuleFile) -> Titles {
        use scoreline_syntax::ast::Item;
        let mut titles = Titles {
            ruleset: ast
                .header
                .as_ref()
                .and_then(|h| h.title.as_ref().map(|t| t.value.clone())),
            ..Titles::default()
        };
        for item in &ast.items {
            match item {
                Item::Score(s) => {
                    if let Some(label) = &s.label {
                        titles
                            .scores
                            .push((s.name.name.clone(), label.value.clone()));
                    }
                }
                Item::Segment(s) => {
                    for arm in &s.arms {
                        let known = titles
                            .actions
                            .iter()
                            .any(|(seg, l, _)| *seg == s.name.name && *l == arm.label.value);
                        if let (Some(action), false) = (&arm.action, known) {
                            titles.actions.push((
                                s.name.name.clone(),
                                arm.label.value.clone(),
                                action.value.clone(),
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        titles
    }

    /// The titles of the rule file at `path` (none when it cannot be read or parsed).
    pub fn read(path: &Path) -> Titles {
        crate::sources::read_source(path)
            .ok()
            .and_then(|source| scoreline_syntax::parse(&source).ok())
            .map(|ast| Titles::of(&ast))
            .unwrap_or_default()
    }

    /// A score's title, else its name.
    pub fn score(&self, name: &str) -> String {
        self.scores
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| name.to_string(), |(_, t)| t.clone())
    }

    /// The action of a segment's label, if its arm has one.
    pub fn action(&self, segment: &str, label: &str) -> Option<&str> {
        self.actions
            .iter()
            .find(|(s, l, _)| s == segment && l == label)
            .map(|(_, _, a)| a.as_str())
    }

    /// The ruleset's title, else its name.
    pub fn ruleset_or(&self, name: &str) -> String {
        self.ruleset.clone().unwrap_or_else(|| name.to_string())
    }
}

/// Text for the page: the backticks that mark names in terminal messages are dropped.
fn plain(text: &str) -> String {
    text.replace('`', "")
}

/// The page as one HTML document.
pub fn render(page: &Page) -> String {
    let mut page = page.clone();
    page.lede = plain(&page.lede);
    page.title = plain(&page.title);
    for m in &mut page.meta {
        *m = plain(m);
    }
    for n in &mut page.notes {
        *n = plain(n);
    }
    for k in &mut page.kpis {
        k.label = plain(&k.label);
    }
    for section in &mut page.sections {
        for block in &mut section.blocks {
            // A wide table goes under its chart, a narrow one beside it.
            block.stacked = block.table.as_ref().is_some_and(|t| t.header.len() > 5);
        }
    }
    let page = &page;
    let mut env = minijinja::Environment::new();
    // The template is part of the binary: it parses, and its values all exist (tested).
    let rendered = env.add_template("page.html", TEMPLATE).and_then(|()| {
        env.get_template("page.html")?.render(minijinja::context! {
            page => minijinja::Value::from(minijinja::value::Serde(page)),
            style => minijinja::Value::from_safe_string(STYLE.to_string()),
            tool => format!("scoreline {}", env!("CARGO_PKG_VERSION")),
        })
    });
    rendered.unwrap_or_else(|e| {
        format!(
            "<!doctype html><title>report</title><p>the report could not be rendered: {}</p>",
            svg::escape(&e.to_string())
        )
    })
}

/// Writes a report atomically (temporary file, then rename).
pub fn write(path: &Path, html: &str) -> Result<(), Message> {
    crate::output::create_parent(path)?;
    scoreline_data::write_atomic(path, |w| w.write_all(html.as_bytes())).map_err(|e| {
        Message::new(format!(
            "cannot write `{}`: {}",
            path.display(),
            crate::sources::io_reason(&e)
        ))
    })
}
