//! Retention that keeps evidence (issue 19): with the defaults and room on the disk nothing
//! goes; under pressure (`target_free`) the oldest go down to the goal; `max_total` and
//! `max_age` caps; `.hold` runs kept; a cooldown shared through the runs root; every
//! deletion with its reason (the monitor's part is in `retention_monitor.rs`). Space is
//! injected: what the runs hold is what is "used", so a deletion frees exactly its bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use steadfast_core::{ByteSize, HumanDuration, RunDir, Timestamp, files};
use steadfast_diskwatch::{
    CleanupPolicy, CleanupScope, DeleteReason, DiskConfig, DiskSpace, SkipReason, clean_runs,
    dir_size,
};

pub(crate) const T0: u64 = 1_759_140_000;
pub(crate) const TOTAL: u64 = 100_000;

pub(crate) fn at(hours: u64) -> SystemTime {
    Timestamp::from_unix_secs(T0 + hours * 3600).system_time()
}

/// `n` runs of `pipeline`, an hour apart from `T0`, each holding `bytes` of data.
pub(crate) fn runs(root: &Path, pipeline: &str, n: u64, bytes: usize) -> Vec<RunDir> {
    (0..n)
        .map(|h| {
            let run = crate::run_at(root, pipeline, Timestamp::from_unix_secs(T0 + h * 3600));
            steadfast_core::atomic_write(run.join("data.bin"), vec![7u8; bytes]).unwrap();
            run
        })
        .collect()
}

/// A disk of [`TOTAL`] bytes whose used space is `other` (shared, so a test can fill it)
/// plus what the runs under `root` hold now (not the root's own small files).
pub(crate) fn disk(
    root: &Path,
    other: Arc<AtomicU64>,
) -> impl Fn(&Path) -> Result<DiskSpace, steadfast_diskwatch::Error> + Send + Sync + 'static {
    let root: PathBuf = root.to_path_buf();
    move |p: &Path| {
        let used = other.load(Ordering::SeqCst) + held_by_runs(&root);
        Ok(DiskSpace::new(p, TOTAL, TOTAL.saturating_sub(used)))
    }
}

pub(crate) fn held_by_runs(root: &Path) -> u64 {
    RunDir::list(root)
        .unwrap()
        .iter()
        .map(|r| dir_size(r.dir.path()))
        .sum()
}

fn ids(report: &steadfast_diskwatch::CleanupReport) -> Vec<&str> {
    report.deleted.iter().map(|d| d.id.as_str()).collect()
}

#[test]
fn defaults_on_a_roomy_disk_delete_nothing_even_with_twelve_old_runs() {
    let root = tempfile::tempdir().unwrap();
    runs(root.path(), "demo", 12, 100);
    let roomy = disk(root.path(), Arc::new(AtomicU64::new(20_000)));
    // The Run's own policy: defaults, its pipeline, the default watermarks.
    let policy = DiskConfig::default().cleanup_for("demo");
    let report = clean_runs(root.path(), &policy, &roomy, at(1000)).unwrap();
    assert!(
        report.deleted.is_empty() && !report.under_pressure,
        "{report:?}"
    );
    let no_pressure = report
        .skipped
        .iter()
        .filter(|(_, why)| *why == SkipReason::NoPressure)
        .count();
    assert_eq!(no_pressure, 7, "the 5 newest are kept by keep_newest");
    // The demo's configuration (keep 10, no minimum age) keeps all twelve too.
    let demo = CleanupPolicy {
        keep_newest: 10,
        min_age: HumanDuration::from_secs(0),
        ..policy
    };
    assert!(
        clean_runs(root.path(), &demo, &roomy, at(1000))
            .unwrap()
            .deleted
            .is_empty()
    );
    assert_eq!(RunDir::list(root.path()).unwrap().len(), 12);
}

#[test]
fn below_target_free_the_oldest_go_until_target_plus_min_reclaim() {
    let root = tempfile::tempdir().unwrap();
    let all = runs(root.path(), "epic", 8, 5_000);
    let one = dir_size(all[0].path());
    let filler = Arc::new(AtomicU64::new(50_000));
    let source = disk(root.path(), filler);
    let available = source(root.path()).unwrap().available;
    // Two runs' worth short of the target, and min_reclaim asks for half a run more.
    let policy = CleanupPolicy {
        keep_newest: 1,
        target_free: Some(ByteSize::new(available + 2 * one)),
        min_reclaim: ByteSize::new(one / 2),
        ..CleanupPolicy::default()
    };
    let report = clean_runs(root.path(), &policy, &source, at(100)).unwrap();
    assert_eq!(ids(&report), [all[0].id(), all[1].id(), all[2].id()]);
    assert!(
        report
            .deleted
            .iter()
            .all(|d| d.reason == Some(DeleteReason::Pressure))
    );
    assert!(report.under_pressure);
    assert_eq!(report.available_after, available + 3 * one);
    assert_eq!(report.skipped[0].1, SkipReason::TargetReached);
}

#[cfg(unix)]
#[test]
fn a_held_run_is_skipped_and_the_next_oldest_goes_instead() {
    let root = tempfile::tempdir().unwrap();
    let all = runs(root.path(), "epic", 5, 1_000);
    steadfast_core::atomic_write(all[0].join(files::HOLD), "").unwrap();
    // A link named .hold holds too (whatever it points at).
    std::os::unix::fs::symlink("/nonexistent", all[1].join(files::HOLD)).unwrap();
    let source = disk(root.path(), Arc::new(AtomicU64::new(0)));
    let one = dir_size(all[2].path());
    let policy = CleanupPolicy {
        keep_newest: 0,
        target_free: Some(ByteSize::new(source(root.path()).unwrap().available + one)),
        ..CleanupPolicy::default()
    };
    let report = clean_runs(root.path(), &policy, &source, at(100)).unwrap();
    assert_eq!(ids(&report), [all[2].id()]);
    let held: Vec<&str> = report
        .skipped
        .iter()
        .filter(|(_, why)| *why == SkipReason::Held)
        .map(|(d, _)| d.id.as_str())
        .collect();
    assert_eq!(held, [all[0].id(), all[1].id()]);
    // The caps do not take a held run either.
    let capped = CleanupPolicy {
        keep_newest: 0,
        max_age: Some(HumanDuration::from_secs(0)),
        ..CleanupPolicy::default()
    };
    let report = clean_runs(root.path(), &capped, &source, at(100)).unwrap();
    assert_eq!(ids(&report), [all[3].id(), all[4].id()]);
    assert!(all[0].path().exists() && all[1].path().exists());
}

#[test]
fn max_age_takes_runs_that_old_beyond_the_floors_without_pressure() {
    let root = tempfile::tempdir().unwrap();
    let all = runs(root.path(), "epic", 6, 100);
    let roomy = disk(root.path(), Arc::new(AtomicU64::new(0)));
    let policy = CleanupPolicy {
        keep_newest: 3,
        max_age: Some(HumanDuration::from_secs(8 * 3600)),
        ..CleanupPolicy::default()
    };
    // At hour 10: runs of hours 0, 1 and 2 are 8 h old or more; run 3 is newer; 3-5 kept.
    let report = clean_runs(root.path(), &policy, &roomy, at(10)).unwrap();
    assert_eq!(ids(&report), [all[0].id(), all[1].id(), all[2].id()]);
    assert!(
        report
            .deleted
            .iter()
            .all(|d| d.reason == Some(DeleteReason::MaxAge))
    );
    assert!(!report.under_pressure);
    // keep_newest is a floor: an older cap does not go past it.
    let report = clean_runs(root.path(), &policy, &roomy, at(1000)).unwrap();
    assert!(report.deleted.is_empty(), "{report:?}");
}

#[test]
fn max_total_counts_each_pipeline_on_its_own() {
    let root = tempfile::tempdir().unwrap();
    let a = runs(root.path(), "a", 5, 2_000);
    let b = runs(root.path(), "b", 2, 2_000);
    let one = dir_size(a[0].path());
    let roomy = disk(root.path(), Arc::new(AtomicU64::new(0)));
    // Room for two and a half runs per pipeline: `a` must lose three, `b` none.
    let policy = CleanupPolicy {
        keep_newest: 1,
        min_age: HumanDuration::from_secs(0),
        max_total: Some(ByteSize::new(2 * one + one / 2)),
        scope: CleanupScope::Root,
        ..CleanupPolicy::default()
    };
    let report = clean_runs(root.path(), &policy, &roomy, at(100)).unwrap();
    assert_eq!(ids(&report), [a[0].id(), a[1].id(), a[2].id()]);
    assert!(
        report
            .deleted
            .iter()
            .all(|d| d.reason == Some(DeleteReason::MaxTotal))
    );
    assert!(b.iter().all(|r| r.path().exists()));
}

#[test]
fn a_cooldown_spaces_pressure_deletions_but_not_the_caps() {
    let root = tempfile::tempdir().unwrap();
    let all = runs(root.path(), "epic", 6, 5_000);
    let one = dir_size(all[0].path());
    let filler = Arc::new(AtomicU64::new(0));
    let source = disk(root.path(), filler.clone());
    let goal = source(root.path()).unwrap().available + one; // one run short
    let policy = CleanupPolicy {
        keep_newest: 0,
        target_free: Some(ByteSize::new(goal)),
        ..CleanupPolicy::default()
    }
    .for_run_of("epic");
    let t = at(100);
    let report = clean_runs(root.path(), &policy, &source, t).unwrap();
    assert_eq!(ids(&report), [all[0].id()]);
    assert!(root.path().join(".cleanup-last-epic").is_file());

    // The disk fills again a minute later: pressure, but within the 5 min cooldown.
    filler.fetch_add(one, Ordering::SeqCst);
    let report = clean_runs(root.path(), &policy, &source, t + Duration::from_secs(60)).unwrap();
    assert!(report.deleted.is_empty() && report.under_pressure);
    assert_eq!(
        report.cooling_down_until,
        Some(Timestamp::from_system(t + Duration::from_secs(300)))
    );
    assert_eq!(
        report.skipped[0],
        (report.skipped[0].0.clone(), SkipReason::CoolingDown)
    );
    // Caps are not pressure: they apply within the cooldown.
    let capped = CleanupPolicy {
        max_age: Some(HumanDuration::from_secs(99 * 3600)),
        ..policy.clone()
    };
    let report = clean_runs(root.path(), &capped, &source, t + Duration::from_secs(60)).unwrap();
    assert_eq!(ids(&report), [all[1].id()]);
    assert_eq!(report.deleted[0].reason, Some(DeleteReason::MaxAge));

    // Once the cooldown has passed, pressure deletes again.
    filler.fetch_add(one, Ordering::SeqCst);
    let report = clean_runs(root.path(), &policy, &source, t + Duration::from_secs(301)).unwrap();
    assert_eq!(ids(&report), [all[2].id()]);
    assert_eq!(report.cooling_down_until, None);
}

#[test]
fn an_audit_trail_that_cannot_be_written_is_reported_and_the_deletion_stands() {
    let root = tempfile::tempdir().unwrap();
    let all = runs(root.path(), "epic", 3, 100);
    std::fs::create_dir(root.path().join(files::AUDIT)).unwrap(); // not a file
    let policy = CleanupPolicy {
        keep_newest: 2,
        max_age: Some(HumanDuration::from_secs(0)),
        ..CleanupPolicy::default()
    };
    let roomy = disk(root.path(), Arc::new(AtomicU64::new(0)));
    let dry = CleanupPolicy {
        dry_run: true,
        ..policy.clone()
    };
    let report = clean_runs(root.path(), &dry, &roomy, at(100)).unwrap();
    assert!(report.not_recorded.is_empty(), "a dry run records nothing");
    let report = clean_runs(root.path(), &policy, &roomy, at(100)).unwrap();
    assert_eq!(ids(&report), [all[0].id()]);
    assert!(report.failed.is_empty());
    assert_eq!(report.not_recorded.len(), 1, "{report:?}");
    assert!(
        report.not_recorded[0].contains(&format!(
            "deleted run {} is not in the audit trail",
            all[0].id()
        )),
        "{}",
        report.not_recorded[0]
    );
}
