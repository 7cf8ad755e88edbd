//! Jitter (none, full, equal, decorrelated, randomised) and the small seeded RNG it draws from.

use std::time::Duration;

/// How a computed backoff is randomised, so many clients that failed together do not retry
/// together. The names follow AWS's "Exponential Backoff and Jitter".
///
/// `b` below is the un-jittered exponential delay of this attempt, capped at the max interval.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly `b`.
    None,
    /// Uniform in `[0, b]`: the best spread, the least wait.
    Full,
    /// `b/2` plus uniform in `[0, b/2]`: never less than half.
    Equal,
    /// Uniform in `[initial, 3 × previous delay]`, capped: AWS's decorrelated jitter.
    Decorrelated,
    /// `b × (1 ± factor)`, uniform: the `backoff` crate's `randomization_factor`.
    Randomized(f64),
}

impl Default for Jitter {
    /// `Randomized(0.5)`, as the `backoff` crate's `ExponentialBackoff`.
    fn default() -> Self {
        Self::Randomized(0.5)
    }
}

/// The workspace's seeded generator ([`SplitMix64`](steadfast_core::SplitMix64)) with the
/// one draw jitter needs; good enough for spreading retries, not for secrets.
#[derive(Debug, Clone)]
pub(crate) struct Rng(steadfast_core::SplitMix64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(steadfast_core::SplitMix64::new(seed))
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        self.0.next_f64()
    }

    /// Uniform in `[lo, hi]` (`lo` if `hi <= lo`).
    pub(crate) fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        if hi <= lo {
            return lo;
        }
        lo + (hi - lo).mul_f64(self.unit())
    }
}

impl Jitter {
    /// Applies this jitter to base delay `b`; `prev` is the previous delay (for
    /// decorrelated), `initial` the policy's first interval, `max` the cap.
    pub(crate) fn apply(
        self,
        b: Duration,
        prev: Duration,
        initial: Duration,
        max: Duration,
        rng: &mut Rng,
    ) -> Duration {
        let d = match self {
            Self::None => b,
            Self::Full => rng.between(Duration::ZERO, b),
            Self::Equal => b / 2 + rng.between(Duration::ZERO, b / 2),
            Self::Decorrelated => {
                let hi = prev.max(initial).saturating_mul(3);
                rng.between(initial, hi)
            }
            Self::Randomized(factor) => {
                let f = factor.clamp(0.0, 1.0);
                let lo = b.mul_f64(1.0 - f);
                let hi = b.mul_f64(1.0 + f);
                rng.between(lo, hi)
            }
        };
        d.min(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_spread() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let xs: Vec<f64> = (0..1000).map(|_| a.unit()).collect();
        let ys: Vec<f64> = (0..1000).map(|_| b.unit()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / 1000.0;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
    }
}
