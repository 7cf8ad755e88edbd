//! The names of every series this crate exports, without the prefix
//! ([`Prefix::name`](steadfast_core::Prefix::name) joins the configured one), and of those
//! it records into a run's `metrics.ndjson`: a renamed series breaks the build of whatever
//! reads it — the alert rules, the run's page — never an alert.
//!
//! ```
//! use steadfast_db::series;
//! let p = steadfast_core::Prefix::default();
//! assert_eq!(p.name(series::DB_STATEMENTS_TOTAL), "steadfast_db_statements_total");
//! ```

/// Counter: statement calls, failed ones included; label [`STATEMENT`].
pub const DB_STATEMENTS_TOTAL: &str = "db_statements_total";
/// Counter: failed statement calls; labels [`STATEMENT`], [`CLASS`].
pub const DB_STATEMENT_ERRORS_TOTAL: &str = "db_statement_errors_total";
/// Counter: rows returned or affected; label [`STATEMENT`].
pub const DB_STATEMENT_ROWS_TOTAL: &str = "db_statement_rows_total";
/// Histogram: call duration in seconds; label [`STATEMENT`]; buckets
/// [`DURATION_BUCKETS`](crate::DURATION_BUCKETS).
pub const DB_STATEMENT_DURATION_SECONDS: &str = "db_statement_duration_seconds";
/// Counter: calls at or over the slow threshold.
pub const DB_SLOW_STATEMENTS_TOTAL: &str = "db_slow_statements_total";
/// Gauge: instrumented clients (pooled connections included) alive.
pub const DB_CONNECTIONS_IN_USE: &str = "db_connections_in_use";

/// The label naming a statement: its fingerprint's id (16 hex digits; the text is in the
/// run's `db-profile.json`).
pub const STATEMENT: &str = "statement";
/// The label of an error's SQLSTATE class (`23`, `40`, …, or `connection`).
pub const CLASS: &str = "class";

/// The step under which a run records its statements in `metrics.ndjson`
/// (`DbObserver::record`, feature `metrics`; `RecordedStatements::read` reads them back).
pub const RUN_STEP: &str = "db";
/// Counter: calls; label [`STATEMENT`].
pub const RUN_CALLS: &str = "calls";
/// Counter: failed calls; labels [`STATEMENT`], [`CLASS`].
pub const RUN_ERRORS: &str = "errors";
/// Counter: rows; label [`STATEMENT`].
pub const RUN_ROWS: &str = "rows";
/// Counter: seconds spent in calls; label [`STATEMENT`].
pub const RUN_SECONDS: &str = "seconds";
