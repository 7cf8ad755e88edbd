//! `replay_requests`: a page dead-lettered while the server failed is fetched again once it
//! recovered (the queue empties, the page is delivered); against a dead port the breaker
//! stops the replay; a queue holding other items is refused untouched.

use std::sync::Arc;
use std::time::Duration;

use steadfast_fhir::{FhirError, Method, RequestItem, bundle_resources, replay_requests};
use steadfast_retry::{
    CircuitBreaker, DeadLetter, DeadLetterQueue, ManualClock, ReplayOptions, RetryPolicy,
};

use crate::search::{Waits, client, policy};
use crate::server::FhirServer;

fn breaker(n: u32) -> CircuitBreaker {
    CircuitBreaker::builder()
        .consecutive_failures(n)
        .clock(ManualClock::new())
        .build()
}

#[test]
fn a_recovered_server_empties_the_queue_and_delivers_the_page() {
    let server = FhirServer::start(8);
    server.fail_for_good(2);
    let dir = tempfile::tempdir().unwrap();
    let queue = Arc::new(DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap());
    let waits = Waits::default();
    let client = client(&server, policy(&waits, 1)).dead_letters(queue.clone());
    let pages: Vec<_> = client.search("Patient", &[("_count", "3")]).collect();
    assert!(pages[1].is_err());
    assert_eq!(queue.read().unwrap().len(), 1);

    // Still failing: the letter stays, its error updated and still PHI-free.
    let options = ReplayOptions::new(&policy(&waits, 2)).breaker(&breaker(3));
    let report = replay_requests(&client, &queue, &options, false, |_, _| Ok(()))
        .unwrap()
        .letters;
    assert_eq!(report.failed_again, 1);
    let letter = &queue.read().unwrap()[0];
    assert_eq!(
        (letter.error.kind.as_str(), letter.error.status),
        ("http_5xx", Some(500))
    );
    assert_eq!((letter.replays, letter.attempts), (1, 5));

    server.recover();
    // The first replay opened its breaker (three failed attempts); a new replay, a new one.
    let options = ReplayOptions::new(&policy(&waits, 2)).breaker(&breaker(3));
    let mut delivered = Vec::new();
    let report = replay_requests(&client, &queue, &options, false, |item, page| {
        assert_eq!(item.resource_type.as_deref(), Some("Patient"));
        delivered.extend(bundle_resources(page).map(|r| r["id"].clone()));
        Ok(())
    })
    .unwrap();
    let letters = report.letters;
    assert_eq!((letters.succeeded, letters.failed_again), (1, 0));
    assert!(queue.read().unwrap().is_empty());
    // The search went on after the recovered page 2: page 3, which it never reached.
    assert_eq!(delivered, ["p4", "p5", "p6", "p7", "p8"]);
    assert_eq!(
        (report.continued_pages, report.continuation_failures),
        (1, 0)
    );
    assert_eq!((server.hits(1), server.hits(3)), (1, 1));
}

#[test]
fn a_dead_server_stops_the_replay_at_the_breaker() {
    let dir = tempfile::tempdir().unwrap();
    let queue = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    for page in 1..=6 {
        let item = RequestItem::new(
            Method::Get,
            &format!("Patient?page={page}"),
            Some("Patient"),
        );
        let letter = DeadLetter::new(
            &item,
            &"HTTP 503",
            3,
            steadfast_core::Timestamp::now(),
            "exhausted",
        )
        .unwrap();
        queue.push(&letter).unwrap();
    }
    let server = FhirServer::start(1);
    let base = server.base();
    drop(server); // nothing listens there any more
    let clock = ManualClock::new();
    let policy = RetryPolicy::constant(Duration::from_secs(1))
        .max_retries(0)
        .manual_clock(&clock);
    let client = steadfast_fhir::FhirClient::new(
        &base,
        &steadfast_http::HttpSettings::default().no_proxy(),
        policy.clone(),
    )
    .unwrap();
    let options = ReplayOptions::new(&policy)
        .breaker(&breaker(2))
        .max_replays(5);
    let report = replay_requests(&client, &queue, &options, false, |_, _| Ok(()))
        .unwrap()
        .letters;
    assert_eq!(
        (report.succeeded, report.failed_again, report.not_attempted),
        (0, 2, 4)
    );
    assert_eq!(queue.read().unwrap().len(), 6);
}

#[test]
fn a_queue_with_other_or_unsafe_items_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let queue = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    let now = steadfast_core::Timestamp::now();
    let post = RequestItem::new(Method::Post, "Patient", Some("Patient"));
    queue
        .push(&DeadLetter::new(&post, &"HTTP 500", 1, now, "permanent").unwrap())
        .unwrap();
    let before = std::fs::read(queue.path()).unwrap();
    let policy = RetryPolicy::constant(Duration::ZERO).max_retries(0);
    let client = steadfast_fhir::FhirClient::new(
        "http://127.0.0.1:1/fhir",
        &steadfast_http::HttpSettings::default().no_proxy(),
        policy.clone(),
    )
    .unwrap();
    let options = ReplayOptions::new(&policy);
    let err = replay_requests(&client, &queue, &options, false, |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(
            err,
            FhirError::NotReplayable {
                other: 0,
                unsafe_items: 1
            }
        ),
        "{err}"
    );
    queue
        .push(&DeadLetter::new(&"row 7", &"bad row", 1, now, "permanent").unwrap())
        .unwrap();
    let err = replay_requests(&client, &queue, &options, true, |_, _| Ok(())).unwrap_err();
    assert!(
        matches!(
            err,
            FhirError::NotReplayable {
                other: 1,
                unsafe_items: 0
            }
        ),
        "{err}"
    );
    assert!(std::fs::read(queue.path()).unwrap().starts_with(&before));
    assert_eq!(queue.read().unwrap().len(), 2);
}

#[test]
fn requests_with_a_body_are_refused_untouched_even_when_unsafe_ones_are_included() {
    let dir = tempfile::tempdir().unwrap();
    let queue = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    let now = steadfast_core::Timestamp::now();
    for method in [Method::Post, Method::Put, Method::Get] {
        let item = RequestItem::new(method, "Patient/p1", Some("Patient"));
        queue
            .push(&DeadLetter::new(&item, &"HTTP 500", 1, now, "permanent").unwrap())
            .unwrap();
    }
    let before = std::fs::read(queue.path()).unwrap();
    let policy = RetryPolicy::constant(Duration::ZERO).max_retries(0);
    let client = steadfast_fhir::FhirClient::new(
        "http://127.0.0.1:1/fhir",
        &steadfast_http::HttpSettings::default().no_proxy(),
        policy.clone(),
    )
    .unwrap();
    let options = ReplayOptions::new(&policy);
    let err = replay_requests(&client, &queue, &options, true, |_, _| Ok(())).unwrap_err();
    assert!(matches!(err, FhirError::CannotResend { count: 2 }), "{err}");
    assert!(
        err.to_string()
            .contains("2 request(s) other than GET or HEAD")
    );
    assert_eq!(std::fs::read(queue.path()).unwrap(), before);
}
