//! Bulk Data export at its edges: a `Retry-After` of `u64::MAX` seconds, blank lines in a
//! file, a partial answer shorter than it announced, a file changed between a cut and its
//! resumption.

use std::time::Duration;

use crate::bulk::{assert_identical, client, export, export_files, validate};
use crate::bulk_server::{BulkServer, Script};
use steadfast_fhir::{FhirClient, FhirError, STATE_FILE};
use steadfast_http::HttpSettings;
use steadfast_retry::{ManualClock, RetryPolicy};

#[test]
fn a_huge_retry_after_ends_at_the_deadline_without_a_panic() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(3);
    let script = Script {
        pending: 5,
        too_fast: 1,
        retry_after: u64::MAX,
        ..Script::default()
    };
    let server = BulkServer::start(files, errors, script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    // Waits capped (a week each), an interval that cannot grow past `Duration::MAX`: an
    // endless deadline sees the job through, the default one ends it. Neither panics.
    let timing = steadfast_fhir::PollTiming::default()
        .initial_interval(Duration::MAX)
        .max_interval(Duration::MAX)
        .deadline(Duration::MAX);
    let summary = export(&client, out.path(), &clock)
        .poll_timing(timing)
        .run()
        .unwrap();
    assert_eq!(summary.polls, 7);
    server.forget_jobs();
    let out = tempfile::tempdir().unwrap();
    let err = export(&client, out.path(), &clock).run().unwrap_err();
    assert!(matches!(err, FhirError::PollDeadline { .. }), "{err}");
    assert!(out.path().join(STATE_FILE).exists());
}

#[test]
fn blank_lines_are_not_counted_as_resources() {
    let clock = ManualClock::new();
    let (mut files, errors) = export_files(5);
    files[0].2.extend_from_slice(b"\n \r\n\n");
    let server = BulkServer::start(files.clone(), errors.clone(), Script::default(), &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let summary = export(&client, out.path(), &clock).run().unwrap();
    let lines = files[0].2.iter().filter(|b| **b == b'\n').count() as u64;
    assert_eq!(summary.files[0].lines, lines - 3);
    assert_identical(out.path(), &files, &errors);
    validate(out.path());
}

#[test]
fn a_partial_answer_short_of_its_range_is_asked_for_the_rest() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(10);
    let name = "Observation-1".to_owned();
    let script = Script {
        cut: [name.clone()].into(),
        short_partial: [name.clone()].into(),
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    export(&client, out.path(), &clock).run().unwrap();
    let log = server.take_log();
    let starts: Vec<_> = log
        .file_requests
        .iter()
        .filter(|r| r.0 == name)
        .map(|r| r.1)
        .collect();
    // Cut at half; a 206 from there sending half of the rest; the rest.
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert!(starts[0].is_none() && starts[1] < starts[2], "{starts:?}");
    assert_identical(out.path(), &files, &errors);
    validate(out.path());
}

#[test]
fn a_file_changed_since_the_cut_is_fetched_whole_again() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(10);
    let (i, name) = (3, "Observation-1".to_owned());
    assert_eq!(files[i].1, name);
    // The same resources in another order: the same count, other bytes.
    let mut lines: Vec<&[u8]> = files[i].2.split_inclusive(|b| *b == b'\n').collect();
    lines.reverse();
    let changed = lines.concat();
    assert_ne!(changed, files[i].2);
    let script = Script {
        cut: [name.clone()].into(),
        changed: [(name.clone(), changed.clone())].into(),
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    export(&client, out.path(), &clock).run().unwrap();
    let mut expected = files.clone();
    expected[i].2 = changed;
    assert_identical(out.path(), &expected, &errors);
    validate(out.path());
}

#[test]
fn a_file_slower_than_the_request_timeout_is_not_cut() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(5);
    let name = "Observation-1".to_owned();
    let script = Script {
        slow: [(name.clone(), Duration::from_millis(100))].into(),
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    // A 400 ms request timeout; the file takes about a second, data every 100 ms.
    let settings = HttpSettings::default()
        .no_proxy()
        .timeout(Duration::from_millis(400));
    let policy = RetryPolicy::exponential()
        .max_retries(0)
        .manual_clock(&clock);
    let client = FhirClient::new(&server.base(), &settings, policy).unwrap();
    let out = tempfile::tempdir().unwrap();
    export(&client, out.path(), &clock)
        .read_idle_timeout(Duration::from_secs(1))
        .concurrency(1)
        .run()
        .unwrap();
    let log = server.take_log();
    let requests = log.file_requests.iter().filter(|r| r.0 == name).count();
    assert_eq!(requests, 1);
    assert_identical(out.path(), &files, &errors);
}

#[test]
fn a_stalled_or_cut_file_is_resumed_without_costing_a_retry() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(5);
    let (stalled, cut) = ("Observation-1".to_owned(), "Patient-1".to_owned());
    let script = Script {
        stall: [stalled.clone()].into(),
        cut: [cut.clone()].into(),
        ..Script::default()
    };
    let server = BulkServer::start(files.clone(), errors.clone(), script, &clock);
    // No retries at all: a cut after progress is resumed within the attempt.
    let policy = RetryPolicy::exponential()
        .max_retries(0)
        .manual_clock(&clock);
    let settings = HttpSettings::default().no_proxy();
    let client = FhirClient::new(&server.base(), &settings, policy).unwrap();
    let out = tempfile::tempdir().unwrap();
    export(&client, out.path(), &clock)
        .read_idle_timeout(Duration::from_secs(1))
        .concurrency(1)
        .run()
        .unwrap();
    let log = server.take_log();
    for name in [&stalled, &cut] {
        let starts: Vec<_> = log
            .file_requests
            .iter()
            .filter(|r| r.0 == *name)
            .map(|r| r.1.is_some())
            .collect();
        assert_eq!(starts, [false, true], "{name}");
    }
    assert_identical(out.path(), &files, &errors);
}

#[test]
fn a_manifest_past_the_limit_is_not_read() {
    let clock = ManualClock::new();
    let (files, errors) = export_files(2);
    let script = Script {
        huge_manifest: true,
        ..Script::default()
    };
    let server = BulkServer::start(files, errors, script, &clock);
    let client = client(&server, &clock);
    let out = tempfile::tempdir().unwrap();
    let err = export(&client, out.path(), &clock).run().unwrap_err();
    let text = format!("{err} {:?}", err);
    assert!(text.contains("larger than 64 MiB"), "{text}");
}
