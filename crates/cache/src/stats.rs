//! The cache's counters ([`CacheStats`], a snapshot of them) per [`Tier`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A tier of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// In-process (moka).
    Memory,
    /// Shared (Redis).
    Redis,
}

impl Tier {
    /// The label value in series: `memory`, `redis`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Redis => "redis",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Memory => 0,
            Self::Redis => 1,
        }
    }
}

/// One tier's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierStats {
    /// Fresh answers.
    pub hits: u64,
    /// Lookups not answered fresh.
    pub misses: u64,
    /// Stale answers inside the stale-while-revalidate window.
    pub stale: u64,
    /// Entries written.
    pub inserts: u64,
    /// Entries evicted for size or expiry (memory only).
    pub evictions: u64,
    /// Bytes held (memory) or written (Redis).
    pub bytes: u64,
}

impl TierStats {
    /// Hits and stale answers over lookups; `None` before the first lookup.
    pub fn hit_ratio(&self) -> Option<f64> {
        ratio(self.hits + self.stale, self.hits + self.stale + self.misses)
    }
}

#[allow(clippy::cast_precision_loss, reason = "a ratio")]
fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A snapshot of the cache's counters.
///
/// ```
/// let stats = steadfast_cache::CacheStats::default();
/// assert_eq!(stats.hit_ratio(), None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Cacheable requests looked up.
    pub requests: u64,
    /// The in-process tier.
    pub memory: TierStats,
    /// The shared tier.
    pub redis: TierStats,
    /// Origin fetches.
    pub loads: u64,
    /// Origin fetches that failed.
    pub load_errors: u64,
    /// `304`s that refreshed an entry.
    pub revalidations: u64,
    /// Origin answers not stored: status, directive, oversize.
    pub not_stored: [u64; 3],
    /// Redis errors and timeouts.
    pub redis_errors: u64,
    /// Values in Redis that would not open or decode (dropped).
    pub decode_errors: u64,
    /// Requests that bypassed the cache (methods other than GET/HEAD, cache off).
    pub bypassed: u64,
}

impl CacheStats {
    /// Requests answered by any tier without an origin fetch, over requests.
    pub fn hit_ratio(&self) -> Option<f64> {
        let hits = self.memory.hits + self.memory.stale + self.redis.hits + self.redis.stale;
        ratio(hits, self.requests)
    }

    /// One tier's counters.
    pub fn tier(&self, tier: Tier) -> &TierStats {
        match tier {
            Tier::Memory => &self.memory,
            Tier::Redis => &self.redis,
        }
    }
}

#[derive(Debug, Default)]
struct TierCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    stale: AtomicU64,
    inserts: AtomicU64,
    evictions: AtomicU64,
    bytes: AtomicU64,
}

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    tiers: [TierCounters; 2],
    pub(crate) loads: AtomicU64,
    pub(crate) load_errors: AtomicU64,
    pub(crate) revalidations: AtomicU64,
    pub(crate) not_stored: [AtomicU64; 3],
    pub(crate) redis_errors: AtomicU64,
    pub(crate) decode_errors: AtomicU64,
    pub(crate) bypassed: AtomicU64,
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Relaxed);
}

impl Counters {
    pub(crate) fn hit(&self, t: Tier) {
        bump(&self.tiers[t.index()].hits);
    }
    pub(crate) fn miss(&self, t: Tier) {
        bump(&self.tiers[t.index()].misses);
    }
    pub(crate) fn stale(&self, t: Tier) {
        bump(&self.tiers[t.index()].stale);
    }
    pub(crate) fn insert(&self, t: Tier) {
        bump(&self.tiers[t.index()].inserts);
    }
    pub(crate) fn evicted(&self, t: Tier) {
        bump(&self.tiers[t.index()].evictions);
    }
    pub(crate) fn add_bytes(&self, t: Tier, n: u64) {
        self.tiers[t.index()].bytes.fetch_add(n, Relaxed);
    }

    /// A snapshot; `memory_bytes` is the memory tier's weighed size now.
    pub(crate) fn snapshot(&self, memory_bytes: u64) -> CacheStats {
        let tier = |t: &TierCounters, bytes: u64| TierStats {
            hits: t.hits.load(Relaxed),
            misses: t.misses.load(Relaxed),
            stale: t.stale.load(Relaxed),
            inserts: t.inserts.load(Relaxed),
            evictions: t.evictions.load(Relaxed),
            bytes,
        };
        CacheStats {
            requests: self.requests.load(Relaxed),
            memory: tier(&self.tiers[0], memory_bytes),
            redis: tier(&self.tiers[1], self.tiers[1].bytes.load(Relaxed)),
            loads: self.loads.load(Relaxed),
            load_errors: self.load_errors.load(Relaxed),
            revalidations: self.revalidations.load(Relaxed),
            not_stored: self.not_stored.each_ref().map(|c| c.load(Relaxed)),
            redis_errors: self.redis_errors.load(Relaxed),
            decode_errors: self.decode_errors.load(Relaxed),
            bypassed: self.bypassed.load(Relaxed),
        }
    }
}
