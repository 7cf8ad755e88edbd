//! `Run::finish` pushes the run's metrics to a real `prometheus-pushgateway` on 127.0.0.1
//! (Debian package; `.ci/run` installs it) and writes the textfile — and a gateway that is
//! down never fails the run. The push itself is tested in steadfast-prometheus.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

#[test]
fn run_finish_pushes_and_a_dead_gateway_never_fails_the_run() {
    let Some(gw) = gateway() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let textfile = root.path().join("steadfast.prom");
    let config = format!(
        "[metrics]\npushgateway = \"http://{}\"\ntextfile = \"{}\"\n",
        gw.addr,
        textfile.display()
    );
    let run = steadfast::Run::builder("nightly")
        .runs_root(root.path())
        .config_text("steadfast.toml", &config)
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    run.metrics().counter("bronze", "records").add(42);
    let report = run.finish().unwrap();
    assert!(
        matches!(report.exported, Some(Ok(()))),
        "{:?}",
        report.exported
    );
    let body = get(gw.addr, "/metrics").unwrap();
    assert!(
        body.lines()
            .any(|l| l.starts_with("steadfast_records_total{")
                && l.contains(r#"job="nightly""#)
                && l.ends_with(" 42")),
        "{body}"
    );
    assert!(!body.contains("run_id"), "the run id never becomes a label");
    assert!(
        std::fs::read_to_string(&textfile)
            .unwrap()
            .contains("steadfast_records_total")
    );

    // The gateway is gone: the run still finishes, with the failure reported.
    let dead = format!("[metrics]\npushgateway = \"http://{}\"\n", gw.addr);
    drop(gw);
    let run = steadfast::Run::builder("nightly")
        .runs_root(root.path())
        .config_text("steadfast.toml", &dead)
        .env_vars::<_, String, String>([])
        .start()
        .unwrap();
    let report = run.finish().unwrap();
    assert!(
        matches!(&report.exported, Some(Err(e)) if e.to_string().contains("failed")),
        "{:?}",
        report.exported
    );
}
