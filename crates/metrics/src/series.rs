//! The names of the recorder's own Prometheus series, without the prefix
//! ([`Prefix::name`](steadfast_core::Prefix::name) joins the configured one). The series a
//! pipeline records are named by the pipeline: `<prefix>_<name>` (`_total` for counters).
//!
//! ```
//! use steadfast_metrics::series;
//! let p = steadfast_core::Prefix::default();
//! assert_eq!(p.name(series::METRICS_FLUSH_ERRORS_TOTAL), "steadfast_metrics_flush_errors_total");
//! ```

/// Counter: lines written to `metrics.ndjson`.
pub const METRICS_RECORDS_WRITTEN_TOTAL: &str = "metrics_records_written_total";
/// Counter: successful flushes.
pub const METRICS_FLUSHES_TOTAL: &str = "metrics_flushes_total";
/// Counter: failed flushes (retried by the next).
pub const METRICS_FLUSH_ERRORS_TOTAL: &str = "metrics_flush_errors_total";
/// Counter: raw events dropped on a full queue.
pub const METRICS_DROPPED_TOTAL: &str = "metrics_dropped_total";
/// Counter: recordings refused (invalid name or value).
pub const METRICS_REJECTED_TOTAL: &str = "metrics_rejected_total";
/// Counter: recordings folded into an overflow series by the cardinality guard.
pub const METRICS_OVERFLOWED_TOTAL: &str = "metrics_overflowed_total";
/// Gauge: duration of the last flush, write and fsync included, seconds.
pub const METRICS_LAST_FLUSH_SECONDS: &str = "metrics_last_flush_seconds";
/// Gauge: per-thread blocks of cells held (one per recording thread slot).
pub const METRICS_THREAD_SHARDS: &str = "metrics_thread_shards";
