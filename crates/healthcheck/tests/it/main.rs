//! Integration tests of `steadfast-healthcheck` against real things on 127.0.0.1: a closed
//! port, a listener that never answers, a FHIR `/metadata` stub, and the server itself.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod blocked;
mod checks;
mod config;
mod datastores;
mod declared;
mod hygiene;
mod layer;
#[cfg(feature = "prometheus")]
mod metrics_after_start;
mod observability;
mod pool;
mod router;
mod server;
mod subscribe;
mod tls;
mod tls_datastores;
#[cfg(any(feature = "postgres", feature = "redis"))]
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A GET over a real connection: status, headers (lower-case names), body.
pub(crate) async fn get(
    addr: SocketAddr,
    path: &str,
    auth: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let auth = auth
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// A listener that accepts connections and never answers.
pub(crate) async fn black_hole() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    addr
}

/// A FHIR server stub answering `/metadata` with a CapabilityStatement.
pub(crate) async fn fhir_stub(body: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

/// A port with nothing listening.
pub(crate) async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

/// Makes a FIFO at `path` with the `mkfifo` tool. Without the tool: `false` with a message
/// locally, a failure when `CI` is set.
#[allow(
    clippy::disallowed_methods,
    reason = "the test environment, not configuration: CI decides skip or fail"
)]
pub(crate) fn mkfifo(path: &std::path::Path) -> bool {
    match std::process::Command::new("mkfifo").arg(path).status() {
        Ok(status) if status.success() => true,
        other => {
            steadfast_testkit::skip(&format!("mkfifo is not available ({other:?})"));
            false
        }
    }
}
