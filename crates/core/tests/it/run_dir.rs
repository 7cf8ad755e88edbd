//! Run directories on a real file system: naming, listing, locking, bad roots.

use std::fs;

use steadfast_core::{Error, LockState, RunDir, RunManifest, RunState, Timestamp};

const T0: u64 = 1_759_140_000; // 2025-09-29T10:00:00Z

#[test]
fn create_follows_the_naming_scheme() {
    let root = tempfile::tempdir().unwrap();
    let run = RunDir::create_at(root.path(), "epic-fhir", Timestamp::from_unix_secs(T0)).unwrap();
    let id = run.id();
    assert!(id.starts_with("epic-fhir-20250929T100000Z-"), "{id}");
    let hex = id.rsplit('-').next().unwrap();
    assert_eq!(hex.len(), 6);
    assert!(
        hex.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert!(run.path().is_dir());
    assert_eq!(run.metrics_path(), run.path().join("metrics.ndjson"));
    assert_eq!(run.validation_dir(), run.path().join("validation"));
    assert_eq!(run.data_dir(Some("bronze")), run.path().join("data/bronze"));
}

#[test]
fn same_second_runs_get_distinct_dirs() {
    let root = tempfile::tempdir().unwrap();
    let t = Timestamp::from_unix_secs(T0);
    let ids: std::collections::HashSet<_> = (0..50)
        .map(|_| {
            RunDir::create_at(root.path(), "p", t)
                .unwrap()
                .id()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 50);
}

#[test]
fn list_is_newest_first_and_skips_strangers() {
    let root = tempfile::tempdir().unwrap();
    let old = RunDir::create_at(root.path(), "a", Timestamp::from_unix_secs(T0)).unwrap();
    let new = RunDir::create_at(root.path(), "b-c", Timestamp::from_unix_secs(T0 + 3600)).unwrap();
    let mid = RunDir::create_at(root.path(), "a", Timestamp::from_unix_secs(T0 + 60)).unwrap();
    fs::create_dir(root.path().join("not-a-run")).unwrap();
    fs::create_dir(root.path().join("x-20250929T100000Z-ZZZZZZ")).unwrap();
    fs::File::create(root.path().join("a-20250929T100000Z-abcdef")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(old.path(), root.path().join("a-20300101T000000Z-abcdef")).unwrap();

    let runs = RunDir::list(root.path()).unwrap();
    let ids: Vec<_> = runs.iter().map(|r| r.dir.id()).collect();
    assert_eq!(ids, [new.id(), mid.id(), old.id()]);
    assert_eq!(runs[0].pipeline, "b-c");
    assert_eq!(runs[0].started, Timestamp::from_unix_secs(T0 + 3600));
}

#[test]
fn missing_root_lists_nothing_and_file_root_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(RunDir::list(dir.path().join("nope")).unwrap().is_empty());
    let file = dir.path().join("runs");
    fs::File::create(&file).unwrap();
    let err = RunDir::create(&file, "p").unwrap_err();
    assert!(matches!(err, Error::RunRootIsFile { .. }));
    let msg = err
        .to_string()
        .replace(dir.path().to_str().unwrap(), "<dir>");
    insta::assert_snapshot!(msg, @"runs root <dir>/runs is a file, expected a directory; pass a directory path or remove the file");
    assert!(matches!(
        RunDir::list(&file),
        Err(Error::RunRootIsFile { .. })
    ));
}

#[test]
fn bad_pipeline_names_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let messages: Vec<String> = ["", "../escape", "has space", "-flag", &"x".repeat(65)]
        .iter()
        .map(|n| RunDir::create(root.path(), n).unwrap_err().to_string())
        .collect();
    insta::assert_snapshot!(messages.join("\n"));
    assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
}

#[test]
fn lock_is_exclusive_and_stale_after_a_crash() {
    let root = tempfile::tempdir().unwrap();
    let run = RunDir::create(root.path(), "p").unwrap();
    assert_eq!(run.lock_state().unwrap(), LockState::Unlocked);

    let lock = run.lock().unwrap();
    assert_eq!(run.lock_state().unwrap(), LockState::Active);
    assert!(matches!(run.lock(), Err(Error::RunActive { .. })));
    let holder = fs::read_to_string(lock.path()).unwrap();
    assert!(
        holder.starts_with(&format!("pid={} ", std::process::id())),
        "{holder}"
    );

    lock.release().unwrap();
    assert_eq!(run.lock_state().unwrap(), LockState::Unlocked);
    assert!(!run.active_lock_path().exists());

    // A process that dies keeps its file but loses its lock: exactly this state.
    fs::File::create(run.active_lock_path()).unwrap();
    assert_eq!(run.lock_state().unwrap(), LockState::Stale);
    // A new process may take over a stale run.
    let again = run.lock().unwrap();
    assert_eq!(run.lock_state().unwrap(), LockState::Active);
    drop(again);
    assert_eq!(run.lock_state().unwrap(), LockState::Unlocked);
}

#[test]
fn lock_held_by_another_process_is_active() {
    // A real second process holds the lock through flock(1), when the machine has it.
    let root = tempfile::tempdir().unwrap();
    let run = RunDir::create(root.path(), "p").unwrap();
    let lock_path = run.active_lock_path();
    let child = std::process::Command::new("flock")
        // --no-fork: flock execs the shell in its own process, so the process we kill is
        // the only holder of the lock (with a fork, a child could hold it a moment longer).
        .arg("--no-fork")
        .arg(&lock_path)
        .args(["-c", "read _"])
        .stdin(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        steadfast_testkit::skip("flock(1) is not installed (apt-get install util-linux)");
        return;
    };
    // Wait until the child holds it (bounded; no sleeping: poll the real state).
    let mut state = LockState::Unlocked;
    for _ in 0..1_000_000 {
        state = run.lock_state().unwrap();
        if state == LockState::Active {
            break;
        }
        std::thread::yield_now();
    }
    assert_eq!(state, LockState::Active);
    assert!(matches!(run.lock(), Err(Error::RunActive { .. })));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(run.lock_state().unwrap(), LockState::Stale);
}

#[test]
fn open_rejects_missing_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let err = RunDir::open(dir.path().join("missing")).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("is not a run directory: it does not exist; check the path")
    );
    let run = RunDir::create(dir.path(), "p").unwrap();
    let opened = RunDir::open(run.path()).unwrap();
    assert_eq!(opened, run);
    let m = RunManifest::new(run.id(), "p", Timestamp::now());
    run.write_manifest(&m).unwrap();
    assert_eq!(opened.read_manifest().unwrap().state, RunState::Running);
}

#[test]
fn create_locked_is_never_visible_unlocked_and_leftovers_are_found() {
    let root = tempfile::tempdir().unwrap();
    let (run, lock) = RunDir::create_locked(root.path(), "epic").unwrap();
    assert_eq!(run.lock_state().unwrap(), LockState::Active);
    assert_eq!(lock.path(), run.active_lock_path());
    // A second handle cannot take it: the lock moved with the directory.
    assert!(matches!(run.lock(), Err(Error::RunActive { .. })));
    let listed = RunDir::list(root.path()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].dir.id(), run.id());
    // No temporary directory is left behind.
    assert!(RunDir::list_creating(root.path()).unwrap().is_empty());
    lock.release().unwrap();
    assert_eq!(run.lock_state().unwrap(), LockState::Unlocked);

    // A crash between mkdir and rename leaves a hidden directory: never a run, but found.
    let leftover = root.path().join(".creating-epic-20250929T100000Z-abcdef");
    fs::create_dir(&leftover).unwrap();
    fs::create_dir(root.path().join(".creating-not a run")).unwrap();
    assert_eq!(RunDir::list(root.path()).unwrap().len(), 1);
    assert_eq!(RunDir::list_creating(root.path()).unwrap(), vec![leftover]);
}

#[cfg(unix)]
#[test]
fn a_lock_file_that_is_a_link_or_fifo_is_refused_not_written_through() {
    let root = tempfile::tempdir().unwrap();
    let outside = root.path().join("outside.txt");
    fs::create_dir(root.path().join("runs")).unwrap();
    steadfast_core::atomic_write(&outside, "precious").unwrap();
    let run = RunDir::create(root.path().join("runs"), "epic").unwrap();
    std::os::unix::fs::symlink(&outside, run.active_lock_path()).unwrap();
    let err = run.lock().unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotRegularFile {
                found: "a symbolic link",
                ..
            }
        ),
        "{err}"
    );
    assert!(run.lock_state().is_err());
    assert_eq!(fs::read_to_string(&outside).unwrap(), "precious");

    let run = RunDir::create(root.path().join("runs"), "epic").unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(run.active_lock_path())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        steadfast_testkit::skip("mkfifo is not available");
        return;
    }
    // Opening a FIFO would wait for a writer; the lock refuses it at once instead.
    assert!(matches!(run.lock(), Err(Error::NotRegularFile { .. })));
    assert!(matches!(
        run.lock_state(),
        Err(Error::NotRegularFile { .. })
    ));
}
