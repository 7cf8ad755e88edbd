//! The sync `retry` / `retry_if` loops, blocking between attempts with the policy's
//! sleeper.

use std::fmt;

use crate::classify::{AlwaysRetry, Classify};
use crate::error::{Failure, RetryError};
use crate::execute::{Call, Seen, Through, Verdict};
use crate::policy::RetryPolicy;

impl RetryPolicy {
    /// Calls `op` (with the 1-based attempt number) until it succeeds or the policy gives
    /// up, retrying every error. Blocks between attempts with the policy's sleeper.
    ///
    /// ```
    /// use std::time::Duration;
    /// use steadfast_retry::{ManualClock, RetryPolicy};
    ///
    /// let clock = ManualClock::new();
    /// let policy = RetryPolicy::constant(Duration::from_secs(2)).manual_clock(&clock);
    /// let value = policy.retry(|attempt| if attempt < 3 { Err("busy") } else { Ok(attempt) });
    /// assert_eq!(value.unwrap(), 3);
    /// assert_eq!(clock.slept(), Duration::from_secs(4));
    /// ```
    ///
    /// # Errors
    /// A [`RetryError`] saying why it gave up, with the last error.
    pub fn retry<T, E, F>(&self, op: F) -> Result<T, RetryError<E>>
    where
        E: fmt::Display,
        F: FnMut(u32) -> Result<T, E>,
    {
        self.retry_if(AlwaysRetry, op)
    }

    /// Like [`RetryPolicy::retry`], asking `classify` whether each error is worth a retry.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use steadfast_retry::{IoErrors, RetryError, RetryPolicy};
    ///
    /// let policy = RetryPolicy::exponential().manual_clock(&Default::default());
    /// let err = policy
    ///     .retry_if(IoErrors, |_| Err::<(), _>(Error::from(ErrorKind::PermissionDenied)))
    ///     .unwrap_err();
    /// assert!(matches!(err, RetryError::Permanent { attempts: 1, .. }));
    /// ```
    ///
    /// # Errors
    /// A [`RetryError`] saying why it gave up, with the last error.
    pub fn retry_if<T, E, C, F>(&self, classify: C, op: F) -> Result<T, RetryError<E>>
    where
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Result<T, E>,
    {
        self.retry_if_through(Through::policy(self), classify, op)
    }

    /// `retry_if`'s loop, going `through` the policy's breaker and budget or a key's (and
    /// its limiter, which paces each attempt).
    pub(crate) fn retry_if_through<T, E, C, F>(
        &self,
        through: Through<'_>,
        classify: C,
        mut op: F,
    ) -> Result<T, RetryError<E>>
    where
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Result<T, E>,
    {
        let mut call = Call::new(self, through);
        let mut last = None;
        loop {
            let pace = call.pace();
            if !pace.is_zero() {
                self.sleeper.sleep(pace);
            }
            let permit = loop {
                match call.permit() {
                    Some(permit) => break permit,
                    None => match call.breaker_wait() {
                        Some(wait) => self.sleeper.sleep(wait),
                        None => return Err(call.circuit_open(last)),
                    },
                }
            };
            call.attempts += 1;
            match op(call.attempts) {
                Ok(value) => {
                    permit.success();
                    call.succeeded();
                    return Ok(value);
                }
                Err(error) => {
                    let decision = classify.classify(&error);
                    permit.record(decision);
                    let seen = Seen::of(classify.facts(&error), decision);
                    let failure = Failure::Error(error);
                    match call.after_failure(&failure, decision, seen) {
                        Verdict::Wait(delay) => self.sleeper.sleep(delay),
                        Verdict::GiveUp(why) => return Err(call.give_up(why, failure)),
                    }
                    last = Some(failure);
                }
            }
        }
    }
}
