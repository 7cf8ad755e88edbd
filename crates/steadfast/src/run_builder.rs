//! [`RunBuilder`]: configuration first, then a writable-root check and disk preflight before
//! any work, then every component of a [`Run`] started in order.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
            runs_root: PathBuf::from("runs"),
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
    pub(crate) runs_root: PathBuf,
    pub(crate) config_file: Option<PathBuf>,
    pub(crate) loader: Loader,
    pub(crate) min_free: Option<ByteSize>,
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

    /// Refuse to start unless the runs root's disk has this much free.
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

        std::fs::create_dir_all(&self.runs_root).map_err(|source| RunError::RootNotWritable {
            path: self.runs_root.clone(),
            source,
        })?;
        probe_writable(&self.runs_root)?;
        if let Some(need) = self.min_free {
            Preflight::new().disk(&self.runs_root, need).check()?;
        }

        // Locked before it is visible: no cleanup can take it between mkdir and lock.
        let (dir, lock) = RunDir::create_locked(&self.runs_root, &self.pipeline)?;
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
        // Old runs of this pipeline (or of the root, by `[disk.cleanup] scope`) go by the
        // cleanup policy; this run holds its lock, so it is never touched. Each deletion is
        // logged by diskwatch and recorded in this run's disk-events.ndjson (its page).
        let cleaned = match steadfast_diskwatch::clean_runs(
            &self.runs_root,
            &s.disk.cleanup.clone().for_run_of(&self.pipeline),
            &Statvfs,
            std::time::SystemTime::now(),
        ) {
            Ok(report) => {
                #[cfg(feature = "prometheus")]
                series.cleanup().record(&report);
                if let Err(e) = monitor.publish(&report.events()) {
                    warn(&format!("cannot record cleanup in disk-events: {e}"));
                }
                for (_, why) in &report.failed {
                    warn(&format!("cleanup: {why}"));
                }
                report.deleted.len()
            }
            Err(e) => {
                warn(&format!("cleanup of old runs skipped: {e}"));
                0
            }
        };
        Ok(Run {
            #[cfg(feature = "memory")]
            memory: Some(s.profiler.memory_sampler(&profiler)),
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
            #[cfg(feature = "prometheus")]
            series,
            cleaned_runs: cleaned,
            finished: false,
        })
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

/// FNV-1a of the effective configuration: which configuration a run used, comparable.
fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}
