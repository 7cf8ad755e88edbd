//! The in-process tier on `moka`: bounded by bytes (each entry weighed), per-entry expiry at
//! the end of its retention, time-to-idle, and an eviction listener that counts what size
//! and expiry push out. Keys are the requests' [`MemoryKey`]s; values are shared handles.
//! In front of moka, each thread's [`Front`] answers a request it has seen before.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::notification::RemovalCause;
use moka::sync::Cache;
use thread_local::ThreadLocal;

use crate::clock::Clock;
use crate::entry::Entry;
use crate::key::{CacheKey, ResourceType};
use crate::memo::{Ahead, Front, Moment};
use crate::request::Request;
use crate::stats::{Counters, Tier};

/// The longest a thread's front answers a key without moka seeing it.
const MAX_TOUCH: Duration = Duration::from_secs(1);

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
    fronts: ThreadLocal<RefCell<Front>>,
    /// Bumped after every invalidation (by key, by type, all): a front slot filled in an
    /// earlier epoch goes back to moka, whatever happened to its entry (evicted while a
    /// caller held it, raced by an insert) — invalidations are rare, hits are not.
    epoch: AtomicU64,
    /// Slots of each thread's front (a power of two; 0: no front).
    front_slots: usize,
    /// How long a front answers a key before moka sees it again (a quarter of the
    /// time-to-idle, at most [`MAX_TOUCH`]), in the cache clock's milliseconds.
    touch_ms: u64,
}

impl Memory {
    pub(crate) fn new(
        capacity: u64,
        time_to_idle: Duration,
        front_slots: usize,
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
        let touch = (time_to_idle / 4).min(MAX_TOUCH);
        Self {
            cache,
            fronts: ThreadLocal::new(),
            epoch: AtomicU64::new(0),
            front_slots,
            touch_ms: u64::try_from(touch.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The entry of `request` at `now_ms`: a handle clone, nothing else allocated (after
    /// the thread's first request).
    #[inline]
    pub(crate) fn lookup(&self, request: &Request<'_>, now_ms: u64) -> Option<Arc<Entry>> {
        let cell = (self.front_slots > 0).then(|| self.fronts.get_or_default());
        let Some(Ok(mut front)) = cell.map(RefCell::try_borrow_mut) else {
            return self.cache.get(&crate::key::MemoryKey::new(request).0);
        };
        let at = Moment {
            now_ms,
            epoch: self.epoch.load(Ordering::Acquire),
        };
        match front.lookup(request, at, self.touch_ms, self.front_slots) {
            Ahead::Hit(entry) => Some(entry),
            Ahead::Ask { key, slot } => {
                let found = self.cache.get(&key.0);
                front.remember(slot, found.as_ref());
                found
            }
        }
    }

    /// Stores `entry`; the entry it replaces is marked removed (under moka's lock for the
    /// key, so of two racing inserts the loser is marked too), and no front serves it.
    pub(crate) fn insert(&self, key: &CacheKey, entry: Arc<Entry>) {
        let _ = self.cache.entry(key.memory.0).and_compute_with(|old| {
            if let Some(old) = old {
                old.value().removed.set();
            }
            moka::ops::compute::Op::Put(entry)
        });
    }

    pub(crate) fn remove(&self, key: &CacheKey) {
        if let Some(old) = self.cache.remove(&key.memory.0) {
            old.removed.set();
        }
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn remove_type(&self, resource_type: ResourceType) {
        // A walk over the entries rather than moka's invalidation closures: supporting
        // those costs every read (a predicate check), and invalidating by type is rare.
        for (key, entry) in &self.cache {
            if entry.resource_type == Some(resource_type)
                && let Some(old) = self.cache.remove(&*key)
            {
                old.removed.set();
            }
        }
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn clear(&self) {
        for (_, entry) in &self.cache {
            entry.removed.set();
        }
        self.cache.invalidate_all();
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Bytes held (the weighed size, after pending maintenance).
    pub(crate) fn bytes(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.weighted_size()
    }
}
