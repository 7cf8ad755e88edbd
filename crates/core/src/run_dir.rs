//! `RunDir`: one pipeline run as a directory — its naming scheme, its well-known files, and
//! listing the runs under a root.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::lock::{self, ActiveLock, LockState};
use crate::manifest::RunManifest;
use crate::time::Timestamp;

/// The names of the files a run directory holds (DESIGN.md §3). No crate guesses a name.
pub mod files {
    /// The manifest.
    pub const MANIFEST: &str = "run.json";
    /// The lock held while the run is active.
    pub const ACTIVE: &str = ".active";
    /// One metric record per line (steadfast-metrics).
    pub const METRICS: &str = "metrics.ndjson";
    /// The profiler snapshot (steadfast-perf-profiler).
    pub const PROFILE: &str = "profile.json";
    /// Items that failed for good (steadfast-retry).
    pub const DEAD_LETTER: &str = "deadletter.ndjson";
    /// Dead letters that failed `max_replays` replays, moved out of the queue (steadfast-retry).
    pub const DEAD_LETTER_QUARANTINE: &str = "deadletter.quarantine.ndjson";
    /// The journal of a dead-letter replay in progress; one left by a crash is applied on
    /// the next open (steadfast-retry).
    pub const DEAD_LETTER_REPLAY: &str = "deadletter.replay.ndjson";
    /// The run's database profile: statements by fingerprint, PostgreSQL's
    /// `pg_stat_statements` delta, DuckDB profiling output (steadfast-db).
    pub const DB_PROFILE: &str = "db-profile.json";
    /// Watermark crossings and deletions (steadfast-diskwatch).
    pub const DISK_EVENTS: &str = "disk-events.ndjson";
    /// Validation output directory.
    pub const VALIDATION_DIR: &str = "validation";
    /// The thresholds a validation used, inside [`VALIDATION_DIR`].
    pub const THRESHOLDS_EFFECTIVE: &str = "thresholds.effective.toml";
    /// The validation report (JSON), inside [`VALIDATION_DIR`].
    pub const VALIDATION_REPORT: &str = "report.json";
    /// The data-quality report of checks run during the run, inside [`VALIDATION_DIR`].
    pub const DATA_QUALITY: &str = "data-quality.json";
    /// The run's page (steadfast-report).
    pub const REPORT_PAGE: &str = "report.html";
    /// The pipeline's own data (`bronze/`, `silver/`, `gold/`).
    pub const DATA_DIR: &str = "data";
    /// The hash-chained audit trail ([`AuditLog`](crate::audit::AuditLog)): one in each run
    /// directory (its life) and one in the runs root (cleanup's deletions).
    pub const AUDIT: &str = "audit.ndjson";
    /// The prefix of a run directory's temporary name while it is being created with its
    /// lock held ([`RunDir::create_locked`](super::RunDir::create_locked)); one left behind
    /// by a crash is removed by cleanup.
    pub const CREATING_PREFIX: &str = ".creating-";
    /// The prefix a run directory is renamed to while cleanup deletes it (under its lock);
    /// one left behind by a deletion that failed half-way is retried by a later cleanup.
    pub const DELETING_PREFIX: &str = ".deleting-";
    /// A legal hold: a run directory holding an entry of this name (a file, or anything
    /// else of that name) is never deleted by any cleanup; remove it to release the run.
    pub const HOLD: &str = ".hold";
    /// In a runs root: when cleanup under disk pressure last deleted (its cooldown), one
    /// file per scope — this name for the whole root, `<this>-<pipeline>` for one pipeline.
    pub const CLEANUP_LAST: &str = ".cleanup-last";
}

/// A run directory: `<root>/<pipeline>-<YYYYMMDDTHHMMSSZ>-<6 hex>/`.
///
/// ```
/// use steadfast_core::{RunDir, RunManifest, Timestamp};
///
/// let root = tempfile::tempdir()?;
/// let run = RunDir::create(root.path(), "epic-fhir")?;
/// assert!(run.id().starts_with("epic-fhir-"));
/// let _lock = run.lock()?; // held until dropped
/// RunManifest::new(run.id(), "epic-fhir", Timestamp::now()).write(run.manifest_path())?;
///
/// let runs = RunDir::list(root.path())?;
/// assert_eq!(runs[0].dir.id(), run.id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDir {
    pub(crate) path: PathBuf,
    pub(crate) id: String,
}

/// A run found under a root by [`RunDir::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEntry {
    /// The run directory.
    pub dir: RunDir,
    /// The pipeline part of its name.
    pub pipeline: String,
    /// When it started, from its name.
    pub started: Timestamp,
}

/// Checks that `name` can be used as the pipeline part of a run directory name.
///
/// # Errors
/// [`Error::InvalidPipelineName`] saying what is wrong.
pub fn validate_pipeline_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 64 {
        Some("it is longer than 64 characters")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Some("it contains a character that is not allowed in a directory name")
    } else if name.starts_with(['-', '.']) {
        Some("it starts with '-'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidPipelineName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

pub(crate) fn random_hex6() -> String {
    // Randomly keyed per process by std; mixed with the time for uniqueness across calls.
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{:06x}", h.finish() & 0xff_ffff)
}

/// Splits a run directory name into pipeline and start time, if it follows the scheme.
pub(crate) fn parse_name(name: &str) -> Option<(String, Timestamp)> {
    let mut parts = name.rsplitn(3, '-');
    let hex = parts.next()?;
    let ts = parts.next()?;
    let pipeline = parts.next()?;
    if hex.len() != 6
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    validate_pipeline_name(pipeline).ok()?;
    Some((pipeline.to_owned(), Timestamp::parse_compact(ts)?))
}

/// The directories directly under a runs root, with their (UTF-8) names; links and other
/// entries are skipped (`file_type` does not follow a link: a link is never a run); a
/// missing root has none.
pub(crate) fn subdirectories(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    if !check_root(root)? {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(root).map_err(|e| Error::io("read the runs root", root, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read the runs root", root, e))?;
        if entry.file_type().is_ok_and(|t| t.is_dir())
            && let Ok(name) = entry.file_name().into_string()
        {
            found.push((name, entry.path()));
        }
    }
    Ok(found)
}

pub(crate) fn check_root(root: &Path) -> Result<bool> {
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => Ok(true),
        Ok(_) => Err(Error::RunRootIsFile {
            path: root.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("inspect the runs root", root, e)),
    }
}

impl RunDir {
    /// Creates a new, empty run directory for `pipeline` under `root` (created if missing),
    /// named after the current time.
    ///
    /// # Errors
    /// [`Error::InvalidPipelineName`], [`Error::RunRootIsFile`], or [`Error::Io`] naming the
    /// directory that could not be created.
    pub fn create(root: impl AsRef<Path>, pipeline: &str) -> Result<Self> {
        Self::create_at(root, pipeline, Timestamp::now())
    }

    /// Like [`RunDir::create`], with the start time given (for tests and replays).
    ///
    /// # Errors
    /// As [`RunDir::create`].
    pub fn create_at(root: impl AsRef<Path>, pipeline: &str, started: Timestamp) -> Result<Self> {
        let root = root.as_ref();
        validate_pipeline_name(pipeline)?;
        if !check_root(root)? {
            std::fs::create_dir_all(root)
                .map_err(|e| Error::io("create the runs root", root, e))?;
        }
        let stamp = started.compact();
        let mut last_err = None;
        for _ in 0..8 {
            let id = format!("{pipeline}-{stamp}-{}", random_hex6());
            let path = root.join(&id);
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    crate::atomic::sync_dir(root)?;
                    return Ok(Self { path, id });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => return Err(Error::io("create the run directory", path, e)),
            }
        }
        Err(Error::io(
            "create a uniquely named run directory in",
            root,
            last_err.unwrap_or_else(|| std::io::Error::other("name collision")),
        ))
    }

    /// Opens an existing run directory (any directory; its name need not follow the scheme).
    ///
    /// # Errors
    /// [`Error::NotARunDir`] if `path` is missing or not a directory.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let not_run = |reason: &str| Error::NotARunDir {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        };
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(not_run("it is a file, expected a directory")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(not_run("it does not exist; check the path"));
            }
            Err(e) => return Err(Error::io("open the run directory", path, e)),
        }
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| not_run("it has no directory name"))?;
        Ok(Self {
            path: path.to_path_buf(),
            id,
        })
    }

    /// The runs under `root` whose names follow the scheme, newest first. Symlinks and other
    /// entries are skipped; a missing root has no runs.
    ///
    /// # Errors
    /// [`Error::RunRootIsFile`], or [`Error::Io`] if the root cannot be read.
    pub fn list(root: impl AsRef<Path>) -> Result<Vec<RunEntry>> {
        let mut runs = Vec::new();
        for (name, path) in subdirectories(root.as_ref())? {
            if let Some((pipeline, started)) = parse_name(&name) {
                runs.push(RunEntry {
                    dir: Self { path, id: name },
                    pipeline,
                    started,
                });
            }
        }
        runs.sort_by(|a, b| {
            b.started
                .cmp(&a.started)
                .then_with(|| b.dir.id.cmp(&a.dir.id))
        });
        Ok(runs)
    }

    /// The run id: the directory's name.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The run directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the run directory.
    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.path.join(relative)
    }

    /// `run.json`.
    pub fn manifest_path(&self) -> PathBuf {
        self.join(files::MANIFEST)
    }

    /// `.active`.
    pub fn active_lock_path(&self) -> PathBuf {
        self.join(files::ACTIVE)
    }

    /// `metrics.ndjson`.
    pub fn metrics_path(&self) -> PathBuf {
        self.join(files::METRICS)
    }

    /// `profile.json`.
    pub fn profile_path(&self) -> PathBuf {
        self.join(files::PROFILE)
    }

    /// `deadletter.ndjson`.
    pub fn dead_letter_path(&self) -> PathBuf {
        self.join(files::DEAD_LETTER)
    }

    /// `disk-events.ndjson`.
    pub fn disk_events_path(&self) -> PathBuf {
        self.join(files::DISK_EVENTS)
    }

    /// `validation/`: one record per validation (`validation/<stamp>/`, see
    /// steadfast-validation's `records`), and the data-quality report of a run's checks.
    pub fn validation_dir(&self) -> PathBuf {
        self.join(files::VALIDATION_DIR)
    }

    /// `data/`, or `data/<layer>` (`bronze`, `silver`, `gold`) when a layer is given.
    pub fn data_dir(&self, layer: Option<&str>) -> PathBuf {
        let data = self.join(files::DATA_DIR);
        match layer {
            Some(layer) => data.join(layer),
            None => data,
        }
    }

    /// Reads `run.json`.
    ///
    /// # Errors
    /// As [`RunManifest::read`].
    pub fn read_manifest(&self) -> Result<RunManifest> {
        RunManifest::read(self.manifest_path())
    }

    /// Writes `run.json` atomically.
    ///
    /// # Errors
    /// As [`RunManifest::write`].
    pub fn write_manifest(&self, manifest: &RunManifest) -> Result<()> {
        manifest.write(self.manifest_path())
    }

    /// Takes the `.active` lock for this process.
    ///
    /// # Errors
    /// [`Error::RunActive`] if another process (or another handle) holds it.
    pub fn lock(&self) -> Result<ActiveLock> {
        ActiveLock::acquire(&self.path, self.active_lock_path())
    }

    /// Whether the run is active, finished, or was left by a process that died.
    ///
    /// # Errors
    /// [`Error::Io`] if the lock file exists but cannot be probed.
    pub fn lock_state(&self) -> Result<LockState> {
        lock::probe(&self.active_lock_path())
    }
}
