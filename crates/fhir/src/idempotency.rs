//! Idempotency classes (RFC 9110 §9.2): which failures of a request are worth a retry.
//! A safe (GET, HEAD) or idempotent (PUT, DELETE) request is retried on 408/425/429/5xx and
//! on transient transport errors; an unsafe one (POST, PATCH) only when the server cannot
//! have processed it — a connect-phase error — or said so with 429. Anything else is
//! ambiguous (a create may have been committed) and goes to the dead-letter queue.

use steadfast_retry::{Decision, classify_http, classify_io};

use crate::error::{FhirError, Phase};
use crate::method::Idempotency;

impl Idempotency {
    /// The retry decision for `error` of a request of this class; `Retry-After` on a
    /// 429 or 503 becomes [`Decision::RetryAfter`], which the policy honours.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use steadfast_fhir::{FhirError, Idempotency, Method, Phase};
    /// use steadfast_retry::Decision;
    ///
    /// let reset = FhirError::Transport {
    ///     method: Method::Post,
    ///     path: "Patient".into(),
    ///     phase: Phase::Request,
    ///     source: Error::from(ErrorKind::ConnectionReset),
    /// };
    /// assert_eq!(Idempotency::Safe.classify(&reset), Decision::Retry);
    /// // The create may have been committed: not retried, dead-lettered as ambiguous.
    /// assert_eq!(Idempotency::Unsafe.classify(&reset), Decision::Stop);
    /// assert!(Idempotency::Unsafe.is_ambiguous(&reset));
    /// ```
    pub fn classify(self, error: &FhirError) -> Decision {
        match error {
            FhirError::Status {
                status,
                retry_after,
                ..
            } => {
                if self.is_repeatable() || *status == 429 {
                    classify_http(*status, retry_after.as_deref())
                } else {
                    Decision::Stop
                }
            }
            FhirError::Transport { phase, source, .. } => {
                if self.is_repeatable() || *phase == Phase::Connect {
                    classify_io(source)
                } else {
                    Decision::Stop
                }
            }
            // The FHIR request was not sent: a token endpoint that is busy or unreachable is
            // worth another try whatever the method; a refusal (4xx) is not.
            FhirError::Token {
                status: Some(status),
                ..
            } => classify_http(*status, None),
            FhirError::Token { io: Some(io), .. } => classify_io(io),
            _ => Decision::Stop,
        }
    }

    /// Whether `error` leaves a request of this class in doubt: an unsafe request that the
    /// server may have processed (a 5xx, a timeout or reset after connecting).
    pub fn is_ambiguous(self, error: &FhirError) -> bool {
        if self.is_repeatable() {
            return false;
        }
        match error {
            FhirError::Status { status, .. } => *status >= 500,
            FhirError::Transport { phase, .. } => *phase == Phase::Request,
            FhirError::GaveUp { last: Some(l), .. } => self.is_ambiguous(l),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Method;
    use std::io::{Error, ErrorKind};
    use std::time::Duration;

    fn status(code: u16, retry_after: Option<&str>) -> FhirError {
        FhirError::Status {
            method: Method::Get,
            path: "Patient".into(),
            status: code,
            retry_after: retry_after.map(str::to_owned),
            outcome: None,
        }
    }

    fn transport(phase: Phase, kind: ErrorKind) -> FhirError {
        FhirError::Transport {
            method: Method::Get,
            path: "Patient".into(),
            phase,
            source: Error::from(kind),
        }
    }

    #[test]
    fn safe_and_idempotent_retry_what_is_transient() {
        for class in [Idempotency::Safe, Idempotency::Idempotent] {
            assert_eq!(
                class.classify(&status(503, Some("3"))),
                Decision::RetryAfter(Duration::from_secs(3))
            );
            assert_eq!(class.classify(&status(500, None)), Decision::Retry);
            assert_eq!(class.classify(&status(404, None)), Decision::Stop);
            let reset = transport(Phase::Request, ErrorKind::ConnectionReset);
            assert_eq!(class.classify(&reset), Decision::Retry);
            assert!(!class.is_ambiguous(&reset));
        }
    }

    #[test]
    fn unsafe_retries_only_connect_errors_and_429() {
        let u = Idempotency::Unsafe;
        assert_eq!(
            u.classify(&status(429, Some("1"))),
            Decision::RetryAfter(Duration::from_secs(1))
        );
        assert_eq!(u.classify(&status(503, Some("1"))), Decision::Stop);
        assert!(u.is_ambiguous(&status(500, None)));
        assert!(!u.is_ambiguous(&status(400, None)));
        let refused = transport(Phase::Connect, ErrorKind::ConnectionRefused);
        assert_eq!(u.classify(&refused), Decision::Retry);
        assert!(!u.is_ambiguous(&refused));
        let timeout = transport(Phase::Request, ErrorKind::TimedOut);
        assert_eq!(u.classify(&timeout), Decision::Stop);
        assert!(u.is_ambiguous(&timeout));
    }

    #[test]
    fn methods_serialise_upper_case() {
        assert_eq!(serde_json::to_string(&Method::Patch).unwrap(), "\"PATCH\"");
        assert_eq!(
            serde_json::to_string(&Idempotency::Idempotent).unwrap(),
            "\"idempotent\""
        );
    }
}
