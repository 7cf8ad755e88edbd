//! Replaying dead letters through a policy and a breaker, with a journal that makes a crash
//! at any point lose no letter and move none twice: `ReplayOptions`, `ReplayReport`, and
//! the recovery that `DeadLetterQueue::open` runs.
//!
//! The protocol: under the journal's lock, (1) a journal left by a crash is applied to the
//! queue (one atomic rewrite, which also gives every letter an id and drops any letter
//! already in quarantine); (2) each letter is driven and its outcome appended to the
//! journal and fsynced — a quarantined letter is appended to the quarantine file and
//! fsynced first; (3) the queue is rewritten once without the settled letters (under the
//! queue's lock, re-reading it, so letters pushed meanwhile stay) and the journal removed.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::PoisonError;

use serde::Deserialize;
use steadfast_core::{Timestamp, read_ndjson_lenient};

use crate::breaker::CircuitBreaker;
use crate::classify::{AlwaysRetry, Classify, Decision};
use crate::dead_letter::{DeadLetter, DeadLetterQueue};
use crate::dead_letter_file::{Fate, append_line, rewrite};
use crate::dead_letter_journal::{Journal, Outcome, Record, record};
use crate::error::{Error, RetryError};
use crate::policy::RetryPolicy;

/// How a replay drives each letter: the retry policy, the breaker that stops it, and how
/// many failed replays send a letter to quarantine.
///
/// ```
/// use steadfast_retry::{CircuitBreaker, ReplayOptions, RetryPolicy};
///
/// let options = ReplayOptions::new(&RetryPolicy::exponential().max_retries(2))
///     .breaker(&CircuitBreaker::builder().consecutive_failures(3).build())
///     .max_replays(5);
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    policy: RetryPolicy,
    breaker: Option<CircuitBreaker>,
    max_replays: u32,
}

impl ReplayOptions {
    /// Each letter gets `policy`'s retries; no breaker; quarantine after 3 failed replays.
    pub fn new(policy: &RetryPolicy) -> Self {
        Self {
            policy: policy.clone(),
            breaker: None,
            max_replays: 3,
        }
    }

    /// Every attempt asks `breaker`; once it refuses, the replay stops and the letters not
    /// yet driven stay in the queue untouched.
    #[must_use]
    pub fn breaker(mut self, breaker: &CircuitBreaker) -> Self {
        self.breaker = Some(breaker.clone());
        self
    }

    /// A letter that has failed this many replays moves to quarantine (at least 1).
    /// `u32::MAX` never quarantines.
    #[must_use]
    pub fn max_replays(mut self, n: u32) -> Self {
        self.max_replays = n.max(1);
        self
    }
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Items that succeeded and left the queue.
    pub succeeded: usize,
    /// Items that failed again and stay.
    pub failed_again: usize,
    /// Items that failed their last allowed replay and moved to quarantine.
    pub quarantined: usize,
    /// Items left untouched because the breaker stopped the replay.
    pub not_attempted: usize,
    /// Outcomes of an earlier replay, cut short by a crash, applied first.
    pub recovered: usize,
    /// Whether a torn last line (a crash mid-write) was dropped from the file.
    pub torn_tail_dropped: bool,
}

/// What a letter becomes under the journal's records and the quarantine's ids.
fn settle(
    letter: &DeadLetter,
    records: &HashMap<&str, &Record>,
    quarantined: &HashSet<String>,
) -> Fate {
    if !letter.id.is_empty() && quarantined.contains(&letter.id) {
        return Fate::Drop;
    }
    match records.get(letter.id.as_str()) {
        None => Fate::Keep,
        Some(r) if r.outcome != Outcome::Failed => Fate::Drop,
        Some(r) => {
            let mut l = letter.clone();
            l.attempts = r.attempts.unwrap_or(l.attempts);
            l.replays = r.replays.unwrap_or(l.replays);
            l.last_attempt = r.last_attempt.unwrap_or(l.last_attempt);
            if let Some(e) = &r.error {
                l.error = e.clone();
            }
            l.decision = "replay".to_owned();
            Fate::Replace(Box::new(l))
        }
    }
}

/// The ids in the quarantine file (a torn or unreadable line is no letter there).
fn quarantined_ids(path: &Path) -> Result<HashSet<String>, Error> {
    #[derive(Deserialize)]
    struct Id {
        #[serde(default)]
        id: String,
    }
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(HashSet::new());
    }
    Ok(read_ndjson_lenient::<Id>(path)?
        .records
        .into_iter()
        .filter(|i| !i.id.is_empty())
        .map(|i| i.id)
        .collect())
}

impl DeadLetterQueue {
    /// Applies a journal a crashed replay left, unless a replay holds it now.
    pub(crate) fn recover(&self) -> Result<(), Error> {
        if std::fs::symlink_metadata(self.journal_path()).is_err() {
            return Ok(());
        }
        let _one = self
            .replaying
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(mut journal) = Journal::try_acquire(&self.journal_path())? {
            self.apply(&mut journal)?;
            journal.remove()?;
        }
        Ok(())
    }

    /// Applies the journal's records to the queue in one rewrite that also gives every
    /// letter an id; returns the letters now queued and how many records were applied.
    fn apply(&self, journal: &mut Journal) -> Result<(Vec<DeadLetter>, usize, bool), Error> {
        let records = journal.read()?;
        let by_id: HashMap<&str, &Record> = records.iter().map(|r| (r.id.as_str(), r)).collect();
        // A letter can be in quarantine without its journal line (a crash between the two
        // fsyncs): the quarantine's copy wins.
        let quarantined = quarantined_ids(&self.quarantine_path())?;
        let mut slot = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let done = rewrite(&mut slot, &self.path, |letter| {
            match settle(letter, &by_id, &quarantined) {
                Fate::Keep if letter.id.is_empty() => {
                    let mut l = letter.clone();
                    l.id = crate::dead_letter::new_id();
                    Fate::Replace(Box::new(l))
                }
                fate => fate,
            }
        })?;
        drop(slot);
        if !records.is_empty() {
            journal.clear()?;
        }
        Ok((done.letters, records.len(), done.torn_tail))
    }

    /// Re-drives every item through `drive` once, with no retries, no breaker and no
    /// quarantine; keeps the items that fail again (attempts, error and time updated).
    ///
    /// # Errors
    /// As [`DeadLetterQueue::replay_with`].
    pub fn replay<E: fmt::Display>(
        &self,
        drive: impl FnMut(&serde_json::Value) -> Result<(), E>,
    ) -> Result<ReplayReport, Error> {
        let once = RetryPolicy::constant(std::time::Duration::ZERO).max_retries(0);
        self.replay_with(&ReplayOptions::new(&once).max_replays(u32::MAX), drive)
    }

    /// Replays every letter through `options`' policy (every error retried) and breaker.
    /// See [`DeadLetterQueue::replay_if`].
    ///
    /// ```
    /// use steadfast_retry::{CircuitBreaker, DeadLetterQueue, ManualClock, ReplayOptions, RetryPolicy};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?;
    /// let policy = RetryPolicy::constant(std::time::Duration::from_secs(1)).max_retries(0)
    ///     .manual_clock(&ManualClock::new());
    /// for page in 0..5 {
    ///     let err = policy.retry(|_| Err::<(), _>("503")).unwrap_err();
    ///     dlq.push_failed(&page, &err)?;
    /// }
    /// // The server is still down: the breaker stops the replay after 2 calls.
    /// let breaker = CircuitBreaker::builder().consecutive_failures(2).build();
    /// let options = ReplayOptions::new(&policy).breaker(&breaker).max_replays(1);
    /// let report = dlq.replay_with(&options, |_| Err("503"))?;
    /// assert_eq!((report.quarantined, report.not_attempted), (2, 3));
    /// assert_eq!((dlq.read()?.len(), dlq.read_quarantine()?.len()), (3, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`DeadLetterQueue::replay_if`].
    pub fn replay_with<E: fmt::Display>(
        &self,
        options: &ReplayOptions,
        drive: impl FnMut(&serde_json::Value) -> Result<(), E>,
    ) -> Result<ReplayReport, Error> {
        self.replay_if(options, AlwaysRetry, drive)
    }

    /// Replays every letter queued when it starts: each item goes through `drive` under the
    /// policy (retrying what `classify` says is transient) and the breaker. A success leaves
    /// the queue; a failure stays with its counts and error updated, or moves to quarantine
    /// once it has failed `max_replays` replays; when the breaker refuses, the replay stops
    /// and the rest stay untouched (`not_attempted`). Letters pushed meanwhile, by this
    /// process or another, stay queued.
    ///
    /// Each letter leaves the queue exactly once, even if the process is killed: outcomes
    /// are journalled as they happen and the next replay or open applies them. Delivery is
    /// at-least-once: a success whose journal line did not reach the disk is driven again
    /// after a crash, so `drive` must be idempotent (an HTTP request carries an idempotency
    /// key).
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use steadfast_retry::{DeadLetterQueue, IoErrors, ManualClock, ReplayOptions, RetryPolicy};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?;
    /// let policy = RetryPolicy::constant(std::time::Duration::from_secs(1)).max_retries(2)
    ///     .manual_clock(&ManualClock::new());
    /// let err = policy.retry(|_| Err::<(), _>("503")).unwrap_err();
    /// dlq.push_failed(&"GET /Patient/p1", &err)?;
    /// // A permanent error (permission denied) is not retried: one attempt, one failed replay.
    /// let mut calls = 0;
    /// let report = dlq.replay_if(&ReplayOptions::new(&policy), IoErrors, |_| {
    ///     calls += 1;
    ///     Err(Error::from(ErrorKind::PermissionDenied))
    /// })?;
    /// assert_eq!((calls, report.failed_again), (1, 1));
    /// assert_eq!(dlq.read()?[0].replays, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ReplayInProgress`] when another process is replaying this queue;
    /// [`Error::Core`] when a file cannot be read or written — what was journalled is
    /// applied by the next replay or open.
    pub fn replay_if<E, C, F>(
        &self,
        options: &ReplayOptions,
        classify: C,
        mut drive: F,
    ) -> Result<ReplayReport, Error>
    where
        E: fmt::Display,
        C: Classify<E>,
        F: FnMut(&serde_json::Value) -> Result<(), E>,
    {
        let _one = self
            .replaying
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(mut journal) = Journal::try_acquire(&self.journal_path())? else {
            return Err(Error::ReplayInProgress {
                path: self.journal_path(),
            });
        };
        let (letters, recovered, torn) = self.apply(&mut journal)?;
        let mut report = ReplayReport {
            recovered,
            torn_tail_dropped: torn,
            ..ReplayReport::default()
        };
        let policy = match &options.breaker {
            Some(b) => options.policy.clone().circuit_breaker(b.clone()),
            None => options.policy.clone(),
        };
        let classify = |e: &E| -> Decision { classify.classify(e) };
        let mut quarantine = None;
        let mut stopped = false;
        for mut letter in letters {
            if stopped {
                report.not_attempted += 1;
                continue;
            }
            let err = match policy.retry_if(classify, |_| drive(&letter.item)) {
                Ok(()) => {
                    journal.append(&record(&letter.id, Outcome::Done))?;
                    report.succeeded += 1;
                    continue;
                }
                Err(err) => err,
            };
            let circuit_open = matches!(err, RetryError::CircuitOpen { .. });
            stopped = circuit_open;
            if err.attempts() == 0 {
                report.not_attempted += 1;
                continue;
            }
            letter.attempts = letter.attempts.saturating_add(err.attempts());
            letter.replays = letter.replays.saturating_add(1);
            letter.last_attempt = Timestamp::now();
            letter.error = self.summarize(&err, &letter.item);
            letter.decision = "replay".to_owned();
            if letter.replays >= options.max_replays {
                let mut line = serde_json::to_vec(&letter).map_err(|source| Error::Serialize {
                    path: self.quarantine_path(),
                    source,
                })?;
                line.push(b'\n');
                append_line(&mut quarantine, &self.quarantine_path(), &line)?;
                journal.append(&record(&letter.id, Outcome::Quarantined))?;
                report.quarantined += 1;
            } else {
                journal.append(&Record {
                    attempts: Some(letter.attempts),
                    replays: Some(letter.replays),
                    last_attempt: Some(letter.last_attempt),
                    error: Some(letter.error),
                    ..record(&letter.id, Outcome::Failed)
                })?;
                report.failed_again += 1;
            }
        }
        self.apply(&mut journal)?;
        journal.remove()?;
        Ok(report)
    }
}
