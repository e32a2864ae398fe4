//! Values crossing into and out of a plugin: Scoreline [`Value`]s ↔ Rhai [`Dynamic`]s.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike};
use rhai::{Array, Dynamic, ImmutableString, Map};
use scoreline_model::Value;

/// One argument of a plugin call.
#[derive(Debug, Clone, Copy)]
pub enum PluginArg<'a> {
    /// A plain value: text, number, bool, date, list or missing.
    Value(&'a Value),
    /// The whole contact record (`contact`), as field name and value pairs.
    Contact(&'a [(&'a str, &'a Value)]),
    /// The contact's events up to as-of (`events`), oldest first.
    Events(&'a [EventArg<'a>]),
}

/// One event passed to a plugin within [`PluginArg::Events`].
#[derive(Debug, Clone, Copy)]
pub struct EventArg<'a> {
    /// The event's type, e.g. `page_view`.
    pub event_type: &'a str,
    /// When it happened, milliseconds since 1970-01-01T00:00:00Z.
    pub at_millis: i64,
    /// Its properties, as name and value pairs.
    pub props: &'a [(&'a str, &'a Value)],
}

/// A date as an RFC 3339 text in UTC: `2026-11-01T00:00:00Z` (milliseconds shown when present).
///
/// Written digit by digit: it runs for every event passed to a plugin, and this is several
/// times faster than going through a formatter.
pub fn date_text(millis: i64) -> String {
    let Some(at) = DateTime::from_timestamp_millis(millis) else {
        // Out of chrono's range: cannot come from our loaders, but never panic.
        return millis.to_string();
    };
    let year = at.year();
    if !(0..=9999).contains(&year) {
        return at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    }
    let mut out = [0u8; 24];
    let mut put = |at: usize, value: u32, width: usize| {
        let mut value = value;
        for i in (0..width).rev() {
            out[at + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, at.month(), 2);
    put(8, at.day(), 2);
    put(11, at.hour(), 2);
    put(14, at.minute(), 2);
    put(17, at.second(), 2);
    let ms = (millis.rem_euclid(1000)) as u32;
    put(20, ms, 3);
    for (i, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ] {
        out[i] = c;
    }
    let len = if ms == 0 {
        out[19] = b'Z';
        20
    } else {
        out[23] = b'Z';
        24
    };
    String::from_utf8_lossy(&out[..len]).into_owned()
}

/// A plain value as the script sees it.
pub fn to_dynamic(value: &Value) -> Dynamic {
    match value {
        Value::Missing => Dynamic::UNIT,
        Value::Number(n) => Dynamic::from_float(*n),
        Value::Text(t) => Dynamic::from(ImmutableString::from(&**t)),
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Date(ms) => Dynamic::from(ImmutableString::from(date_text(*ms))),
        Value::List(items) => {
            let array: Array = items
                .iter()
                .map(|item| Dynamic::from(ImmutableString::from(&**item)))
                .collect();
            Dynamic::from_array(array)
        }
    }
}

/// A contact record as a map from field name to value.
pub fn contact_to_dynamic(fields: &[(&str, &Value)]) -> Dynamic {
    let map: Map = fields
        .iter()
        .map(|(name, value)| ((*name).into(), to_dynamic(value)))
        .collect();
    Dynamic::from_map(map)
}

/// Events as an array of maps with `type`, `at` and the properties.
pub fn events_to_dynamic(events: &[EventArg<'_>]) -> Dynamic {
    let array: Array = events
        .iter()
        .map(|event| {
            let mut map: Map = event
                .props
                .iter()
                .map(|(name, value)| ((*name).into(), to_dynamic(value)))
                .collect();
            map.insert(
                "type".into(),
                Dynamic::from(ImmutableString::from(event.event_type)),
            );
            map.insert(
                "at".into(),
                Dynamic::from(ImmutableString::from(date_text(event.at_millis))),
            );
            Dynamic::from_map(map)
        })
        .collect();
    Dynamic::from_array(array)
}

/// An argument as the script sees it.
pub fn arg_to_dynamic(arg: &PluginArg<'_>) -> Dynamic {
    match arg {
        PluginArg::Value(value) => to_dynamic(value),
        PluginArg::Contact(fields) => contact_to_dynamic(fields),
        PluginArg::Events(events) => events_to_dynamic(events),
    }
}

/// Why a script's result cannot become a Scoreline value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnError {
    /// The result is of a type plugins may not return; holds its name in user words.
    WrongType(&'static str),
    /// The result is a number that is not finite (infinity or not-a-number).
    NotFinite,
}

/// A script's result as a Scoreline value: text, number, bool or missing.
///
/// An integer becomes a number; a single character becomes a one-character text.
pub fn from_dynamic(result: Dynamic) -> Result<Value, ReturnError> {
    if result.is_unit() {
        return Ok(Value::Missing);
    }
    if let Ok(n) = result.as_float() {
        return if n.is_finite() {
            Ok(Value::Number(n))
        } else {
            Err(ReturnError::NotFinite)
        };
    }
    if let Ok(i) = result.as_int() {
        return Ok(Value::Number(i as f64));
    }
    if let Ok(b) = result.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(c) = result.as_char() {
        return Ok(Value::Text(c.to_string().into()));
    }
    if result.is_string() {
        let text = result.into_immutable_string().unwrap_or_default();
        return Ok(Value::Text(text.as_str().into()));
    }
    Err(ReturnError::WrongType(type_in_words(result.type_name())))
}

/// A Rhai type name as a marketing ops person would say it ("a map", "a list"…).
pub fn type_in_words(rhai_type: &str) -> &'static str {
    match rhai_type {
        "()" => "nothing",
        "i64" | "i32" | "u64" | "u32" | "f64" | "f32" | "decimal" => "a number",
        "string" | "ImmutableString" | "&str" | "String" => "a text",
        "char" => "a character",
        "bool" => "a bool",
        "array" => "a list",
        "map" => "a map",
        "blob" => "binary data",
        "Fn" => "a function",
        "timestamp" => "a timestamp",
        "range" | "range=" => "a range",
        _ => "a value of an unsupported kind",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn text(s: &str) -> Value {
        Value::Text(Arc::from(s))
    }

    #[test]
    fn plain_values_become_script_values() {
        assert!(to_dynamic(&Value::Missing).is_unit());
        assert_eq!(to_dynamic(&Value::Number(2.5)).as_float(), Ok(2.5));
        assert_eq!(to_dynamic(&Value::Bool(true)).as_bool(), Ok(true));
        assert_eq!(to_dynamic(&text("acme")).into_string().unwrap(), "acme");
        let list = Value::List(vec![Arc::from("a"), Arc::from("b")].into());
        let array = to_dynamic(&list).into_array().unwrap();
        let items: Vec<String> = array
            .into_iter()
            .map(|d| d.into_string().unwrap())
            .collect();
        assert_eq!(items, ["a", "b"]);
    }

    #[test]
    fn dates_become_rfc3339_texts() {
        // 2026-11-01T00:00:00Z
        let ms = 1_793_491_200_000;
        assert_eq!(
            to_dynamic(&Value::Date(ms)).into_string().unwrap(),
            "2026-11-01T00:00:00Z"
        );
        assert_eq!(date_text(ms + 250), "2026-11-01T00:00:00.250Z");
        assert_eq!(date_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(date_text(-1), "1969-12-31T23:59:59.999Z");
        // The hand-written format agrees with chrono's.
        for ms in [
            951_782_400_123,
            1_709_164_799_000,
            4_102_444_800_000,
            -62_135_596_800_000,
        ] {
            let chrono = DateTime::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true);
            assert_eq!(date_text(ms), chrono, "{ms}");
        }
    }

    #[test]
    fn contact_becomes_a_map_of_every_field() {
        let id = text("c1");
        let missing = Value::Missing;
        let map = contact_to_dynamic(&[("id", &id), ("email", &missing)]).cast::<Map>();
        assert_eq!(map.len(), 2);
        assert_eq!(map["id"].clone().into_string().unwrap(), "c1");
        assert!(map["email"].is_unit());
    }

    #[test]
    fn events_become_maps_with_type_and_at() {
        let url = text("/pricing");
        let props = [("url", &url)];
        let events = [EventArg {
            event_type: "page_view",
            at_millis: 1_793_491_200_000,
            props: &props,
        }];
        let array = events_to_dynamic(&events).into_array().unwrap();
        let map = array[0].clone().cast::<Map>();
        assert_eq!(map["type"].clone().into_string().unwrap(), "page_view");
        assert_eq!(
            map["at"].clone().into_string().unwrap(),
            "2026-11-01T00:00:00Z"
        );
        assert_eq!(map["url"].clone().into_string().unwrap(), "/pricing");
    }

    #[test]
    fn script_results_become_values() {
        assert_eq!(from_dynamic(Dynamic::UNIT), Ok(Value::Missing));
        assert_eq!(
            from_dynamic(Dynamic::from_float(1.5)),
            Ok(Value::Number(1.5))
        );
        assert_eq!(from_dynamic(Dynamic::from_int(7)), Ok(Value::Number(7.0)));
        assert_eq!(
            from_dynamic(Dynamic::from_bool(false)),
            Ok(Value::Bool(false))
        );
        assert_eq!(from_dynamic(Dynamic::from("hi")), Ok(text("hi")));
        assert_eq!(from_dynamic(Dynamic::from_char('x')), Ok(text("x")));
    }

    #[test]
    fn unsupported_results_are_named_in_user_words() {
        assert_eq!(
            from_dynamic(Dynamic::from_map(Map::new())),
            Err(ReturnError::WrongType("a map"))
        );
        assert_eq!(
            from_dynamic(Dynamic::from_array(Array::new())),
            Err(ReturnError::WrongType("a list"))
        );
        assert_eq!(
            from_dynamic(Dynamic::from_float(f64::NAN)),
            Err(ReturnError::NotFinite)
        );
    }

    #[test]
    fn values_survive_a_round_trip() {
        for value in [
            Value::Missing,
            Value::Number(-3.25),
            Value::Bool(true),
            text("été"),
        ] {
            assert_eq!(from_dynamic(to_dynamic(&value)), Ok(value.clone()));
        }
    }
}
