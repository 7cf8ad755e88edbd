//! Breakers and budgets per (base URL, resource type, interaction): a server on 127.0.0.1
//! whose `Observation` answers 503 always and whose `Patient` answers 200 — Observation's
//! breaker opens at its threshold and refuses further Observation reads before they reach
//! the server, and Observation's budget runs dry, while Patient reads see no refusal and
//! keep every token and their own pace; one registry shared by two servers' clients keeps
//! their keys apart.

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::server::{Acceptor, request_target};
use steadfast_fhir::{BreakerKey, FhirClient, FhirError};
use steadfast_http::HttpSettings;
use steadfast_retry::{
    AdaptiveRateLimiter, BreakerRegistry, BudgetRegistry, CircuitBreaker, CircuitState,
    GiveUpReason, LimiterRegistry, ManualClock, RetryBudget, RetryPolicy,
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

/// Breakers per key that open after `failures` failures in a row, on `clock`.
fn breakers(failures: u32, clock: &ManualClock) -> Arc<BreakerRegistry<BreakerKey>> {
    Arc::new(BreakerRegistry::new(
        CircuitBreaker::builder()
            .consecutive_failures(failures)
            .open_duration(Duration::from_secs(60))
            .clock(clock.clone()),
        64,
    ))
}

/// A client of `server`, 2 retries a second apart on `clock`, without keyed registries.
fn plain_client(server: &SplitServer, clock: &ManualClock) -> FhirClient {
    let policy = RetryPolicy::constant(Duration::from_secs(1))
        .max_retries(2)
        .manual_clock(clock);
    let base = format!("http://{}/fhir", server.addr);
    FhirClient::new(&base, &HttpSettings::default().no_proxy(), policy).unwrap()
}

/// A client of `server` with breakers per key (3 failures in a row open one) on `clock`.
fn client(
    server: &SplitServer,
    clock: &ManualClock,
) -> (FhirClient, Arc<BreakerRegistry<BreakerKey>>) {
    let breakers = breakers(3, clock);
    let client = plain_client(server, clock).breakers(breakers.clone());
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
    let observation = breakers.peek(&client.key("Observation", "read")).unwrap();
    assert_eq!(observation.state(), CircuitState::Open);
    assert_eq!(observation.rejected(), 19);
    let patient = breakers.peek(&client.key("Patient", "read")).unwrap();
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
    let patient = breakers.peek(&client.key("Patient", "read")).unwrap();
    assert_eq!(patient.rejected(), 0);
    // Once the open duration has passed, Observation gets its half-open trial.
    clock.advance(Duration::from_secs(60));
    let _ = client.read_async("Observation", "o9").await;
    assert_eq!(server.hits.observation.load(Ordering::SeqCst), 4);
}

fn gave_up_for(err: &FhirError) -> Option<GiveUpReason> {
    match err {
        FhirError::GaveUp { reason, .. } => Some(*reason),
        _ => None,
    }
}

#[test]
fn a_failing_observation_spends_only_its_own_budget_and_breaker() {
    let server = SplitServer::start();
    let clock = ManualClock::new();
    let breakers = breakers(6, &clock);
    // 20% of calls, no floor: a key earns one retry every five calls.
    let budgets = Arc::new(BudgetRegistry::new(RetryBudget::new(0.2, 0.0), 64));
    let client = plain_client(&server, &clock)
        .breakers(breakers.clone())
        .budgets(budgets.clone());
    let (mut budget_dry, mut refused, mut patients) = (0, 0, 0);
    for n in 1..=20 {
        let err = client.read("Observation", &format!("o{n}")).unwrap_err();
        match gave_up_for(&err) {
            Some(GiveUpReason::BudgetExhausted) => budget_dry += 1,
            Some(GiveUpReason::CircuitOpen) => refused += 1,
            other => panic!("Observation read {n}: {other:?} ({err})"),
        }
        client.read("Patient", &format!("p{n}")).unwrap();
        patients += 1;
    }
    // Calls 1–4 fail once each (no token for a retry); call 5 earns one retry, whose
    // failure is the sixth in a row: the breaker opens and refuses calls 6–20.
    assert_eq!((budget_dry, refused), (5, 15));
    assert_eq!(server.hits.observation.load(Ordering::SeqCst), 6);
    let observation = breakers.peek(&client.key("Observation", "read")).unwrap();
    assert_eq!(observation.state(), CircuitState::Open);
    // Patient: every read served, none refused, and its budget holds every token it
    // earned (20 × 0.2): Observation took nothing from it.
    assert_eq!(patients, 20);
    assert_eq!(server.hits.patient.load(Ordering::SeqCst), 20);
    let patient = breakers.peek(&client.key("Patient", "read")).unwrap();
    assert_eq!(
        (patient.state(), patient.rejected()),
        (CircuitState::Closed, 0)
    );
    let tokens = budgets
        .peek(&client.key("Patient", "read"))
        .unwrap()
        .tokens();
    assert!((tokens - 4.0).abs() < 1e-9, "{tokens}");
    assert_eq!(budgets.len(), 2);
}

#[test]
fn one_registry_keeps_two_servers_apart() {
    let (first, second) = (SplitServer::start(), SplitServer::start());
    let clock = ManualClock::new();
    let shared = breakers(3, &clock);
    let a = plain_client(&first, &clock).breakers(shared.clone());
    let b = plain_client(&second, &clock).breakers(shared.clone());
    let _ = a.read("Observation", "o1"); // three failures: the first server's key opens
    assert_ne!(a.key("Observation", "read"), b.key("Observation", "read"));
    let err = b.read("Observation", "o1").unwrap_err();
    assert_eq!(gave_up_for(&err), Some(GiveUpReason::Exhausted), "{err}");
    assert_eq!(second.hits.observation.load(Ordering::SeqCst), 3);
    assert_eq!(shared.len(), 2);
    assert!(
        shared
            .peek(&a.key("Observation", "read"))
            .unwrap()
            .is_open()
    );
}

#[test]
fn each_key_has_its_own_pace() {
    let server = SplitServer::start();
    let clock = ManualClock::new();
    // 500 a second to start (real waits of 2 ms at most), +10 a second per success.
    let limiters = Arc::new(LimiterRegistry::new(
        AdaptiveRateLimiter::new(500.0, 1.0, 1000.0),
        64,
    ));
    let client = plain_client(&server, &clock).rate_limiters(limiters.clone());
    for n in 1..=5 {
        client.read("Patient", &format!("p{n}")).unwrap();
        let _ = client.read("Observation", &format!("o{n}"));
    }
    let rate = |t: &str| limiters.peek(&client.key(t, "read")).unwrap().rate();
    assert_eq!(
        rate("Patient"),
        550.0,
        "five successes raised Patient's pace"
    );
    assert_eq!(
        rate("Observation"),
        500.0,
        "Observation's 503s left its own alone"
    );
    assert_eq!(server.hits.observation.load(Ordering::SeqCst), 15);
}
