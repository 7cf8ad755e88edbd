//! One thread's totals for one component: exact call count, sampled durations into a
//! histogram and a reservoir. Written only by the owning thread (plain load + store, no
//! bus-locked read-modify-write), read by snapshots from any thread.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::histogram::{AtomicBuckets, Histogram};
use crate::paths::PathSlots;

/// Durations kept per thread and component for baseline comparisons.
pub(crate) const RESERVOIR: usize = 512;

pub(crate) use crate::owned::bump;

pub(crate) struct CompShard {
    pub(crate) calls: AtomicU64,
    pub(crate) sampled: AtomicU64,
    pub(crate) total_ns: AtomicU64,
    pub(crate) self_ns: AtomicU64,
    pub(crate) max_ns: AtomicU64,
    /// Bytes allocated in timed calls, outside timed children (feature `alloc`).
    pub(crate) alloc_bytes: AtomicU64,
    pub(crate) hist: AtomicBuckets,
    /// Reservoir of sampled durations (Vitter's algorithm R); `seen` counts offers.
    pub(crate) reservoir: Box<[AtomicU64]>,
    pub(crate) seen: AtomicU64,
    /// Own time of timed calls per call path.
    pub(crate) paths: PathSlots,
}

impl CompShard {
    pub(crate) fn new() -> Self {
        Self {
            calls: AtomicU64::new(0),
            sampled: AtomicU64::new(0),
            total_ns: AtomicU64::new(0),
            self_ns: AtomicU64::new(0),
            max_ns: AtomicU64::new(0),
            alloc_bytes: AtomicU64::new(0),
            hist: AtomicBuckets::new(),
            reservoir: (0..RESERVOIR).map(|_| AtomicU64::new(0)).collect(),
            seen: AtomicU64::new(0),
            paths: PathSlots::new(),
        }
    }

    /// Owner thread: one timed call of `total` ns, `own` of them outside timed children.
    #[inline]
    pub(crate) fn sample(&self, total: u64, own: u64, random: u64) {
        bump(&self.sampled, 1);
        bump(&self.total_ns, total);
        bump(&self.self_ns, own);
        if total > self.max_ns.load(Relaxed) {
            self.max_ns.store(total, Relaxed);
        }
        self.hist.record(total);
        let n = self.seen.load(Relaxed);
        self.seen.store(n + 1, Relaxed);
        let slot = if n < RESERVOIR as u64 {
            Some(n)
        } else {
            // Uniform in 0..=n without a division (Lemire's multiply-shift).
            #[allow(
                clippy::cast_possible_truncation,
                reason = "the high half of a u128 product"
            )]
            let j = ((u128::from(random) * u128::from(n + 1)) >> 64) as u64;
            (j < RESERVOIR as u64).then_some(j)
        };
        if let Some(slot) = slot.and_then(|i| self.reservoir.get(usize::try_from(i).ok()?)) {
            slot.store(total, Relaxed);
        }
    }

    /// Adds this shard into `acc`.
    pub(crate) fn read_into(&self, acc: &mut Totals) {
        acc.calls += self.calls.load(Relaxed);
        acc.sampled += self.sampled.load(Relaxed);
        acc.total_ns += self.total_ns.load(Relaxed);
        acc.self_ns += self.self_ns.load(Relaxed);
        acc.max_ns = acc.max_ns.max(self.max_ns.load(Relaxed));
        acc.alloc_bytes += self.alloc_bytes.load(Relaxed);
        self.hist.merge_into(&mut acc.hist);
        let kept = usize::try_from(self.seen.load(Relaxed))
            .unwrap_or(usize::MAX)
            .min(RESERVOIR);
        acc.samples
            .extend(self.reservoir[..kept].iter().map(|a| a.load(Relaxed)));
        self.paths.read_into(&mut acc.paths);
    }
}

/// Totals of one component, summed over threads (live and retired).
#[derive(Debug, Clone, Default)]
pub(crate) struct Totals {
    pub(crate) calls: u64,
    pub(crate) sampled: u64,
    pub(crate) total_ns: u64,
    pub(crate) self_ns: u64,
    pub(crate) max_ns: u64,
    pub(crate) alloc_bytes: u64,
    pub(crate) hist: Histogram,
    pub(crate) samples: Vec<u64>,
    /// Sampled own time per call path (path ids of the profiler's table).
    pub(crate) paths: HashMap<u32, u64>,
}

impl Totals {
    pub(crate) fn add(&mut self, other: &Self) {
        self.calls += other.calls;
        self.sampled += other.sampled;
        self.total_ns += other.total_ns;
        self.self_ns += other.self_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
        self.alloc_bytes += other.alloc_bytes;
        self.hist.add(&other.hist);
        self.samples.extend_from_slice(&other.samples);
        for (path, own) in &other.paths {
            *self.paths.entry(*path).or_insert(0) += own;
        }
        // Retired threads' samples are thinned to keep memory bounded.
        if self.samples.len() > 8 * RESERVOIR {
            let step = self.samples.len() / (4 * RESERVOIR);
            self.samples = self.samples.iter().step_by(step.max(1)).copied().collect();
        }
    }
}
