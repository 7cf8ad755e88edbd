//! The one error type of `steadfast-core`: every variant names the path or text at fault.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in `steadfast-core`.
///
/// Each variant carries what a person needs to act: the path, the line, the text that was
/// given and what was expected.
///
/// ```
/// let err = "10 GBB".parse::<steadfast_core::ByteSize>().unwrap_err();
/// assert!(err.to_string().contains("10 GBB"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file system operation failed.
    #[error("cannot {op} {path}")]
    Io {
        /// What was being done, as a verb phrase ("create directory", "read").
        op: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A Prometheus series prefix that Prometheus would refuse.
    #[error("invalid series prefix {prefix:?}: {reason}; use [a-zA-Z_][a-zA-Z0-9_]*")]
    InvalidPrefix {
        /// The prefix given.
        prefix: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The runs root exists but is not a directory.
    #[error(
        "runs root {path} is a file, expected a directory; pass a directory path or remove the file"
    )]
    RunRootIsFile {
        /// The offending path.
        path: PathBuf,
    },
    /// A directory that was opened as a run is not one.
    #[error("{path} is not a run directory: {reason}")]
    NotARunDir {
        /// The directory.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// A pipeline name cannot be used in a run directory name.
    #[error(
        "invalid pipeline name {name:?}: {reason}; use 1-64 characters from a-z, A-Z, 0-9, '_' and '-'"
    )]
    InvalidPipelineName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A JSON document (manifest, record) could not be parsed.
    #[error("{path}:{line}:{column}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong, from the parser.
        message: String,
    },
    /// A manifest was written by a newer (or unknown) format version.
    #[error(
        "{path}: unsupported manifest format_version {found}, expected {oldest} to {expected}; upgrade steadfast to read this run"
    )]
    UnsupportedManifestVersion {
        /// The manifest file.
        path: PathBuf,
        /// The version found in the file (or `missing`).
        found: String,
        /// The oldest version this build reads.
        oldest: u32,
        /// The newest version this build reads (the one it writes).
        expected: u32,
    },
    /// Another process holds the run's `.active` lock.
    #[error("run {path} is active: another process holds its .active lock")]
    RunActive {
        /// The run directory.
        path: PathBuf,
    },
    /// A size (`10GiB`, `500MB`) could not be parsed.
    #[error(
        "invalid size {text:?}: {reason}; expected a number with an optional unit, like `500MB`, `10GiB` or `1048576`"
    )]
    InvalidSize {
        /// The text as given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A percentage (`85%`) could not be parsed.
    #[error(
        "invalid size or percentage {text:?}: {reason}; expected a size like `10GiB` or a percentage like `85%`"
    )]
    InvalidSizeOrPercent {
        /// The text as given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A duration (`30s`, `5m`) could not be parsed.
    #[error(
        "invalid duration {text:?}: {reason}; expected a number of seconds or a value with a unit, like `250ms`, `30s`, `5m` or `1h 30m`"
    )]
    InvalidDuration {
        /// The text as given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A path that must be a regular file is something else (a FIFO, a device, a link where
    /// none may be followed, a directory).
    #[error(
        "{path} is {found}, expected a regular file; give a regular file (a FIFO, device or link is never read or written through)"
    )]
    NotRegularFile {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        found: &'static str,
    },
    /// A file is larger than what is read of it.
    #[error(
        "{path} is larger than {limit} bytes, the most read of it; check that it is the file meant"
    )]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// An audit trail cannot be continued from its last line: the line is incomplete (a
    /// write cut off by a crash) or not an audit record. The file is never repaired
    /// automatically; `problem` says how to check and fix it.
    #[error("{path}:{line}: the audit chain cannot continue from this line: {problem}")]
    AuditDamaged {
        /// The audit file.
        path: PathBuf,
        /// 1-based line the chain would continue from.
        line: u64,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// An audit record would be longer than the longest line an audit trail holds.
    #[error(
        "{path}: an audit record of {bytes} bytes is longer than {limit}, the longest line an audit trail holds; shorten the event's texts"
    )]
    AuditRecordTooLong {
        /// The audit file.
        path: PathBuf,
        /// The record's length as one line.
        bytes: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// A value could not be serialised (a bug in the caller's type, not user input).
    #[error("cannot serialise {what}")]
    Serialize {
        /// What was being serialised.
        what: &'static str,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// Builds an [`Error::Io`] for `op` on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Builds an [`Error::Json`] from a `serde_json` error, keeping its line and column.
    pub fn json(path: impl Into<PathBuf>, err: &serde_json::Error) -> Self {
        Self::json_at(path, err.line().max(1), err.column().max(1), err)
    }

    /// Builds an [`Error::Json`] for a document that sits at `line` of a larger file.
    pub(crate) fn json_at(
        path: impl Into<PathBuf>,
        line: usize,
        column: usize,
        err: &serde_json::Error,
    ) -> Self {
        // serde_json's Display appends " at line L column C"; we say that ourselves.
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_owned(),
            None => full,
        };
        Self::Json {
            path: path.into(),
            line,
            column,
            message,
        }
    }
}

/// `Result` with [`Error`] as the error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
