//! `AdaptiveRateLimiter`: a client-side pacer that halves its rate when the server answers
//! 429 and creeps back up on success (additive increase, multiplicative decrease).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::clock::{Clock, Sleeper, SystemClock};

/// Paces calls to at most `rate` per second, adapting `rate` to the server's answers.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::{AdaptiveRateLimiter, ManualClock};
///
/// let clock = ManualClock::new();
/// let limiter = AdaptiveRateLimiter::new(10.0, 1.0, 100.0).clock(clock.clone());
/// assert_eq!(limiter.reserve(), Duration::ZERO);
/// assert_eq!(limiter.reserve(), Duration::from_millis(100)); // 10 per second
/// limiter.on_throttled(); // a 429
/// assert_eq!(limiter.rate(), 5.0);
/// ```
#[derive(Clone)]
pub struct AdaptiveRateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    initial: f64,
    min: f64,
    max: f64,
    clock: Arc<dyn Clock>,
}

struct State {
    rate: f64,
    next_free: Option<Instant>,
}

impl fmt::Debug for AdaptiveRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveRateLimiter")
            .field("rate", &self.rate())
            .finish_non_exhaustive()
    }
}

impl AdaptiveRateLimiter {
    /// Starts at `initial` calls per second, never below `min` nor above `max`.
    pub fn new(initial: f64, min: f64, max: f64) -> Self {
        let min = if min.is_finite() && min > 0.0 {
            min
        } else {
            0.1
        };
        let max = if max.is_finite() {
            max.max(min)
        } else {
            f64::MAX
        };
        let initial = initial.clamp(min, max);
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    rate: initial,
                    next_free: None,
                }),
                initial,
                min,
                max,
                clock: Arc::new(SystemClock),
            }),
        }
    }

    /// A new limiter with these bounds and clock, at the initial rate (a keyed registry's
    /// per-key limiter).
    pub(crate) fn fresh(&self) -> Self {
        let i = &self.inner;
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    rate: i.initial,
                    next_free: None,
                }),
                initial: i.initial,
                min: i.min,
                max: i.max,
                clock: i.clock.clone(),
            }),
        }
    }

    /// The same limiter timed by `clock`.
    #[must_use]
    pub fn clock(self, clock: impl Clock + 'static) -> Self {
        let rate = self.rate();
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    rate,
                    next_free: None,
                }),
                initial: self.inner.initial,
                min: self.inner.min,
                max: self.inner.max,
                clock: Arc::new(clock),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The current rate, in calls per second.
    pub fn rate(&self) -> f64 {
        self.state().rate
    }

    /// Reserves the next slot and returns how long to wait for it.
    pub fn reserve(&self) -> Duration {
        let now = self.inner.clock.now();
        let mut s = self.state();
        let slot = s.next_free.map_or(now, |n| n.max(now));
        s.next_free = Some(slot + Duration::from_secs_f64(1.0 / s.rate));
        slot - now
    }

    /// Reserves a slot and blocks on `sleeper` until it comes.
    pub fn acquire(&self, sleeper: &dyn Sleeper) {
        let wait = self.reserve();
        if !wait.is_zero() {
            sleeper.sleep(wait);
        }
    }

    /// Reserves a slot and waits for it on tokio's timer (feature `tokio`).
    #[cfg(feature = "tokio")]
    pub async fn acquire_async(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// The server answered 429 (or 503 with Retry-After): halve the rate.
    pub fn on_throttled(&self) {
        let mut s = self.state();
        s.rate = (s.rate / 2.0).max(self.inner.min);
    }

    /// No slot before `wait` from now (the server's window is spent).
    pub(crate) fn pause_for(&self, wait: Duration) {
        let until = self.inner.clock.now() + wait;
        let mut s = self.state();
        s.next_free = Some(s.next_free.map_or(until, |n| n.max(until)));
    }

    /// The rate lowered to `rate` if it is above (never below the limiter's minimum).
    pub(crate) fn cap_rate(&self, rate: f64) {
        if !rate.is_finite() {
            return;
        }
        let mut s = self.state();
        s.rate = s.rate.min(rate.max(self.inner.min));
    }

    /// A call succeeded: raise the rate by 1% of the maximum (or 0.1/s, whichever is more).
    pub fn on_success(&self) {
        let mut s = self.state();
        let step = (self.inner.max * 0.01).clamp(0.1, 1e6);
        s.rate = (s.rate + step).min(self.inner.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn paces_and_adapts() {
        let clock = ManualClock::new();
        let l = AdaptiveRateLimiter::new(4.0, 1.0, 8.0).clock(clock.clone());
        for _ in 0..8 {
            l.acquire(&clock);
        }
        // 8 calls at 4/s: the first is free, then 7 × 250 ms.
        assert_eq!(clock.slept(), Duration::from_millis(1750));
        for _ in 0..5 {
            l.on_throttled();
        }
        assert_eq!(l.rate(), 1.0);
        for _ in 0..100 {
            l.on_success();
        }
        assert_eq!(l.rate(), 8.0);
    }

    #[cfg(feature = "tokio")]
    #[tokio::test(start_paused = true)]
    async fn async_acquire_paces_on_tokio_time() {
        let l = AdaptiveRateLimiter::new(10.0, 1.0, 10.0).clock(crate::TokioClock);
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            l.acquire_async().await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }
}
