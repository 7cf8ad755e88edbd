//! `steadfast profile compare` on two run directories that carry database profiles: their
//! statements are compared too, matched by fingerprint, and a slower statement fails the
//! comparison (exit 1) — while the statements' values never reach the output.

use std::time::Duration;

use steadfast::db::{DbObserver, DbProfile};

use crate::steadfast;

/// A run directory with a profiler snapshot (one component, the same in every run) and a
/// database profile of 200 calls of one statement taking about `ms` milliseconds each.
fn run_dir(root: &std::path::Path, name: &str, ms: u64) -> std::path::PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let profiler = steadfast::perf_profiler::Profiler::new();
    for i in 0..200 {
        profiler.record("load", Duration::from_millis(5 + i % 3));
    }
    profiler
        .snapshot()
        .write(dir.join(steadfast::run::files::PROFILE))
        .unwrap();
    let observer = DbObserver::default();
    for i in 0..200 {
        observer.observe(
            "SELECT * FROM obs WHERE subject = 'PATIENT-SECRET-4711'",
            Duration::from_millis(ms + i % 3),
            1,
            None,
        );
    }
    DbProfile::collect(&observer, None).write(&dir).unwrap();
    dir
}

#[test]
fn profile_compare_includes_the_runs_statements() {
    let root = tempfile::tempdir().unwrap();
    let fast = run_dir(root.path(), "fast", 3);
    let same = run_dir(root.path(), "same", 3);
    let slow = run_dir(root.path(), "slow", 40);
    let args = |a: &std::path::Path, b: &std::path::Path| {
        steadfast(&[
            "profile",
            "compare",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ])
    };
    let out = args(&fast, &same);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Statements (by fingerprint)"), "{text}");

    let out = args(&fast, &slow);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a slower statement is a regression:\n{text}"
    );
    assert!(!text.contains("PATIENT-SECRET"), "{text}");
}
