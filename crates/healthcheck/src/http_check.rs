//! HTTP(S) checks on the workspace's client (`steadfast-http`): a GET with an expected
//! status, and a FHIR server's `metadata`. The public output is a fixed phrase
//! ("certificate not trusted"); the details go to the log, once per change.

use std::path::PathBuf;
use std::sync::Arc;

use steadfast_http::{HttpClient, HttpSettings, reqwest};

use crate::builtin::ms;
use crate::check::{BoxFuture, Check, CheckOutput};
use crate::error::Error;
use crate::failure_log::FailureLog;

/// The most of a body a check reads.
const BODY_LIMIT: usize = 1 << 20;

/// The URL and client both checks share, and the last failure logged.
#[derive(Debug, Clone)]
struct Target {
    url: reqwest::Url,
    client: HttpClient,
    log: Arc<FailureLog>,
}

impl Target {
    fn new(url: &str) -> Result<Self, Error> {
        let url = crate::target::http_url(url).map_err(|reason| Error::InvalidUrl {
            url: steadfast_core::redact_credentials(url).into_owned(),
            reason,
        })?;
        Ok(Self {
            url,
            client: HttpSettings::default().build()?,
            log: Arc::default(),
        })
    }

    /// One GET; the response, or the failure's fixed phrase (its details logged).
    async fn get(
        &self,
        url: reqwest::Url,
        headers: &[(&str, String)],
    ) -> Result<reqwest::Response, &'static str> {
        let mut request = self.client.get(url);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        match self.client.send(request).await {
            Ok(response) => {
                self.log.passed();
                Ok(response)
            }
            Err(err) => {
                self.log.failed("health check request", err.to_string());
                Err(err.reason())
            }
        }
    }
}

/// GETs a URL (http or https, a host name resolved at each connection); pass on the
/// expected status (200), observed: latency in ms.
///
/// ```
/// use steadfast_healthcheck::{Check, HttpCheck};
/// let check = HttpCheck::new("https://ehr.example/health")?.expect_status(204);
/// assert!(check.is_external());
/// assert!(HttpCheck::new("ftp://ehr.example/").is_err());
/// # Ok::<(), steadfast_healthcheck::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HttpCheck {
    target: Target,
    expect: u16,
}

impl HttpCheck {
    /// A GET of `url` expecting 200, through a client with default settings (system roots,
    /// proxies from the environment).
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] when `url` is not an `http://` or `https://` URL (or carries
    /// credentials); [`Error::Http`] when the default client cannot be built.
    pub fn new(url: &str) -> Result<Self, Error> {
        Ok(Self {
            target: Target::new(url)?,
            expect: 200,
        })
    }

    /// Uses `client` (an extra CA, a client certificate, other timeouts).
    #[must_use]
    pub fn client(mut self, client: HttpClient) -> Self {
        self.target.client = client;
        self
    }

    /// Expect another status.
    #[must_use]
    pub fn expect_status(mut self, status: u16) -> Self {
        self.expect = status;
        self
    }
}

impl Check for HttpCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            match self.target.get(self.target.url.clone(), &[]).await {
                Ok(response) if response.status().as_u16() == self.expect => {
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

/// Where a FHIR check's bearer token comes from.
#[derive(Clone)]
enum Token {
    Value(String),
    /// Read at each run: a mounted secret rotates.
    File(PathBuf),
}

/// A FHIR server's `{base}/metadata` (`Accept: application/fhir+json`) must be a
/// `CapabilityStatement`; its `fhirVersion` is the observed value (`4.01` for 4.0.1).
///
/// ```
/// use steadfast_healthcheck::{Check, FhirCheck};
/// let check = FhirCheck::new("https://ehr.example/fhir")?.bearer_token("s3cret");
/// assert!(check.is_external());
/// assert!(!format!("{check:?}").contains("s3cret"));
/// # Ok::<(), steadfast_healthcheck::Error>(())
/// ```
#[derive(Clone)]
pub struct FhirCheck {
    target: Target,
    token: Option<Token>,
}

impl std::fmt::Debug for FhirCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FhirCheck")
            .field("metadata", &self.target.url.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl FhirCheck {
    /// The server whose base URL is `base` (`https://ehr.example/fhir`).
    ///
    /// # Errors
    /// As [`HttpCheck::new`].
    pub fn new(base: &str) -> Result<Self, Error> {
        let mut target = Target::new(base)?;
        let path = format!("{}/metadata", target.url.path().trim_end_matches('/'));
        target.url.set_path(&path);
        Ok(Self {
            target,
            token: None,
        })
    }

    /// Uses `client` (an extra CA, a client certificate, other timeouts).
    #[must_use]
    pub fn client(mut self, client: HttpClient) -> Self {
        self.target.client = client;
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    #[must_use]
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Token::Value(token.into()));
        self
    }

    /// Sends the token in `path` (read at each run, so a rotated secret is followed).
    #[must_use]
    pub fn bearer_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token = Some(Token::File(path.into()));
        self
    }

    async fn headers(&self) -> Result<Vec<(&'static str, String)>, &'static str> {
        let mut headers = vec![("accept", "application/fhir+json".to_owned())];
        let token = match &self.token {
            None => return Ok(headers),
            Some(Token::Value(token)) => token.clone(),
            Some(Token::File(path)) => match read_token(path.clone()).await {
                Ok(token) => token,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot read the FHIR bearer token");
                    return Err("token not readable");
                }
            },
        };
        headers.push(("authorization", format!("Bearer {token}")));
        Ok(headers)
    }
}

/// A token file's first line, read on the blocking pool (the run's timeout bounds it).
async fn read_token(path: PathBuf) -> std::io::Result<String> {
    tokio::task::spawn_blocking(move || {
        let text = std::fs::read_to_string(path)?;
        Ok(text.trim().to_owned())
    })
    .await
    .map_err(std::io::Error::other)?
}

/// `"4.0.1"` → 4.01, a number a dashboard can plot.
fn fhir_version(text: &str) -> Option<f64> {
    let mut parts = text.split('.');
    let major: f64 = parts.next()?.parse().ok()?;
    let minor: f64 = parts.next().unwrap_or("0").parse().ok()?;
    let patch: f64 = parts.next().unwrap_or("0").parse().ok()?;
    Some(major + minor / 10.0 + patch / 100.0)
}

impl Check for FhirCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let headers = match self.headers().await {
                Ok(headers) => headers,
                Err(reason) => return CheckOutput::fail(reason),
            };
            let response = match self.target.get(self.target.url.clone(), &headers).await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => response,
                Ok(response) if response.status() == reqwest::StatusCode::UNAUTHORIZED => {
                    return CheckOutput::fail("unauthorized");
                }
                Ok(_) => return CheckOutput::fail("unexpected status"),
                Err(reason) => return CheckOutput::fail(reason),
            };
            let Ok(body) = HttpClient::body(response, BODY_LIMIT).await else {
                return CheckOutput::fail("response failed");
            };
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
                return CheckOutput::fail("not a CapabilityStatement");
            };
            if v["resourceType"] != "CapabilityStatement" {
                return CheckOutput::fail("not a CapabilityStatement");
            }
            match v["fhirVersion"].as_str().and_then(fhir_version) {
                Some(v) => CheckOutput::pass().observed(v, "fhirVersion"),
                None => CheckOutput::warn("no fhirVersion"),
            }
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}
