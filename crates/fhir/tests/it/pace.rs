//! A client paced by an `AdaptiveRateLimiter` follows the server: its rate-limit headers
//! cap the pace and a spent window holds the next call until the reset; a 429 halves it.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steadfast_fhir::FhirClient;
use steadfast_http::HttpSettings;
use steadfast_retry::{AdaptiveRateLimiter, ManualClock, RetryPolicy};

use crate::server::{Acceptor, request_target};

/// Answers each request with the next (status, extra headers) of `script`, then 200.
fn scripted(script: Vec<(u16, &'static str)>) -> Acceptor {
    let script = Arc::new(Mutex::new(script.into_iter()));
    Acceptor::start(move |_, mut conn| {
        if request_target(&conn).is_none() {
            return;
        }
        let (status, headers) = script.lock().unwrap().next().unwrap_or((200, ""));
        let body = r#"{"resourceType":"Patient","id":"1"}"#;
        let _ = write!(
            conn,
            "HTTP/1.1 {status} X\r\nContent-Type: application/fhir+json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    })
}

fn client(server: &Acceptor, limiter: &AdaptiveRateLimiter, clock: &ManualClock) -> FhirClient {
    FhirClient::new(
        &format!("http://{}/fhir", server.addr),
        &HttpSettings::default(),
        RetryPolicy::exponential()
            .max_retries(2)
            .manual_clock(clock),
    )
    .unwrap()
    .rate_limiter(limiter.clone())
}

#[test]
fn the_servers_rate_limit_headers_steer_the_pace() {
    let server = scripted(vec![
        (
            200,
            "RateLimit-Limit: 100\r\nRateLimit-Remaining: 20\r\nRateLimit-Reset: 10\r\n",
        ),
        (200, "X-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: 30\r\n"),
    ]);
    let clock = ManualClock::new();
    let limiter = AdaptiveRateLimiter::new(50.0, 0.1, 100.0).clock(clock.clone());
    let c = client(&server, &limiter, &clock);
    c.read("Patient", "1").unwrap();
    // 20 calls left over 10 s: at most 2 per second.
    assert_eq!(limiter.rate(), 2.0);
    c.read("Patient", "1").unwrap();
    // The window is spent: nothing before its reset, 30 s from now.
    let wait = limiter.reserve();
    assert!(
        wait >= Duration::from_secs(29) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
}

#[test]
fn a_429_halves_the_pace() {
    let server = scripted(vec![(429, "Retry-After: 1\r\n")]);
    let clock = ManualClock::new();
    let limiter = AdaptiveRateLimiter::new(8.0, 0.5, 8.0).clock(clock.clone());
    let c = client(&server, &limiter, &clock);
    // The 429 is retried (after Retry-After, on the policy's manual clock), then succeeds.
    c.read("Patient", "1").unwrap();
    // Halved by the 429 to 4/s, raised by the success (1% of the maximum, at least 0.1/s).
    assert!((limiter.rate() - 4.1).abs() < 1e-9, "{}", limiter.rate());
}
