//! Running a call under a policy: the decision step shared by sync and async, and the sync
//! `retry` / `retry_if` loops.

use std::fmt;
use std::time::{Duration, Instant};

use crate::breaker::{Permit, WhenOpen};
use crate::classify::{AlwaysRetry, Classify, Decision};
use crate::dead_letter_error::clean_kind;
use crate::error::{Failure, RetryError};
use crate::events::{FailedAttempt, GiveUpEvent, RetryEvent};
use crate::facts::{ErrorFacts, http_kind};
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

/// What is known of a failed attempt beyond its text, for the hooks and listeners.
#[derive(Default)]
pub(crate) struct Seen {
    status: Option<u16>,
    retry_after: Option<Duration>,
    kind: Option<String>,
}

impl Seen {
    /// The facts of an error classified `decision`.
    pub(crate) fn of(facts: ErrorFacts, decision: Decision) -> Self {
        let kind = facts
            .kind
            .as_deref()
            .map(clean_kind)
            .or_else(|| facts.status.map(http_kind));
        let retry_after = match decision {
            Decision::RetryAfter(d) => Some(d),
            _ => facts.retry_after,
        };
        Self {
            status: facts.status,
            retry_after,
            kind,
        }
    }

    /// An attempt that outlived its timeout.
    #[cfg_attr(
        not(feature = "tokio"),
        allow(dead_code, reason = "used by retry_async")
    )]
    pub(crate) fn timed_out() -> Self {
        Self {
            kind: Some("timeout".to_owned()),
            ..Self::default()
        }
    }
}

/// A wait for a half-open trial when the breaker is half-open and its trial slots are
/// taken: a tenth of the open duration, within 10 ms and 1 s.
fn trial_poll(open: Duration) -> Duration {
    (open / 10).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// One call's state: attempts so far, when the first failure happened, its schedule.
pub(crate) struct Call<'p> {
    policy: &'p RetryPolicy,
    schedule: Option<Schedule>,
    start: Option<Instant>,
    pub(crate) attempts: u32,
    last_seen: Seen,
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
            last_seen: Seen::default(),
        }
    }

    /// With a breaker in [`WhenOpen::Wait`] that refused the call: how long to wait before
    /// asking again (until its half-open trial is due), if that stays within the policy's
    /// deadline; `None` to give up now.
    pub(crate) fn breaker_wait(&mut self) -> Option<Duration> {
        let breaker = self.policy.breaker.as_ref()?;
        if breaker.when_open() != WhenOpen::Wait {
            return None;
        }
        let deadline = self.policy.max_elapsed?;
        let elapsed = self.elapsed();
        let wait = match breaker.half_open_in() {
            Some(d) if !d.is_zero() => d,
            _ => trial_poll(breaker.open_duration()),
        };
        let within = elapsed.saturating_add(wait) <= deadline;
        #[cfg(feature = "tracing")]
        if within {
            tracing::debug!(
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "circuit open: waiting for its half-open trial"
            );
        }
        within.then_some(wait)
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
        seen: Seen,
    ) -> Verdict {
        self.last_seen = seen;
        let seen = &self.last_seen;
        self.policy.hooks.failed(&FailedAttempt {
            attempt: self.attempts,
            decision,
            status: seen.status,
            retry_after: seen.retry_after,
            kind: seen.kind.as_deref(),
        });
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
            status: self.last_seen.status,
            retry_after: self.last_seen.retry_after,
            kind: self.last_seen.kind.as_deref(),
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
            status: self.last_seen.status,
            retry_after: self.last_seen.retry_after,
            kind: self.last_seen.kind.as_deref(),
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
