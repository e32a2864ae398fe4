//! The in-memory data model shared by the loaders, the engine and the plugin host.

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
