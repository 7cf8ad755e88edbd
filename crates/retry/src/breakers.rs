//! The keyed registries of the three protection objects — `BreakerRegistry`,
//! `BudgetRegistry`, `LimiterRegistry`, each a `Keyed` made from a template — and the
//! per-key state-change hook of breakers.

use std::hash::Hash;
use std::sync::Arc;

use crate::breaker::{CircuitBreaker, CircuitBreakerBuilder};
use crate::breaker_state::CircuitState;
use crate::budget::RetryBudget;
use crate::keyed::Keyed;
use crate::rate_limit::AdaptiveRateLimiter;

/// One [`CircuitBreaker`] per key, so a failing endpoint opens only its own breaker: a
/// [`Keyed`] registry (bounded, least recently used key evicted, lock-free lookups of known
/// keys — see there) whose breakers are built from a template builder.
///
/// Every key's breaker has the template's thresholds, clock, hook and listeners; the
/// template's hook and listeners are told of every key's changes without the key
/// ([`RetryListener::breaker_changed`](crate::RetryListener) has no key);
/// [`on_state_change`](Keyed::on_state_change) is told the key too. An evicted key's
/// breaker state is lost: its next call starts closed. The policy's `metrics` do not watch
/// keyed breakers.
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
pub type BreakerRegistry<K> = Keyed<K, CircuitBreaker>;

/// One [`RetryBudget`] per key, so a failing key spends only its own retries: a [`Keyed`]
/// registry whose budgets have the template's ratio, floor, cap and clock, each starting
/// empty. See [`KeyedResilience`](crate::KeyedResilience) for a policy that uses it.
///
/// ```
/// use steadfast_retry::{BudgetRegistry, RetryBudget};
///
/// let budgets = BudgetRegistry::new(RetryBudget::new(0.5, 0.0), 64);
/// for _ in 0..4 {
///     budgets.get(&"Patient").deposit();
/// }
/// assert_eq!(budgets.get(&"Patient").tokens(), 2.0);
/// assert_eq!(budgets.get(&"Observation").tokens(), 0.0);
/// ```
pub type BudgetRegistry<K> = Keyed<K, RetryBudget>;

/// One [`AdaptiveRateLimiter`] per key, so a key the server throttles slows down alone: a
/// [`Keyed`] registry whose limiters have the template's bounds and clock, each starting at
/// the template's initial rate.
///
/// ```
/// use steadfast_retry::{AdaptiveRateLimiter, LimiterRegistry};
///
/// let limiters = LimiterRegistry::new(AdaptiveRateLimiter::new(10.0, 1.0, 100.0), 64);
/// limiters.get(&"Observation").on_throttled(); // a 429
/// assert_eq!(limiters.get(&"Observation").rate(), 5.0);
/// assert_eq!(limiters.get(&"Patient").rate(), 10.0);
/// ```
pub type LimiterRegistry<K> = Keyed<K, AdaptiveRateLimiter>;

impl<K: Hash + Eq + Clone + Send + Sync + 'static> Keyed<K, CircuitBreaker> {
    /// A registry whose breakers are built from `template`, keeping at most `capacity`
    /// keys (at least 1).
    pub fn new(template: CircuitBreakerBuilder, capacity: usize) -> Self {
        Self::from_fn(capacity, move |_| template.clone().build())
    }

    /// Calls `f` with the key on every state change of a key's breaker (besides the
    /// template's own hook; a second call adds a second hook). Set it before the first
    /// lookup: breakers already built keep what they had.
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
        let (make, hook) = (self.factory.clone(), Arc::new(f));
        self.factory = Arc::new(move |key: &K| {
            let breaker = make(key);
            let (hook, key) = (hook.clone(), key.clone());
            breaker.add_hook(Arc::new(move |from, to| hook(&key, from, to)));
            breaker
        });
        self
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> Keyed<K, RetryBudget> {
    /// A registry whose budgets have `template`'s settings (each its own, starting empty;
    /// `template`'s balance is not shared), keeping at most `capacity` keys (at least 1).
    pub fn new(template: RetryBudget, capacity: usize) -> Self {
        Self::from_fn(capacity, move |_| template.fresh())
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> Keyed<K, AdaptiveRateLimiter> {
    /// A registry whose limiters have `template`'s bounds and clock (each its own, starting
    /// at `template`'s initial rate), keeping at most `capacity` keys (at least 1).
    pub fn new(template: AdaptiveRateLimiter, capacity: usize) -> Self {
        Self::from_fn(capacity, move |_| template.fresh())
    }
}
