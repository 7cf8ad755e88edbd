//! `steadfast validate-run` and `steadfast config check` end to end, on real run
//! directories written by the library.

use steadfast::metrics::Recorder;
use steadfast::run::{RunDir, RunManifest, RunState, StepRecord, Timestamp};

use crate::steadfast;

const T0: u64 = 1_759_276_800;

/// A finished run: bronze 1000 records in 700 s, silver 940.
fn seed_run(root: &std::path::Path) -> RunDir {
    let run = RunDir::create_at(root, "epic", Timestamp::from_unix_secs(T0)).unwrap();
    let rec = Recorder::to_run_dir(&run).unwrap();
    rec.counter("bronze", "records")
        .label("resource_type", "Patient")
        .add(1000);
    rec.counter("silver", "records")
        .label("resource_type", "Patient")
        .add(940);
    rec.close().unwrap();
    let mut manifest = RunManifest::new(run.id(), "epic", Timestamp::from_unix_secs(T0));
    let mut bronze = StepRecord::new("bronze", Timestamp::from_unix_secs(T0));
    bronze.finished = Some(Timestamp::from_unix_secs(T0 + 700));
    let mut silver = StepRecord::new("silver", Timestamp::from_unix_secs(T0 + 700));
    silver.finished = Some(Timestamp::from_unix_secs(T0 + 710));
    manifest.steps = vec![bronze, silver];
    manifest.state = RunState::Finished;
    run.write_manifest(&manifest).unwrap();
    run
}

fn text(bytes: &[u8], run: &RunDir, root: &std::path::Path) -> String {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .replace(run.id(), "<run>")
        .replace(&root.display().to_string(), "<root>")
}

#[test]
fn seed_thresholds_fail_and_flags_loosen_them() {
    let root = tempfile::tempdir().unwrap();
    let run = seed_run(root.path());
    let dir = run.path().to_str().unwrap();

    let out = steadfast(&["validate-run", "--run-dir", dir]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(text(&out.stdout, &run, root.path()));
    for file in [
        "report.json",
        "report.md",
        "junit.xml",
        "thresholds.effective.toml",
    ] {
        assert!(
            run.validation_dir().join(file).is_file(),
            "{file} not written"
        );
    }

    // The seed's invocation: a ratio and plain seconds.
    let out = steadfast(&[
        "validate-run",
        "--run-dir",
        dir,
        "--row-count-threshold",
        "0.9",
        "--extract-time-threshold",
        "720",
        "--format",
        "json",
    ]);
    assert!(crate::assert_ok(&out).contains("\"status\": \"pass\""));
    let effective = std::fs::read_to_string(run.thresholds_effective_path()).unwrap();
    assert!(
        effective.contains("row_count_threshold = 0.9"),
        "{effective}"
    );
    assert!(effective.contains("# --row-count-threshold"), "{effective}");
}

#[test]
fn bad_input_exits_2_with_the_place_and_the_fix() {
    let root = tempfile::tempdir().unwrap();
    let run = seed_run(root.path());
    let dir = run.path().to_str().unwrap();
    let thresholds = root.path().join("custom_thresholds.json");
    std::fs::File::create(&thresholds).unwrap();
    steadfast::run::atomic_write(
        &thresholds,
        "{\n  \"row_count_treshold\": 0.9,\n  \"extract_time_threshold\": \"soon\"\n}\n",
    )
    .unwrap();

    let out = steadfast(&[
        "validate-run",
        "--run-dir",
        dir,
        "--config",
        thresholds.to_str().unwrap(),
        "--set",
        "row_count_threshold=2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(text(&out.stderr, &run, root.path()));

    let missing = root.path().join("epic-nope");
    let out = steadfast(&["validate-run", "--run-dir", missing.to_str().unwrap()]);
    crate::assert_error(&out, 2, "does not exist");
}

#[test]
fn config_check_reports_every_section_problem() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs/steadfast.toml");
    crate::assert_ok(&steadfast(&["config", "check", shipped]));

    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("steadfast.yaml");
    steadfast::run::atomic_write(&file, "retry:\n  multiplier: 0.5\n  breaker:\n    enabled: yes\nvalidaton:\n  row_count_threshold: 0.9\n").unwrap();
    let out = steadfast(&[
        "config",
        "check",
        file.to_str().unwrap(),
        "--set",
        "disk.interval=0s",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let shown = String::from_utf8(out.stderr)
        .unwrap()
        .replace(&root.path().display().to_string(), "<root>");
    insta::assert_snapshot!(shown);
}

/// The seed's own command on a healthy demo run: re-validating judges the run by the
/// thresholds it was validated with (its `validation/thresholds.effective.toml`, where the
/// demo counts rows over bronze and silver only — gold aggregates), under the flags given
/// now; `--fresh` ignores them and the gold step fails the default row count.
#[test]
fn revalidating_a_run_keeps_its_own_thresholds_unless_fresh() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    crate::assert_ok(&crate::demo(&runs, 20, &[]));
    let run = crate::runs_in(&runs).pop().unwrap();
    let run = run.to_str().unwrap();
    let seed = [
        "validate-run",
        "--run-dir",
        run,
        "--row-count-threshold",
        "0.95",
        "--extract-time-threshold",
        "600",
        "--no-write",
    ];
    let out = steadfast(&seed);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("silver->gold"), "{stdout}");
    let fresh = steadfast(&[&seed[..], &["--fresh"]].concat());
    let stdout = String::from_utf8_lossy(&fresh.stdout);
    assert_eq!(fresh.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("row_count:silver->gold"), "{stdout}");
}

/// A run's saved thresholds come from a directory anyone may have handed over: they are a
/// literal layer — a `${VAR}` in them is never filled from this process's environment.
#[test]
fn saved_thresholds_never_read_the_environment() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    crate::assert_ok(&crate::demo(&runs, 20, &[]));
    let run = crate::runs_in(&runs).pop().unwrap();
    let saved = run
        .join(steadfast::run::files::VALIDATION_DIR)
        .join(steadfast::run::files::THRESHOLDS_EFFECTIVE);
    steadfast::run::atomic_write(
        &saved,
        "[[validation.rules]]\nname = \"${STEADFAST_TEST_SECRET}\"\ncheck = \"dead_letters\"\nmax = 0\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(["validate-run", "--no-write"])
        .arg(&run)
        .env("STEADFAST_TEST_SECRET", "s3cr3t-value")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("s3cr3t-value"), "{all}");
    assert!(matches!(out.status.code(), Some(0..=2)), "{all}");
}
