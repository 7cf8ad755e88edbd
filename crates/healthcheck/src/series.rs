//! The names of every Prometheus series this crate exports, in one place: a renamed series
//! breaks the build of whatever reads it (the alert rules of `steadfast alerts generate`),
//! never an alert. Names are written without the prefix;
//! [`Prefix::name`](steadfast_core::Prefix::name) joins the configured one.
//!
//! ```
//! use steadfast_healthcheck::series;
//! let p = steadfast_core::Prefix::default();
//! assert_eq!(p.name(series::HTTP_REQUESTS_TOTAL), "steadfast_http_requests_total");
//! ```

/// Counter: requests answered, by `method`, `route` (the matched template or `unmatched`),
/// `status` (the HTTP code, or `error`) and `listener`.
pub const HTTP_REQUESTS_TOTAL: &str = "http_requests_total";
/// Histogram: time from a request's arrival to its answer's head, by `method`, `route`, `listener`.
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";
/// Gauge: requests being answered now, by `listener`.
pub const HTTP_REQUESTS_IN_FLIGHT: &str = "http_requests_in_flight";

/// Gauge: 1 for each check's current (damped) status, 0 for its others; `check`, `status`.
pub const HEALTH_CHECK_STATUS: &str = "health_check_status";
/// Histogram: how long each check run took; `check`.
pub const HEALTH_CHECK_DURATION_SECONDS: &str = "health_check_duration_seconds";
/// Counter: check runs by how they ended (`completed`, `timeout`, `panic`); `check`, `outcome`.
pub const HEALTH_CHECK_RUNS_TOTAL: &str = "health_check_runs_total";
/// Gauge: Unix time when each check last finished; `check`.
pub const HEALTH_CHECK_LAST_RUN_TIMESTAMP_SECONDS: &str = "health_check_last_run_timestamp_seconds";

/// Gauge: a pool's connections by `state` (`idle`, `in_use`; they sum to its size); `pool`.
pub const POOL_CONNECTIONS: &str = "pool_connections";
/// Gauge: a pool's limit; `pool`.
pub const POOL_MAX_CONNECTIONS: &str = "pool_max_connections";
/// Gauge: callers waiting for a connection; `pool`.
pub const POOL_WAITERS: &str = "pool_waiters";
/// Histogram: how long a caller waited for a connection (recorded by `PoolMetrics::acquire`); `pool`.
pub const POOL_WAIT_DURATION_SECONDS: &str = "pool_wait_duration_seconds";
/// Counter: waits for a connection that timed out; `pool`.
pub const POOL_TIMEOUTS_TOTAL: &str = "pool_timeouts_total";

/// Gauge: the process's resident set size, bytes.
pub const PROCESS_RESIDENT_MEMORY_BYTES: &str = "process_resident_memory_bytes";
/// Gauge: the memory the process may use: its cgroup's limit, else the machine's memory, bytes.
pub const PROCESS_MEMORY_LIMIT_BYTES: &str = "process_memory_limit_bytes";
