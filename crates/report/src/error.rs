//! The error type of `steadfast-report`.

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
    /// `validation/report.json` or `data-quality.json` cannot be read or is not a report
    /// (steadfast-validation's typed readers say where).
    #[error(transparent)]
    Validation(#[from] steadfast_validation::Error),
    /// `deadletter.ndjson` cannot be read (a bad line is not this: the page shows it).
    #[error(transparent)]
    DeadLetters(#[from] steadfast_retry::Error),
    /// `db-profile.json` cannot be read or is not a database profile.
    #[error(transparent)]
    Db(#[from] steadfast_db::Error),
}
