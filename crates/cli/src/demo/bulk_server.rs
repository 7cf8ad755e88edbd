//! The Bulk Data side of the demo's mock FHIR server (FHIR Bulk Data Access IG v2's async
//! pattern): `GET /$export` (or `/Patient/$export`) with `Prefer: respond-async` and
//! `_type` → `202`, the job's status URL and `Retry-After: 1`; status polls → `202` with
//! `Retry-After` and `X-Progress` while the job "runs" (its files' sizes are worked out on a
//! thread of its own meanwhile, never under the jobs' lock), then `200` and the manifest;
//! the NDJSON files (`bulk_files.rs`: streamed, `Range`/`If-Range`); `DELETE` on the status
//! URL → `202`. Faults by count, never by timing, so a run's story is the same on a loaded
//! machine: each job's first status request is answered `429` with `Retry-After: 1` (a
//! server throttling its status endpoint, as the IG allows), the job answers [`JOB_POLLS`]
//! `202`s more, the `Observation` file is cut halfway on its first download, the
//! `Encounter` file answers `503` with `Retry-After: 1` on its first. A poll sooner than
//! the last `Retry-After` asked is answered `429` too and counted apart — a guard a client
//! that honours `Retry-After` never trips.

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::bulk_files::{NdjsonFile, Sent, count, file_size};

/// Polls answered `202` (still running) before the manifest: a slow job.
pub(crate) const JOB_POLLS: u32 = 1;

/// The wait the kick-off, every `202` and `429` ask for, and the `503` file's `Retry-After`.
const WAIT: Duration = Duration::from_secs(1);

/// When the mock's data were "exported": the manifest's `transactionTime`, the files'
/// `Last-Modified` (`bulk_files.rs`).
const TRANSACTION_TIME: &str = "2026-01-01T00:00:00Z";

/// The file cut halfway on its first download, and the one answering 503 on its first.
const CUT_FILE: &str = "Observation";
const UNAVAILABLE_FILE: &str = "Encounter";

/// What the mock's Bulk Data side answered, by kind: what the export went through.
#[derive(Debug, Default)]
pub(crate) struct BulkFaults {
    /// Status polls answered (202, 429 or 200).
    pub(crate) polls: AtomicU64,
    /// Jobs' first status requests, answered 429 with `Retry-After` (by count).
    pub(crate) throttled: AtomicU64,
    /// Polls sooner than the last `Retry-After` asked (the kick-off's included), answered
    /// 429: never, from a client that honours `Retry-After`.
    pub(crate) early_polls: AtomicU64,
    /// Downloads cut halfway (the connection closed after half of the body).
    pub(crate) cut: AtomicU64,
    /// Downloads resumed with `Range` (answered 206 from where they were cut).
    pub(crate) resumed: AtomicU64,
    /// File downloads answered 503 with `Retry-After`.
    pub(crate) unavailable: AtomicU64,
    /// Downloads asked again after a 503 no sooner than its `Retry-After`.
    pub(crate) waited: AtomicU64,
    /// Jobs deleted (`DELETE` on the status URL).
    pub(crate) deleted: AtomicU64,
}

/// One export job.
struct Job {
    types: Vec<&'static str>,
    request: String,
    /// When the last `Retry-After` (the kick-off's, then each poll's) runs out: a poll
    /// sooner is counted early.
    not_before: Instant,
    /// Status requests answered so far.
    polls: u32,
    /// `202`s still to answer before the manifest.
    pending: u32,
    /// Each file's size, once the job's thread has worked them out (the job runs until
    /// then).
    sizes: Option<HashMap<&'static str, u64>>,
    /// Downloads asked for, by type.
    attempts: HashMap<&'static str, u32>,
    /// When the 503 file was refused.
    refused_at: Option<Instant>,
    deleted: bool,
}

/// The request headers the Bulk Data side reads.
#[derive(Debug, Default)]
pub(crate) struct Headers {
    pub(crate) prefer: Option<String>,
    pub(crate) range: Option<String>,
    pub(crate) if_range: Option<String>,
}

/// The jobs of one mock server.
pub(crate) struct BulkSide {
    addr: SocketAddr,
    patients: usize,
    seed: u64,
    jobs: Arc<Mutex<Vec<Job>>>,
    pub(crate) faults: BulkFaults,
}

/// An answer: status, reason, extra header lines, body.
type Answer = (u16, &'static str, String, Vec<u8>);

impl BulkSide {
    pub(crate) fn new(addr: SocketAddr, patients: usize, seed: u64) -> Self {
        Self {
            addr,
            patients,
            seed,
            jobs: Arc::new(Mutex::new(Vec::new())),
            faults: BulkFaults::default(),
        }
    }

    /// Answers `method target` when it is the Bulk Data side's (`false` when not).
    pub(crate) fn handle(
        &self,
        method: &str,
        target: &str,
        headers: &Headers,
        out: &mut TcpStream,
    ) -> std::io::Result<bool> {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let answer = match (method, path) {
            ("GET", "/$export" | "/Patient/$export") => self.kick_off(target, query, headers),
            (_, p) if p.starts_with("/bulk/") => {
                let rest = &p["/bulk/".len()..];
                let (job, file) = rest.split_once('/').unwrap_or((rest, ""));
                let Ok(job) = job.parse::<usize>() else {
                    return respond(out, not_found()).map(|()| true);
                };
                match (method, file) {
                    ("GET", "") => self.poll(job),
                    ("DELETE", "") => self.delete(job),
                    ("GET", file) => return self.download(job, file, headers, out).map(|()| true),
                    _ => not_found(),
                }
            }
            _ => return Ok(false),
        };
        respond(out, answer).map(|()| true)
    }

    fn kick_off(&self, target: &str, query: &str, headers: &Headers) -> Answer {
        if !headers
            .prefer
            .as_deref()
            .is_some_and(|p| p.contains("respond-async"))
        {
            return outcome(
                400,
                "Bad Request",
                "invalid",
                "Prefer: respond-async is required",
            );
        }
        let asked = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("_type="))
            .map(|v| v.replace("%2C", ",").replace("%2c", ","));
        let mut types = Vec::new();
        for t in asked
            .as_deref()
            .unwrap_or("Patient,Encounter,Observation")
            .split(',')
        {
            match ["Patient", "Encounter", "Condition", "Observation"]
                .into_iter()
                .find(|k| *k == t)
            {
                Some(k) => types.push(k),
                None => return outcome(400, "Bad Request", "not-supported", "unknown _type"),
            }
        }
        let id = {
            let Ok(mut jobs) = self.jobs.lock() else {
                return outcome(500, "Internal Server Error", "exception", "lock poisoned");
            };
            jobs.push(Job {
                types: types.clone(),
                request: format!("http://{}{target}", self.addr),
                // It asks for a wait before the first poll.
                not_before: Instant::now() + WAIT,
                polls: 0,
                pending: JOB_POLLS,
                sizes: None,
                attempts: HashMap::new(),
                refused_at: None,
                deleted: false,
            });
            jobs.len() - 1
        };
        // The job "runs": its files' sizes (every line generated) on a thread of its own,
        // the lock taken only to store them, so no request waits on a large export.
        let (jobs, patients, seed) = (Arc::clone(&self.jobs), self.patients, self.seed);
        let sized = std::thread::Builder::new()
            .name("demo-bulk-job".to_owned())
            .spawn(move || {
                let sizes = types
                    .iter()
                    .map(|t| (*t, file_size(seed, t, count(t, patients))))
                    .collect();
                if let Some(job) = jobs.lock().ok().as_mut().and_then(|j| j.get_mut(id)) {
                    job.sizes = Some(sizes);
                }
            });
        if sized.is_err() {
            return outcome(
                503,
                "Service Unavailable",
                "transient",
                "no thread for the job",
            );
        }
        let location = format!("http://{}/bulk/{id}", self.addr);
        (
            202,
            "Accepted",
            format!(
                "Content-Location: {location}\r\nRetry-After: {}\r\n",
                WAIT.as_secs()
            ),
            Vec::new(),
        )
    }

    fn poll(&self, id: usize) -> Answer {
        let Ok(mut jobs) = self.jobs.lock() else {
            return not_found();
        };
        let Some(job) = jobs.get_mut(id).filter(|j| !j.deleted) else {
            return not_found();
        };
        self.faults.polls.fetch_add(1, Relaxed);
        job.polls += 1;
        let now = Instant::now();
        // The guard: sooner than the last `Retry-After` asked (never, from a client that
        // honours it). The fault: the first status request, whenever it comes.
        let early = now < job.not_before;
        job.not_before = now + WAIT;
        if early {
            self.faults.early_polls.fetch_add(1, Relaxed);
        }
        if job.polls == 1 {
            self.faults.throttled.fetch_add(1, Relaxed);
        }
        if early || job.polls == 1 {
            return outcome_with(
                429,
                "Too Many Requests",
                &format!("Retry-After: {}\r\n", WAIT.as_secs()),
                "throttled",
                "status polled too often",
            );
        }
        let Some(sizes) = job.sizes.as_ref().filter(|_| job.pending == 0) else {
            job.pending = job.pending.saturating_sub(1);
            let done = (JOB_POLLS - job.pending) * 100 / (JOB_POLLS + 1);
            return (
                202,
                "Accepted",
                format!(
                    "Retry-After: {}\r\nX-Progress: {done}% done\r\n",
                    WAIT.as_secs()
                ),
                Vec::new(),
            );
        };
        let patients = self.patients;
        let output: Vec<_> = job
            .types
            .iter()
            .filter(|t| sizes.contains_key(*t))
            .map(|t| {
                json!({"type": t, "url": format!("http://{}/bulk/{id}/{t}.ndjson", self.addr), "count": count(t, patients)})
            })
            .collect();
        let manifest = json!({
            "transactionTime": TRANSACTION_TIME,
            "request": job.request,
            "requiresAccessToken": false,
            "output": output,
            "error": [],
        });
        (
            200,
            "OK",
            "Content-Type: application/json\r\n".to_owned(),
            manifest.to_string().into_bytes(),
        )
    }

    fn delete(&self, id: usize) -> Answer {
        let Ok(mut jobs) = self.jobs.lock() else {
            return not_found();
        };
        match jobs.get_mut(id).filter(|j| !j.deleted) {
            Some(job) => {
                job.deleted = true;
                self.faults.deleted.fetch_add(1, Relaxed);
                (202, "Accepted", String::new(), Vec::new())
            }
            None => not_found(),
        }
    }

    /// A file: whole, from a `Range`, cut halfway or refused, as the schedule says.
    fn download(
        &self,
        id: usize,
        file: &str,
        headers: &Headers,
        out: &mut TcpStream,
    ) -> std::io::Result<()> {
        let kind = file.strip_suffix(".ndjson").unwrap_or("");
        let planned = {
            let Ok(mut jobs) = self.jobs.lock() else {
                return respond(out, not_found());
            };
            let job = jobs.get_mut(id).filter(|j| !j.deleted);
            job.and_then(|job| {
                let size = *job.sizes.as_ref()?.get(kind)?;
                let kind = *job.types.iter().find(|t| **t == kind)?;
                let attempt = job.attempts.entry(kind).or_insert(0);
                *attempt += 1;
                let attempt = *attempt;
                if kind == UNAVAILABLE_FILE {
                    if attempt == 1 {
                        job.refused_at = Some(Instant::now());
                    } else if attempt == 2 && job.refused_at.is_some_and(|at| at.elapsed() >= WAIT)
                    {
                        self.faults.waited.fetch_add(1, Relaxed);
                    }
                }
                Some((kind, size, attempt))
            })
        };
        let Some((kind, size, attempt)) = planned else {
            return respond(out, not_found());
        };
        if kind == UNAVAILABLE_FILE && attempt == 1 {
            self.faults.unavailable.fetch_add(1, Relaxed);
            return respond(
                out,
                outcome_with(
                    503,
                    "Service Unavailable",
                    &format!("Retry-After: {}\r\n", WAIT.as_secs()),
                    "transient",
                    "file not ready",
                ),
            );
        }
        let file = NdjsonFile {
            seed: self.seed,
            kind,
            lines: count(kind, self.patients),
            size,
        };
        let cut = kind == CUT_FILE && attempt == 1;
        match file.send(
            out,
            headers.range.as_deref(),
            headers.if_range.as_deref(),
            cut,
        )? {
            Sent::Resumed => self.faults.resumed.fetch_add(1, Relaxed),
            Sent::Cut => self.faults.cut.fetch_add(1, Relaxed),
            Sent::Whole | Sent::Unsatisfiable => 0,
        };
        Ok(())
    }
}

fn not_found() -> Answer {
    outcome(404, "Not Found", "not-found", "no such job or file")
}

fn outcome(status: u16, reason: &'static str, code: &str, text: &str) -> Answer {
    outcome_with(status, reason, "", code, text)
}

fn outcome_with(status: u16, reason: &'static str, extra: &str, code: &str, text: &str) -> Answer {
    let body = json!({"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]});
    (
        status,
        reason,
        format!("Content-Type: application/fhir+json\r\n{extra}"),
        body.to_string().into_bytes(),
    )
}

fn respond(out: &mut TcpStream, (status, reason, extra, body): Answer) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(&body)?;
    out.flush()
}
