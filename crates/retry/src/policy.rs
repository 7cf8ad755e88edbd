//! `RetryPolicy`: how long to wait between attempts, when to stop, and what to tell whom.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::breaker::CircuitBreaker;
use crate::budget::RetryBudget;
use crate::clock::{Clock, ManualClock, Sleeper, SystemClock, ThreadSleeper};
use crate::events::{GiveUpEvent, Hooks, RetryEvent, RetryListener};
use crate::jitter::{Jitter, Rng};
use crate::schedule::{DelayFactory, Schedule, Shape};

/// A retry policy: the backoff shape, its jitter, the limits, and the hooks.
///
/// Cheap to clone (the shared parts are behind `Arc`s) and `Send + Sync`, so one policy can
/// serve every worker. [`RetryPolicy::exponential`] has the defaults of the `backoff` crate's
/// `ExponentialBackoff`: 500 ms initial interval, multiplier 1.5, randomization factor 0.5,
/// 60 s max interval, 15 min max elapsed time.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::exponential()
///     .initial_interval(Duration::from_millis(100))
///     .max_interval(Duration::from_secs(10))
///     .jitter(Jitter::None)
///     .max_retries(5);
/// let delays: Vec<_> = policy.delays().map(|d| d.as_millis()).collect();
/// assert_eq!(delays, [100, 150, 225, 337, 506]);
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    shape: Shape,
    pub(crate) jitter: Jitter,
    pub(crate) max_interval: Duration,
    pub(crate) max_retries: Option<u32>,
    pub(crate) max_elapsed: Option<Duration>,
    pub(crate) max_retry_after: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
    seed: Option<u64>,
    executions: Arc<AtomicU64>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    #[cfg(feature = "tokio")]
    pub(crate) async_sleeper: Arc<dyn crate::clock_async::AsyncSleeper>,
    pub(crate) hooks: Hooks,
    pub(crate) breaker: Option<CircuitBreaker>,
    pub(crate) budget: Option<RetryBudget>,
    #[cfg(feature = "prometheus")]
    pub(crate) metrics: Option<crate::metrics::RetryMetrics>,
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = match &self.shape {
            Shape::Exponential {
                initial,
                multiplier,
            } => {
                format!("exponential(initial={initial:?}, multiplier={multiplier})")
            }
            Shape::Constant(d) => format!("constant({d:?})"),
            Shape::Delays(_) => "delays(..)".to_owned(),
        };
        f.debug_struct("RetryPolicy")
            .field("shape", &shape)
            .field("jitter", &self.jitter)
            .field("max_interval", &self.max_interval)
            .field("max_retries", &self.max_retries)
            .field("max_elapsed", &self.max_elapsed)
            .field("attempt_timeout", &self.attempt_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for RetryPolicy {
    /// [`RetryPolicy::exponential`].
    fn default() -> Self {
        Self::exponential()
    }
}

impl RetryPolicy {
    fn with_shape(shape: Shape) -> Self {
        Self {
            shape,
            jitter: Jitter::default(),
            max_interval: Duration::from_secs(60),
            max_retries: None,
            max_elapsed: Some(Duration::from_secs(15 * 60)),
            max_retry_after: None,
            attempt_timeout: None,
            seed: None,
            executions: Arc::new(AtomicU64::new(0)),
            clock: Arc::new(SystemClock),
            sleeper: Arc::new(ThreadSleeper),
            #[cfg(feature = "tokio")]
            async_sleeper: Arc::new(crate::clock_async::TokioSleeper),
            hooks: Hooks::default(),
            breaker: None,
            budget: None,
            #[cfg(feature = "prometheus")]
            metrics: None,
        }
    }

    /// Exponential backoff with the `backoff` crate's defaults (see the type's docs).
    pub fn exponential() -> Self {
        Self::with_shape(Shape::Exponential {
            initial: Duration::from_millis(500),
            multiplier: 1.5,
        })
    }

    /// The same delay every time, without jitter, at most 3 retries.
    pub fn constant(delay: Duration) -> Self {
        let mut p = Self::with_shape(Shape::Constant(delay));
        p.jitter = Jitter::None;
        p.max_retries = Some(3);
        p.max_elapsed = None;
        p
    }

    /// Exactly the given delays, one per retry, then give up. No jitter, no cap, no deadline
    /// unless set.
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = steadfast_retry::RetryPolicy::from_delays([1, 5, 30].map(Duration::from_secs));
    /// assert_eq!(p.delays().count(), 3);
    /// ```
    pub fn from_delays<I>(delays: I) -> Self
    where
        I: IntoIterator<Item = Duration> + Clone + Send + Sync + 'static,
        I::IntoIter: Send + 'static,
    {
        let factory: DelayFactory = Arc::new(move || Box::new(delays.clone().into_iter()));
        let mut p = Self::with_shape(Shape::Delays(factory));
        p.jitter = Jitter::None;
        p.max_interval = Duration::MAX;
        p.max_elapsed = None;
        p
    }

    /// The first delay of an exponential policy (no effect on others).
    #[must_use]
    pub fn initial_interval(mut self, d: Duration) -> Self {
        if let Shape::Exponential { initial, .. } = &mut self.shape {
            *initial = d;
        }
        self
    }

    /// The growth factor of an exponential policy (clamped to ≥ 1).
    #[must_use]
    pub fn multiplier(mut self, m: f64) -> Self {
        if let Shape::Exponential { multiplier, .. } = &mut self.shape {
            *multiplier = if m.is_finite() { m.max(1.0) } else { 1.0 };
        }
        self
    }

    /// `backoff`'s randomization factor: the delay is uniform in `d × (1 ± factor)`.
    #[must_use]
    pub fn randomization_factor(self, factor: f64) -> Self {
        self.jitter(Jitter::Randomized(factor))
    }

    /// The jitter to apply.
    #[must_use]
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// No delay (after jitter) is longer than this.
    #[must_use]
    pub fn max_interval(mut self, d: Duration) -> Self {
        self.max_interval = d;
        self
    }

    /// At most `n` retries (so `n + 1` attempts).
    #[must_use]
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }

    /// Give up rather than wait past this much time since the first failure; `None` for no
    /// deadline. A wait that would cross the deadline is never started.
    #[must_use]
    pub fn max_elapsed(mut self, d: Option<Duration>) -> Self {
        self.max_elapsed = d;
        self
    }

    /// The longest `Retry-After` honoured (default: the max interval). A server asking for
    /// longer makes the call give up instead of retrying early against its wish.
    #[must_use]
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = Some(d);
        self
    }

    /// A timeout for each attempt of `retry_async` (a timed-out attempt is retried).
    #[must_use]
    pub fn attempt_timeout(mut self, d: Duration) -> Self {
        self.attempt_timeout = Some(d);
        self
    }

    /// Seeds the jitter, for reproducible delays.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The clock that measures elapsed time.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// What blocks between attempts of `retry`.
    #[must_use]
    pub fn sleeper(mut self, sleeper: impl Sleeper + 'static) -> Self {
        self.sleeper = Arc::new(sleeper);
        self
    }

    /// Uses `clock` for time and for every wait (sync and async): tests run instantly.
    #[must_use]
    pub fn manual_clock(mut self, clock: &ManualClock) -> Self {
        self.clock = Arc::new(clock.clone());
        self.sleeper = Arc::new(clock.clone());
        #[cfg(feature = "tokio")]
        {
            self.async_sleeper = Arc::new(clock.clone());
        }
        self
    }

    /// Called before every wait.
    #[must_use]
    pub fn on_retry(mut self, f: impl Fn(&RetryEvent<'_>) + Send + Sync + 'static) -> Self {
        self.hooks.on_retry = Some(Arc::new(f));
        self
    }

    /// Called once when a call fails for good.
    #[must_use]
    pub fn on_give_up(mut self, f: impl Fn(&GiveUpEvent<'_>) + Send + Sync + 'static) -> Self {
        self.hooks.on_give_up = Some(Arc::new(f));
        self
    }

    /// Tells `listener` about every failed attempt, retry and give-up of this policy's
    /// calls. Listeners add up (a second one does not replace the first) and are kept by
    /// [`on_retry`](Self::on_retry) and [`on_give_up`](Self::on_give_up): a run records
    /// through one while its caller hooks in.
    #[must_use]
    pub fn listener(mut self, listener: Arc<dyn RetryListener>) -> Self {
        self.hooks.listeners.push(listener);
        self
    }

    /// Includes error messages (credentials redacted) in the `tracing` events. Off by
    /// default: an error message can carry patient identifiers.
    #[must_use]
    pub fn log_error_messages(mut self, on: bool) -> Self {
        self.hooks.log_errors = on;
        self
    }

    /// Every attempt asks `breaker` first; an open circuit ends the call at once, or, when
    /// the breaker was built with [`WhenOpen::Wait`](crate::WhenOpen::Wait), waits for its
    /// half-open trial within [`max_elapsed`](Self::max_elapsed).
    #[must_use]
    pub fn circuit_breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// Every call deposits into `budget` and every retry withdraws from it.
    #[must_use]
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Counts this policy's attempts, retries and give-ups into `metrics`, and reports the
    /// state of its breaker and budget (set those first).
    #[cfg(feature = "prometheus")]
    #[must_use]
    pub fn metrics(mut self, metrics: crate::metrics::RetryMetrics) -> Self {
        if let Some(b) = &self.breaker {
            metrics.watch_breaker(b);
        }
        if let Some(b) = &self.budget {
            metrics.watch_budget(b);
        }
        self.metrics = Some(metrics);
        self
    }

    /// The delays this policy would wait, in order, ignoring `Retry-After` and the deadline.
    /// Infinite for an exponential policy without `max_retries`.
    pub fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        let mut schedule = self.schedule();
        std::iter::from_fn(move || schedule.next_delay())
    }

    pub(crate) fn schedule(&self) -> Schedule {
        let n = self.executions.fetch_add(1, Ordering::Relaxed);
        let seed = match self.seed {
            Some(s) => s ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            None => random_seed(),
        };
        let delays = match &self.shape {
            Shape::Delays(f) => Some(f()),
            _ => None,
        };
        let current = match self.shape {
            Shape::Exponential { initial, .. } => initial,
            Shape::Constant(d) => d,
            Shape::Delays(_) => Duration::ZERO,
        };
        Schedule::new(
            self.shape.clone(),
            self.jitter,
            self.max_interval,
            self.max_retries,
            current,
            Rng::new(seed),
            delays,
        )
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish()
}
