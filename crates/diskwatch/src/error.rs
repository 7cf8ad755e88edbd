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
    /// A run could not be deleted, and nothing of it was.
    #[error(
        "cannot delete run {run} ({path}): {}; nothing of it was deleted; check the permissions of the runs root",
        chain(.source)
    )]
    DeleteRefused {
        /// The run id.
        run: String,
        /// The run directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: steadfast_core::Error,
    },
    /// A run's deletion failed half-way: it is partly deleted.
    #[error(
        "run {run} is partly deleted: {}; what is left is in {left} (no longer a usable run); the next cleanup retries it, or remove it by hand (an immutable file needs `chattr -i` first)",
        chain(.source)
    )]
    PartlyDeleted {
        /// The run id.
        run: String,
        /// Where what is left lies (`.deleting-<id>` under the runs root).
        left: PathBuf,
        /// Why the deletion stopped.
        #[source]
        source: steadfast_core::Error,
    },
    /// A run-directory operation failed.
    #[error(transparent)]
    Core(#[from] steadfast_core::Error),
}

/// An error and its causes in one line (`cannot delete …: Operation not permitted`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
