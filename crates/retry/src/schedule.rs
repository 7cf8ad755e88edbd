//! `Shape`, the backoff a policy was built with, and `Schedule`: one call's walk through
//! it — backoff, jitter, caps, and the retries counted so far.

use std::sync::Arc;
use std::time::Duration;

use crate::jitter::{Jitter, Rng};

/// Makes a fresh iterator of explicit delays for each call.
pub(crate) type DelayFactory =
    Arc<dyn Fn() -> Box<dyn Iterator<Item = Duration> + Send> + Send + Sync>;

/// The backoff's shape, as the policy's builder set it.
#[derive(Clone)]
pub(crate) enum Shape {
    Exponential { initial: Duration, multiplier: f64 },
    Constant(Duration),
    Delays(DelayFactory),
}

/// One call's walk through the policy's delays.
pub(crate) struct Schedule {
    shape: Shape,
    jitter: Jitter,
    max_interval: Duration,
    max_retries: Option<u32>,
    pub(crate) retries: u32,
    prev: Duration,
    current: Duration,
    rng: Rng,
    delays: Option<Box<dyn Iterator<Item = Duration> + Send>>,
}

impl Schedule {
    pub(crate) fn new(
        shape: Shape,
        jitter: Jitter,
        max_interval: Duration,
        max_retries: Option<u32>,
        current: Duration,
        rng: Rng,
        delays: Option<Box<dyn Iterator<Item = Duration> + Send>>,
    ) -> Self {
        Self {
            shape,
            jitter,
            max_interval,
            max_retries,
            retries: 0,
            prev: Duration::ZERO,
            current,
            rng,
            delays,
        }
    }

    /// Whether another retry is allowed by `max_retries`.
    pub(crate) fn has_retry_left(&self) -> bool {
        self.max_retries.is_none_or(|m| self.retries < m)
    }

    /// The next backoff delay, or `None` when the policy has no more retries.
    pub(crate) fn next_delay(&mut self) -> Option<Duration> {
        if !self.has_retry_left() {
            return None;
        }
        let delay = match &self.shape {
            Shape::Exponential {
                initial,
                multiplier,
            } => {
                let base = self.current.min(self.max_interval);
                let d =
                    self.jitter
                        .apply(base, self.prev, *initial, self.max_interval, &mut self.rng);
                self.current = self
                    .current
                    .checked_mul_f64(*multiplier)
                    .unwrap_or(self.max_interval)
                    .min(self.max_interval);
                d
            }
            Shape::Constant(d) => {
                self.jitter
                    .apply(*d, self.prev, *d, self.max_interval, &mut self.rng)
            }
            Shape::Delays(_) => self.delays.as_mut()?.next()?.min(self.max_interval),
        };
        self.prev = delay;
        self.retries += 1;
        Some(delay)
    }

    /// Counts a retry whose delay came from elsewhere (`Retry-After`).
    pub(crate) fn count_external(&mut self, delay: Duration) {
        self.prev = delay;
        self.retries += 1;
    }
}

trait CheckedMulF64: Sized {
    fn checked_mul_f64(self, m: f64) -> Option<Self>;
}

impl CheckedMulF64 for Duration {
    fn checked_mul_f64(self, m: f64) -> Option<Self> {
        Self::try_from_secs_f64(self.as_secs_f64() * m).ok()
    }
}
