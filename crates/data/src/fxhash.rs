//! The hash maps of the loading hot path. They use the standard library's SipHash: measured
//! here, simple multiplicative hashes (Fx) collide badly on ids such as `c123456`, and the
//! data is the user's own, so no other hasher is worth a dependency.

use std::collections::{HashMap, HashSet};

/// A `HashMap` for the loaders.
pub(crate) type FxHashMap<K, V> = HashMap<K, V>;
/// A `HashSet` for the loaders.
pub(crate) type FxHashSet<K> = HashSet<K>;
