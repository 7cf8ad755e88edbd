//! `RetryBudget`: a token bucket shared by a fleet of callers, so retries stay a bounded
//! fraction of calls and a failing server is not hit with a multiple of its normal load.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::clock::{Clock, SystemClock};

/// Milli-tokens per token: the bucket is kept in integers so deposits are one atomic add.
const MILLI: i64 = 1000;

/// A retry budget in the style of Finagle's and Linkerd's: every call deposits `ratio`
/// tokens, every retry withdraws one, and a floor of `min_per_sec` retries per second is
/// always allowed (so a quiet service can still retry). The balance is capped so a long
/// healthy period does not bank an unbounded burst of retries.
///
/// With `ratio = 0.2`, a fleet sharing one budget sends at most about 1.2× its base
/// request rate to a failing server, however many times each call would like to retry.
///
/// ```
/// use steadfast_retry::RetryBudget;
///
/// let budget = RetryBudget::new(0.2, 0.0);
/// for _ in 0..10 {
///     budget.deposit(); // ten calls
/// }
/// assert!(budget.try_withdraw());
/// assert!(budget.try_withdraw());
/// assert!(!budget.try_withdraw()); // 20% of 10 calls: two retries
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    inner: Arc<Inner>,
}

struct Inner {
    milli_tokens: AtomicI64,
    deposit_milli: i64,
    floor_milli_per_sec: f64,
    cap_milli: i64,
    last_refill: Mutex<Option<Instant>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("tokens", &self.tokens())
            .finish_non_exhaustive()
    }
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "values are clamped to small ranges first"
)]
fn to_milli(tokens: f64) -> i64 {
    (tokens.clamp(0.0, 1e12) * MILLI as f64).round() as i64
}

impl RetryBudget {
    /// A budget allowing retries of `ratio` of calls (`0.2` = 20%) plus `min_per_sec`
    /// retries per second, with the balance capped at `max(10, 10 s of the floor)` tokens.
    pub fn new(ratio: f64, min_per_sec: f64) -> Self {
        let ratio = if ratio.is_finite() {
            ratio.max(0.0)
        } else {
            0.0
        };
        let floor = if min_per_sec.is_finite() {
            min_per_sec.max(0.0)
        } else {
            0.0
        };
        Self::with_parts(
            ratio,
            floor,
            (floor * 10.0).max(10.0),
            Arc::new(SystemClock),
        )
    }

    fn with_parts(ratio: f64, floor: f64, cap: f64, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                milli_tokens: AtomicI64::new(0),
                deposit_milli: to_milli(ratio),
                floor_milli_per_sec: floor * MILLI as f64,
                cap_milli: to_milli(cap),
                last_refill: Mutex::new(None),
                clock,
            }),
        }
    }

    /// The same budget with another cap on the balance, in tokens.
    #[must_use]
    pub fn max_tokens(self, cap: f64) -> Self {
        let i = &self.inner;
        Self::with_parts(
            i.deposit_milli as f64 / MILLI as f64,
            i.floor_milli_per_sec / MILLI as f64,
            cap,
            i.clock.clone(),
        )
    }

    /// The same budget timed by `clock` (for the per-second floor).
    #[must_use]
    pub fn clock(self, clock: impl Clock + 'static) -> Self {
        let i = &self.inner;
        Self::with_parts(
            i.deposit_milli as f64 / MILLI as f64,
            i.floor_milli_per_sec / MILLI as f64,
            i.cap_milli as f64 / MILLI as f64,
            Arc::new(clock),
        )
    }

    /// A new, empty budget with these settings (a keyed registry's per-key budget).
    pub(crate) fn fresh(&self) -> Self {
        let i = &self.inner;
        Self::with_parts(
            i.deposit_milli as f64 / MILLI as f64,
            i.floor_milli_per_sec / MILLI as f64,
            i.cap_milli as f64 / MILLI as f64,
            i.clock.clone(),
        )
    }

    fn add(&self, milli: i64) {
        let cap = self.inner.cap_milli;
        let _ = self
            .inner
            .milli_tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(milli).min(cap))
            });
    }

    /// Records a call (first attempts only): adds `ratio` tokens.
    #[inline]
    pub fn deposit(&self) {
        if self.inner.deposit_milli > 0 {
            self.add(self.inner.deposit_milli);
        }
    }

    /// Takes one token for a retry; `false` when the budget cannot afford it.
    pub fn try_withdraw(&self) -> bool {
        if self.inner.floor_milli_per_sec > 0.0 {
            let now = self.inner.clock.now();
            let mut last = self
                .inner
                .last_refill
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let elapsed = last.map_or(Duration::from_secs(1), |l| now.duration_since(l));
            *last = Some(now);
            drop(last);
            #[allow(
                clippy::cast_possible_truncation,
                reason = "clamped to the cap by add()"
            )]
            let refill = (elapsed.as_secs_f64() * self.inner.floor_milli_per_sec).min(1e15) as i64;
            self.add(refill);
        }
        self.inner
            .milli_tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t >= MILLI).then(|| t - MILLI)
            })
            .is_ok()
    }

    /// Tokens in the bucket now.
    pub fn tokens(&self) -> f64 {
        self.inner.milli_tokens.load(Ordering::Acquire) as f64 / MILLI as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn floor_refills_with_time_and_cap_holds() {
        let clock = ManualClock::new();
        let budget = RetryBudget::new(0.0, 2.0)
            .max_tokens(3.0)
            .clock(clock.clone());
        // First withdrawal grants one second of floor.
        assert!(budget.try_withdraw());
        assert!(budget.try_withdraw());
        assert!(!budget.try_withdraw());
        clock.advance(Duration::from_millis(500));
        assert!(budget.try_withdraw());
        assert!(!budget.try_withdraw());
        clock.advance(Duration::from_secs(3600));
        let granted = (0..10).filter(|_| budget.try_withdraw()).count();
        assert_eq!(granted, 3, "the cap bounds a burst after a quiet hour");
    }

    #[test]
    fn ratio_bounds_retries_across_threads() {
        let budget = RetryBudget::new(0.2, 0.0).max_tokens(1e9);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..10_000).for_each(|_| budget.deposit()));
            }
        });
        let granted = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..5_000).filter(|_| budget.try_withdraw()).count()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
        });
        assert_eq!(granted, 8_000);
    }
}
