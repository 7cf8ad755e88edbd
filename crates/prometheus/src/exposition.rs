//! The text exposition of a registry, node_exporter's textfile, and the run's verdict as a
//! gauge (steadfast-validation's `RUN_VALIDATION_FAILED`, read by the
//! `SteadfastValidationFailed` alert).

use std::path::Path;

use steadfast_core::{Prefix, Status};
use steadfast_validation::series::RUN_VALIDATION_FAILED;

use crate::error::Error;

/// The exposition of `registry` in Prometheus text format.
///
/// ```
/// let registry = prometheus::Registry::new();
/// let prefix = steadfast_core::Prefix::default();
/// let verdict = steadfast_prometheus::RunStatusGauge::register(&registry, &prefix)?;
/// verdict.set(steadfast_core::Status::Fail);
/// let text = steadfast_prometheus::exposition(&registry)?;
/// assert!(text.contains("steadfast_run_validation_failed 1"));
/// # Ok::<(), steadfast_prometheus::Error>(())
/// ```
///
/// # Errors
/// [`Error::Encode`] when a metric family cannot be encoded.
pub fn exposition(registry: &prometheus::Registry) -> Result<String, Error> {
    let mut text = String::new();
    prometheus::TextEncoder::new()
        .encode_utf8(&registry.gather(), &mut text)
        .map_err(Error::Encode)?;
    Ok(text)
}

/// `<prefix>_run_validation_failed`: 0 while a run goes and when it passed or warned, 1
/// when it failed validation — registered when the run starts, so the series exists for
/// its whole life (and in its push), set when it finishes.
///
/// ```
/// use steadfast_core::{Prefix, Status};
///
/// let registry = prometheus::Registry::new();
/// let verdict = steadfast_prometheus::RunStatusGauge::register(&registry, &Prefix::default())?;
/// assert!(steadfast_prometheus::exposition(&registry)?.contains("steadfast_run_validation_failed 0"));
/// verdict.set(Status::Fail);
/// assert!(steadfast_prometheus::exposition(&registry)?.contains("steadfast_run_validation_failed 1"));
/// # Ok::<(), steadfast_prometheus::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RunStatusGauge(prometheus::IntGauge);

impl RunStatusGauge {
    /// Registers the gauge, at 0, into `registry` under `prefix`.
    ///
    /// # Errors
    /// [`Error::Register`] when the gauge is already registered there.
    pub fn register(registry: &prometheus::Registry, prefix: &Prefix) -> Result<Self, Error> {
        let failed = prometheus::IntGauge::new(
            prefix.name(RUN_VALIDATION_FAILED),
            "1 when the run failed validation, 0 when it passed or warned",
        )
        .map_err(Error::Register)?;
        registry
            .register(Box::new(failed.clone()))
            .map_err(Error::Register)?;
        Ok(Self(failed))
    }

    /// Sets the run's verdict: 1 for [`Status::Fail`], 0 otherwise.
    pub fn set(&self, status: Status) {
        self.0.set(i64::from(status == Status::Fail));
    }
}

/// Writes `registry` to `path` (it must end in `.prom`) for node_exporter's textfile
/// collector: to a temporary file in the same directory, fsynced, then renamed, so the
/// collector never reads half a file.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let registry = prometheus::Registry::new();
/// let c = prometheus::IntCounter::new("steadfast_records_total", "Records.")?;
/// registry.register(Box::new(c.clone()))?;
/// c.inc_by(3);
/// steadfast_prometheus::write_textfile(&registry, dir.path().join("steadfast.prom"))?;
/// let text = std::fs::read_to_string(dir.path().join("steadfast.prom"))?;
/// assert!(text.contains("steadfast_records_total 3"));
/// assert!(steadfast_prometheus::write_textfile(&registry, dir.path().join("x.txt")).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::TextfileName`] for a path not ending in `.prom` (the collector ignores it);
/// [`Error::Textfile`] when the file cannot be written.
pub fn write_textfile(
    registry: &prometheus::Registry,
    path: impl AsRef<Path>,
) -> Result<(), Error> {
    let path = path.as_ref();
    if path.extension().is_none_or(|e| e != "prom") {
        return Err(Error::TextfileName {
            path: path.to_path_buf(),
        });
    }
    let text = exposition(registry)?;
    steadfast_core::atomic_write(path, text).map_err(|source| Error::Textfile {
        path: path.to_path_buf(),
        source,
    })
}
