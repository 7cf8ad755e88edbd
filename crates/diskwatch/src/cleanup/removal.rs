//! Deleting one run safely, and the leftovers of crashes.
//!
//! A run is deleted under its own `.active` lock (so it cannot be taken mid-deletion), only
//! after `run.json` is read again under that lock, and by first renaming it to a hidden
//! `.deleting-<id>` name: a deletion that fails half-way leaves a directory that is plainly
//! not a run any more, which the next cleanup retries. Run directories a crash left under
//! their temporary creation name (`.creating-<id>`) are removed once their lock is free.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use steadfast_core::{RunDir, RunManifest, files};

use super::audit::Audit;
use super::policy::CleanupPolicy;
use super::report::{CleanupReport, RunDecision, SkipReason};
use crate::error::Error;
use crate::events::DeleteReason;

/// The prefix a run is renamed to while it is deleted: core owns every name in a runs root.
pub use steadfast_core::files::DELETING_PREFIX;

/// Leftovers younger than this are never touched, whatever `min_age` says: a run being
/// created (`mkdir`, then lock) or deleted right now looks exactly like one.
pub(crate) const LEFTOVER_GRACE: Duration = Duration::from_secs(60);

/// What became of one run.
pub(crate) enum Outcome {
    Deleted,
    Skipped(SkipReason),
}

/// The pipeline part of a run id (`<pipeline>-<stamp>-<hex>`).
pub(crate) fn pipeline_of(id: &str) -> Option<&str> {
    id.rsplitn(3, '-').nth(2)
}

/// Whether `dir` is a Steadfast run of `pipeline`: its `run.json` parses and names this
/// directory and pipeline. Returns the manifest when it is.
pub(crate) fn steadfast_run(dir: &RunDir, pipeline: &str) -> Option<RunManifest> {
    dir.read_manifest()
        .ok()
        .filter(|m| m.id == dir.id() && m.pipeline == pipeline)
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Whether `dir` is on hold: it holds an entry named [`files::HOLD`] — a regular file, or
/// anything else of that name (a link, a directory), or one that cannot be inspected: when
/// in doubt, a run is kept.
pub(crate) fn held(dir: &RunDir) -> bool {
    match std::fs::symlink_metadata(dir.path().join(files::HOLD)) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

/// Deletes the run `dir` of `pipeline` under `root` (canonical), holding its lock.
pub(crate) fn delete_run(root: &Path, dir: &RunDir, pipeline: &str) -> Result<Outcome, Error> {
    let lock = match dir.lock() {
        Ok(lock) => lock,
        Err(steadfast_core::Error::RunActive { .. }) => {
            return Ok(Outcome::Skipped(SkipReason::Active));
        }
        Err(_) if !exists(dir.path()) => return Ok(Outcome::Skipped(SkipReason::Vanished)),
        Err(steadfast_core::Error::NotRegularFile { .. }) => {
            return Ok(Outcome::Skipped(SkipReason::LockUnusable));
        }
        Err(source) => {
            return Err(Error::DeleteRefused {
                run: dir.id().to_owned(),
                path: dir.path().to_path_buf(),
                source,
            });
        }
    };
    // Under the lock, make sure it is still a run of this pipeline (it may have been
    // deleted and its name reused, or its manifest replaced, since it was listed).
    if steadfast_run(dir, pipeline).is_none() {
        return Ok(Outcome::Skipped(if exists(dir.path()) {
            SkipReason::NotARun
        } else {
            SkipReason::Vanished
        }));
    }
    // A hold placed since the run was listed wins too.
    if held(dir) {
        return Ok(Outcome::Skipped(SkipReason::Held));
    }
    let doomed = root.join(format!("{DELETING_PREFIX}{}", dir.id()));
    if let Err(e) = std::fs::rename(dir.path(), &doomed) {
        return Err(Error::DeleteRefused {
            run: dir.id().to_owned(),
            path: dir.path().to_path_buf(),
            source: steadfast_core::Error::io("rename the run directory to", &doomed, e),
        });
    }
    // `remove_dir_all` removes symlinks inside the run, never their targets.
    let removed = remove_all(&doomed, dir.id());
    // The lock file moved (or went) with the directory; releasing finds nothing to remove.
    drop(lock);
    removed.map(|()| Outcome::Deleted)
}

fn remove_all(path: &Path, run: &str) -> Result<(), Error> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !exists(path) => Ok(()),
        Err(e) => Err(Error::PartlyDeleted {
            run: run.to_owned(),
            left: path.to_path_buf(),
            source: steadfast_core::Error::io("delete", path, e),
        }),
    }
}

/// Directories under `root` whose name starts with `prefix` followed by a run id of a
/// pipeline in scope (links are never leftovers).
fn list_prefixed(root: &Path, prefix: &str, policy: &CleanupPolicy) -> Vec<(PathBuf, String)> {
    let listed = if prefix == files::CREATING_PREFIX {
        RunDir::list_creating(root).unwrap_or_default()
    } else {
        std::fs::read_dir(root)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default()
    };
    listed
        .into_iter()
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            let id = name.strip_prefix(prefix)?;
            let pipeline = pipeline_of(id)?;
            (steadfast_core::validate_pipeline_name(pipeline).is_ok() && policy.covers(pipeline))
                .then_some((path, name))
        })
        .collect()
}

fn age_of(path: &Path, now: SystemTime) -> Duration {
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .map_or(Duration::ZERO, |t| {
            now.duration_since(t).unwrap_or_default()
        })
}

/// Removes what crashes left: `.creating-*` directories (a crash between `mkdir` and the
/// rename into place) older than `min_age`, and `.deleting-*` ones (a deletion that failed
/// half-way); never one whose lock is held, never one younger than [`LEFTOVER_GRACE`].
/// Each removal is recorded in the root's audit trail.
pub(crate) fn clean_leftovers(
    root: &Path,
    policy: &CleanupPolicy,
    now: SystemTime,
    audit: &mut Audit<'_>,
    report: &mut CleanupReport,
) {
    let kinds = [
        (
            files::CREATING_PREFIX,
            policy.min_age.get().max(LEFTOVER_GRACE),
        ),
        (DELETING_PREFIX, LEFTOVER_GRACE),
    ];
    for (prefix, min_age) in kinds {
        for (path, name) in list_prefixed(root, prefix, policy) {
            if age_of(&path, now) < min_age {
                continue; // being created or deleted right now
            }
            let decision = RunDecision {
                id: name.clone(),
                bytes: super::size::dir_size(&path),
                reason: Some(DeleteReason::Leftover),
            };
            let Ok(dir) = RunDir::open(&path) else {
                continue;
            };
            if policy.dry_run {
                match dir.lock_state() {
                    Ok(state) if state.is_active() => {}
                    Ok(_) => {
                        report.bytes_freed += decision.bytes;
                        report.deleted.push(decision);
                    }
                    Err(_) => report
                        .skipped
                        .push((decision.kept(), SkipReason::LockUnusable)),
                }
                continue;
            }
            let lock = match dir.lock() {
                Ok(lock) => lock,
                Err(steadfast_core::Error::RunActive { .. }) => continue,
                Err(_) if !exists(&path) => continue,
                Err(_) => {
                    report
                        .skipped
                        .push((decision.kept(), SkipReason::LockUnusable));
                    continue;
                }
            };
            let removed = remove_all(&path, &name);
            drop(lock);
            match removed {
                Ok(()) => {
                    super::report::log_deleted(&decision);
                    audit.deleted(&decision, report);
                    report.bytes_freed += decision.bytes;
                    report.deleted.push(decision);
                }
                Err(e) => super::report::record_failure(report, decision, &e),
            }
        }
    }
}
