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
mod paths;
mod regression;
mod timing;

/// The workspace's seeded generator with the draws these tests need: deterministic data.
pub(crate) struct Rng(steadfast_core::SplitMix64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(steadfast_core::SplitMix64::new(seed))
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        self.0.next_f64()
    }

    /// A right-skewed duration around `median` ns (log-normal-ish, as latencies are).
    pub(crate) fn latency(&mut self, median: f64) -> u64 {
        let z = (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.7;
        (median * (0.25 * z).exp()) as u64
    }
}
