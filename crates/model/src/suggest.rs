//! "Did you mean …?": the one place that decides which known name a misspelt one was meant
//! to be, for rule files (names, functions, keywords), data files (columns, event types) and
//! rule tests alike, so that the same typo gets the same suggestion everywhere.
//!
//! A candidate is suggested when it is at most a third of the name's length away from it
//! (at least one edit), comparing without case; a swap of two neighbouring letters is one
//! edit (`teir` → `tier`). Of several, the closest wins, then the first in alphabetical order.

/// The candidate closest to `name`, if one is close enough to be a likely typo. A candidate
/// equal to `name` is never suggested.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let d = distance(&lower, &candidate.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && candidate < bc)) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// `` did you mean `x`? `` for the candidate closest to `name`, if any.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Names for a help line: `` `a`, `b`, `c` ``, at most `max` of them, then `…`.
pub fn list(names: &[&str], max: usize) -> String {
    let mut out: Vec<String> = names.iter().take(max).map(|n| format!("`{n}`")).collect();
    if names.len() > max {
        out.push("…".into());
    }
    out.join(", ")
}

/// The edit distance in characters between `a` and `b`, a swap of two neighbours counting as
/// one edit (optimal string alignment).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: two back (for swaps), the previous and the current one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_count_swaps_as_one_edit() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("teir", "tier"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("same", "same"), 0);
        assert_eq!(distance("ca", "abc"), 3);
        assert_eq!(distance("héllo", "hello"), 1);
    }

    #[test]
    fn suggests_near_names_only() {
        let names = ["industry", "country", "role"];
        assert_eq!(closest("industy", names), Some("industry"));
        assert_eq!(closest("Country", names), Some("country"));
        assert_eq!(closest("revenue", names), None);
        assert_eq!(closest("rol", names), Some("role"));
        assert_eq!(closest("x", names), None);
        assert_eq!(closest("role", names), None);
    }

    #[test]
    fn ties_go_to_the_closest_then_the_first_alphabetically() {
        assert_eq!(closest("cat", ["hat", "bat", "cart"]), Some("bat"));
        assert_eq!(closest("tierr", ["fit", "tier"]), Some("tier"));
        assert_eq!(
            did_you_mean("pageview", ["page_view", "order"]).as_deref(),
            Some("did you mean `page_view`?")
        );
        assert_eq!(did_you_mean("zzz", ["tier", "fit"]), None);
    }

    #[test]
    fn lists_are_cut_after_max_names() {
        assert_eq!(list(&["a", "b"], 8), "`a`, `b`");
        assert_eq!(list(&["a", "b", "c"], 2), "`a`, `b`, …");
        assert_eq!(list(&[], 3), "");
    }
}
