//! `BreakerRegistry`: one `CircuitBreaker` per key (an endpoint, a resource type × an
//! interaction), made on first use from a template, at most `capacity` keys with the least
//! recently used one evicted; and the policy's `retry_if_keyed` loops that ask a key's breaker.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::breaker::{CircuitBreaker, CircuitBreakerBuilder};
use crate::breaker_state::CircuitState;
use crate::breakers_local::{self as local, Seeded, Slot};
use crate::classify::Classify;
use crate::error::RetryError;
use crate::policy::RetryPolicy;

/// Told of every state change of a key's breaker, with the key.
type KeyHook<K> = Arc<dyn Fn(&K, CircuitState, CircuitState) + Send + Sync>;

/// One [`CircuitBreaker`] per key, so a failing endpoint opens only its own breaker.
///
/// A key's breaker is built on first use from the template builder: the same thresholds,
/// the same clock, and the template's hook and listeners, which are told of every key's
/// changes without the key ([`RetryListener::breaker_changed`](crate::RetryListener)
/// has no key); [`on_state_change`](Self::on_state_change) is told the key too.
///
/// At most `capacity` keys are kept (keys may come from data, so memory is bounded): when
/// a new key arrives at the bound, the least recently used key is evicted (approximately:
/// use is counted in inserts, so keys used since the same insert tie) and **its breaker's
/// state is lost** — its next call starts closed. Callers still holding the evicted
/// breaker finish on it. Size the bound above the number of live keys.
///
/// A lookup of a key this thread has looked up before takes no lock and writes no shared
/// memory: each thread keeps a front cache of the breakers it used (a hash with a fast
/// seeded hasher — the bound, not the hasher, is what limits a flood of hostile keys — and
/// an `Arc` clone), dropped whole when the registry evicts any key. Other lookups take the
/// shared map's read lock; it is written only when a key is new. A thread's caches hold
/// at most `capacity` keys for each of the last 4 registries it used, and keep their
/// breakers alive until then. Share the registry with an `Arc`. The policy's `metrics` do
/// not watch keyed breakers.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::{AlwaysRetry, BreakerRegistry, CircuitBreaker, ManualClock, RetryPolicy};
///
/// let clock = ManualClock::new();
/// let breakers = BreakerRegistry::new(CircuitBreaker::builder().consecutive_failures(2), 64);
/// let policy = RetryPolicy::constant(Duration::from_secs(1)).max_retries(1).manual_clock(&clock);
/// let observation = ("Observation".to_owned(), "search");
/// let patient = ("Patient".to_owned(), "search");
///
/// let failed = policy.retry_if_keyed(&breakers, &observation, AlwaysRetry, |_| Err::<(), _>("503"));
/// assert!(failed.is_err());
/// assert!(breakers.get(&observation).is_open()); // two failures in a row
/// let ok = policy.retry_if_keyed(&breakers, &patient, AlwaysRetry, |_| Ok::<_, &str>("Bundle"));
/// assert_eq!(ok.unwrap(), "Bundle"); // Patient's breaker is its own
/// assert_eq!(breakers.len(), 2);
/// ```
pub struct BreakerRegistry<K> {
    id: u64,
    template: CircuitBreakerBuilder,
    on_change: Option<KeyHook<K>>,
    capacity: usize,
    /// Bumped by every insert; a lookup stamps its entry with it.
    tick: AtomicU64,
    evicted: AtomicU64,
    map: RwLock<HashMap<K, Entry, Seeded>>,
}

struct Entry {
    breaker: CircuitBreaker,
    /// Shared with the threads' front caches, which stamp it too.
    last_used: Arc<AtomicU64>,
}

/// Numbers registries, for the threads' front caches.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

impl<K> fmt::Debug for BreakerRegistry<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerRegistry")
            .field("capacity", &self.capacity)
            .field("evicted", &self.evicted())
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> BreakerRegistry<K> {
    /// A registry whose breakers are built from `template`, keeping at most `capacity`
    /// keys (at least 1).
    pub fn new(template: CircuitBreakerBuilder, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            template,
            on_change: None,
            capacity,
            tick: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            map: RwLock::new(HashMap::with_capacity_and_hasher(capacity, Seeded::new())),
        }
    }

    /// Calls `f` with the key on every state change of a key's breaker (besides the
    /// template's own hook). Set it before the first lookup: breakers already built keep
    /// what they had.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use steadfast_retry::{BreakerRegistry, CircuitBreaker, CircuitState};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let breakers = BreakerRegistry::new(CircuitBreaker::builder(), 8)
    ///     .on_state_change(move |key: &&str, _, to| log.lock().unwrap().push((*key, to)));
    /// breakers.get(&"Observation").force_open();
    /// assert_eq!(*seen.lock().unwrap(), [("Observation", CircuitState::Open)]);
    /// ```
    #[must_use]
    pub fn on_state_change(
        mut self,
        f: impl Fn(&K, CircuitState, CircuitState) + Send + Sync + 'static,
    ) -> Self {
        self.on_change = Some(Arc::new(f));
        self
    }

    /// The breaker of `key`, built on first use (evicting the least recently used key when
    /// the registry is full). Concurrent first uses of a key get the same breaker.
    ///
    /// ```
    /// let breakers = steadfast_retry::BreakerRegistry::new(Default::default(), 8);
    /// breakers.get(&("Observation".to_owned(), "read")).force_open();
    /// assert!(breakers.get(&("Observation".to_owned(), "read")).is_open()); // the same one
    /// assert!(!breakers.get(&("Patient".to_owned(), "read")).is_open());
    /// ```
    #[inline]
    pub fn get(&self, key: &K) -> CircuitBreaker {
        let generation = self.evicted.load(Ordering::Acquire);
        let tick = self.tick.load(Ordering::Relaxed);
        let known = local::lookup(self.id, generation, key, |(breaker, last_used)| {
            touch(last_used, tick);
            breaker.clone()
        });
        known.unwrap_or_else(|| self.get_shared(key, generation))
    }

    /// `get` through the shared map, then kept in this thread's front cache.
    #[cold]
    fn get_shared(&self, key: &K, generation: u64) -> CircuitBreaker {
        let (breaker, last_used) = {
            let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
            match map.get(key) {
                Some(entry) => {
                    touch(&entry.last_used, self.tick.load(Ordering::Relaxed));
                    (entry.breaker.clone(), entry.last_used.clone())
                }
                None => {
                    drop(map);
                    self.insert(key)
                }
            }
        };
        let slot: Slot = (breaker.clone(), last_used);
        local::remember(self.id, generation, self.capacity, key.clone(), slot);
        breaker
    }

    fn insert(&self, key: &K) -> (CircuitBreaker, Arc<AtomicU64>) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        let now = self.tick.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(entry) = map.get(key) {
            touch(&entry.last_used, now);
            return (entry.breaker.clone(), entry.last_used.clone());
        }
        if map.len() >= self.capacity {
            let oldest = map
                .iter()
                .min_by_key(|(_, e)| e.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                map.remove(&oldest);
                // Every thread's front cache of this registry starts over.
                self.evicted.fetch_add(1, Ordering::Release);
            }
        }
        let mut builder = self.template.clone();
        if let Some(hook) = &self.on_change {
            let (hook, k) = (hook.clone(), key.clone());
            builder = builder.and_on_state_change(Arc::new(move |from, to| hook(&k, from, to)));
        }
        let breaker = builder.build();
        let last_used = Arc::new(AtomicU64::new(now));
        map.insert(
            key.clone(),
            Entry {
                breaker: breaker.clone(),
                last_used: last_used.clone(),
            },
        );
        (breaker, last_used)
    }

    /// The breaker of `key` if the registry holds one; neither builds nor counts as a use.
    ///
    /// ```
    /// let breakers = steadfast_retry::BreakerRegistry::new(Default::default(), 8);
    /// assert!(breakers.peek(&"Patient").is_none());
    /// breakers.get(&"Patient");
    /// assert!(breakers.peek(&"Patient").is_some());
    /// ```
    pub fn peek(&self, key: &K) -> Option<CircuitBreaker> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        map.get(key).map(|e| e.breaker.clone())
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether it holds no key yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K> BreakerRegistry<K> {
    /// The most keys it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many keys were evicted (their breakers' state lost) so far.
    ///
    /// ```
    /// let breakers = steadfast_retry::BreakerRegistry::new(Default::default(), 2);
    /// for key in ["a", "b", "c"] {
    ///     breakers.get(&key);
    /// }
    /// assert_eq!((breakers.len(), breakers.capacity(), breakers.evicted()), (2, 2, 1));
    /// ```
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }
}

/// Marks an entry used at `now`, writing only when that changes something (a shared
/// entry's cache line stays clean under concurrent lookups).
#[inline]
fn touch(last_used: &AtomicU64, now: u64) {
    if last_used.load(Ordering::Relaxed) != now {
        last_used.store(now, Ordering::Relaxed);
    }
}

impl RetryPolicy {
    /// [`retry_if`](Self::retry_if), asking `key`'s breaker in `breakers` before each
    /// attempt instead of the policy's own breaker (see [`BreakerRegistry`], whose
    /// example this is).
    ///
    /// # Errors
    /// A [`RetryError`] saying why it gave up, with the last error.
    pub fn retry_if_keyed<K, T, E, C, F>(
        &self,
        breakers: &BreakerRegistry<K>,
        key: &K,
        classify: C,
        op: F,
    ) -> Result<T, RetryError<E>>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Result<T, E>,
    {
        let breaker = breakers.get(key);
        self.retry_if_through(Some(&breaker), classify, op)
    }

    /// [`retry_async_if`](Self::retry_async_if), asking `key`'s breaker in `breakers`
    /// before each attempt instead of the policy's own breaker.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use steadfast_retry::{AlwaysRetry, BreakerRegistry, RetryPolicy};
    ///
    /// let breakers = BreakerRegistry::new(Default::default(), 64);
    /// let policy = RetryPolicy::exponential();
    /// let key = ("Patient".to_owned(), "read");
    /// let got = policy
    ///     .retry_async_if_keyed(&breakers, &key, AlwaysRetry, |_| async { Ok::<_, &str>("p1") })
    ///     .await;
    /// assert_eq!(got.unwrap(), "p1");
    /// # }
    /// ```
    ///
    /// # Errors
    /// A [`RetryError`] saying why it gave up, with the last error.
    #[cfg(feature = "tokio")]
    pub async fn retry_async_if_keyed<K, T, E, C, F, Fut>(
        &self,
        breakers: &BreakerRegistry<K>,
        key: &K,
        classify: C,
        op: F,
    ) -> Result<T, RetryError<E>>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let breaker = breakers.get(key);
        self.retry_async_if_through(Some(&breaker), classify, op)
            .await
    }
}
