//! `steadfast health serve --config`: checks declared in `[[health.checks]]` (disk with
//! `[disk]` watermarks, tcp, http, PostgreSQL and Redis) served against real things on
//! 127.0.0.1, names only for unauthorised callers, a stopped dependency failing readiness
//! within ttl + timeout, and a bad entry refused with its place and exit 2.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// An HTTP server on 127.0.0.1 answering every request `200 ok`, until dropped.
struct Stub {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stub {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(SeqCst) {
                    return; // the listener closes: the port refuses from now on
                }
                let Ok(mut stream) = stream else { continue };
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Kills the server when the test ends, however it ends. Its stdout stays open until
/// then: a closed pipe would end it early.
pub(crate) struct Serving {
    child: Child,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET: status and body.
pub(crate) fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// `steadfast health serve --config <config>` on a free port, and the address it serves.
pub(crate) fn serve(config: &std::path::Path, env: &[(&str, String)]) -> (Serving, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(["health", "serve", "--addr", "127.0.0.1:0", "--config"])
        .arg(config)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let serving = Serving {
        child,
        _stdout: stdout,
    };
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .unwrap();
    (serving, addr)
}

/// Polls `/health/ready` (authorised) until `done` holds for its answer, or 10 s pass.
pub(crate) fn wait_for(
    addr: SocketAddr,
    token: &str,
    done: impl Fn(u16, &str) -> bool,
) -> (u16, String) {
    let start = Instant::now();
    loop {
        let (status, body) = get(addr, "/health/ready", Some(token));
        if done(status, &body) || start.elapsed() > Duration::from_secs(10) {
            return (status, body);
        }
        // A short pause between polls (clippy bans thread::sleep; waking early is harmless).
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

#[test]
fn declared_checks_are_served_against_live_services() {
    let stub = Stub::start();
    let dir = tempfile::tempdir().unwrap();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let pg = steadfast_testkit::require_service("STEADFAST_TEST_PG", "PostgreSQL");
    let redis = steadfast_testkit::require_service("STEADFAST_TEST_REDIS", "Redis");
    let mut toml = format!(
        r#"[health]
show_details = "when_authorized"
token = "t0ken"
check_timeout = "500ms"
check_ttl = "500ms"

# Sizes are free space: less than 900PiB free is past "high" on any disk.
[disk.watermarks]
low = "1000PiB"
high = "900PiB"
flood = "1B"

[[health.checks]]
name = "disk:utilization"
kind = "disk"
path = "{dir}"

[[health.checks]]
name = "queue:connect"
kind = "tcp"
addr = "{stub}"

[[health.checks]]
name = "api:status"
kind = "http"
url = "http://{stub}/status"

[[health.checks]]
name = "db:replica"
kind = "postgres"
url = "postgres://etl@{closed}/fhir"
password = "${{REPLICA_PASSWORD}}"
critical = false
"#,
        dir = dir.path().display(),
        stub = stub.addr,
    );
    let mut env = vec![("REPLICA_PASSWORD", "replica-s3cret".to_owned())];
    let mut live = vec![];
    if let Some(url) = pg {
        toml.push_str(
            "\n[[health.checks]]\nname = \"db:ping\"\nkind = \"postgres\"\nurl = \"${PG_URL}\"\ntimeout = \"5s\"\n",
        );
        env.push(("PG_URL", url));
        live.push("db:ping");
    }
    if let Some(url) = redis {
        toml.push_str("\n[[health.checks]]\nname = \"cache:ping\"\nkind = \"redis\"\nurl = \"${REDIS_URL}\"\ntimeout = \"5s\"\n");
        env.push(("REDIS_URL", url));
        live.push("cache:ping");
    }
    let config = dir.path().join("steadfast.toml");
    steadfast::run::atomic_write(&config, &toml).unwrap();
    let (_server, addr) = serve(&config, &env);

    // Every declared check has run: the live ones pass, the replica (non-critical) fails,
    // the disk is past [disk]'s high watermark (warn): readiness is warn, 200.
    let (status, body) = wait_for(addr, "t0ken", |_, b| !b.contains("not checked yet"));
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let check = |name: &str| report["checks"][name][0].clone();
    assert_eq!(status, 200, "{body}");
    assert_eq!(report["status"], "warn", "{body}");
    for name in ["queue:connect", "api:status"].iter().chain(&live) {
        assert_eq!(check(name)["status"], "pass", "{name}: {body}");
    }
    assert_eq!(check("disk:utilization")["output"], "above high watermark");
    assert_eq!(check("db:replica")["output"], "connection failed");
    let names: Vec<&String> = report["checks"].as_object().unwrap().keys().collect();
    assert_eq!(
        names.len(),
        4 + live.len(),
        "exactly the declared checks: {names:?}"
    );

    // Unauthorised callers see names and statuses only.
    let (_, public) = get(addr, "/health", None);
    assert!(public.contains("disk:utilization") && public.contains("reason withheld"));
    for hidden in [
        "above high watermark",
        "connection failed",
        "observedValue",
        "s3cret",
    ] {
        assert!(!public.contains(hidden), "{hidden} in {public}");
    }

    // The dependency stops: readiness fails within ttl + timeout (plus polling).
    drop(stub);
    let stopped = Instant::now();
    let (status, body) = wait_for(addr, "t0ken", |s, _| s == 503);
    let took = stopped.elapsed();
    eprintln!("readiness failed {took:?} after the dependency stopped (ttl 500ms, timeout 500ms)");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("connection refused"), "{body}");
    assert!(
        took < Duration::from_millis(500 + 500 + 500),
        "failed after {took:?}"
    );
}

#[test]
fn a_bad_entry_is_refused_with_its_place_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    steadfast::run::atomic_write(
        &config,
        "[[health.checks]]\nname = \"db:ping\"\nkind = \"tcp\"\nadr = \"127.0.0.1:5432\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_steadfast"))
        .args(["health", "serve", "--addr", "127.0.0.1:0", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    crate::assert_error(
        &out,
        2,
        "bad.toml:4:1: unknown key 'adr' in [health.checks[0]]; did you mean 'addr'?",
    );
}
