//! A breaker in wait-for-half-open mode against a short outage, on an injected clock: a 2 s
//! outage during a 30 s deadline dead-letters nothing (fail-fast, for contrast, does) — once
//! with the outage simulated, once against a real HTTP server on 127.0.0.1 that answers 503
//! while the clock is inside the outage.

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use steadfast_retry::{
    CircuitBreaker, CircuitState, Classify, Clock, DeadLetterQueue, ErrorFacts, Facts, ManualClock,
    RetryListener, RetryPolicy, WhenOpen, classify_http, parse_retry_after, read_dead_letters,
};

const ITEMS: u64 = 200;
/// Each request takes this long on the injected clock.
const REQUEST: Duration = Duration::from_millis(10);

/// Breaker transitions, as a run would record them.
#[derive(Default)]
struct Transitions(Mutex<Vec<CircuitState>>);

impl RetryListener for Transitions {
    fn breaker_changed(&self, _: CircuitState, to: CircuitState) {
        self.0.lock().unwrap().push(to);
    }
}

impl Transitions {
    fn openings(&self) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| **s == CircuitState::Open)
            .count()
    }
}

/// The numbers: a breaker open for 2 s after `trip` failures in a row, a 30 s
/// deadline.
fn protected(
    clock: &ManualClock,
    mode: WhenOpen,
    trip: u32,
    seen: &Arc<Transitions>,
) -> RetryPolicy {
    let breaker = CircuitBreaker::builder()
        .consecutive_failures(trip)
        .open_duration(Duration::from_secs(2))
        .when_open(mode)
        .clock(clock.clone())
        .listener(seen.clone())
        .build();
    RetryPolicy::exponential()
        .initial_interval(Duration::from_millis(100))
        .max_interval(Duration::from_secs(2))
        .max_elapsed(Some(Duration::from_secs(30)))
        .seed(27)
        .manual_clock(clock)
        .circuit_breaker(breaker)
}

/// Items one after another (a batch job); returns the dead letters.
fn batch(mode: WhenOpen) -> (u64, usize, Duration) {
    let clock = ManualClock::new();
    let t0 = clock.now();
    // Down from 0.5 s to 2.5 s of the run.
    let down = |now: Instant| {
        let t = now - t0;
        t >= Duration::from_millis(500) && t < Duration::from_millis(2500)
    };
    let seen = Arc::new(Transitions::default());
    let policy = protected(&clock, mode, 5, &seen);
    let mut dead = 0;
    for _ in 0..ITEMS {
        let got = policy.retry(|_| {
            clock.advance(REQUEST);
            if down(clock.now()) {
                Err("503 Service Unavailable")
            } else {
                Ok(())
            }
        });
        dead += u64::from(got.is_err());
    }
    (dead, seen.openings(), clock.now() - t0)
}

#[test]
fn waiting_for_half_open_rides_out_a_two_second_outage() {
    let (dead, openings, took) = batch(WhenOpen::Wait);
    assert_eq!(
        dead, 0,
        "a 2 s outage in a 30 s deadline dead-letters nothing"
    );
    assert!(openings >= 1, "the breaker did open");
    // It waited for the outage rather than hammering: well under the deadline.
    assert!(took < Duration::from_secs(10), "{took:?}");

    let (dead, openings, _) = batch(WhenOpen::FailFast);
    assert!(openings >= 1);
    assert!(
        dead > ITEMS / 2,
        "fail-fast refuses every item while open: {dead} dead letters"
    );
}

#[test]
fn waiting_never_sleeps_past_the_deadline() {
    let clock = ManualClock::new();
    let seen = Arc::new(Transitions::default());
    let policy =
        protected(&clock, WhenOpen::Wait, 5, &seen).max_elapsed(Some(Duration::from_secs(3)));
    // Down for good: the call waits for trials while its deadline allows, then gives up.
    let err = policy.retry(|_| Err::<(), _>("503")).unwrap_err();
    assert!(
        clock.slept() <= Duration::from_secs(3),
        "{:?}",
        clock.slept()
    );
    assert!(err.attempts() >= 5, "{err}");
    // A policy without a deadline fails fast even in wait mode.
    let unbounded = policy.clone().max_elapsed(None);
    let before = clock.slept();
    let err = unbounded.retry(|_| Err::<(), _>("503")).unwrap_err();
    assert_eq!(err.reason(), steadfast_retry::GiveUpReason::CircuitOpen);
    assert_eq!(clock.slept(), before);
}

/// An HTTP error as a client would return it.
#[derive(Debug)]
struct HttpError {
    status: u16,
    retry_after: Option<String>,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)
    }
}

impl Facts for HttpError {
    fn facts(&self) -> ErrorFacts {
        let facts = ErrorFacts::http(self.status);
        match self
            .retry_after
            .as_deref()
            .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()))
        {
            Some(wait) => facts.retry_after(wait),
            None => facts,
        }
    }
}

/// A server that answers 503 with `Retry-After: 1` while `down(clock)`, else 200.
fn server(clock: ManualClock, down: impl Fn(Instant) -> bool + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 512];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let answer = if down(clock.now()) {
                "503 Service Unavailable\r\nRetry-After: 1"
            } else {
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {answer}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    addr
}

fn get(addr: SocketAddr, path: &str) -> Result<(), HttpError> {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status: u16 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let retry_after = text
        .lines()
        .find_map(|l| l.strip_prefix("Retry-After: "))
        .map(str::to_owned);
    match status {
        200 => Ok(()),
        status => Err(HttpError {
            status,
            retry_after,
        }),
    }
}

#[test]
fn a_real_server_down_for_a_moment_dead_letters_nothing() {
    let clock = ManualClock::new();
    let t0 = clock.now();
    let addr = server(clock.clone(), move |now| {
        let t = now - t0;
        t >= Duration::from_millis(200) && t < Duration::from_millis(2200)
    });
    let seen = Arc::new(Transitions::default());
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let log = hooked.clone();
    // Retry-After: 1 spaces the failures out: two in a row trip the breaker.
    let policy = protected(&clock, WhenOpen::Wait, 2, &seen)
        .on_retry(move |e| log.lock().unwrap().push((e.status, e.retry_after)));
    let dir = tempfile::tempdir().unwrap();
    let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    let classify = |e: &HttpError| classify_http(e.status, e.retry_after.as_deref());
    for item in 0..60 {
        let got = policy.retry_if(classify.with_facts(), |_| {
            clock.advance(REQUEST);
            get(addr, &format!("/item/{item}"))
        });
        if let Err(e) = got {
            dlq.push_failed(&item, &e).unwrap();
        }
    }
    let letters = read_dead_letters(dir.path().join("deadletter.ndjson")).unwrap();
    assert_eq!(letters.records.len(), 0, "nothing dead-lettered");
    assert!(seen.openings() >= 1, "the breaker opened during the outage");
    let hooked = hooked.lock().unwrap();
    assert!(!hooked.is_empty());
    // The hook saw the status and the server's Retry-After of each failed attempt.
    assert!(
        hooked
            .iter()
            .all(|&(s, wait)| s == Some(503) && wait == Some(Duration::from_secs(1))),
        "{hooked:?}"
    );
}

#[cfg(feature = "tokio")]
#[tokio::test(start_paused = true)]
async fn async_calls_wait_for_half_open_too_and_a_timeout_is_an_io_failure() {
    let clock = ManualClock::new();
    let t0 = clock.now();
    let seen = Arc::new(Transitions::default());
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let k = kinds.clone();
    let policy = protected(&clock, WhenOpen::Wait, 5, &seen)
        .attempt_timeout(Duration::from_secs(5))
        .on_retry(move |e| k.lock().unwrap().push(e.kind.map(str::to_owned)));
    let mut dead = 0;
    for _ in 0..ITEMS {
        let got = policy
            .retry_async(|_| {
                clock.advance(REQUEST);
                let t = clock.now() - t0;
                let down = t >= Duration::from_millis(500) && t < Duration::from_millis(2500);
                async move { if down { Err("503") } else { Ok(()) } }
            })
            .await;
        dead += u64::from(got.is_err());
    }
    assert_eq!(dead, 0);
    assert!(seen.openings() >= 1);
    // An attempt that outlives its timeout reaches the hooks as kind `timeout`.
    let slow = RetryPolicy::constant(Duration::from_millis(1))
        .max_retries(1)
        .attempt_timeout(Duration::from_millis(1))
        .on_retry(move |e| assert_eq!(e.kind, Some("timeout")));
    let err = slow
        .retry_async(|_| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<(), &str>(())
        })
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 2);
    assert!(kinds.lock().unwrap().iter().all(Option::is_none));
}
