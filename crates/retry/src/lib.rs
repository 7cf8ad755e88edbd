//! Retrying what is transient, stopping on what is permanent, never hammering a struggling
//! server, and keeping every item that failed for good.
//!
//! - [`RetryPolicy`]: exponential (the `backoff` crate's knobs and defaults), constant, or
//!   any list of delays; [`Jitter`] none / full / equal / decorrelated / randomized;
//!   `max_retries`, a `max_elapsed` deadline that is never slept past, per-attempt timeouts
//!   (async); [`RetryPolicy::retry`] and, with feature `tokio`, `retry_async`.
//! - [`Classify`]: retry, retry after the server's wait, or stop — built in for
//!   [`std::io::Error`] ([`classify_io`]), HTTP status and `Retry-After` ([`classify_http`]),
//!   FHIR `OperationOutcome` ([`classify_fhir_response`]) and PostgreSQL SQLSTATE
//!   ([`classify_sqlstate`]); closures classify too.
//! - [`CircuitBreaker`], [`RetryBudget`] and [`AdaptiveRateLimiter`], shared by every
//!   worker of a pipeline; a breaker fails fast when open or, for batch jobs, waits for its
//!   half-open trial within the deadline ([`WhenOpen`]); resilience4j's breaker options:
//!   count- or time-based window, slow-call rate, a bound on the half-open wait.
//! - Per key ([`Keyed`]: bounded, least recently used evicted): [`BreakerRegistry`],
//!   [`BudgetRegistry`], [`LimiterRegistry`], bundled in [`KeyedResilience`] for
//!   [`RetryPolicy::retry_if_keyed`] — one failing endpoint spends only its own.
//! - What hooks see: the failed attempt's HTTP status, `Retry-After` and kind
//!   ([`Classify::facts`], [`Facts`]); [`RetryListener`]s told of every failure, retry,
//!   give-up and breaker transition — how a run records them in its metrics file
//!   ([`series`]`::RUN_*`).
//! - [`DeadLetterQueue`]: what failed for good, in the run's `deadletter.ndjson`, its
//!   error kept as a PHI-free [`ErrorSummary`]; [`DeadLetterQueue::replay_with`] re-drives
//!   it through a policy and a breaker, crash-safe, with a quarantine after `max_replays`.
//! - Feature `tower`: `RetryLayer` — a policy, its breaker and a classifier around any
//!   tower service in one line.
//! - Feature `prometheus`: `RetryMetrics` — attempts, retries,
//!   give-ups by reason, breaker state and budget level.
//! - Injected time ([`Clock`], [`Sleeper`], [`ManualClock`]) and seeded jitter, so tests run
//!   in microseconds.
//!
//! ```
//! use std::time::Duration;
//! use steadfast_retry::{Decision, ManualClock, RetryPolicy, classify_http};
//!
//! #[derive(Debug)]
//! struct HttpError { status: u16, retry_after: Option<String> }
//! impl std::fmt::Display for HttpError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         write!(f, "HTTP {}", self.status)
//!     }
//! }
//!
//! let clock = ManualClock::new(); // tests: no real waiting
//! let policy = RetryPolicy::exponential().max_retries(5).manual_clock(&clock);
//! let answers = [503, 429, 200];
//! let result = policy.retry_if(
//!     |e: &HttpError| classify_http(e.status, e.retry_after.as_deref()),
//!     |attempt| match answers[attempt as usize - 1] {
//!         200 => Ok("Bundle"),
//!         503 => Err(HttpError { status: 503, retry_after: Some("2".into()) }),
//!         s => Err(HttpError { status: s, retry_after: None }),
//!     },
//! );
//! assert_eq!(result.unwrap(), "Bundle");
//! assert!(clock.slept() >= Duration::from_secs(2)); // Retry-After was honoured
//! ```

mod breaker;
mod breaker_builder;
mod breaker_state;
mod breaker_window;
mod breakers;
mod budget;
mod classify;
mod clock;
#[cfg(feature = "tokio")]
mod clock_async;
mod config;
mod config_breaker;
mod config_keys;
mod dead_letter;
mod dead_letter_entry;
mod dead_letter_error;
mod dead_letter_file;
mod dead_letter_journal;
mod dead_letter_replay;
mod error;
mod events;
mod execute;
#[cfg(feature = "tokio")]
mod execute_async;
mod execute_sync;
mod facts;
mod fhir;
mod http;
mod jitter;
mod keyed;
mod keyed_local;
mod keyed_policy;
#[cfg(feature = "tower")]
mod layer;
#[cfg(feature = "prometheus")]
mod metrics;
mod permit;
mod policy;
mod rate_limit;
mod rate_limit_headers;
mod schedule;
pub mod series;

pub use breaker::{
    CircuitBreaker, CircuitBreakerBuilder, CircuitState, OpenReason, Permit, WhenOpen,
};
pub use breakers::{BreakerRegistry, BudgetRegistry, LimiterRegistry};
pub use budget::RetryBudget;
pub use classify::{
    AlwaysRetry, Classify, Decision, IoErrors, WithFacts, classify_io, classify_sqlstate,
};
pub use clock::{Clock, ManualClock, Sleeper, SystemClock, ThreadSleeper};
#[cfg(feature = "tokio")]
pub use clock_async::{AsyncSleeper, SleepFuture, TokioClock, TokioSleeper};
pub use config::{BreakerConfig, BudgetConfig, JitterKind, RetryConfig};
pub use dead_letter::{DeadLetter, DeadLetterQueue, read_dead_letters};
pub use dead_letter_error::ErrorSummary;
pub use dead_letter_replay::{ReplayOptions, ReplayReport};
pub use error::{Error, Failure, RetryError};
pub use events::{FailedAttempt, GiveUpEvent, GiveUpReason, RetryEvent, RetryListener};
pub use facts::{ErrorFacts, Facts};
pub use fhir::{classify_fhir_response, classify_operation_outcome};
pub use http::{classify_http, classify_http_at, parse_http_date, parse_retry_after};
pub use jitter::Jitter;
pub use keyed::Keyed;
pub use keyed_policy::{Guards, KeyedGuards, KeyedResilience};
#[cfg(feature = "tower")]
pub use layer::{Retry, RetryFuture, RetryLayer};
#[cfg(feature = "prometheus")]
pub use metrics::RetryMetrics;
pub use policy::RetryPolicy;
pub use rate_limit::AdaptiveRateLimiter;
pub use rate_limit_headers::RateLimitHeaders;
