//! Hostile runs inputs (issue 26): shared runs roots, crashed and live runs, planted links
//! and FIFOs, damaged files — against the real binary, each answer and exit code asserted.

mod props;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use steadfast::run::{RunDir, RunManifest, RunState, Timestamp};

use crate::{assert_contained, assert_error, assert_ok, demo, runs_in, steadfast_measured};

/// Runs `steadfast` with `args`, failing the test (and killing it) if it has not ended
/// within 60 s: a hang is the bug these tests guard against.
pub(crate) fn bounded(args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("steadfast {args:?} hung (killed after 60 s)");
        }
    }
}

pub(crate) fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {}", path.display());
}

/// A finished run of `pipeline`, `days` days old, with a data file.
fn old_run(root: &Path, pipeline: &str, days: u64) -> RunDir {
    let started = Timestamp::from_unix_secs(1_700_000_000 - days * 86_400);
    let run = RunDir::create_at(root, pipeline, started).unwrap();
    let mut m = RunManifest::new(run.id(), pipeline, started);
    m.state = RunState::Finished;
    run.write_manifest(&m).unwrap();
    steadfast::run::atomic_write(run.join("data.txt"), "epic's data").unwrap();
    run
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// One demo run under a fresh root; returns (tempdir, runs root, run directory).
fn one_demo() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    assert_ok(&demo(&runs, 20, &[]));
    let run = runs_in(&runs).remove(0);
    (tmp, runs, run)
}

fn set_state(run: &Path, state: RunState) {
    let dir = RunDir::open(run).unwrap();
    let mut m = dir.read_manifest().unwrap();
    m.state = state;
    dir.write_manifest(&m).unwrap();
}

#[test]
fn a_demo_in_a_root_shared_with_another_pipeline_leaves_its_runs_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let epic: Vec<RunDir> = (1..=12).map(|d| old_run(&runs, "epic", d)).collect();
    let lookalike = RunDir::create_at(&runs, "demo", Timestamp::from_unix_secs(1)).unwrap();
    let plain = runs.join("exports");
    std::fs::create_dir(&plain).unwrap();
    let old_demo = old_run(&runs, "demo", 3);
    let (out, rss) = steadfast_measured(&[
        "demo",
        "--runs-root",
        s(&runs),
        "--patients",
        "20",
        "--set",
        "disk.cleanup.keep_newest=0",
        "--set",
        "disk.cleanup.max_age=0s", // a cap every old run is past: no pressure needed
    ]);
    assert_contained(&out, rss);
    assert_ok(&out);
    for run in &epic {
        assert_eq!(
            std::fs::read_to_string(run.join("data.txt")).unwrap(),
            "epic's data",
            "{} touched",
            run.id()
        );
    }
    assert!(lookalike.path().exists() && plain.exists());
    // Its own old run went, and the new run says so: disk event and page.
    assert!(!old_demo.path().exists());
    let new = RunDir::list(&runs)
        .unwrap()
        .into_iter()
        .find(|e| e.pipeline == "demo" && e.dir.manifest_path().exists())
        .unwrap()
        .dir;
    let events = std::fs::read_to_string(new.disk_events_path()).unwrap();
    assert!(events.contains("\"event\":\"deleted\"") && events.contains(old_demo.id()));
    let page = std::fs::read_to_string(new.join("report.html")).unwrap();
    assert!(page.contains("cleanup deleted") && page.contains(old_demo.id()));
}

#[cfg(unix)]
#[test]
fn a_planted_active_link_or_fifo_is_never_written_through_and_hangs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let target = tmp.path().join("outside.txt");
    steadfast::run::atomic_write(&target, "keep me").unwrap();
    let linked = old_run(&runs, "demo", 2);
    std::os::unix::fs::symlink(&target, linked.active_lock_path()).unwrap();
    let fifo = old_run(&runs, "demo", 1);
    mkfifo(&fifo.active_lock_path());

    let dry = bounded(&[
        "disk",
        "clean",
        s(&runs),
        "--keep",
        "0",
        "--older-than",
        "0s",
        "--dry-run",
    ]);
    let text = assert_ok(&dry);
    assert!(
        text.contains("its .active is not a usable lock file"),
        "{text}"
    );
    let real = bounded(&[
        "disk",
        "clean",
        s(&runs),
        "--keep",
        "0",
        "--older-than",
        "0s",
    ]);
    assert_ok(&real);
    // A run's start-up cleanup in the same root: no hang, no write through the link.
    let out = bounded(&[
        "demo",
        "--runs-root",
        s(&runs),
        "--patients",
        "5",
        "--set",
        "disk.cleanup.keep_newest=0",
    ]);
    assert_ok(&out);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(linked.path().exists() && fifo.path().exists());
    // validate-run on either: run_complete fails (its lock cannot be probed), no hang.
    for run in [&linked, &fifo] {
        let out = bounded(&["validate-run", "--run-dir", s(run.path()), "--no-write"]);
        assert_eq!(out.status.code(), Some(1));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("run_complete"), "{stdout}");
    }
}

#[cfg(unix)]
#[test]
fn report_out_refuses_a_link_and_a_fifo() {
    let (tmp, _runs, run) = one_demo();
    let target = tmp.path().join("outside.html");
    steadfast::run::atomic_write(&target, "keep me").unwrap();
    let link = tmp.path().join("page.html");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = bounded(&["report", s(&run), "--out", s(&link)]);
    assert_error(&out, 2, "is a symbolic link, expected a regular file");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let fifo = tmp.path().join("fifo.html");
    mkfifo(&fifo);
    let out = bounded(&["report", s(&run), "--out", s(&fifo)]);
    assert_error(&out, 2, "is a FIFO (named pipe), expected a regular file");
    // A regular file is replaced as before.
    let page = tmp.path().join("ok.html");
    steadfast::run::atomic_write(&page, "old").unwrap();
    assert_ok(&bounded(&["report", s(&run), "--out", s(&page)]));
}

/// `validate-run` with the demo's row-count steps (gold aggregates).
fn validate(run: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "validate-run",
        "--run-dir",
        s(run),
        "--no-write",
        "--set",
        "row_count_steps=[\"bronze\", \"silver\"]",
    ];
    args.extend_from_slice(extra);
    bounded(&args)
}

#[test]
fn validate_run_fails_a_crashed_or_live_run() {
    let (_tmp, _runs, run) = one_demo();
    assert_ok(&validate(&run, &[]));
    // Crashed: still `running`, a stale lock file nobody holds.
    set_state(&run, RunState::Running);
    std::fs::File::create(run.join(".active")).unwrap();
    let out = validate(&run, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("run_complete"))
        .unwrap_or_default();
    assert!(
        line.contains("FAIL") && line.contains("crashed"),
        "{stdout}"
    );
    // Judged on purpose: a warning, exit 0.
    let stdout = assert_ok(&validate(&run, &["--allow-incomplete"]));
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("run_complete") && l.contains("WARN")),
        "{stdout}"
    );
    // Live: another process (this test) holds its lock.
    set_state(&run, RunState::Finished);
    let _held = RunDir::open(&run).unwrap().lock().unwrap();
    let out = validate(&run, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("still going"));
}

#[test]
fn profile_compare_fails_when_the_current_profile_is_empty_or_lacks_components() {
    let (tmp, _runs, run) = one_demo();
    let empty = tmp.path().join("empty.json");
    steadfast::perf_profiler::Profiler::new()
        .snapshot()
        .write(&empty)
        .unwrap();
    let out = bounded(&["profile", "compare", s(&run), s(&empty)]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("MISSING from the current profile") && stdout.contains("bronze.fetch_page"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing compared"), "{stdout}");
    // The same profile against itself still passes.
    assert_ok(&bounded(&["profile", "compare", s(&run), s(&run)]));
}

#[test]
fn a_garbage_line_inside_metrics_is_located_everywhere_it_is_read() {
    let (tmp, _runs, run) = one_demo();
    let metrics = run.join("metrics.ndjson");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(2, "garbage, not JSON");
    steadfast::run::atomic_write(&metrics, lines.join("\n") + "\n").unwrap();
    let at = format!("{}:3:1", metrics.display());
    assert_error(&bounded(&["metrics", "show", s(&run)]), 2, &at);
    assert_error(
        &bounded(&["validate-run", "--run-dir", s(&run), "--no-write"]),
        1,
        &at,
    );
    let page = tmp.path().join("page.html");
    assert_error(&bounded(&["report", s(&run), "--out", s(&page)]), 2, &at);
}

#[test]
fn disk_clean_pipeline_touches_only_that_pipeline() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let a: Vec<RunDir> = (1..=3).map(|d| old_run(&runs, "a", d)).collect();
    let b: Vec<RunDir> = (1..=3).map(|d| old_run(&runs, "b", d)).collect();
    let out = bounded(&[
        "disk",
        "clean",
        s(&runs),
        "--pipeline",
        "a",
        "--keep",
        "0",
        "--older-than",
        "0s",
    ]);
    assert!(assert_ok(&out).contains("deleted 3 run(s)"));
    assert!(a.iter().all(|r| !r.path().exists()) && b.iter().all(|r| r.path().exists()));
    let out = bounded(&["disk", "clean", s(&runs), "--pipeline", "../x"]);
    assert_error(&out, 2, "invalid pipeline name");
}

/// A mount point inside a run: its deletion fails half-way (EBUSY, even for root).
#[test]
fn disk_clean_says_a_half_deleted_run_is_partly_deleted_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let run = old_run(&runs, "a", 1);
    let busy = run.join("busy");
    std::fs::create_dir(&busy).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&busy)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        steadfast_testkit::skip("cannot mount a tmpfs here (needs root; CI runs as root)");
        return;
    }
    let (out, left) = clean_everything(&runs, &run);
    let _ = Command::new("umount")
        .arg("-l")
        .arg(left.join("busy"))
        .status();
    assert_error(&out, 1, &format!("run {} is partly deleted", run.id()));
    assert_error(&out, 1, "1 run(s) could not be deleted");
    // What is left is plainly not a run any more; a later cleanup retries it.
    assert!(!run.path().exists() && left.exists());
}

/// `disk clean` of every run under `runs`, and where `run` is left if its deletion fails.
fn clean_everything(runs: &Path, run: &RunDir) -> (Output, PathBuf) {
    let out = bounded(&[
        "disk",
        "clean",
        s(runs),
        "--keep",
        "0",
        "--older-than",
        "0s",
    ]);
    let left = runs.join(format!(
        "{}{}",
        steadfast::run::files::DELETING_PREFIX,
        run.id()
    ));
    (out, left)
}

/// An immutable file (`chattr +i`, root on ext4 and the like) inside a run.
#[test]
fn disk_clean_says_an_immutable_file_left_the_run_partly_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    std::fs::create_dir(&runs).unwrap();
    let run = old_run(&runs, "a", 1);
    let chattr = |flag: &str, path: &Path| {
        Command::new("chattr")
            .arg(flag)
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !chattr("+i", &run.join("data.txt")) {
        steadfast_testkit::skip(
            "chattr +i is not available here (needs root and ext4, xfs or btrfs)",
        );
        return;
    }
    let (out, left) = clean_everything(&runs, &run);
    for path in [left.join("data.txt"), run.join("data.txt")] {
        chattr("-i", &path);
    }
    assert_error(&out, 1, &format!("run {} is partly deleted", run.id()));
    assert_error(&out, 1, "Operation not permitted");
    assert_error(&out, 1, "chattr -i");
    assert!(!run.path().exists() && left.exists());
}
