//! `steadfast deadletter replay`: against a server that recovered, the queue empties and
//! the pages land in data/replayed/; against a dead port the breaker stops the replay
//! within its threshold and every letter stays; unsafe items are refused untouched.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use steadfast::fhir::{Method, RequestItem};
use steadfast::retry::{DeadLetter, DeadLetterQueue};
use steadfast::run::{RunDir, Timestamp};

use crate::steadfast;

/// A FHIR-ish server on 127.0.0.1: `Patient?page=N` answers a Bundle of two patients (with
/// a relative next link to page N+1 while N < `total=`), `Patient/pN` one patient; it
/// counts requests. Runs until the test process ends.
fn server() -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicU32::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            answer(conn);
        }
    });
    (base, hits)
}

fn answer(mut conn: TcpStream) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    let _ = reader.read_line(&mut line);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let patient = |n: u32| json!({"resourceType": "Patient", "id": format!("p{n}")});
    let body = if let Some(id) = target.strip_prefix("/fhir/Patient/p") {
        patient(id.parse().unwrap_or(0))
    } else {
        let page: u32 = target
            .rsplit_once("page=")
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or(1);
        let total: u32 = target
            .split_once("total=")
            .and_then(|(_, t)| t.split('&').next()?.parse().ok())
            .unwrap_or(0);
        let link: Vec<Value> = if page < total {
            vec![json!({"relation": "next",
                "url": format!("Patient?_count=2&total={total}&page={}", page + 1)})]
        } else {
            Vec::new()
        };
        json!({"resourceType": "Bundle", "type": "searchset", "link": link, "entry": [
            {"resource": patient(page * 2 - 1)}, {"resource": patient(page * 2)}]})
    }
    .to_string();
    let _ = write!(
        conn,
        "HTTP/1.1 200 OK\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A run whose queue holds `items` as dead letters.
fn run_with(root: &std::path::Path, items: &[RequestItem]) -> RunDir {
    let run = RunDir::create(root, "extract").unwrap();
    let queue = DeadLetterQueue::in_run(&run).unwrap();
    for item in items {
        let letter = DeadLetter::new(item, &"HTTP 503", 4, Timestamp::now(), "exhausted").unwrap();
        queue.push(&letter).unwrap();
    }
    run
}

fn pages(n: u32) -> Vec<RequestItem> {
    (1..=n)
        .map(|p| {
            RequestItem::new(
                Method::Get,
                &format!("Patient?_count=2&page={p}"),
                Some("Patient"),
            )
        })
        .collect()
}

fn json_of(out: &std::process::Output, code: i32) -> Value {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_recovered_server_empties_the_queue_and_the_pages_are_written() {
    let root = tempfile::tempdir().unwrap();
    let mut items = pages(2);
    items.push(RequestItem::new(Method::Get, "Patient/p9", Some("Patient")));
    let run = run_with(root.path(), &items);
    let (base, hits) = server();
    let dir = run.path().to_str().unwrap();
    let out = steadfast(&[
        "deadletter",
        "replay",
        dir,
        "--base",
        &base,
        "--format",
        "json",
    ]);
    let v = json_of(&out, 0);
    assert_eq!(
        (
            v["succeeded"].as_u64(),
            v["remaining"].as_u64(),
            v["not_attempted"].as_u64()
        ),
        (Some(3), Some(0), Some(0))
    );
    assert_eq!(v["resources_written"]["Patient"], 5);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    let written = std::fs::read_to_string(run.path().join("data/replayed/Patient.ndjson")).unwrap();
    let ids: Vec<String> = written
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["p1", "p2", "p3", "p4", "p9"]);
    // Nothing left: a second replay has nothing to do and exits 0.
    let again = steadfast(&["deadletter", "replay", dir, "--base", &base]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("succeeded:     0"));
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn a_dead_server_stops_the_replay_within_the_breaker_threshold() {
    let root = tempfile::tempdir().unwrap();
    let run = run_with(root.path(), &pages(6));
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/fhir");
    let out = steadfast(&[
        "deadletter",
        "replay",
        run.path().to_str().unwrap(),
        "--base",
        &base,
        "--set",
        "retry.max_retries=0",
        "--set",
        "retry.breaker.consecutive_failures=2",
        "--format",
        "json",
    ]);
    let v = json_of(&out, 1);
    assert_eq!(
        (
            v["failed_again"].as_u64(),
            v["not_attempted"].as_u64(),
            v["remaining"].as_u64()
        ),
        (Some(2), Some(4), Some(6))
    );
    let letters = steadfast::retry::read_dead_letters(run.dead_letter_path())
        .unwrap()
        .records;
    assert_eq!(letters.iter().filter(|l| l.replays == 1).count(), 2);
    // The stored error stays PHI-free: no text, no URL.
    assert_eq!(letters[0].error.message, None);
    assert!(
        !std::fs::read_to_string(run.dead_letter_path())
            .unwrap()
            .contains("127.0.0.1")
    );
}

#[test]
fn unsafe_items_are_refused_untouched_unless_asked() {
    let root = tempfile::tempdir().unwrap();
    let run = run_with(
        root.path(),
        &[RequestItem::new(Method::Post, "Patient", Some("Patient"))],
    );
    let before = std::fs::read(run.dead_letter_path()).unwrap();
    let (base, hits) = server();
    let out = steadfast(&[
        "deadletter",
        "replay",
        run.path().to_str().unwrap(),
        "--base",
        &base,
    ]);
    crate::assert_error(
        &out,
        1,
        "1 unsafe request(s) not to be replayed; nothing was replayed",
    );
    assert_eq!(std::fs::read(run.dead_letter_path()).unwrap(), before);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let bad_base = steadfast(&[
        "deadletter",
        "replay",
        run.path().to_str().unwrap(),
        "--base",
        "ftp://x",
    ]);
    crate::assert_error(&bad_base, 2, "--base: invalid FHIR base URL");
}

fn written_ids(run: &RunDir) -> Vec<String> {
    std::fs::read_to_string(run.path().join("data/replayed/Patient.ndjson"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn a_replayed_search_page_continues_with_the_pages_after_it() {
    let root = tempfile::tempdir().unwrap();
    // Page 1 of 3 failed for good: the search ended there, pages 2 and 3 were never fetched.
    let first = RequestItem::new(
        Method::Get,
        "Patient?_count=2&total=3&page=1",
        Some("Patient"),
    );
    let run = run_with(root.path(), &[first]);
    let (base, hits) = server();
    let dir = run.path().to_str().unwrap();
    let out = steadfast(&[
        "deadletter",
        "replay",
        dir,
        "--base",
        &base,
        "--format",
        "json",
    ]);
    let v = json_of(&out, 0);
    assert_eq!(
        (
            v["succeeded"].as_u64(),
            v["continued_pages"].as_u64(),
            v["remaining"].as_u64()
        ),
        (Some(1), Some(2), Some(0))
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    assert_eq!(written_ids(&run), ["p1", "p2", "p3", "p4", "p5", "p6"]);
}

#[test]
fn letters_quarantined_by_the_replay_make_it_fail() {
    let root = tempfile::tempdir().unwrap();
    let run = run_with(root.path(), &pages(1));
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/fhir");
    let dir = run.path().to_str().unwrap();
    let out = steadfast(&[
        "deadletter",
        "replay",
        dir,
        "--base",
        &base,
        "--max-replays",
        "1",
        "--set",
        "retry.max_retries=0",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("quarantined:   1 (in "), "{stdout}");
    assert!(stdout.contains("deadletter.quarantine.ndjson"), "{stdout}");
    assert!(stdout.contains("remaining:     0"), "{stdout}");
    let queue = DeadLetterQueue::in_run(&run).unwrap();
    assert_eq!(queue.read_quarantine().unwrap().len(), 1);
}

#[test]
fn a_waiting_breaker_still_fails_fast_in_a_replay() {
    let root = tempfile::tempdir().unwrap();
    let run = run_with(root.path(), &pages(4));
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/fhir");
    let started = std::time::Instant::now();
    let out = steadfast(&[
        "deadletter",
        "replay",
        run.path().to_str().unwrap(),
        "--base",
        &base,
        "--set",
        "retry.max_retries=0",
        "--set",
        "retry.breaker.consecutive_failures=2",
        "--set",
        "retry.breaker.when_open=\"wait\"",
        "--set",
        "retry.breaker.open_duration=\"10m\"",
        "--format",
        "json",
    ]);
    let v = json_of(&out, 1);
    assert_eq!(
        (v["failed_again"].as_u64(), v["not_attempted"].as_u64()),
        (Some(2), Some(2))
    );
    // A waiting breaker would have slept its ten minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

#[test]
fn requests_with_a_body_are_refused_untouched_even_with_include_unsafe() {
    let root = tempfile::tempdir().unwrap();
    let run = run_with(
        root.path(),
        &[
            RequestItem::new(Method::Post, "Patient", Some("Patient")),
            RequestItem::new(Method::Put, "Patient/p1", Some("Patient")),
        ],
    );
    let before = std::fs::read(run.dead_letter_path()).unwrap();
    let (base, hits) = server();
    let out = steadfast(&[
        "deadletter",
        "replay",
        run.path().to_str().unwrap(),
        "--base",
        &base,
        "--include-unsafe",
    ]);
    crate::assert_error(&out, 1, "2 request(s) other than GET or HEAD");
    assert_eq!(std::fs::read(run.dead_letter_path()).unwrap(), before);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}
