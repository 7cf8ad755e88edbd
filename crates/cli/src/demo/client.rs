//! The demo's HTTP client: a GET through the workspace's client (`steadfast::http`) driven
//! from the synchronous pipeline and paced by the adaptive rate limiter, returning the
//! status, `Retry-After` and body, with errors the retry crate can classify (transport
//! failures as `io::Error`s of the right kind).

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use steadfast::http::{HttpClient, HttpSettings};
use steadfast::retry::{AdaptiveRateLimiter, Decision, classify_http, classify_io};

/// The media type the demo asks for.
pub(crate) const FHIR_JSON: &str = "application/fhir+json";

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

impl std::error::Error for FetchError {}

impl FetchError {
    /// The same error again: a cache shares an origin's error between the callers waiting
    /// on it, so each gets its own copy (an I/O error keeps its kind and text).
    pub(crate) fn copy(&self) -> Self {
        match self {
            Self::Io(e) => Self::Io(std::io::Error::new(e.kind(), e.to_string())),
            Self::Status {
                status,
                retry_after,
            } => Self::Status {
                status: *status,
                retry_after: retry_after.clone(),
            },
            Self::Malformed(m) => Self::Malformed(m.clone()),
        }
    }

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

/// GETs JSON from the mock server at one address, one request per connection, at the
/// pace of an adaptive rate limiter (halved on 429s).
pub(crate) struct Client {
    addr: SocketAddr,
    http: HttpClient,
    limiter: AdaptiveRateLimiter,
    /// Drives the async client from the synchronous pipeline.
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client of `addr` whose connects and requests end after `timeout`.
    pub(crate) fn new(
        addr: SocketAddr,
        timeout: Duration,
        limiter: AdaptiveRateLimiter,
    ) -> anyhow::Result<Self> {
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
            limiter,
            runtime,
        })
    }

    /// GETs `path` and parses the body as JSON; the body's length with it.
    pub(crate) fn get_json(&self, path: &str) -> Result<(serde_json::Value, usize), FetchError> {
        let origin = self.origin(path);
        self.block_on(async { origin.get(std::iter::empty()).await?.json() })
    }

    /// One GET of `path`, to be made (owned, so a cache can make it when it misses).
    pub(crate) fn origin(&self, path: &str) -> Origin {
        Origin {
            http: self.http.clone(),
            url: format!("http://{}{path}", self.addr),
            limiter: self.limiter.clone(),
        }
    }

    /// Runs `f` to completion on the client's runtime.
    pub(crate) fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

/// One GET of the mock server: paced by the limiter, validators sent along.
pub(crate) struct Origin {
    http: HttpClient,
    url: String,
    limiter: AdaptiveRateLimiter,
}

/// The headers of an answer a cache keeps or a retry reads; nothing else is needed.
pub(crate) const KEPT_HEADERS: [&str; 6] = [
    "content-type",
    "cache-control",
    "etag",
    "last-modified",
    "expires",
    "retry-after",
];

impl Origin {
    /// Makes the request with `validators` (`If-None-Match`, …; none without a cache); any
    /// status is an answer, a transport failure an error.
    pub(crate) async fn get(
        self,
        validators: impl Iterator<Item = (&'static str, &str)>,
    ) -> Result<Page, FetchError> {
        self.limiter.acquire_async().await;
        let mut request = self.http.get(&self.url).header("accept", FHIR_JSON);
        for (name, value) in validators {
            request = request.header(name, value);
        }
        let response = self
            .http
            .send(request)
            .await
            .map_err(FetchError::from_client)?;
        let status = response.status().as_u16();
        match status {
            200 | 304 => self.limiter.on_success(),
            429 => self.limiter.on_throttled(),
            _ => {}
        }
        let headers = KEPT_HEADERS
            .into_iter()
            .filter_map(|name| {
                let value = response.headers().get(name)?.to_str().ok()?;
                Some((name, value.to_owned()))
            })
            .collect();
        let body = if status == 200 {
            HttpClient::body(response, usize::MAX)
                .await
                .map_err(FetchError::from_client)?
        } else {
            Vec::new()
        };
        Ok(Page {
            status,
            headers,
            body,
        })
    }
}

/// An answer of the mock server.
pub(crate) struct Page {
    pub(crate) status: u16,
    /// Of [`KEPT_HEADERS`], those it sent.
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
}

impl Page {
    /// Its JSON and length on a 200, else its status as an error.
    fn json(&self) -> Result<(serde_json::Value, usize), FetchError> {
        let retry_after = self
            .headers
            .iter()
            .find(|(name, _)| *name == "retry-after")
            .map(|(_, v)| v.as_str());
        page_json(self.status, retry_after, &self.body)
    }
}

/// What a page's answer says: its JSON and length on a 200, else the status as an error
/// (with `Retry-After`, for the retry policy).
pub(crate) fn page_json(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Result<(serde_json::Value, usize), FetchError> {
    if status != 200 {
        return Err(FetchError::Status {
            status,
            retry_after: retry_after.map(str::to_owned),
        });
    }
    let value = serde_json::from_slice(body).map_err(|e| FetchError::Malformed(e.to_string()))?;
    Ok((value, body.len()))
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
