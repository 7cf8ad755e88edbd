//! `CircuitBreaker`: closed / open / half-open, tripped by consecutive failures or by the
//! failure rate over a count-based sliding window; a lock-free check while closed.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub use crate::breaker_state::{CircuitState, WhenOpen};
use crate::breaker_state::{Config, Inner, StateHook};
use crate::clock::{Clock, SystemClock};
use crate::events::RetryListener;
pub use crate::permit::Permit;

/// A circuit breaker shared by every caller of one dependency (clone it freely).
///
/// Defaults (as resilience4j's, with a smaller window): trips after 5 consecutive failures
/// or when at least 50% of the last 20 calls failed (once 10 calls were seen); stays open
/// 30 s; then lets 1 probe through, which closes it on success.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::{CircuitBreaker, CircuitState, Decision, ManualClock};
///
/// let clock = ManualClock::new();
/// let breaker = CircuitBreaker::builder()
///     .consecutive_failures(2)
///     .open_duration(Duration::from_secs(10))
///     .clock(clock.clone())
///     .build();
/// for _ in 0..2 {
///     breaker.try_acquire().unwrap().record(Decision::Retry); // a transient failure
/// }
/// assert_eq!(breaker.state(), CircuitState::Open);
/// assert!(breaker.try_acquire().is_none());
/// clock.advance(Duration::from_secs(10));
/// breaker.try_acquire().unwrap().success(); // the probe succeeds
/// assert_eq!(breaker.state(), CircuitState::Closed);
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    inner: Arc<Inner>,
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// Builds a [`CircuitBreaker`]. Cloning it clones a template: breakers built from the clones
/// share the clock, the hook and the listeners (a
/// [`BreakerRegistry`](crate::BreakerRegistry) builds one per key this way).
#[derive(Clone)]
pub struct CircuitBreakerBuilder {
    config: Config,
    clock: Arc<dyn Clock>,
    on_change: Option<StateHook>,
    listeners: Vec<Arc<dyn RetryListener>>,
}

impl CircuitBreakerBuilder {
    /// Trip after this many failures in a row (0 turns the rule off).
    #[must_use]
    pub fn consecutive_failures(mut self, n: u32) -> Self {
        self.config.consecutive_failures = n;
        self
    }

    /// Trip when the failure rate over the window reaches `rate` (in `0..=1`; above 1 turns
    /// the rule off).
    #[must_use]
    pub fn failure_rate(mut self, rate: f64) -> Self {
        self.config.failure_rate = rate;
        self
    }

    /// The last `size` calls form the window (at least 1).
    #[must_use]
    pub fn window(mut self, size: usize) -> Self {
        self.config.window = size.max(1);
        self
    }

    /// The failure rate is only judged once this many calls are in the window.
    #[must_use]
    pub fn minimum_calls(mut self, n: usize) -> Self {
        self.config.minimum_calls = n;
        self
    }

    /// How long the circuit stays open before probing.
    #[must_use]
    pub fn open_duration(mut self, d: Duration) -> Self {
        self.config.open_duration = d;
        self
    }

    /// How many probes may run at once in half-open; that many successes close it.
    #[must_use]
    pub fn half_open_calls(mut self, n: u32) -> Self {
        self.config.half_open_calls = n.max(1);
        self
    }

    /// What a policy's call does when this breaker refuses it: fail at once (the default)
    /// or wait for the half-open trial within the policy's deadline.
    #[must_use]
    pub fn when_open(mut self, mode: WhenOpen) -> Self {
        self.config.when_open = mode;
        self
    }

    /// The clock that times the open state.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Called on every state change with (from, to).
    #[must_use]
    pub fn on_state_change(
        mut self,
        f: impl Fn(CircuitState, CircuitState) + Send + Sync + 'static,
    ) -> Self {
        self.on_change = Some(Arc::new(f));
        self
    }

    /// Adds `f` to the state-change hook, keeping the one already set (for the per-key
    /// hook of a [`BreakerRegistry`](crate::BreakerRegistry)).
    pub(crate) fn and_on_state_change(mut self, f: StateHook) -> Self {
        self.on_change = Some(match self.on_change.take() {
            None => f,
            Some(first) => Arc::new(move |from, to| {
                first(from, to);
                f(from, to);
            }),
        });
        self
    }

    /// Tells `listener` about every state change too
    /// ([`RetryListener::breaker_changed`]); listeners add up and keep
    /// [`on_state_change`](Self::on_state_change).
    #[must_use]
    pub fn listener(mut self, listener: Arc<dyn RetryListener>) -> Self {
        self.listeners.push(listener);
        self
    }

    /// The breaker, closed.
    pub fn build(self) -> CircuitBreaker {
        let hook: Option<StateHook> = match (self.on_change, self.listeners) {
            (hook, listeners) if listeners.is_empty() => hook,
            (hook, listeners) => Some(Arc::new(move |from, to| {
                if let Some(f) = &hook {
                    f(from, to);
                }
                for l in &listeners {
                    l.breaker_changed(from, to);
                }
            })),
        };
        CircuitBreaker {
            inner: Arc::new(Inner::new(self.config, self.clock, hook)),
        }
    }
}

impl Default for CircuitBreakerBuilder {
    /// [`CircuitBreaker::builder`]: the documented defaults.
    fn default() -> Self {
        CircuitBreaker::builder()
    }
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl CircuitBreaker {
    /// A builder with the documented defaults.
    pub fn builder() -> CircuitBreakerBuilder {
        CircuitBreakerBuilder {
            config: Config {
                consecutive_failures: 5,
                failure_rate: 0.5,
                window: 20,
                minimum_calls: 10,
                open_duration: Duration::from_secs(30),
                half_open_calls: 1,
                when_open: WhenOpen::FailFast,
            },
            clock: Arc::new(SystemClock),
            on_change: None,
            listeners: Vec::new(),
        }
    }

    /// The current state (an open circuit whose time is up still reads `Open` until the
    /// next call asks).
    pub fn state(&self) -> CircuitState {
        CircuitState::from_u8(self.inner.state.load(Ordering::Acquire))
    }

    /// Whether the circuit is open: calls are refused until the open duration has passed
    /// (then the next call is let through as a half-open trial; until a call asks, an open
    /// circuit whose time is up still reads open — see [`half_open_in`](Self::half_open_in)).
    ///
    /// ```
    /// let breaker = steadfast_retry::CircuitBreaker::default();
    /// assert!(!breaker.is_open());
    /// breaker.force_open();
    /// assert!(breaker.is_open());
    /// ```
    pub fn is_open(&self) -> bool {
        self.state() == CircuitState::Open
    }

    /// While open, how long until the breaker admits a half-open trial (zero once it is
    /// due); `None` when it is not open.
    ///
    /// ```
    /// use std::time::Duration;
    /// use steadfast_retry::{CircuitBreaker, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let breaker = CircuitBreaker::builder()
    ///     .open_duration(Duration::from_secs(2))
    ///     .clock(clock.clone())
    ///     .build();
    /// assert_eq!(breaker.half_open_in(), None);
    /// breaker.force_open();
    /// clock.advance(Duration::from_millis(500));
    /// assert_eq!(breaker.half_open_in(), Some(Duration::from_millis(1500)));
    /// ```
    pub fn half_open_in(&self) -> Option<Duration> {
        if !self.is_open() {
            return None;
        }
        let now = self.inner.clock.now();
        let cold = self.inner.lock_cold();
        Some(cold.opened_at.map_or(Duration::ZERO, |at| {
            self.inner
                .config
                .open_duration
                .saturating_sub(now.saturating_duration_since(at))
        }))
    }

    /// What a policy's call does when this breaker refuses it.
    pub fn when_open(&self) -> WhenOpen {
        self.inner.config.when_open
    }

    /// How long it stays open before a trial.
    pub(crate) fn open_duration(&self) -> Duration {
        self.inner.config.open_duration
    }

    /// Calls refused so far.
    pub fn rejected(&self) -> u64 {
        self.inner.rejected.load(Ordering::Relaxed)
    }

    /// Asks to make a call; `None` when the circuit refuses it. While closed this is one
    /// atomic load. Record the outcome on the permit; a permit dropped unrecorded counts as
    /// neither success nor failure.
    #[inline]
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        if self.inner.state.load(Ordering::Acquire) == 0 {
            return Some(Permit::new(Some(&self.inner), false));
        }
        self.try_acquire_slow()
    }

    #[cold]
    fn try_acquire_slow(&self) -> Option<Permit<'_>> {
        let inner = &self.inner;
        if self.state() == CircuitState::Open {
            let now = inner.clock.now();
            let mut cold = inner.lock_cold();
            let due = cold
                .opened_at
                .is_none_or(|at| now.duration_since(at) >= inner.config.open_duration);
            if !due || self.state() != CircuitState::Open {
                drop(cold);
                if self.state() == CircuitState::Closed {
                    return Some(Permit::new(Some(inner), false));
                }
                if self.state() == CircuitState::Open {
                    inner.rejected.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            } else {
                cold.opened_at = None;
                inner.half_open_in_flight.store(0, Ordering::Release);
                inner.half_open_successes.store(0, Ordering::Release);
                drop(cold);
                inner.transition(CircuitState::Open, CircuitState::HalfOpen);
            }
        }
        let in_flight = inner.half_open_in_flight.fetch_add(1, Ordering::AcqRel);
        if self.state() == CircuitState::HalfOpen && in_flight < inner.config.half_open_calls {
            return Some(Permit::new(Some(inner), true));
        }
        inner.half_open_in_flight.fetch_sub(1, Ordering::AcqRel);
        if self.state() == CircuitState::Closed {
            return Some(Permit::new(Some(inner), false));
        }
        inner.rejected.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Opens the circuit now, whatever the counts say.
    pub fn force_open(&self) {
        let from = self.state();
        self.inner.open(from);
    }

    /// Closes the circuit and forgets every count.
    pub fn reset(&self) {
        let from = self.state();
        self.inner.close(from);
    }
}
