//! The demo's mock FHIR server on 127.0.0.1: a Bulk Data `$export` (`bulk_server.rs`) and
//! `/metadata` and paged `searchset` Bundles of Patient, Encounter, Condition and
//! Observation (`_count` up to 100 a page), generated from a seed. The searches get faults
//! on a fixed schedule — 503 with `Retry-After`, 429, slow answers and dropped
//! connections — so the pipeline's retries, breaker, budget and rate limiter have
//! something to do. Their answers carry the cache headers a FHIR server sends —
//! `Cache-Control: max-age`, an `ETag` — and an `If-None-Match` naming the current `ETag`
//! gets `304 Not Modified`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde_json::{Value, json};

use super::bulk_files::count;
use super::bulk_server::{BulkSide, Headers};

/// Resources per page, at most (and unless `_count` asks for fewer).
pub(crate) const PAGE: usize = 100;

/// How long a client may reuse an answer without asking again.
const MAX_AGE: &str = "max-age=300";

/// Faults the server injected, by kind.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pub(crate) unavailable: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) slow: AtomicU64,
    pub(crate) reset: AtomicU64,
}

/// A running mock server; stops when dropped.
pub(crate) struct MockFhir {
    pub(crate) addr: SocketAddr,
    pub(crate) faults: Arc<Faults>,
    /// The Bulk Data side: its jobs and what its downloads went through.
    pub(crate) bulk: Arc<BulkSide>,
    stop: Arc<AtomicBool>,
}

impl Drop for MockFhir {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Starts the server for `patients` patients (2 encounters and 3 observations each).
pub(crate) fn start(patients: usize) -> std::io::Result<MockFhir> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let faults = Arc::new(Faults::default());
    let bulk = Arc::new(BulkSide::new(addr, patients, SEED));
    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicU64::new(0));
    let (f, b, s) = (Arc::clone(&faults), Arc::clone(&bulk), Arc::clone(&stop));
    std::thread::Builder::new()
        .name("mock-fhir".into())
        .spawn(move || {
            for stream in listener.incoming() {
                if s.load(Relaxed) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (f, b, n) = (Arc::clone(&f), Arc::clone(&b), Arc::clone(&searches));
                std::thread::spawn(move || {
                    let _ = serve(stream, &n, patients, &f, &b);
                });
            }
        })?;
    Ok(MockFhir {
        addr,
        faults,
        bulk,
        stop,
    })
}

#[allow(
    clippy::disallowed_methods,
    reason = "the mock server simulates a slow EHR; no injected sleeper to stand in for it"
)]
fn pause(d: Duration) {
    std::thread::sleep(d);
}

fn serve(
    stream: TcpStream,
    searches: &AtomicU64,
    patients: usize,
    faults: &Faults,
    bulk: &BulkSide,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let (mut if_none_match, mut headers) = (None, Headers::default());
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = Some(value.trim().to_owned());
            match name.trim().to_ascii_lowercase().as_str() {
                "if-none-match" => if_none_match = value,
                "prefer" => headers.prefer = value,
                "range" => headers.range = value,
                "if-range" => headers.if_range = value,
                _ => {}
            }
        }
    }
    let mut words = request_line.split_whitespace();
    let method = words.next().unwrap_or("GET").to_owned();
    let target = words.next().unwrap_or("/").to_owned();
    let mut out = stream;
    if bulk.handle(&method, &target, &headers, &mut out)? {
        return Ok(());
    }
    // The searches' schedule: a search's number picks its fault. Retries arrive with new
    // numbers, so every fault is eventually overcome. (The bulk side has its own.)
    let n = searches.fetch_add(1, Relaxed);
    let (status, extra, body): (u16, String, Option<String>) = match n % 23 {
        5 | 16 => {
            faults.unavailable.fetch_add(1, Relaxed);
            (503, "Retry-After: 0\r\n".to_owned(), None)
        }
        11 => {
            faults.throttled.fetch_add(1, Relaxed);
            (429, "Retry-After: 0\r\n".to_owned(), None)
        }
        19 => {
            faults.reset.fetch_add(1, Relaxed);
            // Drop the connection without an answer.
            return Ok(());
        }
        _ => {
            if n % 23 == 3 {
                faults.slow.fetch_add(1, Relaxed);
                pause(Duration::from_millis(150));
            }
            match route(&target, patients) {
                Some(v) => {
                    let v = v.to_string();
                    let tag = etag(&v);
                    let extra = format!("Cache-Control: {MAX_AGE}\r\nETag: {tag}\r\n");
                    if if_none_match.is_some_and(|m| m == tag) {
                        (304, extra, None)
                    } else {
                        (200, extra, Some(v))
                    }
                }
                None => (
                    404,
                    String::new(),
                    Some(outcome("not-found", &format!("no route for {target}")).to_string()),
                ),
            }
        }
    };
    let body = body.unwrap_or_default();
    let reason = match status {
        200 => "OK",
        304 => "Not Modified",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Service Unavailable",
    };
    // A 304 has no body, and no Content-Length other than its 200's (RFC 9110 §8.6).
    let length = if status == 304 {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/fhir+json\r\n{length}{extra}Connection: close\r\n\r\n{body}",
    )?;
    out.flush()
}

/// A strong validator of a body: its sha256, shortened.
fn etag(body: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(body.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn outcome(code: &str, text: &str) -> Value {
    json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]})
}

/// `/metadata`, or `/<Type>?_page=N` (`&_count=C`, at most [`PAGE`]).
fn route(target: &str, patients: usize) -> Option<Value> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/metadata" {
        return Some(
            json!({"resourceType": "CapabilityStatement", "status": "active", "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"]}),
        );
    }
    let param = |name: &str| -> Option<usize> {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|p| p.parse().ok())
    };
    let page = param("_page").unwrap_or(0);
    let size = param("_count").unwrap_or(PAGE).clamp(1, PAGE);
    let kind = match path {
        "/Patient" => "Patient",
        "/Encounter" => "Encounter",
        "/Condition" => "Condition",
        "/Observation" => "Observation",
        _ => return None,
    };
    let total = usize::try_from(count(kind, patients)).unwrap_or(usize::MAX);
    let start = page.saturating_mul(size);
    let end = start.saturating_add(size).min(total);
    let entries: Vec<Value> = (start..end)
        .map(|i| json!({"resource": resource(kind, i)}))
        .collect();
    let mut links = vec![json!({"relation": "self", "url": target})];
    if end < total {
        let count = if size == PAGE {
            String::new()
        } else {
            format!("&_count={size}")
        };
        links.push(json!({"relation": "next", "url": format!("{path}?_page={}{count}", page + 1)}));
    }
    Some(
        json!({"resourceType": "Bundle", "type": "searchset", "total": total, "link": links, "entry": entries}),
    )
}

/// The seed of the mock EHR's data: the same resources on every demo run.
const SEED: u64 = 2026;

/// What the mock EHR holds, in a URL path segment: the same on every run with as many
/// patients (a cache's keys name it instead of the server's port).
pub(crate) fn dataset(patients: usize) -> String {
    format!("seed-{SEED}-patients-{patients}")
}

/// A deterministic synthetic resource (no real person's data): the workspace's one FHIR
/// generator, `steadfast_validation::data::synthetic`.
fn resource(kind: &str, i: usize) -> Value {
    steadfast::validation::data::synthetic::resource(SEED, kind, i as u64)
        .and_then(|line| serde_json::from_str(&line).ok())
        .unwrap_or(Value::Null)
}
