//! [`Run`]: one pipeline run with everything wired — run directory, manifest and lock,
//! layered configuration, metrics, profiler, dead-letter queue, disk monitor and cleanup —
//! and, at [`finish`](Run::finish), validation and reports.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use steadfast_core::config::Effective;
use steadfast_core::{ActiveLock, RunDir, RunManifest, RunState, Status, StepRecord, Timestamp};
use steadfast_diskwatch::MonitorHandle;
use steadfast_metrics::Recorder;
use steadfast_perf_profiler::Profiler;
use steadfast_retry::{CircuitBreaker, DeadLetterQueue, RetryBudget, RetryPolicy};
use steadfast_validation::{ReportPaths, Thresholds, ValidationReport};

use crate::Settings;
use crate::error::{ExportError, RunError, warn};

/// One pipeline run with everything wired.
///
/// ```
/// let root = tempfile::tempdir()?;
/// let run = steadfast::Run::builder("epic-fhir")
///     .runs_root(root.path())
///     .set("validation.row_count_steps=[\"bronze\", \"silver\"]")
///     .env_vars::<_, String, String>([])
///     .start()?;
/// {
///     let mut bronze = run.step("bronze");
///     run.metrics().counter("bronze", "records").label("resource_type", "Patient").add(1000);
///     bronze.records_out(1000);
/// }
/// {
///     let mut silver = run.step("silver");
///     let _span = run.profiler().span("silver.flatten");
///     run.metrics().counter("silver", "records").add(990);
///     silver.records_in(1000).records_out(990);
/// }
/// let report = run.finish()?;
/// assert_eq!(report.exit_code(), 0);
/// assert!(report.run_dir.join("profile.json").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Run {
    pub(crate) dir: RunDir,
    pub(crate) lock: Option<ActiveLock>,
    pub(crate) manifest: Mutex<RunManifest>,
    pub(crate) settings: Effective<Settings>,
    pub(crate) thresholds: Effective<Thresholds>,
    pub(crate) recorder: Recorder,
    pub(crate) profiler: Profiler,
    pub(crate) dead_letters: DeadLetterQueue,
    pub(crate) policy: RetryPolicy,
    pub(crate) breaker: Option<CircuitBreaker>,
    pub(crate) budget: Option<RetryBudget>,
    pub(crate) monitor: Option<(steadfast_diskwatch::Monitor, MonitorHandle)>,
    #[cfg(feature = "prometheus")]
    pub(crate) series: steadfast_prometheus::RunSeries,
    /// Process memory into `profile.json`, every `[profiler] memory_interval`.
    #[cfg(feature = "memory")]
    pub(crate) memory: Option<steadfast_perf_profiler::MemorySampler>,
    pub(crate) cleaned_runs: usize,
    pub(crate) finished: bool,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// What a finished run produced.
#[derive(Debug)]
pub struct RunReport {
    /// The run directory.
    pub run_dir: PathBuf,
    /// The run's validation.
    pub validation: ValidationReport,
    /// The reports written into `validation/`.
    pub reports: ReportPaths,
    /// The Pushgateway push or textfile write, when configured: `Err` holds why it failed
    /// (it never fails the run).
    pub exported: Option<Result<(), ExportError>>,
}

impl RunReport {
    /// 0 pass or warn, 1 fail.
    pub fn exit_code(&self) -> i32 {
        self.validation.exit_code()
    }
}

impl Run {
    /// The run directory.
    pub fn dir(&self) -> &RunDir {
        &self.dir
    }

    /// The run id (the directory's name).
    pub fn id(&self) -> &str {
        self.dir.id()
    }

    /// The effective configuration.
    pub fn settings(&self) -> &Settings {
        self.settings.value()
    }

    /// The effective configuration with the origin of every value.
    pub fn effective_settings(&self) -> &Effective<Settings> {
        &self.settings
    }

    /// The metrics recorder, writing `metrics.ndjson` in the run.
    pub fn metrics(&self) -> &Recorder {
        &self.recorder
    }

    /// The profiler; its snapshot becomes `profile.json`.
    pub fn profiler(&self) -> &Profiler {
        &self.profiler
    }

    /// The dead-letter queue, `deadletter.ndjson` in the run.
    pub fn dead_letters(&self) -> &DeadLetterQueue {
        &self.dead_letters
    }

    /// The run's Prometheus registry (feature `prometheus`): every series of what it runs,
    /// under `[metrics] prometheus_prefix` — serve it, or let [`finish`](Self::finish) push it.
    #[cfg(feature = "prometheus")]
    pub fn prometheus_registry(&self) -> &steadfast_prometheus::prometheus::Registry {
        self.series.registry()
    }

    /// The retry policy of `[retry]`, sharing the run's circuit breaker and retry budget
    /// (and, with feature `prometheus`, its retry series, labelled with the pipeline).
    pub fn retry(&self) -> RetryPolicy {
        let mut policy = self.policy.clone();
        #[cfg(feature = "prometheus")]
        {
            policy = policy.metrics(self.series.retry().clone());
        }
        if let Some(b) = &self.breaker {
            policy = policy.circuit_breaker(b.clone());
        }
        if let Some(b) = &self.budget {
            policy = policy.budget(b.clone());
        }
        policy
    }

    /// The circuit breaker shared by [`retry`](Self::retry) policies, if enabled.
    pub fn circuit_breaker(&self) -> Option<&CircuitBreaker> {
        self.breaker.as_ref()
    }

    /// Old runs deleted by the cleanup policy at start.
    pub fn cleaned_runs(&self) -> usize {
        self.cleaned_runs
    }

    /// Starts step `name`: recorded in the manifest now, finished when the [`Step`] drops.
    pub fn step(&self, name: &str) -> Step<'_> {
        let started = Timestamp::now();
        self.update_manifest(|m| m.steps.push(StepRecord::new(name, started)));
        Step {
            run: self,
            name: name.to_owned(),
            records_in: None,
            records_out: None,
            status: None,
            started: std::time::Instant::now(),
        }
    }

    fn update_manifest(&self, f: impl FnOnce(&mut RunManifest)) {
        let mut m = self.manifest.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut m);
        if let Err(e) = self.dir.write_manifest(&m) {
            warn(&format!("cannot update run.json: {e}"));
        }
    }

    /// Flushes metrics, writes `profile.json`, validates the run against its thresholds,
    /// writes the reports, completes the manifest and releases the lock.
    ///
    /// # Errors
    /// [`RunError`] when metrics cannot be flushed, the profile or reports cannot be
    /// written, or validation cannot judge the run; the manifest then says `aborted`.
    pub fn finish(mut self) -> Result<RunReport, RunError> {
        let result = self.finish_inner();
        if result.is_err() {
            self.abort();
        }
        self.finished = true;
        result
    }

    /// Stops the disk monitor and (feature `memory`) the memory sampler, after a last sample.
    fn stop_watching(&mut self) {
        if let Some((_, handle)) = self.monitor.take() {
            handle.stop();
        }
        #[cfg(feature = "memory")]
        if let Some(sampler) = self.memory.take() {
            sampler.sample_now();
        }
    }

    fn finish_inner(&mut self) -> Result<RunReport, RunError> {
        self.stop_watching();
        self.recorder.close()?;
        self.profiler.snapshot().write(self.dir.profile_path())?;
        // This process holds the run's lock and is finishing it: no `run_complete` rule.
        let validation = steadfast_validation::validate_run_with(
            self.dir.path(),
            self.thresholds.value(),
            steadfast_validation::Incomplete::Finishing,
            Timestamp::now(),
        )?;
        // The run's verdict, for the `SteadfastValidationFailed` alert.
        #[cfg(feature = "prometheus")]
        self.series.set_verdict(validation.status);
        let exported = self.export();
        let reports =
            steadfast_validation::write_reports(&self.dir, &validation, Some(&self.thresholds))?;
        self.update_manifest(|m| {
            m.state = RunState::Finished;
            m.finished = Some(Timestamp::now());
            m.status = Some(validation.status);
        });
        // The run's page; a failure to render it is a warning, not a failed run.
        #[cfg(feature = "report")]
        if let Err(e) = steadfast_report::write_page(self.dir.path()) {
            warn(&format!("cannot write the run's page: {e}"));
        }
        if let Some(lock) = self.lock.take() {
            lock.release()?;
        }
        Ok(RunReport {
            run_dir: self.dir.path().to_path_buf(),
            validation,
            reports,
            exported,
        })
    }

    /// Pushes the run's metrics to `[metrics] pushgateway` and writes `[metrics] textfile`,
    /// when configured. Failures are warnings: the run's data is already safe on disk.
    fn export(&self) -> Option<Result<(), ExportError>> {
        let m = &self.settings.value().metrics;
        if m.pushgateway.is_none() && m.textfile.is_none() {
            return None;
        }
        let result = self.export_to();
        if let Err(e) = &result {
            warn(&format!(
                "metrics export failed (the run is unaffected): {e}"
            ));
        }
        Some(result)
    }

    #[cfg(feature = "prometheus")]
    fn export_to(&self) -> Result<(), ExportError> {
        let m = &self.settings.value().metrics;
        let (pipeline, host) = self
            .manifest
            .lock()
            .map(|m| (m.pipeline.clone(), m.host.clone()))
            .unwrap_or_default();
        let gateway = m.pushgateway.as_deref();
        Ok(self
            .series
            .deliver(&pipeline, &host, gateway, m.textfile.as_deref())?)
    }

    #[cfg(not(feature = "prometheus"))]
    fn export_to(&self) -> Result<(), ExportError> {
        Err(ExportError::NotBuilt)
    }

    fn abort(&mut self) {
        self.stop_watching();
        let _ = self.recorder.close();
        let _ = self.profiler.snapshot().write(self.dir.profile_path());
        self.update_manifest(|m| {
            m.state = RunState::Aborted;
            m.finished = Some(Timestamp::now());
            m.status = Some(Status::Fail);
        });
        if let Some(lock) = self.lock.take() {
            let _ = lock.release();
        }
    }
}

impl Drop for Run {
    /// A run dropped without [`finish`](Run::finish) is marked aborted; its metrics and
    /// profile are flushed first, so nothing recorded is lost.
    fn drop(&mut self) {
        if !self.finished {
            self.abort();
        }
    }
}

/// A step of a run: start and end in the manifest, its duration as the
/// `<step>.duration_seconds` gauge, records in and out.
#[derive(Debug)]
pub struct Step<'a> {
    run: &'a Run,
    name: String,
    records_in: Option<u64>,
    records_out: Option<u64>,
    status: Option<Status>,
    started: std::time::Instant,
}

impl Step<'_> {
    /// Records read by the step.
    pub fn records_in(&mut self, n: u64) -> &mut Self {
        self.records_in = Some(n);
        self
    }

    /// Records written by the step.
    pub fn records_out(&mut self, n: u64) -> &mut Self {
        self.records_out = Some(n);
        self
    }

    /// Marks the step's outcome (default: pass).
    pub fn status(&mut self, status: Status) -> &mut Self {
        self.status = Some(status);
        self
    }
}

impl Drop for Step<'_> {
    fn drop(&mut self) {
        let took = self.started.elapsed();
        self.run
            .recorder
            .gauge(
                &self.name,
                steadfast_validation::series::STEP_DURATION_SECONDS,
            )
            .set(took.as_secs_f64());
        let (name, rin, rout, status) =
            (&self.name, self.records_in, self.records_out, self.status);
        self.run.update_manifest(|m| {
            if let Some(step) = m.steps.iter_mut().rev().find(|s| &s.name == name) {
                step.finished = Some(Timestamp::now());
                step.records_in = rin;
                step.records_out = rout;
                step.status = Some(status.unwrap_or(Status::Pass));
            }
        });
    }
}
