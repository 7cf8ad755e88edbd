//! `Permit`: one call's permission from a circuit breaker, and where its outcome is
//! recorded. Dropped unrecorded, it releases a half-open probe slot and counts nothing.

use std::sync::atomic::Ordering;

use crate::breaker_state::{CircuitState, Inner};
use crate::classify::Decision;

/// Permission for one call, from [`CircuitBreaker::try_acquire`](crate::CircuitBreaker::try_acquire).
#[must_use = "record the call's outcome with success() or record()"]
pub struct Permit<'a> {
    inner: Option<&'a Inner>,
    half_open: bool,
}

impl<'a> Permit<'a> {
    pub(crate) fn new(inner: Option<&'a Inner>, half_open: bool) -> Self {
        Self { inner, half_open }
    }

    /// A permit of no breaker: recording on it does nothing.
    pub(crate) fn none() -> Self {
        Self::new(None, false)
    }

    /// The call succeeded.
    #[inline]
    pub fn success(mut self) {
        if let Some(inner) = self.inner.take() {
            if self.half_open {
                inner.half_open_in_flight.fetch_sub(1, Ordering::AcqRel);
                let ok = inner.half_open_successes.fetch_add(1, Ordering::AcqRel) + 1;
                if ok >= inner.config.half_open_calls {
                    inner.close(CircuitState::HalfOpen);
                }
            } else if inner.state.load(Ordering::Acquire) == 0 {
                inner.on_closed_outcome(false);
            }
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
        if self.half_open {
            inner.half_open_in_flight.fetch_sub(1, Ordering::AcqRel);
            if decision.is_retry() {
                inner.open(CircuitState::HalfOpen);
            }
        } else if decision.is_retry() && inner.state.load(Ordering::Acquire) == 0 {
            inner.on_closed_outcome(true);
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take()
            && self.half_open
        {
            inner.half_open_in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}
