//! `preset: hubspot` / `preset: salesforce`: the standard columns of those CRMs' exports
//! (contacts or leads, and their activity exports), their date formats and activity types,
//! so that a fresh export scores with no mapping written by hand.

use scoreline_data::{EventColumns, Schema};

/// A CRM whose exports Scoreline reads as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// As written in `scoreline.yaml` (`hubspot`).
    pub key: &'static str,
    /// As the CRM calls itself (`HubSpot`).
    pub title: &'static str,
    /// What its contacts export is called.
    pub contacts: &'static str,
    /// The id column of the contacts (or leads) export.
    pub id_column: &'static str,
    /// Schema field names → the export's column.
    pub fields: &'static [(&'static str, &'static str)],
    /// The activity exports' `contact_id`, `type` and `at` columns.
    pub events: (&'static str, &'static str, &'static str),
    /// The activity types as the CRM writes them → event names.
    pub event_types: &'static [(&'static str, &'static str)],
    /// How the exports write dates and times.
    pub date_formats: &'static [&'static str],
}

/// HubSpot: the contacts export ("Export contacts", the default properties) and the
/// activities export.
pub const HUBSPOT: Preset = Preset {
    key: "hubspot",
    title: "HubSpot",
    contacts: "contacts export",
    id_column: "Record ID",
    fields: &[
        ("first_name", "First Name"),
        ("last_name", "Last Name"),
        ("email", "Email"),
        ("phone", "Phone Number"),
        ("company", "Company Name"),
        ("job_title", "Job Title"),
        ("industry", "Industry"),
        ("employees", "Number of Employees"),
        ("annual_revenue", "Annual Revenue"),
        ("country", "Country/Region"),
        ("city", "City"),
        ("lifecycle_stage", "Lifecycle Stage"),
        ("lead_status", "Lead Status"),
        ("owner", "Contact owner"),
        ("source", "Original Source"),
        ("created_at", "Create Date"),
        ("last_activity", "Last Activity Date"),
        ("hubspot_score", "HubSpot Score"),
    ],
    events: ("Contact ID", "Activity Type", "Activity Date"),
    event_types: &[
        ("Email", "email"),
        ("Email Open", "email_open"),
        ("Email Click", "email_click"),
        ("Call", "call"),
        ("Meeting", "meeting"),
        ("Form Submission", "form_submission"),
        ("Page View", "page_view"),
        ("Note", "note"),
        ("Task", "task"),
    ],
    date_formats: &["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
};

/// Salesforce: a leads report export and the activities (tasks) export.
pub const SALESFORCE: Preset = Preset {
    key: "salesforce",
    title: "Salesforce",
    contacts: "leads export",
    id_column: "Lead ID",
    fields: &[
        ("first_name", "First Name"),
        ("last_name", "Last Name"),
        ("email", "Email"),
        ("phone", "Phone"),
        ("company", "Company"),
        ("title", "Title"),
        ("industry", "Industry"),
        ("employees", "NumberOfEmployees"),
        ("annual_revenue", "AnnualRevenue"),
        ("country", "Country"),
        ("lead_source", "LeadSource"),
        ("status", "Status"),
        ("rating", "Rating"),
        ("owner", "Lead Owner"),
        ("created_at", "CreatedDate"),
        ("last_activity", "LastActivityDate"),
    ],
    events: ("WhoId", "TaskSubtype", "CreatedDate"),
    event_types: &[
        ("Email", "email"),
        ("ListEmail", "email"),
        ("Call", "call"),
        ("Task", "task"),
        ("Event", "meeting"),
    ],
    date_formats: &[
        "%Y-%m-%dT%H:%M:%S%.3f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%m/%d/%Y",
        "%m/%d/%Y %I:%M %p",
    ],
};

/// Every preset.
pub const PRESETS: [Preset; 2] = [HUBSPOT, SALESFORCE];

impl Preset {
    /// The preset named `key` (`hubspot`, `salesforce`; any case); `Err` has the message.
    pub fn named(key: &str) -> Result<Preset, String> {
        let lower = key.trim().to_ascii_lowercase();
        PRESETS.into_iter().find(|p| p.key == lower).ok_or_else(|| {
            let keys = PRESETS.map(|p| p.key);
            let help = match scoreline_data::model::suggest::closest(&lower, keys) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "use `hubspot` or `salesforce`".to_string(),
            };
            format!("`{key}` is not a preset Scoreline knows\n  = help: {help}")
        })
    }

    /// The column the preset reads a field from, if it names one.
    pub fn column(&self, field: &str) -> Option<&'static str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, c)| *c)
    }

    /// `schema` with the preset's columns for the fields that name none with `from`.
    pub fn apply(&self, schema: &Schema) -> Schema {
        let mut schema = schema.clone();
        for field in schema.contact.iter_mut().skip(1) {
            if field.column.is_none() {
                field.column = self.column(&field.name).map(str::to_string);
            }
        }
        schema
    }

    /// The activity exports' columns, under the keys `events_columns` sets.
    pub fn events_columns(&self, set: &crate::project::EventsColumns) -> EventColumns {
        EventColumns {
            contact_id: set
                .contact_id
                .clone()
                .unwrap_or_else(|| self.events.0.into()),
            type_column: set
                .type_column
                .clone()
                .unwrap_or_else(|| self.events.1.into()),
            at: set.at.clone().unwrap_or_else(|| self.events.2.into()),
        }
    }
}
