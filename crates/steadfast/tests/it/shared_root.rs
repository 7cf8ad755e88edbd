//! A runs root shared by pipelines (issue 26): a run's start-up cleanup deletes only its own
//! pipeline's runs (unless `[disk.cleanup] scope = "root"`), never a directory that is not a
//! run, and records each deletion as a disk event on the run's page; runs starting side by
//! side in one root all start.

use std::path::Path;

use steadfast::Run;
use steadfast::run::{RunDir, RunManifest, RunState, Timestamp, read_ndjson};

/// A finished run of `pipeline`, `days` days old.
fn old_run(root: &Path, pipeline: &str, days: u64) -> RunDir {
    let started = Timestamp::from_unix_secs(1_700_000_000 - days * 86_400);
    let run = RunDir::create_at(root, pipeline, started).unwrap();
    let mut m = RunManifest::new(run.id(), pipeline, started);
    m.state = RunState::Finished;
    run.write_manifest(&m).unwrap();
    run
}

fn eager(pipeline: &str, root: &Path) -> steadfast::RunBuilder {
    Run::builder(pipeline)
        .runs_root(root)
        .set("disk.cleanup.keep_newest=0")
        .set("disk.cleanup.min_age=0s")
        .set("disk.cleanup.max_age=0s") // a cap every old run is past: no pressure needed
        .env_vars::<_, String, String>([])
}

#[test]
fn a_run_cleans_only_its_own_pipeline_and_records_each_deletion() {
    let root = tempfile::tempdir().unwrap();
    let epic: Vec<RunDir> = (1..=3).map(|d| old_run(root.path(), "epic", d)).collect();
    let ours: Vec<RunDir> = (1..=2).map(|d| old_run(root.path(), "demo", d)).collect();
    // Looks like a demo run, is not one (no run.json): never deleted.
    let decoy = RunDir::create_at(root.path(), "demo", Timestamp::from_unix_secs(1)).unwrap();

    let run = eager("demo", root.path()).start().unwrap();
    assert_eq!(run.cleaned_runs(), 2);
    assert!(ours.iter().all(|r| !r.path().exists()));
    assert!(
        epic.iter().all(|r| r.read_manifest().is_ok()),
        "epic's runs were touched"
    );
    assert!(decoy.path().exists());
    let report = run.finish().unwrap();

    let events = read_ndjson::<serde_json::Value>(report.run_dir.join("disk-events.ndjson"))
        .unwrap()
        .records;
    let deleted: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "deleted")
        .filter_map(|e| e["run"].as_str())
        .collect();
    assert_eq!(deleted, [ours[1].id(), ours[0].id()]);
    #[cfg(feature = "report")]
    {
        let page = std::fs::read_to_string(report.run_dir.join(steadfast::run::files::REPORT_PAGE))
            .unwrap();
        assert!(page.contains("cleanup deleted") && page.contains(ours[0].id()));
        assert!(!page.contains("no cleanup during the run"));
    }
}

#[test]
fn scope_root_cleans_every_pipeline_but_never_what_is_not_a_run() {
    let root = tempfile::tempdir().unwrap();
    let epic = old_run(root.path(), "epic", 1);
    let plain = root.path().join("epic-exports");
    std::fs::create_dir(&plain).unwrap();
    let run = eager("demo", root.path())
        .set("disk.cleanup.scope=root")
        .start()
        .unwrap();
    assert_eq!(run.cleaned_runs(), 1);
    assert!(!epic.path().exists() && plain.exists());
    run.finish().unwrap();
}

#[cfg(unix)]
#[test]
fn runs_starting_side_by_side_in_one_root_all_start() {
    let root = tempfile::tempdir().unwrap();
    // A probe name planted as a link: never followed, never truncated.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious");
    steadfast::run::atomic_write(&target, "keep me").unwrap();
    std::os::unix::fs::symlink(&target, root.path().join(".steadfast-write-probe")).unwrap();
    for _ in 0..5 {
        let barrier = std::sync::Barrier::new(3);
        std::thread::scope(|s| {
            for i in 0..3 {
                let (barrier, root) = (&barrier, root.path());
                s.spawn(move || {
                    barrier.wait();
                    let run = eager(&format!("p{i}"), root).start().unwrap();
                    run.finish().unwrap();
                });
            }
        });
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
}
