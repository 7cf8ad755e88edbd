//! Running a policy keyed: `KeyedGuards` (what a key's call goes through — its breaker,
//! budget and limiter), `KeyedResilience` (the three registries in one bundle) and the
//! policy's `retry_if_keyed` / `retry_async_if_keyed` loops.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use crate::breaker::CircuitBreaker;
use crate::breakers::{BreakerRegistry, BudgetRegistry, LimiterRegistry};
use crate::budget::RetryBudget;
use crate::classify::Classify;
use crate::error::RetryError;
use crate::execute::Through;
use crate::policy::RetryPolicy;
use crate::rate_limit::AdaptiveRateLimiter;

/// What one key's calls go through: each kind `None` when this does not key it.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Guards {
    /// The key's breaker, asked before each attempt.
    pub breaker: Option<CircuitBreaker>,
    /// The key's retry budget: each call deposits, each retry withdraws.
    pub budget: Option<RetryBudget>,
    /// The key's limiter: paces each attempt, told of successes and of 429s.
    pub limiter: Option<AdaptiveRateLimiter>,
}

/// Gives a key's [`Guards`]: implemented by each keyed registry alone
/// ([`BreakerRegistry`], [`BudgetRegistry`], [`LimiterRegistry`]), by their bundle
/// [`KeyedResilience`], and through an `Arc` of any of them.
pub trait KeyedGuards<K> {
    /// `key`'s breaker, budget and limiter, made on first use.
    fn guards(&self, key: &K) -> Guards;
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> KeyedGuards<K> for BreakerRegistry<K> {
    fn guards(&self, key: &K) -> Guards {
        Guards {
            breaker: Some(self.get(key)),
            ..Guards::default()
        }
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> KeyedGuards<K> for BudgetRegistry<K> {
    fn guards(&self, key: &K) -> Guards {
        Guards {
            budget: Some(self.get(key)),
            ..Guards::default()
        }
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> KeyedGuards<K> for LimiterRegistry<K> {
    fn guards(&self, key: &K) -> Guards {
        Guards {
            limiter: Some(self.get(key)),
            ..Guards::default()
        }
    }
}

impl<K, T: KeyedGuards<K> + ?Sized> KeyedGuards<K> for Arc<T> {
    fn guards(&self, key: &K) -> Guards {
        (**self).guards(key)
    }
}

/// Keyed breakers, budgets and limiters in one bundle (each optional, each a shared
/// registry): a policy run with it ([`RetryPolicy::retry_if_keyed`]) uses, for a key, that
/// key's breaker, budget and limiter — so one failing key opens only its own breaker,
/// spends only its own retries and slows only its own pace. A kind the bundle does not key
/// falls back to the policy's own (its breaker, its budget; a policy has no limiter).
///
/// The limiter paces each attempt (waiting on the policy's sleeper), speeds up on a
/// success and halves its rate on a failure whose facts say HTTP 429
/// ([`Classify::facts`]).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use steadfast_retry::{
///     AlwaysRetry, BreakerRegistry, BudgetRegistry, CircuitBreaker, KeyedResilience,
///     ManualClock, RetryBudget, RetryError, RetryPolicy,
/// };
///
/// let clock = ManualClock::new();
/// let keyed = KeyedResilience::new()
///     .breakers(Arc::new(BreakerRegistry::new(CircuitBreaker::builder(), 256)))
///     .budgets(Arc::new(BudgetRegistry::new(RetryBudget::new(0.0, 1.0), 256)));
/// let policy = RetryPolicy::constant(Duration::ZERO).max_retries(10).manual_clock(&clock);
///
/// // Observation keeps failing: its budget allows one retry (the floor: 1 a second).
/// let failed = policy.retry_if_keyed(&keyed, &"Observation", AlwaysRetry, |_| Err::<(), _>("503"));
/// assert!(matches!(failed, Err(RetryError::BudgetExhausted { attempts: 2, .. })));
/// // Patient's budget is its own: its retry is still there.
/// let ok = policy.retry_if_keyed(&keyed, &"Patient", AlwaysRetry, |attempt| {
///     if attempt == 1 { Err("503") } else { Ok("Bundle") }
/// });
/// assert_eq!(ok.unwrap(), "Bundle");
/// ```
pub struct KeyedResilience<K> {
    breakers: Option<Arc<BreakerRegistry<K>>>,
    budgets: Option<Arc<BudgetRegistry<K>>>,
    limiters: Option<Arc<LimiterRegistry<K>>>,
}

impl<K> KeyedResilience<K> {
    /// A bundle keying nothing yet (a policy run with it behaves as without).
    pub fn new() -> Self {
        Self {
            breakers: None,
            budgets: None,
            limiters: None,
        }
    }

    /// Keys breakers with `registry`.
    #[must_use]
    pub fn breakers(mut self, registry: Arc<BreakerRegistry<K>>) -> Self {
        self.breakers = Some(registry);
        self
    }

    /// Keys retry budgets with `registry`.
    #[must_use]
    pub fn budgets(mut self, registry: Arc<BudgetRegistry<K>>) -> Self {
        self.budgets = Some(registry);
        self
    }

    /// Keys rate limiters with `registry`.
    #[must_use]
    pub fn limiters(mut self, registry: Arc<LimiterRegistry<K>>) -> Self {
        self.limiters = Some(registry);
        self
    }

    /// The breakers' registry, when set.
    pub fn breaker_registry(&self) -> Option<&Arc<BreakerRegistry<K>>> {
        self.breakers.as_ref()
    }

    /// The budgets' registry, when set.
    pub fn budget_registry(&self) -> Option<&Arc<BudgetRegistry<K>>> {
        self.budgets.as_ref()
    }

    /// The limiters' registry, when set.
    pub fn limiter_registry(&self) -> Option<&Arc<LimiterRegistry<K>>> {
        self.limiters.as_ref()
    }
}

impl<K> Default for KeyedResilience<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K> Clone for KeyedResilience<K> {
    fn clone(&self) -> Self {
        Self {
            breakers: self.breakers.clone(),
            budgets: self.budgets.clone(),
            limiters: self.limiters.clone(),
        }
    }
}

impl<K> fmt::Debug for KeyedResilience<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedResilience")
            .field("breakers", &self.breakers)
            .field("budgets", &self.budgets)
            .field("limiters", &self.limiters)
            .finish()
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> KeyedGuards<K> for KeyedResilience<K> {
    fn guards(&self, key: &K) -> Guards {
        Guards {
            breaker: self.breakers.as_ref().map(|r| r.get(key)),
            budget: self.budgets.as_ref().map(|r| r.get(key)),
            limiter: self.limiters.as_ref().map(|r| r.get(key)),
        }
    }
}

impl RetryPolicy {
    /// What a call with `guards` goes through: each kind the key's, else the policy's own.
    fn keyed_through<'a>(&'a self, guards: &'a Guards) -> Through<'a> {
        Through {
            breaker: guards.breaker.as_ref().or(self.breaker.as_ref()),
            budget: guards.budget.as_ref().or(self.budget.as_ref()),
            limiter: guards.limiter.as_ref(),
        }
    }

    /// [`retry_if`](Self::retry_if) with `key`'s breaker, budget and limiter from `keyed`
    /// (a [`BreakerRegistry`], a [`BudgetRegistry`], a [`LimiterRegistry`] or a
    /// [`KeyedResilience`] of them) in place of the policy's own; a kind `keyed` does not
    /// key is the policy's own. See [`KeyedResilience`] and [`BreakerRegistry`] for
    /// examples.
    ///
    /// # Errors
    /// A [`RetryError`] saying why it gave up, with the last error.
    pub fn retry_if_keyed<K, G, T, E, C, F>(
        &self,
        keyed: &G,
        key: &K,
        classify: C,
        op: F,
    ) -> Result<T, RetryError<E>>
    where
        G: KeyedGuards<K> + ?Sized,
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Result<T, E>,
    {
        let guards = keyed.guards(key);
        self.retry_if_through(self.keyed_through(&guards), classify, op)
    }

    /// [`retry_async_if`](Self::retry_async_if) with `key`'s breaker, budget and limiter
    /// from `keyed` in place of the policy's own (as
    /// [`retry_if_keyed`](Self::retry_if_keyed)); the limiter's waits are on the policy's
    /// async sleeper.
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
    pub async fn retry_async_if_keyed<K, G, T, E, C, F, Fut>(
        &self,
        keyed: &G,
        key: &K,
        classify: C,
        op: F,
    ) -> Result<T, RetryError<E>>
    where
        G: KeyedGuards<K> + ?Sized,
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let guards = keyed.guards(key);
        self.retry_async_if_through(self.keyed_through(&guards), classify, op)
            .await
    }
}
