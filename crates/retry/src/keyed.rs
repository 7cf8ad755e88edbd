//! `Keyed<K, V>`: one value per key — a breaker, a budget, a limiter — made on first use by
//! the registry's factory, at most `capacity` keys with the least recently used one evicted;
//! the one implementation behind `BreakerRegistry`, `BudgetRegistry` and `LimiterRegistry`.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::keyed_local::{self as local, Seeded, Slot};

/// Makes a key's value on its first use.
pub(crate) type Factory<K, V> = Arc<dyn Fn(&K) -> V + Send + Sync>;

/// One value per key — a [`CircuitBreaker`](crate::CircuitBreaker), a
/// [`RetryBudget`](crate::RetryBudget), an [`AdaptiveRateLimiter`](crate::AdaptiveRateLimiter),
/// anything cheap to clone whose clones share state — so one failing key (an endpoint, a
/// resource type × an interaction) spends only its own.
///
/// The registries of the three are this type: [`BreakerRegistry`](crate::BreakerRegistry),
/// [`BudgetRegistry`](crate::BudgetRegistry) and [`LimiterRegistry`](crate::LimiterRegistry),
/// each with a `new(template, capacity)`; [`Keyed::from_fn`] makes any other, or values
/// that differ by key.
///
/// At most `capacity` keys are kept (keys may come from data, so memory is bounded): when
/// a new key arrives at the bound, the least recently used key is evicted (approximately:
/// use is counted in inserts, so keys used since the same insert tie) and **its value's
/// state is lost** — the key's next use makes a new one. Callers still holding the evicted
/// value finish on it. Size the bound above the number of live keys.
///
/// A lookup of a key this thread has looked up before takes no lock and writes no shared
/// memory: each thread keeps a front cache of the values it used (a hash with a fast
/// seeded hasher — the bound, not the hasher, is what limits a flood of hostile keys — and
/// a clone), dropped whole when the registry evicts any key. Other lookups take the shared
/// map's read lock; it is written only when a key is new. A thread's caches hold at most
/// `capacity` keys for each of the last 8 registries it used, and keep their values alive
/// until then. Share the registry with an `Arc`.
///
/// ```
/// use steadfast_retry::{Keyed, RetryBudget};
///
/// // Writes get a smaller retry budget than reads.
/// let budgets = Keyed::from_fn(64, |key: &(String, &str)| match key.1 {
///     "create" | "update" => RetryBudget::new(0.05, 1.0),
///     _ => RetryBudget::new(0.2, 5.0),
/// });
/// let read = budgets.get(&("Patient".to_owned(), "read"));
/// read.deposit();
/// assert_eq!(budgets.get(&("Patient".to_owned(), "read")).tokens(), read.tokens()); // shared
/// assert_eq!(budgets.get(&("Patient".to_owned(), "create")).tokens(), 0.0); // its own
/// assert_eq!(budgets.len(), 2);
/// ```
pub struct Keyed<K, V> {
    id: u64,
    pub(crate) factory: Factory<K, V>,
    capacity: usize,
    /// Bumped by every insert; a lookup stamps its entry with it.
    tick: AtomicU64,
    evicted: AtomicU64,
    map: RwLock<HashMap<K, Entry<V>, Seeded>>,
}

struct Entry<V> {
    value: V,
    /// Shared with the threads' front caches, which stamp it too.
    last_used: Arc<AtomicU64>,
}

/// Numbers registries, for the threads' front caches.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

impl<K, V> fmt::Debug for Keyed<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyed")
            .field("value", &std::any::type_name::<V>())
            .field("capacity", &self.capacity)
            .field("evicted", &self.evicted())
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static, V: Clone + 'static> Keyed<K, V> {
    /// A registry whose values `factory` makes, given the key, keeping at most `capacity`
    /// keys (at least 1).
    pub fn from_fn(capacity: usize, factory: impl Fn(&K) -> V + Send + Sync + 'static) -> Self {
        let capacity = capacity.max(1);
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            factory: Arc::new(factory),
            capacity,
            tick: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            map: RwLock::new(HashMap::with_capacity_and_hasher(capacity, Seeded::new())),
        }
    }

    /// The value of `key`, made on first use (evicting the least recently used key when
    /// the registry is full). Concurrent first uses of a key get the same value.
    ///
    /// ```
    /// let breakers = steadfast_retry::BreakerRegistry::new(Default::default(), 8);
    /// breakers.get(&("Observation".to_owned(), "read")).force_open();
    /// assert!(breakers.get(&("Observation".to_owned(), "read")).is_open()); // the same one
    /// assert!(!breakers.get(&("Patient".to_owned(), "read")).is_open());
    /// ```
    #[inline]
    pub fn get(&self, key: &K) -> V {
        let generation = self.evicted.load(Ordering::Acquire);
        let tick = self.tick.load(Ordering::Relaxed);
        let known = local::lookup(self.id, generation, key, |(value, last_used): &Slot<V>| {
            touch(last_used, tick);
            value.clone()
        });
        known.unwrap_or_else(|| self.get_shared(key, generation))
    }

    /// `get` through the shared map, then kept in this thread's front cache.
    #[cold]
    fn get_shared(&self, key: &K, generation: u64) -> V {
        let (value, last_used) = {
            let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
            match map.get(key) {
                Some(entry) => {
                    touch(&entry.last_used, self.tick.load(Ordering::Relaxed));
                    (entry.value.clone(), entry.last_used.clone())
                }
                None => {
                    drop(map);
                    self.insert(key)
                }
            }
        };
        let slot: Slot<V> = (value.clone(), last_used);
        local::remember(self.id, generation, self.capacity, key.clone(), slot);
        value
    }

    fn insert(&self, key: &K) -> (V, Arc<AtomicU64>) {
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        let now = self.tick.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(entry) = map.get(key) {
            touch(&entry.last_used, now);
            return (entry.value.clone(), entry.last_used.clone());
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
        let value = (self.factory)(key);
        let last_used = Arc::new(AtomicU64::new(now));
        map.insert(
            key.clone(),
            Entry {
                value: value.clone(),
                last_used: last_used.clone(),
            },
        );
        (value, last_used)
    }

    /// The value of `key` if the registry holds one; neither makes one nor counts as a use.
    ///
    /// ```
    /// let breakers = steadfast_retry::BreakerRegistry::new(Default::default(), 8);
    /// assert!(breakers.peek(&"Patient").is_none());
    /// breakers.get(&"Patient");
    /// assert!(breakers.peek(&"Patient").is_some());
    /// ```
    pub fn peek(&self, key: &K) -> Option<V> {
        let map = self.map.read().unwrap_or_else(PoisonError::into_inner);
        map.get(key).map(|e| e.value.clone())
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

impl<K, V> Keyed<K, V> {
    /// The most keys it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many keys were evicted (their values' state lost) so far.
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
