//! `CircuitBreakerBuilder`: a breaker's thresholds, window, slow-call rule, half-open
//! bounds, clock and hooks — resilience4j's options, each off until set except the
//! documented defaults.

use std::sync::Arc;
use std::time::Duration;

use crate::breaker_state::{CircuitState, Config, StateHook, WhenOpen};
use crate::breaker_window::{MAX_WINDOW_SECS, WindowKind};
use crate::clock::{Clock, SystemClock};
use crate::events::RetryListener;

/// Builds a [`CircuitBreaker`](crate::CircuitBreaker). Cloning it clones a template:
/// breakers built from the clones share the clock, the hook and the listeners (a
/// [`BreakerRegistry`](crate::BreakerRegistry) builds one per key this way).
#[derive(Clone)]
pub struct CircuitBreakerBuilder {
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) on_change: Option<StateHook>,
    pub(crate) listeners: Vec<Arc<dyn RetryListener>>,
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

    /// A count-based window: the last `size` calls (at least 1). The default, of 20.
    #[must_use]
    pub fn window(mut self, size: usize) -> Self {
        self.config.window = WindowKind::Count(size.max(1));
        self
    }

    /// A time-based window: the calls of the last `span` (whole seconds, rounded up; 1 s to
    /// 1 h), counted in one bucket per second of the breaker's clock, so a second's calls
    /// drop out of the window together once `span` has passed. Replaces
    /// [`window`](Self::window) (the last of the two set wins).
    ///
    /// ```
    /// use std::time::Duration;
    /// use steadfast_retry::{CircuitBreaker, CircuitState, Decision, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let breaker = CircuitBreaker::builder()
    ///     .consecutive_failures(0)
    ///     .time_window(Duration::from_secs(10))
    ///     .minimum_calls(4)
    ///     .clock(clock.clone())
    ///     .build();
    /// for _ in 0..2 {
    ///     breaker.try_acquire().unwrap().record(Decision::Retry);
    /// }
    /// clock.advance(Duration::from_secs(30)); // those two failures are forgotten
    /// breaker.try_acquire().unwrap().record(Decision::Retry);
    /// for _ in 0..3 {
    ///     breaker.try_acquire().unwrap().success();
    /// }
    /// assert_eq!(breaker.state(), CircuitState::Closed); // 1 failure of 4, not 3 of 6
    /// ```
    #[must_use]
    pub fn time_window(mut self, span: Duration) -> Self {
        let secs = span
            .as_secs()
            .saturating_add(u64::from(span.subsec_nanos() > 0));
        let secs = u32::try_from(secs).unwrap_or(MAX_WINDOW_SECS);
        self.config.window = WindowKind::Time(secs.clamp(1, MAX_WINDOW_SECS));
        self
    }

    /// The failure and slow-call rates are only judged once this many calls are in the
    /// window (either kind).
    #[must_use]
    pub fn minimum_calls(mut self, n: usize) -> Self {
        self.config.minimum_calls = n;
        self
    }

    /// Turns the slow-call rule on: a call that took `d` or longer is slow, whether it
    /// succeeded or failed transiently (a permanent failure counts neither way), and the
    /// breaker trips when the slow calls reach [`slow_call_rate`](Self::slow_call_rate) of
    /// the window (100% unless set), once `minimum_calls` are in it. A slow half-open probe
    /// opens the circuit again. With the rule on, a permit reads the clock when it is
    /// handed out and when it is recorded; without it, neither does.
    ///
    /// ```
    /// use std::time::Duration;
    /// use steadfast_retry::{CircuitBreaker, CircuitState, ManualClock, OpenReason};
    ///
    /// let clock = ManualClock::new();
    /// let breaker = CircuitBreaker::builder()
    ///     .slow_call_duration(Duration::from_secs(2))
    ///     .slow_call_rate(0.5)
    ///     .minimum_calls(4)
    ///     .clock(clock.clone())
    ///     .build();
    /// for _ in 0..4 {
    ///     let permit = breaker.try_acquire().unwrap();
    ///     clock.advance(Duration::from_secs(3)); // every call succeeds, slowly
    ///     permit.success();
    /// }
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// assert_eq!(breaker.opened_by(), Some(OpenReason::SlowCallRate));
    /// assert_eq!(breaker.slow_calls(), 4);
    /// ```
    #[must_use]
    pub fn slow_call_duration(mut self, d: Duration) -> Self {
        self.config.slow_call_duration = Some(d);
        self
    }

    /// The share of slow calls in the window (in `0..=1`; above 1 turns the rule off) that
    /// trips the breaker; 1.0 (all of them) by default, as resilience4j's. Only with
    /// [`slow_call_duration`](Self::slow_call_duration).
    #[must_use]
    pub fn slow_call_rate(mut self, rate: f64) -> Self {
        self.config.slow_call_rate = if rate.is_nan() { 2.0 } else { rate };
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

    /// Opens the circuit again when it has been half-open for `d` without its probes
    /// finishing (resilience4j's `maxWaitDurationInHalfOpenState`); zero, the default,
    /// waits for the probes however long they take. Checked when a call asks or a probe is
    /// recorded — no timer runs — so a breaker nobody calls reads half-open until then.
    ///
    /// ```
    /// use std::time::Duration;
    /// use steadfast_retry::{CircuitBreaker, CircuitState, ManualClock, OpenReason};
    ///
    /// let clock = ManualClock::new();
    /// let breaker = CircuitBreaker::builder()
    ///     .open_duration(Duration::from_secs(10))
    ///     .max_wait_in_half_open(Duration::from_secs(5))
    ///     .clock(clock.clone())
    ///     .build();
    /// breaker.force_open();
    /// clock.advance(Duration::from_secs(10));
    /// let stuck = breaker.try_acquire().unwrap(); // the probe hangs
    /// clock.advance(Duration::from_secs(5));
    /// assert!(breaker.try_acquire().is_none());
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// assert_eq!(breaker.opened_by(), Some(OpenReason::HalfOpenTimeout));
    /// stuck.success(); // too late: it changes nothing
    /// assert_eq!(breaker.state(), CircuitState::Open);
    /// ```
    #[must_use]
    pub fn max_wait_in_half_open(mut self, d: Duration) -> Self {
        self.config.max_wait_in_half_open = (!d.is_zero()).then_some(d);
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

    /// Tells `listener` about every state change too
    /// ([`RetryListener::breaker_changed`]); listeners add up and keep
    /// [`on_state_change`](Self::on_state_change).
    #[must_use]
    pub fn listener(mut self, listener: Arc<dyn RetryListener>) -> Self {
        self.listeners.push(listener);
        self
    }
}

impl Default for CircuitBreakerBuilder {
    /// [`CircuitBreaker::builder`](crate::CircuitBreaker::builder): the documented defaults.
    fn default() -> Self {
        Self {
            config: Config {
                consecutive_failures: 5,
                failure_rate: 0.5,
                window: WindowKind::Count(20),
                minimum_calls: 10,
                slow_call_duration: None,
                slow_call_rate: 1.0,
                open_duration: Duration::from_secs(30),
                half_open_calls: 1,
                max_wait_in_half_open: None,
                when_open: WhenOpen::FailFast,
            },
            clock: Arc::new(SystemClock),
            on_change: None,
            listeners: Vec::new(),
        }
    }
}
