//! A flaky FHIR server on 127.0.0.1 for pipeline tests: `GET /fhir/<Type>?_count=N&_page=P`
//! answers searchset Bundles of synthetic resources with `next` links, and a fault plan
//! decides, by request number, which requests fail and how — 503 with `Retry-After`, 429, a
//! dropped connection, or any status. Pages listed as poisoned always answer 400. The
//! server counts what it served, so a test can check what a pipeline says it saw.
//!
//! ```
//! use std::io::{Read as _, Write as _};
//! use steadfast_testkit::fhir::{Fault, FlakyFhir};
//!
//! let server = FlakyFhir::start(5, vec![Fault::Status(503)], &[]);
//! let get = |path: &str| {
//!     let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
//!     write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
//!     let mut raw = String::new();
//!     s.read_to_string(&mut raw).unwrap();
//!     raw
//! };
//! assert!(get("/fhir/Patient?_count=2").starts_with("HTTP/1.1 503"));
//! assert!(get("/fhir/Patient?_count=2").contains("\"next\""));
//! assert_eq!(server.count(503), 1);
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};

use crate::acceptor::Acceptor;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError};

/// What the server does with one request, by its number (the plan's index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally.
    None,
    /// `503 Service Unavailable` with `Retry-After: <secs>`.
    Unavailable(u64),
    /// `429 Too Many Requests` with `Retry-After: 0`.
    Throttled,
    /// Close the connection without answering.
    Reset,
    /// Answer this status with an OperationOutcome.
    Status(u16),
}

#[derive(Default)]
struct Counts {
    by_status: BTreeMap<u16, u64>,
    resets: u64,
    resources: u64,
}

struct Shared {
    total: usize,
    plan: Vec<Fault>,
    poisoned: Vec<usize>,
    next: AtomicU64,
    counts: Mutex<Counts>,
}

/// The running server; stopped when dropped.
pub struct FlakyFhir {
    acceptor: Acceptor,
    shared: Arc<Shared>,
}

impl FlakyFhir {
    /// Serves `total` resources of every type; request `i` meets `plan[i]` (none past its
    /// end); the 0-based pages in `poisoned` always answer 400.
    ///
    /// # Panics
    /// When no port on 127.0.0.1 can be bound.
    pub fn start(total: usize, plan: Vec<Fault>, poisoned: &[usize]) -> Self {
        let shared = Arc::new(Shared {
            total,
            plan,
            poisoned: poisoned.to_vec(),
            next: AtomicU64::new(0),
            counts: Mutex::new(Counts::default()),
        });
        Self {
            acceptor: Acceptor::start(Arc::clone(&shared), answer),
            shared,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.acceptor.addr()
    }

    /// Its base URL, `http://127.0.0.1:<port>/fhir`.
    pub fn base(&self) -> String {
        format!("http://{}/fhir", self.acceptor.addr())
    }

    /// Answers sent with `status`.
    pub fn count(&self, status: u16) -> u64 {
        self.lock().by_status.get(&status).copied().unwrap_or(0)
    }

    /// Every answer by status.
    pub fn counts(&self) -> BTreeMap<u16, u64> {
        self.lock().by_status.clone()
    }

    /// Connections dropped without an answer.
    pub fn resets(&self) -> u64 {
        self.lock().resets
    }

    /// Resources served in 200 answers.
    pub fn resources(&self) -> u64 {
        self.lock().resources
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.shared
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn query(target: &str, key: &str) -> Option<usize> {
    let (_, q) = target.split_once('?')?;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

fn answer(stream: TcpStream, s: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // The rest of the head: read up to the blank line.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let target = line.split(' ').nth(1).unwrap_or("/").to_owned();
    let n = usize::try_from(s.next.fetch_add(1, SeqCst)).unwrap_or(usize::MAX);
    let fault = s.plan.get(n).copied().unwrap_or(Fault::None);
    let count = query(&target, "_count").unwrap_or(10).max(1);
    let page = query(&target, "_page").unwrap_or(0);
    let kind = target
        .strip_prefix("/fhir/")
        .and_then(|t| t.split(['?', '/']).next())
        .unwrap_or("Patient")
        .to_owned();
    let (status, extra, body) = match fault {
        Fault::Reset => {
            s.counts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .resets += 1;
            return Ok(());
        }
        Fault::Unavailable(secs) => (
            503,
            format!("Retry-After: {secs}\r\n"),
            outcome("transient"),
        ),
        Fault::Throttled => (429, "Retry-After: 0\r\n".to_owned(), outcome("throttled")),
        Fault::Status(code) => (code, String::new(), outcome("exception")),
        Fault::None if s.poisoned.contains(&page) => (400, String::new(), outcome("invalid")),
        Fault::None => {
            let first = page * count;
            let last = (first + count).min(s.total);
            let entries: Vec<String> = (first..last)
                .map(|i| format!(r#"{{"resource":{{"resourceType":"{kind}","id":"{kind}-{i}"}}}}"#))
                .collect();
            let next = if last < s.total {
                format!(
                    r#",{{"relation":"next","url":"http://{}/fhir/{kind}?_count={count}&_page={}"}}"#,
                    stream.local_addr()?,
                    page + 1
                )
            } else {
                String::new()
            };
            s.counts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .resources += (last - first) as u64;
            let body = format!(
                r#"{{"resourceType":"Bundle","type":"searchset","total":{},"link":[{{"relation":"self","url":"{target}"}}{next}],"entry":[{}]}}"#,
                s.total,
                entries.join(",")
            );
            (200, String::new(), body)
        }
    };
    *s.counts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .by_status
        .entry(status)
        .or_default() += 1;
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status} X\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

fn outcome(code: &str) -> String {
    format!(
        r#"{{"resourceType":"OperationOutcome","issue":[{{"severity":"error","code":"{code}"}}]}}"#
    )
}
