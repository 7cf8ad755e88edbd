//! A runs root shared by pipelines, holding things that are not runs, hostile lock files
//! and the leftovers of crashes (issue 26): cleanup deletes only what is its own.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use steadfast_core::{HumanDuration, RunDir, Timestamp, files};
use steadfast_diskwatch::{CleanupPolicy, CleanupScope, SkipReason, Statvfs, clean_runs};

use crate::run_at;

const T0: u64 = 1_759_140_000;

fn later() -> SystemTime {
    Timestamp::from_unix_secs(T0 + 100 * 3600).system_time()
}

fn eager() -> CleanupPolicy {
    CleanupPolicy {
        keep_newest: 0,
        min_age: HumanDuration::from_secs(0),
        ..crate::pressing()
    }
}

fn runs(root: &Path, pipeline: &str, n: u64) -> Vec<RunDir> {
    (0..n)
        .map(|h| run_at(root, pipeline, Timestamp::from_unix_secs(T0 + h * 3600)))
        .collect()
}

#[test]
fn a_pipeline_cleans_only_its_own_runs_unless_scoped_to_the_root() {
    let root = tempfile::tempdir().unwrap();
    let ours = runs(root.path(), "demo", 3);
    let theirs = runs(root.path(), "epic", 3);
    let report = clean_runs(root.path(), &eager().for_run_of("demo"), &Statvfs, later()).unwrap();
    assert_eq!(report.deleted.len(), 3, "{report:?}");
    assert!(ours.iter().all(|r| !r.path().exists()));
    assert!(theirs.iter().all(|r| r.manifest_path().exists()));
    // Not even listed: another pipeline's runs are none of this cleanup's business.
    assert!(report.skipped.is_empty(), "{report:?}");

    let root_wide = CleanupPolicy {
        scope: CleanupScope::Root,
        ..eager()
    };
    let report = clean_runs(
        root.path(),
        &root_wide.for_run_of("demo"),
        &Statvfs,
        later(),
    )
    .unwrap();
    assert_eq!(report.deleted.len(), 3);
    assert!(theirs.iter().all(|r| !r.path().exists()));
}

#[test]
fn keep_newest_counts_the_runs_of_the_pipeline_in_scope() {
    let root = tempfile::tempdir().unwrap();
    let ours = runs(root.path(), "demo", 3);
    runs(root.path(), "epic", 3);
    let policy = CleanupPolicy {
        keep_newest: 2,
        ..eager()
    }
    .for_run_of("demo");
    let report = clean_runs(root.path(), &policy, &Statvfs, later()).unwrap();
    let deleted: Vec<&str> = report.deleted.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(deleted, [ours[0].id()]);
}

#[test]
fn directories_that_are_not_steadfast_runs_are_never_deleted() {
    let root = tempfile::tempdir().unwrap();
    let at = |h: u64| Timestamp::from_unix_secs(T0 + h * 3600);
    // Named like runs, but: no run.json; garbage; another directory's manifest; another
    // pipeline's manifest; a FIFO run.json (must not hang either).
    let bare = RunDir::create_at(root.path(), "demo", at(0)).unwrap();
    let garbage = RunDir::create_at(root.path(), "demo", at(1)).unwrap();
    steadfast_core::atomic_write(garbage.manifest_path(), "{\"format_version\":1,").unwrap();
    let copied = RunDir::create_at(root.path(), "demo", at(2)).unwrap();
    let real = run_at(root.path(), "demo", at(3));
    std::fs::copy(real.manifest_path(), copied.manifest_path()).unwrap();
    let foreign = RunDir::create_at(root.path(), "demo", at(4)).unwrap();
    let other = steadfast_core::RunManifest::new(foreign.id(), "epic", at(4));
    foreign.write_manifest(&other).unwrap();
    let fifo = RunDir::create_at(root.path(), "demo", at(5)).unwrap();
    mkfifo(&fifo.manifest_path());
    let plain = root.path().join("notes");
    std::fs::create_dir(&plain).unwrap();

    for policy in [eager(), eager().for_run_of("demo")] {
        let report = clean_runs(root.path(), &policy, &Statvfs, later()).unwrap();
        let not_runs = report
            .skipped
            .iter()
            .filter(|(_, why)| *why == SkipReason::NotARun)
            .count();
        assert_eq!(not_runs, 5, "{report:?}");
    }
    for dir in [&bare, &garbage, &copied, &foreign, &fifo] {
        assert!(dir.path().exists(), "{} deleted", dir.id());
    }
    assert!(plain.exists() && !real.path().exists());
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_or_symlink_lock_neither_hangs_cleanup_nor_is_written_through() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious.txt");
    steadfast_core::atomic_write(&target, "keep me").unwrap();
    let root = tempfile::tempdir().unwrap();
    let runs = runs(root.path(), "demo", 3);
    mkfifo(&runs[0].active_lock_path());
    std::os::unix::fs::symlink(&target, runs[1].active_lock_path()).unwrap();
    for dry_run in [true, false] {
        let policy = CleanupPolicy { dry_run, ..eager() };
        let report = clean_runs(root.path(), &policy, &Statvfs, later()).unwrap();
        let unusable: Vec<&str> = report
            .skipped
            .iter()
            .filter(|(_, why)| *why == SkipReason::LockUnusable)
            .map(|(d, _)| d.id.as_str())
            .collect();
        assert_eq!(unusable, [runs[0].id(), runs[1].id()], "{report:?}");
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(runs[0].path().exists() && runs[1].path().exists() && !runs[2].path().exists());
}

/// A run directory a crash left under its temporary creation name.
fn creating(root: &Path, pipeline: &str) -> std::path::PathBuf {
    let id = format!("{pipeline}-{}-abc123", Timestamp::now().compact());
    let path = root.join(format!("{}{id}", files::CREATING_PREFIX));
    std::fs::create_dir(&path).unwrap();
    std::fs::File::create(path.join(files::ACTIVE)).unwrap(); // a stale lock
    path
}

#[test]
fn leftovers_of_a_crash_during_creation_go_after_min_age_unless_locked() {
    let root = tempfile::tempdir().unwrap();
    let crashed = creating(root.path(), "demo");
    let theirs = creating(root.path(), "epic");
    let live = root.path().join(format!(
        "{}demo-{}-def456",
        files::CREATING_PREFIX,
        Timestamp::now().compact()
    ));
    std::fs::create_dir(&live).unwrap();
    let _held = RunDir::open(&live).unwrap().lock().unwrap();
    let policy = CleanupPolicy {
        min_age: HumanDuration::from_secs(600),
        ..eager()
    }
    .for_run_of("demo");

    // Younger than min_age: left alone.
    let now = SystemTime::now();
    clean_runs(root.path(), &policy, &Statvfs, now).unwrap();
    assert!(crashed.exists());
    // Older, and its lock free: removed and reported; a held one and another
    // pipeline's are not.
    let report = clean_runs(
        root.path(),
        &policy,
        &Statvfs,
        now + Duration::from_secs(3600),
    )
    .unwrap();
    assert!(!crashed.exists() && live.exists() && theirs.exists());
    let deleted: Vec<&str> = report.deleted.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(deleted, [crashed.file_name().unwrap().to_str().unwrap()]);
    assert_eq!(report.events().len(), 1);
}

#[test]
fn min_age_zero_never_takes_a_run_being_created() {
    // `mkdir` then lock: a `.creating-` directory without its lock yet is a run starting
    // right now, whatever `min_age` says.
    let root = tempfile::tempdir().unwrap();
    let starting = creating(root.path(), "demo");
    let report = clean_runs(root.path(), &eager(), &Statvfs, SystemTime::now()).unwrap();
    assert!(starting.exists(), "{report:?}");
}
