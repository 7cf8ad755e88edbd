//! Built-in checks that read local files: system memory (`/proc`, cgroup files), disk
//! (feature `diskwatch`) and pipeline staleness (`run.json` files under a runs root). Their
//! reads run on the blocking pool under the check's timeout (a hung NFS mount fails the
//! check, never a probe), and files under a runs root are opened as regular files only:
//! a FIFO, device or link there is skipped at once instead of blocking or read through.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use steadfast_core::{Links, MANIFEST_FORMAT_VERSION, RunDir, RunManifest, RunState, Timestamp};

use crate::blocking::off_the_workers;
use crate::check::{BoxFuture, Check, CheckOutput};

/// The most of a `run.json` read; a real one is a few kilobytes.
const MANIFEST_LIMIT: u64 = 16 << 20;

/// System memory available, against a floor (cgroup-aware through diskwatch's reader
/// when the feature is on; else `/proc/meminfo`).
///
/// ```
/// use steadfast_healthcheck::{Check, MemoryCheck};
/// assert!(!MemoryCheck::new(256 << 20).is_external());
/// ```
#[derive(Debug, Clone)]
pub struct MemoryCheck {
    min_available: u64,
    busy: Arc<AtomicBool>,
}

impl MemoryCheck {
    /// Fail below `min_available` bytes available; warn below twice that.
    pub fn new(min_available: u64) -> Self {
        Self {
            min_available,
            busy: Arc::default(),
        }
    }
}

fn available_memory() -> Option<u64> {
    #[cfg(feature = "diskwatch")]
    {
        steadfast_diskwatch::available_memory().ok()
    }
    #[cfg(not(feature = "diskwatch"))]
    {
        let text =
            steadfast_core::read_regular_to_string("/proc/meminfo", Links::Follow, 1 << 20).ok()?;
        let kb: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb.saturating_mul(1024))
    }
}

impl Check for MemoryCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        let min = self.min_available;
        Box::pin(off_the_workers(&self.busy, move || {
            let Some(available) = available_memory() else {
                return CheckOutput::warn("memory unknown");
            };
            #[allow(clippy::cast_precision_loss, reason = "bytes for display")]
            let out = |o: CheckOutput| o.observed(available as f64, "bytes");
            if available < min {
                out(CheckOutput::fail("below minimum"))
            } else if available < min.saturating_mul(2) {
                out(CheckOutput::warn("near minimum"))
            } else {
                out(CheckOutput::pass())
            }
        }))
    }
}

/// The free share of the disk holding `path`, through steadfast-diskwatch's watermarks
/// (feature `diskwatch`): high warns, flood fails.
///
/// ```
/// use steadfast_healthcheck::{Check, DiskCheck};
/// let check = DiskCheck::new("runs", steadfast_diskwatch::Watermarks::default());
/// assert!(!check.is_external());
/// ```
#[cfg(feature = "diskwatch")]
#[derive(Debug, Clone)]
pub struct DiskCheck {
    path: Arc<PathBuf>,
    watermarks: steadfast_diskwatch::Watermarks,
    busy: Arc<AtomicBool>,
}

#[cfg(feature = "diskwatch")]
impl DiskCheck {
    /// A check of the disk holding `path` against `watermarks`.
    pub fn new(path: impl Into<PathBuf>, watermarks: steadfast_diskwatch::Watermarks) -> Self {
        Self {
            path: Arc::new(path.into()),
            watermarks,
            busy: Arc::default(),
        }
    }
}

#[cfg(feature = "diskwatch")]
impl Check for DiskCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        let (path, watermarks) = (Arc::clone(&self.path), self.watermarks.clone());
        Box::pin(off_the_workers(&self.busy, move || {
            // statvfs on a hung network mount blocks: this runs on the blocking pool.
            let Ok(space) = steadfast_diskwatch::check(path.as_path()) else {
                return CheckOutput::fail("disk unreadable");
            };
            let used = space.used_ratio() * 100.0;
            let out = match watermarks.level_of(&space) {
                steadfast_diskwatch::Level::Flood => CheckOutput::fail("above flood watermark"),
                steadfast_diskwatch::Level::High => CheckOutput::warn("above high watermark"),
                _ => CheckOutput::pass(),
            };
            out.observed(used, "percent")
        }))
    }
}

/// Pipeline staleness: the newest *finished* run of `pipeline` under `root` must be younger
/// than `max_age` — the check a batch pipeline's operators want most. A `run.json` that is
/// not a regular file (a FIFO, a device, a link) or is unreadable is skipped, as a run that
/// never finished.
///
/// ```
/// use std::time::Duration;
/// use steadfast_healthcheck::{Check, StalenessCheck};
/// let check = StalenessCheck::new("runs", "epic-fhir", Duration::from_secs(26 * 3600));
/// assert!(!check.is_external());
/// ```
#[derive(Debug, Clone)]
pub struct StalenessCheck {
    root: Arc<PathBuf>,
    pipeline: Arc<str>,
    max_age: Duration,
    busy: Arc<AtomicBool>,
}

impl StalenessCheck {
    /// Fail when the last finished run of `pipeline` under `root` is older than `max_age`.
    pub fn new(root: impl Into<PathBuf>, pipeline: impl Into<String>, max_age: Duration) -> Self {
        Self {
            root: Arc::new(root.into()),
            pipeline: Arc::from(pipeline.into()),
            max_age,
            busy: Arc::default(),
        }
    }
}

/// `run.json` of `run`, read as a regular file only (never a FIFO or a link), at most
/// [`MANIFEST_LIMIT`] bytes, of the format version this build writes.
fn read_manifest(run: &RunDir) -> Option<RunManifest> {
    let bytes =
        steadfast_core::read_regular(run.manifest_path(), Links::Refuse, MANIFEST_LIMIT).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let version = value.get("format_version")?.as_u64()?;
    if version != u64::from(MANIFEST_FORMAT_VERSION) {
        return None;
    }
    serde_json::from_value(value).ok()
}

/// When the newest finished run of `pipeline` under `root` finished.
fn last_finished(root: &Path, pipeline: &str) -> Result<Option<Timestamp>, &'static str> {
    let runs = RunDir::list(root).map_err(|_| "runs root unreadable")?;
    Ok(runs
        .iter()
        .filter(|r| r.pipeline == pipeline)
        .filter_map(|r| read_manifest(&r.dir))
        .find(|m| m.state == RunState::Finished)
        .and_then(|m| m.finished))
}

impl Check for StalenessCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        let (root, pipeline, max_age) = (
            Arc::clone(&self.root),
            Arc::clone(&self.pipeline),
            self.max_age,
        );
        Box::pin(off_the_workers(&self.busy, move || {
            let finished = match last_finished(&root, &pipeline) {
                Ok(Some(finished)) => finished,
                Ok(None) => return CheckOutput::fail("no finished run"),
                Err(reason) => return CheckOutput::fail(reason),
            };
            let age = Timestamp::now().since(finished);
            let out = if age > max_age {
                CheckOutput::fail("last run too old")
            } else {
                CheckOutput::pass()
            };
            out.observed(age.as_secs_f64(), "s")
        }))
    }
}
