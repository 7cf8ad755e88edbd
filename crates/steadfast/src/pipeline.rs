//! [`Run`]: one pipeline run with everything wired — run directory, manifest and lock,
//! layered configuration, metrics, profiler, dead-letter queue, disk monitor and cleanup —
//! and, at [`finish`](Run::finish), validation and reports.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use steadfast_core::config::{ConfigError, Effective, Loader};
use steadfast_core::{
    ActiveLock, ByteSize, RunDir, RunManifest, RunState, Status, StepRecord, Timestamp,
};
use steadfast_diskwatch::{MonitorHandle, Preflight, Statvfs};
use steadfast_metrics::Recorder;
use steadfast_perf_profiler::Profiler;
use steadfast_retry::{CircuitBreaker, DeadLetterQueue, RetryBudget, RetryPolicy};
use steadfast_validation::{ReportPaths, Thresholds, ValidationReport};

use crate::Settings;

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

/// Builds a [`Run`]; see [`Run::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RunBuilder {
    pipeline: String,
    runs_root: PathBuf,
    config_file: Option<PathBuf>,
    loader: Loader,
    min_free: Option<ByteSize>,
}

impl RunBuilder {
    /// Where run directories go (default `runs`).
    pub fn runs_root(mut self, root: impl AsRef<Path>) -> Self {
        self.runs_root = root.as_ref().to_path_buf();
        self
    }

    /// The configuration file (TOML, JSON or YAML); without one, built-in defaults.
    pub fn config_file(mut self, path: impl AsRef<Path>) -> Self {
        self.config_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// A profile overlay (`steadfast.prod.toml` over `steadfast.toml`).
    pub fn profile(mut self, profile: Option<&str>) -> Self {
        self.loader = self.loader.profile(profile);
        self
    }

    /// An override `section.key=value`, highest precedence.
    pub fn set(mut self, assignment: &str) -> Self {
        self.loader = self.loader.set(assignment);
        self
    }

    /// Environment variables instead of the process's (tests, embedding).
    pub fn env_vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.loader = self.loader.env_vars(vars);
        self
    }

    /// Refuse to start unless the runs root's disk has this much free.
    pub fn min_free(mut self, need: ByteSize) -> Self {
        self.min_free = Some(need);
        self
    }

    /// Creates the run directory and manifest, takes the `.active` lock, loads the
    /// configuration, starts metrics, profiler, dead-letter queue and the disk monitor, and
    /// cleans up old runs under the root (never an active one).
    ///
    /// # Errors
    /// [`RunError`]: configuration problems (all of them), an unwritable runs root (before
    /// any work), disk preflight, or any component failing to start.
    pub fn start(self) -> Result<Run, RunError> {
        let mut loader = self.loader;
        if let Some(file) = &self.config_file {
            loader = loader.file(file);
        }
        let settings = Settings::load(&loader)?;
        let thresholds = Thresholds::load(&loader)?;
        let policy = settings.value().retry.policy()?;

        std::fs::create_dir_all(&self.runs_root).map_err(|source| RunError::RootNotWritable {
            path: self.runs_root.clone(),
            source,
        })?;
        probe_writable(&self.runs_root)?;
        if let Some(need) = self.min_free {
            Preflight::new().disk(&self.runs_root, need).check()?;
        }

        let dir = RunDir::create(&self.runs_root, &self.pipeline)?;
        let lock = dir.lock()?;
        let mut manifest = RunManifest::new(dir.id(), &self.pipeline, Timestamp::now());
        manifest.config_digest = Some(digest(&settings.to_toml()));
        dir.write_manifest(&manifest)?;

        let s = settings.value();
        let recorder = Recorder::with_config(Some(dir.metrics_path()), &s.metrics)?;
        let profiler = s.profiler.profiler();
        let dead_letters = DeadLetterQueue::in_run(&dir)?;
        let breaker = s.retry.breaker();
        let budget = s.retry.budget();
        let monitor = steadfast_diskwatch::Monitor::builder(&self.runs_root)
            .watermarks(s.disk.watermarks.clone())
            .interval(s.disk.interval.get())
            .horizon(s.disk.horizon.get())
            .prediction_window(s.disk.prediction_window.get())
            .events_file(dir.disk_events_path())
            .build()?;
        let handle = monitor.start();
        // Old runs go by the cleanup policy; this run holds its lock, so it is never touched.
        let cleaned = steadfast_diskwatch::clean_runs(
            &self.runs_root,
            &s.disk.cleanup,
            &Statvfs,
            std::time::SystemTime::now(),
        )
        .ok();
        Ok(Run {
            dir,
            lock: Some(lock),
            manifest: Mutex::new(manifest),
            settings,
            thresholds,
            recorder,
            profiler,
            dead_letters,
            policy,
            breaker,
            budget,
            monitor: Some((monitor, handle)),
            cleaned_runs: cleaned.map_or(0, |r| r.deleted.len()),
            finished: false,
        })
    }
}

fn probe_writable(root: &Path) -> Result<(), RunError> {
    let probe = root.join(".steadfast-write-probe");
    std::fs::File::create(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|source| RunError::RootNotWritable {
            path: root.to_path_buf(),
            source,
        })
}

/// FNV-1a of the effective configuration: which configuration a run used, comparable.
fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

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
    dir: RunDir,
    lock: Option<ActiveLock>,
    manifest: Mutex<RunManifest>,
    settings: Effective<Settings>,
    thresholds: Effective<Thresholds>,
    recorder: Recorder,
    profiler: Profiler,
    dead_letters: DeadLetterQueue,
    policy: RetryPolicy,
    breaker: Option<CircuitBreaker>,
    budget: Option<RetryBudget>,
    monitor: Option<(steadfast_diskwatch::Monitor, MonitorHandle)>,
    cleaned_runs: usize,
    finished: bool,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// What a finished run produced.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The run directory.
    pub run_dir: PathBuf,
    /// The run's validation.
    pub validation: ValidationReport,
    /// The reports written into `validation/`.
    pub reports: ReportPaths,
}

impl RunReport {
    /// 0 pass or warn, 1 fail.
    pub fn exit_code(&self) -> i32 {
        self.validation.exit_code()
    }
}

impl Run {
    /// A builder for a run of `pipeline` (1–64 of `a-z A-Z 0-9 _ -`).
    pub fn builder(pipeline: &str) -> RunBuilder {
        RunBuilder {
            pipeline: pipeline.to_owned(),
            runs_root: PathBuf::from("runs"),
            config_file: None,
            loader: Loader::new(),
            min_free: None,
        }
    }

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

    /// The retry policy of `[retry]`, sharing the run's circuit breaker and retry budget.
    pub fn retry(&self) -> RetryPolicy {
        let mut policy = self.policy.clone();
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
            tracing_warn(&format!("cannot update run.json: {e}"));
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

    fn finish_inner(&mut self) -> Result<RunReport, RunError> {
        if let Some((_, handle)) = self.monitor.take() {
            handle.stop();
        }
        self.recorder.close()?;
        self.profiler.snapshot().write(self.dir.profile_path())?;
        let validation =
            steadfast_validation::validate_run(self.dir.path(), self.thresholds.value())?;
        let reports =
            steadfast_validation::write_reports(&self.dir, &validation, Some(&self.thresholds))?;
        self.update_manifest(|m| {
            m.state = RunState::Finished;
            m.finished = Some(Timestamp::now());
            m.status = Some(validation.status);
        });
        if let Some(lock) = self.lock.take() {
            lock.release()?;
        }
        Ok(RunReport {
            run_dir: self.dir.path().to_path_buf(),
            validation,
            reports,
        })
    }

    fn abort(&mut self) {
        if let Some((_, handle)) = self.monitor.take() {
            handle.stop();
        }
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

fn tracing_warn(message: &str) {
    // The facade has no logger of its own; stderr is where an operator looks.
    eprintln!("steadfast: {message}");
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
            .gauge(&self.name, "duration_seconds")
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
