//! Breakers per (resource type, interaction): a server on 127.0.0.1 whose `Observation`
//! answers 503 always and whose `Patient` answers 200 — Observation's breaker opens at its
//! threshold and refuses further Observation reads before they reach the server, while
//! Patient reads see no refusal at all.

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::server::{Acceptor, request_target};
use steadfast_fhir::{FhirClient, FhirError};
use steadfast_http::HttpSettings;
use steadfast_retry::{
    BreakerRegistry, CircuitBreaker, CircuitState, GiveUpReason, ManualClock, RetryPolicy,
};

#[derive(Default)]
struct Hits {
    observation: AtomicU32,
    patient: AtomicU32,
}

/// Observation: 503 always; Patient: 200. One connection at a time, `Connection: close`.
struct SplitServer {
    addr: SocketAddr,
    hits: Arc<Hits>,
    _acceptor: Acceptor,
}

impl SplitServer {
    fn start() -> Self {
        let hits = Arc::new(Hits::default());
        let acceptor = {
            let hits = hits.clone();
            Acceptor::start(move |_, conn| answer(&hits, conn))
        };
        Self {
            addr: acceptor.addr,
            hits,
            _acceptor: acceptor,
        }
    }
}

fn answer(hits: &Hits, mut conn: TcpStream) {
    let Some(path) = request_target(&conn) else {
        return;
    };
    let (status, body) = if let Some(id) = path.strip_prefix("/fhir/Patient/") {
        hits.patient.fetch_add(1, Ordering::SeqCst);
        (
            200,
            serde_json::json!({"resourceType": "Patient", "id": id}),
        )
    } else {
        if path.starts_with("/fhir/Observation") {
            hits.observation.fetch_add(1, Ordering::SeqCst);
        }
        let issue = serde_json::json!([{"severity": "error", "code": "transient"}]);
        (
            503,
            serde_json::json!({"resourceType": "OperationOutcome", "issue": issue}),
        )
    };
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body.as_bytes());
}

/// A client of `server` with breakers per key (3 failures in a row open one) on `clock`.
fn client(
    server: &SplitServer,
    clock: &ManualClock,
) -> (FhirClient, Arc<BreakerRegistry<(String, &'static str)>>) {
    let breakers = Arc::new(BreakerRegistry::new(
        CircuitBreaker::builder()
            .consecutive_failures(3)
            .open_duration(Duration::from_secs(60))
            .clock(clock.clone()),
        64,
    ));
    let policy = RetryPolicy::constant(Duration::from_secs(1))
        .max_retries(2)
        .manual_clock(clock);
    let base = format!("http://{}/fhir", server.addr);
    let client = FhirClient::new(&base, &HttpSettings::default().no_proxy(), policy)
        .unwrap()
        .breakers(breakers.clone());
    (client, breakers)
}

fn refused(err: &FhirError) -> bool {
    matches!(
        err,
        FhirError::GaveUp {
            reason: GiveUpReason::CircuitOpen,
            ..
        }
    )
}

#[test]
fn a_failing_observation_opens_only_its_breaker() {
    let server = SplitServer::start();
    let clock = ManualClock::new();
    let (client, breakers) = client(&server, &clock);
    let (mut obs_refused, mut patients) = (0, 0);
    for n in 1..=20 {
        let err = client.read("Observation", &format!("o{n}")).unwrap_err();
        if refused(&err) {
            obs_refused += 1;
        }
        let patient = client.read("Patient", &format!("p{n}")).unwrap();
        assert_eq!(patient["id"], format!("p{n}"));
        patients += 1;
    }
    assert_eq!(patients, 20, "every Patient read succeeded");
    assert_eq!(server.hits.patient.load(Ordering::SeqCst), 20);
    // The first read made 3 attempts, which opened the breaker; the 19 others were refused
    // before reaching the server.
    assert_eq!(server.hits.observation.load(Ordering::SeqCst), 3);
    assert_eq!(obs_refused, 19);
    let observation = breakers.peek(&("Observation".to_owned(), "read")).unwrap();
    assert_eq!(observation.state(), CircuitState::Open);
    assert_eq!(observation.rejected(), 19);
    let patient = breakers.peek(&("Patient".to_owned(), "read")).unwrap();
    assert_eq!(patient.state(), CircuitState::Closed);
    assert_eq!(patient.rejected(), 0, "Patient calls saw no refusal");
    assert_eq!(breakers.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_reads_use_the_same_keyed_breakers() {
    let server = SplitServer::start();
    let clock = ManualClock::new();
    let (client, breakers) = client(&server, &clock);
    for n in 1..=5 {
        let err = client
            .read_async("Observation", &format!("o{n}"))
            .await
            .unwrap_err();
        assert_eq!(refused(&err), n > 1, "{err}");
        client.read_async("Patient", "p1").await.unwrap();
    }
    assert_eq!(server.hits.observation.load(Ordering::SeqCst), 3);
    let patient = breakers.peek(&("Patient".to_owned(), "read")).unwrap();
    assert_eq!(patient.rejected(), 0);
    // Once the open duration has passed, Observation gets its half-open trial.
    clock.advance(Duration::from_secs(60));
    let _ = client.read_async("Observation", "o9").await;
    assert_eq!(server.hits.observation.load(Ordering::SeqCst), 4);
}
