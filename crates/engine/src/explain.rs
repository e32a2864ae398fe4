//! Explanations: for one contact, every score clause by clause and every segment's arms.
//! Serializable for `--format json` and NDJSON, and rendered as a readable table.

use std::fmt::Write;

use serde::{Serialize, Serializer};

use crate::eval::round::round_half_away;
use crate::plan::Plan;

/// Why a contact got its scores and segments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// `"account"` for an account's explanation (LANGUAGE.md §13); absent for a contact's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruleset: Option<String>,
    /// Scores in file order.
    pub scores: Vec<ScoreExplanation>,
    /// Segments in file order.
    pub segments: Vec<SegmentExplanation>,
    /// Every plugin call that failed for this contact, wherever it was (a let, a clause, a
    /// population function's argument): the same messages as the run's `errors`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Whether `each` clauses list the events they matched ([`ClauseExplanation::events`]).
    #[serde(skip)]
    pub list_events: bool,
}

/// One score: its clauses, the total, the clamp and the rounded value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreExplanation {
    pub name: String,
    pub label: Option<String>,
    /// The score's value (missing for an expression score whose expression is missing).
    pub value: Option<f64>,
    /// The sum of the contributions (or the expression's value), before clamp and rounding.
    pub total: Option<f64>,
    /// The clamp, when the score has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clamp: Option<ClampExplanation>,
    pub clauses: Vec<ClauseExplanation>,
    /// Whether `each` clauses list the events they matched.
    #[serde(skip)]
    pub list_events: bool,
}

impl ScoreExplanation {
    pub(crate) fn new(name: &str, label: Option<&str>, list_events: bool) -> ScoreExplanation {
        ScoreExplanation {
            name: name.to_string(),
            label: label.map(str::to_string),
            value: None,
            total: None,
            clamp: None,
            clauses: Vec::new(),
            list_events,
        }
    }
}

/// A clamp and what it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClampExplanation {
    pub low: f64,
    pub high: f64,
    pub before: f64,
    pub after: f64,
    /// Whether the clamp changed the total.
    pub applied: bool,
}

/// The kind of a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClauseKindName {
    Rule,
    Each,
    /// The expression of an expression score.
    Expr,
}

/// One clause of a score and what it contributed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseExplanation {
    /// The clause's label, else its source text.
    pub label: String,
    pub kind: ClauseKindName,
    /// A rule whose condition held, an `each` that matched an event, an expression present.
    pub fired: bool,
    /// What it added (missing only for an expression score's missing expression).
    pub contribution: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_matched: Option<usize>,
    /// With `per D`: the periods in which one of the matched events counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periods_counted: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_before_cap: Option<f64>,
    /// Whether `max` cut the points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped: Option<bool>,
    /// The plugin calls that failed in this clause (their value was missing), as
    /// `mailbox.kind failed at email_domain.rhai:12:5: …`, several joined with `; `.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the rule's condition (or the expression) read: fields, lets, scores, aggregates
    /// and plugin calls, each once, in the order written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values_read: Vec<ValueRead>,
    /// With `explain --show-events`: the events an `each` clause matched, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<MatchedEvent>,
}

/// A value a condition read, by its source text: `employees`, `count(demo_request)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueRead {
    pub name: String,
    /// `null` when missing; dates as RFC 3339 text; an event as its type and date.
    pub value: ShownValue,
    /// For a `contacts` aggregate of an account item: the contacts that contributed, the
    /// largest value first (for `count`, in contacts-file order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<ContactValue>,
}

/// A contact that contributed to a `contacts` aggregate, and its value (missing for `count`
/// of contacts).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactValue {
    pub id: String,
    pub value: ShownValue,
}

/// How many contributing contacts the text of an explanation lists.
const CONTACTS_SHOWN: usize = 10;

/// A value as an explanation shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum ShownValue {
    Missing,
    Number(f64),
    Text(String),
    Bool(bool),
    /// Milliseconds since 1970-01-01T00:00:00Z.
    Date(i64),
    List(Vec<String>),
    /// An event (`last(order)`): its type and date.
    Event {
        event_type: String,
        at: i64,
    },
}

impl Serialize for ShownValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            ShownValue::Missing => s.serialize_none(),
            ShownValue::Number(n) => s.serialize_f64(*n),
            ShownValue::Text(t) => s.serialize_str(t),
            ShownValue::Bool(b) => s.serialize_bool(*b),
            ShownValue::Date(d) => s.serialize_str(&date_text(*d)),
            ShownValue::List(items) => items.serialize(s),
            ShownValue::Event { event_type, at } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("type", event_type)?;
                map.serialize_entry("at", &date_text(*at))?;
                map.end()
            }
        }
    }
}

impl ShownValue {
    /// `NAME = VALUE`, or `NAME is missing`.
    fn render(&self, name: &str) -> String {
        match self {
            ShownValue::Missing => format!("{name} is missing"),
            ShownValue::Number(n) => format!("{name} = {}", round_half_away(*n, 4)),
            ShownValue::Text(t) => format!("{name} = {}", quoted(t)),
            ShownValue::Bool(b) => format!("{name} = {b}"),
            ShownValue::Date(d) => format!("{name} = {}", date_text(*d)),
            ShownValue::List(items) => {
                let items: Vec<String> = items.iter().map(|i| quoted(i)).collect();
                format!("{name} = [{}]", items.join(", "))
            }
            ShownValue::Event { event_type, at } => {
                format!("{name} = {event_type} at {}", date_text(*at))
            }
        }
    }
}

/// A text as the rule language writes it: in double quotes, `"`, `\` and line breaks escaped.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An event an `each` clause matched and what it added.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchedEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    /// Milliseconds since 1970-01-01T00:00:00Z (RFC 3339 text in JSON).
    #[serde(serialize_with = "serialize_date")]
    pub at: i64,
    /// Days between the event and the as-of instant.
    pub age_days: f64,
    /// The clause's points for this event (missing when its points expression is).
    pub points: Option<f64>,
    /// The decay factor at the event's age (1 without `decay`).
    pub decay: f64,
    /// Points × decay when the event counted, else 0.
    pub contribution: f64,
    /// Whether it counted: with `per D`, only the most recent matching event of a period does.
    pub counted: bool,
}

fn serialize_date<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date_text(*ms))
}

/// One segment: the arms tried in order and the one that matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentExplanation {
    pub name: String,
    pub arms: Vec<ArmTried>,
    pub label: Option<String>,
    pub action: Option<String>,
    /// Whether the arm matched by its `keep when` only (its `when` did not hold).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub kept: bool,
    /// What the arms' conditions read, each once, in the order written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values_read: Vec<ValueRead>,
}

impl SegmentExplanation {
    pub(crate) fn new(name: &str) -> SegmentExplanation {
        SegmentExplanation {
            name: name.to_string(),
            arms: Vec::new(),
            label: None,
            action: None,
            kept: false,
            values_read: Vec::new(),
        }
    }
}

/// An arm tried and its condition's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmTried {
    pub label: String,
    pub result: ArmResult,
    /// The `keep when` condition's result, when it was tried (the contact's previous label
    /// was this arm's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep: Option<ArmResult>,
    /// The plugin calls that failed in the arm's condition, as in [`ClauseExplanation::error`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The three values of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ArmResult {
    True,
    False,
    Missing,
}

impl ArmResult {
    fn word(self) -> &'static str {
        match self {
            ArmResult::True => "true",
            ArmResult::False => "false",
            ArmResult::Missing => "missing",
        }
    }
}

/// A number as people read it: at most 2 decimals, no trailing zeros.
fn number(x: f64) -> String {
    format!("{}", round_half_away(x, 2))
}

/// Milliseconds since the epoch as RFC 3339 in UTC, as the data crate writes dates
/// (`2026-11-01T00:00:00Z`, `.mmm` only when there are milliseconds); the engine does no I/O
/// and does not depend on the data crate.
pub(crate) fn date_text(ms: i64) -> String {
    const DAY: i64 = 86_400_000;
    let days = ms.div_euclid(DAY);
    let rem = ms.rem_euclid(DAY);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = rem / 1000;
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if rem % 1000 != 0 {
        let _ = write!(out, ".{:03}", rem % 1000);
    }
    out.push('Z');
    out
}

/// `text` cut at spaces into lines of at most `width` characters (a longer word is split).
/// A clause keyword stays with its argument (`max 30`, `decay half_life 30d`, `=> +10`).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut units: Vec<String> = Vec::new();
    let mut glue = 0;
    for word in text.split(' ') {
        match units.last_mut() {
            Some(last) if glue > 0 => {
                last.push(' ');
                last.push_str(word);
                glue -= 1;
            }
            _ => {
                units.push(word.to_string());
                glue = match word {
                    "=>" | "max" | "within" | "per" => 1,
                    "decay" => 2,
                    _ => 0,
                };
            }
        }
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for unit in units {
        let mut unit: Vec<char> = unit.chars().collect();
        let used = line.chars().count();
        if used > 0 && used + 1 + unit.len() <= width {
            line.push(' ');
            line.extend(&unit);
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while unit.len() > width {
            let rest = unit.split_off(width);
            lines.push(unit.iter().collect());
            unit = rest;
        }
        line.extend(&unit);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The events an `each` clause matched, one aligned line each.
fn render_events(out: &mut String, events: &[MatchedEvent]) {
    let rows: Vec<[String; 4]> = events
        .iter()
        .map(|event| {
            let age = round_half_away(event.age_days, 1);
            let unit = if age == 1.0 { "day" } else { "days" };
            let points = match event.points {
                Some(p) => format!("{} × {}", signed(p), round_half_away(event.decay, 3)),
                None => "points missing".to_string(),
            };
            let counted = if event.counted {
                format!("= {}", signed(event.contribution))
            } else {
                "not counted (a later event of its period is)".to_string()
            };
            [
                format!("{} {}", event.event_type, date_text(event.at)),
                format!("{age} {unit} old"),
                points,
                counted,
            ]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for [at, age, points, counted] in &rows {
        let _ = writeln!(out, "      {at:<w0$}  {age:>w1$}  {points:<w2$}  {counted}");
    }
}

/// The values read, as `a = 1, b is missing`.
fn render_reads(reads: &[ValueRead]) -> String {
    let parts: Vec<String> = reads
        .iter()
        .map(|r| {
            let mut text = r.value.render(&r.name);
            if !r.contacts.is_empty() {
                let shown: Vec<String> = r
                    .contacts
                    .iter()
                    .take(CONTACTS_SHOWN)
                    .map(|c| match &c.value {
                        ShownValue::Missing => c.id.clone(),
                        v => format!("{} {}", c.id, v.render("").trim_start_matches(" = ")),
                    })
                    .collect();
                let more = r.contacts.len().saturating_sub(CONTACTS_SHOWN);
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                text.push_str(&format!(" (from {}{more})", shown.join(", ")));
            }
            text
        })
        .collect();
    parts.join(", ")
}

fn signed(x: f64) -> String {
    let r = round_half_away(x, 2);
    if r > 0.0 {
        format!("+{r}")
    } else {
        format!("{r}")
    }
}

impl Explanation {
    /// `contact` or `account`.
    pub fn kind_word(&self) -> &'static str {
        self.kind.unwrap_or("contact")
    }

    /// Puts scores and segments in file order (they are computed in dependency order).
    pub(crate) fn order_like(&mut self, plan: &Plan) {
        let score_pos = |name: &str| plan.scores.iter().position(|s| s.name == name);
        self.scores.sort_by_key(|s| score_pos(&s.name));
        let segment_pos = |name: &str| plan.segments.iter().position(|s| s.name == name);
        self.segments.sort_by_key(|s| segment_pos(&s.name));
    }

    /// A readable rendering: a table per score, then each segment's arms.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        match &self.ruleset {
            Some(r) => {
                let _ = writeln!(out, "{} {} (ruleset {r})", self.kind_word(), self.id);
            }
            None => {
                let _ = writeln!(out, "{} {}", self.kind_word(), self.id);
            }
        }
        for score in &self.scores {
            out.push('\n');
            let title = match &score.label {
                Some(l) => format!("{} \"{l}\"", score.name),
                None => score.name.clone(),
            };
            let value = score.value.map_or("missing".to_string(), number);
            let _ = writeln!(out, "score {title} = {value}");
            let width = score
                .clauses
                .iter()
                .map(|c| c.label.chars().count())
                .max()
                .unwrap_or(0)
                .clamp(6, 60);
            for clause in &score.clauses {
                let contribution = match (clause.kind, clause.contribution) {
                    (_, None) => "missing".to_string(),
                    (ClauseKindName::Rule, Some(_)) if !clause.fired => "—".to_string(),
                    (ClauseKindName::Expr, Some(c)) => number(c),
                    (_, Some(c)) => signed(c),
                };
                let mut note = String::new();
                if clause.kind == ClauseKindName::Rule && !clause.fired {
                    note.push_str("did not fire");
                }
                if let Some(m) = clause.events_matched {
                    let plural = if m == 1 { "event" } else { "events" };
                    note = format!("{m} {plural} matched");
                    if let Some(p) = clause.periods_counted {
                        let plural = if p == 1 { "period" } else { "periods" };
                        let _ = write!(note, ", {p} {plural} counted");
                    }
                    if clause.capped == Some(true) {
                        let before = clause.points_before_cap.unwrap_or(0.0);
                        let _ = write!(note, ", {} before the cap", number(before));
                    }
                }
                if !clause.values_read.is_empty() {
                    let reads = render_reads(&clause.values_read);
                    note = if note.is_empty() {
                        reads
                    } else {
                        format!("{note}: {reads}")
                    };
                }
                // Long clause texts wrap (a cut `within 1…` would read as one day).
                let lines = wrap(&clause.label, width);
                let _ = write!(out, "  {:<width$}  {contribution:>8}", lines[0]);
                if !note.is_empty() {
                    let _ = write!(out, "   ({note})");
                }
                out.push('\n');
                for line in &lines[1..] {
                    let _ = writeln!(out, "    {line}");
                }
                render_events(&mut out, &clause.events);
                if let Some(error) = &clause.error {
                    let _ = writeln!(out, "    error: {error}");
                }
            }
            if let Some(total) = score.total {
                let _ = writeln!(out, "  {:<width$}  {:>8}", "total", number(total));
            }
            if let Some(clamp) = &score.clamp {
                if clamp.applied {
                    let _ = writeln!(
                        out,
                        "  {:<width$}  {:>8}   (clamp {}..{})",
                        "clamped",
                        number(clamp.after),
                        number(clamp.low),
                        number(clamp.high)
                    );
                }
            }
        }
        for segment in &self.segments {
            out.push('\n');
            if segment.values_read.is_empty() {
                let _ = writeln!(out, "segment {}", segment.name);
            } else {
                let reads = render_reads(&segment.values_read);
                let _ = writeln!(out, "segment {} ({reads})", segment.name);
            }
            let width = segment
                .arms
                .iter()
                .map(|a| a.label.chars().count() + 2)
                .max()
                .unwrap_or(0);
            for arm in &segment.arms {
                let quoted = format!("\"{}\"", arm.label);
                match arm.keep {
                    Some(keep) => {
                        let _ = writeln!(
                            out,
                            "  {quoted:<width$}  {}, keep when {}",
                            arm.result.word(),
                            keep.word()
                        );
                    }
                    None => {
                        let _ = writeln!(out, "  {quoted:<width$}  {}", arm.result.word());
                    }
                }
                if let Some(error) = &arm.error {
                    let _ = writeln!(out, "    error: {error}");
                }
            }
            let kept = if segment.kept {
                ", kept by `keep when` (the previous label)"
            } else {
                ""
            };
            match (&segment.label, &segment.action) {
                (Some(l), Some(a)) => {
                    let _ = writeln!(out, "  → \"{l}\" ({a}){kept}");
                }
                (Some(l), None) => {
                    let _ = writeln!(out, "  → \"{l}\"{kept}");
                }
                (None, _) => {
                    let _ = writeln!(out, "  → no label (no arm matched)");
                }
            }
        }
        // Failures outside clauses and arms (in a let, a population function's argument).
        let shown_in_place = |message: &str| {
            let in_clauses = self
                .scores
                .iter()
                .flat_map(|s| &s.clauses)
                .map(|c| &c.error);
            let in_arms = self.segments.iter().flat_map(|s| &s.arms).map(|a| &a.error);
            in_clauses
                .chain(in_arms)
                .flatten()
                .any(|e| e.contains(message))
        };
        let elsewhere: Vec<&String> = self.errors.iter().filter(|m| !shown_in_place(m)).collect();
        if !elsewhere.is_empty() {
            out.push('\n');
            for message in elsewhere {
                let _ = writeln!(out, "error: {message}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{date_text, wrap};

    #[test]
    fn dates_read_as_the_data_crate_writes_them() {
        assert_eq!(date_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(date_text(1_780_272_000_000), "2026-06-01T00:00:00Z");
        assert_eq!(
            date_text(951_782_400_000 + 3_723_004),
            "2000-02-29T01:02:03.004Z"
        );
        assert_eq!(date_text(-86_400_000), "1969-12-31T00:00:00Z");
    }

    #[test]
    fn wrapping_keeps_keywords_with_their_arguments_and_splits_long_words() {
        assert_eq!(
            wrap("each a => +10 within 180d", 16),
            ["each a => +10", "within 180d"]
        );
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), [""]);
    }
}
