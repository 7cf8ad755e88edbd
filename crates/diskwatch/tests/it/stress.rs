//! Issue 26's "Done when": a runs root shared by pipelines `a` and `b`, 50 interleaved runs
//! whose start-up cleanup is forced to delete (`a`: keep none, no minimum age, a free-space
//! target above what is free), and `disk clean --pipeline a --older-than 0s` looping beside
//! them. No `b` run is touched, no run is deleted before (or while) it holds its lock, no
//! directory that is not a run is deleted, and every run starts.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use steadfast_core::{ByteSize, HumanDuration, RunDir, RunManifest, RunState, Timestamp, files};
use steadfast_diskwatch::{CleanupPolicy, CleanupReport, Statvfs, clean_runs};

const THREADS: usize = 5;
const RUNS_PER_THREAD: usize = 10;

fn forced() -> CleanupPolicy {
    CleanupPolicy {
        keep_newest: 0,
        min_age: HumanDuration::from_secs(0),
        target_free: Some(ByteSize::new(u64::MAX / 2)),
        cooldown: HumanDuration::from_secs(0),
        ..CleanupPolicy::default()
    }
}

/// Every deletion is of a run (or leftover) of pipeline `a`.
fn only_a(report: &CleanupReport) {
    for d in &report.deleted {
        let id =
            d.id.trim_start_matches(files::CREATING_PREFIX)
                .trim_start_matches(files::DELETING_PREFIX);
        assert!(id.starts_with("a-"), "deleted {} outside pipeline a", d.id);
    }
    assert!(report.failed.is_empty(), "{report:?}");
}

#[test]
fn interleaved_runs_of_two_pipelines_and_a_cleanup_loop_lose_nothing_they_must_keep() {
    let root = tempfile::tempdir().unwrap();
    let root_path = root.path().to_path_buf();
    // Things that are not runs: named like one (no run.json), and plain directories.
    let decoys = vec![
        RunDir::create_at(&root_path, "a", Timestamp::from_unix_secs(1_600_000_000))
            .unwrap()
            .path()
            .to_path_buf(),
        root_path.join("a-notes"),
        root_path.join("data"),
    ];
    for d in &decoys[1..] {
        std::fs::create_dir(d).unwrap();
    }

    let stop = Arc::new(AtomicBool::new(false));
    let cleaned = Arc::new(AtomicUsize::new(0));
    let cleaner = {
        let (root, stop, cleaned) = (root_path.clone(), stop.clone(), cleaned.clone());
        std::thread::spawn(move || {
            // `disk clean --pipeline a --older-than 0s`: a `max_age` cap of zero.
            let policy = CleanupPolicy {
                pipeline: Some("a".to_owned()),
                target_free: None,
                max_age: Some(HumanDuration::from_secs(0)),
                ..forced()
            };
            let mut passes = 0;
            while !stop.load(Ordering::Relaxed) || passes == 0 {
                let report = clean_runs(&root, &policy, &Statvfs, SystemTime::now()).unwrap();
                only_a(&report);
                cleaned.fetch_add(report.deleted.len(), Ordering::Relaxed);
                passes += 1;
            }
        })
    };

    let kept_b = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (root, cleaned, kept_b) = (root_path.clone(), cleaned.clone(), kept_b.clone());
            std::thread::spawn(move || {
                for i in 0..RUNS_PER_THREAD {
                    let pipeline = if (t + i) % 2 == 0 { "a" } else { "b" };
                    // Never "another process holds its .active lock": locked before visible.
                    let (dir, lock) = RunDir::create_locked(&root, pipeline).unwrap();
                    let mut manifest = RunManifest::new(dir.id(), pipeline, Timestamp::now());
                    dir.write_manifest(&manifest).unwrap();
                    // Its start-up cleanup: forced to delete for `a`, the defaults for `b`.
                    let policy = if pipeline == "a" {
                        forced()
                    } else {
                        CleanupPolicy::default()
                    };
                    let report = clean_runs(
                        &root,
                        &policy.for_run_of(pipeline),
                        &Statvfs,
                        SystemTime::now(),
                    )
                    .unwrap();
                    only_a(&report);
                    assert!(report.deleted.iter().all(|d| d.id != dir.id()));
                    cleaned.fetch_add(report.deleted.len(), Ordering::Relaxed);
                    // The run's work, all while it holds its lock: nothing may vanish.
                    let data = format!("{}-{i}", dir.id());
                    steadfast_core::atomic_write(dir.join("data.txt"), &data).unwrap();
                    manifest.state = RunState::Finished;
                    dir.write_manifest(&manifest).unwrap();
                    assert_eq!(std::fs::read_to_string(dir.join("data.txt")).unwrap(), data);
                    assert_eq!(dir.read_manifest().unwrap(), manifest);
                    lock.release().unwrap();
                    if pipeline == "b" {
                        kept_b.lock().unwrap().push((dir, data));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    cleaner.join().unwrap();

    let kept_b = kept_b.lock().unwrap();
    assert_eq!(kept_b.len(), THREADS * RUNS_PER_THREAD / 2);
    for (dir, data) in kept_b.iter() {
        assert_eq!(
            dir.read_manifest().unwrap().state,
            RunState::Finished,
            "{}",
            dir.id()
        );
        assert_eq!(
            &std::fs::read_to_string(dir.join("data.txt")).unwrap(),
            data
        );
    }
    for d in &decoys {
        assert!(d.exists(), "{} deleted", d.display());
    }
    assert!(
        cleaned.load(Ordering::Relaxed) > 0,
        "the cleanups never deleted anything"
    );
}
