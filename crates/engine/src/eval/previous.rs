//! The labels of a previous scoring, which `keep when` reads.

use std::collections::HashMap;

/// Each contact's label per segment in a previous scoring (a previous output, watch's last
/// good state): whoever read it hands it to [`crate::EvalOptions::previous`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviousScoring {
    /// Segment name → contact id → label; a segment with no entry had no column.
    segments: HashMap<String, HashMap<String, String>>,
}

impl PreviousScoring {
    /// A previous scoring with no segment column yet.
    pub fn new() -> PreviousScoring {
        PreviousScoring::default()
    }

    /// Records that the previous scoring has a column for `segment` (its cells may all be
    /// empty).
    pub fn add_segment(&mut self, segment: &str) {
        self.segments.entry(segment.to_string()).or_default();
    }

    /// Records that contact `id` had `label` in `segment`.
    pub fn insert(&mut self, segment: &str, id: &str, label: &str) {
        self.segments
            .entry(segment.to_string())
            .or_default()
            .insert(id.to_string(), label.to_string());
    }

    /// Whether the previous scoring has a column for `segment`.
    pub fn has_segment(&self, segment: &str) -> bool {
        self.segments.contains_key(segment)
    }

    /// The label contact `id` had in `segment`, if it had one.
    pub fn label(&self, segment: &str, id: &str) -> Option<&str> {
        self.segments.get(segment)?.get(id).map(String::as_str)
    }
}
