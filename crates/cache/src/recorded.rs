//! A cache's statistics in a run's `metrics.ndjson` (feature `metrics`): [`Cache::record`]
//! writes them under [`series::RUN_STEP`](crate::series::RUN_STEP) and the `RUN_*` names,
//! [`RecordedCache::read`] reads them back from the run's metric totals — so the run's page
//! shows true numbers after the process has gone.

use steadfast_metrics::{MetricTotals, Recorder};

use crate::cache::Cache;
use crate::series::{
    ERROR_KINDS, LABEL_KIND, LABEL_REASON, NOT_STORED_REASONS, RUN_BYPASSED, RUN_BYTES, RUN_ERRORS,
    RUN_EVICTIONS, RUN_HIT_RATIO, RUN_HITS, RUN_INSERTS, RUN_LOAD_ERRORS, RUN_LOADS, RUN_MISSES,
    RUN_NOT_STORED, RUN_REQUESTS, RUN_REVALIDATIONS, RUN_STALE, RUN_STEP, TIER,
};
use crate::stats::{CacheStats, Tier, TierStats};

impl Cache {
    /// Records the statistics so far into `recorder` (a run's metrics) under
    /// [`series::RUN_STEP`](crate::series::RUN_STEP): requests, per tier the cache has
    /// hits, misses, stale answers, inserts, evictions and bytes, origin loads and their
    /// errors, revalidations, answers not stored by reason, faults by kind, bypasses and
    /// the hit ratio. Counters add the snapshot's totals: call it once, when the run's
    /// requests are done. Returns the snapshot recorded. (A cache with no tier that saw no
    /// request leaves nothing to record.)
    ///
    /// ```
    /// use steadfast_cache::{Cache, RecordedCache};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("metrics.ndjson");
    /// let recorder = steadfast_metrics::Recorder::to_file(&path)?;
    /// let cache = Cache::builder().memory(1 << 20).build()?;
    /// cache.record(&recorder);
    /// recorder.close()?;
    /// let read = steadfast_metrics::read_file(&path)?;
    /// let recorded = RecordedCache::read(&read.totals).expect("recorded");
    /// assert!(recorded.has(steadfast_cache::Tier::Memory) && !recorded.has(steadfast_cache::Tier::Redis));
    /// assert_eq!(recorded.stats.requests, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(&self, recorder: &Recorder) -> CacheStats {
        let s = self.stats();
        let add = |name: &str, n: u64| recorder.counter(RUN_STEP, name).add(n);
        add(RUN_REQUESTS, s.requests);
        for (tier, present) in [
            (Tier::Memory, self.inner.memory.is_some()),
            (Tier::Redis, self.inner.shared.is_some()),
        ] {
            if !present {
                continue;
            }
            let t = s.tier(tier);
            let label = tier.as_str();
            for (name, n) in [
                (RUN_HITS, t.hits),
                (RUN_MISSES, t.misses),
                (RUN_STALE, t.stale),
                (RUN_INSERTS, t.inserts),
                (RUN_EVICTIONS, t.evictions),
            ] {
                recorder.counter(RUN_STEP, name).label(TIER, label).add(n);
            }
            #[allow(clippy::cast_precision_loss, reason = "a byte count shown, not summed")]
            recorder
                .gauge(RUN_STEP, RUN_BYTES)
                .label(TIER, label)
                .set(t.bytes as f64);
        }
        add(RUN_LOADS, s.loads);
        add(RUN_LOAD_ERRORS, s.load_errors);
        add(RUN_REVALIDATIONS, s.revalidations);
        for (reason, n) in NOT_STORED_REASONS.iter().zip(s.not_stored) {
            recorder
                .counter(RUN_STEP, RUN_NOT_STORED)
                .label(LABEL_REASON, reason)
                .add(n);
        }
        for (kind, n) in ERROR_KINDS.iter().zip([s.redis_errors, s.decode_errors]) {
            recorder
                .counter(RUN_STEP, RUN_ERRORS)
                .label(LABEL_KIND, kind)
                .add(n);
        }
        add(RUN_BYPASSED, s.bypassed);
        if let Some(ratio) = s.hit_ratio() {
            recorder.gauge(RUN_STEP, RUN_HIT_RATIO).set(ratio);
        }
        s
    }
}

/// A cache's statistics as a run recorded them ([`Cache::record`]), read back from the
/// run's metric totals.
///
/// ```
/// let totals = steadfast_metrics::MetricTotals::default();
/// assert!(steadfast_cache::RecordedCache::read(&totals).is_none()); // "not recorded"
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedCache {
    /// The counters (a tier the cache did not have reads as zeros).
    pub stats: CacheStats,
    memory: bool,
    redis: bool,
}

impl RecordedCache {
    /// The cache's statistics in `totals` (`steadfast_metrics::read_run(..)?.totals`), or
    /// `None` when the run recorded no cache (no series of
    /// [`series::RUN_STEP`](crate::series::RUN_STEP)).
    pub fn read(totals: &MetricTotals) -> Option<Self> {
        if !totals.series.keys().any(|k| k.step == RUN_STEP) {
            return None;
        }
        let value = |name: &str, labels: &[(&str, &str)]| {
            totals.get(RUN_STEP, name, labels).map(|t| whole(t.value))
        };
        let n = |name: &str, labels: &[(&str, &str)]| value(name, labels).unwrap_or(0);
        let tier = |tier: Tier| {
            let label = [(TIER, tier.as_str())];
            let stats = TierStats {
                hits: n(RUN_HITS, &label),
                misses: n(RUN_MISSES, &label),
                stale: n(RUN_STALE, &label),
                inserts: n(RUN_INSERTS, &label),
                evictions: n(RUN_EVICTIONS, &label),
                bytes: n(RUN_BYTES, &label),
            };
            // The bytes gauge is written for every tier the cache has, even at 0.
            (stats, value(RUN_BYTES, &label).is_some())
        };
        let ((memory, has_memory), (redis, has_redis)) = (tier(Tier::Memory), tier(Tier::Redis));
        let error = |i: usize| n(RUN_ERRORS, &[(LABEL_KIND, ERROR_KINDS[i])]);
        Some(Self {
            stats: CacheStats {
                requests: n(RUN_REQUESTS, &[]),
                memory,
                redis,
                loads: n(RUN_LOADS, &[]),
                load_errors: n(RUN_LOAD_ERRORS, &[]),
                revalidations: n(RUN_REVALIDATIONS, &[]),
                not_stored: NOT_STORED_REASONS.map(|r| n(RUN_NOT_STORED, &[(LABEL_REASON, r)])),
                redis_errors: error(0),
                decode_errors: error(1),
                bypassed: n(RUN_BYPASSED, &[]),
            },
            memory: has_memory,
            redis: has_redis,
        })
    }

    /// Whether the cache had `tier` (shown in [`Cache::record`]'s example).
    pub fn has(&self, tier: Tier) -> bool {
        match tier {
            Tier::Memory => self.memory,
            Tier::Redis => self.redis,
        }
    }
}

/// A recorded count back as a whole number (metrics are stored as `f64`).
#[allow(
    clippy::cast_possible_truncation,
    reason = "counts well below 2^53, rounded and clamped at zero"
)]
fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Request, Response, Scope};

    #[tokio::test]
    async fn a_cache_recorded_into_a_run_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.ndjson");
        let recorder = Recorder::to_file(&path).unwrap();
        let cache = Cache::builder().memory(1 << 20).build().unwrap();
        let scope = Scope::tenant("t");
        for url in [
            "http://h/Patient?a=1",
            "http://h/Patient?a=1",
            "http://h/Patient?a=2",
        ] {
            let req = Request::get(url, &scope);
            cache
                .fetch(&req, |_| async {
                    Ok(Response::new(200, "{}").header("cache-control", "max-age=60"))
                })
                .await
                .unwrap();
        }
        let failed = Request::get("http://h/Patient?a=3", &scope);
        let _ = cache
            .fetch(&failed, |_| async { Ok(Response::new(503, "")) })
            .await;
        let recorded = cache.record(&recorder);
        recorder.close().unwrap();
        let totals = steadfast_metrics::read_file(&path).unwrap().totals;
        let read = RecordedCache::read(&totals).unwrap();
        assert_eq!(read.stats, recorded);
        assert_eq!((read.stats.requests, read.stats.memory.hits), (4, 1));
        assert_eq!(read.stats.not_stored, [1, 0, 0]);
        assert!(read.has(Tier::Memory) && !read.has(Tier::Redis));
        assert_eq!(
            read.stats.memory.evictions, 0,
            "a counter left at 0 reads as 0"
        );
        let ratio = totals.get(RUN_STEP, RUN_HIT_RATIO, &[]).unwrap().value;
        assert!((ratio - 0.25).abs() < 1e-9, "{ratio}");
    }

    #[test]
    fn a_tier_without_traffic_is_still_recorded_and_no_cache_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.ndjson");
        let recorder = Recorder::to_file(&path).unwrap();
        recorder.counter("bronze", "records").add(1);
        recorder.flush().unwrap();
        let before = steadfast_metrics::read_file(&path).unwrap().totals;
        assert_eq!(RecordedCache::read(&before), None);
        Cache::builder()
            .memory(1 << 20)
            .build()
            .unwrap()
            .record(&recorder);
        recorder.close().unwrap();
        let totals = steadfast_metrics::read_file(&path).unwrap().totals;
        let read = RecordedCache::read(&totals).unwrap();
        assert!(read.has(Tier::Memory));
        assert_eq!(read.stats, CacheStats::default());
    }

    #[test]
    fn counts_come_back_whole() {
        assert_eq!(whole(3.0), 3);
        assert_eq!(whole(-1.0), 0);
        assert_eq!(whole(f64::NAN), 0);
    }
}
