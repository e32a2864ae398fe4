//! How much a plugin call may do before it is stopped: the sandbox's limits.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Limits applied to every plugin call, read from `plugins:` in scoreline.yaml.
///
/// Every limit is on by default; a key left out keeps its default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Script operations (one statement, expression or loop step each) per call.
    pub max_operations: u64,
    /// How deep functions may call each other (recursion included).
    pub max_call_depth: usize,
    /// How deeply expressions may nest, in the script's body and in its functions.
    pub max_expr_depth: usize,
    /// Longest text a script may build, in bytes.
    pub max_string_size: usize,
    /// Largest list (array) a script may build, in items.
    pub max_array_size: usize,
    /// Largest map a script may build, in entries.
    pub max_map_size: usize,
    /// Most variables alive at once in a call.
    pub max_variables: usize,
    /// Wall-clock time per call: a number of milliseconds, or a text such as `250ms` or `2s`.
    #[serde(deserialize_with = "deserialize_duration")]
    pub max_call_time: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_operations: 100_000,
            max_call_depth: 32,
            max_expr_depth: 64,
            max_string_size: 1_000_000,
            max_array_size: 100_000,
            max_map_size: 10_000,
            max_variables: 1_000,
            max_call_time: Duration::from_secs(1),
        }
    }
}

/// Reads a duration written as milliseconds (`500`) or as a text (`500ms`, `2s`).
fn deserialize_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Millis(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Millis(ms) => Ok(Duration::from_millis(ms)),
        Raw::Text(text) => parse_duration(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a duration: write a number of milliseconds, or a text such as `250ms` or `2s`"
            ))
        }),
    }
}

/// Parses `250ms`, `2s` or a bare number of milliseconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    if let Some(s) = text.strip_suffix('s') {
        let secs = s.trim().parse::<f64>().ok()?;
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    text.parse::<u64>().ok().map(Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_user_forms() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("40"), Some(Duration::from_millis(40)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("-1s"), None);
    }
}
