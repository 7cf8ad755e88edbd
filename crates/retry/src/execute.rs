//! Running a call under a policy: the decision step shared by sync and async, and the sync
//! `retry` / `retry_if` loops.

use std::fmt;
use std::time::{Duration, Instant};

use crate::breaker::Permit;
use crate::classify::{AlwaysRetry, Classify, Decision};
use crate::error::{Failure, RetryError};
use crate::events::{GiveUpEvent, RetryEvent};
use crate::policy::RetryPolicy;
use crate::schedule::Schedule;

/// Why a call is giving up, before the error is assembled.
pub(crate) enum GiveUp {
    Exhausted,
    Permanent,
    Deadline {
        deadline: Duration,
        next: Duration,
    },
    Budget,
    RetryAfterTooLong {
        requested: Duration,
        allowed: Duration,
    },
}

/// What to do after a failed attempt.
pub(crate) enum Verdict {
    Wait(Duration),
    GiveUp(GiveUp),
}

/// One call's state: attempts so far, when the first failure happened, its schedule.
pub(crate) struct Call<'p> {
    policy: &'p RetryPolicy,
    schedule: Option<Schedule>,
    start: Option<Instant>,
    pub(crate) attempts: u32,
}

impl<'p> Call<'p> {
    pub(crate) fn new(policy: &'p RetryPolicy) -> Self {
        if let Some(budget) = &policy.budget {
            budget.deposit();
        }
        Self {
            policy,
            schedule: None,
            start: None,
            attempts: 0,
        }
    }

    /// Asks the breaker (if any) for the next attempt; `None` when the circuit is open.
    pub(crate) fn permit(&self) -> Option<Permit<'p>> {
        let permit = match &self.policy.breaker {
            None => Some(Permit::none()),
            Some(b) => b.try_acquire(),
        };
        #[cfg(feature = "prometheus")]
        if let (Some(m), Some(_)) = (&self.policy.metrics, &permit) {
            m.attempts.inc();
        }
        permit
    }

    fn elapsed(&mut self) -> Duration {
        let now = self.policy.clock.now();
        now - *self.start.get_or_insert(now)
    }

    /// Decides what follows a failed attempt; tells the hooks about a retry.
    pub(crate) fn after_failure<E: fmt::Display>(
        &mut self,
        failure: &Failure<E>,
        decision: Decision,
    ) -> Verdict {
        let elapsed = self.elapsed();
        let policy = self.policy;
        let schedule = self.schedule.get_or_insert_with(|| policy.schedule());
        let (delay, from_retry_after) = match decision {
            Decision::Stop => return Verdict::GiveUp(GiveUp::Permanent),
            Decision::Retry => match schedule.next_delay() {
                Some(d) => (d, false),
                None => return Verdict::GiveUp(GiveUp::Exhausted),
            },
            Decision::RetryAfter(requested) => {
                if !schedule.has_retry_left() {
                    return Verdict::GiveUp(GiveUp::Exhausted);
                }
                let allowed = policy.max_retry_after.unwrap_or(policy.max_interval);
                if requested > allowed {
                    return Verdict::GiveUp(GiveUp::RetryAfterTooLong { requested, allowed });
                }
                schedule.count_external(requested);
                (requested, true)
            }
        };
        if let Some(deadline) = policy.max_elapsed
            && elapsed.saturating_add(delay) > deadline
        {
            return Verdict::GiveUp(GiveUp::Deadline {
                deadline,
                next: delay,
            });
        }
        if let Some(budget) = &policy.budget
            && !budget.try_withdraw()
        {
            return Verdict::GiveUp(GiveUp::Budget);
        }
        #[cfg(feature = "prometheus")]
        if let Some(m) = &policy.metrics {
            m.retries.inc();
        }
        policy.hooks.retry(&RetryEvent {
            attempt: self.attempts,
            delay,
            from_retry_after,
            elapsed,
            error: failure,
        });
        Verdict::Wait(delay)
    }

    /// Builds the error for giving up after `last`, telling the hooks.
    pub(crate) fn give_up<E: fmt::Display>(
        &mut self,
        why: GiveUp,
        last: Failure<E>,
    ) -> RetryError<E> {
        let attempts = self.attempts;
        let elapsed = self.elapsed();
        let err = match why {
            GiveUp::Exhausted => RetryError::Exhausted {
                attempts,
                elapsed,
                last,
            },
            GiveUp::Permanent => match last {
                Failure::Error(error) => RetryError::Permanent { attempts, error },
                timed_out @ Failure::TimedOut(_) => RetryError::Exhausted {
                    attempts,
                    elapsed,
                    last: timed_out,
                },
            },
            GiveUp::Deadline { deadline, next } => RetryError::DeadlineExceeded {
                attempts,
                deadline,
                next_delay: next,
                last,
            },
            GiveUp::Budget => RetryError::BudgetExhausted { attempts, last },
            GiveUp::RetryAfterTooLong { requested, allowed } => RetryError::RetryAfterTooLong {
                attempts,
                requested,
                allowed,
                last,
            },
        };
        self.tell_give_up(&err, elapsed);
        err
    }

    /// The error for a circuit that refused the next attempt.
    pub(crate) fn circuit_open<E: fmt::Display>(
        &mut self,
        last: Option<Failure<E>>,
    ) -> RetryError<E> {
        let elapsed = if self.start.is_some() {
            self.elapsed()
        } else {
            Duration::ZERO
        };
        let err = RetryError::CircuitOpen {
            attempts: self.attempts,
            last,
        };
        self.tell_give_up(&err, elapsed);
        err
    }

    fn tell_give_up<E: fmt::Display>(&self, err: &RetryError<E>, elapsed: Duration) {
        #[cfg(feature = "prometheus")]
        if let Some(m) = &self.policy.metrics {
            m.gave_up(err.reason());
        }
        let last = err.last_error().map(|e| e as &dyn fmt::Display);
        self.policy.hooks.give_up(&GiveUpEvent {
            attempts: self.attempts,
            elapsed,
            reason: err.reason(),
            error: last,
        });
    }
}

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
    pub fn retry_if<T, E, C, F>(&self, classify: C, mut op: F) -> Result<T, RetryError<E>>
    where
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(u32) -> Result<T, E>,
    {
        let mut call = Call::new(self);
        let mut last = None;
        loop {
            let Some(permit) = call.permit() else {
                return Err(call.circuit_open(last));
            };
            call.attempts += 1;
            match op(call.attempts) {
                Ok(value) => {
                    permit.success();
                    return Ok(value);
                }
                Err(error) => {
                    let decision = classify.classify(&error);
                    permit.record(decision);
                    let failure = Failure::Error(error);
                    match call.after_failure(&failure, decision) {
                        Verdict::Wait(delay) => self.sleeper.sleep(delay),
                        Verdict::GiveUp(why) => return Err(call.give_up(why, failure)),
                    }
                    last = Some(failure);
                }
            }
        }
    }
}
