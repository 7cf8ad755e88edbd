//! Replaying a queue's HTTP-request dead letters through a client: each item sent again
//! under the replay's policy and breaker (`DeadLetterQueue::replay_if`, crash-safe, with
//! quarantine), classified by its idempotency, and each recovered answer handed to the
//! caller to keep; a recovered search page's search goes on from its `next` link.

use serde_json::Value;
use steadfast_retry::{DeadLetter, DeadLetterQueue, ReplayOptions, ReplayReport};

use crate::client::FhirClient;
use crate::error::FhirError;
use crate::method::Method;
use crate::request_item::{RequestItem, read_request_letters};
use crate::search::Search;

/// What [`replay_requests`] did: the queue's report and the search pages fetched after
/// recovered pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RequestReplayReport {
    /// What the queue's replay did with its letters.
    pub letters: ReplayReport,
    /// Pages fetched by continuing a recovered page's search and delivered.
    pub continued_pages: usize,
    /// Continued searches that ended early: a page that failed for good (a new dead letter
    /// when the client has the queue, or one pushed here when the answer could not be
    /// kept), or a `next` link not followed (another origin, a cycle).
    pub continuation_failures: usize,
}

/// Replays every letter of `queue` through `client` and `options`; `deliver` gets each
/// recovered item with its answer (a `Bundle` page, a resource) and must keep it before the
/// letter leaves the queue — an error from it keeps the letter.
///
/// Only `GET` and `HEAD` requests can be sent again (a dead letter keeps no request body).
/// `include_unsafe` lets unsafe items (POST, PATCH) through the idempotency check, but they
/// are still refused by [`FhirError::CannotResend`]. A queue holding letters this replay
/// would not send (another stage's items, unsafe ones, ones with a body) is refused before
/// anything is sent, because the queue's replay drives every letter and a letter it cannot
/// send would be counted as failed.
///
/// A recovered page that is a `Bundle` with a `next` link was the last page its search
/// fetched: the search goes on from that link through `client` (same origin only, cycle
/// and page guards of [`Search`]), each page handed to `deliver` with a `GET` item of its
/// own. A following page that fails for good becomes a new dead letter (the client pushes
/// it when it has a queue; one whose answer `deliver` refuses is pushed to `queue` here) and
/// ends that search; the recovered letter still leaves the queue.
///
/// ```
/// use std::time::Duration;
/// use steadfast_fhir::{FhirClient, Method, RequestItem, replay_requests};
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::{CircuitBreaker, DeadLetter, DeadLetterQueue, ManualClock, ReplayOptions, RetryPolicy};
///
/// let dir = tempfile::tempdir()?;
/// let queue = DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?;
/// let item = RequestItem::new(Method::Get, "Patient?page=2", Some("Patient"));
/// queue.push(&DeadLetter::new(&item, &"HTTP 503", 4, steadfast_core::Timestamp::now(), "exhausted")?)?;
/// // The server is still down (nothing listens on port 1): the letter stays.
/// let policy = RetryPolicy::constant(Duration::from_secs(1)).max_retries(1)
///     .manual_clock(&ManualClock::new());
/// let client = FhirClient::new("http://127.0.0.1:1/fhir", &HttpSettings::default().no_proxy(), policy.clone())?;
/// let options = ReplayOptions::new(&policy).breaker(&CircuitBreaker::builder().consecutive_failures(5).build());
/// let report = replay_requests(&client, &queue, &options, false, |_, _| Ok(()))?.letters;
/// assert_eq!((report.succeeded, report.failed_again), (0, 1));
/// assert_eq!(queue.read()?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`FhirError::NotReplayable`] when the queue holds letters this replay would not send;
/// [`FhirError::CannotResend`] when it holds requests other than `GET`/`HEAD`;
/// [`FhirError::DeadLetter`] when the queue cannot be read or written, or another process
/// is replaying it.
pub fn replay_requests<F>(
    client: &FhirClient,
    queue: &DeadLetterQueue,
    options: &ReplayOptions,
    include_unsafe: bool,
    mut deliver: F,
) -> Result<RequestReplayReport, FhirError>
where
    F: FnMut(&RequestItem, &Value) -> Result<(), Box<dyn std::error::Error + Send + Sync>>,
{
    let read = read_request_letters(queue.path())?;
    let unsafe_items = read
        .requests
        .iter()
        .filter(|r| !r.item.idempotency.is_repeatable())
        .count();
    let skipped_unsafe = if include_unsafe { 0 } else { unsafe_items };
    if read.other > 0 || skipped_unsafe > 0 {
        return Err(FhirError::NotReplayable {
            other: read.other,
            unsafe_items: skipped_unsafe,
        });
    }
    let with_body = read
        .requests
        .iter()
        .filter(|r| !matches!(r.item.method, Method::Get | Method::Head))
        .count();
    if with_body > 0 {
        return Err(FhirError::CannotResend { count: with_body });
    }
    let mut continued_pages = 0;
    let mut continuation_failures = 0;
    let letters = queue
        .replay_if(
            options,
            |e: &Replayed| match e {
                Replayed::Request(class, e) => class.classify(e),
                Replayed::Item(_) | Replayed::Deliver(_) => steadfast_retry::Decision::Stop,
            },
            |value| {
                let item = RequestItem::from_value(value).map_err(Replayed::Item)?;
                if !include_unsafe && !item.idempotency.is_repeatable() {
                    return Err(Replayed::Item(FhirError::NotARequestItem {
                        reason: "an unsafe request is replayed only when asked".to_owned(),
                    }));
                }
                let answer = client
                    .send(&item)
                    .map_err(|e| Replayed::Request(item.idempotency, e))?;
                deliver(&item, &answer).map_err(Replayed::Deliver)?;
                // The letter is delivered: whatever happens to the pages after it, it
                // leaves the queue (sending it again would duplicate its resources).
                let (pages, failed) = continue_search(client, queue, &item, answer, &mut deliver);
                continued_pages += pages;
                continuation_failures += usize::from(failed);
                Ok(())
            },
        )
        .map_err(FhirError::DeadLetter)?;
    Ok(RequestReplayReport {
        letters,
        continued_pages,
        continuation_failures,
    })
}

/// Fetches and delivers the pages after `answer`, the recovered page of `item`, when it is
/// a search page with a `next` link; returns the pages delivered and whether the search
/// ended early.
fn continue_search<F>(
    client: &FhirClient,
    queue: &DeadLetterQueue,
    item: &RequestItem,
    answer: Value,
    deliver: &mut F,
) -> (usize, bool)
where
    F: FnMut(&RequestItem, &Value) -> Result<(), Box<dyn std::error::Error + Send + Sync>>,
{
    if item.method != Method::Get
        || answer.get("resourceType").and_then(Value::as_str) != Some("Bundle")
    {
        return (0, false);
    }
    let Some(resource_type) = item.resource_type.as_deref() else {
        return (0, false);
    };
    let Ok(url) = client.item_url(item) else {
        return (0, false);
    };
    let mut search = match Search::after(client, resource_type, &url, answer) {
        Ok(s) => s,
        Err(_) => return (0, true),
    };
    let mut pages = 0;
    while let Some(next) = search.next_url().cloned() {
        let page = match search.next() {
            Some(Ok(page)) => page,
            // A page the policy gave up on is a new dead letter when the client has the
            // queue; a link not followed ends the search.
            Some(Err(_)) => return (pages, true),
            None => break,
        };
        let page_item = RequestItem::new(
            Method::Get,
            &client.base.relative(&next),
            Some(resource_type),
        );
        if let Err(e) = deliver(&page_item, &page) {
            let kept = DeadLetter::new(
                &page_item,
                &Replayed::Deliver(e),
                1,
                steadfast_core::Timestamp::now(),
                "replay",
            );
            if let Ok(letter) = kept {
                let _ = queue.push(&letter);
            }
            return (pages, true);
        }
        pages += 1;
    }
    // An error left pending after the last page (a foreign or cyclic next link).
    match search.next() {
        Some(Err(_)) => (pages, true),
        _ => (pages, false),
    }
}

/// Why one replay attempt failed.
#[derive(Debug)]
enum Replayed {
    /// The request failed, classified by its idempotency.
    Request(crate::method::Idempotency, FhirError),
    /// The letter is not one this replay sends.
    Item(FhirError),
    /// The answer could not be kept.
    Deliver(Box<dyn std::error::Error + Send + Sync>),
}

impl std::fmt::Display for Replayed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The status first: the queue reads a letter's kind and status from the start of
            // the text (`HTTP 503 …`) when it summarises a failed replay.
            Self::Request(_, e) => match e.status() {
                Some(status) => write!(f, "HTTP {status}: {e}"),
                None => e.fmt(f),
            },
            Self::Item(e) => e.fmt(f),
            Self::Deliver(e) => write!(f, "cannot keep the answer: {e}"),
        }
    }
}
