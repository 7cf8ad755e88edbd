//! What a retrying call tells the world: `on_retry` / `on_give_up` hooks and `tracing`
//! events (which carry no error text unless asked, as error messages may hold patient data).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

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
}

type RetryHook = Arc<dyn Fn(&RetryEvent<'_>) + Send + Sync>;
type GiveUpHook = Arc<dyn Fn(&GiveUpEvent<'_>) + Send + Sync>;

#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) on_retry: Option<RetryHook>,
    pub(crate) on_give_up: Option<GiveUpHook>,
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
        if let Some(f) = &self.on_retry {
            f(event);
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
        if let Some(f) = &self.on_give_up {
            f(event);
        }
    }
}

#[cfg(feature = "tracing")]
fn redacted(e: &dyn fmt::Display) -> String {
    steadfast_core::redact_credentials(&e.to_string()).into_owned()
}
