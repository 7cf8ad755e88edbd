//! The names of every Prometheus series this crate exports, without the prefix
//! ([`Prefix::name`](steadfast_core::Prefix::name) joins the configured one): a renamed
//! series breaks the build of whatever reads it — the SLO alert rules — never an alert.
//!
//! ```
//! use steadfast_perf_profiler::series;
//! let p = steadfast_core::Prefix::default();
//! assert_eq!(p.name(series::PROFILER_COMPONENT_SECONDS), "steadfast_profiler_component_seconds");
//! ```

/// Summary: durations of timed calls per component (quantiles 0.5, 0.9, 0.95, 0.99);
/// `component`.
pub const PROFILER_COMPONENT_SECONDS: &str = "profiler_component_seconds";
/// Counter: estimated time in each component itself; `component`.
pub const PROFILER_COMPONENT_SELF_SECONDS_TOTAL: &str = "profiler_component_self_seconds_total";
/// Counter: calls that were timed, per component; `component`.
pub const PROFILER_COMPONENT_TIMED_TOTAL: &str = "profiler_component_timed_total";

/// A run's own record of its memory, in its `metrics.ndjson` (steadfast-metrics'
/// `step.name` form): a `Run` sets [`RUN_RSS_BYTES`] at every memory sample (feature
/// `memory`), so the run page can draw memory over the run.
pub const RUN_STEP: &str = "memory";
/// Gauge in `metrics.ndjson`, step [`RUN_STEP`]: the process's resident set size, bytes.
pub const RUN_RSS_BYTES: &str = "rss_bytes";
