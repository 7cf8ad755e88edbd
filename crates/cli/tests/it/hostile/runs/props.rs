//! Property test (issue 26): run directories mutated at random — `run.json` edited or
//! truncated, files missing, garbage metrics lines, a FIFO, link or directory where a file
//! belongs — through `validate-run`, `report`, `metrics show` and `disk clean` never panic,
//! never hang, exit 0, 1 or 2, and never write through a planted link.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;

use super::{bounded, mkfifo, s};
use crate::assert_contained;

/// One demo run, made once and copied for every case.
fn pristine() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, run) = RUN.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let runs = tmp.path().join("runs");
        crate::assert_ok(&crate::demo(&runs, 10, &[]));
        let run = crate::runs_in(&runs).remove(0);
        (tmp, run)
    });
    run
}

const FILES: [&str; 6] = [
    "run.json",
    "metrics.ndjson",
    "profile.json",
    "disk-events.ndjson",
    "deadletter.ndjson",
    // The demo run's one validation record: `*` is its directory, found by `file`.
    "validation/*/report.json",
];

/// `FILES[i]` in `run`, with `*` the first validation record there (a name that matches
/// nothing when none is).
fn file(run: &Path, i: usize) -> PathBuf {
    let name = FILES[i];
    let Some((dir, rest)) = name.split_once("/*/") else {
        return run.join(name);
    };
    let mut records: Vec<PathBuf> = std::fs::read_dir(run.join(dir))
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    records.sort();
    records
        .into_iter()
        .find(|p| p.is_dir())
        .map_or_else(|| run.join(dir).join("none").join(rest), |d| d.join(rest))
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Keep only the first `n` per mille of a file.
    Truncate(usize, u16),
    /// Overwrite one byte of a file.
    Flip(usize, u16, u8),
    /// Set `run.json`'s state (also to something that is no state).
    State(&'static str),
    /// Remove a file.
    Remove(usize),
    /// Insert a line into metrics.ndjson at this per mille of its lines.
    MetricsLine(u16, String),
    /// A FIFO, a link out of the run, a dangling link or a directory in a file's place.
    Replace(usize, u8),
    /// `.active`: a FIFO, a link out of the run, a dangling link, a directory, a stale file.
    Active(u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let file = 0..FILES.len();
    prop_oneof![
        (file.clone(), 0..1000u16).prop_map(|(f, n)| Mutation::Truncate(f, n)),
        (file.clone(), 0..1000u16, any::<u8>()).prop_map(|(f, at, b)| Mutation::Flip(f, at, b)),
        prop::sample::select(vec!["running", "aborted", "finished", "bogus"]).prop_map(Mutation::State),
        file.clone().prop_map(Mutation::Remove),
        (0..1000u16, prop::sample::select(vec![
            "garbage".to_owned(),
            "{}".to_owned(),
            "{\"ts\":1}".to_owned(),
            "{\"ts\":\"2026-01-01T00:00:00.000Z\",\"step\":\"bronze\",\"name\":\"records\",\"kind\":\"counter\",\"value\":-1e308,\"labels\":{}}".to_owned(),
            "\u{0}\u{0}\u{0}".to_owned(),
        ]))
            .prop_map(|(at, line)| Mutation::MetricsLine(at, line)),
        (file, 0..4u8).prop_map(|(f, k)| Mutation::Replace(f, k)),
        (0..5u8).prop_map(Mutation::Active),
    ]
}

/// Puts a FIFO, a link to `outside`, a dangling link or a directory at `path`.
fn replace(path: &Path, kind: u8, outside: &Path) {
    if std::fs::remove_file(path).is_err() {
        let _ = std::fs::remove_dir_all(path);
    }
    match kind {
        0 => mkfifo(path),
        1 => std::os::unix::fs::symlink(outside, path).unwrap(),
        2 => std::os::unix::fs::symlink("/nonexistent/steadfast", path).unwrap(),
        _ => std::fs::create_dir_all(path).unwrap(),
    }
}

fn apply(run: &Path, m: &Mutation, outside: &Path) {
    let regular = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
    match m {
        Mutation::Truncate(f, n) | Mutation::Flip(f, n, _) => {
            let path = file(run, *f);
            if !regular(&path) {
                return;
            }
            let mut bytes = std::fs::read(&path).unwrap();
            let at = bytes.len() * usize::from(*n) / 1000;
            if let Mutation::Flip(_, _, b) = m {
                if let Some(x) = bytes.get_mut(at) {
                    *x = *b;
                }
            } else {
                bytes.truncate(at);
            }
            steadfast::run::atomic_write(&path, bytes).unwrap();
        }
        Mutation::State(state) => {
            let path = run.join("run.json");
            // Read only a regular file: this process must not block on a planted FIFO.
            if regular(&path)
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                let text = text.replace("\"finished\"", &format!("\"{state}\""));
                steadfast::run::atomic_write(&path, text).unwrap();
            }
        }
        Mutation::Remove(f) => {
            let _ = std::fs::remove_file(file(run, *f));
        }
        Mutation::MetricsLine(at, line) => {
            let path = run.join("metrics.ndjson");
            if !regular(&path) {
                return;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let mut lines: Vec<&str> = text.lines().collect();
            let at = lines.len() * usize::from(*at) / 1000;
            lines.insert(at, line);
            steadfast::run::atomic_write(&path, lines.join("\n") + "\n").unwrap();
        }
        Mutation::Replace(f, kind) => replace(&file(run, *f), *kind, outside),
        Mutation::Active(kind) => {
            let path = run.join(".active");
            if *kind == 4 {
                if std::fs::remove_file(&path).is_err() {
                    let _ = std::fs::remove_dir_all(&path);
                }
                std::fs::File::create(&path).unwrap();
            } else {
                replace(&path, *kind, outside);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_run_directories_never_panic_hang_or_exit_outside_0_to_2(
        mutations in prop::collection::vec(mutation(), 1..4)
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("runs");
        std::fs::create_dir(&root).unwrap();
        let run = root.join(pristine().file_name().unwrap());
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(pristine())
            .arg(&run)
            .status()
            .unwrap();
        prop_assert!(copied.success());
        let outside = tmp.path().join("outside.txt");
        steadfast::run::atomic_write(&outside, "keep me").unwrap();
        for m in &mutations {
            apply(&run, m, &outside);
        }
        let page = tmp.path().join("page.html");
        let commands: [&[&str]; 5] = [
            &["validate-run", "--run-dir", s(&run), "--no-write"],
            &["report", s(&run), "--out", s(&page)],
            &["metrics", "show", s(&run)],
            &["disk", "clean", s(&root), "--keep", "0", "--older-than", "0s", "--dry-run"],
            &["disk", "clean", s(&root), "--keep", "0", "--older-than", "0s"],
        ];
        for args in commands {
            let out = bounded(args);
            assert_contained(&out, None);
        }
        prop_assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me");
    }
}
