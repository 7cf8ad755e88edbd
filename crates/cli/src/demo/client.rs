//! The demo's HTTP client: a GET through the workspace's client (`steadfast::http`) driven
//! from the synchronous pipeline, returning the status, `Retry-After` and body, with errors
//! the retry crate can classify (transport failures as `io::Error`s of the right kind).

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use steadfast::http::{HttpClient, HttpSettings, reqwest};
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
    /// The answer was not HTTP or not JSON, or the connection cannot be trusted.
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

    /// A client error as the retry crate knows transport failures: refused, timed out,
    /// reset (a server that closed the connection without answering); certificate and
    /// settings problems stop.
    fn from_client(err: steadfast::http::Error) -> Self {
        use std::io::{Error, ErrorKind};
        use steadfast::http::Error as E;
        let io = |kind, text: &str| Self::Io(Error::new(kind, text.to_owned()));
        match err {
            E::Refused { .. } => io(ErrorKind::ConnectionRefused, "connection refused"),
            E::Timeout { .. } => io(ErrorKind::TimedOut, "timed out"),
            E::Dns { .. } => io(ErrorKind::NotFound, "name not resolved"),
            E::Request { .. } => io(
                ErrorKind::ConnectionReset,
                "the server closed the connection without answering",
            ),
            other => Self::Malformed(other.to_string()),
        }
    }
}

/// GETs JSON from the mock server at one address, one request per connection.
pub(crate) struct Client {
    addr: SocketAddr,
    http: HttpClient,
    /// Drives the async client from the synchronous pipeline.
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client of `addr` whose connects and requests end after `timeout`.
    pub(crate) fn new(addr: SocketAddr, timeout: Duration) -> anyhow::Result<Self> {
        let http = HttpSettings::default()
            .connect_timeout(timeout)
            .timeout(timeout)
            .no_proxy()
            .build()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Self {
            addr,
            http,
            runtime,
        })
    }

    /// GETs `path` and parses the body as JSON; the body's length with it.
    pub(crate) fn get_json(&self, path: &str) -> Result<(serde_json::Value, usize), FetchError> {
        let url = format!("http://{}{path}", self.addr);
        self.runtime.block_on(async {
            let request = self
                .http
                .get(&url)
                .header("accept", "application/fhir+json");
            let response = self
                .http
                .send(request)
                .await
                .map_err(FetchError::from_client)?;
            let status = response.status().as_u16();
            if status != 200 {
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                return Err(FetchError::Status {
                    status,
                    retry_after,
                });
            }
            let body = HttpClient::body(response, usize::MAX)
                .await
                .map_err(FetchError::from_client)?;
            let value =
                serde_json::from_slice(&body).map_err(|e| FetchError::Malformed(e.to_string()))?;
            Ok((value, body.len()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use steadfast::http::Error;

    #[test]
    fn transport_failures_keep_their_retry_decisions() {
        let url = || "http://127.0.0.1:1/Patient".to_owned();
        let refused = FetchError::from_client(Error::Refused { url: url() });
        assert!(
            matches!(&refused, FetchError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused)
        );
        assert_eq!(refused.classify(), Decision::Retry);
        let timeout = FetchError::from_client(Error::Timeout { url: url() });
        assert_eq!(timeout.classify(), Decision::Retry);
        assert_eq!(timeout.to_string(), "connection failed: timed out");
        let untrusted = FetchError::from_client(Error::CertificateNotTrusted {
            url: url(),
            detail: "UnknownIssuer".to_owned(),
        });
        assert_eq!(untrusted.classify(), Decision::Stop);
    }
}
