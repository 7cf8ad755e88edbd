//! The one error type of `steadfast-validation`, and the exit code each error maps to.

use std::path::{Path, PathBuf};

use steadfast_core::config::ConfigError;

/// Everything that stops a validation from producing a report.
///
/// [`exit_code`](Self::exit_code) maps each to the command-line convention: 2 for a usage or
/// configuration error (fix the command or the thresholds), 1 when the run itself cannot
/// pass (it has no metrics to judge).
///
/// ```
/// use steadfast_validation::Error;
/// let err = Error::RunNotFound { path: "runs/nope".into() };
/// assert_eq!(err.exit_code(), 2);
/// assert!(err.to_string().contains("runs/nope"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The run directory does not exist.
    #[error("run directory {path} does not exist; pass the directory of a run (it holds run.json)")]
    RunNotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The directory is not a readable run, or one of its files is broken.
    #[error(transparent)]
    Run(#[from] steadfast_core::Error),
    /// The run has no `metrics.ndjson`.
    #[error(
        "run {path} has no metrics.ndjson: nothing to validate against; record metrics with steadfast-metrics and close the recorder before validating"
    )]
    NoMetrics {
        /// The run directory.
        path: PathBuf,
    },
    /// The run's metrics could not be read.
    #[error(transparent)]
    Metrics(#[from] steadfast_metrics::Error),
    /// The thresholds configuration is invalid (every problem, located).
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// An input to the data-quality checks cannot be used as given.
    #[error("{}: {message}", .path.display())]
    Input {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A report read back from a run is not what this crate writes.
    #[error(
        "{}:{line}:{column}: not a valid {what}: {message}; the file is damaged or written by another version",
        path.display()
    )]
    Report {
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
    /// A scan worker failed in a way that is a bug in Steadfast.
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// A metric selector (`[step.]name[{label=value}][:aggregate]`) does not parse.
    #[error("{problem}")]
    InvalidSelector {
        /// The selector as written.
        text: String,
        /// What is wrong with it and how to write it.
        problem: String,
    },
    /// A field path (`code.coding[0].system`) does not parse.
    #[error("'{text}' is not a field path: {reason}; write one like `code.coding[0].system`")]
    InvalidFieldPath {
        /// The path as written.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A report format name is none of `text`, `json`, `markdown` (`md`), `junit`.
    #[error("unknown format '{name}'; use text, json, markdown or junit")]
    UnknownFormat {
        /// The name as given.
        name: String,
    },
    /// Rules name metrics that this run never recorded (likely typos).
    #[error("{}", .problems.join("\n"))]
    UnknownMetrics {
        /// One line per rule and metric, with the nearest recorded name.
        problems: Vec<String>,
    },
}

impl Error {
    /// The process exit code: 2 for usage and configuration errors, 1 when the run cannot
    /// be validated because of its own content.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::NoMetrics { .. } | Self::Metrics(_) | Self::Internal(_) => 1,
            Self::RunNotFound { .. }
            | Self::Run(_)
            | Self::Config(_)
            | Self::Input { .. }
            | Self::InvalidSelector { .. }
            | Self::InvalidFieldPath { .. }
            | Self::UnknownFormat { .. }
            | Self::UnknownMetrics { .. }
            | Self::Report { .. } => 2,
        }
    }
}

/// An I/O failure on `path` while `action`ing it (`read`, `list`, `resolve`).
pub(crate) fn io_error(action: &'static str, path: &Path, e: std::io::Error) -> Error {
    Error::Run(steadfast_core::Error::io(action, path, e))
}
