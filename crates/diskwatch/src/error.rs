//! The error type of `steadfast-diskwatch`.

use std::path::PathBuf;

use steadfast_core::ByteSize;

/// What can go wrong checking disks or cleaning runs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `statvfs` (or reading memory) failed.
    #[error("cannot check free space of {path}")]
    Check {
        /// The path checked.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// No ancestor of the path exists (not even `/`).
    #[error(
        "{path} has no existing ancestor to check; pass an absolute path on a mounted filesystem"
    )]
    NoAncestor {
        /// The path given.
        path: PathBuf,
    },
    /// A preflight requirement is not met.
    #[error("not enough {what} for this step: need {needed}, {available} available{hint}", needed = needed.human(), available = available.human())]
    Insufficient {
        /// `disk space on <path>` or `memory`.
        what: String,
        /// What the step needs.
        needed: ByteSize,
        /// What there is.
        available: ByteSize,
        /// What to do about it (starts with `; `), or empty.
        hint: String,
    },
    /// The runs root given to cleanup is unusable.
    #[error("cannot clean {path}: {reason}")]
    BadRoot {
        /// The root.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A run-directory operation failed.
    #[error(transparent)]
    Core(#[from] steadfast_core::Error),
}
