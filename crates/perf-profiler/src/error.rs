//! The one error type of `steadfast-perf-profiler`.

use std::path::PathBuf;

/// Everything that can go wrong saving, reading or comparing profiles.
///
/// ```
/// let err = steadfast_perf_profiler::Snapshot::read("/nonexistent/profile.json").unwrap_err();
/// assert!(err.to_string().contains("/nonexistent/profile.json"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] steadfast_core::Error),
    /// A profile is not valid JSON of the expected shape.
    #[error("{path}: invalid profile: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column when known.
        message: String,
    },
    /// A profile of another format version.
    #[error(
        "{path}: profile format_version {found}, expected {expected}; re-record the baseline with this version",
        expected = crate::PROFILE_FORMAT_VERSION
    )]
    FormatVersion {
        /// The file.
        path: PathBuf,
        /// The version found (`none` when missing).
        found: String,
    },
}
