//! The demo extracts by a Bulk Data export from its mock server (issue 21): the run's bronze
//! holds a manifest `validate-data` accepts with the mock's counts, and the run recorded
//! the faults the export went through and survived — the first status request answered
//! 429 (every poll no sooner than the `Retry-After` before it, the kick-off's included), a
//! download cut halfway and resumed with `Range`, a file's 503 retried after its
//! `Retry-After` — and the job deleted. The silver step read every file the manifest
//! lists.

use steadfast::retry::series as rs;
use steadfast::run::bulk_manifest::{BulkManifest, MANIFEST_FILE};

use crate::{assert_ok, demo, runs_in, steadfast};

#[test]
fn the_demo_exports_its_bronze_through_every_injected_fault() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    let stdout = assert_ok(&demo(&runs, 200, &[]));
    assert!(
        stdout.contains("1200 resources by bulk export in 3 files")
            && stdout.contains("3 polls (1 answered 429, each no sooner than Retry-After asked), 1 download cut and 1 resumed with Range, 1 file answered 503 and 1 retried after its Retry-After; job deleted"),
        "{stdout}"
    );
    let run = runs_in(&runs).remove(0);
    let bronze = run.join("data/bronze");

    // The local manifest: the mock's counts, and validate-data agrees with every file.
    let text = std::fs::read_to_string(bronze.join(MANIFEST_FILE)).unwrap();
    let manifest: BulkManifest = serde_json::from_str(&text).unwrap();
    let counts: Vec<(String, u64)> = manifest
        .output
        .unwrap()
        .into_iter()
        .map(|e| (e.resource_type.unwrap(), e.count.unwrap()))
        .collect();
    let expected = [("Patient", 200), ("Encounter", 400), ("Observation", 600)];
    assert_eq!(
        counts,
        expected.map(|(t, n)| (t.to_owned(), n)).to_vec(),
        "{text}"
    );
    assert!(manifest.error.unwrap_or_default().is_empty());
    let out = steadfast(&[
        "validate-data",
        bronze.join(MANIFEST_FILE).to_str().unwrap(),
    ]);
    let report = assert_ok(&out);
    assert!(report.contains("1200 records"), "{report}");
    for (kind, n) in expected {
        let lines = std::fs::read_to_string(bronze.join(format!("{kind}.ndjson")))
            .unwrap()
            .lines()
            .count();
        assert_eq!(lines as u64, n, "{kind}");
    }
    // No state file left behind: the export finished and its job was deleted.
    assert!(!bronze.join(steadfast::fhir::STATE_FILE).exists());

    // What the run recorded.
    let dir = steadfast::run::RunDir::open(&run).unwrap();
    let m = steadfast::metrics::read_run(&dir).unwrap();
    let bronze_total = |name: &str| m.totals.total("bronze", name);
    // A slow job: its first poll throttled (429), once still running, once done — each
    // poll after the wait the answer before it (the kick-off's first) asked.
    assert_eq!(bronze_total("export_polls"), 3.0);
    assert_eq!(bronze_total("mock_polls"), 3.0);
    assert_eq!(bronze_total("mock_throttled_polls"), 1.0);
    assert_eq!(bronze_total("mock_early_polls"), 0.0);
    // The cut download resumed from where it was cut, not started over.
    assert_eq!(bronze_total("mock_cut_downloads"), 1.0);
    assert_eq!(bronze_total("mock_resumed_downloads"), 1.0);
    // The 503 file: retried once through the run's policy, no sooner than Retry-After.
    assert_eq!(bronze_total("mock_unavailable_files"), 1.0);
    assert_eq!(bronze_total("mock_retries_after_wait"), 1.0);
    assert_eq!(bronze_total("export_retries"), 1.0);
    assert!(
        m.totals
            .get(
                rs::RUN_STEP,
                rs::RUN_HTTP_ERRORS,
                &[(rs::LABEL_STATUS, "503")]
            )
            .is_some_and(|s| s.value >= 1.0),
        "the run's policy recorded the 503"
    );
    assert_eq!(bronze_total("mock_jobs_deleted"), 1.0);
    assert_eq!(bronze_total("export_files"), 3.0);
    // Silver flattened every exported record, type by type (the manifest's files).
    for (kind, n) in expected {
        let silver = |step: &str| {
            m.totals
                .get(step, "records", &[("resource_type", kind)])
                .map(|s| s.value)
        };
        assert_eq!(silver("silver"), Some(n as f64), "{kind}");
        assert_eq!(silver("bronze"), silver("silver"), "{kind}");
    }
    // The searched part is bronze too.
    assert_eq!(
        m.totals
            .get("bronze", "records", &[("resource_type", "Condition")])
            .map(|s| s.value),
        Some(200.0)
    );
    // The run's page shows it.
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(
        page.contains("bronze.mock_resumed_downloads"),
        "the page lists the series"
    );
}

#[test]
fn an_export_that_fails_for_good_fails_the_run_not_the_process() {
    let root = tempfile::tempdir().unwrap();
    let runs = root.path().join("runs");
    // The 503 file asks for 1 s; a policy that waits at most 100 ms gives it up.
    let out = demo(&runs, 20, &["--set", "retry.max_retry_after=\"100ms\""]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("  bronze  bulk export failed: "),
        "{stdout}"
    );
    assert!(stdout.contains("): FAIL"), "{stdout}");
    let run = runs_in(&runs).remove(0);
    let dir = steadfast::run::RunDir::open(&run).unwrap();
    let m = steadfast::metrics::read_run(&dir).unwrap();
    assert_eq!(m.totals.total("bronze", "errors"), 1.0);
    // The searched part still ran; the run is finished, not aborted.
    assert_eq!(
        m.totals
            .get("bronze", "records", &[("resource_type", "Condition")])
            .map(|s| s.value),
        Some(20.0)
    );
    let manifest = std::fs::read_to_string(run.join("run.json")).unwrap();
    assert!(manifest.contains("\"state\": \"finished\""), "{manifest}");
    // No manifest, no exported records in bronze: silver skipped them too, so the counts
    // agree, whatever files completed before the export gave up.
    assert!(!run.join("data/bronze").join(MANIFEST_FILE).exists());
    for kind in ["Patient", "Encounter", "Observation"] {
        for step in ["bronze", "silver"] {
            let n = m
                .totals
                .get(step, "records", &[("resource_type", kind)])
                .map_or(0.0, |s| s.value);
            assert_eq!(n, 0.0, "{step} {kind}");
        }
    }
}
