//! `Run::serve`: health and metrics of a run in one call — `/health/ready` follows the
//! run, `/metrics` holds the retry, breaker, disk and profiler series and passes promtool.

use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A GET over HTTP/1.0 (so the body is never chunked): the status code and the body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let code = head.split(' ').nth(1).unwrap().parse().unwrap();
    (code, body.to_owned())
}

/// Polls `path` until `done` holds of the body (checks and the disk monitor run on their
/// own schedules), for at most 10 s.
fn until(addr: SocketAddr, path: &str, done: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let start = Instant::now();
    loop {
        let (code, body) = get(addr, path);
        if done(code, &body) || start.elapsed() > Duration::from_secs(10) {
            return (code, body);
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

#[test]
fn one_call_serves_health_readiness_and_every_series_of_the_run() {
    let root = tempfile::tempdir().unwrap();
    let run = steadfast::Run::builder("nightly")
        .runs_root(root.path())
        .set("health.addr=\"127.0.0.1:0\"")
        .set("health.drain=\"0s\"")
        .set("health.show_details=\"always\"")
        .set("retry.breaker.enabled=true")
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    let server = run.serve().unwrap();
    let addr = server.addr();
    let _ = run.retry().retry(|_| Ok::<_, &str>(()));
    run.profiler()
        .record("silver.flatten", Duration::from_millis(3));

    // Every check answers once it has run; until then readiness may say "not checked yet".
    let (code, body) = until(addr, "/health/ready", |c, b| {
        c == 200 && b.contains("run:state")
    });
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("run:state"), "{body}");
    let (code, _) = get(addr, "/health/live");
    assert_eq!(code, 200);

    // Each crate's own series names, under the default prefix.
    let prefix = steadfast::run::Prefix::default();
    let disk = prefix.name(steadfast::diskwatch::series::DISK_AVAILABLE_BYTES);
    let (code, metrics) = until(addr, "/metrics", |_, b| b.contains(&disk));
    assert_eq!(code, 200);
    for family in [
        steadfast::retry::series::RETRY_ATTEMPTS_TOTAL,
        steadfast::retry::series::RETRY_CIRCUIT_STATE,
        steadfast::diskwatch::series::DISK_AVAILABLE_BYTES,
        steadfast::perf_profiler::series::PROFILER_COMPONENT_SECONDS,
        steadfast::healthcheck::series::HEALTH_CHECK_STATUS,
        steadfast::healthcheck::series::HTTP_REQUESTS_TOTAL,
    ] {
        let name = prefix.name(family);
        assert!(metrics.contains(&name), "{name} missing from\n{metrics}");
    }
    if let Some(promtool) =
        steadfast_testkit::require_tool("promtool", "apt-get install prometheus")
    {
        steadfast_testkit::assert_promtool_clean(&promtool, &metrics);
    }

    // Finished: readiness says so; the server stays until stopped.
    run.finish().unwrap();
    let (_, body) = until(addr, "/health/ready", |_, b| b.contains("the run finished"));
    assert!(body.contains("the run finished"), "{body}");
    server.stop();
    assert!(std::net::TcpStream::connect(addr).is_err());
}
