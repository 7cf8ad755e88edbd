//! Paged search and reads through faults: every resource arrives once, `Retry-After` is
//! waited exactly (on an injected clock), a dropped connection is retried, a page that fails
//! for good becomes exactly one typed, PHI-free dead letter, and a next link to another
//! origin is never followed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steadfast_fhir::{
    FhirClient, FhirError, Idempotency, Method, RequestItem, bundle_resources, read_request_letters,
};
use steadfast_http::HttpSettings;
use steadfast_retry::{DeadLetterQueue, Jitter, ManualClock, RetryPolicy, Sleeper};

use crate::server::{Fault, FhirServer};

/// A sleeper that waits on a manual clock and remembers every wait.
#[derive(Clone, Default)]
pub(crate) struct Waits {
    clock: ManualClock,
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl Sleeper for Waits {
    fn sleep(&self, d: Duration) {
        self.waits.lock().unwrap().push(d);
        self.clock.sleep(d);
    }
}

pub(crate) fn policy(waits: &Waits, retries: u32) -> RetryPolicy {
    RetryPolicy::exponential()
        .initial_interval(Duration::from_millis(100))
        .jitter(Jitter::None)
        .max_retries(retries)
        .clock(waits.clock.clone())
        .sleeper(waits.clone())
}

pub(crate) fn client(server: &FhirServer, policy: RetryPolicy) -> FhirClient {
    let settings = HttpSettings::default()
        .no_proxy()
        .timeout(Duration::from_secs(10));
    FhirClient::new(&server.base(), &settings, policy).unwrap()
}

#[test]
fn every_resource_arrives_once_through_503_429_and_a_dropped_connection() {
    let server = FhirServer::start(11); // 6 pages of 2
    server.fault(2, &[Fault::Status(503, Some("7"))]);
    server.fault(3, &[Fault::Status(429, Some("3"))]);
    server.fault(4, &[Fault::Drop]);
    server.fault(5, &[Fault::Status(502, None), Fault::Status(503, None)]);
    let waits = Waits::default();
    let client = client(&server, policy(&waits, 5));

    let mut ids = Vec::new();
    let mut search = client.search("Patient", &[("_count", "2")]);
    for page in &mut search {
        let page = page.unwrap();
        ids.extend(bundle_resources(&page).map(|r| r["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(search.pages(), 6);
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (11, 11), "{ids:?}");
    // Each server wait exactly as asked, the rest the policy's own backoff.
    let waits = waits.waits.lock().unwrap().clone();
    assert_eq!(
        waits,
        [
            Duration::from_secs(7),
            Duration::from_secs(3),
            Duration::from_millis(100),
            Duration::from_millis(100),
            Duration::from_millis(150),
        ]
    );
    assert_eq!(
        [1, 2, 3, 4, 5, 6].map(|p| server.hits(p)),
        [1, 2, 2, 2, 3, 1]
    );
}

#[test]
fn a_page_that_fails_for_good_is_exactly_one_phi_free_dead_letter() {
    let server = FhirServer::start(9);
    server.fail_for_good(3);
    let dir = tempfile::tempdir().unwrap();
    let queue = Arc::new(DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap());
    let waits = Waits::default();
    let client = client(&server, policy(&waits, 2)).dead_letters(queue.clone());

    let results: Vec<_> = client
        .search("Patient", &[("_count", "2"), ("name", "Ada Jones")])
        .collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].as_ref().unwrap_err();
    let FhirError::GaveUp {
        attempts,
        dead_lettered,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!((*attempts, *dead_lettered), (3, true));
    assert_eq!(err.status(), Some(500));
    let text = err.to_string();
    assert_eq!(
        text,
        "GET Patient?_count=…&page=…: gave up after 3 attempt(s) (exhausted): \
         GET Patient?_count=…&page=…: HTTP 500 (OperationOutcome: error exception); \
         kept as a dead letter"
    );
    assert_eq!(server.hits(3), 3);
    assert_eq!(server.hits(4), 0);

    let read = read_request_letters(queue.path()).unwrap();
    assert_eq!(
        (read.requests.len(), read.other, read.unreadable),
        (1, 0, 0)
    );
    let letter = &read.requests[0];
    assert_eq!(
        letter.item,
        RequestItem::new(Method::Get, "Patient?_count=2&page=3", Some("Patient"))
    );
    assert_eq!(letter.item.idempotency, Idempotency::Safe);
    let e = &letter.letter.error;
    assert_eq!(
        (e.kind.as_str(), e.status, e.resource_type.as_deref()),
        ("http_5xx", Some(500), Some("Patient"))
    );
    assert_eq!(e.message, None);
    assert_eq!(letter.letter.attempts, 3);
    assert_eq!(letter.letter.decision, "exhausted");
    let file = std::fs::read_to_string(queue.path()).unwrap();
    assert!(
        !file.contains("MRN") && !file.contains("127.0.0.1"),
        "{file}"
    );
}

#[test]
fn a_next_link_to_another_origin_is_not_followed() {
    let server = FhirServer::start(5);
    server.foreign_next();
    let waits = Waits::default();
    let client = client(&server, policy(&waits, 2));
    let results: Vec<_> = client.search("Patient", &[("_count", "2")]).collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    let err = results[1].as_ref().unwrap_err();
    assert!(
        matches!(err, FhirError::ForeignNextLink { origin, .. } if origin.starts_with("http://127.0.0.2:")),
        "{err:?}"
    );
    assert_eq!(server.hits(2), 0);
}

#[test]
fn a_next_link_cycle_ends_the_search_with_an_error() {
    let server = FhirServer::start(9);
    server.cyclic_next();
    let waits = Waits::default();
    let client = client(&server, policy(&waits, 2));
    let results: Vec<_> = client
        .search("Patient", &[("_count", "2"), ("page", "1")])
        .collect();
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].as_ref().unwrap_err();
    assert!(
        matches!(err, FhirError::NextLinkCycle { next, .. } if next == "Patient?_count=…&page=…"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("page=1"), "{err}");
    assert_eq!((server.hits(1), server.hits(2), server.hits(3)), (1, 1, 0));
}

#[test]
fn a_search_stops_at_its_page_limit() {
    let server = FhirServer::start(9);
    let waits = Waits::default();
    let client = client(&server, policy(&waits, 2));
    let results: Vec<_> = client
        .search("Patient", &[("_count", "2")])
        .max_pages(2)
        .collect();
    assert_eq!(results.len(), 3);
    let err = results[2].as_ref().unwrap_err();
    assert!(
        matches!(err, FhirError::TooManyPages { limit: 2, .. }),
        "{err:?}"
    );
    assert_eq!(server.hits(3), 0);
}

#[test]
fn reads_retry_and_a_404_is_not_retried() {
    let server = FhirServer::start(3);
    let waits = Waits::default();
    let client = client(&server, policy(&waits, 3));
    assert_eq!(client.read("Patient", "p2").unwrap()["id"], "p2");
    let err = client.read("Patient", "p9").unwrap_err();
    assert!(
        matches!(&err, FhirError::GaveUp { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(404));
    assert!(matches!(
        client.read("../admin", "x").unwrap_err(),
        FhirError::InvalidResourceType(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_api_pages_and_reads_too() {
    let server = FhirServer::start(5);
    server.fault(2, &[Fault::Status(503, Some("1"))]);
    let clock = ManualClock::new();
    let policy = RetryPolicy::exponential()
        .max_retries(3)
        .clock(clock.clone())
        .async_sleeper(clock.clone());
    let client = client(&server, policy);
    let mut search = client.search("Patient", &[("_count", "2")]);
    let mut n = 0;
    while let Some(page) = search.next_async().await {
        n += bundle_resources(&page.unwrap()).count();
    }
    assert_eq!(n, 5);
    assert!(clock.slept() >= Duration::from_secs(1));
    assert_eq!(
        client.read_async("Patient", "p1").await.unwrap()["id"],
        "p1"
    );
}
