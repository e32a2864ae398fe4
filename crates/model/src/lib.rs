//! The in-memory data model shared by the loaders, the engine and the plugin host: values,
//! the schema in force, contacts and their events grouped by contact, and the as-of instant.
//! It also holds [`suggest`], the "did you mean" of every crate, since it is the one crate
//! they can all reach.
#![forbid(unsafe_code)]

pub mod suggest;

use std::sync::Arc;

/// A value of a contact field, an event property or an expression.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Absent field, empty CSV cell, JSON `null`, or the literal `missing`.
    #[default]
    Missing,
    Number(f64),
    Text(Arc<str>),
    Bool(bool),
    /// Milliseconds since 1970-01-01T00:00:00Z.
    Date(i64),
    /// A list of texts (`tags: list`).
    List(Arc<[Arc<str>]>),
}

impl Value {
    /// Whether the value is missing.
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

/// The type of a field, as declared in a schema or inferred from the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Text,
    Number,
    Bool,
    Date,
    List,
}

impl FieldType {
    /// The type's name as the user writes it.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Bool => "bool",
            FieldType::Date => "date",
            FieldType::List => "list",
        }
    }
}

/// A field of a contact or event: its name, type and whether it may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: String,
    pub ty: FieldType,
    pub optional: bool,
    /// The data column the field is read from (`from "Column"` in the schema); `None`: the
    /// column of the field's name.
    pub column: Option<String>,
}

impl FieldSpec {
    /// The name of the data column the field is read from.
    pub fn column(&self) -> &str {
        self.column.as_deref().unwrap_or(&self.name)
    }
}

/// A column name as header names are compared: in Unicode NFC, so that `région` typed with a
/// combining accent (as macOS writes file names) matches `région` typed as one letter.
pub fn column_key(name: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    match unicode_normalization::is_nfc_quick(name.chars()) {
        unicode_normalization::IsNormalized::Yes => std::borrow::Cow::Borrowed(name),
        _ => std::borrow::Cow::Owned(name.nfc().collect()),
    }
}

/// An event type and its properties (not counting `type` and `at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    pub name: String,
    pub fields: Vec<FieldSpec>,
}

/// What the data must look like: the ruleset's schema, translated by the engine.
/// The contact fields include `id: text` first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    pub contact: Vec<FieldSpec>,
    pub events: Vec<EventSpec>,
    /// The account fields (LANGUAGE.md §13), `id: text` first; empty when the data has no
    /// accounts.
    pub account: Vec<FieldSpec>,
}

/// Contacts and their events, ready for scoring.
///
/// Contacts are rows in input order; `contact_fields[i]` describes `Contact::fields[i]`
/// (the first is always the id). Events are stored grouped by contact, each contact's
/// events sorted by `at` (ties keep input order), properties in one flat arena.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The contact schema in force: declared, or inferred from the data.
    pub schema: Schema,
    /// One row per contact, in input order; `fields[0]` is the id as `Value::Text`.
    pub contacts: Vec<Contact>,
    pub events: Events,
    /// The accounts and which contact belongs to which (empty when the data has none).
    pub accounts: Accounts,
}

/// Marks a contact that belongs to no account in [`Accounts::of_contact`].
pub const NO_ACCOUNT: u32 = u32::MAX;

/// The accounts (B2B companies) of a data set, and the contacts' links to them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accounts {
    /// One row per account, in accounts-file order (first-seen link order without a file);
    /// `fields[i]` is described by `Schema::account[i]`, `fields[0]` the id as `Value::Text`.
    pub rows: Vec<Contact>,
    /// Per contact, in `Dataset::contacts` order: the index of its account in `rows`, or
    /// [`NO_ACCOUNT`]. Empty when the data set has no accounts at all.
    pub of_contact: Vec<u32>,
}

impl Accounts {
    /// Whether the data set has accounts (a file, or links).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.of_contact.is_empty()
    }

    /// The account of contact `contact`, if it has one.
    pub fn account_of(&self, contact: usize) -> Option<usize> {
        match self.of_contact.get(contact) {
            Some(&a) if a != NO_ACCOUNT => Some(a as usize),
            _ => None,
        }
    }

    /// Each account's contacts (indices, ascending): `members[start[a]..start[a + 1]]`.
    pub fn members(&self) -> (Vec<u32>, Vec<u32>) {
        let mut start = vec![0u32; self.rows.len() + 1];
        for &a in &self.of_contact {
            if a != NO_ACCOUNT {
                start[a as usize + 1] += 1;
            }
        }
        for a in 0..self.rows.len() {
            start[a + 1] += start[a];
        }
        let mut next = start.clone();
        let mut members = vec![0u32; start[self.rows.len()] as usize];
        for (c, &a) in self.of_contact.iter().enumerate() {
            if a != NO_ACCOUNT {
                members[next[a as usize] as usize] = c as u32;
                next[a as usize] += 1;
            }
        }
        (start, members)
    }
}

/// One contact's field values, in the order of `Schema::contact`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contact {
    pub fields: Vec<Value>,
}

impl Contact {
    /// The contact's id.
    pub fn id(&self) -> &str {
        match self.fields.first() {
            Some(Value::Text(t)) => t,
            _ => "",
        }
    }
}

/// All events, grouped by contact and sorted by time within each contact.
#[derive(Debug, Clone, Default)]
pub struct Events {
    /// `contact_start[c]..contact_start[c + 1]` are contact `c`'s events; length contacts + 1.
    pub contact_start: Vec<u32>,
    /// Index into `Schema::events` of each event's type.
    pub type_id: Vec<u32>,
    /// Each event's time stamp, milliseconds since the epoch.
    pub at: Vec<i64>,
    /// `props[prop_start[e]..]` are event `e`'s properties, one per field of its type's spec.
    pub prop_start: Vec<u32>,
    pub props: Vec<Value>,
}

impl Events {
    /// The range of event indices that belong to contact `contact`.
    pub fn of_contact(&self, contact: usize) -> std::ops::Range<usize> {
        if self.contact_start.len() <= contact + 1 {
            return 0..0;
        }
        self.contact_start[contact] as usize..self.contact_start[contact + 1] as usize
    }

    /// The number of events.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

impl Schema {
    /// The index of a contact field, by name.
    pub fn contact_field(&self, name: &str) -> Option<usize> {
        self.contact.iter().position(|f| f.name == name)
    }

    /// The index of an event type, by name.
    pub fn event(&self, name: &str) -> Option<usize> {
        self.events.iter().position(|e| e.name == name)
    }

    /// The index of an account field, by name.
    pub fn account_field(&self, name: &str) -> Option<usize> {
        self.account.iter().position(|f| f.name == name)
    }
}

impl Events {
    /// The properties of event `e`, one per field of its type's spec.
    pub fn props(&self, e: usize) -> &[Value] {
        let Some(&start) = self.prop_start.get(e) else {
            return &[];
        };
        let end = self
            .prop_start
            .get(e + 1)
            .map_or(self.props.len(), |&x| x as usize);
        self.props.get(start as usize..end).unwrap_or(&[])
    }
}

/// The instant a scoring is computed at: events after it are not seen, durations and decays
/// count back from it. Milliseconds since 1970-01-01T00:00:00Z, like [`Value::Date`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AsOf(i64);

impl AsOf {
    /// The instant `millis` milliseconds after 1970-01-01T00:00:00Z.
    pub const fn from_millis(millis: i64) -> AsOf {
        AsOf(millis)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub const fn millis(self) -> i64 {
        self.0
    }
}

/// Why a data set breaks the model's invariants (see [`Dataset::validate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantError(pub String);

impl std::fmt::Display for InvariantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvariantError {}

impl Dataset {
    /// Checks the invariants the engine relies on: one value per schema field in every
    /// contact, the id first; `contact_start` of length contacts + 1, starting at 0,
    /// non-decreasing, ending at the number of events; every event's type known and its
    /// properties one per field of its type; each contact's events sorted by time.
    pub fn validate(&self) -> Result<(), InvariantError> {
        let fail = |m: String| Err(InvariantError(m));
        let width = self.schema.contact.len();
        for (i, c) in self.contacts.iter().enumerate() {
            if c.fields.len() != width {
                return fail(format!(
                    "contact {i} has {} values for {width} fields",
                    c.fields.len()
                ));
            }
            if !matches!(c.fields.first(), Some(Value::Text(_))) {
                return fail(format!("contact {i} has no text id"));
            }
        }
        let ev = &self.events;
        let n = ev.at.len();
        if ev.type_id.len() != n || ev.prop_start.len() != n {
            return fail("the event columns have different lengths".into());
        }
        if ev.contact_start.len() != self.contacts.len() + 1
            && !(ev.contact_start.is_empty() && n == 0)
        {
            return fail(format!(
                "`contact_start` has {} entries for {} contacts",
                ev.contact_start.len(),
                self.contacts.len()
            ));
        }
        if let (Some(&first), Some(&last)) = (ev.contact_start.first(), ev.contact_start.last()) {
            if first != 0 || last as usize != n {
                return fail("`contact_start` does not span the events".into());
            }
        }
        for c in 0..self
            .contacts
            .len()
            .min(ev.contact_start.len().saturating_sub(1))
        {
            let (a, b) = (
                ev.contact_start[c] as usize,
                ev.contact_start[c + 1] as usize,
            );
            if a > b {
                return fail(format!("`contact_start` decreases at contact {c}"));
            }
            if ev.at[a..b].windows(2).any(|w| w[0] > w[1]) {
                return fail(format!("the events of contact {c} are not sorted by time"));
            }
        }
        let mut expected = 0usize;
        for e in 0..n {
            let Some(spec) = self.schema.events.get(ev.type_id[e] as usize) else {
                return fail(format!("event {e} has an unknown type"));
            };
            if ev.prop_start[e] as usize != expected {
                return fail(format!("the properties of event {e} are out of place"));
            }
            expected += spec.fields.len();
        }
        if expected != ev.props.len() {
            return fail("there are more or fewer properties than the events have".into());
        }
        let accounts = &self.accounts;
        let width = self.schema.account.len();
        for (i, a) in accounts.rows.iter().enumerate() {
            if a.fields.len() != width {
                return fail(format!(
                    "account {i} has {} values for {width} fields",
                    a.fields.len()
                ));
            }
            if !matches!(a.fields.first(), Some(Value::Text(_))) {
                return fail(format!("account {i} has no text id"));
            }
        }
        if !accounts.of_contact.is_empty() && accounts.of_contact.len() != self.contacts.len() {
            return fail(format!(
                "`of_contact` has {} entries for {} contacts",
                accounts.of_contact.len(),
                self.contacts.len()
            ));
        }
        if let Some(c) = accounts
            .of_contact
            .iter()
            .position(|&a| a != NO_ACCOUNT && a as usize >= accounts.rows.len())
        {
            return fail(format!("contact {c} links to an account out of range"));
        }
        Ok(())
    }
}

impl Dataset {
    /// The contacts at `range` (indices, clamped to the data set) with their events: one
    /// partition of the data set, with the same schema.
    pub fn partition(&self, range: std::ops::Range<usize>) -> Dataset {
        let end = range.end.min(self.contacts.len());
        let start = range.start.min(end);
        let ev = &self.events;
        let offset = |c: usize| ev.contact_start.get(c).copied().unwrap_or(0) as usize;
        let (first, last) = (offset(start), offset(end));
        let prop = |e: usize| ev.prop_start.get(e).map_or(ev.props.len(), |&p| p as usize);
        let (pfirst, plast) = (prop(first), prop(last));
        let events = if ev.contact_start.is_empty() {
            Events::default()
        } else {
            Events {
                contact_start: ev.contact_start[start..=end]
                    .iter()
                    .map(|&s| s - first as u32)
                    .collect(),
                type_id: ev.type_id[first..last].to_vec(),
                at: ev.at[first..last].to_vec(),
                prop_start: ev.prop_start[first..last]
                    .iter()
                    .map(|&p| p - pfirst as u32)
                    .collect(),
                props: ev.props[pfirst..plast].to_vec(),
            }
        };
        let accounts = Accounts {
            rows: self.accounts.rows.clone(),
            of_contact: self
                .accounts
                .of_contact
                .get(start..end)
                .map(<[u32]>::to_vec)
                .unwrap_or_default(),
        };
        Dataset {
            schema: self.schema.clone(),
            contacts: self.contacts[start..end].to_vec(),
            events,
            accounts,
        }
    }
}

/// Builds [`Events`] from events in any order: they come out grouped by contact and sorted
/// by time within each contact (events at the same instant keep the order they were added).
#[derive(Debug, Clone, Default)]
pub struct EventsBuilder {
    contacts: usize,
    /// (contact, at, type id, properties), in the order added.
    events: Vec<(u32, i64, u32, Vec<Value>)>,
}

impl EventsBuilder {
    /// A builder for the events of `contacts` contacts.
    pub fn new(contacts: usize) -> EventsBuilder {
        EventsBuilder {
            contacts,
            events: Vec::new(),
        }
    }

    /// Adds an event of contact `contact` (its index), of type `type_id` (an index into the
    /// schema's events), at `at` (milliseconds), with one property per field of its type.
    /// A contact index out of range is an error, reported by [`EventsBuilder::build`].
    pub fn push(&mut self, contact: usize, type_id: usize, at: i64, props: Vec<Value>) {
        let contact = u32::try_from(contact).unwrap_or(u32::MAX);
        self.events.push((contact, at, type_id as u32, props));
    }

    /// The events, grouped and sorted; an error if an event names a contact out of range.
    pub fn build(mut self) -> Result<Events, InvariantError> {
        if let Some(e) = self.events.iter().find(|e| e.0 as usize >= self.contacts) {
            return Err(InvariantError(format!(
                "an event names contact {} of {}",
                e.0, self.contacts
            )));
        }
        // Stable: same-instant events keep their order.
        self.events.sort_by_key(|e| (e.0, e.1));
        let mut events = Events {
            contact_start: vec![0; self.contacts + 1],
            ..Events::default()
        };
        for (contact, at, type_id, props) in self.events {
            events.contact_start[contact as usize + 1] += 1;
            events.type_id.push(type_id);
            events.at.push(at);
            events.prop_start.push(events.props.len() as u32);
            events.props.extend(props);
        }
        for c in 0..self.contacts {
            events.contact_start[c + 1] += events.contact_start[c];
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(events: Events) -> Dataset {
        let text = |t: &str| Value::Text(Arc::from(t));
        Dataset {
            accounts: Default::default(),
            schema: Schema {
                account: Vec::new(),
                contact: vec![FieldSpec {
                    name: "id".into(),
                    ty: FieldType::Text,
                    optional: false,
                    column: None,
                }],
                events: vec![
                    EventSpec {
                        name: "visit".into(),
                        fields: vec![FieldSpec {
                            name: "url".into(),
                            ty: FieldType::Text,
                            optional: true,
                            column: None,
                        }],
                    },
                    EventSpec {
                        name: "open".into(),
                        fields: vec![],
                    },
                ],
            },
            contacts: vec![
                Contact {
                    fields: vec![text("a")],
                },
                Contact {
                    fields: vec![text("b")],
                },
            ],
            events,
        }
    }

    #[test]
    fn the_builder_groups_and_sorts_events() {
        let url = |u: &str| vec![Value::Text(Arc::from(u))];
        let mut b = EventsBuilder::new(2);
        b.push(1, 0, 30, url("/late"));
        b.push(0, 1, 20, vec![]);
        b.push(1, 0, 10, url("/first"));
        b.push(1, 1, 30, vec![]);
        let events = b.build().unwrap();
        assert_eq!(events.contact_start, [0, 1, 4]);
        assert_eq!(events.at, [20, 10, 30, 30]);
        assert_eq!(events.type_id, [1, 0, 0, 1]);
        assert_eq!(events.props(2), url("/late").as_slice());
        let data = dataset(events);
        assert_eq!(data.validate(), Ok(()));
        // Partitions keep their contacts' events, and the invariants.
        let (a, b) = (data.partition(0..1), data.partition(1..2));
        assert_eq!((a.contacts.len(), a.events.len()), (1, 1));
        assert_eq!((b.contacts.len(), b.events.len()), (1, 3));
        assert_eq!(b.events.props(1), url("/late").as_slice());
        assert_eq!(a.validate().and(b.validate()), Ok(()));
        assert_eq!(data.partition(2..9).contacts.len(), 0);
        assert_eq!(data.partition(2..9).validate(), Ok(()));
    }

    #[test]
    fn broken_invariants_are_named() {
        let mut b = EventsBuilder::new(2);
        b.push(2, 1, 0, vec![]);
        assert!(b.build().unwrap_err().0.contains("contact 2 of 2"));

        let mut b = EventsBuilder::new(2);
        b.push(0, 1, 5, vec![]);
        b.push(0, 1, 9, vec![]);
        let mut events = b.build().unwrap();
        events.at.swap(0, 1);
        let err = dataset(events).validate().unwrap_err();
        assert_eq!(err.0, "the events of contact 0 are not sorted by time");

        let mut b = EventsBuilder::new(2);
        b.push(0, 0, 5, vec![]);
        let err = dataset(b.build().unwrap()).validate().unwrap_err();
        assert_eq!(
            err.0,
            "there are more or fewer properties than the events have"
        );
    }
}
