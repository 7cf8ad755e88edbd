//! `steadfast fhir export` against a Bulk Data v2 server on 127.0.0.1 (written here from
//! the IG): a 429 and a 202 with `Retry-After` before the manifest, a file cut halfway and
//! one answered 503 first; the files byte-identical, `validate-data` passing on the
//! manifest, the job deleted; exit 1 for a failed job and 2 for a usage error.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use steadfast_validation::data::generate::{BulkSpec, generate_export};

use crate::{assert_error, assert_ok, steadfast};

#[derive(Default)]
struct Seen {
    /// When set, the first request of `Observation` is told here and then held open until
    /// the sender is dropped (the client is killed meanwhile).
    stall: Option<std::sync::mpsc::Sender<std::sync::mpsc::Sender<()>>>,
    polls: u32,
    deletes: u32,
    file_requests: Vec<(String, Option<String>)>,
    cut_done: bool,
    unavailable_done: bool,
}

/// `(type, name, bytes)` served; the job fails with 500 when `fail_job`.
fn serve(files: Vec<(String, String, Vec<u8>)>, fail_job: bool) -> (String, Arc<Mutex<Seen>>) {
    serve_with(files, fail_job, Seen::default())
}

fn serve_with(
    files: Vec<(String, String, Vec<u8>)>,
    fail_job: bool,
    seen: Seen,
) -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(seen));
    let state = seen.clone();
    // The thread ends with the test process.
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            answer(&files, &state, &addr.to_string(), conn, fail_job);
        }
    });
    (format!("http://{addr}/fhir"), seen)
}

fn answer(
    files: &[(String, String, Vec<u8>)],
    seen: &Mutex<Seen>,
    addr: &str,
    mut conn: TcpStream,
    fail_job: bool,
) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => return,
            Ok(_) if h == "\r\n" => break,
            Ok(_) => {
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
            }
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split('?').next().unwrap_or_default();
    let reply = |conn: &mut TcpStream, status: u16, extra: &str, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
            body.len()
        );
        let _ = conn.write_all(head.as_bytes());
        let _ = conn.write_all(body);
    };
    let outcome =
        br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]}"#;
    let mut s = seen.lock().unwrap();
    if path.ends_with("$export") {
        let location = format!("content-location: http://{addr}/fhir/status/1\r\n");
        return reply(&mut conn, 202, &location, b"");
    }
    if path == "/fhir/status/1" && method == "DELETE" {
        s.deletes += 1;
        return reply(&mut conn, 202, "", b"");
    }
    if path == "/fhir/status/1" {
        s.polls += 1;
        return match s.polls {
            _ if fail_job => reply(&mut conn, 500, "", outcome),
            1 => reply(&mut conn, 429, "retry-after: 1\r\n", b""),
            2 => reply(&mut conn, 202, "retry-after: 1\r\nx-progress: 50%\r\n", b""),
            _ => {
                let output: Vec<_> = files
                    .iter()
                    .map(|(t, n, d)| {
                        let count = d.iter().filter(|b| **b == b'\n').count();
                        serde_json::json!({"type": t, "url": format!("http://{addr}/fhir/files/{n}"), "count": count})
                    })
                    .collect();
                let manifest = serde_json::json!({"transactionTime": "2026-12-02T10:00:00Z",
                    "request": format!("http://{addr}/fhir/$export"), "requiresAccessToken": false,
                    "output": output, "error": []});
                reply(&mut conn, 200, "", manifest.to_string().as_bytes())
            }
        };
    }
    if let Some(name) = path.strip_prefix("/fhir/files/") {
        let range = headers.get("range").cloned();
        s.file_requests.push((name.to_owned(), range.clone()));
        if name == "Observation"
            && let Some(stall) = s.stall.take()
        {
            drop(s);
            let (release, held) = std::sync::mpsc::channel::<()>();
            let _ = stall.send(release);
            // Held open (no answer) until the test drops `release`, after the kill.
            let _ = held.recv();
            return;
        }
        let Some((_, _, data)) = files.iter().find(|f| f.1 == name) else {
            return reply(&mut conn, 404, "", outcome);
        };
        if name == "Condition" && !s.unavailable_done {
            s.unavailable_done = true;
            return reply(&mut conn, 503, "retry-after: 1\r\n", outcome);
        }
        let start: usize = range
            .as_deref()
            .and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok())
            .unwrap_or(0);
        let body = &data[start..];
        let extra = if start > 0 {
            format!(
                "content-range: bytes {start}-{}/{}\r\n",
                data.len() - 1,
                data.len()
            )
        } else {
            String::new()
        };
        let status = if start > 0 { 206 } else { 200 };
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
            body.len()
        );
        let _ = conn.write_all(head.as_bytes());
        if name == "Observation" && !s.cut_done {
            s.cut_done = true;
            let _ = conn.write_all(&body[..body.len() / 2]);
            let _ = conn.shutdown(std::net::Shutdown::Both);
            return;
        }
        let _ = conn.write_all(body);
        return;
    }
    reply(&mut conn, 404, "", outcome);
}

fn synthetic(dir: &Path) -> Vec<(String, String, Vec<u8>)> {
    let spec = BulkSpec {
        patients: 40,
        ..BulkSpec::default()
    };
    generate_export(dir, &spec)
        .unwrap()
        .files
        .iter()
        .map(|p| {
            let t = p.file_stem().unwrap().to_str().unwrap().to_owned();
            (t.clone(), t, std::fs::read(p).unwrap())
        })
        .collect()
}

#[test]
fn fhir_export_fetches_a_slow_faulty_export_whole() {
    let root = tempfile::tempdir().unwrap();
    let files = synthetic(&root.path().join("server"));
    let (base, seen) = serve(files.clone(), false);
    let out = root.path().join("out");
    let stdout = assert_ok(&steadfast(&[
        "fhir",
        "export",
        &base,
        "--out",
        out.to_str().unwrap(),
        "--type",
        "Patient,Encounter,Condition,Observation",
        "--since",
        "2026-01-01T00:00:00Z",
        "--patient",
    ]));
    assert!(stdout.contains("exported 4 file(s)"), "{stdout}");
    for (t, _, data) in &files {
        assert!(
            std::fs::read(out.join(format!("{t}.ndjson"))).unwrap() == *data,
            "{t}"
        );
    }
    let seen = seen.lock().unwrap();
    assert_eq!((seen.polls, seen.deletes), (3, 1));
    let obs: Vec<_> = seen
        .file_requests
        .iter()
        .filter(|r| r.0 == "Observation")
        .collect();
    assert_eq!(obs.len(), 2);
    assert!(
        obs[1].1.as_deref().is_some_and(|r| r.starts_with("bytes=")),
        "{obs:?}"
    );
    drop(seen);
    let manifest = out.join("manifest.json");
    assert_ok(&steadfast(&["validate-data", manifest.to_str().unwrap()]));
}

#[test]
fn fhir_export_exits_1_when_the_job_fails_and_2_on_usage_errors() {
    let root = tempfile::tempdir().unwrap();
    let (base, _) = serve(Vec::new(), true);
    let out = root.path().join("out");
    let out_s = out.to_str().unwrap();
    let failed = steadfast(&["fhir", "export", &base, "--out", out_s]);
    assert_error(&failed, 1, "HTTP 500");
    // A job that failed is not kept for a rerun to resume (it would fail forever).
    assert!(!out.join(".steadfast-export.json").exists());
    assert!(!String::from_utf8_lossy(&failed.stderr).contains("run the same command again"));
    assert_error(
        &steadfast(&["fhir", "export", &base, "--out", out_s, "--type", "patient"]),
        2,
        "not a FHIR resource type name",
    );
    assert_error(
        &steadfast(&["fhir", "export", "ftp://x/", "--out", out_s]),
        2,
        "invalid FHIR base URL",
    );
    assert_error(
        &steadfast(&["fhir", "export", &base, "--out", out_s, "--group", "../x"]),
        2,
        "a group id is 1 to 64",
    );
    let missing = root.path().join("no-such-auth.json");
    assert_error(
        &steadfast(&[
            "fhir",
            "export",
            &base,
            "--out",
            out_s,
            "--auth",
            missing.to_str().unwrap(),
        ]),
        2,
        "--auth",
    );
    let auth = root.path().join("auth.json");
    std::fs::File::create(&auth)
        .and_then(|mut f| f.write_all(br#"{"client_id": "c", "kid": "k"}"#))
        .unwrap();
    assert_error(
        &steadfast(&[
            "fhir",
            "export",
            &base,
            "--out",
            out_s,
            "--auth",
            auth.to_str().unwrap(),
        ]),
        2,
        "exactly one of key_file and key_env",
    );
}

#[test]
fn fhir_export_killed_with_sigkill_resumes_and_fetches_only_the_rest() {
    let root = tempfile::tempdir().unwrap();
    let files = synthetic(&root.path().join("server"));
    let (stalled_tx, stalled) = std::sync::mpsc::channel();
    let seen = Seen {
        stall: Some(stalled_tx),
        // The 503 and the cut are for the other test.
        unavailable_done: true,
        cut_done: true,
        ..Seen::default()
    };
    let (base, seen) = serve_with(files.clone(), false, seen);
    let out = root.path().join("out");
    let args = [
        "fhir",
        "export",
        &base,
        "--out",
        out.to_str().unwrap(),
        "--concurrency",
        "1",
    ];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Observation is the last file: the others are in when its request hangs.
    let release = stalled
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the export reached its last file");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(release);
    assert!(out.join(".steadfast-export.json").is_file());
    let first: Vec<String> = seen
        .lock()
        .unwrap()
        .file_requests
        .drain(..)
        .map(|r| r.0)
        .collect();
    assert_eq!(first, ["Patient", "Encounter", "Condition", "Observation"]);
    let polls = seen.lock().unwrap().polls;

    let stdout = assert_ok(&steadfast(&args));
    assert!(stdout.contains("(resumed)"), "{stdout}");
    assert_eq!(
        stdout.matches("(from an earlier run)").count(),
        3,
        "{stdout}"
    );
    let seen = seen.lock().unwrap();
    let second: Vec<&str> = seen.file_requests.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(second, ["Observation"]);
    assert!(seen.polls > polls, "the same job polled again");
    assert_eq!(seen.deletes, 1);
    for (t, _, data) in &files {
        assert!(
            std::fs::read(out.join(format!("{t}.ndjson"))).unwrap() == *data,
            "{t}"
        );
    }
    assert!(!out.join(".steadfast-export.json").exists());
}
