//! The errors of this crate: `RetryError<E>` for a call that failed for good, and `Error`
//! for configuration and dead-letter files.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use steadfast_core::Timestamp;

use crate::events::GiveUpReason;

/// One failed attempt: the operation's error, or an attempt that timed out.
#[derive(Debug)]
pub enum Failure<E> {
    /// The operation returned this error.
    Error(E),
    /// The attempt did not finish within the per-attempt timeout.
    TimedOut(Duration),
}

impl<E> Failure<E> {
    /// The operation's error, if the attempt did not time out.
    pub fn into_error(self) -> Option<E> {
        match self {
            Self::Error(e) => Some(e),
            Self::TimedOut(_) => None,
        }
    }

    /// A reference to the operation's error, if any.
    pub fn error(&self) -> Option<&E> {
        match self {
            Self::Error(e) => Some(e),
            Self::TimedOut(_) => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Error(e) => e.fmt(f),
            Self::TimedOut(d) => write!(f, "attempt timed out after {}", fmt_duration(*d)),
        }
    }
}

/// A duration for people: `850ms`, `12.3s`, `4m 05s` (core's one compact form).
pub(crate) fn fmt_duration(d: Duration) -> String {
    steadfast_core::HumanDuration::new(d).approx()
}

/// A call that failed for good, saying why, after how many attempts and how long, and when
/// its first attempt was made.
///
/// ```
/// use steadfast_retry::{RetryError, RetryPolicy};
///
/// let clock = steadfast_retry::ManualClock::new();
/// let policy = RetryPolicy::constant(std::time::Duration::from_secs(1)).manual_clock(&clock);
/// let err = policy.retry(|_| Err::<(), _>("503 Service Unavailable")).unwrap_err();
/// assert_eq!(err.to_string(), "gave up after 4 attempts in 3.0s: 503 Service Unavailable");
/// assert_eq!(err.attempts(), 4);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetryError<E: fmt::Display> {
    /// The policy's retries ran out.
    #[error("gave up after {attempts} attempts in {}: {last}", fmt_duration(*elapsed))]
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// When the first attempt failed (or the breaker refused): see [`RetryError::first_attempt`].
        first_attempt: Timestamp,
        /// Time since the first failure.
        elapsed: Duration,
        /// The last attempt's failure.
        last: Failure<E>,
    },
    /// The error was classified permanent; retrying would not help.
    #[error("stopped at attempt {attempts} on a permanent error: {error}")]
    Permanent {
        /// Attempts made.
        attempts: u32,
        /// When the first attempt failed (or the breaker refused): see [`RetryError::first_attempt`].
        first_attempt: Timestamp,
        /// The permanent error.
        error: E,
    },
    /// The next wait would have crossed the policy's deadline.
    #[error("deadline of {} reached after {attempts} attempts (next wait {}): {last}", fmt_duration(*deadline), fmt_duration(*next_delay))]
    DeadlineExceeded {
        /// Attempts made.
        attempts: u32,
        /// When the first attempt failed (or the breaker refused): see [`RetryError::first_attempt`].
        first_attempt: Timestamp,
        /// The policy's `max_elapsed`.
        deadline: Duration,
        /// The wait that was not started.
        next_delay: Duration,
        /// The last attempt's failure.
        last: Failure<E>,
    },
    /// The circuit breaker refused the call.
    #[error("circuit open: call refused after {attempts} attempts{}", last.as_ref().map(|l| format!("; last error: {l}")).unwrap_or_default())]
    CircuitOpen {
        /// Attempts made before the circuit refused (0 if it refused the first).
        attempts: u32,
        /// When the first attempt failed (or the breaker refused): see [`RetryError::first_attempt`].
        first_attempt: Timestamp,
        /// The last attempt's failure, if any was made.
        last: Option<Failure<E>>,
    },
    /// The shared retry budget had no token for another retry.
    #[error("retry budget exhausted after {attempts} attempts: {last}")]
    BudgetExhausted {
        /// Attempts made.
        attempts: u32,
        /// When the first attempt failed (or the breaker refused): see [`RetryError::first_attempt`].
        first_attempt: Timestamp,
        /// The last attempt's failure.
        last: Failure<E>,
    },
    /// The server asked to wait longer than the policy allows.
    #[error("server asked to retry after {}, more than the allowed {}, after {attempts} attempts: {last}", fmt_duration(*requested), fmt_duration(*allowed))]
    RetryAfterTooLong {
        /// Attempts made.
        attempts: u32,
        /// When the first attempt failed (or the breaker refused): see [`RetryError::first_attempt`].
        first_attempt: Timestamp,
        /// The server's `Retry-After`.
        requested: Duration,
        /// The policy's `max_retry_after`.
        allowed: Duration,
        /// The last attempt's failure.
        last: Failure<E>,
    },
}

impl<E: fmt::Display> RetryError<E> {
    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Exhausted { attempts, .. }
            | Self::Permanent { attempts, .. }
            | Self::DeadlineExceeded { attempts, .. }
            | Self::CircuitOpen { attempts, .. }
            | Self::BudgetExhausted { attempts, .. }
            | Self::RetryAfterTooLong { attempts, .. } => *attempts,
        }
    }

    /// When the first attempt was made, by the wall clock: read as it failed — the success
    /// path reads no clock (ADR 0001), so the call's clock starts at its first failure, as
    /// [`Exhausted`](Self::Exhausted)'s `elapsed` and the policy's deadline do — or, for a
    /// call an open breaker refused before any attempt, when the breaker first refused it.
    /// A dead letter takes its `first_attempt` from here.
    ///
    /// ```
    /// use steadfast_core::Timestamp;
    /// use steadfast_retry::{ManualClock, RetryPolicy};
    ///
    /// let before = Timestamp::now();
    /// let policy = RetryPolicy::constant(std::time::Duration::from_secs(1)).manual_clock(&ManualClock::new());
    /// let err = policy.retry(|_| Err::<(), _>("503")).unwrap_err();
    /// assert!(before <= err.first_attempt() && err.first_attempt() <= Timestamp::now());
    /// ```
    pub fn first_attempt(&self) -> Timestamp {
        match self {
            Self::Exhausted { first_attempt, .. }
            | Self::Permanent { first_attempt, .. }
            | Self::DeadlineExceeded { first_attempt, .. }
            | Self::CircuitOpen { first_attempt, .. }
            | Self::BudgetExhausted { first_attempt, .. }
            | Self::RetryAfterTooLong { first_attempt, .. } => *first_attempt,
        }
    }

    /// Why the call gave up.
    pub fn reason(&self) -> GiveUpReason {
        match self {
            Self::Exhausted { .. } => GiveUpReason::Exhausted,
            Self::Permanent { .. } => GiveUpReason::Permanent,
            Self::DeadlineExceeded { .. } => GiveUpReason::DeadlineExceeded,
            Self::CircuitOpen { .. } => GiveUpReason::CircuitOpen,
            Self::BudgetExhausted { .. } => GiveUpReason::BudgetExhausted,
            Self::RetryAfterTooLong { .. } => GiveUpReason::RetryAfterTooLong,
        }
    }

    /// The last error of the operation, if an attempt was made and did not time out.
    pub fn last_error(&self) -> Option<&E> {
        match self {
            Self::Permanent { error, .. } => Some(error),
            Self::Exhausted { last, .. }
            | Self::DeadlineExceeded { last, .. }
            | Self::BudgetExhausted { last, .. }
            | Self::RetryAfterTooLong { last, .. } => last.error(),
            Self::CircuitOpen { last, .. } => last.as_ref().and_then(Failure::error),
        }
    }

    /// The last error of the operation, taken out.
    pub fn into_last_error(self) -> Option<E> {
        match self {
            Self::Permanent { error, .. } => Some(error),
            Self::Exhausted { last, .. }
            | Self::DeadlineExceeded { last, .. }
            | Self::BudgetExhausted { last, .. }
            | Self::RetryAfterTooLong { last, .. } => last.into_error(),
            Self::CircuitOpen { last, .. } => last.and_then(Failure::into_error),
        }
    }
}

/// Errors of configuration and of the dead-letter file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file operation on the dead-letter queue failed.
    #[error(transparent)]
    Core(#[from] steadfast_core::Error),
    /// A dead-letter entry could not be serialised.
    #[error("cannot serialise a dead-letter item for {path}")]
    Serialize {
        /// The dead-letter file.
        path: PathBuf,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
    /// Another process is replaying this dead-letter queue (it holds the journal's lock).
    #[error("a replay of this dead-letter queue is already running (journal {path})")]
    ReplayInProgress {
        /// The replay journal.
        path: PathBuf,
    },
    /// A configuration value is out of range.
    #[error("invalid [retry] {key} = {value}: {expected}")]
    InvalidConfig {
        /// The key.
        key: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
}
