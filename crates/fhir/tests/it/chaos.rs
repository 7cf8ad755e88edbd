//! Chaos for creates: a FHIR server on 127.0.0.1 that implements conditional create
//! (`If-None-Exist` on `identifier`) and, on 20 % of the creates it commits (seeded, so the
//! same ones every run), drops the connection without answering. 10,000 conditional creates
//! through `FhirClient` end with exactly 10,000 resources stored, none twice and none lost;
//! the same chaos with plain creates dead-letters the dropped ones as ambiguous, never
//! sending them again. Connections are kept alive (one request at a time on each), so a
//! drop costs the client its connection, as it would in production; each connection has
//! a thread of its own.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::server::Acceptor;
use serde_json::{Value, json};
use steadfast_fhir::{Create, FhirClient, FhirError, Idempotency, read_request_letters};
use steadfast_http::HttpSettings;
use steadfast_retry::{DeadLetterQueue, ManualClock, RetryPolicy};

const CREATES: usize = 10_000;
const DROP_PERCENT: u64 = 20;

#[derive(Default)]
struct Store {
    /// Resource ids by identifier (`system|value`): more than one is a duplicate.
    by_identifier: HashMap<String, Vec<usize>>,
    stored: usize,
    posts: usize,
    /// Creates committed and then left unanswered.
    drops: usize,
    rng: u64,
}

impl Store {
    /// splitmix64: the server's seeded dice.
    fn roll(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % 100
    }

    fn duplicates(&self) -> usize {
        self.by_identifier
            .values()
            .filter(|ids| ids.len() > 1)
            .count()
    }
}

struct ChaosServer {
    base: String,
    store: Arc<Mutex<Store>>,
    _acceptor: Acceptor,
}

impl ChaosServer {
    fn start(seed: u64) -> Self {
        let store = Arc::new(Mutex::new(Store {
            rng: seed,
            ..Store::default()
        }));
        let acceptor = {
            let store = store.clone();
            // A thread per connection: a client may open a second one while its first,
            // kept alive, is still being read from.
            Acceptor::start(move |_, conn| {
                let store = store.clone();
                std::thread::spawn(move || answer(&store, conn));
            })
        };
        Self {
            base: format!("http://{}/fhir", acceptor.addr),
            store,
            _acceptor: acceptor,
        }
    }
}

/// One request: its method and target, its `If-None-Exist` header and its body.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) if_none_exist: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// The next request on a kept-alive connection, `None` once the client hung up.
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, target) = (words.next()?.to_owned(), words.next()?.to_owned());
    let (mut length, mut if_none_exist) = (0, None);
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return None,
            Ok(_) if header == "\r\n" => break,
            Ok(_) => {}
        }
        let (name, value) = header.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "if-none-exist" => if_none_exist = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        if_none_exist,
        body,
    })
}

/// Answers the requests of one kept-alive connection (the client sends one at a time).
fn answer(store: &Mutex<Store>, mut conn: TcpStream) {
    let Ok(clone) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    while let Some(request) = read_request(&mut reader) {
        if !answer_one(store, &mut conn, &request) {
            return; // the connection closes with no answer
        }
    }
}

/// Answers `request`; `false` when it was committed and is to be left unanswered.
fn answer_one(store: &Mutex<Store>, conn: &mut TcpStream, request: &Request) -> bool {
    let outcome = json!({"resourceType": "OperationOutcome"});
    if request.method != "POST" || request.target != "/fhir/Patient" {
        return respond(conn, 404, None, &outcome);
    }
    let Ok(mut resource) = serde_json::from_slice::<Value>(&request.body) else {
        return respond(conn, 400, None, &outcome);
    };
    let first = &resource["identifier"][0];
    let key = format!(
        "{}|{}",
        first["system"].as_str().unwrap_or_default(),
        first["value"].as_str().unwrap_or_default()
    );
    let mut store = store.lock().unwrap();
    store.posts += 1;
    // Conditional create: a match answers 200 with the resource already stored.
    let matched = request
        .if_none_exist
        .as_deref()
        .and_then(|q| q.strip_prefix("identifier="))
        .and_then(|wanted| store.by_identifier.get(wanted))
        .and_then(|ids| ids.first().copied());
    if let Some(id) = matched {
        resource["id"] = json!(id.to_string());
        drop(store);
        return respond(conn, 200, None, &resource);
    }
    store.stored += 1;
    let id = store.stored;
    store.by_identifier.entry(key).or_default().push(id);
    if store.roll() < DROP_PERCENT {
        // Committed, and then the connection closes with no answer at all.
        store.drops += 1;
        return false;
    }
    drop(store);
    resource["id"] = json!(id.to_string());
    let location = format!("Patient/{id}/_history/1");
    respond(conn, 201, Some(&location), &resource)
}

/// Writes the answer; `true` (the connection stays open for the next request).
fn respond(conn: &mut TcpStream, status: u16, location: Option<&str>, body: &Value) -> bool {
    let body = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(l) = location {
        head.push_str(&format!("location: {l}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(&body);
    conn.write_all(head.as_bytes()).is_ok()
}

fn patient(n: usize) -> Value {
    json!({"resourceType": "Patient",
        "identifier": [{"system": "urn:steadfast:test", "value": format!("mrn-{n:05}")}]})
}

/// What the client saw of `CREATES` creates.
#[derive(Debug, Default)]
struct Outcome {
    created: usize,
    matched: usize,
    dead_lettered: usize,
    ambiguous: usize,
}

fn run(
    conditional: bool,
) -> (
    ChaosServer,
    Outcome,
    Arc<DeadLetterQueue>,
    tempfile::TempDir,
) {
    let server = ChaosServer::start(21);
    let dir = tempfile::tempdir().unwrap();
    let queue = Arc::new(DeadLetterQueue::open(dir.path().join("deadletter.ndjson")).unwrap());
    let policy = RetryPolicy::exponential()
        .max_retries(5)
        .manual_clock(&ManualClock::new());
    let client = FhirClient::new(&server.base, &HttpSettings::default().no_proxy(), policy)
        .unwrap()
        .dead_letters(queue.clone());
    let mut seen = Outcome::default();
    let started = Instant::now();
    for n in 0..CREATES {
        let mut create = Create::new(&patient(n)).unwrap();
        if conditional {
            create = create.if_none_exist_identifier().unwrap();
        }
        match client.create(&create) {
            Ok(c) if c.is_new() => seen.created += 1,
            Ok(c) => {
                assert_eq!(c.status, 200);
                seen.matched += 1;
            }
            Err(
                ref e @ FhirError::GaveUp {
                    dead_lettered: true,
                    attempts,
                    ..
                },
            ) => {
                seen.dead_lettered += 1;
                assert_eq!(attempts, 1, "an ambiguous create is never sent again");
                if Idempotency::Unsafe.is_ambiguous(e) {
                    seen.ambiguous += 1;
                }
            }
            Err(other) => panic!("create {n}: {other}"),
        }
    }
    eprintln!(
        "{CREATES} creates (conditional: {conditional}) in {:?}: {seen:?}",
        started.elapsed()
    );
    (server, seen, queue, dir)
}

#[test]
fn conditional_creates_survive_dropped_connections_without_duplicates() {
    let (server, seen, queue, _dir) = run(true);
    let store = server.store.lock().unwrap();
    assert!(
        (CREATES / 10..CREATES * 3 / 10).contains(&store.drops),
        "about 20 % of the creates were committed and left unanswered: {}",
        store.drops
    );
    assert_eq!(store.stored, CREATES, "every resource stored exactly once");
    assert_eq!(store.by_identifier.len(), CREATES);
    assert_eq!(store.duplicates(), 0);
    // Each dropped create was sent again and matched the resource it had committed.
    assert_eq!(seen.matched, store.drops);
    assert_eq!(seen.created, CREATES - store.drops);
    assert_eq!(store.posts, CREATES + store.drops);
    // Nothing lost: every item created (here all of them) or dead-lettered.
    assert_eq!(seen.created + seen.matched + seen.dead_lettered, CREATES);
    assert_eq!(seen.dead_lettered, 0);
    assert!(
        read_request_letters(queue.path())
            .unwrap()
            .requests
            .is_empty()
    );
}

#[test]
fn plain_creates_dead_letter_the_dropped_ones_as_ambiguous() {
    let (server, seen, queue, _dir) = run(false);
    let store = server.store.lock().unwrap();
    assert!(store.drops > 0);
    // Never sent twice: no duplicate, one POST per create.
    assert_eq!(store.posts, CREATES);
    assert_eq!(store.duplicates(), 0);
    assert_eq!(
        store.stored, CREATES,
        "the dropped ones were committed all the same"
    );
    assert_eq!(seen.created, CREATES - store.drops);
    assert_eq!(
        (seen.dead_lettered, seen.ambiguous),
        (store.drops, store.drops)
    );
    assert_eq!(seen.created + seen.dead_lettered, CREATES, "nothing lost");
    let letters = read_request_letters(queue.path()).unwrap();
    assert_eq!(letters.requests.len(), store.drops);
    for l in &letters.requests {
        assert_eq!(l.item.url, "Patient");
        assert_eq!(l.item.idempotency, Idempotency::Unsafe);
        assert_eq!(l.item.if_none_exist, None);
        assert_eq!(l.letter.error.kind, "io_connection_reset");
    }
}

/// The dice are seeded: the same creates are dropped on every run.
#[test]
fn the_chaos_is_deterministic() {
    let rolls = |seed| {
        let mut s = Store {
            rng: seed,
            ..Store::default()
        };
        (0..1000).map(|_| s.roll()).collect::<Vec<_>>()
    };
    assert_eq!(rolls(21), rolls(21));
    let dropped = rolls(21).iter().filter(|r| **r < DROP_PERCENT).count();
    assert!((150..250).contains(&dropped), "{dropped}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_conditional_creates_too() {
    let server = ChaosServer::start(7);
    let policy = RetryPolicy::exponential()
        .max_retries(5)
        .manual_clock(&ManualClock::new());
    let client =
        FhirClient::new(&server.base, &HttpSettings::default().no_proxy(), policy).unwrap();
    let mut ids = std::collections::HashSet::new();
    for n in 0..500 {
        let create = Create::new(&patient(n))
            .unwrap()
            .if_none_exist_identifier()
            .unwrap();
        let created = client.create_async(&create).await.unwrap();
        let id = created.id().unwrap().to_owned();
        if created.is_new() {
            let location = format!("Patient/{id}/_history/1");
            assert_eq!(created.location.as_deref(), Some(location.as_str()));
        }
        assert!(ids.insert(id));
    }
    let store = server.store.lock().unwrap();
    assert!(store.drops > 0);
    assert_eq!((store.stored, store.duplicates()), (500, 0));
}
