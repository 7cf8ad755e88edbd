//! A real size-limited filesystem: a 4 MiB tmpfs mounted by the test (as root, as CI runs)
//! is filled past each watermark while the monitor samples it with `statvfs`, then cleanup
//! brings the space back. Skipped, saying so, where mounting is not allowed — never in CI.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use steadfast_core::{ByteSize, HumanDuration, RunDir, Timestamp};
use steadfast_diskwatch::{
    CleanupPolicy, DELETING_PREFIX, DiskEvent, Level, Monitor, Preflight, Statvfs, clean_runs,
};

/// A tmpfs that unmounts itself.
struct Tmpfs {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().to_path_buf();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { _dir: dir, path })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn fill(path: &Path, bytes: usize) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&vec![7u8; bytes]).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn filling_a_real_filesystem_crosses_each_watermark_and_cleanup_recovers() {
    let Some(fs) = Tmpfs::mount("4m") else {
        steadfast_testkit::skip("cannot mount a tmpfs here (needs root; CI runs as root)");
        return;
    };
    let root = fs.path.join("runs");
    std::fs::create_dir(&root).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let events_file = fs.path.join("disk-events.ndjson");
    let monitor = Monitor::builder(&root)
        .channel(tx)
        .events_file(&events_file)
        .build()
        .unwrap();
    assert_eq!(monitor.tick(Duration::ZERO).unwrap(), vec![]);

    // Three runs filling the 4 MiB filesystem to about 86%, 91% and 96%: one watermark each.
    let mut t = 0;
    for (h, kib) in [3530u64, 205, 205].into_iter().enumerate() {
        let started = Timestamp::from_unix_secs(1_759_140_000 + h as u64 * 3600);
        let run = crate::run_at(&root, "epic", started);
        fill(&run.join("data.bin"), usize::try_from(kib * 1024).unwrap());
        t += 60;
        monitor.tick(Duration::from_secs(t)).unwrap();
    }
    let seen: Vec<Level> = rx
        .try_iter()
        .filter_map(|e| match e {
            DiskEvent::Crossed { level, .. } => Some(level),
            _ => None,
        })
        .collect();
    assert_eq!(seen, [Level::Low, Level::High, Level::Flood]);
    assert_eq!(monitor.last().unwrap().1, Level::Flood);
    let predicted = std::fs::read_to_string(&events_file).unwrap();
    assert!(predicted.contains("\"event\":\"crossed\""), "{predicted}");
    assert!(
        predicted.contains("\"event\":\"fill_predicted\""),
        "{predicted}"
    );

    // Preflight now refuses a 1 MiB step, and says which runs would free enough.
    let policy = CleanupPolicy {
        keep_newest: 1,
        min_age: HumanDuration::from_secs(0),
        ..CleanupPolicy::default()
    };
    let err = Preflight::new()
        .disk(&root, ByteSize::mib(2))
        .suggest_cleanup(&root, policy.clone())
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("oldest runs under") && err.contains("steadfast disk clean"),
        "{err}"
    );

    // Cleanup to a 2.5 MiB target: space comes back, levels recover.
    let p = CleanupPolicy {
        target_free: Some(ByteSize::new(2_500 * 1024)),
        ..policy
    };
    let report = clean_runs(&root, &p, &Statvfs, SystemTime::now()).unwrap();
    assert!(report.available_after >= 2_500 * 1024, "{report:?}");
    assert!(report.available_after > report.available_before);
    monitor.tick(Duration::from_secs(t + 60)).unwrap();
    let recovered = rx
        .try_iter()
        .any(|e| matches!(e, DiskEvent::Recovered { .. }));
    assert!(recovered);
    assert!(monitor.last().unwrap().1 < Level::Flood);
    Preflight::new()
        .disk(&root, ByteSize::mib(2))
        .check()
        .unwrap();
}

#[test]
fn a_deletion_that_fails_is_reported_and_the_rest_go_on() {
    let Some(fs) = Tmpfs::mount("2m") else {
        steadfast_testkit::skip("cannot mount a tmpfs here (needs root; CI runs as root)");
        return;
    };
    let root = fs.path.join("runs");
    std::fs::create_dir(&root).unwrap();
    let runs: Vec<RunDir> = (0..3u64)
        .map(|h| {
            crate::run_at(
                &root,
                "epic",
                Timestamp::from_unix_secs(1_759_140_000 + h * 3600),
            )
        })
        .collect();
    // A mount point inside the oldest run: removing it fails with EBUSY, even for root.
    let inner = runs[0].join("busy");
    std::fs::create_dir(&inner).unwrap();
    let Some(_busy) = Tmpfs::mount_at(&inner) else {
        steadfast_testkit::skip("cannot mount inside the run (needs root; CI runs as root)");
        return;
    };
    let p = CleanupPolicy {
        keep_newest: 0,
        min_age: HumanDuration::from_secs(0),
        ..crate::pressing()
    };
    let report = clean_runs(&root, &p, &Statvfs, SystemTime::now()).unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].0.id, runs[0].id());
    // It says the run is partly deleted, and where what is left lies: no longer a run.
    let left = root.join(format!("{DELETING_PREFIX}{}", runs[0].id()));
    let message = &report.failed[0].1;
    assert!(
        message.contains("is partly deleted") && message.contains(&*left.to_string_lossy()),
        "{message}"
    );
    assert!(!runs[0].path().exists() && left.exists());
    assert_eq!(report.deleted.len(), 2);
    assert!(!runs[1].path().exists() && !runs[2].path().exists());
    // Once the obstacle is gone, a later cleanup finishes the job.
    let _ = Command::new("umount")
        .arg("-l")
        .arg(left.join("busy"))
        .status();
    let later = SystemTime::now() + Duration::from_secs(3600);
    let report = clean_runs(&root, &p, &Statvfs, later).unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(!left.exists(), "{report:?}");
}

impl Tmpfs {
    fn mount_at(path: &Path) -> Option<MountGuard> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| MountGuard(path.to_path_buf()))
    }
}

struct MountGuard(PathBuf);

impl Drop for MountGuard {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Issue 19's "Done when": a real 4 MiB tmpfs filled past `high`; the monitor reclaims to
/// below `low` within one tick, keeping the active run and a run on hold.
#[test]
fn on_a_full_tmpfs_the_monitor_reclaims_below_low_in_one_tick() {
    let Some(fs) = Tmpfs::mount("4m") else {
        steadfast_testkit::skip("cannot mount a tmpfs here (needs root; CI runs as root)");
        return;
    };
    let root = fs.path.join("runs");
    std::fs::create_dir(&root).unwrap();
    // Nine runs of 420 KiB: about 92% of the filesystem.
    let runs: Vec<RunDir> = (0..9u64)
        .map(|h| {
            let run = crate::run_at(
                &root,
                "epic",
                Timestamp::from_unix_secs(1_759_140_000 + h * 3600),
            );
            fill(&run.join("data.bin"), 420 * 1024);
            run
        })
        .collect();
    let _active = runs[0].lock().unwrap();
    steadfast_core::atomic_write(runs[1].join(steadfast_core::files::HOLD), "").unwrap();
    let before = steadfast_diskwatch::check(&root).unwrap();
    assert!(before.used_ratio() >= 0.90, "{before:?}");
    let events_file = fs.path.join("disk-events.ndjson");
    let policy = CleanupPolicy {
        keep_newest: 2,
        ..CleanupPolicy::default()
    };
    let monitor = Monitor::builder(&root)
        .events_file(&events_file)
        .cleanup(&root, policy.for_run_of("epic"))
        .build()
        .unwrap();
    let events = monitor.tick(Duration::ZERO).unwrap();
    let deleted: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            DiskEvent::Deleted { run, .. } => Some(run.as_str()),
            _ => None,
        })
        .collect();
    assert!(!deleted.is_empty(), "{events:?}");
    assert_eq!(
        deleted[0],
        runs[2].id(),
        "the oldest not active nor held goes first"
    );
    assert_eq!(monitor.last().unwrap().1, Level::Ok);
    let after = steadfast_diskwatch::check(&root).unwrap();
    assert!(after.used_ratio() < 0.83, "{after:?}");
    assert!(runs[0].path().exists() && runs[1].path().exists());
    let recorded = std::fs::read_to_string(&events_file).unwrap();
    assert_eq!(
        recorded.matches("\"reason\":\"pressure\"").count(),
        deleted.len(),
        "{recorded}"
    );
    // Each deletion is in the root's audit trail, chained.
    let trail = steadfast_core::audit::verify(root.join(steadfast_core::files::AUDIT)).unwrap();
    assert_eq!(trail.lines, deleted.len() as u64);
    assert!(trail.broken.is_none());
}
