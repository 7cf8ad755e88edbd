//! A real Pushgateway (Debian `prometheus-pushgateway`) on a free port of 127.0.0.1, ready
//! before it is handed over and killed when dropped, and the plain HTTP GET the tests read
//! it with.
//!
//! ```no_run
//! if let Some(gateway) = steadfast_testkit::pushgateway::start() {
//!     assert!(steadfast_testkit::pushgateway::get(gateway.addr, "/-/ready").is_some());
//! }
//! ```
#![allow(
    clippy::unwrap_used,
    reason = "a fixture that cannot be set up fails the test"
)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Pushgateway; killed on drop.
#[derive(Debug)]
pub struct Pushgateway {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET of `path` at `addr`: the whole answer (head and body) when it is a 200, else
/// `None`.
pub fn get(addr: SocketAddr, path: &str) -> Option<String> {
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

/// A Pushgateway on a free port, ready; `None` (a skip, which [`require_tool`](crate::require_tool)
/// turns into a failure in CI) when it is not installed.
///
/// # Panics
/// When it is installed but does not get ready within 20 s.
pub fn start() -> Option<Pushgateway> {
    let bin = crate::require_tool(
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
    let gateway = Pushgateway { child, addr };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if get(addr, "/-/ready").is_some() {
            return Some(gateway);
        }
        // A bounded pause without sleeping: a connect to a closed port.
        let _ = std::net::TcpStream::connect_timeout(
            &"127.0.0.1:9".parse().unwrap(),
            Duration::from_millis(100),
        );
    }
    panic!("the Pushgateway at {addr} did not get ready within 20 s");
}
