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
    /// The run's database profile could not be written.
    #[cfg(feature = "db")]
    #[error(transparent)]
    Db(#[from] steadfast_db::Error),
    /// The health checks could not be built, or the server could not bind its address.
    #[cfg(feature = "server")]
    #[error(transparent)]
    Health(#[from] steadfast_healthcheck::Error),
    /// The health server's runtime or thread could not be started.
    #[cfg(feature = "server")]
    #[error("cannot start the health server's runtime: {0}")]
    Runtime(#[source] std::io::Error),
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

/// The exit of a pipeline's `main`: the run's verdict (0 pass or warn, 1 fail), or its
/// error on stderr with its exit code — [`RunError::exit_code`] (2 for configuration and
/// usage errors) for a `RunError`, 1 for any other error. Returning an error from `main`
/// would exit 1 whatever it was.
///
/// ```no_run
/// use std::process::ExitCode;
///
/// type Error = Box<dyn std::error::Error + Send + Sync>;
///
/// fn pipeline() -> Result<steadfast_run::RunReport, Error> {
///     let run = steadfast_run::Run::builder("epic").start()?; // a RunError: exit 2 if configuration
///     // … steps, with `?` on any error …
///     Ok(run.finish()?)
/// }
///
/// fn main() -> ExitCode {
///     steadfast_run::exit(pipeline())
/// }
/// ```
pub fn exit<E>(result: Result<crate::RunReport, E>) -> std::process::ExitCode
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let code = match result {
        Ok(report) => report.exit_code(),
        Err(e) => {
            let e = e.into();
            eprintln!("error: {e}");
            e.downcast_ref::<RunError>().map_or(1, RunError::exit_code)
        }
    };
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
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
