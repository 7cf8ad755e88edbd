//! Fill-time prediction: a least-squares line through recent (time, free bytes) samples,
//! like Prometheus's `predict_linear`, extrapolated to zero.

use std::collections::VecDeque;
use std::time::Duration;

/// A window of recent samples of available bytes.
#[derive(Debug, Clone)]
pub struct FillPredictor {
    window: Duration,
    samples: VecDeque<(f64, f64)>,
}

impl FillPredictor {
    /// Keeps the samples of the last `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            samples: VecDeque::new(),
        }
    }

    /// Adds a sample: `available` bytes at `at` (time since any fixed origin).
    pub fn push(&mut self, at: Duration, available: u64) {
        let t = at.as_secs_f64();
        self.samples.push_back((t, available as f64));
        while self
            .samples
            .front()
            .is_some_and(|(t0, _)| t - t0 > self.window.as_secs_f64())
        {
            self.samples.pop_front();
        }
    }

    /// The least-squares slope in bytes per second (negative while filling), once there are
    /// at least 3 samples spanning some time.
    pub fn slope(&self) -> Option<f64> {
        let n = self.samples.len() as f64;
        if self.samples.len() < 3 {
            return None;
        }
        let (st, sy) = self
            .samples
            .iter()
            .fold((0.0, 0.0), |(a, b), (t, y)| (a + t, b + y));
        let (mt, my) = (st / n, sy / n);
        let (mut num, mut den) = (0.0, 0.0);
        for (t, y) in &self.samples {
            num += (t - mt) * (y - my);
            den += (t - mt) * (t - mt);
        }
        (den > 0.0).then(|| num / den)
    }

    /// How long until the line reaches zero available bytes, from the newest sample; `None`
    /// while not filling (or without enough samples).
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut p = steadfast_diskwatch::FillPredictor::new(Duration::from_secs(3600));
    /// for (s, avail) in [(0, 10_000), (60, 9_000), (120, 8_000)] {
    ///     p.push(Duration::from_secs(s), avail);
    /// }
    /// assert_eq!(p.time_to_full(), Some(Duration::from_secs(480))); // 8,000 B at 1,000 B/min
    /// ```
    pub fn time_to_full(&self) -> Option<Duration> {
        let slope = self.slope()?;
        if slope >= 0.0 {
            return None;
        }
        let (t_last, _) = *self.samples.back()?;
        let (st, sy) = self
            .samples
            .iter()
            .fold((0.0, 0.0), |(a, b), (t, y)| (a + t, b + y));
        let n = self.samples.len() as f64;
        let fitted_now = sy / n + slope * (t_last - st / n);
        Duration::try_from_secs_f64((fitted_now / -slope).max(0.0)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_drops_old_samples_and_noise_is_averaged() {
        let mut p = FillPredictor::new(Duration::from_secs(100));
        p.push(Duration::from_secs(0), 1);
        for s in 0..=10u64 {
            let jitter = if s % 2 == 0 { 50 } else { 0 };
            p.push(
                Duration::from_secs(1000 + s * 10),
                100_000 - s * 1_000 + jitter,
            );
        }
        let slope = p.slope().unwrap();
        assert!((slope + 100.0).abs() < 5.0, "{slope}");
        let ttf = p.time_to_full().unwrap().as_secs();
        assert!((880..=920).contains(&ttf), "{ttf}");
        let mut flat = FillPredictor::new(Duration::from_secs(100));
        for s in 0..5 {
            flat.push(Duration::from_secs(s), 500);
        }
        assert_eq!(flat.time_to_full(), None);
    }
}
