//! Dead-letter replay against real servers on 127.0.0.1: a recovered server empties the
//! queue, a dead one stops at the breaker's threshold, `max_replays` quarantines, pushes
//! during a replay stay, and a crash between quarantine and journal keeps a letter once
//! (kill -9 itself: `replay_crash.rs`).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steadfast_retry::{
    CircuitBreaker, DeadLetterQueue, IoErrors, ManualClock, ReplayOptions, RetryPolicy,
};

/// An HTTP server that answers 503 until `healthy`, then 200, logging each request's
/// `Idempotency-Key` while healthy.
struct Server {
    addr: SocketAddr,
    healthy: Arc<AtomicBool>,
    served: Arc<Mutex<Vec<String>>>,
}

fn server() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let healthy = Arc::new(AtomicBool::new(false));
    let served = Arc::new(Mutex::new(Vec::new()));
    let (h, s) = (healthy.clone(), served.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let req = String::from_utf8_lossy(&buf).into_owned();
            let key = req
                .lines()
                .find_map(|l| l.strip_prefix("Idempotency-Key: "))
                .unwrap_or("")
                .to_owned();
            let status = if h.load(Ordering::SeqCst) {
                s.lock().unwrap().push(key);
                "200 OK"
            } else {
                "503 Service Unavailable"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    Server {
        addr,
        healthy,
        served,
    }
}

/// A failed request: the connection's error or the status the server answered.
#[derive(Debug)]
enum HttpError {
    Io(std::io::Error),
    Status(u16),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Status(s) => write!(f, "HTTP {s} for Patient Ada Jones"),
        }
    }
}

/// POSTs one item with its idempotency key.
fn post(addr: SocketAddr, key: &str) -> Result<(), HttpError> {
    let mut stream = TcpStream::connect(addr).map_err(HttpError::Io)?;
    write!(
        stream,
        "POST /Patient HTTP/1.1\r\nHost: ehr\r\nIdempotency-Key: {key}\r\nContent-Length: 0\r\n\r\n"
    )
    .map_err(HttpError::Io)?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(HttpError::Io)?;
    let status: u16 = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status == 200 {
        Ok(())
    } else {
        Err(HttpError::Status(status))
    }
}

fn policy(retries: u32) -> RetryPolicy {
    RetryPolicy::constant(Duration::from_secs(1))
        .max_retries(retries)
        .manual_clock(&ManualClock::new())
}

/// Dead-letters items `0..n` (keys `item-<i>`) by driving them against `addr`.
fn fill(dlq: &DeadLetterQueue, addr: SocketAddr, n: u32) {
    for i in 0..n {
        let key = format!("item-{i}");
        let err = policy(1).retry(|_| post(addr, &key)).unwrap_err();
        dlq.push_failed(&serde_json::json!({ "key": key }), &err)
            .unwrap();
    }
}

fn key(item: &serde_json::Value) -> String {
    item["key"].as_str().unwrap().to_owned()
}

#[test]
fn replay_against_a_recovered_server_empties_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server();
    let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    fill(&dlq, srv.addr, 10);
    let letters = dlq.read().unwrap();
    assert_eq!(letters.len(), 10);
    assert!(letters.iter().all(|l| l.error.status == Some(503)));

    srv.healthy.store(true, Ordering::SeqCst);
    let breaker = CircuitBreaker::builder().consecutive_failures(3).build();
    let options = ReplayOptions::new(&policy(2)).breaker(&breaker);
    let report = dlq
        .replay_with(&options, |item| post(srv.addr, &key(item)))
        .unwrap();
    assert_eq!((report.succeeded, report.failed_again), (10, 0));
    assert!(dlq.read().unwrap().is_empty());
    assert!(!dlq.journal_path().exists());
    let served = srv.served.lock().unwrap().clone();
    let want: Vec<String> = (0..10).map(|i| format!("item-{i}")).collect();
    assert_eq!(served, want, "each item exactly once, in queue order");
}

#[test]
fn replay_against_a_dead_server_stops_at_the_breaker_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server();
    let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    fill(&dlq, srv.addr, 10);
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let breaker = CircuitBreaker::builder().consecutive_failures(3).build();
    let options = ReplayOptions::new(&policy(5)).breaker(&breaker);
    let calls = AtomicU32::new(0);
    let report = dlq
        .replay_if(&options, IoErrors, |item| {
            calls.fetch_add(1, Ordering::SeqCst);
            TcpStream::connect(dead).map(drop).inspect_err(|_| {
                assert_eq!(key(item), "item-0", "only the first item is tried");
            })
        })
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3, "exactly the threshold");
    assert_eq!((report.failed_again, report.not_attempted), (1, 9));
    let left = dlq.read().unwrap();
    assert_eq!(left.len(), 10);
    assert_eq!((left[0].attempts, left[0].replays), (2 + 3, 1));
    assert_eq!(left[0].error.kind, "io_connection_refused");
    assert!(left[1..].iter().all(|l| l.replays == 0 && l.attempts == 2));
}

#[test]
fn max_replays_moves_a_letter_to_quarantine_once() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap();
    for i in 0..4 {
        let err = policy(0).retry(|_| Err::<(), _>("503")).unwrap_err();
        dlq.push_failed(&i, &err).unwrap();
    }
    let options = ReplayOptions::new(&policy(0)).max_replays(2);
    // Item 0 recovers; the others keep failing.
    let drive = |item: &serde_json::Value| if item == 0 { Ok(()) } else { Err("HTTP 502") };
    let first = dlq.replay_with(&options, drive).unwrap();
    assert_eq!(
        (first.succeeded, first.failed_again, first.quarantined),
        (1, 3, 0)
    );
    let second = dlq.replay_with(&options, drive).unwrap();
    assert_eq!((second.failed_again, second.quarantined), (0, 3));
    assert!(dlq.read().unwrap().is_empty());
    let q = dlq.read_quarantine().unwrap();
    assert_eq!(q.len(), 3);
    assert!(
        q.iter()
            .all(|l| l.replays == 2 && l.error.status == Some(502))
    );
    assert_eq!(
        dlq.quarantine_path().file_name().unwrap(),
        steadfast_core::files::DEAD_LETTER_QUARANTINE
    );
    let third = dlq.replay_with(&options, drive).unwrap();
    assert_eq!(third, steadfast_retry::ReplayReport::default());
    assert_eq!(dlq.read_quarantine().unwrap().len(), 3);
}

#[test]
fn letters_pushed_during_a_replay_stay_queued() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deadletter.ndjson");
    let dlq = DeadLetterQueue::open(&path).unwrap();
    // A second handle on the same file, as the running pipeline in another process.
    let other = DeadLetterQueue::open(&path).unwrap();
    let err = policy(0).retry(|_| Err::<(), _>("x")).unwrap_err();
    for i in 0..5 {
        dlq.push_failed(&format!("old-{i}"), &err).unwrap();
    }
    let report = dlq
        .replay(|item| {
            let name = item.as_str().unwrap();
            dlq.push_failed(&format!("{name}-here"), &err).unwrap();
            other.push_failed(&format!("{name}-there"), &err).unwrap();
            Ok::<(), String>(())
        })
        .unwrap();
    assert_eq!(report.succeeded, 5);
    let left: BTreeSet<String> = dlq
        .read()
        .unwrap()
        .into_iter()
        .map(|l| l.item.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left.len(), 10, "{left:?}");
    assert!(
        left.iter()
            .all(|k| !k.ends_with(|c: char| c.is_ascii_digit()))
    );
    // Both handles keep appending to the rewritten file.
    other.push_failed(&"after", &err).unwrap();
    dlq.push_failed(&"after-2", &err).unwrap();
    assert_eq!(dlq.read().unwrap().len(), 12);
}

#[test]
fn a_letter_in_quarantine_and_queue_after_a_crash_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deadletter.ndjson");
    let dlq = DeadLetterQueue::open(&path).unwrap();
    let err = policy(0).retry(|_| Err::<(), _>("x")).unwrap_err();
    for i in 0..3 {
        dlq.push_failed(&i, &err).unwrap();
    }
    // A crash after the quarantine's fsync and before the journal's.
    let letters = dlq.read().unwrap();
    let mut line = serde_json::to_string(&letters[1]).unwrap();
    line.push('\n');
    steadfast_core::atomic_write(dlq.quarantine_path(), line).unwrap();
    steadfast_core::atomic_write(dlq.journal_path(), "").unwrap();
    drop(dlq);

    let dlq = DeadLetterQueue::open(&path).unwrap();
    assert!(!dlq.journal_path().exists());
    let ids: Vec<String> = dlq.read().unwrap().into_iter().map(|l| l.id).collect();
    assert_eq!(ids, [letters[0].id.clone(), letters[2].id.clone()]);
    assert_eq!(dlq.read_quarantine().unwrap().len(), 1);
}
