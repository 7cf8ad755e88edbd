//! [`RunSeries`]: a pipeline run's one registry — every series of what it runs (metrics
//! recorder, profiler, disk monitor and cleanup, retries with their breaker and budget) and
//! its verdict, under one prefix, registered when it starts: what `steadfast::Run` serves and
//! pushes, and what the rules of [`alert_rules`](crate::alert_rules)' run groups read.

use steadfast_core::{Prefix, Status};
use steadfast_diskwatch::{CleanupMetrics, Monitor};
use steadfast_metrics::Recorder;
use steadfast_perf_profiler::Profiler;
use steadfast_retry::{CircuitBreaker, RetryBudget, RetryMetrics};

use crate::error::Error;
use crate::exposition::RunStatusGauge;

/// The parts of a run whose series it exports.
#[derive(Clone, Copy)]
pub struct RunParts<'a> {
    /// The pipeline's name: its retries' `dependency` label.
    pub pipeline: &'a str,
    /// The run's metrics.
    pub recorder: &'a Recorder,
    /// The run's profiler.
    pub profiler: &'a Profiler,
    /// The disk monitor of its runs root.
    pub monitor: &'a Monitor,
    /// The circuit breaker its retries share, if any.
    pub breaker: Option<&'a CircuitBreaker>,
    /// The retry budget its retries share, if any.
    pub budget: Option<&'a RetryBudget>,
}

impl std::fmt::Debug for RunParts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunParts")
            .field("pipeline", &self.pipeline)
            .finish_non_exhaustive()
    }
}

/// What a run registered, and the handles it records through later.
///
/// ```
/// use steadfast_core::{Prefix, Status};
/// use steadfast_diskwatch::{DiskSpace, Monitor};
/// use steadfast_prometheus::{RunParts, RunSeries};
///
/// let (recorder, profiler) = (steadfast_metrics::Recorder::in_memory(), steadfast_perf_profiler::Profiler::new());
/// let monitor = Monitor::builder("/data")
///     .source(|p: &std::path::Path| Ok(DiskSpace::new(p, 1000, 100)))
///     .build()?;
/// let parts = RunParts { pipeline: "nightly", recorder: &recorder, profiler: &profiler, monitor: &monitor, breaker: None, budget: None };
/// let series = RunSeries::register(&Prefix::new("acme")?, &parts)?;
/// series.set_verdict(Status::Fail);
/// let text = steadfast_prometheus::exposition(series.registry())?;
/// assert!(text.contains("acme_run_validation_failed 1"));
/// assert!(text.contains(r#"acme_retry_give_ups_total{dependency="nightly",reason="exhausted"} 0"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RunSeries {
    registry: prometheus::Registry,
    retry: RetryMetrics,
    verdict: RunStatusGauge,
    cleanup: CleanupMetrics,
}

impl RunSeries {
    /// Registers every series of `parts` under `prefix` in a new registry: each crate's
    /// `register_prometheus(&Registry, &Prefix)`, retries labelled with the pipeline's name
    /// (watching its breaker and budget), and `<prefix>_run_validation_failed` at 0.
    ///
    /// # Errors
    /// [`Error::Register`] when two parts' series collide.
    pub fn register(prefix: &Prefix, parts: &RunParts<'_>) -> Result<Self, Error> {
        let registry = prometheus::Registry::new();
        let r = &registry;
        parts
            .recorder
            .register_prometheus(r, prefix)
            .map_err(Error::Register)?;
        parts
            .profiler
            .register_prometheus(r, prefix)
            .map_err(Error::Register)?;
        parts
            .monitor
            .register_prometheus(r, prefix)
            .map_err(Error::Register)?;
        let cleanup = CleanupMetrics::register(r, prefix).map_err(Error::Register)?;
        let retry = RetryMetrics::register_prometheus(r, prefix, parts.pipeline)
            .map_err(Error::Register)?;
        if let Some(b) = parts.breaker {
            retry.watch_breaker(b);
        }
        if let Some(b) = parts.budget {
            retry.watch_budget(b);
        }
        let verdict = RunStatusGauge::register(r, prefix)?;
        Ok(Self {
            registry,
            retry,
            verdict,
            cleanup,
        })
    }

    /// The registry: serve it, push it ([`push_blocking`](crate::push_blocking)) or write
    /// it ([`write_textfile`](crate::write_textfile)).
    pub fn registry(&self) -> &prometheus::Registry {
        &self.registry
    }

    /// The retry series, for the run's retry policies (`RetryPolicy::metrics`).
    pub fn retry(&self) -> &RetryMetrics {
        &self.retry
    }

    /// The cleanup counters, for what the run's start-up cleanup did.
    pub fn cleanup(&self) -> &CleanupMetrics {
        &self.cleanup
    }

    /// Delivers the registry once the run is over: pushed to `pushgateway` (grouped by `job`
    /// = `pipeline` and `instance`, never by run) and written to node_exporter's `textfile`,
    /// each when given — both are tried, so a Pushgateway outage does not lose the textfile.
    ///
    /// # Errors
    /// [`Error`] from the push, else from the textfile write.
    #[cfg(feature = "push")]
    pub fn deliver(
        &self,
        pipeline: &str,
        instance: &str,
        pushgateway: Option<&str>,
        textfile: Option<&std::path::Path>,
    ) -> Result<(), Error> {
        let pushed = pushgateway.map_or(Ok(()), |url| {
            crate::push_blocking(url, pipeline, &[("instance", instance)], &self.registry)
        });
        let written = textfile.map_or(Ok(()), |path| crate::write_textfile(&self.registry, path));
        pushed.and(written)
    }

    /// Sets the run's verdict (`SteadfastValidationFailed` reads it).
    pub fn set_verdict(&self, status: Status) {
        self.verdict.set(status);
    }
}
