//! The schema in force (declared or inferred) and the lookups that loading needs from it.

use scoreline_model::suggest;

use crate::cell::Infer;
use crate::fxhash::FxHashMap;
use crate::model::{column_key, EventSpec, FieldSpec, FieldType, Schema};

/// The contact fields in force, `id` first, and how columns map to them.
pub(crate) struct ContactPlan {
    pub(crate) fields: Vec<FieldSpec>,
    /// Field index by the column that feeds it (in NFC), for every field but the id (fed by
    /// the id column).
    pub(crate) by_name: FxHashMap<String, usize>,
    /// The id column, in NFC.
    pub(crate) id_column: String,
    /// The name of the column (or key) that feeds each field, in NFC: the id column, then
    /// the fields' columns (their `from`, or their names).
    pub(crate) names: Vec<String>,
    /// Whether the records are accounts (LANGUAGE.md §13), not contacts: messages say
    /// "account", and a record has no inline `events`.
    pub(crate) accounts: bool,
    /// The field that links each contact to its account, when accounts are loaded.
    pub(crate) link: Option<usize>,
}

impl ContactPlan {
    pub(crate) fn new(fields: Vec<FieldSpec>, id_column: &str) -> Self {
        let id_column = column_key(id_column).into_owned();
        let names: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == 0 {
                    id_column.clone()
                } else {
                    column_key(f.column()).into_owned()
                }
            })
            .collect();
        let by_name = names
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, n)| (n.clone(), i))
            .collect();
        ContactPlan {
            fields,
            by_name,
            id_column,
            names,
            accounts: false,
            link: None,
        }
    }

    /// The plan of an accounts file's records (same fields and columns, account words).
    pub(crate) fn for_accounts(mut self) -> Self {
        self.accounts = true;
        self
    }

    /// The plan that also notes where each contact's link to its account is (field `link`).
    pub(crate) fn with_link(mut self, link: Option<usize>) -> Self {
        self.link = link;
        self
    }

    /// The word for one record: `contact` or `account`.
    pub(crate) fn noun(&self) -> &'static str {
        if self.accounts {
            "account"
        } else {
            "contact"
        }
    }

    /// The fields a column (or JSON key) feeds: the id when it is the id column, and the field
    /// that reads that column.
    pub(crate) fn fields_of(&self, column: &str) -> (bool, Option<usize>) {
        let column = column_key(column);
        (
            *column == self.id_column,
            self.by_name.get(column.as_ref()).copied(),
        )
    }
}

/// The event types in force and their properties.
pub(crate) struct EventPlan {
    pub(crate) specs: Vec<EventSpec>,
    by_name: FxHashMap<Vec<u8>, u32>,
    /// Per type, property index by the column that feeds it (in NFC).
    pub(crate) props: Vec<FxHashMap<String, usize>>,
    /// Per type, the properties' columns (their `from`, or their names), in NFC.
    pub(crate) names: Vec<Vec<String>>,
    /// Whether the types come from a schema (then unknown types are errors).
    pub(crate) declared: bool,
    /// Types from this index on are set aside (`LoadOptions::set_aside`): no properties,
    /// not in the data set.
    pub(crate) aside_from: usize,
}

impl EventPlan {
    /// The plan of `specs`, where the types from `aside_from` on are set aside.
    pub(crate) fn new(specs: Vec<EventSpec>, declared: bool, aside_from: usize) -> Self {
        let by_name = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_bytes().to_vec(), i as u32))
            .collect();
        let names: Vec<Vec<String>> = specs
            .iter()
            .map(|s| {
                s.fields
                    .iter()
                    .map(|f| column_key(f.column()).into_owned())
                    .collect()
            })
            .collect();
        let props = names
            .iter()
            .map(|n| n.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect())
            .collect();
        EventPlan {
            specs,
            by_name,
            props,
            names,
            declared,
            aside_from,
        }
    }

    /// Whether events of type `t` are set aside.
    #[inline]
    pub(crate) fn is_aside(&self, t: u32) -> bool {
        t as usize >= self.aside_from
    }

    /// The index of an event type, by name.
    #[inline]
    pub(crate) fn lookup(&self, name: &[u8]) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// The message and help for an event type that is not in the schema.
    pub(crate) fn unknown(&self, name: &str) -> (String, Option<String>) {
        let names: Vec<&str> = self.specs.iter().map(|s| s.name.as_str()).collect();
        let help = match suggest::did_you_mean(name, names.iter().copied()) {
            Some(help) => help,
            None if names.is_empty() => "the schema declares no event types".to_string(),
            None => format!("the schema declares {}", suggest::list(&names, 8)),
        };
        (format!("unknown event type `{name}`"), Some(help))
    }
}

/// The contact fields of a declared schema, with `id: text` first (added if absent).
pub(crate) fn contact_fields(schema: &Schema) -> Vec<FieldSpec> {
    let mut fields = vec![FieldSpec {
        name: "id".into(),
        ty: FieldType::Text,
        optional: false,
        column: None,
    }];
    fields.extend(schema.contact.iter().filter(|f| f.name != "id").cloned());
    fields
}

/// The account fields of a declared schema, with `id: text` first (added if absent).
pub(crate) fn account_fields(schema: &Schema) -> Vec<FieldSpec> {
    let mut fields = vec![id_field()];
    fields.extend(schema.account.iter().filter(|f| f.name != "id").cloned());
    fields
}

/// The `id: text` field every contact and account has.
pub(crate) fn id_field() -> FieldSpec {
    FieldSpec {
        name: "id".into(),
        ty: FieldType::Text,
        optional: false,
        column: None,
    }
}

/// The account fields inferred from an accounts file: `id`, then its columns in first-seen
/// order.
pub(crate) fn inferred_accounts(table: &InferTable) -> Vec<FieldSpec> {
    let mut fields = vec![id_field()];
    fields.extend(table.fields(true));
    fields
}

/// Type inference state of one table: column names in first-seen order.
#[derive(Default, Clone)]
pub(crate) struct InferTable {
    pub(crate) names: Vec<String>,
    index: FxHashMap<String, usize>,
    pub(crate) cols: Vec<Infer>,
    /// The number of records seen.
    pub(crate) rows: u64,
}

impl InferTable {
    /// The index of column `name`, added if new.
    pub(crate) fn col(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_string());
        self.cols.push(Infer::default());
        self.index.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    pub(crate) fn merge(&mut self, other: &InferTable) {
        self.rows += other.rows;
        for (name, inf) in other.names.iter().zip(&other.cols) {
            let i = self.col(name);
            self.cols[i].merge(inf);
        }
    }

    /// The inferred fields; with `all`, also the columns that never hold a value.
    fn fields(&self, all: bool) -> Vec<FieldSpec> {
        self.names
            .iter()
            .zip(&self.cols)
            .filter(|(_, inf)| all || inf.seen > 0)
            .map(|(name, inf)| FieldSpec {
                name: name.clone(),
                ty: inf.ty(),
                optional: inf.seen < self.rows,
                column: None,
            })
            .collect()
    }
}

/// Type inference state of the events: types in first-seen order, a table for each.
#[derive(Default, Clone)]
pub(crate) struct InferEvents {
    pub(crate) types: Vec<String>,
    index: FxHashMap<String, usize>,
    pub(crate) props: Vec<InferTable>,
}

impl InferEvents {
    /// The index of event type `name`, added if new (with the given property columns).
    pub(crate) fn ty(&mut self, name: &str, columns: &[String]) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.types.push(name.to_string());
        let mut table = InferTable::default();
        for c in columns {
            table.col(c);
        }
        self.props.push(table);
        self.index.insert(name.to_string(), self.types.len() - 1);
        self.types.len() - 1
    }

    pub(crate) fn merge(&mut self, other: &InferEvents) {
        for (name, table) in other.types.iter().zip(&other.props) {
            let i = self.ty(name, &[]);
            self.props[i].merge(table);
        }
    }
}

/// The schema inferred from the data: `id` first, then the contact columns in first-seen
/// order; each event type with the properties that hold a value at least once.
pub(crate) fn inferred_schema(contacts: &InferTable, events: &InferEvents) -> Schema {
    let mut contact = vec![FieldSpec {
        name: "id".into(),
        ty: FieldType::Text,
        optional: false,
        column: None,
    }];
    contact.extend(contacts.fields(true));
    let events = events
        .types
        .iter()
        .zip(&events.props)
        .map(|(name, table)| EventSpec {
            name: name.clone(),
            fields: table.fields(false),
        })
        .collect();
    Schema {
        contact,
        events,
        account: Vec::new(),
    }
}
