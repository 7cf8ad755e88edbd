//! What a [`Run`](crate::Run) reports: [`RunError`] when it cannot start or finish,
//! [`ExportError`] when its metrics could not be exported (the run is unaffected), and
//! [`warn`] for a problem it survives.

use std::path::PathBuf;

use steadfast_core::config::ConfigError;

/// What can stop a run from starting or finishing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The configuration is invalid (every problem, located).
    #[error("invalid configuration\n{0}")]
    Config(#[from] ConfigError),
    /// The runs root cannot be written (checked before any work).
    #[error("runs root {path} is not writable: {source}; pass a writable --runs-root")]
    RootNotWritable {
        /// The runs root.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The run directory, manifest or lock.
    #[error(transparent)]
    Core(#[from] steadfast_core::Error),
    /// Disk preflight or monitoring.
    #[error(transparent)]
    Disk(#[from] steadfast_diskwatch::Error),
    /// The metrics recorder.
    #[error(transparent)]
    Metrics(#[from] steadfast_metrics::Error),
    /// The dead-letter queue or retry configuration.
    #[error(transparent)]
    Retry(#[from] steadfast_retry::Error),
    /// The profile could not be written.
    #[error(transparent)]
    Profile(#[from] steadfast_perf_profiler::Error),
    /// Validation could not judge the run.
    #[error(transparent)]
    Validation(#[from] steadfast_validation::Error),
    /// The run's Prometheus series could not be registered.
    #[cfg(feature = "prometheus")]
    #[error(transparent)]
    Prometheus(#[from] steadfast_prometheus::Error),
}

impl RunError {
    /// The process exit code: 2 for configuration and usage errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Config(_) | Self::RootNotWritable { .. } => 2,
            Self::Validation(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// Why a finished run's metrics were not exported (the run itself is unaffected).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The push, the textfile or registering the run's series failed.
    #[cfg(feature = "prometheus")]
    #[error(transparent)]
    Prometheus(#[from] steadfast_prometheus::Error),
    /// `[metrics] pushgateway` or `textfile` is set in a build without feature `prometheus`.
    #[error(
        "[metrics] pushgateway or textfile is set, but steadfast was built without its `prometheus` feature: nothing was exported; enable the feature or remove the keys"
    )]
    NotBuilt,
}

/// A problem the run survives (a page not written, an export failed): on stderr, where an
/// operator looks — the facade has no logger of its own.
pub(crate) fn warn(message: &str) {
    eprintln!("steadfast: {message}");
}
