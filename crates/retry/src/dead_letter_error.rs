//! What a dead letter keeps of its error: `ErrorSummary`, PHI-free by default (kind, HTTP
//! status, FHIR resource type, a keyed hash of the resource id), made from the error and the
//! caller's [`ErrorFacts`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use steadfast_core::redact_credentials;

use crate::error::{Failure, RetryError};
use crate::facts::{ErrorFacts, http_kind, snake};

/// The error a dead letter keeps: what kind of failure, never what the server said, unless
/// the queue was opened with [`store_raw_errors`](crate::DeadLetterQueue::store_raw_errors).
///
/// Every field but `message` is PHI-free by construction: `kind` is a `[a-z0-9_]` word,
/// `resource_type` a FHIR type name, `resource_id_hash` a keyed hash. A file written before
/// this type existed (`"error": "503 …"`) reads as kind `unknown` with that message.
///
/// ```
/// let e = steadfast_retry::ErrorSummary::from_message(&"HTTP 503 for Patient/p1 Ada Jones");
/// assert_eq!((e.kind.as_str(), e.status), ("http_5xx", Some(503)));
/// assert_eq!(e.message, None); // the text stays out
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorSummary {
    /// The failure's class: `http_4xx`, `http_5xx`, `timeout`, `circuit_open`, `io_<kind>`
    /// (`io_connection_refused`), a caller's own word, `error` when nothing more is known, or
    /// `unknown` for a letter written before kinds were kept.
    pub kind: String,
    /// The HTTP status, if the failure was an HTTP answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The FHIR resource type the item is or names (`Patient`), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// 16 hex digits of a keyed SHA-256 of the resource type and id, if the id is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id_hash: Option<String>,
    /// The error text, credentials redacted — only when raw errors are opted in: it may hold
    /// patient data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ErrorSummary {
    /// The summary of an error known only by its text: its kind and HTTP status when the
    /// text starts with one (`503 …`, `HTTP 503`, `status 503`); the text itself is dropped.
    /// An operating-system error's text (`… (os error 111)`, as `std::io::Error` writes
    /// it) gives kind `io_<kind>` (`io_connection_refused`).
    pub fn from_message(error: &dyn fmt::Display) -> Self {
        let text = error.to_string();
        let status = http_status_in(&text);
        let kind = match status {
            Some(s) => http_kind(s),
            None => os_error_kind(&text).unwrap_or_else(|| "error".to_owned()),
        };
        Self {
            kind,
            status,
            ..Self::default()
        }
    }

    /// The error text, credentials redacted, attached as `message` (raw errors opted in).
    #[must_use]
    pub fn with_message(mut self, error: &dyn fmt::Display) -> Self {
        self.message = Some(redact_credentials(&error.to_string()).into_owned());
        self
    }
}

/// Reads `error` as a summary, or as the plain string older files hold.
pub(crate) fn summary_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<ErrorSummary, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Summary(ErrorSummary),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::Summary(s) => s,
        Either::Text(text) => ErrorSummary {
            kind: "unknown".to_owned(),
            message: Some(text),
            ..ErrorSummary::default()
        },
    })
}

/// The summary of a call's error: the id hashed with `key`, the text kept if `raw`.
pub(crate) fn summarize<E: fmt::Display>(
    error: &RetryError<E>,
    facts: ErrorFacts,
    item: &serde_json::Value,
    key: &[u8],
    raw: bool,
) -> ErrorSummary {
    let last = error.last_error().map(|e| ErrorSummary::from_message(e));
    let timed_out = matches!(
        error,
        RetryError::Exhausted {
            last: Failure::TimedOut(_),
            ..
        } | RetryError::DeadlineExceeded {
            last: Failure::TimedOut(_),
            ..
        } | RetryError::BudgetExhausted {
            last: Failure::TimedOut(_),
            ..
        } | RetryError::RetryAfterTooLong {
            last: Failure::TimedOut(_),
            ..
        } | RetryError::CircuitOpen {
            last: Some(Failure::TimedOut(_)),
            ..
        }
    );
    let kind = match (&facts.kind, error, &last) {
        (Some(k), _, _) => clean_kind(k),
        (None, _, _) if timed_out => "timeout".to_owned(),
        (None, RetryError::CircuitOpen { last: None, .. }, _) => "circuit_open".to_owned(),
        (None, _, Some(s)) => s.kind.clone(),
        (None, _, None) => "error".to_owned(),
    };
    let from_item = item_resource(item);
    let resource_type = facts
        .resource_type
        .as_deref()
        .and_then(fhir_type)
        .or_else(|| from_item.as_ref().map(|(t, _)| t.clone()));
    let id = facts
        .resource_id
        .or_else(|| from_item.and_then(|(_, id)| id));
    let resource_id_hash = match (&resource_type, &id) {
        (Some(t), Some(id)) => Some(id_hash(key, t, id)),
        (None, Some(id)) => Some(id_hash(key, "", id)),
        _ => None,
    };
    let summary = ErrorSummary {
        kind,
        status: facts.status.or(last.and_then(|s| s.status)),
        resource_type,
        resource_id_hash,
        message: None,
    };
    if raw {
        summary.with_message(error)
    } else {
        summary
    }
}

/// The item's FHIR resource type (checked) and id, if it is a resource.
pub(crate) fn item_resource(item: &serde_json::Value) -> Option<(String, Option<String>)> {
    let ty = fhir_type(item.get("resourceType")?.as_str()?)?;
    let id = match item.get("id") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Some((ty, id))
}

/// `text` if it has a failure kind's shape, else `error`.
pub(crate) fn clean_kind(text: &str) -> String {
    let ok = !text.is_empty()
        && text.len() <= 32
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        text.to_owned()
    } else {
        "error".to_owned()
    }
}

/// `text` if it is a FHIR resource type name (`Patient`).
pub(crate) fn fhir_type(text: &str) -> Option<String> {
    let mut chars = text.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_alphabetic());
    ok.then(|| text.to_owned())
}

/// 16 hex digits of SHA-256 over `key`, the type and the id (length-prefixed, so no two
/// pairs collide by concatenation).
pub(crate) fn id_hash(key: &[u8], resource_type: &str, id: &str) -> String {
    let mut h = Sha256::new();
    h.update(key);
    for part in [resource_type, id] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `io_<kind>` of the `(os error N)` a text ends with.
fn os_error_kind(text: &str) -> Option<String> {
    let code = text
        .trim_end()
        .strip_suffix(')')?
        .rsplit_once("(os error ")?
        .1;
    let code: i32 = code.parse().ok()?;
    let kind = std::io::Error::from_raw_os_error(code).kind();
    Some(format!("io_{}", snake(&format!("{kind:?}"))))
}

/// An HTTP status in 100..=599 that the text opens with, or that follows `HTTP`, `HTTP/1.1`,
/// `status` or `code`.
fn http_status_in(text: &str) -> Option<u16> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .collect();
    words.iter().enumerate().find_map(|(i, w)| {
        let status = (w.len() == 3)
            .then(|| w.parse::<u16>().ok())
            .flatten()
            .filter(|s| (100..=599).contains(s))?;
        let first = text.trim_start().starts_with(w);
        let after_word = i > 0 && {
            let prev = words[i - 1].to_ascii_lowercase();
            let version = prev.len() <= 2 && prev.chars().all(|c| c.is_ascii_digit());
            matches!(prev.as_str(), "http" | "status" | "code")
                || (version && words[..i].iter().any(|w| w.eq_ignore_ascii_case("http")))
        };
        (first || after_word).then_some(status)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_found_only_where_a_status_stands() {
        for (text, want) in [
            ("503", Some(503)),
            ("422 from the EHR: Ada Jones already exists", Some(422)),
            ("HTTP 429 Too Many Requests", Some(429)),
            ("HTTP/1.1 502 Bad Gateway", Some(502)),
            ("server said status: 404", Some(404)),
            ("patient 12345 born 1970 room 404", None),
            ("GET postgres://etl:hunter2@db/x failed", None),
            ("HTTP 999", None),
        ] {
            assert_eq!(http_status_in(text), want, "{text}");
        }
    }

    #[test]
    fn kinds_cannot_carry_text() {
        assert_eq!(clean_kind("circuit_open"), "circuit_open");
        assert_eq!(clean_kind("Ada Jones"), "error");
        assert_eq!(snake("ConnectionRefused"), "connection_refused");
        assert_eq!(fhir_type("Jones, Ada"), None);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let os = std::io::Error::from_raw_os_error(111);
        if os.kind() == refused.kind() {
            assert_eq!(
                ErrorSummary::from_message(&os).kind,
                "io_connection_refused"
            );
        }
    }

    #[test]
    fn old_string_errors_still_read() {
        #[derive(Deserialize)]
        struct W {
            #[serde(deserialize_with = "summary_or_string")]
            error: ErrorSummary,
        }
        let w: W = serde_json::from_str(r#"{"error": "503"}"#).unwrap();
        assert_eq!(w.error.kind, "unknown");
        assert_eq!(w.error.message.as_deref(), Some("503"));
    }
}
