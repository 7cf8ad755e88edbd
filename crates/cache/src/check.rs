//! Feature `healthcheck`: [`CacheCheck`], a steadfast-healthcheck `Check` that warns when
//! the hit ratio over a window falls below a threshold.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use steadfast_healthcheck::{BoxFuture, Check, CheckOutput};

use crate::cache::Cache;

/// One reading of the counters.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at: u64,
    requests: u64,
    hits: u64,
    redis_errors: u64,
}

/// The cache's hit ratio over a sliding window: warns below `threshold` once the window
/// holds at least `min_requests` requests (fewer say nothing); observed in percent, with
/// `requests` and `redis_errors` of the window in the details. In-process only: never
/// external.
///
/// ```
/// use std::time::Duration;
/// use steadfast_cache::{Cache, CacheCheck};
/// use steadfast_healthcheck::Check;
/// let check = CacheCheck::new(Cache::builder().build()?, 0.5, Duration::from_secs(900));
/// assert!(!check.is_external());
/// # Ok::<(), steadfast_cache::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CacheCheck {
    cache: Cache,
    threshold: f64,
    window: u64,
    min_requests: u64,
    samples: Arc<Mutex<VecDeque<Sample>>>,
}

impl CacheCheck {
    /// Warn when fewer than `threshold` (0–1) of the requests over `window` were hits.
    pub fn new(cache: Cache, threshold: f64, window: Duration) -> Self {
        let check = Self {
            cache,
            threshold,
            window: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
            min_requests: 100,
            samples: Arc::default(),
        };
        let first = check.sample();
        check.lock().push_back(first);
        check
    }

    /// The fewest requests in a window for its ratio to count. Default 100.
    #[must_use]
    pub fn min_requests(mut self, n: u64) -> Self {
        self.min_requests = n;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Sample>> {
        self.samples.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sample(&self) -> Sample {
        let s = self.cache.stats();
        Sample {
            at: self.cache.inner.clock.now_ms(),
            requests: s.requests,
            hits: s.memory.hits + s.memory.stale + s.redis.hits + s.redis.stale,
            redis_errors: s.redis_errors,
        }
    }

    /// The check's verdict now.
    fn verdict(&self) -> CheckOutput {
        let now = self.sample();
        let mut samples = self.lock();
        samples.push_back(now);
        // Keep one sample at or before the window's start as the baseline.
        while samples.len() > 2 && samples[1].at <= now.at.saturating_sub(self.window) {
            samples.pop_front();
        }
        let Some(base) = samples.front().copied() else {
            return CheckOutput::pass();
        };
        drop(samples);
        let requests = now.requests.saturating_sub(base.requests);
        let hits = now.hits.saturating_sub(base.hits);
        let errors = now.redis_errors.saturating_sub(base.redis_errors);
        #[allow(clippy::cast_precision_loss, reason = "counts for display")]
        let detail = |o: CheckOutput| {
            o.detail("requests", requests as f64)
                .detail("redis_errors", errors as f64)
        };
        if !self.cache.is_enabled() || requests < self.min_requests.max(1) {
            return detail(CheckOutput::pass());
        }
        #[allow(clippy::cast_precision_loss, reason = "a ratio")]
        let ratio = hits as f64 / requests as f64;
        let out = if ratio < self.threshold {
            CheckOutput::warn("hit ratio below threshold")
        } else {
            CheckOutput::pass()
        };
        detail(out.observed(ratio * 100.0, "percent"))
    }
}

impl Check for CacheCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move { self.verdict() })
    }
}
