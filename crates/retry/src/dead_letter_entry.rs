//! `DeadLetter`: one item that failed for good, as a line of `deadletter.ndjson` — the item,
//! a PHI-free summary of its error, attempts, replays, times and why it was given up.

use std::fmt;

use serde::{Deserialize, Serialize};
use steadfast_core::Timestamp;

use crate::dead_letter_error::{ErrorSummary, item_resource, summary_or_string};

/// One item that failed for good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The letter's own id, given when it is pushed (a replay's journal names letters by
    /// it); empty in letters written before ids were kept until their first replay.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The item, as the pipeline serialised it (what a replay hands back).
    pub item: serde_json::Value,
    /// The last error: its kind, status and resource, and its text only when the queue
    /// stores raw errors. Older files' plain-text errors read as kind `unknown`.
    #[serde(deserialize_with = "summary_or_string")]
    pub error: ErrorSummary,
    /// Attempts made, over every drive and replay.
    pub attempts: u32,
    /// Replays that failed (at `max_replays` the letter moves to quarantine).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replays: u32,
    /// When the first attempt failed (from the retry error; a caller building the letter
    /// itself may give when the first attempt started).
    pub first_attempt: Timestamp,
    /// When the last attempt failed.
    pub last_attempt: Timestamp,
    /// Why it was given up (`exhausted`, `permanent`, `circuit_open`, …, or `replay`).
    pub decision: String,
}

#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if"
)]
fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl DeadLetter {
    /// A dead letter for `item` that failed with `error` after `attempts`. The error is kept
    /// as an [`ErrorSummary`] (kind and HTTP status read from its text, resource type from
    /// the item); its text only with [`DeadLetter::with_raw_error`].
    ///
    /// ```
    /// let item = serde_json::json!({"resourceType": "Patient", "id": "p1"});
    /// let now = steadfast_core::Timestamp::now();
    /// let l = steadfast_retry::DeadLetter::new(&item, &"503 busy", 3, now, "exhausted")?;
    /// assert_eq!(l.error.status, Some(503));
    /// assert_eq!(l.error.resource_type.as_deref(), Some("Patient"));
    /// assert!(l.error.message.is_none());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`serde_json::Error`] if `item` cannot be serialised.
    pub fn new<T: Serialize + ?Sized>(
        item: &T,
        error: &dyn fmt::Display,
        attempts: u32,
        first_attempt: Timestamp,
        decision: &str,
    ) -> Result<Self, serde_json::Error> {
        let item = serde_json::to_value(item)?;
        let mut summary = ErrorSummary::from_message(error);
        summary.resource_type = item_resource(&item).map(|(t, _)| t);
        Ok(Self {
            id: String::new(),
            item,
            error: summary,
            attempts,
            replays: 0,
            first_attempt,
            last_attempt: Timestamp::now(),
            decision: decision.to_owned(),
        })
    }

    /// Attaches the error's text (credentials redacted); a queue writes it only when it
    /// [stores raw errors](crate::DeadLetterQueue::store_raw_errors).
    #[must_use]
    pub fn with_raw_error(mut self, error: &dyn fmt::Display) -> Self {
        self.error = self.error.with_message(error);
        self
    }
}
