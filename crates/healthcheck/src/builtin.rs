//! Built-in network checks: TCP connect, HTTP GET with an expected status, a FHIR server's
//! `/metadata`. (Checks that read local files are in `local.rs`.)

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::check::{BoxFuture, Check, CheckOutput};

/// Connects to `addr`; pass when the connection opens.
///
/// ```
/// use steadfast_healthcheck::{Check, TcpCheck};
/// let check = TcpCheck::new("127.0.0.1:1".parse().unwrap());
/// assert!(check.is_external());
/// ```
#[derive(Debug, Clone)]
pub struct TcpCheck {
    addr: SocketAddr,
}

impl TcpCheck {
    /// A check of `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }
}

impl Check for TcpCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            match TcpStream::connect(self.addr).await {
                Ok(_) => CheckOutput::pass().observed(ms(start.elapsed()), "ms"),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    CheckOutput::fail("connection refused")
                }
                Err(_) => CheckOutput::fail("connection failed"),
            }
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}

#[allow(clippy::cast_precision_loss, reason = "milliseconds for display")]
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// GETs `path` from `addr` over HTTP/1.1; pass on the expected status.
#[derive(Debug, Clone)]
pub struct HttpCheck {
    addr: SocketAddr,
    /// The `Host` header when not `addr` (a name the address was resolved from).
    host: Option<String>,
    path: String,
    expect: u16,
}

impl HttpCheck {
    /// A GET of `http://addr{path}` expecting 200.
    pub fn new(addr: SocketAddr, path: impl Into<String>) -> Self {
        Self {
            addr,
            host: None,
            path: path.into(),
            expect: 200,
        }
    }

    /// Sends `Host: host` (the name `addr` was resolved from) instead of the address.
    #[must_use]
    pub(crate) fn host_header(mut self, host: String) -> Self {
        self.host = Some(host);
        self
    }

    /// Expect another status.
    #[must_use]
    pub fn expect_status(mut self, status: u16) -> Self {
        self.expect = status;
        self
    }
}

/// One GET; the status and body (at most 1 MiB).
async fn get(
    addr: SocketAddr,
    host: Option<&str>,
    path: &str,
    accept: &str,
) -> Result<(u16, Vec<u8>), &'static str> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::ConnectionRefused {
            "connection refused"
        } else {
            "connection failed"
        }
    })?;
    let host = host.map_or_else(|| addr.to_string(), str::to_owned);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|_| "request failed")?;
    let mut raw = Vec::new();
    stream
        .take(1 << 20)
        .read_to_end(&mut raw)
        .await
        .map_err(|_| "response failed")?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed response")?;
    let status = std::str::from_utf8(&raw[..split])
        .ok()
        .and_then(|h| h.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("malformed response")?;
    Ok((status, raw[split + 4..].to_vec()))
}

impl Check for HttpCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            match get(self.addr, self.host.as_deref(), &self.path, "*/*").await {
                Ok((status, _)) if status == self.expect => {
                    CheckOutput::pass().observed(ms(start.elapsed()), "ms")
                }
                Ok(_) => CheckOutput::fail("unexpected status"),
                Err(reason) => CheckOutput::fail(reason),
            }
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}

/// A FHIR server's `/metadata` must return a `CapabilityStatement`; its `fhirVersion`
/// becomes the observed value (`4.01` for 4.0.1).
#[derive(Debug, Clone)]
pub struct FhirCheck {
    addr: SocketAddr,
    /// The `Host` header when not `addr` (a name the address was resolved from).
    host: Option<String>,
    base: String,
}

impl FhirCheck {
    /// The server at `http://addr{base}` (base `""` or `/fhir`).
    pub fn new(addr: SocketAddr, base: impl Into<String>) -> Self {
        Self {
            addr,
            host: None,
            base: base.into(),
        }
    }

    /// Sends `Host: host` (the name `addr` was resolved from) instead of the address.
    #[must_use]
    pub(crate) fn host_header(mut self, host: String) -> Self {
        self.host = Some(host);
        self
    }
}

impl Check for FhirCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let path = format!("{}/metadata", self.base.trim_end_matches('/'));
            match get(
                self.addr,
                self.host.as_deref(),
                &path,
                "application/fhir+json",
            )
            .await
            {
                Ok((200, body)) => {
                    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
                        return CheckOutput::fail("not a CapabilityStatement");
                    };
                    if v["resourceType"] != "CapabilityStatement" {
                        return CheckOutput::fail("not a CapabilityStatement");
                    }
                    // "4.0.1" → 4.01, a number a dashboard can plot.
                    let version = v["fhirVersion"].as_str().and_then(|s| {
                        let mut parts = s.split('.');
                        let major: f64 = parts.next()?.parse().ok()?;
                        let minor: f64 = parts.next().unwrap_or("0").parse().ok()?;
                        let patch: f64 = parts.next().unwrap_or("0").parse().ok()?;
                        Some(major + minor / 10.0 + patch / 100.0)
                    });
                    match version {
                        Some(v) => CheckOutput::pass().observed(v, "fhirVersion"),
                        None => CheckOutput::warn("no fhirVersion"),
                    }
                }
                Ok(_) => CheckOutput::fail("unexpected status"),
                Err(reason) => CheckOutput::fail(reason),
            }
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}
