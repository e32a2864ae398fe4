//! The schema block: contact fields and event types, their checks, and the data schema the
//! loaders validate against.

use scoreline_syntax::codes;
use std::collections::HashMap;
use std::sync::Arc;

use scoreline_model as data;
use scoreline_syntax::ast::{FieldDecl, FieldType, Item, RuleFile, SchemaBlockKind, Span};
use scoreline_syntax::{Diagnostic, SourceFile};

use super::types::Type;

/// A declared field: its type and where it was declared.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub ty: Type,
    pub optional: bool,
    pub span: Span,
}

/// An event type of the schema with its properties.
#[derive(Debug, Clone)]
pub struct EventType {
    pub name: String,
    pub properties: HashMap<String, Field>,
    /// Property names in declaration order (for suggestions and the data schema).
    pub order: Vec<String>,
    /// The data column of each property that names one (`from "Column"`).
    pub columns: HashMap<String, String>,
}

/// What the schema block declares, as the checker uses it.
#[derive(Debug, Clone, Default)]
pub struct SchemaEnv {
    /// Whether the file has a schema block (without one, names are not checked).
    pub declared: bool,
    pub contact: HashMap<String, Field>,
    pub contact_order: Vec<String>,
    /// The data column of each contact field that names one (`from "Column"`).
    pub contact_columns: HashMap<String, String>,
    pub events: Vec<EventType>,
    pub event_index: HashMap<String, usize>,
    /// Whether the schema has an `account` block (LANGUAGE.md §13).
    pub account_declared: bool,
    /// The account fields (`id` included once an `account` block is declared).
    pub account: HashMap<String, Field>,
    pub account_order: Vec<String>,
    pub account_columns: HashMap<String, String>,
}

impl SchemaEnv {
    /// The event type named `name`, by index.
    pub fn event(&self, name: &str) -> Option<usize> {
        self.event_index.get(name).copied()
    }

    /// The type of property `name` over events of any type: `None` when no type declares it;
    /// the declared type when every type declaring it agrees, else unknown.
    pub fn any_property(&self, name: &str) -> Option<Type> {
        let mut found: Option<Type> = None;
        for e in &self.events {
            if let Some(f) = e.properties.get(name) {
                found = Some(match found {
                    None => f.ty,
                    Some(t) if t == f.ty => t,
                    Some(_) => Type::Unknown,
                });
            }
        }
        found
    }

    /// The schema the data loaders validate against (contact fields start with `id: text`).
    pub fn to_data(&self) -> data::Schema {
        let spec = |name: &str, f: &Field, optional: bool, columns: &HashMap<String, String>| {
            data::FieldSpec {
                name: name.to_string(),
                ty: match f.ty {
                    Type::Number => data::FieldType::Number,
                    Type::Bool => data::FieldType::Bool,
                    Type::Date => data::FieldType::Date,
                    Type::List(_) => data::FieldType::List,
                    _ => data::FieldType::Text,
                },
                optional,
                column: columns.get(name).cloned(),
            }
        };
        let mut contact = vec![data::FieldSpec {
            name: "id".into(),
            ty: data::FieldType::Text,
            optional: false,
            column: self.contact_columns.get("id").cloned(),
        }];
        for name in &self.contact_order {
            if name != "id" {
                contact.push(spec(
                    name,
                    &self.contact[name],
                    self.contact[name].optional,
                    &self.contact_columns,
                ));
            }
        }
        let events = self
            .events
            .iter()
            .map(|e| data::EventSpec {
                name: e.name.clone(),
                fields: e
                    .order
                    .iter()
                    .map(|p| {
                        let f = &e.properties[p];
                        spec(p, f, f.optional, &e.columns)
                    })
                    .collect(),
            })
            .collect();
        let account = if self.account_declared {
            let mut account = vec![data::FieldSpec {
                name: "id".into(),
                ty: data::FieldType::Text,
                optional: false,
                column: self.account_columns.get("id").cloned(),
            }];
            for name in &self.account_order {
                if name != "id" {
                    let f = &self.account[name];
                    account.push(spec(name, f, f.optional, &self.account_columns));
                }
            }
            account
        } else {
            Vec::new()
        };
        data::Schema {
            contact,
            events,
            account,
        }
    }
}

/// Reads the schema blocks of a file and reports what is wrong with them.
pub fn build(file: &Arc<SourceFile>, ast: &RuleFile, diags: &mut Vec<Diagnostic>) -> SchemaEnv {
    let mut env = SchemaEnv::default();
    let mut first_schema: Option<Span> = None;
    let mut first_contact: Option<Span> = None;
    for item in &ast.items {
        let Item::Schema(schema) = item else { continue };
        if let Some(first) = first_schema {
            let line = file.line_col(first.start as usize).line;
            diags.push(
                Diagnostic::error(
                    file,
                    codes::E0203,
                    head(schema.span, 6),
                    "the schema is declared twice",
                )
                .with_label("second schema block")
                .with_help(format!(
                    "move these declarations into the schema block on line {line}"
                )),
            );
        }
        first_schema.get_or_insert(schema.span);
        env.declared = true;
        for block in &schema.blocks {
            match &block.kind {
                SchemaBlockKind::Contact { keyword } => {
                    if let Some(first) = first_contact {
                        let line = file.line_col(first.start as usize).line;
                        diags.push(
                            Diagnostic::error(
                                file,
                                codes::E0203,
                                *keyword,
                                "the contact fields are declared twice",
                            )
                            .with_label("second `contact` block")
                            .with_help(format!(
                                "move these fields into the `contact` block on line {line}"
                            )),
                        );
                    }
                    first_contact.get_or_insert(*keyword);
                    for field in &block.fields {
                        if field.name.name == "id"
                            && (field.ty != FieldType::Text || field.optional)
                        {
                            diags.push(
                                Diagnostic::error(
                                    file,
                                    codes::E0206,
                                    field.ty_span,
                                    "the contact field `id` must be `text`",
                                )
                                .with_label("every contact has a required text id")
                                .with_help(
                                    "write `id: text`, or leave `id` out: it is always there",
                                ),
                            );
                        }
                        add_field(
                            file,
                            &mut env.contact,
                            &mut env.contact_order,
                            field,
                            "contact field",
                            diags,
                        );
                    }
                    add_columns(file, &block.fields, &mut env.contact_columns, diags);
                }
                SchemaBlockKind::Account { keyword } => {
                    if env.account_declared {
                        diags.push(
                            Diagnostic::error(
                                file,
                                codes::E0203,
                                *keyword,
                                "the account fields are declared twice",
                            )
                            .with_label("second `account` block")
                            .with_help(
                                "keep one `account { … }` block with all the account fields",
                            ),
                        );
                    }
                    env.account_declared = true;
                    for field in &block.fields {
                        if field.name.name == "id"
                            && (field.ty != FieldType::Text || field.optional)
                        {
                            diags.push(
                                Diagnostic::error(
                                    file,
                                    codes::E0206,
                                    field.ty_span,
                                    "the account field `id` must be `text`",
                                )
                                .with_label("every account has a required text id")
                                .with_help(
                                    "write `id: text`, or leave `id` out: it is always there",
                                ),
                            );
                        }
                        add_field(
                            file,
                            &mut env.account,
                            &mut env.account_order,
                            field,
                            "account field",
                            diags,
                        );
                    }
                    add_columns(file, &block.fields, &mut env.account_columns, diags);
                }
                SchemaBlockKind::Event { name } => {
                    if let Some(&index) = env.event_index.get(&name.name) {
                        let first = env.events[index].name.clone();
                        diags.push(
                            Diagnostic::error(
                                file,
                                codes::E0205,
                                name.span,
                                format!("the event type `{first}` is declared twice"),
                            )
                            .with_label("declared again here")
                            .with_help(format!(
                                "keep one `event {first} {{ … }}` block with all its properties"
                            )),
                        );
                        continue;
                    }
                    let mut event = EventType {
                        name: name.name.clone(),
                        properties: HashMap::new(),
                        order: Vec::new(),
                        columns: HashMap::new(),
                    };
                    for field in &block.fields {
                        if field.name.name == "at" || field.name.name == "type" {
                            diags.push(
                                Diagnostic::error(
                                    file,
                                    codes::E0206,
                                    field.name.span,
                                    format!("`{}` is already a property of every event", field.name.name),
                                )
                                .with_label("reserved property")
                                .with_help(if field.name.name == "at" {
                                    "every event has `at: date`, its time stamp; remove this line"
                                } else {
                                    "every event has `type`, its event type; remove this line"
                                }),
                            );
                            continue;
                        }
                        add_field(
                            file,
                            &mut event.properties,
                            &mut event.order,
                            field,
                            "property",
                            diags,
                        );
                    }
                    let fields: Vec<FieldDecl> = block
                        .fields
                        .iter()
                        .filter(|f| f.name.name != "at" && f.name.name != "type")
                        .cloned()
                        .collect();
                    add_columns(file, &fields, &mut event.columns, diags);
                    env.event_index.insert(name.name.clone(), env.events.len());
                    env.events.push(event);
                }
            }
        }
    }
    if env.declared && !env.contact.contains_key("id") {
        env.contact.insert(
            "id".into(),
            Field {
                ty: Type::Text,
                optional: false,
                span: Span::default(),
            },
        );
        env.contact_order.insert(0, "id".into());
    }
    if env.account_declared && !env.account.contains_key("id") {
        env.account.insert(
            "id".into(),
            Field {
                ty: Type::Text,
                optional: false,
                span: Span::default(),
            },
        );
        env.account_order.insert(0, "id".into());
    }
    env
}

fn add_field(
    file: &Arc<SourceFile>,
    fields: &mut HashMap<String, Field>,
    order: &mut Vec<String>,
    field: &FieldDecl,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(first) = fields.get(&field.name.name) {
        let line = file.line_col(first.span.start as usize).line;
        diags.push(
            Diagnostic::error(
                file,
                codes::E0204,
                field.name.span,
                format!("the {what} `{}` is declared twice", field.name.name),
            )
            .with_label("declared again here")
            .with_help(format!(
                "it is first declared on line {line}; remove one of them"
            )),
        );
        return;
    }
    fields.insert(
        field.name.name.clone(),
        Field {
            ty: field.ty.into(),
            optional: field.optional,
            span: field.name.span,
        },
    );
    order.push(field.name.name.clone());
}

/// Records the columns the fields of one block name with `from`, and reports two fields
/// that read the same column (names compared in Unicode NFC, as the loader compares them).
fn add_columns(
    file: &Arc<SourceFile>,
    fields: &[FieldDecl],
    columns: &mut HashMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut read: HashMap<String, &FieldDecl> = HashMap::new();
    for field in fields {
        let column = field.from.as_ref().map_or(&field.name.name, |f| &f.value);
        let key = data::column_key(column).into_owned();
        if let Some(first) = read.get(&key) {
            if first.name.name == field.name.name {
                continue; // declared twice: reported already
            }
            let span = field.from.as_ref().map_or(field.name.span, |f| f.span);
            diags.push(
                Diagnostic::error(
                    file,
                    codes::E0214,
                    span,
                    format!(
                        "the fields `{}` and `{}` both read the column `{column}`",
                        first.name.name, field.name.name
                    ),
                )
                .with_label("this column is already read")
                .with_help(format!(
                    "`{}` reads it on line {}; give each field its own column with `from \"…\"`",
                    first.name.name,
                    file.line_col(first.span.start as usize).line
                )),
            );
            continue;
        }
        read.insert(key, field);
        if let Some(from) = &field.from {
            columns
                .entry(field.name.name.clone())
                .or_insert_with(|| from.value.clone());
        }
    }
}

/// The first `len` bytes of a span (the keyword that opens an item).
fn head(span: Span, len: u32) -> Span {
    Span {
        start: span.start,
        end: (span.start + len).min(span.end),
    }
}
