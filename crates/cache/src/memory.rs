//! The in-process tier on `moka`: bounded by bytes (each entry weighed), per-entry expiry at
//! the end of its retention, time-to-idle, and an eviction listener that counts what size
//! and expiry push out. Keys are the requests' [`MemoryKey`]s; values are shared handles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::notification::RemovalCause;
use moka::sync::Cache;

use crate::clock::Clock;
use crate::entry::Entry;
use crate::key::{CacheKey, MemoryKey, ResourceType};
use crate::stats::{Counters, Tier};

/// Expiry at an entry's retention end, by the cache's clock.
struct UntilRetained(Arc<dyn Clock>);

impl moka::Expiry<u128, Arc<Entry>> for UntilRetained {
    fn expire_after_create(
        &self,
        _key: &u128,
        value: &Arc<Entry>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(Duration::from_millis(
            value.retain_until.saturating_sub(self.0.now_ms()),
        ))
    }

    fn expire_after_update(
        &self,
        key: &u128,
        value: &Arc<Entry>,
        updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        self.expire_after_create(key, value, updated_at)
    }
}

/// Hashes a key for moka's table: the key is already the output of a keyed
/// pseudo-random function ([`MemoryKey`]), so its low 64 bits are the hash — no second
/// hash over it.
#[derive(Clone, Default)]
struct KeyHash;

impl std::hash::BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

/// See [`KeyHash`].
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the low 64 bits, on purpose"
    )]
    fn write_u128(&mut self, key: u128) {
        self.0 ^= key as u64;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not a `u128` (never, for this table's keys): every byte counts.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The in-process tier.
pub(crate) struct Memory {
    cache: Cache<u128, Arc<Entry>, KeyHash>,
}

impl Memory {
    pub(crate) fn new(
        capacity: u64,
        time_to_idle: Duration,
        clock: Arc<dyn Clock>,
        counters: Option<Arc<Counters>>,
    ) -> Self {
        let builder = Cache::builder()
            .max_capacity(capacity)
            .weigher(|_k, v: &Arc<Entry>| v.weight())
            .time_to_idle(time_to_idle)
            .expire_after(UntilRetained(clock));
        // The listener makes moka's maintenance allocate (about 16 bytes per read,
        // amortised); without it evictions go uncounted and hits allocate nothing.
        let cache = match counters {
            Some(counters) => builder
                .eviction_listener(move |_k, _v, cause| {
                    if matches!(cause, RemovalCause::Size | RemovalCause::Expired) {
                        counters.evicted(Tier::Memory);
                    }
                })
                .build_with_hasher(KeyHash),
            None => builder.build_with_hasher(KeyHash),
        };
        Self { cache }
    }

    /// The entry under `key`: a handle clone, nothing else allocated.
    #[inline]
    pub(crate) fn get(&self, key: MemoryKey) -> Option<Arc<Entry>> {
        self.cache.get(&key.0)
    }

    pub(crate) fn insert(&self, key: &CacheKey, entry: Arc<Entry>) {
        self.cache.insert(key.memory.0, entry);
    }

    pub(crate) fn remove(&self, key: &CacheKey) {
        self.cache.invalidate(&key.memory.0);
    }

    pub(crate) fn remove_type(&self, resource_type: ResourceType) {
        // A walk over the entries rather than moka's invalidation closures: supporting
        // those costs every read (a predicate check), and invalidating by type is rare.
        for (key, entry) in &self.cache {
            if entry.resource_type == Some(resource_type) {
                self.cache.invalidate(&*key);
            }
        }
    }

    pub(crate) fn clear(&self) {
        self.cache.invalidate_all();
    }

    /// Bytes held (the weighed size, after pending maintenance).
    pub(crate) fn bytes(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }
}
