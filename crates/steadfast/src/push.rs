//! Getting a batch run's metrics to Prometheus after the run has ended (features
//! `prometheus` and `tokio`): a Pushgateway push, and a node_exporter textfile.
//!
//! A batch job often ends before Prometheus scrapes it. [`push_to_gateway`] sends a
//! registry's exposition to a Pushgateway with `PUT /metrics/job/<job>/<label>/<value>…`
//! over http or https (the workspace's client, `steadfast-http`: system roots, or your own
//! [`HttpClient`] with a CA file or a client certificate through [`push_with_client`]),
//! async and without blocking a runtime thread, retried with `steadfast-retry` on connection
//! errors and 5xx (never on an untrusted certificate). The grouping key must be stable — pipeline and instance — because the
//! Pushgateway never expires a group: a run id in it would leave one group per run behind
//! forever, so a `run_id` label is refused. [`write_textfile`] writes the same exposition
//! atomically for node_exporter's textfile collector on hosts that run it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), steadfast::push::PushError> {
//! let registry = prometheus::Registry::new();
//! steadfast::push::push_to_gateway("http://127.0.0.1:9091", "epic-fhir", &[("instance", "worker-3")], &registry).await?;
//! # Ok(()) }
//! ```

use std::path::Path;
use std::time::Duration;

use steadfast_http::{HttpClient, HttpSettings, reqwest};
use steadfast_retry::{Decision, RetryPolicy};

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The gateway URL is not `http[s]://host:port[/path]`.
    #[error("pushgateway URL '{url}' is not usable: {why}")]
    Url {
        /// The URL, credentials redacted.
        url: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A grouping label would make a new group per run.
    #[error(
        "grouping label '{0}' is not allowed: the Pushgateway never expires groups, so a per-run value leaves one group per run behind; group by pipeline and instance and put the run id in the run directory"
    )]
    PerRunGrouping(String),
    /// The metrics could not be encoded.
    #[error("cannot encode the metrics: {0}")]
    Encode(String),
    /// The HTTP client could not be built (the system's roots unreadable).
    #[error("cannot set up the push: {0}")]
    Client(#[from] steadfast_http::Error),
    /// The push failed after retries (or at once on a 4xx).
    #[error("push to {url} failed: {reason}")]
    Failed {
        /// The URL, credentials redacted.
        url: String,
        /// The last failure.
        reason: String,
    },
}

/// A transport failure or an HTTP status other than 2xx.
#[derive(Debug)]
enum Attempt {
    Http(steadfast_http::Error),
    Status(u16, String),
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Http(e) => write!(f, "{e}"),
            Self::Status(code, body) => write!(f, "HTTP {code}: {}", body.trim()),
        }
    }
}

/// The exposition of `registry` in Prometheus text format.
///
/// # Errors
/// [`PushError::Encode`] when a metric family cannot be encoded.
pub fn exposition(registry: &prometheus::Registry) -> Result<String, PushError> {
    let mut text = String::new();
    prometheus::TextEncoder::new()
        .encode_utf8(&registry.gather(), &mut text)
        .map_err(|e| PushError::Encode(e.to_string()))?;
    Ok(text)
}

/// Writes `registry` to `path` (it must end in `.prom`) for node_exporter's textfile
/// collector: to a temporary file in the same directory, fsynced, then renamed, so the
/// collector never reads half a file.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let registry = prometheus::Registry::new();
/// let c = prometheus::IntCounter::new("steadfast_records_total", "Records.")?;
/// registry.register(Box::new(c.clone()))?;
/// c.inc_by(3);
/// steadfast::push::write_textfile(&registry, dir.path().join("steadfast.prom"))?;
/// let text = std::fs::read_to_string(dir.path().join("steadfast.prom"))?;
/// assert!(text.contains("steadfast_records_total 3"));
/// assert!(steadfast::push::write_textfile(&registry, dir.path().join("x.txt")).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`PushError::Url`] for a path not ending in `.prom` (the collector ignores it);
/// [`PushError::Failed`] when the file cannot be written.
pub fn write_textfile(
    registry: &prometheus::Registry,
    path: impl AsRef<Path>,
) -> Result<(), PushError> {
    let path = path.as_ref();
    if path.extension().is_none_or(|e| e != "prom") {
        return Err(PushError::Url {
            url: path.display().to_string(),
            why: "node_exporter's textfile collector reads only files ending in .prom",
        });
    }
    let text = exposition(registry)?;
    steadfast_core::atomic_write(path, text).map_err(|e| PushError::Failed {
        url: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// `http[s]://host[:port][/prefix]` → the URL without a trailing `/`.
fn parse(url: &str) -> Result<reqwest::Url, PushError> {
    let bad = |why| PushError::Url {
        url: steadfast_core::redact_credentials(url).into_owned(),
        why,
    };
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| bad("expected http://host:port or https://host:port"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("expected http://host:port or https://host:port"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("credentials in the URL are not supported"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("a query or fragment has no place in a gateway URL"));
    }
    Ok(parsed)
}

/// A path segment: plain when safe, else the Pushgateway's `@base64` form (URL-safe).
fn segment(label: &str, value: &str) -> String {
    let safe = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b));
    if safe {
        format!("{label}/{value}")
    } else {
        format!("{label}@base64/{}", base64url(value.as_bytes()))
    }
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    if out.is_empty() {
        out.push('=');
    }
    out
}

/// The request path for `job` and `grouping`.
fn group_path(prefix: &str, job: &str, grouping: &[(&str, &str)]) -> Result<String, PushError> {
    let mut path = format!("{prefix}/metrics/{}", segment("job", job));
    for (label, value) in grouping {
        if matches!(*label, "run_id" | "run" | "runid") {
            return Err(PushError::PerRunGrouping((*label).to_owned()));
        }
        path.push('/');
        path.push_str(&segment(label, value));
    }
    Ok(path)
}

async fn put(client: &HttpClient, url: &reqwest::Url, body: &str) -> Result<(), Attempt> {
    let request = client
        .request(reqwest::Method::PUT, url.clone())
        .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .body(body.to_owned());
    let response = client.send(request).await.map_err(Attempt::Http)?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        Ok(())
    } else {
        let body = HttpClient::body(response, 4096).await.unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        Err(Attempt::Status(status, body.chars().take(200).collect()))
    }
}

/// Pushes `registry` to the Pushgateway at `url` as group `job` + `grouping`, replacing the
/// group (PUT). Retried with exponential backoff (up to 5 attempts, 5 s each) on connection
/// errors and 5xx; a 4xx (a malformed exposition) fails at once.
///
/// # Errors
/// [`PushError`]: an unusable URL, a per-run grouping label, or the last failure.
pub async fn push_to_gateway(
    url: &str,
    job: &str,
    grouping: &[(&str, &str)],
    registry: &prometheus::Registry,
) -> Result<(), PushError> {
    let policy = RetryPolicy::exponential()
        .max_retries(4)
        .attempt_timeout(Duration::from_secs(5));
    push_with(url, job, grouping, registry, &policy).await
}

/// [`push_to_gateway`] with your own retry policy.
///
/// # Errors
/// As [`push_to_gateway`].
pub async fn push_with(
    url: &str,
    job: &str,
    grouping: &[(&str, &str)],
    registry: &prometheus::Registry,
    policy: &RetryPolicy,
) -> Result<(), PushError> {
    let client = HttpSettings::default().build()?;
    push_with_client(&client, url, job, grouping, registry, policy).await
}

/// [`push_with`] through your own client: a gateway behind a private CA or asking for a
/// client certificate.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use steadfast::http::HttpSettings;
/// use steadfast::retry::RetryPolicy;
/// let client = HttpSettings::default().ca_file("/etc/ssl/internal-ca.pem").build()?;
/// let registry = prometheus::Registry::new();
/// steadfast::push::push_with_client(&client, "https://pushgw.internal:9091", "epic-fhir",
///     &[("instance", "worker-3")], &registry, &RetryPolicy::exponential().max_retries(4)).await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`push_to_gateway`].
pub async fn push_with_client(
    client: &HttpClient,
    url: &str,
    job: &str,
    grouping: &[(&str, &str)],
    registry: &prometheus::Registry,
    policy: &RetryPolicy,
) -> Result<(), PushError> {
    let base = parse(url)?;
    let path = group_path(base.path().trim_end_matches('/'), job, grouping)?;
    let mut target = base.clone();
    target.set_path(&path);
    let body = exposition(registry)?;
    let classify = |e: &Attempt| match e {
        Attempt::Status(code, _) if *code < 500 => Decision::Stop,
        // An untrusted certificate or bad settings need a person, not another attempt.
        Attempt::Http(e) if !e.is_transient() => Decision::Stop,
        _ => Decision::Retry,
    };
    policy
        .retry_async_if(classify, |_| put(client, &target, &body))
        .await
        .map_err(|e| PushError::Failed {
            url: steadfast_core::redact_credentials(url).into_owned(),
            reason: e.to_string(),
        })
}

/// [`push_to_gateway`] from synchronous code, inside a tokio runtime or not: the push runs
/// on a thread of its own with its own runtime, so it neither blocks a runtime worker nor
/// panics with "cannot start a runtime from within a runtime" (the `prometheus` crate's own
/// blocking push does).
///
/// # Errors
/// As [`push_to_gateway`].
pub fn push_blocking(
    url: &str,
    job: &str,
    grouping: &[(&str, &str)],
    registry: &prometheus::Registry,
) -> Result<(), PushError> {
    let (url, job) = (url.to_owned(), job.to_owned());
    let grouping: Vec<(String, String)> = grouping
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let registry = registry.clone();
    std::thread::scope(|s| {
        s.spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| PushError::Failed {
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
            let pairs: Vec<(&str, &str)> = grouping
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            runtime.block_on(push_to_gateway(&url, &job, &pairs, &registry))
        })
        .join()
        .unwrap_or_else(|_| Err(PushError::Encode("the push thread panicked".to_owned())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_paths_use_base64_for_unsafe_values_and_refuse_run_ids() {
        assert_eq!(
            group_path("", "epic", &[("instance", "w-3")]).unwrap(),
            "/metrics/job/epic/instance/w-3"
        );
        assert_eq!(
            group_path("/pg", "epic", &[("path", "a/b")]).unwrap(),
            "/pg/metrics/job/epic/path@base64/YS9i"
        );
        assert_eq!(segment("x", ""), "x@base64/=");
        assert_eq!(base64url(b"ab?"), "YWI_");
        assert!(matches!(
            group_path("", "epic", &[("run_id", "r1")]),
            Err(PushError::PerRunGrouping(_))
        ));
    }

    #[test]
    fn urls_are_checked_and_redacted() {
        assert_eq!(
            parse("http://127.0.0.1:9091").unwrap().as_str(),
            "http://127.0.0.1:9091/"
        );
        assert_eq!(parse("https://gw/prefix/").unwrap().path(), "/prefix/");
        let err = parse("https://user:secret@gw:9091")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("credentials") && !err.contains("secret"),
            "{err}"
        );
        assert!(parse("ftp://gw").is_err());
        assert!(parse("http://gw/?a=1").is_err());
    }
}
