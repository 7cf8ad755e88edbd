//! Feature `prometheus`: the cache's series, read from its counters at scrape time (names
//! in [`series`]).

use std::sync::Mutex;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Gauge, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry};
use steadfast_core::Prefix;

use crate::cache::Cache;
use crate::series;
use crate::stats::{CacheStats, Tier};

/// The collector: counters brought up to the cache's own at each scrape.
struct CacheMetrics {
    cache: Cache,
    requests: IntCounter,
    loads: IntCounter,
    load_errors: IntCounter,
    revalidations: IntCounter,
    tiers: [IntCounterVec; 5],
    not_stored: IntCounterVec,
    errors: IntCounterVec,
    bytes: IntGaugeVec,
    ratio: Gauge,
    scrape: Mutex<()>,
}

/// Raises `counter` to `value` (counters only grow; only scrapes move them, one at a time).
fn raise(counter: &IntCounter, value: u64) {
    let now = counter.get();
    if value > now {
        counter.inc_by(value - now);
    }
}

impl Cache {
    /// Registers the cache's series into `registry` under `prefix` — the registration
    /// every crate offers (`register_prometheus(&Registry, &Prefix)`):
    /// `<prefix>_cache_requests_total`, `_hits_total{tier}`, `_misses_total{tier}`,
    /// `_stale_total{tier}`, `_inserts_total{tier}`, `_evictions_total{tier}`,
    /// `_loads_total`, `_load_errors_total`, `_revalidations_total`,
    /// `_not_stored_total{reason}`, `_errors_total{kind}`, `_bytes{tier}`, `_hit_ratio`.
    ///
    /// ```
    /// let cache = steadfast_cache::Cache::builder().build()?;
    /// let registry = prometheus::Registry::new();
    /// cache.register_prometheus(&registry, &steadfast_core::Prefix::default())?;
    /// let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather())?;
    /// assert!(text.contains(r#"steadfast_cache_hits_total{tier="memory"} 0"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`prometheus::Error`] if they are already registered.
    pub fn register_prometheus(
        &self,
        registry: &Registry,
        prefix: &Prefix,
    ) -> prometheus::Result<()> {
        let counter = |name, help| IntCounter::new(prefix.name(name), help);
        let vec =
            |name, help, label| IntCounterVec::new(Opts::new(prefix.name(name), help), &[label]);
        let m = CacheMetrics {
            cache: self.clone(),
            requests: counter(
                series::CACHE_REQUESTS_TOTAL,
                "Cacheable requests looked up.",
            )?,
            loads: counter(series::CACHE_LOADS_TOTAL, "Origin fetches.")?,
            load_errors: counter(
                series::CACHE_LOAD_ERRORS_TOTAL,
                "Origin fetches that failed (never cached).",
            )?,
            revalidations: counter(
                series::CACHE_REVALIDATIONS_TOTAL,
                "304 Not Modified answers that refreshed an entry.",
            )?,
            tiers: [
                vec(
                    series::CACHE_HITS_TOTAL,
                    "Fresh answers from a tier.",
                    series::TIER,
                )?,
                vec(
                    series::CACHE_MISSES_TOTAL,
                    "Lookups a tier could not answer fresh.",
                    series::TIER,
                )?,
                vec(
                    series::CACHE_STALE_TOTAL,
                    "Stale answers served while revalidating.",
                    series::TIER,
                )?,
                vec(
                    series::CACHE_INSERTS_TOTAL,
                    "Entries written.",
                    series::TIER,
                )?,
                vec(
                    series::CACHE_EVICTIONS_TOTAL,
                    "Entries evicted for size or expiry.",
                    series::TIER,
                )?,
            ],
            not_stored: vec(
                series::CACHE_NOT_STORED_TOTAL,
                "Origin answers not stored, by reason.",
                "reason",
            )?,
            errors: vec(
                series::CACHE_ERRORS_TOTAL,
                "Faults of the shared tier (never seen by callers), by kind.",
                "kind",
            )?,
            bytes: IntGaugeVec::new(
                Opts::new(
                    prefix.name(series::CACHE_BYTES),
                    "Bytes held (memory) or written by this process (redis).",
                ),
                &[series::TIER],
            )?,
            ratio: Gauge::new(
                prefix.name(series::CACHE_HIT_RATIO),
                "Requests answered by a tier over requests, since start.",
            )?,
            scrape: Mutex::new(()),
        };
        registry.register(Box::new(m))
    }
}

impl CacheMetrics {
    fn update(&self, s: &CacheStats) {
        raise(&self.requests, s.requests);
        raise(&self.loads, s.loads);
        raise(&self.load_errors, s.load_errors);
        raise(&self.revalidations, s.revalidations);
        for tier in [Tier::Memory, Tier::Redis] {
            let t = s.tier(tier);
            let values = [t.hits, t.misses, t.stale, t.inserts, t.evictions];
            for (vec, v) in self.tiers.iter().zip(values) {
                raise(&vec.with_label_values(&[tier.as_str()]), v);
            }
            self.bytes
                .with_label_values(&[tier.as_str()])
                .set(i64::try_from(t.bytes).unwrap_or(i64::MAX));
        }
        for (reason, v) in ["status", "directive", "oversize"].iter().zip(s.not_stored) {
            raise(&self.not_stored.with_label_values(&[*reason]), v);
        }
        raise(&self.errors.with_label_values(&["redis"]), s.redis_errors);
        raise(&self.errors.with_label_values(&["decode"]), s.decode_errors);
        self.ratio.set(s.hit_ratio().unwrap_or(0.0));
    }
}

impl Collector for CacheMetrics {
    fn desc(&self) -> Vec<&Desc> {
        let mut d: Vec<&Desc> = Vec::new();
        for c in [
            &self.requests,
            &self.loads,
            &self.load_errors,
            &self.revalidations,
        ] {
            d.extend(c.desc());
        }
        for v in self.tiers.iter().chain([&self.not_stored, &self.errors]) {
            d.extend(v.desc());
        }
        d.extend(self.bytes.desc());
        d.extend(self.ratio.desc());
        d
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let _one = self
            .scrape
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.update(&self.cache.stats());
        let mut out = Vec::new();
        for c in [
            &self.requests,
            &self.loads,
            &self.load_errors,
            &self.revalidations,
        ] {
            out.extend(c.collect());
        }
        for v in self.tiers.iter().chain([&self.not_stored, &self.errors]) {
            out.extend(v.collect());
        }
        out.extend(self.bytes.collect());
        out.extend(self.ratio.collect());
        out
    }
}
