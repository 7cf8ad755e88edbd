//! `steadfast health serve --config` against real TLS services on 127.0.0.1: PostgreSQL with
//! `sslmode=verify-full`, Redis over `rediss://` with a password, an https FHIR server, all
//! with certificates from a CA generated here, and a disk. Each declared check passes against
//! its live service and each service's check fails within ttl + timeout once it is stopped;
//! an unauthorised caller sees names and statuses only.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use steadfast_testkit::tls::{TestCa, serve_https};

use crate::health_config::{get, serve};

/// ttl and timeout of every declared check, in milliseconds.
const TTL_MS: u64 = 500;
const TIMEOUT_MS: u64 = 1000;

/// The first result of `name` in an authorised `/health`: status and output.
fn check(addr: SocketAddr, name: &str) -> (String, String) {
    let (_, body) = get(addr, "/health", Some("t0ken"));
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let first = &report["checks"][name][0];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    (text(&first["status"]), text(&first["output"]))
}

/// Polls `name` until its status is `want` or 10 s pass; the last answer and how long it took.
fn until(addr: SocketAddr, name: &str, want: &str) -> ((String, String), Duration) {
    let start = Instant::now();
    loop {
        let seen = check(addr, name);
        if seen.0 == want || start.elapsed() > Duration::from_secs(10) {
            return (seen, start.elapsed());
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

/// Asserts that `name` fails within ttl + timeout (plus polling) of its service stopping,
/// with one of `reasons`: which fixed phrase depends on whether the check's kept connection
/// saw the server go ("no answer", "request failed") or a new one was refused.
fn fails_soon(addr: SocketAddr, name: &str, reasons: &[&str]) {
    let ((status, output), took) = until(addr, name, "fail");
    eprintln!(
        "{name} failed {took:?} after its service stopped (ttl {TTL_MS} ms, timeout {TIMEOUT_MS} ms)"
    );
    assert_eq!(status, "fail", "{name}: {output}");
    assert!(reasons.contains(&output.as_str()), "{name}: {output}");
    assert!(
        took < Duration::from_millis(TTL_MS + TIMEOUT_MS + 500),
        "{name} failed only after {took:?}"
    );
}

#[test]
fn declared_tls_services_pass_live_and_fail_when_stopped() {
    let ca = TestCa::new();
    let Some(mut pg) = steadfast_testkit::servers::postgres(&ca) else {
        return;
    };
    let Some(mut redis) = steadfast_testkit::servers::redis(&ca, "r3dis-s3cret") else {
        return;
    };
    // An https FHIR server; dropping its runtime stops it.
    let fhir_rt = tokio::runtime::Runtime::new().unwrap();
    let capability =
        r#"{"resourceType":"CapabilityStatement","status":"active","fhirVersion":"4.0.1"}"#;
    let fhir = fhir_rt.block_on(serve_https(
        ca.server_config(),
        200,
        "application/fhir+json",
        capability.to_owned(),
    ));

    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let toml = format!(
        r#"[health]
show_details = "when_authorized"
token = "t0ken"
check_timeout = "{TIMEOUT_MS}ms"
check_ttl = "{TTL_MS}ms"

[disk.watermarks]
low = "1B"
high = "1B"
flood = "1B"

[[health.checks]]
name = "disk:data"
kind = "disk"
path = "{data}"

[[health.checks]]
name = "db:primary"
kind = "postgres"
url = "postgres://postgres@localhost:{pg}/postgres?sslmode=verify-full&sslrootcert={ca}"

[[health.checks]]
name = "cache:sessions"
kind = "redis"
url = "rediss://localhost:{redis}"
password = "${{REDIS_PASSWORD}}"
ca_file = "{ca}"

[[health.checks]]
name = "ehr:fhir"
kind = "fhir"
url = "https://localhost:{fhir_port}/fhir"
ca_file = "{ca}"
"#,
        data = data.display(),
        pg = pg.port,
        redis = redis.port,
        fhir_port = fhir.port(),
        ca = files.ca.display(),
    );
    let config = dir.path().join("steadfast.toml");
    steadfast::run::atomic_write(&config, &toml).unwrap();
    let env = [("REDIS_PASSWORD", "r3dis-s3cret".to_owned())];
    let (_server, addr) = serve(&config, &env);

    for name in ["disk:data", "db:primary", "cache:sessions", "ehr:fhir"] {
        let ((status, output), _) = until(addr, name, "pass");
        assert_eq!(status, "pass", "{name}: {output}");
    }
    // Unauthorised callers: names and statuses, never reasons, URLs or secrets.
    let (code, public) = get(addr, "/health", None);
    assert_eq!(code, 200, "{public}");
    assert!(
        public.contains("db:primary") && public.contains("ehr:fhir"),
        "{public}"
    );
    for hidden in [
        "localhost",
        "r3dis",
        "sslrootcert",
        "observedValue",
        "4.0.1",
    ] {
        assert!(!public.contains(hidden), "{hidden} in {public}");
    }

    pg.stop();
    fails_soon(addr, "db:primary", &["connection failed", "no answer"]);
    redis.stop();
    fails_soon(addr, "cache:sessions", &["connection failed", "no answer"]);
    drop(fhir_rt);
    fails_soon(
        addr,
        "ehr:fhir",
        &["connection refused", "connection failed", "request failed"],
    );
    // The disk keeps passing ([disk]'s watermarks are honoured; a missing directory is
    // measured on its nearest existing parent, as preflight does for a run about to be made),
    // so readiness fails on the three stopped services alone.
    assert_eq!(check(addr, "disk:data").0, "pass");
    let (code, _) = get(addr, "/health/ready", None);
    assert_eq!(code, 503);
}
