//! Waiting for an export job: the status URL polled never sooner than its `Retry-After`
//! asks, a 429 ("too many polls") answered by waiting longer, everything bounded by a
//! deadline on an injected clock. Polls are not failures: a 202 or a 429 costs none of the
//! retry policy's attempts, budget or breaker; only a poll that fails (a dropped
//! connection, a 5xx) goes through the policy.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use steadfast_http::HttpClient;
use steadfast_http::reqwest::Url;
use steadfast_retry::{AsyncSleeper, Classify as _, Clock, Decision, parse_retry_after};

use super::events::{BulkEvent, Events};
use super::request::{header, send};
use crate::client::FhirClient;
use crate::error::FhirError;
use crate::method::{Idempotency, Method};
use crate::transport::{status_error, transport};

/// How a job's status is polled. Defaults: the first wait 2 s when the server sends no
/// `Retry-After`, growing 1.5× per poll to 60 s; never less than 1 s; a 6 h deadline.
///
/// ```
/// use std::time::Duration;
/// use steadfast_fhir::PollTiming;
///
/// let t = PollTiming::default().deadline(Duration::from_secs(3600));
/// assert_eq!(t.min_interval_value(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollTiming {
    initial: Duration,
    min: Duration,
    max: Duration,
    deadline: Duration,
}

impl Default for PollTiming {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(2),
            min: Duration::from_secs(1),
            max: Duration::from_secs(60),
            deadline: Duration::from_secs(6 * 3600),
        }
    }
}

impl PollTiming {
    /// The first wait when the server sends no `Retry-After` (grows 1.5× per poll).
    #[must_use]
    pub fn initial_interval(mut self, d: Duration) -> Self {
        self.initial = d;
        self
    }

    /// The shortest wait between polls, whatever the server says (`Retry-After: 0`).
    #[must_use]
    pub fn min_interval(mut self, d: Duration) -> Self {
        self.min = d;
        self
    }

    /// The longest wait the client picks itself; a longer `Retry-After` is still honoured.
    #[must_use]
    pub fn max_interval(mut self, d: Duration) -> Self {
        self.max = d;
        self
    }

    /// How long the job may take, from the first poll: a wait that would end past it is
    /// not started ([`FhirError::PollDeadline`]).
    #[must_use]
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = d;
        self
    }

    /// The shortest wait between polls.
    pub fn min_interval_value(&self) -> Duration {
        self.min
    }
}

/// The most read of a completion manifest (a million files' entries fit).
const MANIFEST_LIMIT: usize = 64 << 20;

/// The longest single wait: a larger `Retry-After` (up to `u64::MAX` seconds) or
/// `max_interval` is read as this, and the deadline decides.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// `d × num / den`, saturating instead of overflowing (a huge `max_interval`).
fn grow(d: Duration, num: u32, den: u32) -> Duration {
    d.checked_mul(num).map_or(Duration::MAX, |d| d / den.max(1))
}

/// What one status request said.
#[derive(Debug)]
enum Answer {
    /// 202: still running, with its `Retry-After` and `X-Progress`.
    Pending(Option<Duration>, Option<String>),
    /// 429: polled too often.
    TooFast(Option<Duration>),
    /// 200: the manifest's bytes.
    Done(Vec<u8>),
}

/// The injected time a poll loop runs on.
#[derive(Clone)]
pub(crate) struct Time {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sleeper: Arc<dyn AsyncSleeper>,
}

/// Polls `status` until the job is done, the first time after `first_wait`, telling
/// `on_wait` each wait before it starts; the manifest's bytes and the number of polls.
///
/// # Errors
/// The job failed (a 4xx, or a 5xx the policy gave up on: [`FhirError::GaveUp`] with the
/// status and the outcome's codes), or [`FhirError::PollDeadline`].
pub(crate) async fn wait_for_job(
    client: &FhirClient,
    status: &Url,
    timing: &PollTiming,
    time: &Time,
    events: &Events,
    first_wait: Duration,
    mut on_wait: impl FnMut(Duration) -> Result<(), FhirError>,
) -> Result<(Vec<u8>, u32), FhirError> {
    if !first_wait.is_zero() {
        time.sleeper.sleep(first_wait.min(MAX_RETRY_AFTER)).await;
    }
    let start = time.clock.now();
    let mut interval = timing.initial.max(timing.min);
    let mut polls = 0u32;
    loop {
        polls = polls.saturating_add(1);
        let wait = match poll_once(client, status).await? {
            Answer::Done(body) => return Ok((body, polls)),
            Answer::Pending(retry_after, progress) => {
                let wait = retry_after.unwrap_or(interval).max(timing.min);
                if retry_after.is_none() {
                    interval = grow(interval, 3, 2).min(timing.max).max(timing.min);
                }
                events.emit(&BulkEvent::Polled {
                    progress: progress.as_deref(),
                    next_in: wait,
                });
                wait
            }
            Answer::TooFast(retry_after) => {
                // Polled too often: back off for this wait and every later one.
                interval = grow(interval, 2, 1).min(timing.max).max(timing.min);
                let wait = retry_after.unwrap_or(interval).max(timing.min);
                events.emit(&BulkEvent::Polled {
                    progress: None,
                    next_in: wait,
                });
                wait
            }
        };
        let wait = wait.min(MAX_RETRY_AFTER);
        on_wait(wait)?;
        let waited = time.clock.now().saturating_duration_since(start);
        if wait > timing.deadline.saturating_sub(waited) {
            return Err(FhirError::PollDeadline {
                polls,
                waited_secs: waited.as_secs(),
                deadline_secs: timing.deadline.as_secs(),
            });
        }
        time.sleeper.sleep(wait).await;
    }
}

/// One status request, through the policy only for failures: a dropped connection or a
/// 5xx whose outcome says `transient` is retried; any other error status fails the job.
async fn poll_once(client: &FhirClient, status: &Url) -> Result<Answer, FhirError> {
    let classify = |e: &FhirError| match e {
        FhirError::Status { status, .. } if *status >= 500 && !is_transient(e) => Decision::Stop,
        other => Idempotency::Safe.classify(other),
    };
    let path = client.base.shown(status);
    client
        .policy()
        .retry_async_if(classify.with_facts(), |_| async {
            let headers = [("accept", "application/json".to_owned())];
            let response = send(client, Method::Get, status, &headers, true).await?;
            let retry_after = header(&response, "retry-after")
                .and_then(|v| parse_retry_after(v, SystemTime::now()))
                .map(|d| d.min(MAX_RETRY_AFTER));
            match response.status().as_u16() {
                200 => {
                    let too_big = || FhirError::BulkProtocol {
                        step: "manifest",
                        problem: format!(
                            "the manifest is larger than {} MiB; not read",
                            MANIFEST_LIMIT >> 20
                        ),
                    };
                    if response
                        .content_length()
                        .is_some_and(|n| n > MANIFEST_LIMIT as u64)
                    {
                        return Err(too_big());
                    }
                    let body = HttpClient::body(response, MANIFEST_LIMIT + 1)
                        .await
                        .map_err(|e| transport(Method::Get, path.clone(), &e))?;
                    if body.len() > MANIFEST_LIMIT {
                        return Err(too_big());
                    }
                    Ok(Answer::Done(body))
                }
                202 => {
                    let progress = header(&response, "x-progress").map(progress_text);
                    Ok(Answer::Pending(retry_after, progress))
                }
                429 => Ok(Answer::TooFast(retry_after)),
                _ => Err(status_error(Method::Get, path.clone(), response).await),
            }
        })
        .await
        .map_err(|err| super::gave_up(path.clone(), err))
}

/// Whether a poll's error says the job itself failed or is gone (a 4xx, or a 5xx not
/// called transient), not that the server could not be reached or asked.
pub(crate) fn job_failed(e: &FhirError) -> bool {
    match e {
        FhirError::GaveUp {
            last: Some(last), ..
        } => job_failed(last),
        FhirError::Status { status, .. } => {
            (400..500).contains(status) || (*status >= 500 && !is_transient(e))
        }
        _ => false,
    }
}

/// Whether an error status's `OperationOutcome` calls it transient (the IG's way of saying
/// "the poll failed, the job did not"); a 503 is transient whatever its body.
fn is_transient(e: &FhirError) -> bool {
    match e {
        FhirError::Status {
            status, outcome, ..
        } => {
            *status == 503
                || outcome
                    .as_ref()
                    .is_some_and(|o| o.issues.iter().any(|(_, code)| code == "transient"))
        }
        _ => false,
    }
}

/// `X-Progress` as shown: printable ASCII, at most 100 characters (it is the server's text).
fn progress_text(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(100)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::OutcomeSummary;

    fn status(code: u16, issue: Option<&str>) -> FhirError {
        FhirError::Status {
            method: Method::Get,
            path: "x".into(),
            status: code,
            retry_after: None,
            outcome: issue.map(|c| OutcomeSummary {
                issues: vec![("error".into(), c.into())],
            }),
        }
    }

    #[test]
    fn only_transient_failures_are_poll_failures() {
        assert!(is_transient(&status(503, None)));
        assert!(is_transient(&status(500, Some("transient"))));
        assert!(!is_transient(&status(500, Some("exception"))));
        assert!(!is_transient(&status(404, None)));
        assert!(job_failed(&status(500, Some("exception"))));
        assert!(job_failed(&status(410, None)));
        assert!(!job_failed(&status(503, None)));
        assert!(!job_failed(&status(500, Some("transient"))));
        assert_eq!(progress_text("50%\u{1b}[2J done"), "50%[2J done");
    }

    #[test]
    fn growing_an_interval_saturates() {
        assert_eq!(grow(Duration::from_secs(2), 3, 2), Duration::from_secs(3));
        assert_eq!(grow(Duration::MAX, 2, 1), Duration::MAX);
        assert_eq!(grow(Duration::MAX, 3, 2), Duration::MAX);
    }
}
