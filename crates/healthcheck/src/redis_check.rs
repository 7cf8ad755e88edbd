//! [`RedisCheck`]: `PING` through the `redis` crate (feature `redis`), over TLS for
//! `rediss://`, with `AUTH` user/password from the URL or from [`RedisCheck::password`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redis::IntoConnectionInfo;

use crate::builtin::ms;
use crate::check::{BoxFuture, Check, CheckOutput};
use crate::error::Error;
use crate::failure_log::FailureLog;

/// Redis `PING`: pass on `PONG`, observed: latency in ms. The URL is
/// `redis[s]://[[user]:password@]host[:port][/db]`; `rediss://` speaks TLS, trusting the
/// system's roots or [`RedisCheck::ca_file`]. Passwords are never shown.
///
/// ```
/// use steadfast_healthcheck::{Check, RedisCheck};
/// let check = RedisCheck::new("rediss://app:s3cret@cache.internal:6380")?;
/// assert!(check.is_external());
/// assert!(!format!("{check:?}").contains("s3cret"));
/// assert!(RedisCheck::new("http://cache.internal").is_err());
/// # Ok::<(), steadfast_healthcheck::Error>(())
/// ```
#[derive(Clone)]
pub struct RedisCheck {
    info: redis::ConnectionInfo,
    /// PEM of the CA to trust instead of the system's (`rediss://` only).
    ca: Option<Vec<u8>>,
    log: Arc<FailureLog>,
}

impl std::fmt::Debug for RedisCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCheck")
            .field("addr", &self.info.addr().to_string())
            .field("tls", &self.is_tls())
            .finish_non_exhaustive()
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidConnectionString {
        kind: "Redis",
        reason: reason.into(),
    }
}

impl RedisCheck {
    /// A check of the server at `url`.
    ///
    /// # Errors
    /// [`Error::InvalidConnectionString`] naming what is wrong (never the password).
    pub fn new(url: &str) -> Result<Self, Error> {
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(invalid(
                "a Redis URL starts with redis:// or rediss:// (TLS), like \"rediss://cache.internal:6380\"",
            ));
        }
        // The host is checked first: the redis crate's parser says only "invalid client
        // config" for a URL without one.
        let parsed = steadfast_http::reqwest::Url::parse(url)
            .map_err(|e| invalid(format!("not a URL ({e})")))?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("the URL names no host"));
        }
        let info = url.into_connection_info().map_err(|e| {
            // The parser's words name the part, not the value; the URL is not repeated.
            invalid(format!(
                "{}; expected redis[s]://[user:password@]host[:port][/db]",
                e.category()
            ))
        })?;
        match info.addr() {
            redis::ConnectionAddr::Tcp(host, _) | redis::ConnectionAddr::TcpTls { host, .. }
                if !host.is_empty() => {}
            _ => return Err(invalid("the Redis URL names no host")),
        }
        Ok(Self {
            info,
            ca: None,
            log: Arc::default(),
        })
    }

    fn is_tls(&self) -> bool {
        matches!(self.info.addr(), redis::ConnectionAddr::TcpTls { .. })
    }

    /// Sends `password` with `AUTH` (instead of one in the URL), so the URL can be shown
    /// and the password come from a secret file.
    ///
    /// ```
    /// use steadfast_healthcheck::RedisCheck;
    /// let check = RedisCheck::new("redis://127.0.0.1:6379")?.password("s3cret");
    /// assert!(!format!("{check:?}").contains("s3cret"));
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// ```
    #[must_use]
    pub fn password(mut self, password: impl AsRef<str>) -> Self {
        let settings = self.info.redis_settings().clone().set_password(password);
        self.info = self.info.set_redis_settings(settings);
        self
    }

    /// Trusts the CA in a PEM file for `rediss://` (instead of the system's roots).
    ///
    /// # Errors
    /// [`Error::Http`] when the file cannot be read or holds no certificate;
    /// [`Error::InvalidConnectionString`] for a `redis://` URL (no TLS to trust it for).
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path: PathBuf = path.as_ref().to_owned();
        if !self.is_tls() {
            return Err(invalid(
                "ca_file needs a rediss:// URL: redis:// does not use TLS",
            ));
        }
        // Read and parsed now, so a bad file fails at start-up.
        steadfast_http::read_certificates("ca_file", &path)?;
        let pem = std::fs::read(&path).map_err(|source| steadfast_http::Error::ReadFile {
            what: "ca_file",
            path,
            source,
        })?;
        self.ca = Some(pem);
        Ok(self)
    }

    fn client(&self) -> redis::RedisResult<redis::Client> {
        match &self.ca {
            None => redis::Client::open(self.info.clone()),
            Some(pem) => redis::Client::build_with_tls(
                self.info.clone(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.clone()),
                },
            ),
        }
    }

    async fn ping(&self) -> redis::RedisResult<String> {
        let mut connection = self.client()?.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async(&mut connection).await
    }
}

/// A fixed phrase for a Redis error.
fn reason(err: &redis::RedisError) -> &'static str {
    let text = format!("{err:?}");
    if text.contains("InvalidCertificate") || text.contains("UnknownIssuer") {
        "certificate not trusted"
    } else if err.kind() == redis::ErrorKind::AuthenticationFailed
        || err.code() == Some("NOAUTH")
        || err.code() == Some("WRONGPASS")
    {
        "authentication failed"
    } else if err.is_connection_refusal() {
        "connection failed"
    } else if err.is_io_error() {
        "no answer"
    } else {
        "unexpected answer"
    }
}

impl Check for RedisCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let start = tokio::time::Instant::now();
            match self.ping().await {
                Ok(pong) if pong == "PONG" => {
                    self.log.passed();
                    CheckOutput::pass().observed(ms(start.elapsed()), "ms")
                }
                Ok(_) => CheckOutput::fail("unexpected answer"),
                Err(err) => {
                    self.log
                        .failed("Redis check", format!("{}: {err}", self.info.addr()));
                    CheckOutput::fail(reason(&err))
                }
            }
        })
    }

    fn is_external(&self) -> bool {
        true
    }
}
