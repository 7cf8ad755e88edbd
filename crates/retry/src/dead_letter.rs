//! The dead-letter queue: items that failed for good, kept as append-only NDJSON in the run
//! directory, and `replay` that re-drives them and keeps only those that fail again.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use steadfast_core::{
    NdjsonRead, NdjsonWriter, RunDir, Timestamp, atomic_write, read_ndjson, redact_credentials,
};

use crate::error::{Error, RetryError};

/// One item that failed for good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The item, as the pipeline serialised it (what `replay` hands back).
    pub item: serde_json::Value,
    /// The last error, credentials redacted.
    pub error: String,
    /// Attempts made, over every drive and replay.
    pub attempts: u32,
    /// When the first attempt was made.
    pub first_attempt: Timestamp,
    /// When the last attempt failed.
    pub last_attempt: Timestamp,
    /// Why it was given up (`exhausted`, `permanent`, `circuit_open`, …, or `replay`).
    pub decision: String,
}

impl DeadLetter {
    /// A dead letter for `item` that failed with `error` after `attempts`.
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
        Ok(Self {
            item: serde_json::to_value(item)?,
            error: redact_credentials(&error.to_string()).into_owned(),
            attempts,
            first_attempt,
            last_attempt: Timestamp::now(),
            decision: decision.to_owned(),
        })
    }
}

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
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(NdjsonRead {
            records: Vec::new(),
            torn_tail: None,
            malformed: Vec::new(),
        });
    }
    Ok(steadfast_core::read_ndjson_lenient(path)?)
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayReport {
    /// Items that succeeded and left the queue.
    pub succeeded: usize,
    /// Items that failed again and stay.
    pub failed_again: usize,
    /// Whether a torn last line (a crash mid-write) was dropped from the file.
    pub torn_tail_dropped: bool,
}

/// An append-only dead-letter queue, safe to share between threads.
///
/// ```
/// use steadfast_retry::{DeadLetterQueue, RetryPolicy, ManualClock};
///
/// let dir = tempfile::tempdir()?;
/// let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?;
/// let policy = RetryPolicy::constant(std::time::Duration::from_secs(1)).manual_clock(&ManualClock::new());
/// let started = steadfast_core::Timestamp::now();
/// if let Err(e) = policy.retry(|_| Err::<(), _>("503")) {
///     dlq.push_failed(&serde_json::json!({"patient_page": 7}), &e, started)?;
/// }
/// // Later: re-drive what failed; the file keeps only what fails again.
/// let report = dlq.replay(|_item| Ok::<(), String>(()))?;
/// assert_eq!((report.succeeded, report.failed_again), (1, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DeadLetterQueue {
    path: PathBuf,
    writer: Mutex<Option<NdjsonWriter>>,
}

impl DeadLetterQueue {
    /// Opens (or creates) the queue at `path`.
    ///
    /// # Errors
    /// [`Error::Core`] naming the file when it cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let writer = NdjsonWriter::open(&path)?;
        Ok(Self {
            path,
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Opens the run's `deadletter.ndjson`.
    ///
    /// # Errors
    /// As [`DeadLetterQueue::open`].
    pub fn in_run(run: &RunDir) -> Result<Self, Error> {
        Self::open(run.dead_letter_path())
    }

    /// The queue's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `letter` and waits until it is on disk: a dead letter is never lost.
    ///
    /// # Errors
    /// [`Error::Core`] when the write or fsync fails.
    pub fn push(&self, letter: &DeadLetter) -> Result<(), Error> {
        let mut guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let writer = match guard.as_mut() {
            Some(w) => w,
            None => guard.insert(NdjsonWriter::open(&self.path)?),
        };
        writer.append(letter)?;
        writer.sync()?;
        Ok(())
    }

    /// Appends `item` with the error of the call that gave up on it.
    ///
    /// # Errors
    /// [`Error::Serialize`] if `item` cannot be serialised, else as [`DeadLetterQueue::push`].
    pub fn push_failed<T: Serialize + ?Sized, E: fmt::Display>(
        &self,
        item: &T,
        error: &RetryError<E>,
        first_attempt: Timestamp,
    ) -> Result<(), Error> {
        let letter = DeadLetter::new(
            item,
            error,
            error.attempts(),
            first_attempt,
            error.reason().as_str(),
        )
        .map_err(|source| Error::Serialize {
            path: self.path.clone(),
            source,
        })?;
        self.push(&letter)
    }

    /// Every dead letter in the file (a torn last line is skipped).
    ///
    /// # Errors
    /// [`Error::Core`] when the file cannot be read or has a malformed line.
    pub fn read(&self) -> Result<Vec<DeadLetter>, Error> {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(read_ndjson(&self.path)?.records)
    }

    /// Re-drives every item through `drive`; rewrites the file atomically with only the
    /// items that failed again (their attempts, error and time updated). Appends wait while
    /// a replay runs, so none is lost.
    ///
    /// # Errors
    /// [`Error::Core`] when the file cannot be read or rewritten; the file is then as it was.
    pub fn replay<E: fmt::Display>(
        &self,
        mut drive: impl FnMut(&serde_json::Value) -> Result<(), E>,
    ) -> Result<ReplayReport, Error> {
        let mut guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mut w) = guard.take() {
            w.sync()?;
        }
        let read = read_ndjson::<DeadLetter>(&self.path)?;
        let mut report = ReplayReport {
            torn_tail_dropped: read.torn_tail.is_some(),
            ..ReplayReport::default()
        };
        let mut keep = Vec::new();
        for mut letter in read.records {
            match drive(&letter.item) {
                Ok(()) => report.succeeded += 1,
                Err(e) => {
                    report.failed_again += 1;
                    letter.attempts = letter.attempts.saturating_add(1);
                    letter.error = redact_credentials(&e.to_string()).into_owned();
                    letter.last_attempt = Timestamp::now();
                    letter.decision = "replay".to_owned();
                    keep.push(letter);
                }
            }
        }
        let mut out = Vec::new();
        for letter in &keep {
            serde_json::to_writer(&mut out, letter).map_err(|source| Error::Serialize {
                path: self.path.clone(),
                source,
            })?;
            out.push(b'\n');
        }
        atomic_write(&self.path, out)?;
        *guard = Some(NdjsonWriter::open(&self.path)?);
        Ok(report)
    }
}
