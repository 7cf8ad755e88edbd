//! Keyed breakers under a failing neighbour (issue 21): `Patient` reads through a
//! `FhirClient` with breakers per (base URL, resource type, interaction), measured alone and
//! while another task reads `Observation`s from the same client — every one of which the
//! server answers `503`. Observation's breaker opens after 5 failures in a row and refuses
//! the rest before they reach the server; Patient's must refuse nothing and keep its
//! throughput. The ratio of the two medians is the throughput Patient keeps (target ≥ 0.95;
//! docs/benchmarks.md).
//!
//! The server: HTTP/1.1 with keep-alive on 127.0.0.1, a thread per connection, in this
//! process. Both run on one 2-worker tokio runtime through the async API; the Observation
//! task asks about every millisecond (alone: it does not run).
//!
//! `cargo bench -p steadfast-fhir --bench keyed`
#![allow(
    clippy::unwrap_used,
    clippy::disallowed_methods,
    reason = "a benchmark fails by panicking, and waits on real time for the breaker to open"
)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use steadfast_fhir::{FhirClient, FhirError};
use steadfast_http::HttpSettings;
use steadfast_retry::{BreakerRegistry, CircuitBreaker, GiveUpReason, RetryPolicy};

/// Starts the server: `Patient/{id}` → 200, anything else → 503 with an OperationOutcome.
fn serve() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || answer(conn));
        }
    });
    addr
}

/// Answers requests on one kept-alive connection until the client closes it.
fn answer(mut conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split(' ').nth(1).unwrap_or("").to_owned();
        // The headers, up to the blank line (GETs carry no body).
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
        }
        let (status, body) = match target.strip_prefix("/fhir/Patient/") {
            Some(id) => (
                "200 OK",
                format!("{{\"resourceType\":\"Patient\",\"id\":\"{id}\"}}"),
            ),
            None => (
                "503 Service Unavailable",
                "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"transient\"}]}".to_owned(),
            ),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if conn.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// A client of `addr` with breakers per key: 5 failures in a row open one for 30 s.
fn client(addr: SocketAddr) -> FhirClient {
    let breakers = Arc::new(BreakerRegistry::new(
        CircuitBreaker::builder()
            .consecutive_failures(5)
            .open_duration(Duration::from_secs(30)),
        64,
    ));
    let policy = RetryPolicy::constant(Duration::from_millis(1)).max_retries(1);
    FhirClient::new(
        &format!("http://{addr}/fhir"),
        &HttpSettings::default().no_proxy(),
        policy,
    )
    .unwrap()
    .breakers(breakers)
}

/// Reads `n` Patients; panics on any failure (a refusal included).
async fn read_patients(client: &FhirClient, n: u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        let p = client
            .read_async("Patient", &format!("p{}", i % 1000))
            .await;
        assert!(p.is_ok(), "a Patient read failed: {:?}", p.err());
    }
    start.elapsed()
}

/// Reads Observations about every millisecond until `stop`, counting refusals.
async fn failing_neighbour(
    client: Arc<FhirClient>,
    stop: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        if let Err(FhirError::GaveUp {
            reason: GiveUpReason::CircuitOpen,
            ..
        }) = client.read_async("Observation", &format!("o{n}")).await
        {
            refused.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn keyed(c: &mut Criterion) {
    let addr = serve();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("keyed_breakers_patient_read");
    g.sample_size(20).measurement_time(Duration::from_secs(8));

    let alone = Arc::new(client(addr));
    rt.block_on(read_patients(&alone, 200));
    g.bench_function("alone", |b| {
        b.to_async(&rt).iter_custom(|n| {
            let alone = Arc::clone(&alone);
            async move { read_patients(&alone, n).await }
        });
    });

    let shared = Arc::new(client(addr));
    rt.block_on(read_patients(&shared, 200));
    let stop = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));
    let neighbour = rt.spawn(failing_neighbour(
        Arc::clone(&shared),
        stop.clone(),
        refused.clone(),
    ));
    // Until Observation's breaker has opened.
    while refused.load(Ordering::Relaxed) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    g.bench_function("observation_failing", |b| {
        b.to_async(&rt).iter_custom(|n| {
            let shared = Arc::clone(&shared);
            async move { read_patients(&shared, n).await }
        });
    });
    stop.store(true, Ordering::Relaxed);
    rt.block_on(neighbour).unwrap();
    g.finish();
    eprintln!(
        "Observation reads refused by their open breaker: {}; Patient reads refused: 0 (any would have panicked)",
        refused.load(Ordering::Relaxed)
    );
}

criterion_group!(benches, keyed);
criterion_main!(benches);
