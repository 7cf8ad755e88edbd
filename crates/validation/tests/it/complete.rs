//! The `run_complete` rule (issue 26): a live, crashed or aborted run never passes
//! validation by accident; `Incomplete::Warn` judges partial data on purpose; the run's own
//! `finish` (which holds the lock) is exempt.

use steadfast_core::{RunDir, RunManifest, RunState, Status};
use steadfast_validation::{Incomplete, ValidationReport, validate_run, validate_run_with};

use crate::fixture::{at, run, step, thresholds};

fn with_state(r: &RunDir, state: RunState) {
    let mut m: RunManifest = r.read_manifest().unwrap();
    m.state = state;
    r.write_manifest(&m).unwrap();
}

fn judged(report: &ValidationReport) -> (Status, &str, i32) {
    let first = &report.results[0];
    assert_eq!(first.name, "run_complete", "{report:?}");
    (first.status, first.observed.as_str(), report.exit_code())
}

fn good_run(root: &std::path::Path) -> RunDir {
    run(
        root,
        "epic",
        0,
        &[
            step("bronze", Some(10), &[("Patient", 100)]),
            step("silver", Some(10), &[("Patient", 100)]),
        ],
    )
}

#[test]
fn a_crashed_run_fails_run_complete_even_when_its_data_looks_fine() {
    let root = tempfile::tempdir().unwrap();
    let r = good_run(root.path());
    assert_eq!(
        judged(&validate_run(r.path(), &thresholds("")).unwrap()),
        (Status::Pass, "finished", 0)
    );
    // Still `running`, nobody holds its lock (a stale lock file or none): it crashed.
    with_state(&r, RunState::Running);
    std::fs::File::create(r.active_lock_path()).unwrap();
    let report = validate_run(r.path(), &thresholds("")).unwrap();
    assert_eq!(
        judged(&report),
        (Status::Fail, "running, no live process", 1)
    );
    assert!(
        report.results[0].message.contains("crashed")
            && report.results[0].message.contains("--allow-incomplete"),
        "{}",
        report.results[0].message
    );
    with_state(&r, RunState::Aborted);
    assert_eq!(
        judged(&validate_run(r.path(), &thresholds("")).unwrap()),
        (Status::Fail, "aborted", 1)
    );
}

#[test]
fn a_live_run_fails_run_complete_whatever_its_manifest_says() {
    let root = tempfile::tempdir().unwrap();
    let r = good_run(root.path());
    let _held = r.lock().unwrap(); // another holder, as another process would be
    let report = validate_run(r.path(), &thresholds("")).unwrap();
    assert_eq!(judged(&report), (Status::Fail, "finished, live", 1));
    assert!(report.results[0].message.contains("holds its .active lock"));
}

#[test]
fn partial_data_is_judged_on_purpose_and_finish_is_exempt() {
    let root = tempfile::tempdir().unwrap();
    let r = good_run(root.path());
    with_state(&r, RunState::Running);
    let warned = validate_run_with(r.path(), &thresholds(""), Incomplete::Warn, at()).unwrap();
    assert_eq!(
        judged(&warned),
        (Status::Warn, "running, no live process", 0)
    );
    // The process finishing the run holds its lock: no run_complete rule at all.
    let _lock = r.lock().unwrap();
    let own = validate_run_with(r.path(), &thresholds(""), Incomplete::Finishing, at()).unwrap();
    assert!(own.results.iter().all(|x| x.name != "run_complete"));
    assert_eq!(own.exit_code(), 0);
}

#[test]
fn a_crash_before_any_metrics_says_incomplete_not_only_no_metrics() {
    let root = tempfile::tempdir().unwrap();
    let r = good_run(root.path());
    with_state(&r, RunState::Running);
    std::fs::remove_file(r.metrics_path()).unwrap();
    let report = validate_run(r.path(), &thresholds("")).unwrap();
    assert_eq!(
        judged(&report),
        (Status::Fail, "running, no live process", 1)
    );
    assert_eq!(report.results.len(), 1);
    // Judged on purpose, there is nothing to judge: the error says so.
    let err = validate_run_with(r.path(), &thresholds(""), Incomplete::Warn, at()).unwrap_err();
    assert!(err.to_string().contains("no metrics.ndjson"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_fifo_or_symlink_lock_fails_run_complete_without_hanging() {
    let root = tempfile::tempdir().unwrap();
    let r = good_run(root.path());
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::os::unix::fs::symlink(outside.path(), r.active_lock_path()).unwrap();
    let report = validate_run(r.path(), &thresholds("")).unwrap();
    assert_eq!(
        judged(&report),
        (Status::Fail, "finished, lock unreadable", 1)
    );
    assert!(
        report.results[0].message.contains("symbolic link"),
        "{}",
        report.results[0].message
    );
}
