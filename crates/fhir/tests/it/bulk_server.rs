//! A Bulk Data Access v2 server on 127.0.0.1, written from the IG for these tests (not the
//! demo's mock): kick-off at `$export`, `Patient/$export`, `Group/{id}/$export` (202 with
//! `Content-Location`), a status URL that answers 429 to the first polls and 202 with
//! `Retry-After` and `X-Progress` while the job "runs", then 200 with the manifest; files
//! served with `Range` support (206 + `Content-Range`); `DELETE` of the status URL. Faults:
//! a file's first answer cut halfway (connection closed), a 503 with `Retry-After`, `Range`
//! ignored. Every poll and file request is logged on the tests' `ManualClock`, so the
//! tests can check that no poll came sooner than the server asked.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bulk_http::{outcome, read_request, real_pause, respond};
use crate::server::Acceptor;
use steadfast_retry::{Clock as _, ManualClock};

/// The faults and pace of the server.
#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    /// Polls answered 202 before the manifest.
    pub(crate) pending: u32,
    /// The `Retry-After` of a 202, a 429 and a 503, in seconds.
    pub(crate) retry_after: u64,
    /// The first polls answered 429.
    pub(crate) too_fast: u32,
    /// Files whose first answer is cut after half the bytes.
    pub(crate) cut: HashSet<String>,
    /// Files whose first answer is 503 with `Retry-After`.
    pub(crate) unavailable: HashSet<String>,
    /// Answer every `Range` request with the whole file (200).
    pub(crate) ignore_range: bool,
    /// The status URL answers this (an `OperationOutcome` with code `exception`).
    pub(crate) job_fails: Option<u16>,
    /// The manifest says `requiresAccessToken: true`.
    pub(crate) requires_token: bool,
    /// File URLs name `localhost` (another origin than `127.0.0.1`, the same server).
    pub(crate) foreign_files: bool,
    /// Files whose first `Range` request is answered 206 from byte 0 (a wrong
    /// `Content-Range`).
    pub(crate) bad_range: HashSet<String>,
    /// Files whose `Range` answers (206) announce the rest of the file but send only half
    /// of it, with a `Content-Length` of what they send (a clean close).
    pub(crate) short_partial: HashSet<String>,
    /// Files that change after their first request (these bytes, served from then on with
    /// another `ETag`); a `Range` with a stale `If-Range` gets the whole new file.
    pub(crate) changed: HashMap<String, Vec<u8>>,
    /// Files whose first answer stops for five seconds after half the bytes, then closes.
    pub(crate) stall: HashSet<String>,
    /// Files sent in ten pieces, this long apart (a slow file).
    pub(crate) slow: HashMap<String, Duration>,
    /// File URLs carry a signature that changes with each manifest fetch (`?sig=N`).
    pub(crate) signed: bool,
    /// Jobs (by number, from 1) whose status answers 500 with code `exception`.
    pub(crate) failed_jobs: HashSet<u32>,
    /// The manifest's answer announces 100 MiB (and sends nothing).
    pub(crate) huge_manifest: bool,
    /// The manifest's `count` of this file is one too many.
    pub(crate) wrong_count: Option<String>,
}

/// What the server saw.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub(crate) kickoffs: Vec<String>,
    /// When each poll came (on the manual clock, from the server's start).
    pub(crate) polls: Vec<Duration>,
    /// Polls that came sooner than the last `Retry-After` asked.
    pub(crate) early_polls: u32,
    /// `(file, Range start, time)` of each file request.
    pub(crate) file_requests: Vec<(String, Option<u64>, Duration)>,
    pub(crate) bytes_served: HashMap<String, u64>,
    pub(crate) deletes: u32,
    /// `(path, Authorization header)` of every request.
    pub(crate) authorization: Vec<(String, Option<String>)>,
}

#[derive(Debug, Default)]
struct Job {
    polls: u32,
    not_before: Option<Instant>,
    deleted: bool,
}

struct Shared {
    clock: ManualClock,
    start: Instant,
    /// `(type, name, bytes)` of each output file; the last one may be an error file.
    files: Vec<(String, String, Vec<u8>)>,
    errors: Vec<(String, String, Vec<u8>)>,
    script: Mutex<Script>,
    log: Mutex<Log>,
    jobs: Mutex<HashMap<u32, Job>>,
}

pub(crate) struct BulkServer {
    pub(crate) addr: SocketAddr,
    shared: Arc<Shared>,
    _acceptor: Acceptor,
}

type Files = Vec<(String, String, Vec<u8>)>;

impl BulkServer {
    /// Serves `files` (`(type, name, bytes)`) and `errors` on `clock`.
    pub(crate) fn start(files: Files, errors: Files, script: Script, clock: &ManualClock) -> Self {
        let shared = Arc::new(Shared {
            clock: clock.clone(),
            start: clock.now(),
            files,
            errors,
            script: Mutex::new(script),
            log: Mutex::new(Log::default()),
            jobs: Mutex::new(HashMap::new()),
        });
        let acceptor = {
            let shared = shared.clone();
            Acceptor::start(move |addr, conn| answer(&shared, addr, conn))
        };
        Self {
            addr: acceptor.addr,
            shared,
            _acceptor: acceptor,
        }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://{}/fhir", self.addr)
    }

    /// What the server saw so far, and a fresh log from now on.
    pub(crate) fn take_log(&self) -> Log {
        std::mem::take(&mut *self.shared.log.lock().unwrap())
    }

    pub(crate) fn script(&self, f: impl FnOnce(&mut Script)) {
        f(&mut self.shared.script.lock().unwrap());
    }

    /// The server forgets every job (a restart, or jobs expired).
    pub(crate) fn forget_jobs(&self) {
        self.shared.jobs.lock().unwrap().clear();
    }
}

fn answer(shared: &Shared, addr: SocketAddr, mut conn: TcpStream) {
    let Some((method, target, headers)) = read_request(&conn) else {
        return;
    };
    let now = shared.clock.now();
    let since_start = now - shared.start;
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let script = shared.script.lock().unwrap().clone();
    let ra = script.retry_after.to_string();
    shared
        .log
        .lock()
        .unwrap()
        .authorization
        .push((path.clone(), headers.get("authorization").cloned()));
    if path.ends_with("/$export") && method == "GET" {
        if headers.get("prefer").map(String::as_str) != Some("respond-async") {
            return respond(&mut conn, 400, &[], &outcome("required"));
        }
        shared.log.lock().unwrap().kickoffs.push(target.clone());
        let mut jobs = shared.jobs.lock().unwrap();
        let id = u32::try_from(shared.log.lock().unwrap().kickoffs.len()).unwrap();
        jobs.insert(id, Job::default());
        let location = format!("http://{addr}/fhir/status/{id}");
        return respond(&mut conn, 202, &[("content-location", location)], b"");
    }
    if let Some(id) = path.strip_prefix("/fhir/status/") {
        let id: u32 = id.parse().unwrap_or(0);
        let mut jobs = shared.jobs.lock().unwrap();
        let Some(job) = jobs.get_mut(&id).filter(|j| !j.deleted) else {
            return respond(&mut conn, 404, &[], &outcome("not-found"));
        };
        if method == "DELETE" {
            job.deleted = true;
            shared.log.lock().unwrap().deletes += 1;
            return respond(&mut conn, 202, &[], b"");
        }
        {
            let mut log = shared.log.lock().unwrap();
            log.polls.push(since_start);
            if job.not_before.is_some_and(|t| now < t) {
                log.early_polls += 1;
            }
        }
        job.polls += 1;
        job.not_before = now.checked_add(Duration::from_secs(script.retry_after));
        if script.failed_jobs.contains(&id) {
            return respond(&mut conn, 500, &[], &outcome("exception"));
        }
        if let Some(status) = script.job_fails {
            return respond(&mut conn, status, &[], &outcome("exception"));
        }
        if job.polls <= script.too_fast {
            return respond(
                &mut conn,
                429,
                &[("retry-after", ra)],
                &outcome("throttled"),
            );
        }
        if job.polls <= script.too_fast + script.pending {
            let progress = format!(
                "{}% done",
                100 * job.polls / (script.too_fast + script.pending + 1)
            );
            return respond(
                &mut conn,
                202,
                &[("retry-after", ra), ("x-progress", progress)],
                b"",
            );
        }
        if script.huge_manifest {
            let head = "HTTP/1.1 200 OK\r\ncontent-length: 104857600\r\nconnection: close\r\n\r\n";
            let _ = conn.write_all(head.as_bytes());
            return;
        }
        let host = if script.foreign_files {
            format!("localhost:{}", addr.port())
        } else {
            addr.to_string()
        };
        let entry = |(t, name, data): &(String, String, Vec<u8>)| {
            // Resources: lines with something on them.
            let mut lines = data
                .split(|b| *b == b'\n')
                .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                .count();
            if script.wrong_count.as_ref() == Some(name) {
                lines += 1;
            }
            let sig = if script.signed {
                format!("?sig={}&expires={}", job.polls, since_start.as_secs())
            } else {
                String::new()
            };
            serde_json::json!({"type": t, "url": format!("http://{host}/fhir/files/{name}{sig}"), "count": lines})
        };
        let manifest = serde_json::json!({
            "transactionTime": "2026-12-02T10:00:00Z",
            "request": format!("http://{addr}/fhir/$export"),
            "requiresAccessToken": script.requires_token,
            "output": shared.files.iter().map(entry).collect::<Vec<_>>(),
            "error": shared.errors.iter().map(entry).collect::<Vec<_>>(),
        });
        let body = manifest.to_string().into_bytes();
        return respond(
            &mut conn,
            200,
            &[("content-type", "application/json".into())],
            &body,
        );
    }
    if let Some(name) = path.strip_prefix("/fhir/files/") {
        let Some((_, _, original)) = shared
            .files
            .iter()
            .chain(&shared.errors)
            .find(|f| f.1 == name)
        else {
            return respond(&mut conn, 404, &[], &outcome("not-found"));
        };
        let range = headers
            .get("range")
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|r| r.parse::<u64>().ok());
        shared
            .log
            .lock()
            .unwrap()
            .file_requests
            .push((name.to_owned(), range, since_start));
        let seen_before = shared
            .log
            .lock()
            .unwrap()
            .file_requests
            .iter()
            .filter(|r| r.0 == name)
            .count()
            > 1;
        let (data, etag) = match script.changed.get(name) {
            Some(new) if seen_before => (new, "\"v2\"".to_owned()),
            _ => (original, "\"v1\"".to_owned()),
        };
        let range = range.filter(|_| headers.get("if-range").is_none_or(|v| *v == etag));
        if shared.script.lock().unwrap().unavailable.remove(name) {
            return respond(
                &mut conn,
                503,
                &[("retry-after", ra)],
                &outcome("transient"),
            );
        }
        if range.is_some() && shared.script.lock().unwrap().bad_range.remove(name) {
            let cr = format!("bytes 0-{}/{}", data.len() - 1, data.len());
            return respond(&mut conn, 206, &[("content-range", cr)], data);
        }
        let start = match range {
            Some(r) if !script.ignore_range && r < data.len() as u64 => usize::try_from(r).unwrap(),
            _ => 0,
        };
        let body = &data[start..];
        let (status, extra) = if start > 0 {
            let cr = format!("bytes {start}-{}/{}", data.len() - 1, data.len());
            (206, vec![("content-range", cr)])
        } else {
            (200, vec![])
        };
        let stall = shared.script.lock().unwrap().stall.remove(name);
        let cut = shared.script.lock().unwrap().cut.remove(name) || stall;
        let short = start > 0 && shared.script.lock().unwrap().short_partial.remove(name);
        let sent = if cut || short {
            &body[..body.len() / 2]
        } else {
            body
        };
        let mut head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/fhir+ndjson\r\ncontent-length: {}\r\naccept-ranges: bytes\r\netag: {etag}\r\nconnection: close\r\n",
            if short { sent.len() } else { body.len() }
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let _ = conn.write_all(head.as_bytes());
        match script.slow.get(name) {
            Some(pause) => {
                for piece in sent.chunks(sent.len().div_ceil(10).max(1)) {
                    real_pause(*pause);
                    let _ = conn.write_all(piece);
                    let _ = conn.flush();
                }
            }
            None => {
                let _ = conn.write_all(sent);
            }
        }
        let _ = conn.flush();
        *shared
            .log
            .lock()
            .unwrap()
            .bytes_served
            .entry(name.to_owned())
            .or_default() += sent.len() as u64;
        if stall {
            // Silent for five seconds, then closed — on its own thread: the next request is
            // answered meanwhile.
            std::thread::spawn(move || {
                real_pause(Duration::from_secs(5));
                let _ = conn.shutdown(std::net::Shutdown::Both);
            });
            return;
        }
        if cut {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
        return;
    }
    respond(&mut conn, 404, &[], &outcome("not-found"));
}
