//! Batch runs end before a scrape: pushes to a real `prometheus-pushgateway` on 127.0.0.1
//! (Debian package; `.ci/run` installs it), from async code and from inside a runtime; and
//! over https, trusting only the CA given.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use steadfast_prometheus::prometheus;
use steadfast_prometheus::{Error, push_blocking, push_to_gateway};

struct Gateway {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    raw.starts_with("HTTP/1.1 200").then_some(raw)
}

/// A real Pushgateway on a free port, ready; `None` (a skip, which fails in CI) when it is
/// not installed. One that is installed but never gets ready fails the test.
fn gateway() -> Option<Gateway> {
    let bin = steadfast_testkit::require_tool(
        "prometheus-pushgateway",
        "apt-get install prometheus-pushgateway",
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Command::new(bin)
        .arg(format!("--web.listen-address={addr}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let gw = Gateway { child, addr };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if get(addr, "/-/ready").is_some() {
            return Some(gw);
        }
        let _ = std::net::TcpStream::connect_timeout(
            &"127.0.0.1:9".parse().unwrap(),
            Duration::from_millis(100),
        );
    }
    panic!("the Pushgateway at {addr} did not get ready within 20 s");
}

fn registry(records: u64) -> prometheus::Registry {
    let registry = prometheus::Registry::new();
    let c = prometheus::IntCounterVec::new(
        prometheus::Opts::new("steadfast_records_total", "Records."),
        &["step"],
    )
    .unwrap();
    registry.register(Box::new(c.clone())).unwrap();
    c.with_label_values(&["bronze"]).inc_by(records);
    registry
}

#[test]
fn pushes_replace_the_group_and_run_ids_are_refused() {
    let Some(gw) = gateway() else {
        return;
    };
    let url = format!("http://{}", gw.addr);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(push_to_gateway(
        &url,
        "epic-fhir",
        &[("instance", "worker/3")],
        &registry(5),
    ))
    .unwrap();
    // Inside a runtime: the blocking form must neither block a worker nor panic.
    rt.block_on(async {
        push_blocking(&url, "epic-fhir", &[("instance", "worker/3")], &registry(7))
    })
    .unwrap();
    let body = get(gw.addr, "/metrics").unwrap();
    let line = body
        .lines()
        .find(|l| l.starts_with("steadfast_records_total{") && l.contains(r#"job="epic-fhir""#))
        .unwrap_or_else(|| panic!("{body}"));
    assert!(
        line.contains(r#"instance="worker/3""#) && line.ends_with(" 7"),
        "{line}"
    );
    let err = push_blocking(&url, "epic-fhir", &[("run_id", "r-1")], &registry(1)).unwrap_err();
    assert!(matches!(err, Error::PerRunGrouping(_)), "{err}");
}

/// https: a gateway behind a CA generated here is reached with that CA, and without it the
/// push stops at once (no retries) saying the certificate is not trusted.
#[test]
fn https_pushes_trust_the_given_ca_only() {
    use steadfast_http::HttpSettings;
    use steadfast_retry::RetryPolicy;
    use steadfast_testkit::tls::{TestCa, serve_https};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let files = ca.write(dir.path());
    rt.block_on(async {
        let addr = serve_https(ca.server_config(), 200, "text/plain", String::new()).await;
        let url = format!("https://localhost:{}", addr.port());
        let policy = RetryPolicy::exponential().max_retries(4);
        let trusting = HttpSettings::default()
            .ca_file(&files.ca)
            .no_proxy()
            .build()
            .unwrap();
        steadfast_prometheus::push_with_client(
            &trusting,
            &url,
            "epic-fhir",
            &[],
            &registry(1),
            &policy,
        )
        .await
        .unwrap();
        let untrusting = HttpSettings::default().no_proxy().build().unwrap();
        let started = Instant::now();
        let err = steadfast_prometheus::push_with_client(
            &untrusting,
            &url,
            "epic-fhir",
            &[],
            &registry(1),
            &policy,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("certificate not trusted"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "retried an untrusted certificate"
        );
    });
}
