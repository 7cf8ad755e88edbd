//! The `Run` API end to end on a real file system: a finished run, an aborted one, bad
//! configuration and an unwritable runs root.

use steadfast::Run;
use steadfast::run::{RunDir, RunState, Status};

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

#[test]
fn a_finished_run_has_every_artefact_and_a_released_lock() {
    let root = tempfile::tempdir().unwrap();
    let run = Run::builder("demo")
        .runs_root(root.path())
        .env_vars(no_env())
        .start()
        .unwrap();
    let dir = run.dir().clone();
    assert_eq!(dir.lock_state().unwrap(), steadfast::run::LockState::Active);
    {
        let mut s = run.step("bronze");
        run.metrics().counter("bronze", "records").add(100);
        s.records_out(100);
    }
    {
        let mut s = run.step("silver");
        run.metrics().counter("silver", "records").add(80);
        s.records_in(100).records_out(80);
    }
    let report = run.finish().unwrap();
    // 80 / 100 < 0.95: the built-in row-count rule fails the run.
    assert_eq!(report.exit_code(), 1);
    let manifest = dir.read_manifest().unwrap();
    assert_eq!(manifest.state, RunState::Finished);
    assert_eq!(manifest.status, Some(Status::Fail));
    assert_eq!(manifest.steps.len(), 2);
    assert!(manifest.steps.iter().all(|s| s.finished.is_some()));
    let digest = manifest.config_digest.clone().unwrap();
    assert!(digest.starts_with("sha256:"), "{digest}");
    let latest = manifest.validation.as_ref().unwrap();
    assert_eq!((latest.count, latest.status), (1, Status::Fail));
    let record = dir.join(&latest.latest);
    assert_eq!(record, report.reports.json.parent().unwrap());
    for file in ["metrics.ndjson", "profile.json"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    for file in ["report.json", "junit.xml", "thresholds.effective.toml"] {
        assert!(record.join(file).is_file(), "{file} missing");
    }
    assert_ne!(dir.lock_state().unwrap(), steadfast::run::LockState::Active);

    // The audit trail: started (with the configuration's digest), each step, the
    // validation, finished; its chain intact.
    let audit = dir.join(steadfast::run::files::AUDIT);
    let verified = steadfast::run::audit::verify(&audit).unwrap();
    assert!(verified.broken.is_none(), "{verified:?}");
    let events: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["started", "step", "step", "validated", "state"]);
    assert_eq!(
        format!("sha256:{}", events[0]["config_sha256"].as_str().unwrap()),
        digest
    );
    assert_eq!(events[3]["record"], latest.latest.as_str());
    assert_eq!(events[4]["to"], "finished");
}

#[test]
fn a_run_dropped_without_finish_is_aborted_and_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dir: RunDir;
    {
        let run = Run::builder("demo")
            .runs_root(root.path())
            .env_vars(no_env())
            .start()
            .unwrap();
        dir = run.dir().clone();
        let _s = run.step("bronze");
        run.metrics().counter("bronze", "records").add(7);
        // A panic or an early return: the run is dropped here.
    }
    let manifest = dir.read_manifest().unwrap();
    assert_eq!(manifest.state, RunState::Aborted);
    let metrics = steadfast::metrics::read_run(&dir).unwrap();
    assert_eq!(metrics.totals.total("bronze", "records"), 7.0);
    assert!(dir.profile_path().is_file());
    assert_ne!(dir.lock_state().unwrap(), steadfast::run::LockState::Active);
}

#[test]
fn configuration_problems_stop_the_run_before_it_starts() {
    let root = tempfile::tempdir().unwrap();
    let err = Run::builder("demo")
        .runs_root(root.path())
        .env_vars([("STEADFAST_RETRY__MULTIPLER", "2")])
        .set("validation.row_count_threshold=1.5")
        .start()
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    insta::assert_snapshot!(err.to_string(), @r"
    invalid configuration
    environment variable STEADFAST_RETRY__MULTIPLER: unknown key 'multipler' in [retry]; did you mean 'multiplier'?
    --set validation.row_count_threshold=1.5: 1.5 is out of range for row_count_threshold: expected a ratio between 0 and 1 (0.95 means 95%)
    ");
    assert_eq!(
        std::fs::read_dir(root.path()).unwrap().count(),
        0,
        "nothing was created"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_runs_root_fails_before_any_work() {
    // /proc refuses new entries even to root, like a read-only file system.
    let err = Run::builder("demo")
        .runs_root("/proc/steadfast-runs")
        .env_vars(no_env())
        .start()
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .starts_with("runs root /proc/steadfast-runs is not writable"),
        "{err}"
    );
}

/// `[run]` places runs and sets the room a run needs; a builder call wins over it. The
/// recording calls count once for both readers, and `steadfast::exit` maps the outcome.
#[test]
fn the_run_section_places_runs_and_a_step_counts_once() {
    let root = tempfile::tempdir().unwrap();
    let config = format!(
        "[run]\nruns_root = \"{}\"\n",
        root.path().join("from-config").display()
    );
    let run = Run::builder("nightly")
        .config_text("steadfast.toml", &config)
        .env_vars(no_env())
        .start()
        .unwrap();
    assert!(
        run.dir()
            .path()
            .starts_with(root.path().join("from-config"))
    );
    {
        let mut bronze = run.step("bronze");
        bronze.records("Patient", 10).records("Observation", 30);
    }
    let report = run.finish().unwrap();
    let manifest = RunDir::open(&report.run_dir)
        .unwrap()
        .read_manifest()
        .unwrap();
    assert_eq!(manifest.steps[0].records_out, Some(40));
    let metrics = steadfast::metrics::read_run(&RunDir::open(&report.run_dir).unwrap()).unwrap();
    let patients = metrics
        .totals
        .get("bronze", "records", &[("resource_type", "Patient")])
        .map(|t| t.value);
    assert_eq!(patients, Some(10.0));
    assert_eq!(metrics.totals.total("bronze", "records"), 40.0);
    assert!(report.artefacts.audit.is_file() && report.artefacts.metrics.is_file());
    assert_eq!(
        steadfast::exit::<steadfast::RunError>(Ok(report)),
        std::process::ExitCode::SUCCESS
    );

    let err = Run::builder("nightly")
        .config_text(
            "steadfast.toml",
            &format!("{config}min_free = \"1000PiB\"\n"),
        )
        .env_vars(no_env())
        .start()
        .unwrap_err();
    assert!(err.to_string().contains("1000"), "{err}");
    let elsewhere = root.path().join("from-builder");
    let run = Run::builder("nightly")
        .config_text("steadfast.toml", &config)
        .runs_root(&elsewhere)
        .env_vars(no_env())
        .start()
        .unwrap();
    assert!(run.dir().path().starts_with(&elsewhere));
}

/// `[profiler] memory_interval` is honoured: the run samples its process memory into
/// `profile.json` (feature `memory`).
#[cfg(feature = "memory")]
#[test]
fn a_run_samples_its_memory_into_the_profile() {
    let root = tempfile::tempdir().unwrap();
    let run = steadfast::Run::builder("nightly")
        .runs_root(root.path())
        .set("profiler.memory_interval=\"10ms\"")
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    let report = run.finish().unwrap();
    let profile = steadfast::perf_profiler::Snapshot::read(
        report.run_dir.join(steadfast::run::files::PROFILE),
    )
    .unwrap();
    let memory = profile
        .memory
        .expect("profile.json holds the sampled memory");
    assert!(memory.rss_bytes > 0, "{memory:?}");
}
