//! [`FailureLog`]: a check's detailed failure reason goes to the log once per change, not
//! at every refresh; the public output keeps its fixed phrase.

use std::sync::{Mutex, PoisonError};

/// The last failure logged by one check.
#[derive(Debug, Default)]
pub(crate) struct FailureLog {
    last: Mutex<Option<String>>,
}

impl FailureLog {
    /// Logs `detail` (never a secret: URLs are redacted by the caller) when it differs
    /// from the last one logged.
    pub(crate) fn failed(&self, what: &'static str, detail: String) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.as_deref() != Some(detail.as_str()) {
            tracing::warn!(error = %detail, "{what} failed");
            *last = Some(detail);
        }
    }

    /// Forgets the last failure, so the next one is logged again.
    pub(crate) fn passed(&self) {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}
