//! The audit trail: an append-only, fsync'd, hash-chained `audit.ndjson` — one per run (its
//! life: start, state transitions, steps, validations, configuration) and one per runs root
//! (cleanup's deletions). Each line carries the SHA-256 of the line before it, so an edited
//! or removed line breaks the chain, which [`verify`] finds and names.
//!
//! ```
//! use steadfast_core::audit::{AuditEvent, AuditLog, verify};
//! use steadfast_core::{RunDir, RunState};
//!
//! let root = tempfile::tempdir()?;
//! let run = RunDir::create(root.path(), "epic-fhir")?;
//! let log = AuditLog::in_run(&run)?;
//! log.append(&AuditEvent::Started { pipeline: "epic-fhir".into(), config_sha256: None })?;
//! let record = log.append(&AuditEvent::State {
//!     from: RunState::Running,
//!     to: RunState::Finished,
//! })?;
//! assert_eq!(record.seq, 1);
//!
//! let report = verify(log.path())?;
//! assert_eq!(report.lines, 2);
//! assert!(report.broken.is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(test)]
mod log_tests;
mod record;
mod seal;
mod tail;
#[cfg(test)]
mod tests;
mod verify;

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::run_dir::{RunDir, files};
use crate::time::Timestamp;

use record::{Link, sha256_hex};

pub use record::{AuditEvent, AuditRecord, GENESIS_PREV, MAX_LINE_BYTES};
pub use seal::verify_sealed;
pub use verify::{BreakReason, ChainBreak, VerifyReport, verify};

/// The longest `user` or `host` recorded, in bytes; longer ones are cut at a character
/// boundary.
const MAX_IDENTITY_BYTES: usize = 256;

/// An append-only, hash-chained audit trail (`audit.ndjson`), safe to share between threads
/// (`Send + Sync`) and between processes appending to the same file.
///
/// Each [`append`](Self::append) takes an exclusive OS advisory lock on the file, reads the
/// last line from the file (never from memory: another process may have appended), writes
/// one line chained onto it and waits until it is on disk.
///
/// ```
/// use steadfast_core::audit::{AuditEvent, AuditLog};
///
/// let root = tempfile::tempdir()?;
/// let log = AuditLog::in_root(root.path())?;
/// let record = log.append(&AuditEvent::Deleted {
///     run: "epic-fhir-20260101T000000Z-a1b2c3".into(),
///     bytes: 4096,
///     reason: "older than 30d".into(),
/// })?;
/// assert_eq!((record.seq, record.prev.as_str()), (0, steadfast_core::audit::GENESIS_PREV));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    user: String,
    host: String,
}

impl AuditLog {
    /// Opens the trail at `path`, creating it (and syncing its directory) if missing; a
    /// symbolic link, FIFO or device there is refused.
    ///
    /// # Errors
    /// [`Error::NotRegularFile`] naming what is there instead; [`Error::Io`] when it cannot
    /// be opened or created.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let log = Self {
            path: path.as_ref().to_path_buf(),
            user: user(),
            host: host(),
        };
        log.open_file()?;
        Ok(log)
    }

    /// Opens the file for one append, creating it (and syncing it and its directory) if
    /// missing. Each append opens the path afresh, so a trail replaced or removed since is
    /// never written through a stale descriptor.
    fn open_file(&self) -> Result<File> {
        let existed = std::fs::symlink_metadata(&self.path).is_ok();
        let file = crate::safe_fs::open_append(&self.path)?;
        if !existed {
            file.sync_all()
                .map_err(|e| Error::io("fsync", &self.path, e))?;
            let parent = match self.path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            crate::atomic::sync_dir(parent)?;
        }
        Ok(file)
    }

    /// The run's trail, `<run>/audit.ndjson`.
    ///
    /// # Errors
    /// As [`AuditLog::open`].
    pub fn in_run(run: &RunDir) -> Result<Self> {
        Self::open(run.join(files::AUDIT))
    }

    /// A runs root's trail, `<root>/audit.ndjson`, for cleanup's deletions.
    ///
    /// # Errors
    /// As [`AuditLog::open`].
    pub fn in_root(root: &Path) -> Result<Self> {
        Self::open(root.join(files::AUDIT))
    }

    /// The trail's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `event` as one line chained onto the file's last line, and waits until it is
    /// on disk; returns the record written.
    ///
    /// # Errors
    /// [`Error::AuditDamaged`] when the last line is incomplete (a write cut off by a crash)
    /// or not an audit record: the chain is never continued from a damaged line, and the
    /// file is never repaired behind the operator's back; [`Error::AuditRecordTooLong`]
    /// when the record would exceed [`MAX_LINE_BYTES`]; [`Error::Io`] when the file cannot
    /// be locked, read, written or synced (a partly written line is cut off again).
    pub fn append(&self, event: &AuditEvent) -> Result<AuditRecord> {
        // Each append opens its own file description, so the flock keeps threads of this
        // process apart as well as other processes (an flock is per open file description).
        let file = &self.open_file()?;
        file.lock().map_err(|e| Error::io("lock", &self.path, e))?;
        let _unlock = Unlock(file);
        let len = file
            .metadata()
            .map_err(|e| Error::io("inspect", &self.path, e))?
            .len();
        let (seq, prev) = if len == 0 {
            (0, GENESIS_PREV.to_owned())
        } else {
            self.continue_from(file, len)?
        };
        let record = AuditRecord {
            seq,
            at: Timestamp::now(),
            user: self.user.clone(),
            host: self.host.clone(),
            prev,
            event: event.clone(),
        };
        let mut line = serde_json::to_vec(&record).map_err(|source| Error::Serialize {
            what: "an audit record",
            source,
        })?;
        if line.len() as u64 > MAX_LINE_BYTES {
            return Err(Error::AuditRecordTooLong {
                path: self.path.clone(),
                bytes: line.len() as u64,
                limit: MAX_LINE_BYTES,
            });
        }
        line.push(b'\n');
        let mut writer = file;
        if let Err(e) = writer.write_all(&line) {
            // Never leave a fragment of our own behind (a full disk): cut back to where
            // this append started; we still hold the lock, so nobody appended since.
            let _ = file.set_len(len);
            return Err(Error::io("append to", &self.path, e));
        }
        file.sync_data()
            .map_err(|e| Error::io("fsync", &self.path, e))?;
        Ok(record)
    }

    /// The `seq` and `prev` of a line appended to a non-empty file of `len` bytes.
    fn continue_from(&self, file: &File, len: u64) -> Result<(u64, String)> {
        let read_err = |e| Error::io("read", &self.path, e);
        let damaged = |start: u64, problem: String| -> Result<(u64, String)> {
            let line = tail::count_lines(file, start).map_err(read_err)? + 1;
            Err(Error::AuditDamaged {
                path: self.path.clone(),
                line,
                problem,
            })
        };
        let verify_hint = format!(
            "check the trail with `steadfast audit verify {}`",
            self.path.display()
        );
        match tail::last_line(file, len, MAX_LINE_BYTES).map_err(read_err)? {
            tail::LastLine::Torn { start } => damaged(
                start,
                format!(
                    "it is incomplete ({} bytes without a newline: a write was cut off by a crash); \
                     {verify_hint}, then cut the fragment off with `truncate -s {start} {}`",
                    len - start,
                    self.path.display()
                ),
            ),
            tail::LastLine::TooLong { start } => damaged(
                start,
                format!(
                    "it is longer than {MAX_LINE_BYTES} bytes, not a line an audit trail writes; {verify_hint}"
                ),
            ),
            tail::LastLine::Complete { start, bytes } => match Link::parse(&bytes) {
                Ok(link) => match link.seq.checked_add(1) {
                    Some(seq) => Ok((seq, sha256_hex(&bytes))),
                    None => damaged(
                        start,
                        format!("its seq is the largest there is; {verify_hint}"),
                    ),
                },
                Err(_) => damaged(
                    start,
                    format!("it is not an audit record (it was edited or damaged); {verify_hint}"),
                ),
            },
        }
    }
}

/// Releases the advisory lock of an append, whichever way it ends.
struct Unlock<'a>(&'a File);

impl Drop for Unlock<'_> {
    fn drop(&mut self) {
        // Closing the file would release it too; an error here has nowhere to go.
        let _ = self.0.unlock();
    }
}

/// Who acts: `$USER`, else `$LOGNAME`, else `uid:<n>`.
fn user() -> String {
    #[allow(
        clippy::disallowed_methods,
        reason = "the audit trail records the operating system's user, which is not configuration"
    )]
    let named = ["USER", "LOGNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.trim().is_empty());
    let user = named.unwrap_or_else(|| {
        #[cfg(unix)]
        {
            format!("uid:{}", rustix::process::getuid().as_raw())
        }
        #[cfg(not(unix))]
        {
            "unknown".to_owned()
        }
    });
    bounded(user)
}

/// Where: `/proc/sys/kernel/hostname`, else `$HOSTNAME`, else `unknown`.
fn host() -> String {
    #[allow(
        clippy::disallowed_methods,
        reason = "the audit trail records the machine's name, which is not configuration"
    )]
    let from_env = || std::env::var("HOSTNAME").ok();
    let host = crate::safe_fs::read_regular_to_string(
        "/proc/sys/kernel/hostname",
        crate::safe_fs::Links::Refuse,
        4096,
    )
    .ok()
    .map(|s| s.trim().to_owned())
    .filter(|s| !s.is_empty())
    .or_else(|| {
        from_env()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
    .unwrap_or_else(|| "unknown".to_owned());
    bounded(host)
}

/// `s` cut to [`MAX_IDENTITY_BYTES`] at a character boundary.
fn bounded(mut s: String) -> String {
    if s.len() > MAX_IDENTITY_BYTES {
        let mut end = MAX_IDENTITY_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}
