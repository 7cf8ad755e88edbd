//! [`RunBuilder`]: configuration first, then a writable-root check and disk preflight before
//! any work, then every component of a [`Run`] started in order.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
#[cfg(feature = "prometheus")]
use std::sync::{Arc, OnceLock};

use steadfast_core::audit::{AuditEvent, AuditLog};
use steadfast_core::config::Loader;
use steadfast_core::{ByteSize, RunDir, RunManifest, Timestamp};
use steadfast_diskwatch::{Preflight, Statvfs};
use steadfast_metrics::Recorder;
use steadfast_retry::DeadLetterQueue;

use crate::Settings;
use crate::error::{RunError, warn};
use crate::pipeline::Run;

impl Run {
    /// A builder for a run of `pipeline` (1–64 of `a-z A-Z 0-9 _ -`).
    pub fn builder(pipeline: &str) -> RunBuilder {
        RunBuilder {
            pipeline: pipeline.to_owned(),
            runs_root: None,
            config_file: None,
            loader: Loader::new(),
            min_free: None,
        }
    }
}

/// Builds a [`Run`]; see [`Run::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RunBuilder {
    pub(crate) pipeline: String,
    pub(crate) runs_root: Option<PathBuf>,
    pub(crate) config_file: Option<PathBuf>,
    pub(crate) loader: Loader,
    pub(crate) min_free: Option<ByteSize>,
}

impl RunBuilder {
    /// Where run directories go (default: `[run] runs_root`, `runs`).
    pub fn runs_root(mut self, root: impl AsRef<Path>) -> Self {
        self.runs_root = Some(root.as_ref().to_path_buf());
        self
    }

    /// The configuration file (TOML, JSON or YAML); without one, built-in defaults.
    pub fn config_file(mut self, path: impl AsRef<Path>) -> Self {
        self.config_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Configuration text as if read from a file called `name` (its extension picks the
    /// format), layered under `config_file`: an application's embedded defaults.
    pub fn config_text(mut self, name: &str, text: &str) -> Self {
        self.loader = self.loader.text(name, text);
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

    /// Refuse to start unless the runs root's disk has this much free (default:
    /// `[run] min_free`, unset).
    pub fn min_free(mut self, need: ByteSize) -> Self {
        self.min_free = Some(need);
        self
    }

    /// Creates the run directory and manifest, takes the `.active` lock, loads the
    /// configuration, starts metrics, profiler, dead-letter queue and the disk monitor, and
    /// cleans up old runs of this pipeline under the root by `[disk.cleanup]` (never an
    /// active one, never another pipeline's unless `scope = "root"`, never a directory that
    /// is not a Steadfast run); each deletion becomes a `deleted` disk event of this run.
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
        let thresholds = settings.project("validation", |s| s.validation.clone());
        let policy = settings.value().retry.policy()?;

        // The builder's calls win over `[run]`.
        let runs_root = self
            .runs_root
            .clone()
            .unwrap_or_else(|| settings.value().run.runs_root.clone());
        let min_free = self.min_free.or(settings.value().run.min_free);
        std::fs::create_dir_all(&runs_root).map_err(|source| RunError::RootNotWritable {
            path: runs_root.clone(),
            source,
        })?;
        probe_writable(&runs_root)?;
        if let Some(need) = min_free {
            Preflight::new().disk(&runs_root, need).check()?;
        }

        // Locked before it is visible: no cleanup can take it between mkdir and lock.
        let (dir, lock) = RunDir::create_locked(&runs_root, &self.pipeline)?;
        let mut manifest = RunManifest::new(dir.id(), &self.pipeline, Timestamp::now());
        let config_sha256 = sha256_hex(&settings.to_toml());
        manifest.config_digest = Some(format!("sha256:{config_sha256}"));
        dir.write_manifest(&manifest)?;
        // The run's audit trail: who started it where, with which configuration.
        let audit = AuditLog::in_run(&dir)?;
        audit.append(&AuditEvent::Started {
            pipeline: self.pipeline.clone(),
            config_sha256: Some(config_sha256),
        })?;

        let s = settings.value();
        let recorder = Recorder::with_config(Some(dir.metrics_path()), &s.metrics)?;
        let profiler = s.profiler.profiler();
        let dead_letters =
            DeadLetterQueue::in_run(&dir)?.store_raw_errors(s.retry.dead_letter_raw_errors);
        // Its transitions into the run's metrics (the page's breaker openings).
        let breaker = s
            .retry
            .breaker_builder()
            .map(|b| crate::retry_record::RetryRecord::breaker(b, &recorder));
        let budget = s.retry.budget();
        // The free space at every sample into the run's metrics (the page draws it); the
        // monitor cleans this pipeline's old runs when the disk is under pressure.
        let free = recorder.gauge_handle(
            steadfast_diskwatch::series::RUN_STEP,
            steadfast_diskwatch::series::RUN_AVAILABLE_BYTES,
            &[],
        )?;
        #[cfg(feature = "prometheus")]
        let cleanup_series = Arc::new(OnceLock::<steadfast_diskwatch::CleanupMetrics>::new());
        #[cfg(feature = "prometheus")]
        let counted = Arc::clone(&cleanup_series);
        let monitor = steadfast_diskwatch::Monitor::builder(&runs_root)
            .watermarks(s.disk.watermarks.clone())
            .interval(s.disk.interval.get())
            .horizon(s.disk.horizon.get())
            .prediction_window(s.disk.prediction_window.get())
            .events_file(dir.disk_events_path())
            .on_sample(move |space| {
                #[allow(clippy::cast_precision_loss, reason = "a gauge of bytes")]
                free.set(space.available as f64);
            })
            .cleanup(&runs_root, s.disk.cleanup_for(&self.pipeline))
            .on_cleanup(move |report| {
                #[cfg(feature = "prometheus")]
                if let Some(m) = counted.get() {
                    m.record(report);
                }
                cleanup_problems(report);
            })
            .build()?;
        #[cfg(feature = "prometheus")]
        let series = steadfast_prometheus::RunSeries::register(
            &s.metrics.prefix()?,
            &steadfast_prometheus::RunParts {
                pipeline: &self.pipeline,
                recorder: &recorder,
                profiler: &profiler,
                monitor: &monitor,
                breaker: breaker.as_ref(),
                budget: budget.as_ref(),
            },
        )?;
        // The monitor's cleanups under pressure count in the same series.
        #[cfg(feature = "prometheus")]
        let _ = cleanup_series.set(series.cleanup().clone());
        // Old runs of this pipeline (or of the root, by `[disk.cleanup] scope`) go by the
        // cleanup policy; this run holds its lock, so it is never touched. Each deletion is
        // logged by diskwatch and recorded in this run's disk-events.ndjson (its page).
        let cleaned = match steadfast_diskwatch::clean_runs(
            &runs_root,
            &s.disk.cleanup_for(&self.pipeline),
            &Statvfs,
            std::time::SystemTime::now(),
        ) {
            Ok(report) => {
                #[cfg(feature = "prometheus")]
                series.cleanup().record(&report);
                if let Err(e) = monitor.publish(&report.events()) {
                    warn(&format!("cannot record cleanup in disk-events: {e}"));
                }
                cleanup_problems(&report);
                report.deleted.len()
            }
            Err(e) => {
                warn(&format!("cleanup of old runs skipped: {e}"));
                0
            }
        };
        #[cfg(feature = "db")]
        let db = crate::db::RunDb::default();
        #[cfg(all(feature = "db", feature = "prometheus"))]
        db.observer
            .register_prometheus(series.registry(), &s.metrics.prefix()?)
            .map_err(steadfast_prometheus::Error::Register)?;
        // Sampling (and cleanup under pressure) starts once the start-up cleanup is done:
        // two sweeps at once would each judge the goal by their own reading.
        let handle = monitor.start();
        Ok(Run {
            #[cfg(feature = "memory")]
            memory: Some({
                // Each sample into the run's metrics too: the page draws memory over the run.
                let rss = recorder.gauge_handle(
                    steadfast_perf_profiler::series::RUN_STEP,
                    steadfast_perf_profiler::series::RUN_RSS_BYTES,
                    &[],
                )?;
                #[allow(clippy::cast_precision_loss, reason = "a gauge of bytes")]
                s.profiler
                    .memory_sampler_with(&profiler, move |bytes| rss.set(bytes as f64))
            }),
            dir,
            lock: Some(lock),
            manifest: Mutex::new(manifest),
            audit,
            settings,
            thresholds,
            recorder,
            profiler,
            dead_letters: std::sync::Arc::new(dead_letters),
            policy,
            breaker,
            budget,
            monitor: Some((monitor, handle)),
            #[cfg(feature = "db")]
            db,
            #[cfg(feature = "prometheus")]
            series,
            cleaned_runs: cleaned,
            finished: false,
            runs_root,
            #[cfg(feature = "server")]
            liveness: crate::serve::Liveness::default(),
        })
    }
}

/// What a cleanup could not do, where an operator looks: failed deletions, deletions or
/// a cooldown not recorded.
fn cleanup_problems(report: &steadfast_diskwatch::CleanupReport) {
    for (_, why) in &report.failed {
        warn(&format!("cleanup: {why}"));
    }
    for what in &report.not_recorded {
        warn(&format!("cleanup: not recorded: {what}"));
    }
}

fn probe_writable(root: &Path) -> Result<(), RunError> {
    // A name of its own per call (runs start side by side in one root), created new: an
    // existing file or link of that name is never opened, so never truncated.
    let probe = root.join(steadfast_core::unique_name(".steadfast-write-probe"));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|source| RunError::RootNotWritable {
            path: root.to_path_buf(),
            source,
        })
}

/// The SHA-256 of the effective configuration (secrets redacted), in hex: which
/// configuration a run used, comparable between runs and named in its audit trail.
fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
