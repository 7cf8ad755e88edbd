//! Integration tests of `steadfast-perf-profiler`: an injected (mock) clock for exact
//! timing, real threads for concurrency, seeded data for statistics.
#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a test fails by panicking; statistics on test data"
)]

mod analysis;
mod regression;
mod timing;

/// A seeded xorshift generator: deterministic test data.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A right-skewed duration around `median` ns (log-normal-ish, as latencies are).
    pub(crate) fn latency(&mut self, median: f64) -> u64 {
        let z = (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.7;
        (median * (0.25 * z).exp()) as u64
    }
}
