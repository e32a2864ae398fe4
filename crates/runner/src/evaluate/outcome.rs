//! Outcomes: what "converted" means for `evaluate` (TRUST.md), either events of a type
//! within a horizon after the as-of, or a bool contact field.

use crate::failure::Message;
use scoreline_data::{Dataset, FieldType, SetAside, Value};
use serde::Serialize;

/// Milliseconds in a day and in an hour.
const DAY_MS: f64 = 86_400_000.0;
const HOUR_MS: f64 = 3_600_000.0;

/// What the score should predict.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Positive when the contact has an event of `event_type` with `as_of < at <= as_of + horizon`.
    Event {
        event_type: String,
        /// The horizon as written (`90d`), and in milliseconds.
        horizon: String,
        horizon_ms: i64,
    },
    /// A bool contact field: true positive, false negative, missing unknown.
    Field(String),
}

/// The outcome as the JSON report shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum OutcomeJson {
    Event {
        #[serde(rename = "type")]
        event_type: String,
        horizon_days: serde_json::Number,
    },
    Field {
        field: String,
    },
}

impl Outcome {
    /// The outcome as the JSON report shows it.
    pub fn to_json(&self) -> OutcomeJson {
        match self {
            Outcome::Event {
                event_type,
                horizon_ms,
                ..
            } => {
                let days = *horizon_ms as f64 / DAY_MS;
                let horizon_days = if days.fract() == 0.0 {
                    serde_json::Number::from(days as i64)
                } else {
                    serde_json::Number::from_f64(days).unwrap_or_else(|| 0.into())
                };
                OutcomeJson::Event {
                    event_type: event_type.clone(),
                    horizon_days,
                }
            }
            Outcome::Field(field) => OutcomeJson::Field {
                field: field.clone(),
            },
        }
    }

    /// For people: `` `closed_won` within 90d after the as-of `` or `` the field `churned` ``.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Event {
                event_type,
                horizon,
                ..
            } => format!("`{event_type}` within {horizon} after the as-of"),
            Outcome::Field(field) => format!("the field `{field}`"),
        }
    }

    /// The event type to set aside while loading, when the schema does not declare it.
    pub fn event_type(&self) -> Option<&str> {
        match self {
            Outcome::Event { event_type, .. } => Some(event_type),
            Outcome::Field(_) => None,
        }
    }
}

/// Parses a horizon: a positive number of days or hours (`90d`, `12h`, `0.5d`).
pub fn parse_horizon(text: &str) -> Result<i64, Message> {
    let t = text.trim();
    let help = "write the horizon in days or hours, such as `90d` or `12h`";
    let (number, unit) = match t.char_indices().last() {
        Some((i, 'd')) => (&t[..i], DAY_MS),
        Some((i, 'h')) => (&t[..i], HOUR_MS),
        _ => return Err(Message::new(format!("`{t}` is not a horizon")).help(help)),
    };
    let Ok(value) = number.parse::<f64>() else {
        return Err(Message::new(format!("`{t}` is not a horizon")).help(help));
    };
    if !value.is_finite() || value <= 0.0 {
        return Err(Message::new(format!("the horizon must be longer than zero, not `{t}`")).help("the outcome counts the events in the days after the as-of, such as `--horizon 90d`"));
    }
    Ok((value * unit).round() as i64)
}

/// Each contact's outcome: positive, negative, or unknown. `Err` is the message for an
/// outcome that cannot say anything.
pub fn outcomes(
    outcome: &Outcome,
    data: &Dataset,
    set_aside: &[SetAside],
    as_of: i64,
) -> Result<Vec<Option<bool>>, Message> {
    match outcome {
        Outcome::Event {
            event_type,
            horizon_ms,
            ..
        } => event_outcomes(event_type, *horizon_ms, data, set_aside, as_of),
        Outcome::Field(field) => field_outcomes(field, data),
    }
}

fn event_outcomes(
    event_type: &str,
    horizon_ms: i64,
    data: &Dataset,
    set_aside: &[SetAside],
    as_of: i64,
) -> Result<Vec<Option<bool>>, Message> {
    let end = as_of.saturating_add(horizon_ms);
    let mut positive = vec![Some(false); data.contacts.len()];
    // How many events of the type there are, how many after the as-of, and the last one.
    let (mut total, mut after, mut last) = (0usize, 0usize, None::<i64>);
    let mut see = |contact: usize, at: i64| {
        total += 1;
        last = Some(last.map_or(at, |l: i64| l.max(at)));
        if at > as_of {
            after += 1;
            if at <= end {
                positive[contact] = Some(true);
            }
        }
    };
    if let Some(list) = set_aside.iter().find(|s| s.event_type == event_type) {
        for &(contact, at) in &list.events {
            see(contact as usize, at);
        }
    } else if let Some(t) = data.schema.event(event_type) {
        let events = &data.events;
        for contact in 0..data.contacts.len() {
            for e in events.of_contact(contact) {
                if events.type_id[e] as usize == t {
                    see(contact, events.at[e]);
                }
            }
        }
    }
    if after > 0 {
        return Ok(positive);
    }
    let as_of_text = scoreline_data::format_date(as_of);
    if let Some(last) = last {
        return Err(Message::new(format!("no `{event_type}` event is after the as-of ({as_of_text})")).help(format!("the {total} `{event_type}` event{} end{} at {}; pick an earlier `--as-of` so that the outcome can happen after it", plural(total), if total == 1 { "s" } else { "" }, scoreline_data::format_date(last))));
    }
    let names: Vec<&str> = data.schema.events.iter().map(|e| e.name.as_str()).collect();
    let help = match crate::evaluate::nearest(event_type, &names) {
        Some(near) => format!("did you mean `{near}`?"),
        None => "add the file that holds the outcome events with `--events FILE` (the project's events are replaced by the `--events` given, so name them too)".to_string(),
    };
    Err(Message::new(format!("no event has the type `{event_type}`")).help(help))
}

fn field_outcomes(field: &str, data: &Dataset) -> Result<Vec<Option<bool>>, Message> {
    let Some(f) = data.schema.contact_field(field) else {
        let names: Vec<&str> = data
            .schema
            .contact
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let help = match crate::evaluate::nearest(field, &names) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("declare it in the schema's `contact` block (`{field}: bool?`), or check the contacts file's columns"),
        };
        return Err(Message::new(format!("the contacts have no field `{field}`")).help(help));
    };
    let spec = &data.schema.contact[f];
    if spec.ty != FieldType::Bool {
        return Err(Message::new(format!("the outcome field `{field}` is a {}, not a bool", spec.ty.name())).help(format!("the outcome field says whether each contact converted: `true`, `false` or empty for not known (declare it `{field}: bool?`)")));
    }
    let outcomes: Vec<Option<bool>> = data
        .contacts
        .iter()
        .map(|c| match c.fields.get(f) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        })
        .collect();
    if !outcomes.is_empty() && outcomes.iter().all(Option::is_none) {
        return Err(Message::new(format!(
            "the outcome field `{field}` is missing for every contact"
        ))
        .help("fill it with `true` or `false` for the contacts whose outcome is known"));
    }
    Ok(outcomes)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
