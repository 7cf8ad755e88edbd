//! A log-linear (HDR-style) histogram of nanoseconds: exact below 128 ns, then 64 linear
//! sub-buckets per power of two (relative bucket width 1/64, so a percentile read at a
//! bucket's midpoint is within 0.8% of the true value), up to about 73 minutes.
//!
//! The per-thread side ([`AtomicBuckets`]) is written only by its owning thread with plain
//! loads and stores (no read-modify-write, so no bus lock), and read by snapshots; a
//! snapshot merges every thread's buckets into a [`Histogram`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Values below this are their own bucket.
const EXACT: u64 = 128;
/// Linear sub-buckets per power of two above [`EXACT`].
const SUB: u64 = 64;
/// The largest power of two kept apart; larger values share the last bucket (2^42 ns ≈ 73 min).
const MAX_MSB: u32 = 42;
/// Number of buckets.
#[allow(clippy::cast_possible_truncation, reason = "2432 fits any usize")]
pub(crate) const BUCKETS: usize = (EXACT + (MAX_MSB as u64 - 6) * SUB) as usize;

/// The bucket of `v` nanoseconds.
#[inline]
pub(crate) fn index(v: u64) -> usize {
    if v < EXACT {
        #[allow(clippy::cast_possible_truncation, reason = "v < 128")]
        return v as usize;
    }
    let msb = (63 - v.leading_zeros()).min(MAX_MSB);
    let shift = msb - 6;
    let top = (v >> shift).min(2 * SUB - 1) - SUB;
    #[allow(clippy::cast_possible_truncation, reason = "bounded by BUCKETS")]
    let i = (EXACT + u64::from(msb - 7) * SUB + top) as usize;
    i.min(BUCKETS - 1)
}

/// The lowest value and the width of bucket `i`.
pub(crate) fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < EXACT {
        return (i, 1);
    }
    let msb = (i - EXACT) / SUB + 7;
    let top = (i - EXACT) % SUB + SUB;
    let shift = msb - 6;
    (top << shift, 1 << shift)
}

/// A value representing bucket `i`: the value itself when exact, else the midpoint.
pub(crate) fn representative(i: usize) -> u64 {
    let (low, width) = bounds(i);
    low + width / 2
}

/// One thread's buckets for one component.
pub(crate) struct AtomicBuckets {
    counts: Box<[AtomicU64]>,
}

impl AtomicBuckets {
    pub(crate) fn new() -> Self {
        Self {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Owner thread only: counts `v`.
    #[inline]
    pub(crate) fn record(&self, v: u64) {
        let c = &self.counts[index(v)];
        c.store(c.load(Relaxed) + 1, Relaxed);
    }

    pub(crate) fn merge_into(&self, out: &mut Histogram) {
        for (o, c) in out.counts.iter_mut().zip(self.counts.iter()) {
            *o += c.load(Relaxed);
        }
    }
}

/// A merged histogram of durations in nanoseconds.
///
/// ```
/// use steadfast_perf_profiler::Histogram;
///
/// let mut h = Histogram::new();
/// for v in 1..=1000u64 {
///     h.record(v * 1000); // 1 µs .. 1 ms
/// }
/// let p50 = h.percentile(0.5) as f64;
/// assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.01);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
        }
    }

    /// Counts one value.
    pub fn record(&mut self, v: u64) {
        self.counts[index(v)] += 1;
    }

    /// Adds another histogram's counts.
    pub fn add(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The value at quantile `q` (0..=1), within 0.8%; 0 when empty.
    pub fn percentile(&self, q: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "rank is within 1..=total"
        )]
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return representative(i);
            }
        }
        0
    }

    /// Values at or below `limit` (whole buckets whose upper end is within it).
    pub fn count_at_most(&self, limit: u64) -> u64 {
        self.counts
            .iter()
            .enumerate()
            .take_while(|(i, _)| bounds(*i).0 <= limit)
            .filter(|(i, _)| {
                let (low, width) = bounds(*i);
                low + width / 2 <= limit
            })
            .map(|(_, c)| c)
            .sum()
    }

    /// The non-empty buckets as `(bucket index, count)`, the form saved in `profile.json`.
    pub fn sparse(&self) -> Vec<(u32, u64)> {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (u32::try_from(i).unwrap_or(u32::MAX), *c))
            .collect()
    }

    /// Rebuilds a histogram from [`sparse`](Self::sparse) pairs; out-of-range indexes are
    /// ignored.
    pub fn from_sparse(pairs: &[(u32, u64)]) -> Self {
        let mut h = Self::new();
        for (i, c) in pairs {
            if let Some(slot) = h.counts.get_mut(*i as usize) {
                *slot += c;
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_falls_in_its_bucket() {
        for v in (0..5000u64).chain((0..2000).map(|i| i * 7919 + 1_000_003)) {
            let (low, width) = bounds(index(v));
            assert!(low <= v && v < low + width, "{v} not in [{low}, +{width})");
            assert!(width == 1 || width * 64 <= low, "bucket of {v} too wide");
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn buckets_are_contiguous() {
        for i in 0..BUCKETS - 1 {
            let (low, width) = bounds(i);
            assert_eq!(low + width, bounds(i + 1).0, "gap after bucket {i}");
        }
    }
}
