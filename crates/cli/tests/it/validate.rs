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
    let first = steadfast::validation::records(&run).unwrap();
    assert_eq!(first.len(), 1);
    for file in [
        "report.json",
        "report.md",
        "junit.xml",
        "thresholds.effective.toml",
    ] {
        assert!(first[0].dir.join(file).is_file(), "{file} not written");
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
    let records = steadfast::validation::records(&run).unwrap();
    assert_eq!(records.len(), 2, "{records:?}");
    let effective = std::fs::read_to_string(records[1].thresholds_path()).unwrap();
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

/// The seed's own command on a healthy demo run passes: the demo's steps say what they do
/// (gold aggregates, so its count is not compared with silver's). Each validation is a
/// record of its own — the first stays as it was — and run.json names the latest; later
/// validations layer the run's own thresholds (its first record's) under the flags given
/// now, so a one-off `--set` does not stick; `--fresh` ignores them.
#[test]
fn revalidating_a_run_appends_a_record_and_keeps_its_own_thresholds() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    crate::assert_ok(&crate::demo(&runs, 20, &[]));
    let path = crate::runs_in(&runs).pop().unwrap();
    let run = RunDir::open(&path).unwrap();
    let first = steadfast::validation::records(&run).unwrap();
    assert_eq!(first.len(), 1);
    let snapshot = |r: &steadfast::validation::ValidationRecord| {
        [
            "report.json",
            "report.md",
            "junit.xml",
            "thresholds.effective.toml",
        ]
        .map(|f| std::fs::read(r.dir.join(f)).unwrap())
    };
    let before = snapshot(&first[0]);
    let dir = path.to_str().unwrap();
    let seed = [
        "validate-run",
        "--run-dir",
        dir,
        "--row-count-threshold",
        "0.95",
        "--extract-time-threshold",
        "600",
    ];
    let out = steadfast(&seed);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("'gold' is an aggregate step"), "{stdout}");

    let records = steadfast::validation::records(&run).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0], first[0]);
    assert_eq!(
        snapshot(&records[0]),
        before,
        "the first validation changed"
    );
    let manifest = run.read_manifest().unwrap();
    let index = manifest.validation.unwrap();
    assert_eq!(
        (index.latest.as_str(), index.count),
        (records[1].name.as_str(), 2)
    );
    assert_eq!(manifest.status, Some(steadfast::run::Status::Pass));

    // A one-off override is recorded in its own validation, and does not stick.
    let strict = steadfast(&["validate-run", dir, "--set", "extract_time_threshold=1ms"]);
    assert_eq!(strict.status.code(), Some(1));
    let again = steadfast(&["validate-run", dir, "--no-write"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let manifest = run.read_manifest().unwrap();
    let index = manifest.validation.unwrap();
    assert_eq!(
        (index.count, index.status),
        (3, steadfast::run::Status::Fail)
    );
    // The run's own verdict stays what its finish said.
    assert_eq!(manifest.status, Some(steadfast::run::Status::Pass));

    let fresh = steadfast(&[&seed[..], &["--fresh", "--no-write"]].concat());
    assert_eq!(fresh.status.code(), Some(0));
    assert_eq!(steadfast::validation::records(&run).unwrap().len(), 3);
}

/// A run validated before records (manifest v1, one flat validation/ directory) still
/// reads, validates and keeps its first validation.
#[test]
fn a_run_from_before_records_still_validates() {
    let root = tempfile::tempdir().unwrap();
    let run = seed_run(root.path());
    let dir = run.path().to_str().unwrap();
    // Its one validation, as the earlier layout had it.
    let flat = run.validation_dir();
    std::fs::create_dir_all(&flat).unwrap();
    let old = steadfast(&[
        "validate-run",
        dir,
        "--format",
        "json",
        "--no-write",
        "--row-count-threshold",
        "0.9",
        "--extract-time-threshold",
        "20m",
    ]);
    steadfast::run::atomic_write(flat.join("report.json"), &old.stdout).unwrap();
    steadfast::run::atomic_write(
        flat.join("thresholds.effective.toml"),
        "row_count_threshold = 0.9\nextract_time_threshold = \"20m\"\n",
    )
    .unwrap();
    let mut manifest = std::fs::read_to_string(run.manifest_path()).unwrap();
    manifest = manifest.replace("\"format_version\": 2", "\"format_version\": 1");
    steadfast::run::atomic_write(run.manifest_path(), &manifest).unwrap();

    // Its saved thresholds (0.9, 20m) are used: 940/1000 and 700 s pass.
    let out = steadfast(&["validate-run", dir]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let records = steadfast::validation::records(&run).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].name, "validation");
    assert_eq!(std::fs::read(records[0].report_path()).unwrap(), old.stdout);
    let manifest = run.read_manifest().unwrap();
    assert_eq!(
        manifest.format_version,
        steadfast::run::MANIFEST_FORMAT_VERSION
    );
    assert_eq!(manifest.validation.unwrap().count, 2);
}

/// A run's saved thresholds come from a directory anyone may have handed over: they are a
/// literal layer — a `${VAR}` in them is never filled from this process's environment.
#[test]
fn saved_thresholds_never_read_the_environment() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    crate::assert_ok(&crate::demo(&runs, 20, &[]));
    let run = crate::runs_in(&runs).pop().unwrap();
    let saved =
        steadfast::validation::records(&RunDir::open(&run).unwrap()).unwrap()[0].thresholds_path();
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

/// A `validation/` planted as a link is never written through nor read from: the records
/// stay inside the run.
#[test]
fn a_linked_validation_directory_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let run = seed_run(root.path());
    let outside = root.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, run.validation_dir()).unwrap();
    let out = steadfast(&["validate-run", run.path().to_str().unwrap()]);
    crate::assert_error(&out, 2, "is a link or not a directory");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}
