//! Cleanup's hard safety rules, one test each, on a real directory tree.

use std::path::Path;
use std::time::SystemTime;

use steadfast_core::{ByteSize, HumanDuration, RunDir, Timestamp};
use steadfast_diskwatch::{CleanupPolicy, DiskSpace, SkipReason, Statvfs, clean_runs};

const T0: u64 = 1_759_140_000;

fn make_runs(root: &Path, n: u64) -> Vec<RunDir> {
    (0..n)
        .map(|h| {
            let run = crate::run_at(root, "epic", Timestamp::from_unix_secs(T0 + h * 3600));
            std::fs::create_dir_all(run.data_dir(Some("bronze"))).unwrap();
            let mut f =
                std::fs::File::create(run.data_dir(Some("bronze")).join("Patient.ndjson")).unwrap();
            std::io::Write::write_all(&mut f, &vec![b'x'; 1000]).unwrap();
            run
        })
        .collect()
}

fn later() -> SystemTime {
    Timestamp::from_unix_secs(T0 + 100 * 3600).system_time()
}

/// Under pressure for good (a free-space target no disk reaches), no cooldown: every run
/// past the floors goes.
fn policy(keep: usize) -> CleanupPolicy {
    CleanupPolicy {
        keep_newest: keep,
        min_age: HumanDuration::from_secs(0),
        ..crate::pressing()
    }
}

#[test]
fn oldest_go_first_newest_are_kept_and_young_are_spared() {
    let root = tempfile::tempdir().unwrap();
    let runs = make_runs(root.path(), 6);
    let p = CleanupPolicy {
        keep_newest: 2,
        min_age: HumanDuration::from_secs(3 * 3600),
        ..crate::pressing()
    };
    // "Now" is 5.5 h after the first run: run 3 (2.5 h old) is younger than 3 h.
    let now = Timestamp::from_unix_secs(T0 + 5 * 3600 + 1800).system_time();
    let report = clean_runs(root.path(), &p, &Statvfs, now).unwrap();
    let deleted: Vec<&str> = report.deleted.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(deleted, [runs[0].id(), runs[1].id(), runs[2].id()]);
    assert!(report.deleted.iter().all(|d| d.bytes >= 1000));
    assert_eq!(
        report.bytes_freed,
        report.deleted.iter().map(|d| d.bytes).sum::<u64>()
    );
    let reasons: Vec<SkipReason> = report.skipped.iter().map(|(_, r)| *r).collect();
    assert_eq!(
        reasons,
        [
            SkipReason::TooYoung,
            SkipReason::KeptNewest,
            SkipReason::KeptNewest
        ]
    );
    assert_eq!(RunDir::list(root.path()).unwrap().len(), 3);
}

#[test]
fn an_active_run_is_never_deleted() {
    let root = tempfile::tempdir().unwrap();
    let runs = make_runs(root.path(), 3);
    let _held = runs[0].lock().unwrap();
    // A crashed run's stale lock does not protect it.
    std::fs::File::create(runs[1].active_lock_path()).unwrap();
    let report = clean_runs(root.path(), &policy(0), &Statvfs, later()).unwrap();
    assert!(runs[0].path().exists());
    assert!(!runs[1].path().exists());
    assert_eq!(report.skipped[0].1, SkipReason::Active);
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    let precious = outside.path().join("precious.txt");
    steadfast_core::atomic_write(&precious, "keep me").unwrap();
    let root = tempfile::tempdir().unwrap();
    let runs = make_runs(root.path(), 2);
    // A link that looks like a run, pointing outside.
    std::os::unix::fs::symlink(
        outside.path(),
        root.path().join("epic-20200101T000000Z-abcdef"),
    )
    .unwrap();
    // A link inside a run, pointing outside.
    std::os::unix::fs::symlink(outside.path(), runs[0].path().join("escape")).unwrap();
    let report = clean_runs(root.path(), &policy(0), &Statvfs, later()).unwrap();
    assert_eq!(report.deleted.len(), 2);
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    assert!(
        root.path()
            .join("epic-20200101T000000Z-abcdef")
            .symlink_metadata()
            .is_ok()
    );
}

#[test]
fn the_root_itself_is_never_deleted_and_a_runs_root_of_runs_is_refused_kindly() {
    let root = tempfile::tempdir().unwrap();
    make_runs(root.path(), 2);
    clean_runs(root.path(), &policy(0), &Statvfs, later()).unwrap();
    assert!(root.path().exists());
    let err = clean_runs(&root.path().join("missing"), &policy(0), &Statvfs, later()).unwrap_err();
    assert!(
        err.to_string().contains("pass an existing directory"),
        "{err}"
    );
}

#[test]
fn target_free_stops_early_and_dry_run_deletes_nothing() {
    let root = tempfile::tempdir().unwrap();
    make_runs(root.path(), 5);
    // Injected space: 10,000 available plus whatever has been deleted from the tree.
    let base = 10_000;
    let source = move |p: &Path| {
        let left = steadfast_diskwatch::dir_size(p);
        Ok(DiskSpace::new(
            p,
            1_000_000,
            base + 5 * 1100 - left.min(5 * 1100),
        ))
    };
    let p = CleanupPolicy {
        target_free: Some(ByteSize::new(11_500)),
        min_reclaim: ByteSize::new(500),
        ..policy(0)
    };
    let dry = clean_runs(
        root.path(),
        &CleanupPolicy {
            dry_run: true,
            ..p.clone()
        },
        &source,
        later(),
    )
    .unwrap();
    assert!(dry.dry_run && !dry.deleted.is_empty());
    assert_eq!(RunDir::list(root.path()).unwrap().len(), 5);
    let real = clean_runs(root.path(), &p, &source, later()).unwrap();
    assert!(real.available_after >= 12_000, "{real:?}");
    assert!(
        real.deleted.len() < 5,
        "stops once target + min_reclaim is reached"
    );
    assert!(
        real.skipped
            .iter()
            .any(|(_, r)| *r == SkipReason::TargetReached)
    );
}
