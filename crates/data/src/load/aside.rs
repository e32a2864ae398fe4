//! Event types set aside while loading (`LoadOptions::set_aside`): an outcome that the
//! schema does not declare is read with its contact and time only, and kept out of the data
//! set, so that scoring never sees it.

use super::events::EventOut;

/// The events of one type set aside: each one's contact (its index in the data set) and
/// time, sorted by contact, then time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetAside {
    /// The event type, as named in `LoadOptions::set_aside`.
    pub event_type: String,
    /// `(contact, at)` pairs: the contact's index and the time in milliseconds.
    pub events: Vec<(u32, i64)>,
}

/// Takes the events of the types from `aside_from` on out of `parts`, one list per name.
/// Those events have no properties, so the others' property ranges stay as they are.
pub(crate) fn split(parts: &mut [EventOut], aside_from: usize, names: &[String]) -> Vec<SetAside> {
    let mut out: Vec<SetAside> = names
        .iter()
        .map(|n| SetAside {
            event_type: n.clone(),
            events: Vec::new(),
        })
        .collect();
    if names.is_empty() {
        return out;
    }
    for part in parts {
        if !part.type_id.iter().any(|&t| t as usize >= aside_from) {
            continue;
        }
        let mut kept = 0;
        for i in 0..part.type_id.len() {
            let t = part.type_id[i] as usize;
            if t >= aside_from {
                out[t - aside_from]
                    .events
                    .push((part.contact[i], part.at[i]));
                continue;
            }
            part.contact[kept] = part.contact[i];
            part.type_id[kept] = part.type_id[i];
            part.at[kept] = part.at[i];
            part.prop_start[kept] = part.prop_start[i];
            kept += 1;
        }
        part.contact.truncate(kept);
        part.type_id.truncate(kept);
        part.at.truncate(kept);
        part.prop_start.truncate(kept);
    }
    for list in &mut out {
        list.events.sort_unstable();
    }
    out
}
