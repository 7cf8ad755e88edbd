//! Retention of old runs under a runs root, that keeps evidence: runs are deleted only
//! under disk pressure (below `target_free`, or past the `high` watermark — then oldest
//! first down to the goal plus a minimum reclaim, as kubelet does, at most once per
//! cooldown) or past a cap that is set (`max_total`, `max_age`, as journald's
//! `SystemMaxUse` and `MaxRetentionSec`); never the newest N, never one younger than a
//! minimum age, never one on hold; with a dry run, and a report of every decision with its
//! reason. With the defaults, nothing is deleted while the disk has room.
//!
//! Hard rules, each tested: only Steadfast runs (a `run.json` that parses and names the
//! directory) of the pipeline in scope are ever deleted; an active run (its `.active` lock
//! held) is never deleted, and a run is deleted only under its own lock; a run holding a
//! `.hold` marker is never deleted; a symlink is never followed; nothing outside the
//! canonical root, and never the root itself, is deleted; one failed deletion does not
//! stop the others, and a half-done one says so; every deletion is recorded (tracing, the
//! report, the root's audit trail) with its size and reason.

mod audit;
mod cooldown;
mod policy;
mod pressure;
mod removal;
mod report;
mod size;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use steadfast_core::{LockState, RunDir, RunEntry, Timestamp};

use crate::error::Error;
use crate::events::DeleteReason;
use crate::space::SpaceSource;

pub use policy::{CleanupPolicy, CleanupScope};
pub use removal::DELETING_PREFIX;
pub use report::{CleanupReport, RunDecision, SkipReason};
pub use size::dir_size;

use audit::Audit;
use pressure::Pressure;
use removal::{Outcome, delete_run, held, steadfast_run};

fn age(started: Timestamp, now: SystemTime) -> Duration {
    now.duration_since(started.system_time())
        .unwrap_or_default()
}

/// Cleans `root` by `policy`, reading space from `source` and time from `now`.
///
/// Candidates are the Steadfast runs of the pipeline in scope ([`CleanupPolicy::pipeline`];
/// every pipeline's when `None`), oldest first; the newest `keep_newest` of them, those
/// younger than `min_age`, those on hold (a [`files::HOLD`](steadfast_core::files::HOLD)
/// marker) and active ones are kept. Of the others, a run goes when it is older than
/// `max_age`, when its pipeline's runs hold more than `max_total`, or while the disk is
/// under pressure (see [`CleanupPolicy`]) and the goal is not met — unless a cleanup
/// deleted under pressure less than `cooldown` ago ([`CleanupReport::cooling_down_until`]).
/// Each deletion is logged (`tracing`, feature `tracing`), recorded in the root's audit
/// trail and listed in the report with its reason; publish [`CleanupReport::events`] to
/// record them as disk events.
///
/// ```
/// use steadfast_core::{ByteSize, RunDir, RunManifest, Timestamp};
/// use steadfast_diskwatch::{CleanupPolicy, DeleteReason, SkipReason, Statvfs, clean_runs};
///
/// let root = tempfile::tempdir()?;
/// for h in 0..4 {
///     let started = Timestamp::from_unix_secs(1_759_140_000 + h * 3600);
///     let run = RunDir::create_at(root.path(), "epic", started)?;
///     run.write_manifest(&RunManifest::new(run.id(), "epic", started))?;
/// }
/// // Named like a run, but no run.json: never a candidate.
/// RunDir::create_at(root.path(), "epic", Timestamp::from_unix_secs(1_700_000_000))?;
/// let now = std::time::SystemTime::now();
///
/// // Keep the newest two; no target, no cap: nothing goes while the disk has room.
/// let keep_two = CleanupPolicy { keep_newest: 2, ..CleanupPolicy::default() };
/// let report = clean_runs(root.path(), &keep_two, &Statvfs, now)?;
/// assert!(report.deleted.is_empty());
/// assert!(report.skipped.iter().any(|(_, why)| *why == SkipReason::NoPressure));
///
/// // Pressure (less free than a huge target): the oldest go, the newest two stay.
/// let policy = CleanupPolicy {
///     target_free: Some(ByteSize::new(u64::MAX / 2)),
///     dry_run: true,
///     ..keep_two
/// };
/// let report = clean_runs(root.path(), &policy, &Statvfs, now)?;
/// assert_eq!(report.deleted.len(), 2); // the two oldest runs
/// assert_eq!(report.deleted[0].reason, Some(DeleteReason::Pressure));
/// assert!(report.skipped.iter().any(|(_, why)| *why == SkipReason::NotARun));
/// assert_eq!(RunDir::list(root.path())?.len(), 5); // dry run: nothing gone
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::BadRoot`] if the root cannot be canonicalised or listed, the space source's
/// error if the root's space cannot be read; per-run failures are in the report, not
/// errors.
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
    let space = source.space(&canonical_root)?;
    let pressure = Pressure::of(policy, &space);
    let cooling = pressure
        .filter(|_| !policy.dry_run)
        .and_then(|_| cooldown::cooling_until(&canonical_root, policy, now));
    let mut report = CleanupReport {
        dry_run: policy.dry_run,
        available_before: space.available,
        under_pressure: pressure.is_some(),
        cooling_down_until: cooling,
        ..CleanupReport::default()
    };
    // Only Steadfast runs of the pipeline in scope are candidates (newest first).
    let mut runs = Vec::new();
    for entry in listed.into_iter().filter(|e| policy.covers(&e.pipeline)) {
        match steadfast_run(&entry.dir, &entry.pipeline) {
            // The later of the two start times: a name cannot make a run look older.
            Some(m) => {
                let bytes = dir_size(entry.dir.path());
                runs.push((entry.started.max(m.started), entry, bytes));
            }
            None => report
                .skipped
                .push((decision(&entry.dir, None), SkipReason::NotARun)),
        }
    }
    // What each pipeline's runs hold, for `max_total`.
    let mut totals: HashMap<String, u64> = HashMap::new();
    for (_, entry, bytes) in &runs {
        *totals.entry(entry.pipeline.clone()).or_default() += bytes;
    }
    let mut sweep = Sweep {
        root: &canonical_root,
        policy,
        source,
        now,
        pressure,
        cooling: cooling.is_some(),
        available: space.available,
        inodes_free: space.inodes_free,
        inodes_total: space.inodes_total,
        audit: Audit::new(&canonical_root),
        deleted_under_pressure: false,
    };
    // Oldest first; the newest `keep_newest` are never candidates.
    let keep = policy.keep_newest.min(runs.len());
    for (i, (started, entry, bytes)) in runs.iter().enumerate().rev() {
        let total = totals.get(&entry.pipeline).copied().unwrap_or(0);
        let floor = if i < keep {
            Some(SkipReason::KeptNewest)
        } else {
            sweep.floor(*started, entry)
        };
        if let Some(why) = floor {
            report.skipped.push((decision_of(entry, *bytes, None), why));
            continue;
        }
        if sweep.decide(*started, entry, *bytes, total, &mut report) {
            totals.insert(entry.pipeline.clone(), total.saturating_sub(*bytes));
        }
    }
    if sweep.deleted_under_pressure
        && !policy.dry_run
        && !policy.cooldown.get().is_zero()
        && let Err(e) = cooldown::start(&canonical_root, policy, now)
    {
        report
            .not_recorded
            .push(format!("cannot start the cleanup cooldown: {e}"));
    }
    removal::clean_leftovers(&canonical_root, policy, now, &mut sweep.audit, &mut report);
    report.available_after = if policy.dry_run {
        sweep.available
    } else {
        source
            .space(&canonical_root)
            .map_or(sweep.available, |s| s.available)
    };
    Ok(report)
}

/// One cleanup's walk over the runs, oldest first, with the space it has freed so far.
struct Sweep<'a> {
    root: &'a Path,
    policy: &'a CleanupPolicy,
    source: &'a dyn SpaceSource,
    now: SystemTime,
    pressure: Option<Pressure>,
    cooling: bool,
    available: u64,
    inodes_free: u64,
    inodes_total: u64,
    audit: Audit<'a>,
    deleted_under_pressure: bool,
}

impl Sweep<'_> {
    /// What keeps a run whatever else holds (`keep_newest` aside): its age, its place, a
    /// hold.
    fn floor(&self, started: Timestamp, entry: &RunEntry) -> Option<SkipReason> {
        if age(started, self.now) < self.policy.min_age.get() {
            Some(SkipReason::TooYoung)
        } else if !inside(self.root, entry.dir.path()) {
            Some(SkipReason::OutsideRoot)
        } else if held(&entry.dir) {
            Some(SkipReason::Held)
        } else {
            None
        }
    }

    /// Why this run should go, if it should.
    fn reason(&self, started: Timestamp, total: u64) -> Result<DeleteReason, SkipReason> {
        let p = self.policy;
        if p.max_age.is_some_and(|m| age(started, self.now) >= m.get()) {
            Ok(DeleteReason::MaxAge)
        } else if p.max_total.is_some_and(|m| total > m.bytes()) {
            Ok(DeleteReason::MaxTotal)
        } else {
            match self.pressure {
                None => Err(SkipReason::NoPressure),
                Some(g) if g.met(self.available, self.inodes_free, self.inodes_total) => {
                    Err(SkipReason::TargetReached)
                }
                Some(_) if self.cooling => Err(SkipReason::CoolingDown),
                Some(_) => Ok(DeleteReason::Pressure),
            }
        }
    }

    /// Deletes the run (past its floors) if a reason says so; whether it went.
    fn decide(
        &mut self,
        started: Timestamp,
        entry: &RunEntry,
        bytes: u64,
        total: u64,
        report: &mut CleanupReport,
    ) -> bool {
        let reason = match self.reason(started, total) {
            Ok(reason) => reason,
            Err(why) => {
                report.skipped.push((decision_of(entry, bytes, None), why));
                return false;
            }
        };
        let decision = decision_of(entry, bytes, Some(reason));
        let lock = match entry.dir.lock_state() {
            Ok(LockState::Active) => Some(SkipReason::Active),
            Ok(LockState::Unlocked | LockState::Stale) => None,
            Err(_) => Some(SkipReason::LockUnusable),
        };
        if let Some(why) = lock {
            report.skipped.push((decision.kept(), why));
            return false;
        }
        if self.policy.dry_run {
            self.available = self.available.saturating_add(bytes);
            self.deleted(decision, report);
            return true;
        }
        match delete_run(self.root, &entry.dir, &entry.pipeline) {
            Ok(Outcome::Deleted) => {
                report::log_deleted(&decision);
                self.audit.deleted(&decision, report);
                match self.source.space(self.root) {
                    Ok(s) => {
                        self.available = s.available;
                        self.inodes_free = s.inodes_free;
                    }
                    Err(_) => self.available = self.available.saturating_add(bytes),
                }
                self.deleted(decision, report);
                true
            }
            Ok(Outcome::Skipped(why)) => {
                report.skipped.push((decision.kept(), why));
                false
            }
            Err(e) => {
                report::record_failure(report, decision, &e);
                false
            }
        }
    }

    fn deleted(&mut self, decision: RunDecision, report: &mut CleanupReport) {
        self.deleted_under_pressure |= decision.reason == Some(DeleteReason::Pressure);
        report.bytes_freed += decision.bytes;
        report.deleted.push(decision);
    }
}

/// Whether `space` is under pressure by `policy` (below `target_free`, or past the `high`
/// watermark of its watermarks).
pub(crate) fn under_pressure(policy: &CleanupPolicy, space: &crate::DiskSpace) -> bool {
    Pressure::of(policy, space).is_some()
}

fn decision(dir: &RunDir, reason: Option<DeleteReason>) -> RunDecision {
    RunDecision {
        id: dir.id().to_owned(),
        bytes: dir_size(dir.path()),
        reason,
    }
}

fn decision_of(entry: &RunEntry, bytes: u64, reason: Option<DeleteReason>) -> RunDecision {
    RunDecision {
        id: entry.dir.id().to_owned(),
        bytes,
        reason,
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
