//! The names of every Prometheus series this crate exports, without the prefix
//! ([`Prefix::name`](steadfast_core::Prefix::name) joins the configured one): a renamed
//! series breaks the build of whatever reads it — the alert rules — never an alert.
//!
//! ```
//! use steadfast_cache::series;
//! let p = steadfast_core::Prefix::default();
//! assert_eq!(p.name(series::CACHE_HITS_TOTAL), "steadfast_cache_hits_total");
//! ```

/// Counter: cacheable requests looked up (each counted once, whatever tier answers).
pub const CACHE_REQUESTS_TOTAL: &str = "cache_requests_total";
/// Counter: fresh answers from a tier; label [`TIER`].
pub const CACHE_HITS_TOTAL: &str = "cache_hits_total";
/// Counter: lookups a tier could not answer fresh; label [`TIER`].
pub const CACHE_MISSES_TOTAL: &str = "cache_misses_total";
/// Counter: stale answers served inside the stale-while-revalidate window; label [`TIER`].
pub const CACHE_STALE_TOTAL: &str = "cache_stale_total";
/// Counter: origin fetches (revalidations included).
pub const CACHE_LOADS_TOTAL: &str = "cache_loads_total";
/// Counter: origin fetches that failed (transport errors; never cached).
pub const CACHE_LOAD_ERRORS_TOTAL: &str = "cache_load_errors_total";
/// Counter: `304 Not Modified` answers that refreshed an entry.
pub const CACHE_REVALIDATIONS_TOTAL: &str = "cache_revalidations_total";
/// Counter: entries written; label [`TIER`].
pub const CACHE_INSERTS_TOTAL: &str = "cache_inserts_total";
/// Counter: entries evicted for size or expiry; label [`TIER`] (`memory` only: Redis
/// expires its keys itself).
pub const CACHE_EVICTIONS_TOTAL: &str = "cache_evictions_total";
/// Counter: origin answers not stored; label `reason` (`status`, `directive`, `oversize`).
pub const CACHE_NOT_STORED_TOTAL: &str = "cache_not_stored_total";
/// Counter: faults of the shared tier (Redis errors, timeouts, values that would not
/// decode or open); label `kind` (`redis`, `decode`). Never seen by a caller.
pub const CACHE_ERRORS_TOTAL: &str = "cache_errors_total";
/// Gauge: bytes held; label [`TIER`] (`memory`: the weighed size; `redis`: bytes written
/// by this process, a counter's value).
pub const CACHE_BYTES: &str = "cache_bytes";
/// Gauge: hits of all tiers over requests since start.
pub const CACHE_HIT_RATIO: &str = "cache_hit_ratio";

/// The label naming a tier: `memory` or `redis`.
pub const TIER: &str = "tier";

/// The step under which a run records its cache's statistics in its `metrics.ndjson`
/// (steadfast-metrics' `step.name` form): `Cache::record` (feature `metrics`) writes the
/// `RUN_*` series below and `RecordedCache::read` reads them back — the run's page shows
/// them. A run recorded a cache when it has any series of this step; a counter that stayed
/// at 0 is not written (steadfast-metrics writes changes) and reads back as 0. The gauge
/// [`RUN_BYTES`] is written for every tier the cache has: the mark of the tier.
pub const RUN_STEP: &str = "cache";
/// Counter: cacheable requests looked up.
pub const RUN_REQUESTS: &str = "requests";
/// Counter: fresh answers; label [`TIER`].
pub const RUN_HITS: &str = "hits";
/// Counter: lookups a tier could not answer fresh; label [`TIER`].
pub const RUN_MISSES: &str = "misses";
/// Counter: stale answers inside the stale-while-revalidate window; label [`TIER`].
pub const RUN_STALE: &str = "stale";
/// Counter: entries written; label [`TIER`].
pub const RUN_INSERTS: &str = "inserts";
/// Counter: entries evicted for size or expiry; label [`TIER`].
pub const RUN_EVICTIONS: &str = "evictions";
/// Gauge: bytes held (memory) or written by the process (Redis); label [`TIER`]. Written
/// for each tier the cache has, even at 0.
pub const RUN_BYTES: &str = "bytes";
/// Counter: origin fetches (revalidations included).
pub const RUN_LOADS: &str = "loads";
/// Counter: origin fetches that failed.
pub const RUN_LOAD_ERRORS: &str = "load_errors";
/// Counter: `304 Not Modified` answers that refreshed an entry.
pub const RUN_REVALIDATIONS: &str = "revalidations";
/// Counter: origin answers not stored; label [`LABEL_REASON`], one of
/// [`NOT_STORED_REASONS`].
pub const RUN_NOT_STORED: &str = "not_stored";
/// Counter: faults of the shared tier; label [`LABEL_KIND`], one of [`ERROR_KINDS`].
pub const RUN_ERRORS: &str = "errors";
/// Counter: requests that bypassed the cache (a method other than GET/HEAD, cache off).
pub const RUN_BYPASSED: &str = "bypassed";
/// Gauge: hits and stale answers of all tiers over requests; absent before the first
/// request.
pub const RUN_HIT_RATIO: &str = "hit_ratio";

/// The label of [`RUN_NOT_STORED`] and [`CACHE_NOT_STORED_TOTAL`].
pub const LABEL_REASON: &str = "reason";
/// The values of [`LABEL_REASON`], in the order of `CacheStats::not_stored`.
pub const NOT_STORED_REASONS: [&str; 3] = ["status", "directive", "oversize"];
/// The label of [`RUN_ERRORS`] and [`CACHE_ERRORS_TOTAL`].
pub const LABEL_KIND: &str = "kind";
/// The values of [`LABEL_KIND`]: Redis errors and timeouts, values that would not decode.
pub const ERROR_KINDS: [&str; 2] = ["redis", "decode"];
