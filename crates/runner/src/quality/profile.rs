//! One pass over the loaded data: for each field and property the rules read, how often it
//! is present and which values it takes; events per type, events after as-of, contacts
//! without events and contacts sharing an e-mail. Contacts are split into ranges counted in
//! parallel, then merged in range order, so the result is the same whatever the threads.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// The counting maps: aHash (already in the tree through rhai), since the standard SipHash was
/// the largest single cost of `check --data` at 1M contacts (a perf profile: 16 % of the
/// samples). Outputs never depend on a map's order: findings are sorted before they are shown.
type Map<K, V> = HashMap<K, V, ahash::RandomState>;
type Set<K> = HashSet<K, ahash::RandomState>;

use rayon::prelude::*;
use scoreline_data::{Dataset, Value};

/// What is counted: contact fields and event properties, by index in the schema.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Contact field indices.
    pub contact: Vec<usize>,
    /// The contact field that holds e-mails, if any.
    pub email: Option<usize>,
    /// `(event type, property)` indices.
    pub props: Vec<(usize, usize)>,
}

/// The values of one field or property.
#[derive(Debug, Clone, Default)]
pub struct Column<'d> {
    /// Records (contacts, or events of the type) and how many have a value.
    pub rows: u64,
    pub present: u64,
    /// Text values (and the items of lists), with how many records have each.
    pub texts: Map<&'d str, u64>,
    /// Number values, in data order until [`Profile`] sorts them.
    pub numbers: Vec<f64>,
    /// Distinct dates and booleans.
    pub others: Set<i64>,
    /// The normal form ([`normalize`]) of each text value, in the order `texts` iterates:
    /// computed once, for every finding that compares values loosely.
    normal: std::sync::OnceLock<Vec<Cow<'d, str>>>,
}

impl<'d> Column<'d> {
    fn add(&mut self, value: &'d Value) {
        self.rows += 1;
        match value {
            Value::Missing => return,
            Value::Text(t) => *self.texts.entry(t).or_insert(0) += 1,
            Value::List(items) => {
                for item in items.iter() {
                    *self.texts.entry(item).or_insert(0) += 1;
                }
            }
            Value::Number(n) => self.numbers.push(*n),
            Value::Date(d) => {
                self.others.insert(*d);
            }
            Value::Bool(b) => {
                self.others.insert(i64::from(*b));
            }
        }
        self.present += 1;
    }

    fn merge(&mut self, other: Column<'d>) {
        self.rows += other.rows;
        self.present += other.present;
        if self.texts.is_empty() {
            self.texts = other.texts;
        } else {
            for (k, v) in other.texts {
                *self.texts.entry(k).or_insert(0) += v;
            }
        }
        self.numbers.extend(other.numbers);
        self.others.extend(other.others);
    }

    /// Each text value with its count and its normal form.
    pub fn texts_with_forms(&self) -> impl Iterator<Item = (&'d str, u64, &Cow<'d, str>)> + '_ {
        let forms = self
            .normal
            .get_or_init(|| self.texts.keys().map(|v| normalize(v)).collect());
        self.texts
            .iter()
            .zip(forms)
            .map(|((v, n), form)| (*v, *n, form))
    }

    /// The number of distinct values (numbers must be sorted).
    pub fn distinct(&self) -> u64 {
        let numbers = self.numbers.windows(2).filter(|w| w[0] != w[1]).count()
            + usize::from(!self.numbers.is_empty());
        (self.texts.len() + numbers + self.others.len()) as u64
    }
}

/// Contacts sharing an e-mail: how many, and the first two by input order.
#[derive(Debug, Clone, Copy)]
pub struct Shared {
    pub count: u32,
    pub first: u32,
    pub second: u32,
}

/// The first record of a kind, and how many there are.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally<T> {
    pub count: u64,
    pub first: Option<T>,
}

impl<T: Copy> Tally<T> {
    fn add(&mut self, at: T) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(at);
        }
    }

    fn merge(&mut self, other: Tally<T>) {
        self.count += other.count;
        if self.first.is_none() {
            self.first = other.first;
        }
    }
}

/// What one pass over the data counted.
#[derive(Debug, Clone, Default)]
pub struct Profile<'d> {
    /// One per `Targets::contact`.
    pub contact: Vec<Column<'d>>,
    /// One per `Targets::props`.
    pub props: Vec<Column<'d>>,
    /// Events per type.
    pub events_per_type: Vec<u64>,
    /// Events after as-of: `(contact, event)`, and how many of each type.
    pub after_as_of: Tally<(usize, usize)>,
    pub after_as_of_per_type: Vec<u64>,
    /// Contacts without events.
    pub no_events: Tally<usize>,
    /// Normalized e-mails (lower case, no surrounding blanks) shared by several contacts.
    pub emails: Map<Cow<'d, str>, Shared>,
}

impl<'d> Profile<'d> {
    /// Counts `targets` over `data`, in parallel on the current rayon pool.
    pub fn count(data: &'d Dataset, targets: &Targets, as_of: i64) -> Profile<'d> {
        let n = data.contacts.len();
        let chunk = (n / (rayon::current_num_threads() * 8)).max(4096);
        let ranges: Vec<(usize, usize)> = (0..n)
            .step_by(chunk)
            .map(|s| (s, (s + chunk).min(n)))
            .collect();
        let parts: Vec<Profile<'d>> = ranges
            .par_iter()
            .map(|&(s, e)| Profile::count_range(data, targets, as_of, s, e))
            .collect();
        let mut profile = Profile::empty(data, targets);
        for part in parts {
            profile.merge(part);
        }
        for column in profile.contact.iter_mut().chain(&mut profile.props) {
            column.numbers.sort_unstable_by(f64::total_cmp);
        }
        profile.emails.retain(|_, s| s.count > 1);
        profile
    }

    fn empty(data: &Dataset, targets: &Targets) -> Profile<'d> {
        Profile {
            contact: vec![Column::default(); targets.contact.len()],
            props: vec![Column::default(); targets.props.len()],
            events_per_type: vec![0; data.schema.events.len()],
            after_as_of_per_type: vec![0; data.schema.events.len()],
            ..Profile::default()
        }
    }

    fn count_range(
        data: &'d Dataset,
        targets: &Targets,
        as_of: i64,
        start: usize,
        end: usize,
    ) -> Profile<'d> {
        let mut p = Profile::empty(data, targets);
        // Per event type, the properties counted: (column, property index).
        let mut by_type: Vec<Vec<(usize, usize)>> = vec![Vec::new(); data.schema.events.len()];
        for (column, &(t, prop)) in targets.props.iter().enumerate() {
            if let Some(list) = by_type.get_mut(t) {
                list.push((column, prop));
            }
        }
        let events = &data.events;
        for c in start..end {
            let contact = &data.contacts[c];
            for (column, &f) in p.contact.iter_mut().zip(&targets.contact) {
                column.add(contact.fields.get(f).unwrap_or(&Value::Missing));
            }
            if let Some(Value::Text(email)) = targets.email.and_then(|f| contact.fields.get(f)) {
                let key = normalize(email);
                if !key.is_empty() {
                    p.emails
                        .entry(key)
                        .and_modify(|s| {
                            s.count += 1;
                            if s.count == 2 {
                                s.second = c as u32;
                            }
                        })
                        .or_insert(Shared {
                            count: 1,
                            first: c as u32,
                            second: c as u32,
                        });
                }
            }
            let range = events.of_contact(c);
            if range.is_empty() {
                p.no_events.add(c);
            }
            for e in range {
                let t = events.type_id[e] as usize;
                if let Some(n) = p.events_per_type.get_mut(t) {
                    *n += 1;
                }
                if events.at[e] > as_of {
                    p.after_as_of.add((c, e));
                    if let Some(n) = p.after_as_of_per_type.get_mut(t) {
                        *n += 1;
                    }
                }
                if let Some(list) = by_type.get(t) {
                    if !list.is_empty() {
                        let props = events.props(e);
                        for &(column, prop) in list {
                            p.props[column].add(props.get(prop).unwrap_or(&Value::Missing));
                        }
                    }
                }
            }
        }
        p
    }

    fn merge(&mut self, other: Profile<'d>) {
        for (a, b) in self.contact.iter_mut().zip(other.contact) {
            a.merge(b);
        }
        for (a, b) in self.props.iter_mut().zip(other.props) {
            a.merge(b);
        }
        for (a, b) in self.events_per_type.iter_mut().zip(other.events_per_type) {
            *a += b;
        }
        self.after_as_of.merge(other.after_as_of);
        for (a, b) in self
            .after_as_of_per_type
            .iter_mut()
            .zip(other.after_as_of_per_type)
        {
            *a += b;
        }
        self.no_events.merge(other.no_events);
        for (key, s) in other.emails {
            // Ranges are merged in order: `self` holds the earlier contacts.
            self.emails
                .entry(key)
                .and_modify(|mine| {
                    if mine.count == 1 {
                        mine.second = s.first;
                    }
                    mine.count += s.count;
                })
                .or_insert(s);
        }
    }
}

/// A text without surrounding blanks, in lower case: how values are grouped as variants.
pub fn normalize(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        // Most CRM values: ASCII blanks and letters only (the same result, without the
        // Unicode tables).
        // `str::trim`'s blanks among ASCII: tab to carriage return (vertical tab included), space.
        let blank = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ');
        let bytes = text.as_bytes();
        let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
        let end = bytes
            .iter()
            .rposition(|b| !blank(b))
            .map_or(start, |i| i + 1);
        let trimmed = &text[start..end];
        return if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
            trimmed.to_ascii_lowercase().into()
        } else {
            trimmed.into()
        };
    }
    let trimmed = text.trim();
    if trimmed.chars().any(char::is_uppercase) {
        trimmed.to_lowercase().into()
    } else {
        trimmed.into()
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normal_forms_are_those_of_unicode_trim_and_lower_case() {
        for text in [
            "Software",
            "  software \t",
            "\u{b}SaaS\r\n",
            "",
            "   ",
            "ÉCOLE ",
            " Straße",
            "already lower",
            "MIXED Case 42",
        ] {
            assert_eq!(normalize(text), text.trim().to_lowercase(), "{text:?}");
        }
    }
}
