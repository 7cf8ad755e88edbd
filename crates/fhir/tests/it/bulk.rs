//! Bulk Data export against `bulk_server.rs` on 127.0.0.1: a slow job with 429s on early
//! polls, a download cut halfway, a 503 with `Retry-After`, and a run killed after its first
//! file — every output byte-identical to the server's, no poll sooner than asked,
//! validate-data passing on the written manifest.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::bulk_server::{BulkServer, Script};
use steadfast_fhir::{BulkEvent, BulkExport, ExportLevel, FhirClient, FhirError, STATE_FILE};
use steadfast_http::HttpSettings;
use steadfast_retry::{ManualClock, RetryPolicy};
use steadfast_validation::data::generate::{BulkSpec, generate_export};
use steadfast_validation::data::{DataCheck, DataRules};

pub(crate) type Files = Vec<(String, String, Vec<u8>)>;

/// The synthetic export's four files (Patient, Encounter, Condition, Observation), as
/// the server serves them, and one error file.
pub(crate) fn export_files(patients: usize) -> (Files, Files) {
    let dir = tempfile::tempdir().unwrap();
    let spec = BulkSpec {
        patients,
        ..BulkSpec::default()
    };
    let generated = generate_export(dir.path(), &spec).unwrap();
    let files = generated
        .files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            let t = name.split('.').next().unwrap().to_owned();
            (t.clone(), format!("{t}-1"), std::fs::read(p).unwrap())
        })
        .collect();
    let error = b"{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"processing\"}]}\n";
    let errors = vec![("OperationOutcome".into(), "errors-1".into(), error.to_vec())];
    (files, errors)
}

pub(crate) fn client(server: &BulkServer, clock: &ManualClock) -> FhirClient {
    let policy = RetryPolicy::exponential()
        .max_retries(4)
        .manual_clock(clock);
    FhirClient::new(&server.base(), &HttpSettings::default().no_proxy(), policy).unwrap()
}

pub(crate) fn export<'a>(
    client: &'a FhirClient,
    out: &Path,
    clock: &ManualClock,
) -> BulkExport<'a> {
    BulkExport::new(client, out)
        .clock(clock.clone())
        .sleeper(clock.clone())
}

/// Runs an export into `out` one file at a time and drops it (as a kill would stop it) once
/// its first file is in.
pub(crate) async fn kill_after_first_file(client: &FhirClient, out: &Path, clock: &ManualClock) {
    let first_done = Arc::new(tokio::sync::Notify::new());
    let killed = {
        let first_done = first_done.clone();
        export(client, out, clock)
            .concurrency(1)
            .on_event(move |e| {
                if let BulkEvent::FileDone { .. } = e {
                    first_done.notify_one();
                }
            })
    };
    tokio::select! {
        biased;
        () = first_done.notified() => {}
        done = killed.run_async() => panic!("the export was to be killed: {done:?}"),
    }
}

/// Every file the server serves is in `out`, byte for byte, under its local name.
pub(crate) fn assert_identical(out: &Path, files: &Files, errors: &Files) {
    for (t, _, data) in files {
        let local = std::fs::read(out.join(format!("{t}.ndjson"))).unwrap();
        assert!(local == *data, "{t} differs");
    }
    for (t, _, data) in errors {
        let local = std::fs::read(out.join(format!("error.{t}.ndjson"))).unwrap();
        assert!(local == *data, "error {t} differs");
    }
}

pub(crate) fn validate(out: &Path) {
    let rules = DataRules::fhir_bulk();
    let report = DataCheck::new(&rules)
        .threads(1)
        .run(&[out.join("manifest.json")])
        .unwrap();
    assert_eq!(report.exit_code(), 0, "{report:?}");
    assert!(report.records() > 0);
}

#[test]
fn a_slow_job_with_faults_is_exported_whole() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(60);
    let observation = "Observation-1".to_owned();
    let script = Script {
        pending: 3,
        retry_after: 7,
        too_fast: 2,
        cut: HashSet::from([observation.clone()]),
        unavailable: HashSet::from(["Patient-1".to_owned()]),
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let restarted = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let summary = {
        let restarted = restarted.clone();
        export(&client, out.path(), &clock)
            .level(ExportLevel::Group("cohort-1".into()))
            .types(["Patient", "Encounter", "Condition", "Observation"])
            .concurrency(3)
            .on_event(move |e| {
                if let BulkEvent::Restarted { .. } = e {
                    restarted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
            .run()
            .unwrap()
    };
    let log = server.take_log();
    assert_eq!(log.kickoffs.len(), 1);
    assert!(
        log.kickoffs[0].starts_with("/fhir/Group/cohort-1/$export?_type=Patient%2CEncounter"),
        "{}",
        log.kickoffs[0]
    );
    // Two 429s, three 202s, the manifest: six polls, each at least Retry-After apart.
    assert_eq!(log.polls.len(), 6, "{:?}", log.polls);
    assert_eq!(log.early_polls, 0);
    for pair in log.polls.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_secs(7), "{pair:?}");
    }
    assert_eq!(summary.polls, 6);
    // The cut download was resumed where it stopped, not fetched again.
    let obs = &files.iter().find(|f| f.1 == observation).unwrap().2;
    let requests: Vec<_> = log
        .file_requests
        .iter()
        .filter(|r| r.0 == observation)
        .collect();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[1].1, Some(obs.len() as u64 / 2));
    let served = log.bytes_served[&observation];
    assert!(
        served * 10 <= obs.len() as u64 * 11,
        "{served} of {}",
        obs.len()
    );
    assert_eq!(restarted.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The 503's Retry-After was waited before the file was asked for again.
    let patient: Vec<_> = log
        .file_requests
        .iter()
        .filter(|r| r.0 == "Patient-1")
        .collect();
    assert_eq!(patient.len(), 2);
    assert!(patient[1].2 - patient[0].2 >= Duration::from_secs(7));
    assert_identical(out.path(), &files, &errors);
    validate(out.path());
    assert_eq!(log.deletes, 1);
    assert!(summary.job_deleted);
    assert!(!out.path().join(STATE_FILE).exists());
    assert_eq!(summary.files.len(), 5);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["output"][0]["type"], "Patient");
    assert_eq!(manifest["output"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(manifest["error"][0]["url"], "error.OperationOutcome.ndjson");
}

#[test]
fn a_server_ignoring_range_gets_the_file_started_over() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(20);
    let script = Script {
        cut: HashSet::from(["Encounter-1".to_owned()]),
        ignore_range: true,
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let summary = export(&client, out.path(), &clock).run().unwrap();
    assert!(!summary.resumed);
    assert_identical(out.path(), &files, &errors);
    validate(out.path());
}

#[tokio::test(flavor = "current_thread")]
async fn a_killed_export_resumes_its_job_and_fetches_only_the_rest() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(30);
    let script = Script {
        pending: 1,
        retry_after: 3,
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    // The first run dies (its future dropped, as a kill would stop it) once a file is in.
    kill_after_first_file(&client, out.path(), &clock).await;
    assert!(out.path().join(STATE_FILE).exists());
    assert!(out.path().join("Patient.ndjson").exists());
    let first = server.take_log();
    assert_eq!(first.kickoffs.len(), 1);
    assert_eq!(first.deletes, 0);

    let summary = export(&client, out.path(), &clock)
        .run_async()
        .await
        .unwrap();
    let second = server.take_log();
    assert!(summary.resumed);
    assert!(second.kickoffs.is_empty(), "the same job, no new kick-off");
    let fetched: HashSet<_> = second.file_requests.iter().map(|r| r.0.as_str()).collect();
    assert!(!fetched.contains("Patient-1"), "{fetched:?}");
    assert_eq!(fetched.len(), files.len() + errors.len() - 1, "{fetched:?}");
    let reused: Vec<_> = summary.files.iter().filter(|f| f.reused).collect();
    assert_eq!(reused.len(), 1);
    assert_eq!(reused[0].name, "Patient.ndjson");
    assert_identical(out.path(), &files, &errors);
    validate(out.path());
    assert_eq!(second.deletes, 1);
    assert!(!out.path().join(STATE_FILE).exists());
}

#[tokio::test(flavor = "current_thread")]
async fn a_job_the_server_forgot_is_started_again() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(10);
    let server = BulkServer::start(files.clone(), errors.clone(), Script::default(), &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    kill_after_first_file(&client, out.path(), &clock).await;
    server.forget_jobs();
    server.take_log();
    let summary = export(&client, out.path(), &clock)
        .run_async()
        .await
        .unwrap();
    let log = server.take_log();
    assert!(!summary.resumed);
    assert_eq!(log.kickoffs.len(), 1);
    assert_eq!(log.file_requests.len(), files.len() + errors.len());
    assert_identical(out.path(), &files, &errors);
}

#[test]
fn a_job_past_its_deadline_keeps_its_state_and_a_failed_job_says_why() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(5);
    let script = Script {
        pending: 1000,
        retry_after: 60,
        ..Script::default()
    };
    let server = BulkServer::start(files, errors, script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let timing = steadfast_fhir::PollTiming::default().deadline(Duration::from_secs(600));
    let err = export(&client, out.path(), &clock)
        .poll_timing(timing)
        .run()
        .unwrap_err();
    assert!(
        matches!(err, FhirError::PollDeadline { polls: 11, .. }),
        "{err}"
    );
    assert!(out.path().join(STATE_FILE).exists());
    assert_eq!(server.take_log().early_polls, 0);

    server.script(|s| s.job_fails = Some(500));
    let err = export(&client, out.path(), &clock).run().unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("exception") && !text.contains("Ada"),
        "{text}"
    );
}
