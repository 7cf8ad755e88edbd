//! Bulk Data export resumed: a run killed between its local manifest and the job's
//! `DELETE`, pre-signed file URLs signed anew on the rerun, a resumed job that failed on
//! the server, a resumed run waiting out the last `Retry-After`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::bulk::{
    assert_identical, client, export, export_files, kill_after_first_file, validate,
};
use crate::bulk_server::{BulkServer, Script};
use steadfast_fhir::{BulkEvent, FhirError, STATE_FILE, export_in_progress};
use steadfast_retry::ManualClock;

#[test]
fn a_run_killed_before_the_delete_finds_the_export_done() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(5);
    let server = BulkServer::start(files.clone(), errors.clone(), Script::default(), &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    // The state file as it was when the job's DELETE went out (the run "killed" right
    // after it: the server forgot the job, the state file stayed).
    let kept = out.path().join("kept-state");
    let summary = {
        let (state, kept) = (out.path().join(STATE_FILE), kept.clone());
        export(&client, out.path(), &clock)
            .on_event(move |e| {
                if let BulkEvent::JobDeleted = e {
                    std::fs::copy(&state, &kept).unwrap();
                }
            })
            .run()
            .unwrap()
    };
    std::fs::rename(&kept, out.path().join(STATE_FILE)).unwrap();
    assert!(!export_in_progress(out.path()));
    server.take_log();

    let again = export(&client, out.path(), &clock).run().unwrap();
    let log = server.take_log();
    assert!(
        log.kickoffs.is_empty() && log.file_requests.is_empty(),
        "{log:?}"
    );
    assert!(again.resumed && again.files.iter().all(|f| f.reused));
    let names = |s: &steadfast_fhir::ExportSummary| {
        s.files
            .iter()
            .map(|f| (f.name.clone(), f.sha256.clone(), f.is_data))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&again), names(&summary));
    assert!(!out.path().join(STATE_FILE).exists());
    assert_identical(out.path(), &files, &errors);
    validate(out.path());
}

#[tokio::test(flavor = "current_thread")]
async fn files_with_urls_signed_anew_are_not_fetched_again() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(20);
    let script = Script {
        signed: true,
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    kill_after_first_file(&client, out.path(), &clock).await;
    server.take_log();
    let summary = export(&client, out.path(), &clock)
        .run_async()
        .await
        .unwrap();
    let log = server.take_log();
    assert!(summary.resumed && log.kickoffs.is_empty());
    let fetched: HashSet<_> = log.file_requests.iter().map(|r| r.0.as_str()).collect();
    assert!(!fetched.contains("Patient-1"), "{fetched:?}");
    assert_eq!(summary.files.iter().filter(|f| f.reused).count(), 1);
    assert_identical(out.path(), &files, &errors);
}

#[test]
fn a_resumed_job_that_failed_is_dropped_and_started_anew() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(5);
    let script = Script {
        pending: 1000,
        retry_after: 60,
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let timing = steadfast_fhir::PollTiming::default().deadline(Duration::from_secs(100));
    let err = export(&client, out.path(), &clock)
        .poll_timing(timing)
        .run()
        .unwrap_err();
    assert!(matches!(err, FhirError::PollDeadline { .. }), "{err}");
    assert!(export_in_progress(out.path()));

    // (The log is kept: the server numbers jobs by the kick-offs it logged.)
    // The job failed on the server meanwhile (500, `exception`); a new one would work.
    server.script(|s| {
        s.failed_jobs.insert(1);
        s.pending = 0;
    });
    let dropped = Arc::new(std::sync::Mutex::new(Vec::new()));
    let summary = {
        let dropped = dropped.clone();
        export(&client, out.path(), &clock)
            .on_event(move |e| {
                if let BulkEvent::JobDropped { status } = e {
                    dropped.lock().unwrap().push(*status);
                }
            })
            .run()
            .unwrap()
    };
    assert_eq!(*dropped.lock().unwrap(), [500]);
    assert!(!summary.resumed);
    let log = server.take_log();
    assert_eq!(log.kickoffs.len(), 2);
    // The resumed run waited out the last Retry-After before its first poll.
    assert_eq!(log.early_polls, 0);
    assert_identical(out.path(), &files, &errors);
    assert!(!export_in_progress(out.path()));
}

#[test]
fn a_resumed_run_polls_no_sooner_than_the_server_asked() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(5);
    let script = Script {
        pending: 3,
        retry_after: 60,
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    // The first run polls once, is told to come back in 60 s, and ends (deadline).
    let timing = steadfast_fhir::PollTiming::default().deadline(Duration::from_secs(30));
    let err = export(&client, out.path(), &clock)
        .poll_timing(timing)
        .run()
        .unwrap_err();
    assert!(
        matches!(err, FhirError::PollDeadline { polls: 1, .. }),
        "{err}"
    );
    assert_eq!(server.take_log().polls.len(), 1);

    export(&client, out.path(), &clock).run().unwrap();
    let log = server.take_log();
    assert_eq!(log.early_polls, 0, "{:?}", log.polls);
    assert!(log.kickoffs.is_empty());
    assert_identical(out.path(), &files, &errors);
}
