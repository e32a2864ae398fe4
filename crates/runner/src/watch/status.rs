//! The one status line printed per cycle, for people or (with `--format json`) as NDJSON.

use std::time::Duration;

use serde::Serialize;

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// New outputs were written.
    Rescored,
    /// The change did not alter the meaning of the rules or the data: nothing was rewritten.
    Unchanged,
    /// The change failed (diagnostics printed above); the last good state stays in force.
    Failed,
}

/// A segment move: how many contacts went from one label to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Move {
    pub segment: String,
    pub from: String,
    pub to: String,
    pub count: usize,
}

/// What one cycle did.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// When the cycle ended (RFC 3339, UTC).
    pub time: String,
    /// The files that changed, as named in the settings (`start` for the first run).
    pub changed: Vec<String>,
    pub outcome: Outcome,
    /// Whether only the contacts concerned by appended events were rescored.
    pub incremental: bool,
    /// Milliseconds of the runner's work, from the end of the quiet period to the outputs written.
    pub ms: u64,
    /// Contacts in the outputs.
    pub contacts: usize,
    /// Contacts actually rescored (all, or those concerned by appended events).
    pub rescored: usize,
    pub score_changed: usize,
    pub segment_changed: usize,
    pub moves: Vec<Move>,
    /// The ruleset version in force after the cycle.
    pub ruleset_version: String,
    /// Lines appended to the change feed.
    pub feed_lines: usize,
    /// Why a failed cycle did not apply: each problem as in `check --format json` (file, line,
    /// column, severity, code, message, help). Absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<serde_json::Value>,
}

/// `12 ms`, `1.40 s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

impl Status {
    /// The line for people.
    pub fn human(&self) -> String {
        let clock = self.time.get(11..19).unwrap_or(&self.time);
        let what = if self.changed == ["start"] {
            "start".to_string()
        } else {
            format!("{} changed", self.changed.join(", "))
        };
        let took = human_duration(Duration::from_millis(self.ms));
        match self.outcome {
            Outcome::Failed => format!(
                "[{clock}] {what}: not applied (errors above); the last good rules and data stay in force, outputs untouched"
            ),
            Outcome::Unchanged => {
                format!("[{clock}] {what}: same meaning, nothing rewritten ({took})")
            }
            Outcome::Rescored => {
                let scope = if self.incremental {
                    format!(
                        "rescored {} of {} contacts",
                        self.rescored, self.contacts
                    )
                } else {
                    format!("scored {} contacts", self.contacts)
                };
                let mut line = format!(
                    "[{clock}] {what}: {scope} in {took}; {} changed score, {} changed segment",
                    self.score_changed, self.segment_changed
                );
                if !self.moves.is_empty() {
                    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
                    for m in &self.moves {
                        let part = format!("{}→{} {}", m.from, m.to, m.count);
                        match groups.iter_mut().find(|(s, _)| *s == m.segment) {
                            Some((_, parts)) => parts.push(part),
                            None => groups.push((m.segment.clone(), vec![part])),
                        }
                    }
                    let text: Vec<String> = groups
                        .into_iter()
                        .map(|(s, parts)| format!("{s}: {}", parts.join(", ")))
                        .collect();
                    line.push_str(&format!(" ({})", text.join("; ")));
                }
                if self.feed_lines > 0 {
                    line.push_str(&format!("; {} appended to the change feed", self.feed_lines));
                }
                line
            }
        }
    }

    /// The NDJSON line for tools.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_line_shows_moves_per_segment() {
        let status = Status {
            diagnostics: Vec::new(),
            time: "2026-11-01T09:30:05Z".into(),
            changed: vec!["rules/leads.score".into()],
            outcome: Outcome::Rescored,
            incremental: false,
            ms: 84,
            contacts: 1000,
            rescored: 1000,
            score_changed: 40,
            segment_changed: 15,
            moves: vec![
                Move {
                    segment: "tier".into(),
                    from: "warm".into(),
                    to: "hot".into(),
                    count: 12,
                },
                Move {
                    segment: "tier".into(),
                    from: "hot".into(),
                    to: "warm".into(),
                    count: 3,
                },
            ],
            ruleset_version: "abc".into(),
            feed_lines: 40,
        };
        assert_eq!(
            status.human(),
            "[09:30:05] rules/leads.score changed: scored 1000 contacts in 84 ms; 40 changed score, 15 changed segment (tier: warm→hot 12, hot→warm 3); 40 appended to the change feed"
        );
        assert!(status.json().starts_with(
            r#"{"time":"2026-11-01T09:30:05Z","changed":["rules/leads.score"],"outcome":"rescored""#
        ));
    }
}
