//! `CircuitBreaker`: closed / open / half-open, tripped by consecutive failures, or by the
//! failure rate or the slow-call rate over a count-based or time-based sliding window; a
//! lock-free check while closed.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub use crate::breaker_builder::CircuitBreakerBuilder;
pub use crate::breaker_state::{CircuitState, OpenReason, WhenOpen};
use crate::breaker_state::{Inner, StateHook};
pub use crate::permit::Permit;

/// A circuit breaker shared by every caller of one dependency (clone it freely).
///
/// Defaults (as resilience4j's, with a smaller window): trips after 5 consecutive failures
/// or when at least 50% of the last 20 calls failed (once 10 calls were seen); stays open
/// 30 s; then lets 1 probe through, which closes it on success.
///
/// resilience4j's other options are here too, each off until set: a time-based window
/// ([`time_window`](CircuitBreakerBuilder::time_window)), the slow-call rule
/// ([`slow_call_duration`](CircuitBreakerBuilder::slow_call_duration),
/// [`slow_call_rate`](CircuitBreakerBuilder::slow_call_rate)) and a bound on the half-open
/// state ([`max_wait_in_half_open`](CircuitBreakerBuilder::max_wait_in_half_open)).
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

impl CircuitBreakerBuilder {
    /// The breaker, closed (here, beside the type it builds, so the builder's module does
    /// not import this one).
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

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl CircuitBreaker {
    /// A builder with the documented defaults.
    pub fn builder() -> CircuitBreakerBuilder {
        CircuitBreakerBuilder::default()
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

    /// Calls recorded as slow so far (always 0 without
    /// [`slow_call_duration`](CircuitBreakerBuilder::slow_call_duration)).
    pub fn slow_calls(&self) -> u64 {
        self.inner.slow_calls.load(Ordering::Relaxed)
    }

    /// Why the circuit last opened; `None` if it never did. A state-change hook can ask it
    /// when told of a change to [`CircuitState::Open`].
    pub fn opened_by(&self) -> Option<OpenReason> {
        self.inner.lock_cold().opened_by
    }

    /// Adds a hook told of every state change, after the breaker was built (a registry's
    /// per-key hook); hooks add up.
    pub(crate) fn add_hook(&self, hook: StateHook) {
        let mut added = self
            .inner
            .key_hook
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *added = Some(match added.take() {
            None => hook,
            Some(first) => Arc::new(move |from, to| {
                first(from, to);
                hook(from, to);
            }),
        });
    }

    /// Asks to make a call; `None` when the circuit refuses it. While closed this is one
    /// atomic load (and, with the slow-call rule, a read of the clock). Record the outcome
    /// on the permit; a permit dropped unrecorded counts as neither success nor failure.
    #[inline]
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        if self.inner.state.load(Ordering::Acquire) == 0 {
            return Some(Permit::untimed(&self.inner));
        }
        self.try_acquire_slow()
    }

    #[cold]
    fn try_acquire_slow(&self) -> Option<Permit<'_>> {
        let inner = &self.inner;
        if inner.is_closed() {
            return Some(Permit::new(inner, false)); // a breaker that times its calls
        }
        if self.state() == CircuitState::Open {
            let now = inner.clock.now();
            let mut cold = inner.lock_cold();
            let due = cold
                .opened_at
                .is_none_or(|at| now.duration_since(at) >= inner.config.open_duration);
            if !due || self.state() != CircuitState::Open {
                drop(cold);
                if self.state() == CircuitState::Closed {
                    return Some(Permit::new(inner, false));
                }
                if self.state() == CircuitState::Open {
                    inner.rejected.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            } else {
                // Every change of state happens under the cold lock, held here: the circuit
                // is still open, and the probe counts start over before anyone sees it
                // half-open.
                inner.half_open_in_flight.store(0, Ordering::Release);
                inner.half_open_successes.store(0, Ordering::Release);
                if inner.change(CircuitState::Open, CircuitState::HalfOpen) {
                    cold.opened_at = None;
                    cold.half_open_at = Some(now);
                    drop(cold);
                    inner.tell(CircuitState::Open, CircuitState::HalfOpen);
                }
            }
        }
        if self.state() == CircuitState::HalfOpen && inner.half_open_expired() {
            inner.rejected.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let in_flight = inner.half_open_in_flight.fetch_add(1, Ordering::AcqRel);
        if self.state() == CircuitState::HalfOpen && in_flight < inner.config.half_open_calls {
            return Some(Permit::new(inner, true));
        }
        inner.half_open_in_flight.fetch_sub(1, Ordering::AcqRel);
        if self.state() == CircuitState::Closed {
            return Some(Permit::new(inner, false));
        }
        inner.rejected.fetch_add(1, Ordering::Relaxed);
        None
    }

    /// Opens the circuit now, whatever the counts say.
    pub fn force_open(&self) {
        let from = self.state();
        self.inner.open(from, OpenReason::Forced);
    }

    /// Closes the circuit and forgets every count.
    pub fn reset(&self) {
        let from = self.state();
        self.inner.close(from);
    }
}
