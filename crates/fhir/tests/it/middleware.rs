//! `RetryMiddleware` on a `reqwest_middleware` client against a scripted server on
//! 127.0.0.1: a GET retried through 503s, a plain POST's 503 handed back unretried, a
//! conditional POST retried, a 404 not retried, and the policy's breaker refusing.

use std::collections::{HashMap, VecDeque};
use std::io::{BufReader, Write as _};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use crate::chaos::read_request;
use crate::server::Acceptor;
use steadfast_fhir::RetryMiddleware;
use steadfast_http::HttpSettings;
use steadfast_retry::{CircuitBreaker, ManualClock, RetryPolicy};

#[derive(Default)]
struct Script {
    /// Statuses to answer, by `METHOD path`, before answering 200.
    statuses: HashMap<String, VecDeque<u16>>,
    hits: HashMap<String, u32>,
}

struct Scripted {
    base: String,
    script: Arc<Mutex<Script>>,
    _acceptor: Acceptor,
}

impl Scripted {
    fn start() -> Self {
        let script = Arc::new(Mutex::new(Script::default()));
        let acceptor = {
            let script = script.clone();
            Acceptor::start(move |_, conn| answer(&script, conn))
        };
        Self {
            base: format!("http://{}", acceptor.addr),
            script,
            _acceptor: acceptor,
        }
    }

    fn script(&self, request: &str, statuses: &[u16]) {
        let mut script = self.script.lock().unwrap();
        script
            .statuses
            .insert(request.to_owned(), statuses.iter().copied().collect());
    }

    fn hits(&self, request: &str) -> u32 {
        let script = self.script.lock().unwrap();
        script.hits.get(request).copied().unwrap_or(0)
    }
}

fn answer(script: &Mutex<Script>, mut conn: TcpStream) {
    let Ok(clone) = conn.try_clone() else {
        return;
    };
    let Some(request) = read_request(&mut BufReader::new(clone)) else {
        return;
    };
    let mut key = format!("{} {}", request.method, request.target);
    if request.if_none_exist.is_some() {
        key.push_str(" (conditional)");
    }
    let status = {
        let mut script = script.lock().unwrap();
        *script.hits.entry(key.clone()).or_default() += 1;
        let next = script.statuses.get_mut(&key).and_then(VecDeque::pop_front);
        next.unwrap_or(200)
    };
    let body = r#"{"resourceType":"Patient","id":"1"}"#;
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(format!("{head}{body}").as_bytes());
}

fn client(policy: RetryPolicy) -> reqwest_middleware::ClientWithMiddleware {
    let http = HttpSettings::default().no_proxy().build().unwrap();
    reqwest_middleware::ClientBuilder::new(http.reqwest().clone())
        .with(RetryMiddleware::new(policy))
        .build()
}

fn policy(clock: &ManualClock) -> RetryPolicy {
    RetryPolicy::exponential()
        .max_retries(3)
        .manual_clock(clock)
}

#[tokio::test]
async fn requests_are_retried_by_their_idempotency_class() {
    let server = Scripted::start();
    let client = client(policy(&ManualClock::new()));
    let url = |path: &str| format!("{}{path}", server.base);

    server.script("GET /fhir/Patient/1", &[503, 503]);
    let answer = client.get(url("/fhir/Patient/1")).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(server.hits("GET /fhir/Patient/1"), 3);

    // A plain create that got a 503 may have been committed: handed back, not sent again.
    server.script("POST /fhir/Patient", &[503]);
    let body = r#"{"resourceType":"Patient"}"#;
    let answer = client
        .post(url("/fhir/Patient"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(server.hits("POST /fhir/Patient"), 1);

    // The same create made conditional is retried.
    server.script("POST /fhir/Patient (conditional)", &[500, 502]);
    let answer = client
        .post(url("/fhir/Patient"))
        .header("If-None-Exist", "identifier=urn:mrn|1")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(server.hits("POST /fhir/Patient (conditional)"), 3);

    server.script("GET /fhir/Patient/2", &[404]);
    let answer = client.get(url("/fhir/Patient/2")).send().await.unwrap();
    assert_eq!(answer.status(), 404, "a 404 is the caller's answer");
    assert_eq!(server.hits("GET /fhir/Patient/2"), 1);
}

#[tokio::test]
async fn a_transport_error_is_retried_for_a_get_and_an_open_breaker_refuses() {
    // Nothing listens on port 1: refused (connect phase), retried, the error handed back.
    let clock = ManualClock::new();
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(4)
        .clock(clock.clone())
        .build();
    let client = client(policy(&clock).circuit_breaker(breaker.clone()));
    let err = client
        .get("http://127.0.0.1:1/fhir/Patient/1")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
    // Four refused attempts opened the breaker: the next call is refused before sending.
    let err = client
        .get("http://127.0.0.1:1/fhir/Patient?name=Ada")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, reqwest_middleware::Error::Middleware(_)),
        "{err}"
    );
    let shown = err.to_string();
    assert!(shown.contains("circuit"), "{shown}");
    assert!(!shown.contains("Ada"), "{shown}");
}
