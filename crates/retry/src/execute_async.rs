//! The async `retry_async` / `retry_async_if` loops, with per-attempt timeouts (feature
//! `tokio`). Cancellation-safe: dropping the future mid-wait or mid-attempt releases any
//! breaker permit and leaves nothing behind.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::classify::{AlwaysRetry, Classify, Decision};
use crate::clock_async::AsyncSleeper;
use crate::error::{Failure, RetryError};
use crate::execute::{Call, Seen, Through, Verdict};
use crate::policy::RetryPolicy;

impl RetryPolicy {
    /// What waits between attempts of `retry_async` (default: tokio's timer).
    #[must_use]
    pub fn async_sleeper(mut self, sleeper: impl AsyncSleeper + 'static) -> Self {
        self.async_sleeper = Arc::new(sleeper);
        self
    }

    /// Awaits `op(attempt)` until it succeeds or the policy gives up, retrying every error
    /// and every attempt that outlives [`RetryPolicy::attempt_timeout`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use steadfast_retry::RetryPolicy;
    ///
    /// let policy = RetryPolicy::constant(Duration::from_millis(1));
    /// let got = policy
    ///     .retry_async(|attempt| async move { if attempt < 2 { Err("reset") } else { Ok("bundle") } })
    ///     .await;
    /// assert_eq!(got.unwrap(), "bundle");
    /// # }
    /// ```
    ///
    /// # Errors
    /// A [`RetryError`] saying why it gave up, with the last error.
    pub async fn retry_async<T, E, F, Fut>(&self, op: F) -> Result<T, RetryError<E>>
    where
        E: fmt::Display,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.retry_async_if(AlwaysRetry, op).await
    }

    /// Like [`RetryPolicy::retry_async`], asking `classify` about each error. A timed-out
    /// attempt is always transient.
    ///
    /// # Errors
    /// A [`RetryError`] saying why it gave up, with the last error.
    pub async fn retry_async_if<T, E, C, F, Fut>(
        &self,
        classify: C,
        op: F,
    ) -> Result<T, RetryError<E>>
    where
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.retry_async_if_through(Through::policy(self), classify, op)
            .await
    }

    /// `retry_async_if`'s loop, going `through` the policy's breaker and budget or a key's
    /// (and its limiter, which paces each attempt).
    pub(crate) async fn retry_async_if_through<T, E, C, F, Fut>(
        &self,
        through: Through<'_>,
        classify: C,
        mut op: F,
    ) -> Result<T, RetryError<E>>
    where
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut call = Call::new(self, through);
        let mut last = None;
        loop {
            let pace = call.pace();
            if !pace.is_zero() {
                self.async_sleeper.sleep(pace).await;
            }
            let permit = loop {
                match call.permit() {
                    Some(permit) => break permit,
                    None => match call.breaker_wait() {
                        Some(wait) => self.async_sleeper.sleep(wait).await,
                        None => return Err(call.circuit_open(last)),
                    },
                }
            };
            call.attempts += 1;
            let outcome = match self.attempt_timeout {
                None => op(call.attempts).await.map_err(Failure::Error),
                Some(limit) => match tokio::time::timeout(limit, op(call.attempts)).await {
                    Ok(result) => result.map_err(Failure::Error),
                    Err(_) => Err(Failure::TimedOut(limit)),
                },
            };
            let failure = match outcome {
                Ok(value) => {
                    permit.success();
                    call.succeeded();
                    return Ok(value);
                }
                Err(failure) => failure,
            };
            let (decision, seen) = match &failure {
                Failure::Error(e) => {
                    let decision = classify.classify(e);
                    (decision, Seen::of(classify.facts(e), decision))
                }
                Failure::TimedOut(_) => (Decision::Retry, Seen::timed_out()),
            };
            permit.record(decision);
            match call.after_failure(&failure, decision, seen) {
                Verdict::Wait(delay) => self.async_sleeper.sleep(delay).await,
                Verdict::GiveUp(why) => return Err(call.give_up(why, failure)),
            }
            last = Some(failure);
        }
    }
}
