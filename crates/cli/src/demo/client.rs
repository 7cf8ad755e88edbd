//! A minimal HTTP/1.1 GET for the demo (one request per connection), returning the status,
//! `Retry-After` and body, with errors the retry crate can classify.

use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use steadfast::retry::{Decision, classify_http, classify_io};

/// Why a fetch failed.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// Connecting, sending or reading failed (a reset, a timeout).
    Io(std::io::Error),
    /// The server answered with an error status.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// The answer was not HTTP or not JSON.
    Malformed(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "connection failed: {e}"),
            Self::Status { status, .. } => write!(f, "HTTP {status}"),
            Self::Malformed(m) => write!(f, "malformed response: {m}"),
        }
    }
}

impl FetchError {
    /// Retry, retry after the server's wait, or stop.
    pub(crate) fn classify(&self) -> Decision {
        match self {
            Self::Io(e) => classify_io(e),
            Self::Status {
                status,
                retry_after,
            } => classify_http(*status, retry_after.as_deref()),
            Self::Malformed(_) => Decision::Stop,
        }
    }
}

/// GETs `path` from `addr` and parses the body as JSON.
pub(crate) fn get_json(
    addr: SocketAddr,
    path: &str,
    timeout: Duration,
) -> Result<(serde_json::Value, usize), FetchError> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(FetchError::Io)?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(FetchError::Io)?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/fhir+json\r\nConnection: close\r\n\r\n")
        .map_err(FetchError::Io)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(FetchError::Io)?;
    if raw.is_empty() {
        return Err(FetchError::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "the server closed the connection without answering",
        )));
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| FetchError::Malformed("no end of headers".into()))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = &raw[split + 4..];
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| FetchError::Malformed("no status line".into()))?;
    if status != 200 {
        let retry_after = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("retry-after")
                .then(|| v.trim().to_owned())
        });
        return Err(FetchError::Status {
            status,
            retry_after,
        });
    }
    let value = serde_json::from_slice(body).map_err(|e| FetchError::Malformed(e.to_string()))?;
    Ok((value, body.len()))
}
