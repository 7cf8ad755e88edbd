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

/// A run's own record of what its retry policies and breaker did, in its `metrics.ndjson`
/// (steadfast-metrics' `step.name` form): a `Run` writes these through a
/// [`RetryListener`](crate::RetryListener) on every policy from `Run::retry` and on its
/// breaker, and the run's page reads them. A series absent from a run means "not recorded",
/// never 0: [`RUN_POLICIES`] says whether the run recorded retries at all,
/// [`RUN_BREAKER_STATE`] whether it had a breaker.
pub const RUN_STEP: &str = "retry";
/// Gauge: retry policies the run handed out (`Run::retry`); present when the run recorded
/// its retries, give-ups and errors.
pub const RUN_POLICIES: &str = "policies";
/// Counter: retries started.
pub const RUN_RETRIES: &str = "retries";
/// Counter: calls that failed for good; [`LABEL_REASON`] (a
/// [`GiveUpReason`](crate::GiveUpReason) name).
pub const RUN_GIVE_UPS: &str = "give_ups";
/// Counter: failed attempts; [`LABEL_STATUS`] — the HTTP status (`503`), `io` for I/O
/// errors and timed-out attempts, `other` when the classifier gave no facts
/// ([`status_label`]).
pub const RUN_HTTP_ERRORS: &str = "http_errors";
/// Counter: circuit-breaker transitions; [`LABEL_TO`] (`open`, `half_open`, `closed`).
pub const RUN_BREAKER_TRANSITIONS: &str = "breaker_transitions";
/// Gauge: the breaker's state, 0 closed, 1 open, 2 half-open; present when the run had a
/// breaker.
pub const RUN_BREAKER_STATE: &str = "breaker_state";
/// Label of [`RUN_GIVE_UPS`].
pub const LABEL_REASON: &str = "reason";
/// Label of [`RUN_HTTP_ERRORS`].
pub const LABEL_STATUS: &str = "status";
/// Label of [`RUN_BREAKER_TRANSITIONS`].
pub const LABEL_TO: &str = "to";

/// The [`LABEL_STATUS`] of a failed attempt: its HTTP status, `io` for an I/O error or a
/// timed-out attempt, `other` when nothing is known.
///
/// ```
/// use steadfast_retry::series::status_label;
/// assert_eq!(status_label(Some(503), Some("http_5xx")), "503");
/// assert_eq!(status_label(None, Some("io_connection_refused")), "io");
/// assert_eq!(status_label(None, None), "other");
/// ```
pub fn status_label(status: Option<u16>, kind: Option<&str>) -> std::borrow::Cow<'static, str> {
    match (status, kind) {
        (Some(s), _) => std::borrow::Cow::Owned(s.to_string()),
        (None, Some(k)) if k.starts_with("io_") || k == "timeout" => "io".into(),
        _ => "other".into(),
    }
}

/// The [`RUN_BREAKER_STATE`] value of a state: 0 closed, 1 open, 2 half-open.
pub fn state_value(state: crate::CircuitState) -> f64 {
    match state {
        crate::CircuitState::Closed => 0.0,
        crate::CircuitState::Open => 1.0,
        crate::CircuitState::HalfOpen => 2.0,
    }
}
