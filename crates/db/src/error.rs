//! `Error`: what can go wrong reading and writing a run's database profile.

use std::path::PathBuf;

/// This crate's error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A run file could not be read or written (core's safe and atomic file helpers).
    #[error(transparent)]
    Core(#[from] steadfast_core::Error),
    /// A profile file is not the JSON this crate writes.
    #[error("{path}:{line}:{column}: not a database profile: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// A profile written by a newer Steadfast.
    #[error(
        "{path}: db-profile format_version {found} is newer than this reader's {supported}; upgrade steadfast"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The newest version this reader knows.
        supported: u32,
    },
    /// A DuckDB profiling file that is not DuckDB's JSON profiling output.
    #[error(
        "{path}: not a DuckDB JSON profiling output ({message}); was it written with PRAGMA enable_profiling = 'json'?"
    )]
    DuckDb {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// Text that is not DuckDB's JSON profiling output.
    #[error("not a DuckDB JSON profiling output: {message}")]
    DuckDbText {
        /// What was wrong.
        message: String,
    },
}

impl Error {
    /// A serde_json error in `path` as [`Error::Parse`].
    pub(crate) fn parse(path: &std::path::Path, e: &serde_json::Error) -> Self {
        Self::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}
