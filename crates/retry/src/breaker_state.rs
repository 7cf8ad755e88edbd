//! A circuit breaker's shared state — its [`CircuitState`], counters, sliding window and
//! transitions, and why it last opened ([`OpenReason`]) — which the breaker hands out and
//! each [`Permit`](crate::Permit) records into.

use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::breaker_window::{Window, WindowKind};
use crate::clock::Clock;

/// A breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircuitState {
    /// Calls flow; outcomes are counted.
    Closed,
    /// Calls are refused until the open duration has passed.
    Open,
    /// A few probe calls are let through; their outcome closes or re-opens the circuit.
    HalfOpen,
}

impl CircuitState {
    /// The state in `v`, an [`Inner::state`] value (its [`TIMED`] bit ignored).
    pub(crate) fn from_u8(v: u8) -> Self {
        match v & !TIMED {
            0 => Self::Closed,
            1 => Self::Open,
            _ => Self::HalfOpen,
        }
    }

    /// `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// Why a breaker last opened ([`CircuitBreaker::opened_by`](crate::CircuitBreaker::opened_by)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OpenReason {
    /// `consecutive_failures` transient failures in a row.
    ConsecutiveFailures,
    /// The failure rate over the window reached `failure_rate`.
    FailureRate,
    /// The slow-call rate over the window reached `slow_call_rate`.
    SlowCallRate,
    /// A half-open probe failed.
    ProbeFailed,
    /// A half-open probe took `slow_call_duration` or longer.
    ProbeSlow,
    /// The probes did not finish within `max_wait_in_half_open`.
    HalfOpenTimeout,
    /// [`CircuitBreaker::force_open`](crate::CircuitBreaker::force_open).
    Forced,
}

impl OpenReason {
    /// `consecutive_failures`, `failure_rate`, `slow_call_rate`, `probe_failed`,
    /// `probe_slow`, `half_open_timeout` or `forced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConsecutiveFailures => "consecutive_failures",
            Self::FailureRate => "failure_rate",
            Self::SlowCallRate => "slow_call_rate",
            Self::ProbeFailed => "probe_failed",
            Self::ProbeSlow => "probe_slow",
            Self::HalfOpenTimeout => "half_open_timeout",
            Self::Forced => "forced",
        }
    }
}

/// What a policy's call does when its breaker refuses it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum WhenOpen {
    /// Give up at once ([`RetryError::CircuitOpen`](crate::RetryError::CircuitOpen)): a
    /// request that someone waits for should fail fast.
    #[default]
    FailFast,
    /// Wait, with the policy's sleeper, until the breaker admits a half-open trial, as long
    /// as the policy's `max_elapsed` allows (a policy without a deadline fails fast): a
    /// batch job rides out a short outage instead of dead-lettering what it meets.
    Wait,
}

impl WhenOpen {
    /// `fail_fast` or `wait`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailFast => "fail_fast",
            Self::Wait => "wait",
        }
    }
}

pub(crate) type StateHook = Arc<dyn Fn(CircuitState, CircuitState) + Send + Sync>;

/// The bit of [`Inner::state`] saying the breaker times its calls (the slow-call rule):
/// such a breaker's state is never 0, so the closed check of `try_acquire` — one load,
/// compared with 0 — sends it to the path that reads the clock, and an untimed breaker's
/// check stays as it was.
pub(crate) const TIMED: u8 = 4;

pub(crate) struct Inner {
    /// The [`CircuitState`], with the [`TIMED`] bit when the slow-call rule is on.
    pub(crate) state: AtomicU8,
    /// The slow-call rule is on: a permit reads the clock when it is handed out.
    pub(crate) timed: bool,
    /// A rule reads the window ([`Config::windowed`]).
    pub(crate) windowed: bool,
    pub(crate) consecutive: AtomicU32,
    pub(crate) half_open_in_flight: AtomicU32,
    pub(crate) half_open_successes: AtomicU32,
    pub(crate) rejected: AtomicU64,
    pub(crate) slow_calls: AtomicU64,
    cold: Mutex<Cold>,
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    /// What a permit's start is measured from.
    pub(crate) origin: Instant,
    on_change: Option<StateHook>,
    /// Hooks added after the breaker was built (a registry's per-key hooks).
    pub(crate) key_hook: Mutex<Option<StateHook>>,
}

pub(crate) struct Cold {
    pub(crate) opened_at: Option<Instant>,
    pub(crate) half_open_at: Option<Instant>,
    pub(crate) opened_by: Option<OpenReason>,
    window: Window,
}

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) consecutive_failures: u32,
    pub(crate) failure_rate: f64,
    pub(crate) window: WindowKind,
    pub(crate) minimum_calls: usize,
    pub(crate) slow_call_duration: Option<Duration>,
    pub(crate) slow_call_rate: f64,
    pub(crate) open_duration: Duration,
    pub(crate) half_open_calls: u32,
    pub(crate) max_wait_in_half_open: Option<Duration>,
    pub(crate) when_open: WhenOpen,
}

impl Config {
    /// Whether a rule reads the window (the failure rate, or the slow-call rate).
    fn windowed(&self) -> bool {
        self.failure_rate <= 1.0
            || (self.slow_call_duration.is_some() && self.slow_call_rate <= 1.0)
    }
}

impl Inner {
    /// A closed breaker's state.
    pub(crate) fn new(config: Config, clock: Arc<dyn Clock>, on_change: Option<StateHook>) -> Self {
        let origin = clock.now();
        let timed = config.slow_call_duration.is_some();
        Self {
            state: AtomicU8::new(if timed { TIMED } else { 0 }),
            timed,
            windowed: config.windowed(),
            consecutive: AtomicU32::new(0),
            half_open_in_flight: AtomicU32::new(0),
            half_open_successes: AtomicU32::new(0),
            rejected: AtomicU64::new(0),
            slow_calls: AtomicU64::new(0),
            cold: Mutex::new(Cold {
                opened_at: None,
                half_open_at: None,
                opened_by: None,
                window: Window::new(config.window, origin),
            }),
            config,
            clock,
            origin,
            on_change,
            key_hook: Mutex::new(None),
        }
    }

    pub(crate) fn lock_cold(&self) -> std::sync::MutexGuard<'_, Cold> {
        self.cold.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the state from `from` to `to` if it is still `from`; the hooks are not told
    /// (call [`tell`](Self::tell) after letting go of the cold lock: a hook may ask for it).
    pub(crate) fn change(&self, from: CircuitState, to: CircuitState) -> bool {
        let bit = if self.timed { TIMED } else { 0 };
        self.state
            .compare_exchange(
                from as u8 | bit,
                to as u8 | bit,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Whether the circuit is closed.
    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & !TIMED == 0
    }

    /// Tells the hooks of a change made.
    pub(crate) fn tell(&self, from: CircuitState, to: CircuitState) {
        if from == to {
            return;
        }
        if let Some(f) = &self.on_change {
            f(from, to);
        }
        let added = self
            .key_hook
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(f) = added {
            f(from, to);
        }
    }

    /// Opens the circuit if it is still `from` (a late outcome of a probe whose half-open
    /// period another call ended changes nothing).
    pub(crate) fn open(&self, from: CircuitState, why: OpenReason) {
        let now = self.clock.now();
        let mut cold = self.lock_cold();
        if !self.change(from, CircuitState::Open) {
            return;
        }
        cold.opened_at = Some(now);
        cold.half_open_at = None;
        cold.opened_by = Some(why);
        drop(cold);
        self.tell(from, CircuitState::Open);
    }

    /// Closes the circuit, forgetting every count, if it is still `from`.
    pub(crate) fn close(&self, from: CircuitState) {
        let mut cold = self.lock_cold();
        if !self.change(from, CircuitState::Closed) {
            return;
        }
        cold.window.clear();
        cold.opened_at = None;
        cold.half_open_at = None;
        self.consecutive.store(0, Ordering::Release);
        drop(cold);
        self.tell(from, CircuitState::Closed);
    }

    /// Whether a call that started at `start` (a permit's nanoseconds since `origin`) is
    /// slow, read now; never without the slow-call rule.
    pub(crate) fn is_slow(&self, start_nanos: u64) -> bool {
        let Some(limit) = self.config.slow_call_duration else {
            return false;
        };
        let now = nanos_since(self.origin, self.clock.now());
        Duration::from_nanos(now.saturating_sub(start_nanos)) >= limit
    }

    /// While half-open: whether the probes ran past `max_wait_in_half_open` (never without
    /// it); when they did, the circuit is opened again.
    pub(crate) fn half_open_expired(&self) -> bool {
        let Some(limit) = self.config.max_wait_in_half_open else {
            return false;
        };
        let now = self.clock.now();
        let cold = self.lock_cold();
        let expired = cold
            .half_open_at
            .is_some_and(|at| now.saturating_duration_since(at) >= limit);
        drop(cold);
        if expired {
            self.open(CircuitState::HalfOpen, OpenReason::HalfOpenTimeout);
        }
        expired
    }

    pub(crate) fn on_closed_outcome(&self, failed: bool, slow: bool) {
        let c = &self.config;
        let mut trip = None;
        if slow {
            self.slow_calls.fetch_add(1, Ordering::Relaxed);
        }
        if failed {
            let n = self.consecutive.fetch_add(1, Ordering::AcqRel) + 1;
            if c.consecutive_failures > 0 && n >= c.consecutive_failures {
                trip = Some(OpenReason::ConsecutiveFailures);
            }
        } else if self.consecutive.load(Ordering::Relaxed) != 0 {
            self.consecutive.store(0, Ordering::Release);
        }
        if self.windowed {
            let now = matches!(c.window, WindowKind::Time(_)).then(|| self.clock.now());
            let mut cold = self.lock_cold();
            let t = cold.window.record(failed, slow, now);
            drop(cold);
            if trip.is_none() && t.calls >= c.minimum_calls.max(1) {
                let calls = t.calls as f64;
                if c.failure_rate <= 1.0 && t.failures as f64 / calls >= c.failure_rate {
                    trip = Some(OpenReason::FailureRate);
                } else if c.slow_call_duration.is_some()
                    && c.slow_call_rate <= 1.0
                    && t.slow as f64 / calls >= c.slow_call_rate
                {
                    trip = Some(OpenReason::SlowCallRate);
                }
            }
        }
        if let Some(why) = trip {
            self.open(CircuitState::Closed, why);
        }
    }
}

/// `now` as nanoseconds since `origin`, within 60 bits (36 years).
pub(crate) fn nanos_since(origin: Instant, now: Instant) -> u64 {
    let n = now.saturating_duration_since(origin).as_nanos();
    u64::try_from(n).map_or(1 << 60, |n| n.min(1 << 60))
}
