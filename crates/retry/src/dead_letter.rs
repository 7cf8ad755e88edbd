//! The dead-letter queue: items that failed for good, kept as append-only NDJSON in the run
//! directory with a PHI-free summary of their error; appends under an advisory lock so a
//! replay's compaction (`dead_letter_replay.rs`) never drops one.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use steadfast_core::{NdjsonRead, RunDir, Timestamp, files, read_ndjson};

pub use crate::dead_letter_entry::DeadLetter;
use crate::dead_letter_error::{ErrorSummary, id_hash, item_resource, summarize};
use crate::dead_letter_file::{append_line, sibling};
use crate::error::{Error, RetryError};
use crate::facts::ErrorFacts;

/// Every dead letter in `path` (a run's `deadletter.ndjson`), read leniently for whoever
/// reports on them (the run page): a line that is not a dead letter and a torn last line are
/// returned with their place, never dropped. A missing file holds none.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("deadletter.ndjson");
/// std::fs::write(&path, "not json\n")?;
/// let read = steadfast_retry::read_dead_letters(&path)?;
/// assert!(read.records.is_empty());
/// assert_eq!(read.malformed[0].line, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Core`] when the file exists but cannot be read.
pub fn read_dead_letters(path: impl AsRef<Path>) -> Result<NdjsonRead<DeadLetter>, Error> {
    let path = path.as_ref();
    match std::fs::symlink_metadata(path) {
        Err(_) => {
            return Ok(NdjsonRead {
                records: Vec::new(),
                torn_tail: None,
                malformed: Vec::new(),
            });
        }
        // A link planted in a run is never followed: its letters may be shown with --reveal.
        Ok(m) if m.file_type().is_symlink() => {
            return Err(steadfast_core::Error::NotRegularFile {
                path: path.to_path_buf(),
                found: "a symbolic link",
            }
            .into());
        }
        Ok(_) => {}
    }
    Ok(steadfast_core::read_ndjson_lenient(path)?)
}

/// An append-only dead-letter queue, safe to share between threads and with other
/// processes appending to or replaying the same file.
///
/// Each letter keeps a PHI-free [`ErrorSummary`]; the error's text is written only after
/// [`DeadLetterQueue::store_raw_errors`]. Replays: [`DeadLetterQueue::replay_with`].
///
/// ```
/// use steadfast_retry::{DeadLetterQueue, RetryPolicy, ManualClock};
///
/// let dir = tempfile::tempdir()?;
/// let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?;
/// let policy = RetryPolicy::constant(std::time::Duration::from_secs(1)).manual_clock(&ManualClock::new());
/// if let Err(e) = policy.retry(|_| Err::<(), _>("503 for Ada Jones")) {
///     dlq.push_failed(&serde_json::json!({"patient_page": 7}), &e)?;
/// }
/// let letters = dlq.read()?;
/// assert_eq!(letters[0].error.kind, "http_5xx");
/// assert!(!std::fs::read_to_string(dlq.path())?.contains("Ada"));
/// // Later: re-drive what failed; the file keeps only what fails again.
/// let report = dlq.replay(|_item| Ok::<(), String>(()))?;
/// assert_eq!((report.succeeded, report.failed_again), (1, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DeadLetterQueue {
    pub(crate) path: PathBuf,
    /// The append descriptor (emptied when a compaction replaced the file).
    pub(crate) file: Mutex<Option<File>>,
    /// One replay at a time in this process (the journal's lock covers other processes).
    pub(crate) replaying: Mutex<()>,
    pub(crate) raw_errors: bool,
    id_key: Vec<u8>,
}

impl DeadLetterQueue {
    /// Opens (or creates) the queue at `path`, first finishing what a replay interrupted by
    /// a crash left in its journal (unless another process is replaying right now).
    ///
    /// # Errors
    /// [`Error::Core`] naming the file when it cannot be opened or the journal applied.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let file = steadfast_core::open_append(&path)?;
        let queue = Self {
            path,
            file: Mutex::new(Some(file)),
            replaying: Mutex::new(()),
            raw_errors: false,
            id_key: random_bytes(32),
        };
        queue.recover()?;
        Ok(queue)
    }

    /// Opens the run's `deadletter.ndjson`.
    ///
    /// # Errors
    /// As [`DeadLetterQueue::open`].
    pub fn in_run(run: &RunDir) -> Result<Self, Error> {
        Self::open(run.dead_letter_path())
    }

    /// Also writes each error's text (credentials redacted). Off by default: a server's
    /// error text can carry patient data. `[retry] dead_letter_raw_errors` in configuration.
    #[must_use]
    pub fn store_raw_errors(mut self, on: bool) -> Self {
        self.raw_errors = on;
        self
    }

    /// The key of the resource-id hashes. By default a random key of this queue, so a hash
    /// tells letters of one resource apart in one run but identifies nothing across runs;
    /// give a secret key to make hashes comparable across runs.
    #[must_use]
    pub fn id_hash_key(mut self, key: &[u8]) -> Self {
        self.id_key = key.to_vec();
        self
    }

    /// The queue's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where letters that failed `max_replays` replays go: `deadletter.quarantine.ndjson`
    /// beside `deadletter.ndjson` (`<stem>.quarantine.ndjson` for another name).
    pub fn quarantine_path(&self) -> PathBuf {
        sibling(&self.path, files::DEAD_LETTER_QUARANTINE, "quarantine")
    }

    /// The journal of a replay in progress: `deadletter.replay.ndjson`.
    pub fn journal_path(&self) -> PathBuf {
        sibling(&self.path, files::DEAD_LETTER_REPLAY, "replay")
    }

    /// Appends `letter` and waits until it is on disk: a dead letter is never lost, not even
    /// to a replay compacting the file at the same time. The letter gets an id if it has
    /// none, a resource-id hash if its item is a FHIR resource with an id, and loses its
    /// error text unless raw errors are stored.
    ///
    /// # Errors
    /// [`Error::Serialize`] if the letter cannot be serialised; [`Error::Core`] when the
    /// write or fsync fails.
    pub fn push(&self, letter: &DeadLetter) -> Result<(), Error> {
        let mut letter = letter.clone();
        if letter.id.is_empty() {
            letter.id = new_id();
        }
        if !self.raw_errors {
            letter.error.message = None;
        }
        if letter.error.resource_id_hash.is_none()
            && let Some((ty, Some(id))) = item_resource(&letter.item)
        {
            letter.error.resource_id_hash = Some(id_hash(&self.id_key, &ty, &id));
            letter.error.resource_type.get_or_insert(ty);
        }
        let mut line = serde_json::to_vec(&letter).map_err(|source| Error::Serialize {
            path: self.path.clone(),
            source,
        })?;
        line.push(b'\n');
        let mut slot = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        append_line(&mut slot, &self.path, &line)
    }

    /// Appends `item` with the error of the call that gave up on it. The letter's
    /// `first_attempt` is the error's [`first_attempt`](RetryError::first_attempt), its
    /// `last_attempt` now.
    ///
    /// # Errors
    /// [`Error::Serialize`] if `item` cannot be serialised, else as [`DeadLetterQueue::push`].
    pub fn push_failed<T: Serialize + ?Sized, E: fmt::Display>(
        &self,
        item: &T,
        error: &RetryError<E>,
    ) -> Result<(), Error> {
        self.push_failed_with(item, error, ErrorFacts::new())
    }

    /// Like [`DeadLetterQueue::push_failed`] with what the caller knows of the failure
    /// (kind, HTTP status, resource): what `facts` leaves out is worked out from the error
    /// and the item.
    ///
    /// ```
    /// use steadfast_retry::{DeadLetterQueue, ErrorFacts, RetryPolicy};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?;
    /// let err = RetryPolicy::constant(std::time::Duration::ZERO).max_retries(0)
    ///     .retry(|_| Err::<(), _>("not found: Ada Jones")).unwrap_err();
    /// let facts = ErrorFacts::http(404).resource("Patient", "p1");
    /// dlq.push_failed_with(&"GET /Patient/p1", &err, facts)?;
    /// let e = &dlq.read()?[0].error;
    /// assert_eq!((e.kind.as_str(), e.status, e.resource_id_hash.is_some()), ("http_4xx", Some(404), true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`DeadLetterQueue::push_failed`].
    pub fn push_failed_with<T: Serialize + ?Sized, E: fmt::Display>(
        &self,
        item: &T,
        error: &RetryError<E>,
        facts: ErrorFacts,
    ) -> Result<(), Error> {
        let item = serde_json::to_value(item).map_err(|source| Error::Serialize {
            path: self.path.clone(),
            source,
        })?;
        let summary = summarize(error, facts, &item, &self.id_key, self.raw_errors);
        let letter = DeadLetter {
            id: new_id(),
            item,
            error: summary,
            attempts: error.attempts(),
            replays: 0,
            first_attempt: error.first_attempt(),
            last_attempt: Timestamp::now(),
            decision: error.reason().as_str().to_owned(),
        };
        self.push(&letter)
    }

    /// The summary of a replay's failure of `item` under this queue's key and settings.
    pub(crate) fn summarize<E: fmt::Display>(
        &self,
        error: &RetryError<E>,
        item: &serde_json::Value,
    ) -> ErrorSummary {
        summarize(
            error,
            ErrorFacts::new(),
            item,
            &self.id_key,
            self.raw_errors,
        )
    }

    /// Every dead letter in the file (a torn last line is skipped).
    ///
    /// # Errors
    /// [`Error::Core`] when the file cannot be read or has a malformed line.
    pub fn read(&self) -> Result<Vec<DeadLetter>, Error> {
        Ok(read_ndjson(&self.path)?.records)
    }

    /// Every letter in quarantine (none when there is no quarantine file).
    ///
    /// # Errors
    /// As [`DeadLetterQueue::read`], for the quarantine file.
    pub fn read_quarantine(&self) -> Result<Vec<DeadLetter>, Error> {
        let path = self.quarantine_path();
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(Vec::new());
        }
        Ok(read_ndjson(&path)?.records)
    }
}

/// A fresh letter id: 32 hex digits.
pub(crate) fn new_id() -> String {
    random_bytes(16)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `n` unpredictable bytes from the standard library's randomly keyed hasher, mixed with a
/// process-wide counter so two calls never agree.
fn random_bytes(n: usize) -> Vec<u8> {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let state = std::collections::hash_map::RandomState::new();
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        let mut h = state.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u32(std::process::id());
        out.extend_from_slice(&h.finish().to_le_bytes());
    }
    out.truncate(n);
    out
}
