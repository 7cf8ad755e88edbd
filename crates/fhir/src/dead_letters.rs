//! Keeping a request the policy gave up on as a dead letter: its [`RequestItem`] and a
//! PHI-free error summary — kind, HTTP status, resource type, and for a read the keyed hash
//! of the resource id; the error's text only when the queue stores raw errors.

use steadfast_core::Timestamp;
use steadfast_retry::{DeadLetter, DeadLetterQueue, ErrorFacts, RetryError};

use crate::error::FhirError;
use crate::request_item::RequestItem;

/// Pushes `item` (with the resource `id` it reads, if any) after `err`.
pub(crate) fn push_request(
    queue: &DeadLetterQueue,
    item: &RequestItem,
    id: Option<&str>,
    err: &RetryError<FhirError>,
    first: Timestamp,
) -> Result<(), FhirError> {
    let last = err.last_error();
    if let (Some(t), Some(id)) = (&item.resource_type, id) {
        let facts = facts(last).resource(t, id);
        return queue
            .push_failed_with(item, err, facts)
            .map_err(FhirError::DeadLetter);
    }
    // No id (a search page): the summary is built here, so it carries the resource type.
    let mut letter = DeadLetter::new(item, err, err.attempts(), first, err.reason().as_str())
        .map_err(|source| {
            FhirError::DeadLetter(steadfast_retry::Error::Serialize {
                path: queue.path().to_path_buf(),
                source,
            })
        })?
        .with_raw_error(err);
    letter.error.kind = kind(last, err);
    letter.error.status = last.and_then(FhirError::status);
    letter.error.resource_type.clone_from(&item.resource_type);
    queue.push(&letter).map_err(FhirError::DeadLetter)
}

/// What a failed request tells the policy's hooks and listeners (a run's page counts its
/// HTTP errors by status): the status and `Retry-After`, or the I/O kind.
impl steadfast_retry::Facts for FhirError {
    fn facts(&self) -> ErrorFacts {
        let facts = facts(Some(self));
        match self {
            Self::Status {
                retry_after: Some(after),
                ..
            } => match after.trim().parse::<u64>() {
                Ok(secs) => facts.retry_after(std::time::Duration::from_secs(secs)),
                Err(_) => facts,
            },
            _ => facts,
        }
    }
}

/// What the last error tells the queue.
fn facts(last: Option<&FhirError>) -> ErrorFacts {
    match last {
        Some(FhirError::Status { status, .. }) => ErrorFacts::http(*status),
        Some(FhirError::Transport { source, .. }) => ErrorFacts::io(source),
        Some(e) => ErrorFacts::new().kind(other_kind(e)),
        None => ErrorFacts::new(),
    }
}

/// The summary's kind: `http_5xx`, `io_connection_reset`, `tls`, `timeout`, …
fn kind(last: Option<&FhirError>, err: &RetryError<FhirError>) -> String {
    match last {
        Some(FhirError::Status { status, .. }) => format!("http_{}xx", status / 100),
        Some(FhirError::Transport { source, .. }) => {
            format!("io_{}", snake(&format!("{:?}", source.kind())))
        }
        Some(e) => other_kind(e).to_owned(),
        None if matches!(err, RetryError::CircuitOpen { .. }) => "circuit_open".to_owned(),
        // No error kept: the attempt timed out (`Failure::TimedOut`).
        None => "timeout".to_owned(),
    }
}

fn other_kind(e: &FhirError) -> &'static str {
    match e {
        FhirError::Tls { .. } => "tls",
        FhirError::Malformed { .. } => "malformed_json",
        FhirError::NotABundle { .. } => "not_a_bundle",
        _ => "error",
    }
}

/// `ConnectionReset` → `connection_reset`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out
}
