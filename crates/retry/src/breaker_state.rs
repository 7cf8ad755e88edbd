//! A circuit breaker's shared state — its [`CircuitState`], counters, sliding window and
//! transitions — which the breaker hands out and each [`Permit`](crate::Permit) records
//! into.

use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    pub(crate) fn from_u8(v: u8) -> Self {
        match v {
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

pub(crate) struct Inner {
    pub(crate) state: AtomicU8,
    pub(crate) consecutive: AtomicU32,
    pub(crate) half_open_in_flight: AtomicU32,
    pub(crate) half_open_successes: AtomicU32,
    pub(crate) rejected: AtomicU64,
    cold: Mutex<Cold>,
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    on_change: Option<StateHook>,
}

pub(crate) struct Cold {
    pub(crate) opened_at: Option<Instant>,
    window: Vec<bool>,
    next: usize,
    filled: usize,
    failures: usize,
}

#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) consecutive_failures: u32,
    pub(crate) failure_rate: f64,
    pub(crate) window: usize,
    pub(crate) minimum_calls: usize,
    pub(crate) open_duration: Duration,
    pub(crate) half_open_calls: u32,
    pub(crate) when_open: WhenOpen,
}

impl Inner {
    /// A closed breaker's state.
    pub(crate) fn new(config: Config, clock: Arc<dyn Clock>, on_change: Option<StateHook>) -> Self {
        let window = config.window;
        Self {
            state: AtomicU8::new(0),
            consecutive: AtomicU32::new(0),
            half_open_in_flight: AtomicU32::new(0),
            half_open_successes: AtomicU32::new(0),
            rejected: AtomicU64::new(0),
            cold: Mutex::new(Cold {
                opened_at: None,
                window: vec![false; window],
                next: 0,
                filled: 0,
                failures: 0,
            }),
            config,
            clock,
            on_change,
        }
    }

    pub(crate) fn lock_cold(&self) -> std::sync::MutexGuard<'_, Cold> {
        self.cold.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn transition(&self, from: CircuitState, to: CircuitState) -> bool {
        let ok = self
            .state
            .compare_exchange(from as u8, to as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if ok
            && from != to
            && let Some(f) = &self.on_change
        {
            f(from, to);
        }
        ok
    }

    pub(crate) fn open(&self, from: CircuitState) {
        let mut cold = self.lock_cold();
        cold.opened_at = Some(self.clock.now());
        drop(cold);
        self.transition(from, CircuitState::Open);
    }

    pub(crate) fn close(&self, from: CircuitState) {
        let mut cold = self.lock_cold();
        cold.window.iter_mut().for_each(|x| *x = false);
        cold.next = 0;
        cold.filled = 0;
        cold.failures = 0;
        cold.opened_at = None;
        drop(cold);
        self.consecutive.store(0, Ordering::Release);
        self.transition(from, CircuitState::Closed);
    }

    pub(crate) fn on_closed_outcome(&self, failed: bool) {
        let c = &self.config;
        let mut trip = false;
        if failed {
            let n = self.consecutive.fetch_add(1, Ordering::AcqRel) + 1;
            trip |= c.consecutive_failures > 0 && n >= c.consecutive_failures;
        } else if self.consecutive.load(Ordering::Relaxed) != 0 {
            self.consecutive.store(0, Ordering::Release);
        }
        if c.failure_rate <= 1.0 {
            let mut cold = self.lock_cold();
            let i = cold.next;
            if cold.filled == c.window {
                if cold.window[i] {
                    cold.failures -= 1;
                }
            } else {
                cold.filled += 1;
            }
            cold.window[i] = failed;
            if failed {
                cold.failures += 1;
            }
            cold.next = (i + 1) % c.window;
            let rate = cold.failures as f64 / cold.filled as f64;
            trip |= cold.filled >= c.minimum_calls.max(1) && rate >= c.failure_rate;
        }
        if trip {
            self.open(CircuitState::Closed);
        }
    }
}
