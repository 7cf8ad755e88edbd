//! The `[retry.breaker]` configuration table and the `CircuitBreakerBuilder` it describes:
//! thresholds, a count- or time-based window, the slow-call rule, the half-open bounds.

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::keys::{Documented, KeySpec, ValueType, serde_variants};

use crate::breaker::{CircuitBreaker, CircuitBreakerBuilder, WhenOpen};
use crate::config_keys::breaker as keys;

/// `[retry.breaker]`: the circuit breaker.
///
/// resilience4j's other options (a time-based window, the slow-call rule, a bound on the
/// half-open state) are off until set, so a section without them behaves as before.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::{CircuitState, ManualClock, OpenReason, RetryConfig};
///
/// let cfg: RetryConfig = toml::from_str(r#"
///     [breaker]
///     minimum_calls = 2
///     slow_call_duration = "2s"
///     slow_call_rate = 0.5
/// "#)?;
/// let clock = ManualClock::new();
/// let breaker = cfg.breaker_builder().unwrap().clock(clock.clone()).build();
/// for _ in 0..2 {
///     let permit = breaker.try_acquire().unwrap();
///     clock.advance(Duration::from_secs(3)); // a slow success
///     permit.success();
/// }
/// assert_eq!(breaker.state(), CircuitState::Open);
/// assert_eq!(breaker.opened_by(), Some(OpenReason::SlowCallRate));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Use a breaker at all. Default `true`.
    pub enabled: bool,
    /// Trip after this many failures in a row; 0 turns it off. Default `5`.
    pub consecutive_failures: u32,
    /// Trip at this failure rate over the window, in `[0, 1]`. Default `0.5`.
    pub failure_rate: f64,
    /// Calls in the sliding window. Default `20`.
    pub window: usize,
    /// Judge the rates over the calls of this last span instead of the last `window` calls
    /// (a time-based window, one bucket per second: whole seconds, rounded up; `1s` to
    /// `1h`); unset for the count-based window. Default unset.
    pub time_window: Option<HumanDuration>,
    /// Calls needed before the rate is judged. Default `10`.
    pub minimum_calls: usize,
    /// A call that took this long or longer is slow (a success or a transient failure
    /// alike), and a slow half-open probe opens the circuit again; unset turns the
    /// slow-call rule off. Default unset.
    pub slow_call_duration: Option<HumanDuration>,
    /// Trip when the slow calls reach this share of the window, in `[0, 1]`; only with
    /// `slow_call_duration`. Default `1.0` (all of them).
    pub slow_call_rate: f64,
    /// How long it stays open. Default `30s`.
    pub open_duration: HumanDuration,
    /// Probes let through when half-open. Default `1`.
    pub half_open_calls: u32,
    /// Open again when the half-open probes have not finished after this long (checked
    /// when a call asks or a probe is recorded); unset waits for them however long they
    /// take. Default unset.
    pub max_wait_in_half_open: Option<HumanDuration>,
    /// What a call does when the breaker refuses it: `fail_fast` (give up at once, for
    /// requests someone waits for) or `wait` (wait for the half-open trial within
    /// `max_elapsed`, for batch jobs). Default `fail_fast`.
    pub when_open: WhenOpen,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            consecutive_failures: 5,
            failure_rate: 0.5,
            window: 20,
            time_window: None,
            minimum_calls: 10,
            slow_call_duration: None,
            slow_call_rate: 1.0,
            open_duration: HumanDuration::from_secs(30),
            half_open_calls: 1,
            max_wait_in_half_open: None,
            when_open: WhenOpen::FailFast,
        }
    }
}

impl BreakerConfig {
    /// The builder of the breaker this table describes, enabled or not (the caller checks
    /// `enabled`); ranges are the caller's to check.
    pub(crate) fn builder(&self) -> CircuitBreakerBuilder {
        let mut b = CircuitBreaker::builder()
            .consecutive_failures(self.consecutive_failures)
            .failure_rate(self.failure_rate)
            .window(self.window)
            .minimum_calls(self.minimum_calls)
            .slow_call_rate(self.slow_call_rate)
            .open_duration(self.open_duration.get())
            .half_open_calls(self.half_open_calls)
            .when_open(self.when_open);
        if let Some(span) = self.time_window {
            b = b.time_window(span.get());
        }
        if let Some(d) = self.slow_call_duration {
            b = b.slow_call_duration(d.get());
        }
        if let Some(d) = self.max_wait_in_half_open {
            b = b.max_wait_in_half_open(d.get());
        }
        b
    }
}

impl Documented for BreakerConfig {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("enabled", ValueType::Bool),
        KeySpec::new("consecutive_failures", ValueType::Integer),
        keys::FAILURE_RATE,
        keys::WINDOW,
        keys::TIME_WINDOW,
        KeySpec::new("minimum_calls", ValueType::Integer),
        keys::SLOW_CALL_DURATION,
        keys::SLOW_CALL_RATE,
        KeySpec::new("open_duration", ValueType::Duration),
        keys::HALF_OPEN_CALLS,
        keys::MAX_WAIT_IN_HALF_OPEN,
        KeySpec::new("when_open", ValueType::Choice(serde_variants::<WhenOpen>)),
    ];
}
