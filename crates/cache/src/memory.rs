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

/// The in-process tier.
pub(crate) struct Memory {
    cache: Cache<[u8; 32], Arc<Entry>>,
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
                .build(),
            None => builder.build(),
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
