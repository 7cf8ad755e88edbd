//! The names of every Prometheus series this crate exports, without the prefix
//! ([`Prefix::name`](steadfast_core::Prefix::name) joins the configured one): a renamed
//! series breaks the build of whatever reads it — the alert rules — never an alert.
//!
//! ```
//! use steadfast_retry::series;
//! let p = steadfast_core::Prefix::default();
//! assert_eq!(p.name(series::RETRY_GIVE_UPS_TOTAL), "steadfast_retry_give_ups_total");
//! ```

/// Counter: attempts made, first ones included; `dependency`.
pub const RETRY_ATTEMPTS_TOTAL: &str = "retry_attempts_total";
/// Counter: retries started after a transient failure; `dependency`.
pub const RETRY_RETRIES_TOTAL: &str = "retry_retries_total";
/// Counter: calls that failed for good; `dependency`, `reason`.
pub const RETRY_GIVE_UPS_TOTAL: &str = "retry_give_ups_total";
/// Gauge: circuit breaker state, 0 closed, 1 open, 2 half-open; `dependency`.
pub const RETRY_CIRCUIT_STATE: &str = "retry_circuit_state";
/// Gauge: whole retry tokens left in the shared budget; `dependency`.
pub const RETRY_BUDGET_TOKENS: &str = "retry_budget_tokens";
