//! The names of every Prometheus series this crate exports, without the prefix
//! ([`Prefix::name`](steadfast_core::Prefix::name) joins the configured one): a renamed
//! series breaks the build of whatever reads it — the alert rules — never an alert.
//!
//! ```
//! use steadfast_diskwatch::series;
//! let p = steadfast_core::Prefix::default();
//! assert_eq!(p.name(series::DISK_LEVEL), "steadfast_disk_level");
//! ```

/// Gauge: bytes in the filesystem of a monitored path; `path`.
pub const DISK_TOTAL_BYTES: &str = "disk_total_bytes";
/// Gauge: bytes free, root's reserve included; `path`.
pub const DISK_FREE_BYTES: &str = "disk_free_bytes";
/// Gauge: bytes available to the pipeline's user; `path`.
pub const DISK_AVAILABLE_BYTES: &str = "disk_available_bytes";
/// Gauge: inodes in the filesystem (no `_total`: a gauge, not a counter); `path`.
pub const DISK_INODES: &str = "disk_inodes";
/// Gauge: inodes free; `path`.
pub const DISK_INODES_FREE: &str = "disk_inodes_free";
/// Gauge: watermark level, 0 ok, 1 low, 2 high, 3 flood stage; `path`.
pub const DISK_LEVEL: &str = "disk_level";
/// Gauge: seconds until the disk is full at the recent rate, `+Inf` while it is not filling;
/// `path`.
pub const DISK_PREDICTED_SECONDS_TO_FULL: &str = "disk_predicted_seconds_to_full";
/// Counter: runs deleted by cleanup.
pub const DISK_CLEANUP_DELETED_RUNS_TOTAL: &str = "disk_cleanup_deleted_runs_total";
/// Counter: bytes freed by cleanup.
pub const DISK_CLEANUP_FREED_BYTES_TOTAL: &str = "disk_cleanup_freed_bytes_total";
/// Counter: run deletions that failed.
pub const DISK_CLEANUP_FAILURES_TOTAL: &str = "disk_cleanup_failures_total";

/// A run's own record of its disk, in its `metrics.ndjson` (steadfast-metrics' `step.name`
/// form): a `Run` sets [`RUN_AVAILABLE_BYTES`] at every monitor sample, so the run page can
/// draw the free space over the run.
pub const RUN_STEP: &str = "disk";
/// Gauge in `metrics.ndjson`, step [`RUN_STEP`]: bytes available to the run's user on the
/// runs root's filesystem, at each monitor sample.
pub const RUN_AVAILABLE_BYTES: &str = "available_bytes";
