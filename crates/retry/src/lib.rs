//! Retrying what is transient, stopping on what is permanent, and keeping what failed for good.
//!
//! **Status: foundation only.** This crate will hold (issue "steadfast-retry"):
//!
//! - `RetryPolicy`: exponential (with the knobs of `backoff`'s `ExponentialBackoff`), constant
//!   or any iterator of delays; jitter none / full / equal / decorrelated; `max_retries`,
//!   `max_elapsed` deadlines; sync `retry` and async `retry_async`;
//! - `Classify`: retry / retry-after / stop decisions for `std::io::Error`, HTTP status and
//!   `Retry-After` (RFC 9110), FHIR `OperationOutcome` issue codes and PostgreSQL SQLSTATEs;
//! - `CircuitBreaker`, a shared retry budget, a 429-aware rate limiter;
//! - a dead-letter queue in the run's `deadletter.ndjson` with `replay`.
//!
//! Time and randomness are injected so tests never sleep. Durations in its configuration use
//! the shared form:
//!
//! ```
//! let initial: steadfast_core::HumanDuration = "500ms".parse()?;
//! assert_eq!(initial.get().as_millis(), 500);
//! # Ok::<(), steadfast_core::Error>(())
//! ```
