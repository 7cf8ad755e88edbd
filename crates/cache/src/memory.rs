//! The in-process tier on `moka`: bounded by bytes (each entry weighed), per-entry expiry at
//! the end of its retention, time-to-idle, and an eviction listener that counts what size
//! and expiry push out. Keys are the request's sha256; values are shared handles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::notification::RemovalCause;
use moka::sync::Cache;

use crate::clock::Clock;
use crate::entry::Entry;
use crate::key::{CacheKey, ResourceType};
use crate::stats::{Counters, Tier};

/// Expiry at an entry's retention end, by the cache's clock.
struct UntilRetained(Arc<dyn Clock>);

impl moka::Expiry<[u8; 32], Arc<Entry>> for UntilRetained {
    fn expire_after_create(
        &self,
        _key: &[u8; 32],
        value: &Arc<Entry>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(Duration::from_millis(
            value.retain_until.saturating_sub(self.0.now_ms()),
        ))
    }

    fn expire_after_update(
        &self,
        key: &[u8; 32],
        value: &Arc<Entry>,
        updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        self.expire_after_create(key, value, updated_at)
    }
}

/// Hashes a key for moka's table: the digest is already a sha256, so its first eight bytes
/// are as good a hash as any once mixed — xor-ed with a per-process random key, then
/// through a full-avalanche finaliser (every output bit depends on every input bit, so
/// which digests share a bucket depends on the unknown key) — for a few instructions
/// instead of SipHash over 32 bytes.
#[derive(Clone)]
struct DigestHash(u64);

impl DigestHash {
    fn new() -> Self {
        Self(std::hash::BuildHasher::hash_one(
            &std::collections::hash_map::RandomState::new(),
            0u64,
        ))
    }
}

impl std::hash::BuildHasher for DigestHash {
    type Hasher = DigestHasher;
    fn build_hasher(&self) -> DigestHasher {
        DigestHasher(self.0)
    }
}

/// See [`DigestHash`]; the array's length prefix is ignored.
struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let word = match bytes.first_chunk::<8>() {
            Some(w) => u64::from_le_bytes(*w),
            // Not a digest (never, for this table's keys): every byte counts.
            None => bytes.iter().fold(0, |w, &b| (w << 8) | u64::from(b)),
        };
        self.0 = (self.0 ^ word).wrapping_mul(K);
    }

    fn write_usize(&mut self, _len: usize) {}

    fn finish(&self) -> u64 {
        // splitmix64's finaliser: the multiply above only carries upwards.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The in-process tier.
pub(crate) struct Memory {
    cache: Cache<[u8; 32], Arc<Entry>, DigestHash>,
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
            .expire_after(UntilRetained(clock))
            .support_invalidation_closures();
        // The listener makes moka's maintenance allocate (about 16 bytes per read,
        // amortised); without it evictions go uncounted and hits allocate nothing.
        let cache = match counters {
            Some(counters) => builder
                .eviction_listener(move |_k, _v, cause| {
                    if matches!(cause, RemovalCause::Size | RemovalCause::Expired) {
                        counters.evicted(Tier::Memory);
                    }
                })
                .build_with_hasher(DigestHash::new()),
            None => builder.build_with_hasher(DigestHash::new()),
        };
        Self { cache }
    }

    /// The entry under `key`: a handle clone, nothing else allocated.
    #[inline]
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Arc<Entry>> {
        self.cache.get(&key.digest)
    }

    pub(crate) fn insert(&self, key: &CacheKey, entry: Arc<Entry>) {
        self.cache.insert(key.digest, entry);
    }

    pub(crate) fn remove(&self, key: &CacheKey) {
        self.cache.invalidate(&key.digest);
    }

    pub(crate) fn remove_type(&self, resource_type: ResourceType) {
        // Only fails when closures are not supported, which the builder turns on.
        let _ = self
            .cache
            .invalidate_entries_if(move |_k, v| v.resource_type == Some(resource_type));
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
