//! Deciding, per error, whether to retry, retry after a given wait, or stop — and the
//! built-in decision for `std::io::Error`.

use std::io;
use std::time::Duration;

use crate::facts::{ErrorFacts, Facts};

/// What to do about a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Transient: retry after the policy's backoff.
    Retry,
    /// Transient, and the server said when: retry after this wait (capped by the policy).
    RetryAfter(Duration),
    /// Permanent: retrying will not help.
    Stop,
    /// Not a failure but "not ready yet" — an async job's status answered `202 Accepted`
    /// (or a 429 for polling too often): ask again after this wait (a zero wait is read as
    /// one second). A poll is not a retry: it spends neither `max_retries` nor the retry
    /// budget and is not recorded by the circuit breaker; only the policy's `max_elapsed`
    /// bounds it, so give a polling policy one.
    Poll(Duration),
}

impl Decision {
    /// Whether this decision retries.
    pub fn is_retry(self) -> bool {
        !matches!(self, Self::Stop)
    }
}

/// Classifies errors of type `E`. Closures `Fn(&E) -> Decision` are classifiers too.
///
/// ```
/// use steadfast_retry::{Classify, Decision};
///
/// let by_status = |status: &u16| match status {
///     429 | 503 => Decision::Retry,
///     _ => Decision::Stop,
/// };
/// assert_eq!(by_status.classify(&503), Decision::Retry);
/// assert_eq!(by_status.classify(&404), Decision::Stop);
/// ```
pub trait Classify<E: ?Sized> {
    /// The decision for `error`.
    fn classify(&self, error: &E) -> Decision;

    /// What `error` says about itself — HTTP status, `Retry-After`, kind — for the policy's
    /// hooks and listeners ([`RetryEvent::status`](crate::RetryEvent::status)). Nothing by
    /// default; [`IoErrors`] gives the I/O kind, [`Classify::with_facts`] the error's own
    /// [`Facts`].
    fn facts(&self, error: &E) -> ErrorFacts {
        let _ = error;
        ErrorFacts::new()
    }

    /// This classifier, with the facts of errors that implement [`Facts`].
    fn with_facts(self) -> WithFacts<Self>
    where
        Self: Sized,
        E: Facts,
    {
        WithFacts(self)
    }
}

impl<E: ?Sized, F: Fn(&E) -> Decision> Classify<E> for F {
    fn classify(&self, error: &E) -> Decision {
        self(error)
    }
}

/// Retries every error: the classifier of [`RetryPolicy::retry`](crate::RetryPolicy::retry).
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysRetry;

impl<E: ?Sized> Classify<E> for AlwaysRetry {
    fn classify(&self, _: &E) -> Decision {
        Decision::Retry
    }
}

/// A classifier whose decisions are `C`'s and whose facts are the error's own
/// ([`Facts`]); made by [`Classify::with_facts`].
#[derive(Debug, Clone, Copy, Default)]
pub struct WithFacts<C>(pub C);

impl<E: Facts + ?Sized, C: Classify<E>> Classify<E> for WithFacts<C> {
    fn classify(&self, error: &E) -> Decision {
        self.0.classify(error)
    }

    fn facts(&self, error: &E) -> ErrorFacts {
        error.facts()
    }
}

/// The classifier for [`std::io::Error`]: see [`classify_io`].
#[derive(Debug, Clone, Copy, Default)]
pub struct IoErrors;

impl Classify<io::Error> for IoErrors {
    fn classify(&self, error: &io::Error) -> Decision {
        classify_io(error)
    }

    fn facts(&self, error: &io::Error) -> ErrorFacts {
        ErrorFacts::io(error)
    }
}

/// Retries the I/O errors a flaky network or a busy peer produces (refused, reset, aborted,
/// not connected, broken pipe, timed out, interrupted, would block, unexpected EOF, host or
/// network unreachable, address not available, resource busy); stops on everything else —
/// not found, permission denied, invalid data, a full disk, and kinds it does not know.
///
/// ```
/// use std::io::{Error, ErrorKind};
/// use steadfast_retry::{Decision, classify_io};
///
/// assert_eq!(classify_io(&Error::from(ErrorKind::ConnectionReset)), Decision::Retry);
/// assert_eq!(classify_io(&Error::from(ErrorKind::PermissionDenied)), Decision::Stop);
/// ```
pub fn classify_io(error: &io::Error) -> Decision {
    use io::ErrorKind as K;
    match error.kind() {
        K::ConnectionRefused
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::NotConnected
        | K::BrokenPipe
        | K::TimedOut
        | K::Interrupted
        | K::WouldBlock
        | K::UnexpectedEof
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::NetworkDown
        | K::AddrNotAvailable
        | K::ResourceBusy => Decision::Retry,
        _ => Decision::Stop,
    }
}

/// Retries the PostgreSQL SQLSTATEs that mean "try again": serialization failure (`40001`),
/// deadlock (`40P01`), connection exceptions (class `08`), too many connections (`53300`),
/// and server shutdown or start-up (`57P01`, `57P02`, `57P03`). Stops on the rest.
///
/// ```
/// use steadfast_retry::{Decision, classify_sqlstate};
///
/// assert_eq!(classify_sqlstate("40001"), Decision::Retry);
/// assert_eq!(classify_sqlstate("08006"), Decision::Retry);
/// assert_eq!(classify_sqlstate("23505"), Decision::Stop); // unique violation
/// ```
pub fn classify_sqlstate(code: &str) -> Decision {
    let code = code.trim();
    let retry = matches!(
        code,
        "40001" | "40P01" | "53300" | "57P01" | "57P02" | "57P03"
    ) || (code.len() == 5 && code.starts_with("08"));
    if retry {
        Decision::Retry
    } else {
        Decision::Stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_kinds() {
        use io::ErrorKind as K;
        for k in [
            K::ConnectionRefused,
            K::TimedOut,
            K::UnexpectedEof,
            K::BrokenPipe,
        ] {
            assert_eq!(classify_io(&io::Error::from(k)), Decision::Retry, "{k:?}");
        }
        for k in [
            K::NotFound,
            K::InvalidData,
            K::StorageFull,
            K::Other,
            K::AlreadyExists,
        ] {
            assert_eq!(classify_io(&io::Error::from(k)), Decision::Stop, "{k:?}");
        }
    }

    #[test]
    fn sqlstates() {
        for c in [
            "40001", "40P01", "08000", "08003", "08006", "53300", "57P01", "57P02", "57P03",
        ] {
            assert_eq!(classify_sqlstate(c), Decision::Retry, "{c}");
        }
        for c in ["23505", "42P01", "22P02", "0800", "53100", "57014", ""] {
            assert_eq!(classify_sqlstate(c), Decision::Stop, "{c}");
        }
    }
}
