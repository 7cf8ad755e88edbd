//! Safe cleanup of old runs under a runs root: keep the newest N, never touch one younger
//! than a minimum age, delete oldest first until free space reaches a target (plus a
//! minimum reclaim, as kubelet does), with a dry run and a report of every decision.
//!
//! Hard rules, each tested: only Steadfast runs (a `run.json` that parses and names the
//! directory) of the pipeline in scope are ever deleted; an active run (its `.active` lock
//! held) is never deleted, and a run is deleted only under its own lock; a symlink is never
//! followed; nothing outside the canonical root, and never the root itself, is deleted; one
//! failed deletion does not stop the others, and a half-done one says so.

mod policy;
mod removal;
mod report;
mod size;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use steadfast_core::{LockState, RunDir, Timestamp};

use crate::error::Error;
use crate::space::SpaceSource;

pub use policy::{CleanupPolicy, CleanupScope};
pub use removal::DELETING_PREFIX;
pub use report::{CleanupReport, RunDecision, SkipReason};
pub use size::dir_size;

use removal::{Outcome, delete_run, steadfast_run};

fn age(started: Timestamp, now: SystemTime) -> Duration {
    now.duration_since(started.system_time())
        .unwrap_or_default()
}

/// Cleans `root` by `policy`, reading space from `source` and time from `now`.
///
/// Candidates are the Steadfast runs of the pipeline in scope ([`CleanupPolicy::pipeline`];
/// every pipeline's when `None`), oldest first; the newest `keep_newest` of them are kept.
/// Each deletion is logged (`tracing`, feature `tracing`) and listed in the report; publish
/// [`CleanupReport::events`] to record them as disk events.
///
/// ```
/// use steadfast_core::{RunDir, RunManifest, Timestamp};
/// use steadfast_diskwatch::{CleanupPolicy, SkipReason, Statvfs, clean_runs};
///
/// let root = tempfile::tempdir()?;
/// for h in 0..4 {
///     let started = Timestamp::from_unix_secs(1_759_140_000 + h * 3600);
///     let run = RunDir::create_at(root.path(), "epic", started)?;
///     run.write_manifest(&RunManifest::new(run.id(), "epic", started))?;
/// }
/// // Named like a run, but no run.json: never a candidate.
/// RunDir::create_at(root.path(), "epic", Timestamp::from_unix_secs(1_700_000_000))?;
/// let policy = CleanupPolicy { keep_newest: 2, dry_run: true, ..CleanupPolicy::default() };
/// let report = clean_runs(root.path(), &policy, &Statvfs, std::time::SystemTime::now())?;
/// assert_eq!(report.deleted.len(), 2); // the two oldest runs
/// assert!(report.skipped.iter().any(|(_, why)| *why == SkipReason::NotARun));
/// assert_eq!(RunDir::list(root.path())?.len(), 5); // dry run: nothing gone
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
    let listed = RunDir::list(&canonical_root).map_err(|e| Error::BadRoot {
        path: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut available = source.space(&canonical_root)?.available;
    let mut report = CleanupReport {
        dry_run: policy.dry_run,
        available_before: available,
        ..CleanupReport::default()
    };
    // Only Steadfast runs of the pipeline in scope are candidates (newest first).
    let mut runs = Vec::new();
    for entry in listed.into_iter().filter(|e| policy.covers(&e.pipeline)) {
        match steadfast_run(&entry.dir, &entry.pipeline) {
            // The later of the two start times: a name cannot make a run look older.
            Some(m) => runs.push((entry.started.max(m.started), entry)),
            None => report
                .skipped
                .push((decision(&entry.dir), SkipReason::NotARun)),
        }
    }
    let goal = policy
        .target_free
        .map(|t| t.bytes().saturating_add(policy.min_reclaim.bytes()));
    let triggered = policy.target_free.is_none_or(|t| available < t.bytes());

    // Oldest first; the newest `keep_newest` are never candidates.
    let keep = policy.keep_newest.min(runs.len());
    for (i, (started, entry)) in runs.iter().enumerate().rev() {
        let path: PathBuf = entry.dir.path().to_path_buf();
        let decision = decision(&entry.dir);
        let bytes = decision.bytes;
        let skip = if i < keep {
            Some(SkipReason::KeptNewest)
        } else if age(*started, now) < policy.min_age.get() {
            Some(SkipReason::TooYoung)
        } else if !inside(&canonical_root, &path) {
            Some(SkipReason::OutsideRoot)
        } else if !triggered || goal.is_some_and(|g| available >= g) {
            Some(SkipReason::TargetReached)
        } else {
            match entry.dir.lock_state() {
                Ok(LockState::Active) => Some(SkipReason::Active),
                Ok(LockState::Unlocked | LockState::Stale) => None,
                Err(_) => Some(SkipReason::LockUnusable),
            }
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
        match delete_run(&canonical_root, &entry.dir, &entry.pipeline) {
            Ok(Outcome::Deleted) => {
                report::log_deleted(&decision, "old run");
                report.bytes_freed += bytes;
                report.deleted.push(decision);
                available = source
                    .space(&canonical_root)
                    .map_or(available.saturating_add(bytes), |s| s.available);
            }
            Ok(Outcome::Skipped(reason)) => report.skipped.push((decision, reason)),
            Err(e) => report::record_failure(&mut report, decision, &e),
        }
    }
    removal::clean_leftovers(&canonical_root, policy, now, &mut report);
    report.available_after = if policy.dry_run {
        available
    } else {
        source
            .space(&canonical_root)
            .map_or(available, |s| s.available)
    };
    Ok(report)
}

fn decision(dir: &RunDir) -> RunDecision {
    RunDecision {
        id: dir.id().to_owned(),
        bytes: dir_size(dir.path()),
    }
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
