//! Population functions: every contact's argument is computed in a first pass, the present
//! values sorted once per call site, and each contact answered by binary search.

use crate::plan::node::PopKind;

/// The first pass's results: each contact's argument per call site, and the sorted values.
#[derive(Debug)]
pub(crate) struct Population {
    kinds: Vec<PopKind>,
    /// `keys[contact * sites + site]`; NaN where the argument is missing.
    keys: Vec<f64>,
    /// Per site, the present values in ascending order.
    sorted: Vec<Vec<f64>>,
}

impl Population {
    /// Builds the lookup tables from every contact's keys (contact-major, NaN = missing).
    pub fn new(kinds: Vec<PopKind>, keys: Vec<f64>) -> Population {
        let sites = kinds.len();
        let sorted = (0..sites)
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
        Population {
            kinds,
            keys,
            sorted,
        }
    }

    /// The answer of call site `site` for `contact`: `ntile` with `buckets`, or `percent_rank`.
    pub fn answer<'a>(
        &self,
        site: usize,
        contact: usize,
        buckets: Option<f64>,
    ) -> super::value::Val<'a> {
        use super::value::Val;
        let key = self.keys[contact * self.kinds.len() + site];
        if key.is_nan() {
            return Val::Missing;
        }
        let sorted = &self.sorted[site];
        let n = sorted.len() as f64;
        // B: how many present values are strictly smaller.
        let below = sorted.partition_point(|&v| v < key) as f64;
        match self.kinds[site] {
            PopKind::Ntile => {
                let buckets = buckets.unwrap_or(1.0);
                Val::num((below * buckets / n).floor() + 1.0)
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
