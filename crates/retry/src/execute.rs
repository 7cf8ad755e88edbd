//! Running a call under a policy: the decision step shared by the sync loops
//! (`execute_sync.rs`) and the async ones (`execute_async.rs`).

use std::fmt;
use std::time::{Duration, Instant};

use steadfast_core::Timestamp;

use crate::breaker::{CircuitBreaker, Permit, WhenOpen};
use crate::budget::RetryBudget;
use crate::classify::Decision;
use crate::dead_letter_error::clean_kind;
use crate::error::{Failure, RetryError};
use crate::events::{FailedAttempt, GiveUpEvent, RetryEvent};
use crate::facts::{ErrorFacts, http_kind};
use crate::policy::RetryPolicy;
use crate::rate_limit::AdaptiveRateLimiter;
use crate::schedule::Schedule;

/// What one call goes through besides the policy's schedule: the policy's own breaker and
/// budget, or a key's breaker, budget and limiter.
#[derive(Clone, Copy, Default)]
pub(crate) struct Through<'p> {
    pub(crate) breaker: Option<&'p CircuitBreaker>,
    pub(crate) budget: Option<&'p RetryBudget>,
    pub(crate) limiter: Option<&'p AdaptiveRateLimiter>,
}

impl<'p> Through<'p> {
    /// The policy's own breaker and budget, no limiter.
    pub(crate) fn policy(policy: &'p RetryPolicy) -> Self {
        Self {
            breaker: policy.breaker.as_ref(),
            budget: policy.budget.as_ref(),
            limiter: None,
        }
    }
}

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
            Decision::RetryAfter(d) | Decision::Poll(d) => Some(d),
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
    breaker: Option<&'p CircuitBreaker>,
    budget: Option<&'p RetryBudget>,
    limiter: Option<&'p AdaptiveRateLimiter>,
    schedule: Option<Schedule>,
    start: Option<Instant>,
    /// The wall-clock time read with `start`: every error of this call carries it. Read no
    /// earlier, so the success path reads no clock (ADR 0001).
    began: Option<Timestamp>,
    pub(crate) attempts: u32,
    last_seen: Seen,
}

impl<'p> Call<'p> {
    /// A call going `through` a breaker, a budget and a limiter (the policy's, or a key's).
    pub(crate) fn new(policy: &'p RetryPolicy, through: Through<'p>) -> Self {
        if let Some(budget) = through.budget {
            budget.deposit();
        }
        Self {
            policy,
            breaker: through.breaker,
            budget: through.budget,
            limiter: through.limiter,
            schedule: None,
            start: None,
            began: None,
            attempts: 0,
            last_seen: Seen::default(),
        }
    }

    /// With a breaker in [`WhenOpen::Wait`] that refused the call: how long to wait before
    /// asking again (until its half-open trial is due), if that stays within the policy's
    /// deadline; `None` to give up now.
    pub(crate) fn breaker_wait(&mut self) -> Option<Duration> {
        let breaker = self.breaker?;
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

    /// How long the limiter (if any) asks the next attempt to wait; its slot is reserved.
    #[inline]
    pub(crate) fn pace(&self) -> Duration {
        self.limiter
            .map_or(Duration::ZERO, AdaptiveRateLimiter::reserve)
    }

    /// The attempt succeeded: the limiter (if any) may speed up.
    #[inline]
    pub(crate) fn succeeded(&self) {
        if let Some(limiter) = self.limiter {
            limiter.on_success();
        }
    }

    /// Asks the breaker (if any) for the next attempt; `None` when the circuit is open.
    pub(crate) fn permit(&self) -> Option<Permit<'p>> {
        let permit = match self.breaker {
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
        if self.start.is_none() {
            self.began = Some(Timestamp::now());
        }
        now - *self.start.get_or_insert(now)
    }

    /// When the call's clock started (the first failure, or the first refusal by an open
    /// breaker); now, for a call that never read it.
    fn began(&mut self) -> Timestamp {
        *self.began.get_or_insert_with(Timestamp::now)
    }

    /// Decides what follows a failed attempt; tells the hooks about a retry.
    pub(crate) fn after_failure<E: fmt::Display>(
        &mut self,
        failure: &Failure<E>,
        decision: Decision,
        seen: Seen,
    ) -> Verdict {
        if let (Some(limiter), Some(429)) = (self.limiter, seen.status) {
            limiter.on_throttled();
        }
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
            // Not ready yet: no retry spent, no budget withdrawn; only the deadline counts.
            Decision::Poll(after) => {
                let delay = if after.is_zero() {
                    Duration::from_secs(1)
                } else {
                    after
                };
                return match policy.max_elapsed {
                    Some(deadline) if elapsed.saturating_add(delay) > deadline => {
                        Verdict::GiveUp(GiveUp::Deadline {
                            deadline,
                            next: delay,
                        })
                    }
                    _ => Verdict::Wait(delay),
                };
            }
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
        if let Some(budget) = self.budget
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
        let first_attempt = self.began();
        let err = match why {
            GiveUp::Exhausted => RetryError::Exhausted {
                attempts,
                first_attempt,
                elapsed,
                last,
            },
            GiveUp::Permanent => match last {
                Failure::Error(error) => RetryError::Permanent {
                    attempts,
                    first_attempt,
                    error,
                },
                timed_out @ Failure::TimedOut(_) => RetryError::Exhausted {
                    attempts,
                    first_attempt,
                    elapsed,
                    last: timed_out,
                },
            },
            GiveUp::Deadline { deadline, next } => RetryError::DeadlineExceeded {
                attempts,
                first_attempt,
                deadline,
                next_delay: next,
                last,
            },
            GiveUp::Budget => RetryError::BudgetExhausted {
                attempts,
                first_attempt,
                last,
            },
            GiveUp::RetryAfterTooLong { requested, allowed } => RetryError::RetryAfterTooLong {
                attempts,
                first_attempt,
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
            first_attempt: self.began(),
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
