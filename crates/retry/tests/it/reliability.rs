//! Reliability against a real flaky HTTP server on 127.0.0.1: 200 concurrent clients, 30%
//! of requests failing (503 + Retry-After, or a reset connection). Every item must end
//! succeeded or dead-lettered, the server must never see more than 1.2× the base request
//! count, and every Retry-After must be honoured.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use steadfast_retry::{
    DeadLetterQueue, Decision, Jitter, RetryBudget, RetryPolicy, classify_http, classify_io,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CLIENTS: usize = 200;
const ITEMS_PER_CLIENT: usize = 5;

/// What the server saw.
#[derive(Default)]
struct Seen {
    first_attempts: AtomicU64,
    total: AtomicU64,
    /// item → when the server last answered 503 with Retry-After: 1.
    asked_to_wait: Mutex<HashMap<u64, Instant>>,
    /// Gaps between a Retry-After answer and the item's next request.
    gaps: Mutex<Vec<Duration>>,
}

/// A fixed pseudo-random number for `z` (the first draw of the workspace's generator).
fn mix(z: u64) -> u64 {
    steadfast_core::SplitMix64::new(z).next_u64()
}

async fn serve(listener: TcpListener, seen: Arc<Seen>) {
    let counter = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let (seen, counter) = (seen.clone(), counter.clone());
        tokio::spawn(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let req = String::from_utf8_lossy(&buf);
            let item: u64 = req
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.strip_prefix("/item/"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX);
            let attempt: u32 = req
                .lines()
                .find_map(|l| l.strip_prefix("X-Attempt: "))
                .and_then(|a| a.trim().parse().ok())
                .unwrap_or(0);
            let now = Instant::now();
            seen.total.fetch_add(1, Ordering::SeqCst);
            if attempt == 1 {
                seen.first_attempts.fetch_add(1, Ordering::SeqCst);
            }
            if let Some(asked) = seen.asked_to_wait.lock().unwrap().remove(&item) {
                seen.gaps.lock().unwrap().push(now - asked);
            }
            let roll = mix(counter.fetch_add(1, Ordering::SeqCst)) % 100;
            if roll < 5 {
                // Reset the connection: linger 0 turns the close into an RST.
                #[allow(
                    deprecated,
                    reason = "a zero linger does not block; it resets the connection"
                )]
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
            let response = if roll < 30 {
                seen.asked_to_wait
                    .lock()
                    .unwrap()
                    .insert(item, Instant::now());
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            } else {
                let body = format!("{{\"resourceType\":\"Bundle\",\"id\":\"{item}\"}}");
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.write_all(response.as_bytes()).await;
        });
    }
}

#[derive(Debug)]
enum ClientError {
    Status(u16, Option<String>),
    Io(std::io::Error),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(s, _) => write!(f, "HTTP {s}"),
            Self::Io(e) => write!(f, "I/O: {e}"),
        }
    }
}

fn classify(e: &ClientError) -> Decision {
    match e {
        ClientError::Status(s, retry_after) => classify_http(*s, retry_after.as_deref()),
        ClientError::Io(e) => classify_io(e),
    }
}

async fn get(addr: SocketAddr, item: u64, attempt: u32) -> Result<String, ClientError> {
    let mut stream = TcpStream::connect(addr).await.map_err(ClientError::Io)?;
    let req = format!(
        "GET /item/{item} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Attempt: {attempt}\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(ClientError::Io)?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .map_err(ClientError::Io)?;
    if raw.is_empty() {
        return Err(ClientError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let retry_after = text
        .lines()
        .find_map(|l| l.strip_prefix("Retry-After: "))
        .map(str::to_owned);
    match status {
        200 => Ok(text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned()),
        s => Err(ClientError::Status(s, retry_after)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flaky_server_loses_nothing_and_is_not_hammered() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let server = tokio::spawn(serve(listener, seen.clone()));

    let dir = tempfile::tempdir().unwrap();
    let dlq = Arc::new(DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap());
    let policy = RetryPolicy::exponential()
        .initial_interval(Duration::from_millis(20))
        .max_interval(Duration::from_secs(2))
        .jitter(Jitter::Full)
        .max_retries(4)
        .seed(2024)
        .budget(RetryBudget::new(0.2, 0.0));

    let succeeded = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (policy, dlq, succeeded) = (policy.clone(), dlq.clone(), succeeded.clone());
        clients.push(tokio::spawn(async move {
            for i in 0..ITEMS_PER_CLIENT {
                let item = (c * ITEMS_PER_CLIENT + i) as u64;
                match policy
                    .retry_async_if(classify, |attempt| get(addr, item, attempt))
                    .await
                {
                    Ok(body) => {
                        assert!(body.contains(&format!("\"id\":\"{item}\"")));
                        succeeded.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => dlq.push_failed(&item, &e).unwrap(),
                }
            }
        }));
    }
    let bounded = tokio::time::timeout(Duration::from_secs(60), async {
        for c in clients {
            c.await.unwrap();
        }
    });
    bounded.await.expect("the run is bounded in time");
    server.abort();

    let items = (CLIENTS * ITEMS_PER_CLIENT) as u64;
    let dead: Vec<u64> = dlq
        .read()
        .unwrap()
        .iter()
        .map(|l| l.item.as_u64().unwrap())
        .collect();
    let ok = succeeded.load(Ordering::SeqCst);
    assert_eq!(
        ok + dead.len() as u64,
        items,
        "every item succeeded or was dead-lettered"
    );
    let mut unique = dead.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), dead.len(), "no item dead-lettered twice");
    assert!(
        !dead.is_empty(),
        "with a 20% budget against 30% failures, some items dead-letter"
    );

    let base = seen.first_attempts.load(Ordering::SeqCst);
    let total = seen.total.load(Ordering::SeqCst);
    assert_eq!(base, items);
    let ratio = total as f64 / base as f64;
    assert!(
        ratio <= 1.2,
        "server saw {total} requests for {base} calls: {ratio:.3}× > 1.2×"
    );

    let gaps = seen.gaps.lock().unwrap();
    assert!(!gaps.is_empty());
    let shortest = gaps.iter().min().unwrap();
    // Retry-After: 1 → the next request for that item comes at least ~1 s later.
    assert!(
        *shortest >= Duration::from_millis(990),
        "Retry-After not honoured: {shortest:?}"
    );
    eprintln!(
        "reliability: {items} items, {ok} ok, {} dead-lettered, {total} requests ({ratio:.3}× base), {} Retry-After waits, shortest {shortest:?}",
        dead.len(),
        gaps.len()
    );
}
