//! What a retrying call tells the world: `on_retry` / `on_give_up` hooks, listeners
//! ([`RetryListener`]: a run's metrics file) and `tracing` events (which carry no error text
//! unless asked, as error messages may hold patient data).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::breaker_state::CircuitState;
use crate::classify::Decision;

/// A retry about to happen.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct RetryEvent<'a> {
    /// The attempt that just failed (1-based).
    pub attempt: u32,
    /// How long the call will wait before the next attempt.
    pub delay: Duration,
    /// Whether `delay` came from the server's `Retry-After`.
    pub from_retry_after: bool,
    /// Time since the first failure.
    pub elapsed: Duration,
    /// The error of the failed attempt.
    pub error: &'a dyn fmt::Display,
    /// The failed attempt's HTTP status, if its classifier knew it
    /// ([`Classify::facts`](crate::Classify::facts)).
    pub status: Option<u16>,
    /// The wait the server asked for (`Retry-After`), from the classifier's decision or
    /// the error's facts.
    pub retry_after: Option<Duration>,
    /// The failure's kind (`http_5xx`, `io_connection_refused`, `timeout`), if known: a
    /// `[a-z0-9_]` word, never error text.
    pub kind: Option<&'a str>,
}

/// Why a call gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The policy's retries ran out.
    Exhausted,
    /// The error was classified permanent.
    Permanent,
    /// The next wait would have crossed `max_elapsed`.
    DeadlineExceeded,
    /// The circuit breaker refused the call.
    CircuitOpen,
    /// The retry budget was empty.
    BudgetExhausted,
    /// The server's `Retry-After` was longer than the policy allows.
    RetryAfterTooLong,
}

impl GiveUpReason {
    /// Every reason, in declaration order.
    pub const ALL: [Self; 6] = [
        Self::Exhausted,
        Self::Permanent,
        Self::DeadlineExceeded,
        Self::CircuitOpen,
        Self::BudgetExhausted,
        Self::RetryAfterTooLong,
    ];

    /// A short snake_case name, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exhausted => "exhausted",
            Self::Permanent => "permanent",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::CircuitOpen => "circuit_open",
            Self::BudgetExhausted => "budget_exhausted",
            Self::RetryAfterTooLong => "retry_after_too_long",
        }
    }
}

impl fmt::Display for GiveUpReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call that failed for good.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct GiveUpEvent<'a> {
    /// Attempts made.
    pub attempts: u32,
    /// Time since the first failure.
    pub elapsed: Duration,
    /// Why.
    pub reason: GiveUpReason,
    /// The last error, if an attempt was made.
    pub error: Option<&'a dyn fmt::Display>,
    /// The last failed attempt's HTTP status, if known.
    pub status: Option<u16>,
    /// The wait the server last asked for (`Retry-After`), if any.
    pub retry_after: Option<Duration>,
    /// The last failure's kind, if known (as [`RetryEvent::kind`]).
    pub kind: Option<&'a str>,
}

/// One failed attempt, told to [`RetryListener::attempt_failed`] before the policy decides
/// whether to retry: every failure, whether it is retried, permanent or the last.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct FailedAttempt<'a> {
    /// The attempt (1-based).
    pub attempt: u32,
    /// The classifier's decision (a timed-out attempt is [`Decision::Retry`]).
    pub decision: Decision,
    /// Its HTTP status, if known.
    pub status: Option<u16>,
    /// The wait the server asked for, if any.
    pub retry_after: Option<Duration>,
    /// Its kind, if known (as [`RetryEvent::kind`]).
    pub kind: Option<&'a str>,
}

/// Told what a policy's calls and a breaker do, beside the `on_retry` / `on_give_up` hooks
/// (which a caller may replace): how a run records its retries, give-ups, errors by status
/// and breaker transitions into its metrics file. Every method does nothing by default.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use steadfast_retry::{GiveUpEvent, ManualClock, RetryListener, RetryPolicy};
///
/// #[derive(Default)]
/// struct GiveUps(AtomicU32);
/// impl RetryListener for GiveUps {
///     fn gave_up(&self, _: &GiveUpEvent<'_>) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// let counted = Arc::new(GiveUps::default());
/// let policy = RetryPolicy::constant(std::time::Duration::from_secs(1))
///     .manual_clock(&ManualClock::new())
///     .listener(counted.clone())
///     .on_give_up(|_| {}); // a hook does not replace a listener
/// let _ = policy.retry(|_| Err::<(), _>("503"));
/// assert_eq!(counted.0.load(Ordering::Relaxed), 1);
/// ```
pub trait RetryListener: Send + Sync {
    /// An attempt failed.
    fn attempt_failed(&self, event: &FailedAttempt<'_>) {
        let _ = event;
    }

    /// A retry is about to wait (as the `on_retry` hook).
    fn retrying(&self, event: &RetryEvent<'_>) {
        let _ = event;
    }

    /// A call failed for good (as the `on_give_up` hook).
    fn gave_up(&self, event: &GiveUpEvent<'_>) {
        let _ = event;
    }

    /// A circuit breaker changed state (from
    /// [`CircuitBreakerBuilder::listener`](crate::CircuitBreakerBuilder::listener)).
    fn breaker_changed(&self, from: CircuitState, to: CircuitState) {
        let _ = (from, to);
    }
}

type RetryHook = Arc<dyn Fn(&RetryEvent<'_>) + Send + Sync>;
type GiveUpHook = Arc<dyn Fn(&GiveUpEvent<'_>) + Send + Sync>;

#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) on_retry: Option<RetryHook>,
    pub(crate) on_give_up: Option<GiveUpHook>,
    pub(crate) listeners: Vec<Arc<dyn RetryListener>>,
    pub(crate) log_errors: bool,
}

impl Hooks {
    pub(crate) fn retry(&self, event: &RetryEvent<'_>) {
        #[cfg(feature = "tracing")]
        {
            let delay_ms = u64::try_from(event.delay.as_millis()).unwrap_or(u64::MAX);
            if self.log_errors {
                let error = redacted(event.error);
                tracing::debug!(attempt = event.attempt, delay_ms, from_retry_after = event.from_retry_after, %error, "retrying");
            } else {
                tracing::debug!(
                    attempt = event.attempt,
                    delay_ms,
                    from_retry_after = event.from_retry_after,
                    "retrying"
                );
            }
        }
        for l in &self.listeners {
            l.retrying(event);
        }
        if let Some(f) = &self.on_retry {
            f(event);
        }
    }

    pub(crate) fn failed(&self, event: &FailedAttempt<'_>) {
        for l in &self.listeners {
            l.attempt_failed(event);
        }
    }

    pub(crate) fn give_up(&self, event: &GiveUpEvent<'_>) {
        #[cfg(feature = "tracing")]
        {
            let elapsed_ms = u64::try_from(event.elapsed.as_millis()).unwrap_or(u64::MAX);
            match event.error.filter(|_| self.log_errors) {
                Some(e) => {
                    let error = redacted(e);
                    tracing::warn!(attempts = event.attempts, elapsed_ms, reason = event.reason.as_str(), %error, "giving up");
                }
                None => {
                    tracing::warn!(
                        attempts = event.attempts,
                        elapsed_ms,
                        reason = event.reason.as_str(),
                        "giving up"
                    );
                }
            }
        }
        for l in &self.listeners {
            l.gave_up(event);
        }
        if let Some(f) = &self.on_give_up {
            f(event);
        }
    }
}

#[cfg(feature = "tracing")]
fn redacted(e: &dyn fmt::Display) -> String {
    steadfast_core::redact_credentials(&e.to_string()).into_owned()
}
