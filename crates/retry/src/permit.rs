//! `Permit`: one call's permission from a circuit breaker, and where its outcome is
//! recorded. Dropped unrecorded, it releases a half-open probe slot and counts nothing.

use std::num::NonZeroU64;
use std::sync::atomic::Ordering;

use crate::breaker_state::{CircuitState, Inner, OpenReason, nanos_since};
use crate::classify::Decision;

/// `meta`'s bit for a half-open probe; the bits above hold the call's start (nanoseconds
/// since the breaker's origin, plus one) when the breaker times calls, else 0.
const HALF_OPEN: u64 = 1;

/// `meta`'s top bit, always set: `Option<Permit>` stays two words (returned in registers).
const SET: NonZeroU64 = NonZeroU64::MIN.saturating_add((1 << 63) - 1);

/// Permission for one call, from [`CircuitBreaker::try_acquire`](crate::CircuitBreaker::try_acquire).
#[must_use = "record the call's outcome with success() or record()"]
pub struct Permit<'a> {
    inner: Option<&'a Inner>,
    /// [`SET`], the start and [`HALF_OPEN`]; read through [`bits`](Self::bits).
    meta: NonZeroU64,
}

impl<'a> Permit<'a> {
    /// A permit of `inner`; it reads the clock only when the breaker has the slow-call rule.
    #[inline]
    pub(crate) fn new(inner: &'a Inner, half_open: bool) -> Self {
        let mut meta = u64::from(half_open);
        if inner.timed {
            meta |= (nanos_since(inner.origin, inner.clock.now()) + 1) << 1;
        }
        Self {
            inner: Some(inner),
            meta: SET | meta,
        }
    }

    /// A closed, untimed breaker's permit (its state read 0): reads nothing more.
    #[inline]
    pub(crate) fn untimed(inner: &'a Inner) -> Self {
        Self {
            inner: Some(inner),
            meta: SET,
        }
    }

    /// A permit of no breaker: recording on it does nothing.
    pub(crate) fn none() -> Self {
        Self {
            inner: None,
            meta: SET,
        }
    }

    /// The half-open bit and the start, without [`SET`].
    #[inline]
    fn bits(&self) -> u64 {
        self.meta.get() & !SET.get()
    }

    fn half_open(&self) -> bool {
        self.bits() & HALF_OPEN != 0
    }

    /// Whether the call took the breaker's `slow_call_duration` or longer (read now).
    fn slow(&self, inner: &Inner) -> bool {
        let start = self.bits() >> 1;
        start != 0 && inner.is_slow(start - 1)
    }

    /// The call succeeded.
    #[inline]
    pub fn success(mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        if self.bits() != 0 {
            return Self::timed_or_probe_success(inner, self.bits());
        }
        // Closed and untimed, the common case: as few loads as the rules need.
        if inner.is_closed() {
            if inner.windowed {
                inner.on_closed_outcome(false, false);
            } else if inner.consecutive.load(Ordering::Relaxed) != 0 {
                inner.consecutive.store(0, Ordering::Release);
            }
        }
    }

    /// A success of a half-open probe, or of a call the slow-call rule timed.
    #[inline(never)]
    fn timed_or_probe_success(inner: &Inner, meta: u64) {
        let start = meta >> 1;
        let slow = start != 0 && inner.is_slow(start - 1);
        if meta & HALF_OPEN == 0 {
            if inner.is_closed() {
                inner.on_closed_outcome(false, slow);
            }
            return;
        }
        inner.half_open_in_flight.fetch_sub(1, Ordering::AcqRel);
        if slow {
            inner.slow_calls.fetch_add(1, Ordering::Relaxed);
        }
        if inner.half_open_expired() {
            return;
        }
        if slow {
            inner.open(CircuitState::HalfOpen, OpenReason::ProbeSlow);
            return;
        }
        let ok = inner.half_open_successes.fetch_add(1, Ordering::AcqRel) + 1;
        if ok >= inner.config.half_open_calls {
            inner.close(CircuitState::HalfOpen);
        }
    }

    /// The call failed and was classified `decision`: a transient failure counts against
    /// the dependency; a permanent one (the caller's fault, like a 404) does not.
    pub fn record(mut self, decision: Decision) {
        // A poll ("not ready yet") is neither a success nor a failure: the permit is only
        // given back (a half-open trial slot freed by `Drop`).
        if matches!(decision, Decision::Poll(_)) {
            return;
        }
        let Some(inner) = self.inner.take() else {
            return;
        };
        let slow = decision.is_retry() && self.slow(inner);
        if self.half_open() {
            inner.half_open_in_flight.fetch_sub(1, Ordering::AcqRel);
            if slow {
                inner.slow_calls.fetch_add(1, Ordering::Relaxed);
            }
            if !inner.half_open_expired() && decision.is_retry() {
                inner.open(CircuitState::HalfOpen, OpenReason::ProbeFailed);
            }
        } else if decision.is_retry() && inner.is_closed() {
            inner.on_closed_outcome(true, slow);
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take()
            && self.half_open()
        {
            inner.half_open_in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Permit;

    #[test]
    fn an_optional_permit_is_two_words() {
        // What keeps `try_acquire`'s answer in registers.
        assert_eq!(size_of::<Option<Permit<'_>>>(), 2 * size_of::<usize>());
    }
}
