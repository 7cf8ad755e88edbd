//! Safe cleanup of old runs under a runs root: keep the newest N, never touch one younger
//! than a minimum age, delete oldest first until free space reaches a target (plus a
//! minimum reclaim, as kubelet does), with a dry run and a report of every decision.
//!
//! Hard rules, each tested: an active run (its `.active` lock held) is never deleted; a
//! symlink is never followed; nothing outside the canonical root, and never the root
//! itself, is deleted; one failed deletion does not stop the others.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use steadfast_core::{ByteSize, HumanDuration, LockState, RunDir, Timestamp};

use crate::error::Error;
use crate::space::SpaceSource;

/// What cleanup may delete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CleanupPolicy {
    /// Runs kept whatever their age, newest first. Default `5`.
    pub keep_newest: usize,
    /// Runs younger than this are never deleted. Default `1h`.
    pub min_age: HumanDuration,
    /// Delete only while available space is below this; unset deletes every eligible run.
    pub target_free: Option<ByteSize>,
    /// Once deleting, go on until `target_free + min_reclaim` is available. Default `0B`.
    pub min_reclaim: ByteSize,
    /// Report what would be deleted, delete nothing. Default `false`.
    pub dry_run: bool,
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        Self {
            keep_newest: 5,
            min_age: HumanDuration::from_secs(3600),
            target_free: None,
            min_reclaim: ByteSize::new(0),
            dry_run: false,
        }
    }
}

/// Why a run was left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Among the newest `keep_newest`.
    KeptNewest,
    /// Younger than `min_age`.
    TooYoung,
    /// Its `.active` lock is held by a live process.
    Active,
    /// Not inside the canonical root (a path trick), or the root itself.
    OutsideRoot,
    /// Free space had reached the target.
    TargetReached,
}

/// One run cleanup decided about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDecision {
    /// The run id.
    pub id: String,
    /// Its size on disk.
    pub bytes: u64,
}

/// What a cleanup did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CleanupReport {
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Runs deleted (or that would be), oldest first.
    pub deleted: Vec<RunDecision>,
    /// Runs left alone, with why.
    pub skipped: Vec<(RunDecision, SkipReason)>,
    /// Runs whose deletion failed, with the error.
    pub failed: Vec<(RunDecision, String)>,
    /// Bytes the deleted runs held.
    pub bytes_freed: u64,
    /// Available bytes before.
    pub available_before: u64,
    /// Available bytes after (estimated in a dry run).
    pub available_after: u64,
}

impl CleanupReport {
    /// One `deleted` event per run deleted, for [`Monitor::publish`](crate::Monitor::publish)
    /// (none for a dry run).
    pub fn events(&self) -> Vec<crate::DiskEvent> {
        if self.dry_run {
            return Vec::new();
        }
        let ts = Timestamp::now();
        self.deleted
            .iter()
            .map(|d| crate::DiskEvent::Deleted {
                ts,
                run: d.id.clone(),
                bytes: d.bytes,
            })
            .collect()
    }
}

/// Bytes under `path`, not following symlinks (a link counts as itself).
pub fn dir_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| dir_size(&e.path()))
                .sum()
        })
        .unwrap_or(0)
}

fn age(started: Timestamp, now: SystemTime) -> Duration {
    now.duration_since(started.system_time())
        .unwrap_or_default()
}

/// Cleans `root` by `policy`, reading space from `source` and time from `now`.
///
/// ```
/// use steadfast_core::{RunDir, Timestamp};
/// use steadfast_diskwatch::{CleanupPolicy, Statvfs, clean_runs};
///
/// let root = tempfile::tempdir()?;
/// for h in 0..4 {
///     RunDir::create_at(root.path(), "epic", Timestamp::from_unix_secs(1_759_140_000 + h * 3600))?;
/// }
/// let policy = CleanupPolicy { keep_newest: 2, dry_run: true, ..CleanupPolicy::default() };
/// let report = clean_runs(root.path(), &policy, &Statvfs, std::time::SystemTime::now())?;
/// assert_eq!(report.deleted.len(), 2); // the two oldest
/// assert_eq!(RunDir::list(root.path())?.len(), 4); // dry run: nothing gone
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::BadRoot`] if the root cannot be canonicalised or listed; per-run failures are
/// in the report, not errors.
pub fn clean_runs(
    root: &Path,
    policy: &CleanupPolicy,
    source: &dyn SpaceSource,
    now: SystemTime,
) -> Result<CleanupReport, Error> {
    let canonical_root = root.canonicalize().map_err(|e| Error::BadRoot {
        path: root.to_path_buf(),
        reason: format!("{e}; pass an existing directory"),
    })?;
    let runs = RunDir::list(&canonical_root).map_err(|e| Error::BadRoot {
        path: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut available = source.space(&canonical_root)?.available;
    let mut report = CleanupReport {
        dry_run: policy.dry_run,
        available_before: available,
        ..CleanupReport::default()
    };
    let goal = policy
        .target_free
        .map(|t| t.bytes().saturating_add(policy.min_reclaim.bytes()));
    let triggered = policy.target_free.is_none_or(|t| available < t.bytes());

    // Oldest first; the newest `keep_newest` are never candidates.
    let keep = policy.keep_newest.min(runs.len());
    for (i, entry) in runs.iter().enumerate().rev() {
        let path: PathBuf = entry.dir.path().to_path_buf();
        let bytes = dir_size(&path);
        let decision = RunDecision {
            id: entry.dir.id().to_owned(),
            bytes,
        };
        let skip = if i < keep {
            Some(SkipReason::KeptNewest)
        } else if age(entry.started, now) < policy.min_age.get() {
            Some(SkipReason::TooYoung)
        } else if !inside(&canonical_root, &path) {
            Some(SkipReason::OutsideRoot)
        } else if !triggered || goal.is_some_and(|g| available >= g) {
            Some(SkipReason::TargetReached)
        } else if entry.dir.lock_state().map_or(true, LockState::is_active) {
            Some(SkipReason::Active)
        } else {
            None
        };
        if let Some(reason) = skip {
            report.skipped.push((decision, reason));
            continue;
        }
        if policy.dry_run {
            available = available.saturating_add(bytes);
            report.bytes_freed += bytes;
            report.deleted.push(decision);
            continue;
        }
        match delete_run(&entry.dir) {
            Ok(()) => {
                report.bytes_freed += bytes;
                report.deleted.push(decision);
                available = source
                    .space(&canonical_root)
                    .map_or(available.saturating_add(bytes), |s| s.available);
            }
            Err(e) => report.failed.push((decision, e)),
        }
    }
    report.available_after = available;
    Ok(report)
}

/// Whether `path` (canonicalised) is strictly inside `root`.
fn inside(root: &Path, path: &Path) -> bool {
    match path.canonicalize() {
        Ok(p) => {
            p != root
                && p.starts_with(root)
                && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
        }
        Err(_) => false,
    }
}

/// Deletes one run while holding its lock, so it cannot start being used mid-deletion.
fn delete_run(dir: &RunDir) -> Result<(), String> {
    let lock = dir.lock().map_err(|e| e.to_string())?;
    // `remove_dir_all` removes symlinks inside the run, never their targets.
    let result = std::fs::remove_dir_all(dir.path())
        .map_err(|e| format!("cannot delete {}: {e}", dir.path().display()));
    // The lock file went with the directory; releasing finds nothing to remove.
    drop(lock);
    result
}
