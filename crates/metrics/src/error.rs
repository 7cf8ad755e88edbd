//! The error type of `steadfast-metrics`.

use std::path::PathBuf;

/// What can go wrong recording or persisting metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A metric or label name is empty or has no usable character.
    #[error("invalid metric {what} {name:?}: {reason}")]
    InvalidName {
        /// `name`, `step` or `label name`.
        what: &'static str,
        /// The name as given.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A counter was given a value that is not a finite, non-negative number.
    #[error("invalid counter increment {value} for {name:?}: expected a finite number ≥ 0")]
    InvalidValue {
        /// The metric.
        name: String,
        /// The value given.
        value: f64,
    },
    /// The same series was used as two kinds (a counter and a gauge).
    #[error("metric {name:?} is a {existing}, not a {requested}; use another name")]
    KindMismatch {
        /// The metric.
        name: String,
        /// The kind it was first used as.
        existing: &'static str,
        /// The kind asked for now.
        requested: &'static str,
    },
    /// Writing the metrics file failed; recording goes on in memory and the next flush
    /// retries with everything since the last successful one.
    #[error("cannot persist metrics to {path}")]
    Persist {
        /// The metrics file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: steadfast_core::Error,
    },
    /// The recorder was closed.
    #[error("the recorder is closed")]
    Closed,
    /// Reading a run's metrics failed.
    #[error(transparent)]
    Read(#[from] steadfast_core::Error),
}
