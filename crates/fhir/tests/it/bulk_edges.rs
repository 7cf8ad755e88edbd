//! Bulk Data export at its edges: a `Retry-After` of `u64::MAX` seconds, a kick-off's
//! `Retry-After` waited before the first poll, blank lines in a file, a partial answer
//! shorter than it announced, a file changed between a cut and its resumption.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::bulk::{assert_identical, client, export, export_files, validate};
use crate::bulk_http::{read_request, respond};
use crate::bulk_server::{BulkServer, Script};
use crate::server::Acceptor;
use steadfast_fhir::{FhirClient, FhirError, STATE_FILE};
use steadfast_http::HttpSettings;
use steadfast_retry::{Clock as _, ManualClock, RetryPolicy};

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

/// `(method and path, when)` of each request a server saw, on the tests' clock.
type Requests = Arc<Mutex<Vec<(String, Duration)>>>;

/// A kick-off answered `202` with `Retry-After: {secs}`; each request's method and path
/// logged with its time on `clock`; the status answers the manifest of an empty export.
fn kickoff_asking_a_wait(secs: &'static str, clock: &ManualClock) -> (Acceptor, Requests) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (seen, clock, start) = (Arc::clone(&log), clock.clone(), clock.now());
    let acceptor = Acceptor::start(move |addr, mut conn| {
        let Some((method, target, _)) = read_request(&conn) else {
            return;
        };
        let path = target.split('?').next().unwrap_or_default().to_owned();
        seen.lock()
            .unwrap()
            .push((format!("{method} {path}"), clock.now() - start));
        match (method.as_str(), path.as_str()) {
            ("GET", "/fhir/$export") => {
                let headers = [
                    ("content-location", format!("http://{addr}/fhir/status/1")),
                    ("retry-after", secs.to_owned()),
                ];
                respond(&mut conn, 202, &headers, b"");
            }
            ("GET", "/fhir/status/1") => {
                let manifest = br#"{"transactionTime":"2026-12-02T10:00:00Z","request":"x","requiresAccessToken":false,"output":[],"error":[]}"#;
                respond(
                    &mut conn,
                    200,
                    &[("content-type", "application/json".to_owned())],
                    manifest,
                );
            }
            _ => respond(&mut conn, 202, &[], b""),
        }
    });
    (acceptor, log)
}

#[test]
fn the_first_poll_waits_what_the_kick_off_asked() {
    for (asked, at_least) in [("3", 3), ("0", 1)] {
        let clock = ManualClock::new();
        let (server, log) = kickoff_asking_a_wait(asked, &clock);
        let policy = RetryPolicy::exponential()
            .max_retries(2)
            .manual_clock(&clock);
        let base = format!("http://{}/fhir", server.addr);
        let client = FhirClient::new(&base, &HttpSettings::default().no_proxy(), policy).unwrap();
        let out = tempfile::tempdir().unwrap();
        let summary = export(&client, out.path(), &clock).run().unwrap();
        assert_eq!(summary.polls, 1);
        let log = log.lock().unwrap().clone();
        let kicked = log
            .iter()
            .find(|(r, _)| r == "GET /fhir/$export")
            .unwrap()
            .1;
        let polled = log
            .iter()
            .find(|(r, _)| r == "GET /fhir/status/1")
            .unwrap()
            .1;
        // No sooner than `Retry-After` asks (`0` is read as `min_interval`, 1 s).
        assert!(
            polled - kicked >= Duration::from_secs(at_least),
            "Retry-After: {asked}: polled {:?} after the kick-off",
            polled - kicked
        );
    }
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
