//! The findings of a check, one function per kind, from the profile of the data and what
//! the rules read.

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;
use scoreline_data::{format_date, format_number, Dataset, FieldType, Value};

use super::profile::{normalize, Column, Profile};
use super::reads::{Literal, Op, Subject, Transform};
use super::{thousands, visible, Context, Finding, Lookup, Severity, Target, ValueCount};

/// A literal is "rare" below this share of the values present (and when near values
/// outnumber it).
const RARE_SHARE: f64 = 0.01;
/// Negative numbers (or zeros) are unusual when at most this share of the values are.
const ODD_SHARE: f64 = 0.01;
/// The fences of the usual range: this many interquartile ranges beyond the quartiles.
const FENCE: f64 = 3.0;
/// Fewer values than this and no usual range is computed.
const MIN_VALUES_FOR_RANGE: usize = 20;
/// Near values by spelling are looked for when a field has at most this many distinct values.
const MAX_DISTINCT_FOR_SPELLING: usize = 10_000;
/// At most this many values are listed in a finding.
const MAX_VALUES: usize = 5;

/// Numbers found odd: the finding's kind, how many, the message, and which values.
type OddNumbers = (&'static str, u64, String, Box<dyn Fn(f64) -> bool + Sync>);

/// What the findings are computed from.
pub(super) struct Checker<'a, 'd> {
    pub data: &'d Dataset,
    pub cx: &'a Context<'a>,
    pub profile: &'a Profile<'d>,
    /// Every column counted, contact fields first.
    pub columns: Vec<(&'a Target, &'a Column<'d>)>,
    /// The contact field that holds e-mails.
    pub email: Option<usize>,
}

impl Checker<'_, '_> {
    /// An event type's name, by index.
    pub fn event_name(&self, t: Option<usize>) -> Option<String> {
        t.map(|t| self.data.schema.events[t].name.clone())
    }
}

/// The findings so far, and where to find each one's example line.
#[derive(Default)]
pub(super) struct Out {
    pub findings: Vec<Finding>,
    pub lookups: Vec<Lookup>,
}

/// Contacts sharing an e-mail, case and blanks aside.
pub(super) fn duplicates(k: &Checker, out: &mut Out) {
    let Checker {
        cx, profile, data, ..
    } = k;
    let schema = &data.schema;
    let email = k.email;
    if let Some(email_field) = email {
        if !profile.emails.is_empty() {
            let mut shared: Vec<_> = profile.emails.iter().collect();
            shared.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.1.first.cmp(&b.1.first)));
            let extra: u64 = shared.iter().map(|(_, s)| u64::from(s.count - 1)).sum();
            let first = shared.iter().min_by_key(|(_, s)| s.first).map(|(_, s)| *s);
            let name = &schema.contact[email_field].name;
            let mut f = Finding::new(
                "duplicate_contacts",
                Severity::Warning,
                "contacts",
                format!(
                    "{} share their `{name}` with another contact (case and blanks aside)",
                    count_of(extra + shared.len() as u64, "contact", "contacts")
                ),
            );
            f.help = Some("merge the duplicates in the CRM: each copy is scored on its own".into());
            f.field = Some(name.clone());
            f.count = extra + shared.len() as u64;
            f.values = shared
                .iter()
                .take(MAX_VALUES)
                .map(|(k, s)| ValueCount {
                    value: k.to_string(),
                    count: u64::from(s.count),
                })
                .collect();
            f.rules = cx
                .reads
                .fields
                .get(name)
                .map(|r| r.iter().cloned().collect())
                .unwrap_or_default();
            if let Some(s) = first {
                out.lookups.push(Lookup {
                    finding: out.findings.len(),
                    contact: s.second as usize,
                    event_type: None,
                    needles: Vec::new(),
                    date: None,
                });
            }
            out.findings.push(f);
        }
    }
}

/// Values that differ only by case or surrounding blanks.
pub(super) fn variants(k: &Checker, out: &mut Out) {
    let Checker { data, columns, .. } = k;
    let email = k.email;
    let event_name = |t: Option<usize>| k.event_name(t);
    for (t, c) in columns.iter() {
        // E-mails that differ by case are reported as contacts sharing an e-mail.
        let is_email = t.table == "contacts" && Some(t.index) == email;
        if !matches!(t.ty, FieldType::Text | FieldType::List) || is_email {
            continue;
        }
        // Each distinct value by its normal form: the first value as it is, the others
        // (rare) in a list; only the groups of more than one value become `ValueCount`s.
        type Group<'v> = ((&'v str, u64), Vec<(&'v str, u64)>);
        let mut by_form: HashMap<std::borrow::Cow<str>, Group, ahash::RandomState> =
            HashMap::with_capacity_and_hasher(c.texts.len(), ahash::RandomState::new());
        for (v, n, form) in c.texts_with_forms() {
            match by_form.entry(std::borrow::Cow::Borrowed(form.as_ref())) {
                std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().1.push((v, n)),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(((v, n), Vec::new()));
                }
            }
        }
        let mut groups: Vec<Vec<ValueCount>> = by_form
            .into_values()
            .filter(|(_, rest)| !rest.is_empty())
            .map(|(first, rest)| {
                std::iter::once(first)
                    .chain(rest)
                    .map(|(v, n)| ValueCount {
                        value: v.to_string(),
                        count: n,
                    })
                    .collect()
            })
            .collect();
        if groups.is_empty() {
            continue;
        }
        for g in &mut groups {
            sort_counts(g);
        }
        groups.sort_by(|a, b| {
            total(b)
                .cmp(&total(a))
                .then_with(|| a[0].value.cmp(&b[0].value))
        });
        let odd: u64 = groups.iter().map(|g| total(g) - g[0].count).sum();
        let shown: Vec<String> = groups[0]
            .iter()
            .map(|v| format!("`{}` ({})", visible(&v.value), thousands(v.count)))
            .collect();
        let more = if groups.len() > 1 {
            format!(
                " and {}",
                count_of(groups.len() as u64 - 1, "more group", "more groups")
            )
        } else {
            String::new()
        };
        let mut f = Finding::new(
            "variants",
            Severity::Warning,
            t.table,
            format!(
                "{} has values that differ only by case or blanks: {}{more}",
                subject_words(t, &event_name),
                shown.join(", ")
            ),
        );
        f.help = Some(format!(
            "clean the values in the CRM, or compare `lower({})` with a lower-case text",
            t.field
        ));
        f.event_type = event_name(t.event_type);
        f.field = Some(t.field.clone());
        f.count = odd;
        // The example: a record with the least common spelling of the largest group.
        let odd_value = groups[0]
            .last()
            .map(|v| v.value.clone())
            .unwrap_or_default();
        groups.truncate(MAX_VALUES * 2);
        f.groups = groups;
        f.rules = t.rules.iter().cloned().collect();
        if let Some(at) = first_with(data, t, |v| has_text(v, &odd_value)) {
            out.lookups.push(lookup(
                out.findings.len(),
                at,
                t,
                &event_name,
                vec![odd_value],
            ));
        }
        out.findings.push(f);
    }
}

/// Text literals that never or rarely occur, with their near values.
pub(super) fn literals(k: &Checker, out: &mut Out) {
    let Checker {
        data, cx, columns, ..
    } = k;
    let event_name = |t: Option<usize>| k.event_name(t);
    for literal in &cx.reads.literals {
        let matching: Vec<&(&Target, &Column)> = columns
            .iter()
            .filter(|(t, _)| covers(literal, t, &event_name))
            .collect();
        if matching.is_empty() {
            continue;
        }
        let mut present = 0;
        let mut matched = 0;
        let mut near: Vec<ValueCount> = Vec::new();
        for (_, c) in &matching {
            present += c.present;
            let (m, n) = literal_counts(literal, c);
            matched += m;
            for v in n {
                match near.iter_mut().find(|x| x.value == v.value) {
                    Some(x) => x.count += v.count,
                    None => near.push(v),
                }
            }
        }
        sort_counts(&mut near);
        let near_total = total(&near);
        let rare =
            matched > 0 && (matched as f64) < RARE_SHARE * present as f64 && near_total > matched;
        if matched > 0 && !rare {
            continue;
        }
        let (t0, _) = matching[0];
        let records = if t0.table == "contacts" {
            "contacts".to_string()
        } else if matching.len() == 1 {
            format!("`{}` events", event_name(t0.event_type).unwrap_or_default())
        } else {
            "events".to_string()
        };
        let expr = literal_words(literal);
        let message = if matched == 0 {
            format!(
                "`{expr}` matches no {records} ({} with a value)",
                thousands(present)
            )
        } else {
            format!(
                "`{expr}` matches only {} of {} {records} with a value",
                thousands(matched),
                thousands(present)
            )
        };
        let mut f = Finding::new(
            if matched == 0 {
                "absent_literal"
            } else {
                "rare_literal"
            },
            Severity::Warning,
            t0.table,
            message,
        );
        f.help = Some(if near.is_empty() {
            "check the text in the rule against the values of the data".to_string()
        } else {
            let shown: Vec<String> = near
                .iter()
                .take(MAX_VALUES)
                .map(|v| format!("`{}` ({})", visible(&v.value), thousands(v.count)))
                .collect();
            format!(
                "the data has {}: fix the rule, or the data if the CRM changed how it writes it",
                shown.join(", ")
            )
        });
        f.event_type = (matching.len() == 1)
            .then(|| event_name(t0.event_type))
            .flatten();
        f.field = Some(t0.field.clone());
        f.literal = Some(literal.text.clone());
        f.operator = Some(literal.op.symbol());
        f.count = matched;
        f.values = near.iter().take(MAX_VALUES).cloned().collect();
        f.rules = literal.rules.clone();
        let example = near.first().and_then(|v| {
            matching
                .iter()
                .find_map(|(t, c)| c.texts.contains_key(v.value.as_str()).then_some(*t))
                .and_then(|t| {
                    first_with(data, t, |x| has_text(x, &v.value)).map(|at| {
                        lookup(
                            out.findings.len(),
                            at,
                            t,
                            &event_name,
                            vec![v.value.clone()],
                        )
                    })
                })
        });
        out.lookups.extend(example);
        out.findings.push(f);
    }
}

/// Negative numbers, zeros and numbers outside their usual range, where they are rare.
pub(super) fn numbers(k: &Checker, out: &mut Out) {
    let Checker { data, columns, .. } = k;
    let event_name = |t: Option<usize>| k.event_name(t);
    for (t, c) in columns.iter() {
        if t.ty != FieldType::Number || c.numbers.is_empty() {
            continue;
        }
        let n = c.numbers.len() as u64;
        let negative = c.numbers.iter().take_while(|v| **v < 0.0).count() as u64;
        let zero = c.numbers.iter().filter(|v| **v == 0.0).count() as u64;
        let what = subject_words(t, &event_name);
        let records = if t.table == "contacts" {
            "contacts".to_string()
        } else {
            format!("`{}` events", event_name(t.event_type).unwrap_or_default())
        };
        let range = usual_range(&c.numbers, negative + zero);
        let mut odd: Vec<OddNumbers> = Vec::new();
        if negative > 0 && negative as f64 <= ODD_SHARE * n as f64 {
            odd.push((
                "negative_numbers",
                negative,
                format!(
                    "{what} is negative for {} of {} {records} with a value",
                    thousands(negative),
                    thousands(n)
                ),
                Box::new(|v| v < 0.0),
            ));
        }
        if zero > 0 && negative == 0 && zero as f64 <= ODD_SHARE * n as f64 {
            odd.push((
                "zero_numbers",
                zero,
                format!(
                    "{what} is 0 for {} of {} {records} with a value",
                    thousands(zero),
                    thousands(n)
                ),
                Box::new(|v| v == 0.0),
            ));
        }
        if let Some(([low, high], log)) = range {
            let unusual = move |v: f64| (!log || v > 0.0) && (v < low || v > high);
            let outside = c.numbers.iter().filter(|v| unusual(**v)).count() as u64;
            if outside > 0 {
                odd.push((
                    "unusual_numbers",
                    outside,
                    format!(
                        "{what} lies outside its usual range ({} to {}) for {} of {} {records} with a value",
                        format_number(low),
                        format_number(high),
                        thousands(outside),
                        thousands(n)
                    ),
                    Box::new(unusual),
                ));
            }
        }
        let range = range.map(|(r, _)| r);
        for (kind, count, message, test) in odd {
            let mut f = Finding::new(kind, Severity::Warning, t.table, message);
            f.help = Some("check these values in the CRM: the rules read them as they are".into());
            f.event_type = event_name(t.event_type);
            f.field = Some(t.field.clone());
            f.count = count;
            f.usual_range = range;
            let mut values: Vec<ValueCount> = Vec::new();
            for v in c.numbers.iter().filter(|v| test(**v)) {
                let text = format_number(*v);
                match values.last_mut() {
                    Some(last) if last.value == text => last.count += 1,
                    _ => values.push(ValueCount {
                        value: text,
                        count: 1,
                    }),
                }
            }
            sort_counts(&mut values);
            values.truncate(MAX_VALUES);
            f.values = values;
            f.rules = t.rules.iter().cloned().collect();
            if let Some(at) = first_with(data, t, |v| matches!(v, Value::Number(x) if test(*x))) {
                out.lookups
                    .push(lookup(out.findings.len(), at, t, &event_name, Vec::new()));
            }
            out.findings.push(f);
        }
    }
}

/// Events after as-of.
pub(super) fn after_as_of(k: &Checker, out: &mut Out) {
    let Checker {
        data, cx, profile, ..
    } = k;
    let schema = &data.schema;
    if let Some((c, e)) = profile.after_as_of.first {
        let count = profile.after_as_of.count;
        let mut f = Finding::new(
            "events_after_as_of",
            Severity::Warning,
            "events",
            format!(
                "{} dated after the as-of ({}): no rule sees {}",
                count_of(count, "event is", "events are"),
                cx.as_of_text,
                if count == 1 { "it" } else { "them" }
            ),
        );
        f.help =
            Some("check the export's time stamps and time zone, or pass a later `--as-of` (a backtest's past as-of expects them)".into());
        f.count = count;
        // The rules that would read those events: those naming their types, and `any`.
        let mut rules: BTreeSet<String> = cx.reads.any_rules.clone();
        for (t, n) in profile.after_as_of_per_type.iter().enumerate() {
            if let (true, Some(r)) = (*n > 0, cx.reads.event_types.get(&schema.events[t].name)) {
                rules.extend(r.iter().cloned());
            }
        }
        f.rules = rules.into_iter().collect();
        let t = data.events.type_id[e] as usize;
        let at = format_date(data.events.at[e]);
        out.lookups.push(Lookup {
            finding: out.findings.len(),
            contact: c,
            event_type: Some(schema.events[t].name.clone()),
            needles: Vec::new(),
            date: Some(at.chars().take(10).collect()),
        });
        out.findings.push(f);
    }
}

/// Event types no rule names.
pub(super) fn unread_event_types(k: &Checker, out: &mut Out) {
    let Checker {
        data, cx, profile, ..
    } = k;
    let schema = &data.schema;
    for (t, spec) in schema.events.iter().enumerate() {
        let count = profile.events_per_type[t];
        if count == 0 || cx.reads.event_types.contains_key(&spec.name) {
            continue;
        }
        let any = !cx.reads.any_rules.is_empty();
        let mut f = Finding::new(
            "unread_event_type",
            Severity::Note,
            "events",
            if any {
                format!(
                    "no rule names `{}` events ({}): only `any` filters see them",
                    spec.name,
                    thousands(count)
                )
            } else {
                format!(
                    "no rule reads `{}` events ({})",
                    spec.name,
                    thousands(count)
                )
            },
        );
        f.help = Some(format!(
            "score them with a rule such as `each {} => +1`, or leave them out of the export",
            spec.name
        ));
        f.event_type = Some(spec.name.clone());
        f.count = count;
        f.rules = cx.reads.any_rules.iter().cloned().collect();
        let first = (0..data.contacts.len()).into_par_iter().find_first(|&c| {
            data.events
                .of_contact(c)
                .any(|e| data.events.type_id[e] as usize == t)
        });
        if let Some(c) = first {
            out.lookups.push(Lookup {
                finding: out.findings.len(),
                contact: c,
                event_type: Some(spec.name.clone()),
                needles: Vec::new(),
                date: None,
            });
        }
        out.findings.push(f);
    }
}

/// Contacts without events.
pub(super) fn contacts_without_events(k: &Checker, out: &mut Out) {
    let Checker { profile, .. } = k;
    if let Some(c) = profile.no_events.first {
        let count = profile.no_events.count;
        let mut f = Finding::new(
            "contacts_without_events",
            Severity::Note,
            "contacts",
            format!(
                "{} no events: only profile rules score {}",
                count_of(count, "contact has", "contacts have"),
                if count == 1 { "it" } else { "them" }
            ),
        );
        f.help = Some("check that the events export covers every contact".into());
        f.count = count;
        out.lookups.push(Lookup {
            finding: out.findings.len(),
            contact: c,
            event_type: None,
            needles: Vec::new(),
            date: None,
        });
        out.findings.push(f);
    }
}

fn lookup(
    finding: usize,
    (contact, _): (usize, Option<usize>),
    t: &Target,
    event_name: &dyn Fn(Option<usize>) -> Option<String>,
    needles: Vec<String>,
) -> Lookup {
    Lookup {
        finding,
        contact,
        event_type: event_name(t.event_type),
        needles,
        date: None,
    }
}

/// The first record (contact, and event for a property) whose value passes `test`.
fn first_with(
    data: &Dataset,
    t: &Target,
    test: impl Fn(&Value) -> bool + Sync,
) -> Option<(usize, Option<usize>)> {
    let events = &data.events;
    (0..data.contacts.len())
        .into_par_iter()
        .find_map_first(|c| match t.event_type {
            None => data.contacts[c]
                .fields
                .get(t.index)
                .is_some_and(&test)
                .then_some((c, None)),
            Some(ty) => events
                .of_contact(c)
                .find(|&e| {
                    events.type_id[e] as usize == ty
                        && events.props(e).get(t.index).is_some_and(&test)
                })
                .map(|e| (c, Some(e))),
        })
}

fn has_text(v: &Value, text: &str) -> bool {
    match v {
        Value::Text(t) => &**t == text,
        Value::List(items) => items.iter().any(|i| &**i == text),
        _ => false,
    }
}

/// Whether a literal's subject is this column.
fn covers(
    literal: &Literal,
    t: &Target,
    event_name: &dyn Fn(Option<usize>) -> Option<String>,
) -> bool {
    match &literal.subject {
        Subject::Field(name) => t.table == "contacts" && &t.field == name,
        Subject::Property {
            event,
            name,
            or_field,
        } => {
            if &t.field != name {
                return false;
            }
            match t.event_type {
                Some(ty) => event.is_none() || *event == event_name(Some(ty)),
                None => *or_field,
            }
        }
    }
}

/// How many values of the column pass the literal's comparison, and the near values that
/// do not (same text but for case and blanks, a close spelling, or a case-blind match).
fn literal_counts(literal: &Literal, c: &Column) -> (u64, Vec<ValueCount>) {
    let mut matched = 0;
    let mut near = Vec::new();
    let wanted = normalize(&literal.text);
    let caseless = match &literal.op {
        Op::Matches(re) => regex::Regex::new(&format!("(?i){}", re.as_str())).ok(),
        _ => None,
    };
    let spelling = matches!(literal.op, Op::Eq) && c.texts.len() <= MAX_DISTINCT_FOR_SPELLING;
    let max_distance = if wanted.chars().count() >= 8 { 2 } else { 1 };
    for (v, n, loose) in c.texts_with_forms() {
        if literal.op.test(&literal.transform.apply(v), &literal.text) {
            matched += n;
            continue;
        }
        let is_near = match &literal.op {
            Op::Eq => {
                *loose == wanted
                    || (spelling
                        && wanted.chars().count() >= 4
                        && scoreline_data::model::suggest::distance(loose, &wanted) <= max_distance)
            }
            Op::Matches(_) => caseless.as_ref().is_some_and(|re| re.is_match(v.trim())),
            op => op.test(loose, &wanted),
        };
        if is_near {
            near.push(ValueCount {
                value: v.to_string(),
                count: n,
            });
        }
    }
    (matched, near)
}

/// The usual range of sorted numbers: the quartiles' fences ([`FENCE`] interquartile
/// ranges beyond them) and whether they are on the logarithm; on the logarithm of the values when they are positive (zeros and
/// negatives aside, when rare): counts, amounts and sizes spread over orders of magnitude.
fn usual_range(sorted: &[f64], odd: u64) -> Option<([f64; 2], bool)> {
    let positive: Vec<f64> = sorted.iter().copied().filter(|v| *v > 0.0).collect();
    let log = odd as f64 <= ODD_SHARE * sorted.len() as f64 && !positive.is_empty();
    let values: Vec<f64> = if log {
        positive.iter().map(|v| v.log10()).collect()
    } else {
        sorted.to_vec()
    };
    if values.len() < MIN_VALUES_FOR_RANGE {
        return None;
    }
    let q1 = quantile(&values, 0.25);
    let q3 = quantile(&values, 0.75);
    let iqr = q3 - q1;
    if iqr <= 0.0 {
        return None;
    }
    let (low, high) = (q1 - FENCE * iqr, q3 + FENCE * iqr);
    let round = |v: f64| {
        let v = if log { 10f64.powf(v) } else { v };
        // Three significant digits.
        if v == 0.0 {
            return 0.0;
        }
        let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
        (v * scale).round() / scale
    };
    Some(([round(low), round(high)], log))
}

/// The `q` quantile of sorted values, interpolated between the two closest.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    let next = sorted.get(i + 1).copied().unwrap_or(sorted[i]);
    sorted[i] + (next - sorted[i]) * frac
}

fn sort_counts(values: &mut [ValueCount]) {
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
}

fn total(values: &[ValueCount]) -> u64 {
    values.iter().map(|v| v.count).sum()
}

fn subject_words(t: &Target, event_name: &dyn Fn(Option<usize>) -> Option<String>) -> String {
    match event_name(t.event_type) {
        Some(e) => format!("`{}` of `{e}` events", t.field),
        None => format!("`{}`", t.field),
    }
}

/// The comparison as a rule would write it: `form == "whitepaper"`.
fn literal_words(literal: &Literal) -> String {
    let name = match &literal.subject {
        Subject::Field(n) | Subject::Property { name: n, .. } => n.clone(),
    };
    let name = match literal.transform {
        Transform::None => name,
        Transform::Lower => format!("lower({name})"),
        Transform::Upper => format!("upper({name})"),
    };
    format!("{name} {} {:?}", literal.op.symbol(), literal.text)
}

/// `1 contact`, `2,310 contacts`.
fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}
