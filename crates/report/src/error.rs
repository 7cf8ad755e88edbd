//! The error type of `steadfast-report`.

use std::path::PathBuf;

/// Why a run could not be read for its page.
///
/// ```
/// let not_a_run = tempfile::tempdir()?;
/// let err = steadfast_report::RunView::load(not_a_run.path()).unwrap_err();
/// assert!(matches!(err, steadfast_report::Error::Core(_)), "{err}");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The directory is not a run, or its manifest or a file cannot be read.
    #[error(transparent)]
    Core(#[from] steadfast_core::Error),
    /// `metrics.ndjson` cannot be read.
    #[error(transparent)]
    Metrics(#[from] steadfast_metrics::Error),
    /// `profile.json` cannot be read.
    #[error(transparent)]
    Profile(#[from] steadfast_perf_profiler::Error),
    /// `disk-events.ndjson` cannot be read (a bad line is not this: the page shows it).
    #[error(transparent)]
    Disk(#[from] steadfast_diskwatch::Error),
    /// A JSON file of the run is not what its writer writes.
    #[error(
        "{}:{line}:{column}: not a valid {what}: {message}; the file is damaged or written by another version",
        path.display()
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the file should hold (`validation report`).
        what: &'static str,
        /// What the parser said.
        message: String,
    },
}
