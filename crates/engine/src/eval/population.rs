//! Population functions: every contact's argument is computed in a first pass, the present
//! values of each call site sorted, and each contact answered by binary search.
//!
//! The first pass can run on partitions of the contacts (other threads, other machines):
//! each partition's [`Statistics`] are the sorted present values of its contacts, and
//! [`Statistics::merge`] of all partitions gives exactly the statistics of the whole.

use serde::{Deserialize, Serialize};

use crate::plan::node::PopKind;

/// What population functions need to know of every contact: per call site, the present
/// argument values in ascending order. Merged from partitions, it is the same whatever the
/// partitioning.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Statistics {
    sites: Vec<Vec<f64>>,
}

impl Statistics {
    /// The statistics of the union of the partitions that gave `parts`.
    pub fn merge<'a>(parts: impl IntoIterator<Item = &'a Statistics>) -> Statistics {
        let mut sites: Vec<Vec<f64>> = Vec::new();
        let mut count = 0;
        for part in parts {
            if sites.len() < part.sites.len() {
                sites.resize_with(part.sites.len(), Vec::new);
            }
            for (all, values) in sites.iter_mut().zip(&part.sites) {
                all.extend_from_slice(values);
            }
            count += 1;
        }
        if count > 1 {
            for values in &mut sites {
                values.sort_unstable_by(f64::total_cmp);
            }
        }
        Statistics { sites }
    }

    /// The number of present values at each call site.
    pub fn counts(&self) -> Vec<usize> {
        self.sites.iter().map(Vec::len).collect()
    }

    /// Builds the statistics from every contact's keys (contact-major, NaN = missing).
    fn from_keys(sites: usize, keys: &[f64]) -> Statistics {
        let sites = (0..sites)
            .map(|s| {
                let mut present: Vec<f64> = keys
                    .iter()
                    .skip(s)
                    .step_by(sites.max(1))
                    .copied()
                    .filter(|k| !k.is_nan())
                    .collect();
                present.sort_unstable_by(f64::total_cmp);
                present
            })
            .collect();
        Statistics { sites }
    }

    /// How many present values at `site` are strictly smaller than `key`, and how many there
    /// are: all that an answer depends on.
    fn rank(&self, site: usize, key: f64) -> (usize, usize) {
        let sorted = self.sites.get(site).map_or(&[][..], Vec::as_slice);
        (sorted.partition_point(|&v| v < key), sorted.len())
    }
}

/// The first pass over one partition: each of its contacts' arguments per call site, the
/// plugin calls that failed on the way, and the partition's [`Statistics`].
#[derive(Debug, Clone, Default)]
pub struct PartitionStatistics {
    /// `keys[contact * sites + site]`; NaN where the argument is missing.
    pub(crate) keys: Vec<f64>,
    pub(crate) sites: usize,
    /// Plugin failures of the pass, by contact index (ascending).
    pub(crate) errors: super::PopulationErrors,
    /// What the plugins printed during the pass.
    pub(crate) log: scoreline_plugins::CapturedLog,
    /// Which partition the pass was over ([`partition_key`]).
    pub(crate) partition: u64,
    summary: Statistics,
}

/// A key of a partition's contacts and how many events each has: the pass over one partition
/// is not used for another by mistake (cheap: ids and offsets, not every event).
pub(crate) fn partition_key(data: &scoreline_model::Dataset) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    data.contacts.len().hash(&mut h);
    for c in &data.contacts {
        c.id().hash(&mut h);
    }
    data.events.contact_start.hash(&mut h);
    h.finish()
}

impl PartitionStatistics {
    pub(crate) fn new(
        sites: usize,
        keys: Vec<f64>,
        errors: super::PopulationErrors,
        log: scoreline_plugins::CapturedLog,
        partition: u64,
    ) -> PartitionStatistics {
        let summary = Statistics::from_keys(sites, &keys);
        PartitionStatistics {
            keys,
            sites,
            errors,
            log,
            partition,
            summary,
        }
    }

    /// This partition's statistics, to merge with the other partitions'.
    pub fn summary(&self) -> &Statistics {
        &self.summary
    }

    /// The number of contacts the pass covered.
    pub fn contacts(&self) -> usize {
        self.keys.len().checked_div(self.sites).unwrap_or(0)
    }

    /// Replaces the keys of some contacts (their indices in `rows`) by those of `other`, a
    /// pass over just those contacts in that order, and rebuilds the summary: the statistics
    /// after those contacts changed, without a pass over the others.
    pub fn update(&mut self, rows: &[usize], other: &PartitionStatistics) {
        let sites = self.sites;
        for (k, &row) in rows.iter().enumerate() {
            let (to, from) = (row * sites, k * sites);
            if let (Some(dst), Some(src)) = (
                self.keys.get_mut(to..to + sites),
                other.keys.get(from..from + sites),
            ) {
                dst.copy_from_slice(src);
            }
        }
        self.summary = Statistics::from_keys(sites, &self.keys);
        self.partition = 0;
    }

    /// The contacts (indices) whose answer to some population function may differ between
    /// the statistics `before` and `after`: those whose key has another rank or count.
    pub fn moved(&self, before: &Statistics, after: &Statistics) -> Vec<usize> {
        let sites = self.sites;
        if sites == 0 {
            return Vec::new();
        }
        (0..self.contacts())
            .filter(|&c| {
                (0..sites).any(|s| {
                    let key = self.keys[c * sites + s];
                    !key.is_nan() && before.rank(s, key) != after.rank(s, key)
                })
            })
            .collect()
    }
}

/// A partition's keys with the statistics of the whole population: what answers a call.
pub(crate) struct Population<'s> {
    pub kinds: Vec<PopKind>,
    pub own: &'s PartitionStatistics,
    pub all: &'s Statistics,
}

impl Population<'_> {
    /// The answer of call site `site` for `contact`: `ntile` with `buckets`, or `percent_rank`.
    pub fn answer<'a>(
        &self,
        site: usize,
        contact: usize,
        buckets: Option<f64>,
    ) -> super::value::Val<'a> {
        use super::value::Val;
        let key = self
            .own
            .keys
            .get(contact * self.kinds.len() + site)
            .copied()
            .unwrap_or(f64::NAN);
        if key.is_nan() {
            return Val::Missing;
        }
        // B: how many present values are strictly smaller.
        let (below, n) = self.all.rank(site, key);
        let (below, n) = (below as f64, n as f64);
        match self.kinds[site] {
            PopKind::Ntile => {
                let buckets = buckets.unwrap_or(1.0);
                Val::num((below * buckets / n.max(1.0)).floor() + 1.0)
            }
            PopKind::PercentRank => {
                if n <= 1.0 {
                    Val::Num(0.0)
                } else {
                    Val::num(below / (n - 1.0))
                }
            }
        }
    }
}
