//! A FHIR-ish server on 127.0.0.1 for the tests: `Patient` search in pages of `_count`
//! (`page=N`, absolute next links), `Patient/{id}` reads, and scripted faults per page — a
//! status with `Retry-After`, a connection dropped without an answer, or a page that fails
//! for good with an `OperationOutcome` full of patient data. Plain HTTP/1.1 over
//! `std::net` (one connection at a time, `Connection: close`), so a fault can close the
//! socket mid-exchange, which a framework would not let a handler do.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A scripted answer to one request of a page.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// This status, with this `Retry-After`.
    Status(u16, Option<&'static str>),
    /// Close the connection without answering.
    Drop,
}

#[derive(Default)]
struct State {
    patients: usize,
    faults: Mutex<HashMap<usize, VecDeque<Fault>>>,
    failing: Mutex<HashSet<usize>>,
    hits: Mutex<HashMap<usize, u32>>,
    foreign_next: AtomicBool,
    cyclic_next: AtomicBool,
}

pub(crate) struct FhirServer {
    pub(crate) addr: SocketAddr,
    state: Arc<State>,
    _acceptor: Acceptor,
}

/// A thread on 127.0.0.1 answering one connection at a time with `answer` until dropped —
/// what every test server here runs on.
pub(crate) struct Acceptor {
    pub(crate) addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    pub(crate) fn start(answer: impl Fn(SocketAddr, TcpStream) + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(conn) = conn {
                        answer(addr, conn);
                    }
                }
            })
        };
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request's line and headers from `conn`: its target (path and query), or
/// `None` when the peer hung up first.
pub(crate) fn request_target(conn: &TcpStream) -> Option<String> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return None,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {}
        }
    }
    Some(line.split_whitespace().nth(1).unwrap_or("/").to_owned())
}

impl FhirServer {
    /// A server of `patients` patients (`p1` … `pN`).
    pub(crate) fn start(patients: usize) -> Self {
        let state = Arc::new(State {
            patients,
            ..State::default()
        });
        let acceptor = {
            let state = state.clone();
            Acceptor::start(move |addr, conn| serve(&state, addr, conn))
        };
        Self {
            addr: acceptor.addr,
            state,
            _acceptor: acceptor,
        }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://{}/fhir", self.addr)
    }

    /// Answers the next requests of `page` with `faults`, in order.
    pub(crate) fn fault(&self, page: usize, faults: &[Fault]) {
        self.state
            .faults
            .lock()
            .unwrap()
            .entry(page)
            .or_default()
            .extend(faults.iter().cloned());
    }

    /// `page` fails with a 500 on every request until `recover`.
    pub(crate) fn fail_for_good(&self, page: usize) {
        self.state.failing.lock().unwrap().insert(page);
    }

    pub(crate) fn recover(&self) {
        self.state.failing.lock().unwrap().clear();
    }

    /// Page 1's next link points to another origin.
    pub(crate) fn foreign_next(&self) {
        self.state.foreign_next.store(true, Ordering::SeqCst);
    }

    /// Page 2's next link points back to page 1.
    pub(crate) fn cyclic_next(&self) {
        self.state.cyclic_next.store(true, Ordering::SeqCst);
    }

    /// Requests of `page` so far (0 stands for reads).
    pub(crate) fn hits(&self, page: usize) -> u32 {
        self.state
            .hits
            .lock()
            .unwrap()
            .get(&page)
            .copied()
            .unwrap_or(0)
    }
}

fn serve(state: &State, addr: SocketAddr, mut conn: TcpStream) {
    let Some(target) = request_target(&conn) else {
        return;
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let (status, retry_after, body) = if let Some(id) = path.strip_prefix("/fhir/Patient/") {
        *state.hits.lock().unwrap().entry(0).or_default() += 1;
        match id.strip_prefix('p').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if (1..=state.patients).contains(&n) => (200, None, patient(n).to_string()),
            _ => (404, None, outcome("not-found")),
        }
    } else if path == "/fhir/Patient" {
        let count = param("_count").unwrap_or(10).max(1);
        let page = param("page").unwrap_or(1).max(1);
        *state.hits.lock().unwrap().entry(page).or_default() += 1;
        let fault = state
            .faults
            .lock()
            .unwrap()
            .get_mut(&page)
            .and_then(VecDeque::pop_front);
        match fault {
            Some(Fault::Drop) => return, // closes the connection, no answer
            Some(Fault::Status(s, ra)) => (s, ra, outcome("transient")),
            None if state.failing.lock().unwrap().contains(&page) => {
                (500, None, outcome("exception"))
            }
            None => {
                let host = if state.foreign_next.load(Ordering::SeqCst) {
                    format!("127.0.0.2:{}", addr.port())
                } else {
                    addr.to_string()
                };
                let mut page_body = bundle(state.patients, count, page, &host);
                if page == 2 && state.cyclic_next.load(Ordering::SeqCst) {
                    page_body["link"] = serde_json::json!([{"relation": "next",
                        "url": format!("http://{host}/fhir/Patient?_count={count}&page=1")}]);
                }
                (200, None, page_body.to_string())
            }
        }
    } else {
        (404, None, outcome("not-found"))
    };
    let reason = if status == 200 { "OK" } else { "Error" };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(ra) = retry_after {
        head.push_str(&format!("retry-after: {ra}\r\n"));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body.as_bytes());
    let _ = conn.flush();
}

fn patient(n: usize) -> serde_json::Value {
    serde_json::json!({
        "resourceType": "Patient",
        "id": format!("p{n}"),
        "name": [{"family": "Jones", "given": [format!("Ada{n}")]}],
    })
}

fn bundle(patients: usize, count: usize, page: usize, host: &str) -> serde_json::Value {
    let start = (page - 1) * count + 1;
    let end = (start + count - 1).min(patients);
    let entry: Vec<_> = (start..=end)
        .map(|n| serde_json::json!({"resource": patient(n)}))
        .collect();
    let mut link = vec![serde_json::json!({"relation": "self", "url": "x"})];
    if end < patients {
        link.push(serde_json::json!({
            "relation": "next",
            "url": format!("http://{host}/fhir/Patient?_count={count}&page={}", page + 1),
        }));
    }
    serde_json::json!({"resourceType": "Bundle", "type": "searchset", "link": link, "entry": entry})
}

/// An OperationOutcome whose text names a patient: it must never reach an error or a file.
fn outcome(code: &str) -> String {
    serde_json::json!({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": "Ada Jones, MRN 12345"}]})
    .to_string()
}
