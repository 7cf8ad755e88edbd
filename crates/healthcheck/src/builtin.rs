//! Built-in checks: TCP connect, HTTP GET with an expected status, a FHIR server's
//! `/metadata`, process and system memory, disk (feature `diskwatch`), and pipeline
//! staleness (the last successful run under a runs root is too old).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use steadfast_core::{RunDir, RunState};
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
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// GETs `path` from `addr` over HTTP/1.1; pass on the expected status.
#[derive(Debug, Clone)]
pub struct HttpCheck {
    addr: SocketAddr,
    path: String,
    expect: u16,
}

impl HttpCheck {
    /// A GET of `http://addr{path}` expecting 200.
    pub fn new(addr: SocketAddr, path: impl Into<String>) -> Self {
        Self {
            addr,
            path: path.into(),
            expect: 200,
        }
    }

    /// Expect another status.
    #[must_use]
    pub fn expect_status(mut self, status: u16) -> Self {
        self.expect = status;
        self
    }
}

/// One GET; the status and body (at most 1 MiB).
async fn get(addr: SocketAddr, path: &str, accept: &str) -> Result<(u16, Vec<u8>), &'static str> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::ConnectionRefused {
            "connection refused"
        } else {
            "connection failed"
        }
    })?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
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
            match get(self.addr, &self.path, "*/*").await {
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
    base: String,
}

impl FhirCheck {
    /// The server at `http://addr{base}` (base `""` or `/fhir`).
    pub fn new(addr: SocketAddr, base: impl Into<String>) -> Self {
        Self {
            addr,
            base: base.into(),
        }
    }
}

impl Check for FhirCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let path = format!("{}/metadata", self.base.trim_end_matches('/'));
            match get(self.addr, &path, "application/fhir+json").await {
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

/// System memory available, against a floor (cgroup-aware through diskwatch's reader
/// when the feature is on; else `/proc/meminfo`).
#[derive(Debug, Clone)]
pub struct MemoryCheck {
    min_available: u64,
}

impl MemoryCheck {
    /// Fail below `min_available` bytes available; warn below twice that.
    pub fn new(min_available: u64) -> Self {
        Self { min_available }
    }
}

fn available_memory() -> Option<u64> {
    #[cfg(feature = "diskwatch")]
    {
        steadfast_diskwatch::available_memory().ok()
    }
    #[cfg(not(feature = "diskwatch"))]
    {
        let text = std::fs::read_to_string("/proc/meminfo").ok()?;
        let kb: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    }
}

impl Check for MemoryCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let Some(available) = available_memory() else {
                return CheckOutput::warn("memory unknown");
            };
            #[allow(clippy::cast_precision_loss, reason = "bytes for display")]
            let out = |o: CheckOutput| o.observed(available as f64, "bytes");
            if available < self.min_available {
                out(CheckOutput::fail("below minimum"))
            } else if available < self.min_available.saturating_mul(2) {
                out(CheckOutput::warn("near minimum"))
            } else {
                out(CheckOutput::pass())
            }
        })
    }
}

/// The free share of the disk holding `path`, through steadfast-diskwatch's watermarks
/// (feature `diskwatch`): high warns, flood fails.
#[cfg(feature = "diskwatch")]
#[derive(Debug, Clone)]
pub struct DiskCheck {
    path: PathBuf,
    watermarks: steadfast_diskwatch::Watermarks,
}

#[cfg(feature = "diskwatch")]
impl DiskCheck {
    /// A check of the disk holding `path` against `watermarks`.
    pub fn new(path: impl Into<PathBuf>, watermarks: steadfast_diskwatch::Watermarks) -> Self {
        Self {
            path: path.into(),
            watermarks,
        }
    }
}

#[cfg(feature = "diskwatch")]
impl Check for DiskCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let Ok(space) = steadfast_diskwatch::check(&self.path) else {
                return CheckOutput::fail("disk unreadable");
            };
            let used = space.used_ratio() * 100.0;
            let out = match self.watermarks.level_of(&space) {
                steadfast_diskwatch::Level::Flood => CheckOutput::fail("above flood watermark"),
                steadfast_diskwatch::Level::High => CheckOutput::warn("above high watermark"),
                _ => CheckOutput::pass(),
            };
            out.observed(used, "percent")
        })
    }
}

/// Pipeline staleness: the newest *finished* run of `pipeline` under `root` must be younger
/// than `max_age` — the check a batch pipeline's operators want most.
#[derive(Debug, Clone)]
pub struct StalenessCheck {
    root: PathBuf,
    pipeline: String,
    max_age: Duration,
}

impl StalenessCheck {
    /// Fail when the last finished run of `pipeline` under `root` is older than `max_age`.
    pub fn new(root: impl Into<PathBuf>, pipeline: impl Into<String>, max_age: Duration) -> Self {
        Self {
            root: root.into(),
            pipeline: pipeline.into(),
            max_age,
        }
    }
}

impl Check for StalenessCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let Ok(runs) = RunDir::list(&self.root) else {
                return CheckOutput::fail("runs root unreadable");
            };
            let last = runs
                .iter()
                .filter(|r| r.pipeline == self.pipeline)
                .filter_map(|r| r.dir.read_manifest().ok())
                .find(|m| m.state == RunState::Finished)
                .and_then(|m| m.finished);
            let Some(finished) = last else {
                return CheckOutput::fail("no finished run");
            };
            let age = steadfast_core::Timestamp::now().since(finished);
            let out = if age > self.max_age {
                CheckOutput::fail("last run too old")
            } else {
                CheckOutput::pass()
            };
            out.observed(age.as_secs_f64(), "s")
        })
    }
}
