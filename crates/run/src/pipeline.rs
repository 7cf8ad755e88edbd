//! [`Run`]: one pipeline run with everything wired — run directory, manifest and lock,
//! layered configuration, metrics, profiler, dead-letter queue, disk monitor and cleanup —
//! and, at [`finish`](Run::finish), validation and reports.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use steadfast_core::audit::{AuditEvent, AuditLog};
use steadfast_core::config::Effective;
use steadfast_core::{ActiveLock, RunDir, RunManifest, RunState, Status, Timestamp};
use steadfast_diskwatch::MonitorHandle;
use steadfast_metrics::Recorder;
use steadfast_perf_profiler::Profiler;
use steadfast_retry::{CircuitBreaker, DeadLetterQueue, RetryBudget, RetryPolicy};
use steadfast_validation::{ReportPaths, Thresholds, ValidationReport};

use crate::Settings;
use crate::artefacts::Artefacts;
use crate::error::{ExportError, RunError, warn};

/// One pipeline run with everything wired.
///
/// ```
/// use steadfast_core::StepKind;
///
/// let root = tempfile::tempdir()?;
/// let run = steadfast_run::Run::builder("epic-fhir")
///     .runs_root(root.path())
///     .set("validation.row_count_steps=[\"bronze\", \"silver\"]")
///     .env_vars::<_, String, String>([])
///     .start()?;
/// {
///     let mut bronze = run.step("bronze");
///     run.metrics().counter("bronze", "records").label("resource_type", "Patient").add(1000);
///     bronze.kind(StepKind::Extract).records_out(1000);
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
    /// The run's `audit.ndjson`: state changes, steps, validations.
    pub(crate) audit: AuditLog,
    pub(crate) settings: Effective<Settings>,
    pub(crate) thresholds: Effective<Thresholds>,
    pub(crate) recorder: Recorder,
    pub(crate) profiler: Profiler,
    pub(crate) dead_letters: Arc<DeadLetterQueue>,
    pub(crate) policy: RetryPolicy,
    pub(crate) breaker: Option<CircuitBreaker>,
    pub(crate) budget: Option<RetryBudget>,
    pub(crate) monitor: Option<(steadfast_diskwatch::Monitor, MonitorHandle)>,
    #[cfg(feature = "prometheus")]
    pub(crate) series: steadfast_prometheus::RunSeries,
    /// Process memory into `profile.json`, every `[profiler] memory_interval`.
    #[cfg(feature = "memory")]
    pub(crate) memory: Option<steadfast_perf_profiler::MemorySampler>,
    #[cfg(feature = "db")]
    pub(crate) db: crate::db::RunDb,
    pub(crate) cleaned_runs: usize,
    pub(crate) finished: bool,
    /// The runs root the run is in (the standard disk check's path).
    #[cfg_attr(
        not(feature = "server"),
        allow(dead_code, reason = "read by Run::serve")
    )]
    pub(crate) runs_root: PathBuf,
    /// The run's state for its readiness check (`Run::serve`).
    #[cfg(feature = "server")]
    pub(crate) liveness: crate::serve::Liveness,
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
    /// Where its files are (the validation record's are in [`reports`](Self::reports)).
    pub artefacts: Artefacts,
    /// The run's validation.
    pub validation: ValidationReport,
    /// The validation record written (`validation/<stamp>/`).
    pub reports: ReportPaths,
    /// The run's `profile.json`: components, memory, the `[[profiler.slos]]` judged and
    /// the health score.
    pub profile: steadfast_perf_profiler::Snapshot,
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
    ///
    /// Shared: `run.dead_letters().clone()` hands it to a client that dead-letters by
    /// itself (steadfast-fhir's `FhirClient::dead_letters`).
    pub fn dead_letters(&self) -> &Arc<DeadLetterQueue> {
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
    ///
    /// Its retries, give-ups by reason and failed attempts by HTTP status go into the run's
    /// `metrics.ndjson` (step `retry`, names in `steadfast_retry::series`) through a
    /// listener that the policy's `on_retry` / `on_give_up` hooks do not replace; the
    /// breaker's transitions too. The run's page shows them.
    pub fn retry(&self) -> RetryPolicy {
        let mut policy = self
            .policy
            .clone()
            .listener(crate::retry_record::RetryRecord::for_policy(&self.recorder));
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

    /// The run's audit trail, `audit.ndjson` (hash-chained; `steadfast audit verify`).
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Appends `event` to the run's audit trail; a failure is a warning (the run goes on).
    pub(crate) fn record(&self, event: &AuditEvent) {
        if let Err(e) = self.audit.append(event) {
            warn(&format!("cannot append to the audit trail: {e}"));
        }
    }

    /// Records in `run.json` where the audit trail ends now, so an edit to its last lines
    /// shows (`steadfast audit verify RUN_DIR`).
    fn seal_audit(&self) {
        match steadfast_core::audit::verify(self.audit.path()) {
            Ok(report) => {
                let seal = steadfast_core::AuditSeal::of(&report);
                self.update_manifest(|m| m.audit = seal);
            }
            Err(e) => warn(&format!("cannot seal the audit trail: {e}")),
        }
    }

    pub(crate) fn update_manifest(&self, f: impl FnOnce(&mut RunManifest)) {
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
        #[cfg(feature = "db")]
        self.finish_db()?;
        self.recorder.close()?;
        // `profile.json` carries the `[[profiler.slos]]` judged on this run and the health
        // score, for the summary and the run's page.
        let mut profile = self.profiler.snapshot();
        profile.judge(&self.settings.value().profiler.slos());
        profile.write(self.dir.profile_path())?;
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
        let index = reports.index(&self.dir, validation.status)?;
        self.record(&AuditEvent::Validated {
            record: reports.record.clone(),
            status: validation.status,
        });
        self.update_manifest(|m| {
            m.state = RunState::Finished;
            m.finished = Some(Timestamp::now());
            m.status = Some(validation.status);
            m.validation = Some(index);
        });
        #[cfg(feature = "server")]
        self.liveness.finished();
        self.record(&AuditEvent::State {
            from: RunState::Running,
            to: RunState::Finished,
        });
        self.seal_audit();
        // The run's page; a failure to render it is a warning, not a failed run.
        #[cfg(feature = "report")]
        let page = match steadfast_report::write_page(self.dir.path()) {
            Ok(page) => Some(page),
            Err(e) => {
                warn(&format!("cannot write the run's page: {e}"));
                None
            }
        };
        #[cfg(not(feature = "report"))]
        let page = None;
        if let Some(lock) = self.lock.take() {
            lock.release()?;
        }
        Ok(RunReport {
            run_dir: self.dir.path().to_path_buf(),
            artefacts: Artefacts::of(&self.dir, page),
            validation,
            reports,
            profile,
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
        #[cfg(feature = "server")]
        self.liveness.aborted();
        self.record(&AuditEvent::State {
            from: RunState::Running,
            to: RunState::Aborted,
        });
        self.seal_audit();
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
