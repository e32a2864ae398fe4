//! The seeded hold-out split: a contact is held out by a hash of its id and the seed, so the
//! split does not depend on the order of the rows, and the same seed gives the same split.
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit state, a few lines,
//! well mixed, and no dependency for what is a coin toss per contact.

/// One step of SplitMix64 from `state`: the next output.
pub fn splitmix64(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of the bytes: a stable hash of a contact id (the standard library's hasher may
/// change between Rust versions).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether the contact with this id is in the hold-out share `share` (0 to 1) for `seed`.
pub fn held_out(id: &str, seed: u64, share: f64) -> bool {
    if share <= 0.0 {
        return false;
    }
    let u = splitmix64(fnv1a(id.as_bytes()) ^ splitmix64(seed)) >> 11;
    (u as f64) / ((1u64 << 53) as f64) < share
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_gives_the_reference_sequence() {
        // The reference implementation's first outputs from seed 0 (state advanced by the
        // golden gamma each call).
        let mut state = 0u64;
        let mut next = || {
            let out = splitmix64(state);
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            out
        };
        assert_eq!(next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(next(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(next(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn the_split_holds_out_about_the_share_asked_and_depends_on_the_seed() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
        let out = |seed| ids.iter().filter(|id| held_out(id, seed, 0.2)).count();
        let a = out(7);
        assert!((1_850..2_150).contains(&a), "{a}");
        assert_eq!(a, out(7));
        let differ = ids
            .iter()
            .filter(|id| held_out(id, 7, 0.2) != held_out(id, 8, 0.2))
            .count();
        assert!(differ > 2_000, "{differ}");
        assert_eq!(ids.iter().filter(|id| held_out(id, 7, 0.0)).count(), 0);
    }
}
