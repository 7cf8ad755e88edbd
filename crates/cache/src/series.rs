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
