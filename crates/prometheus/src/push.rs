//! Getting a batch run's metrics to a Pushgateway after the run has ended (feature `push`).
//!
//! A batch job often ends before Prometheus scrapes it. [`push_to_gateway`] sends a
//! registry's exposition to a Pushgateway with `PUT /metrics/job/<job>/<label>/<value>…`
//! over http or https (the workspace's client, `steadfast-http`: system roots, or your own
//! [`HttpClient`] with a CA file or a client certificate through [`push_with_client`]),
//! async and without blocking a runtime thread, retried with `steadfast-retry` on connection
//! errors and 5xx (never on an untrusted certificate). The grouping key must be stable —
//! pipeline and instance — because the Pushgateway never expires a group: a run id in it
//! would leave one group per run behind forever, so a `run_id` label is refused.
//!
//! ```no_run
//! # async fn demo() -> Result<(), steadfast_prometheus::Error> {
//! let registry = prometheus::Registry::new();
//! steadfast_prometheus::push_to_gateway("http://127.0.0.1:9091", "epic-fhir", &[("instance", "worker-3")], &registry).await?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use steadfast_http::{HttpClient, HttpSettings, reqwest};
use steadfast_retry::{Decision, RetryPolicy};

use crate::error::Error;
use crate::exposition::exposition;

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

/// `http[s]://host[:port][/prefix]` → the URL without a trailing `/`.
fn parse(url: &str) -> Result<reqwest::Url, Error> {
    let bad = |why| Error::Url {
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
fn group_path(prefix: &str, job: &str, grouping: &[(&str, &str)]) -> Result<String, Error> {
    let mut path = format!("{prefix}/metrics/{}", segment("job", job));
    for (label, value) in grouping {
        if matches!(*label, "run_id" | "run" | "runid") {
            return Err(Error::PerRunGrouping((*label).to_owned()));
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
/// ```no_run
/// # async fn demo() -> Result<(), steadfast_prometheus::Error> {
/// let registry = prometheus::Registry::new();
/// steadfast_prometheus::push_to_gateway("http://127.0.0.1:9091", "epic-fhir", &[], &registry).await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Error`]: an unusable URL, a per-run grouping label, or the last failure.
pub async fn push_to_gateway(
    url: &str,
    job: &str,
    grouping: &[(&str, &str)],
    registry: &prometheus::Registry,
) -> Result<(), Error> {
    let policy = RetryPolicy::exponential()
        .max_retries(4)
        .attempt_timeout(Duration::from_secs(5));
    push_with(url, job, grouping, registry, &policy).await
}

/// [`push_to_gateway`] with your own retry policy.
///
/// ```no_run
/// # async fn demo() -> Result<(), steadfast_prometheus::Error> {
/// let registry = prometheus::Registry::new();
/// let policy = steadfast_retry::RetryPolicy::exponential().max_retries(2);
/// steadfast_prometheus::push_with("http://127.0.0.1:9091", "epic-fhir", &[], &registry, &policy).await?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`push_to_gateway`].
pub async fn push_with(
    url: &str,
    job: &str,
    grouping: &[(&str, &str)],
    registry: &prometheus::Registry,
    policy: &RetryPolicy,
) -> Result<(), Error> {
    let client = HttpSettings::default().build()?;
    push_with_client(&client, url, job, grouping, registry, policy).await
}

/// [`push_with`] through your own client: a gateway behind a private CA or asking for a
/// client certificate.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::RetryPolicy;
/// let client = HttpSettings::default().ca_file("/etc/ssl/internal-ca.pem").build()?;
/// let registry = prometheus::Registry::new();
/// steadfast_prometheus::push_with_client(&client, "https://pushgw.internal:9091", "epic-fhir",
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
) -> Result<(), Error> {
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
        .map_err(|e| Error::Failed {
            url: steadfast_core::redact_credentials(url).into_owned(),
            reason: e.to_string(),
        })
}

/// [`push_to_gateway`] from synchronous code, inside a tokio runtime or not: the push runs
/// on a thread of its own with its own runtime, so it neither blocks a runtime worker nor
/// panics with "cannot start a runtime from within a runtime" (the `prometheus` crate's own
/// blocking push does).
///
/// ```no_run
/// let registry = prometheus::Registry::new();
/// steadfast_prometheus::push_blocking("http://127.0.0.1:9091", "epic-fhir", &[("instance", "worker-3")], &registry)?;
/// # Ok::<(), steadfast_prometheus::Error>(())
/// ```
///
/// # Errors
/// As [`push_to_gateway`].
pub fn push_blocking(
    url: &str,
    job: &str,
    grouping: &[(&str, &str)],
    registry: &prometheus::Registry,
) -> Result<(), Error> {
    let shown = steadfast_core::redact_credentials(url).into_owned();
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
                .map_err(Error::Runtime)?;
            let pairs: Vec<(&str, &str)> = grouping
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            runtime.block_on(push_to_gateway(&url, &job, &pairs, &registry))
        })
        .join()
        .unwrap_or_else(|_| {
            Err(Error::Failed {
                url: shown,
                reason: "the push thread panicked".to_owned(),
            })
        })
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
            Err(Error::PerRunGrouping(_))
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
