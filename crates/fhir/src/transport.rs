//! One attempt of one request: send it, read the answer, and turn every failure into a
//! typed [`FhirError`] — transport failures as `std::io::Error`s of the kind
//! `steadfast_retry::classify_io` knows, with the phase that tells an unsafe request whether
//! the server can have seen it.

use std::io::{Error as IoError, ErrorKind};

use serde_json::Value;
use steadfast_http::{HttpClient, reqwest};
use steadfast_retry::{AdaptiveRateLimiter, RateLimitHeaders};

use crate::error::{FhirError, Phase};
use crate::location::Base;
use crate::method::{Idempotency, Method};
use crate::outcome::OutcomeSummary;

/// How much of an error answer's body is read (for its `OperationOutcome`).
const ERROR_BODY_LIMIT: usize = 64 << 10;

/// One request as sent: its method and URL, and for a create its JSON body and the
/// `If-None-Exist` query that makes it conditional.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing<'a> {
    pub(crate) method: Method,
    pub(crate) url: &'a reqwest::Url,
    pub(crate) body: Option<&'a [u8]>,
    pub(crate) if_none_exist: Option<&'a str>,
}

impl<'a> Outgoing<'a> {
    /// A request without a body.
    pub(crate) fn new(method: Method, url: &'a reqwest::Url) -> Self {
        Self {
            method,
            url,
            body: None,
            if_none_exist: None,
        }
    }

    /// Its idempotency class: the method's, except that a conditional create is idempotent.
    pub(crate) fn class(&self) -> Idempotency {
        Idempotency::of_request(self.method, self.if_none_exist.is_some())
    }
}

/// A successful answer: its status, its `Location` header, and its JSON body (`null` for
/// `HEAD`, and for an empty answer to a request with a body).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) body: Value,
}

/// Sends `out` once, with `Authorization: Bearer <bearer>` when given, paced by each limiter
/// of `pace` (the client's, the key's), which then follow the answer; a 2xx answer.
pub(crate) async fn exchange(
    http: &HttpClient,
    base: &Base,
    out: &Outgoing<'_>,
    max_body: usize,
    bearer: Option<&str>,
    pace: [Option<&AdaptiveRateLimiter>; 2],
) -> Result<Answer, FhirError> {
    let (method, url) = (out.method, out.url);
    let path = || base.shown(url);
    let mut request = http
        .request(reqwest_method(method), url.clone())
        .header(reqwest::header::ACCEPT, "application/fhir+json");
    if let Some(body) = out.body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/fhir+json")
            .body(body.to_vec());
    }
    if let Some(query) = out.if_none_exist {
        request = request.header("if-none-exist", query);
    }
    if let Some(token) = bearer {
        // reqwest marks the header sensitive: it is left out of its Debug output.
        request = request.bearer_auth(token);
    }
    for limiter in pace.into_iter().flatten() {
        limiter.acquire_async().await;
    }
    let response = http
        .send(request)
        .await
        .map_err(|e| transport(method, path(), &e))?;
    let status = response.status().as_u16();
    for limiter in pace.into_iter().flatten() {
        follow(limiter, status, response.headers());
    }
    if !(200..300).contains(&status) {
        return Err(status_error(method, path(), response).await);
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = HttpClient::body(response, max_body)
        .await
        .map_err(|e| transport(method, path(), &e))?;
    let answer = |body| Answer {
        status,
        location: location.clone(),
        body,
    };
    if method == Method::Head || (out.body.is_some() && body.is_empty()) {
        return Ok(answer(Value::Null));
    }
    serde_json::from_slice(&body)
        .map(answer)
        .map_err(|e| FhirError::Malformed {
            method,
            path: path(),
            category: match e.classify() {
                serde_json::error::Category::Io => "io",
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "eof",
            },
            line: e.line(),
            column: e.column(),
        })
}

/// What an answer tells the pacer: a 429 halves the pace, a success raises it, and the
/// server's rate-limit headers cap it (or hold every call until a spent window resets).
fn follow(pace: &AdaptiveRateLimiter, status: u16, headers: &reqwest::header::HeaderMap) {
    match status {
        429 => pace.on_throttled(),
        200..=299 => pace.on_success(),
        _ => {}
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let pairs = headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    if let Some(limits) = RateLimitHeaders::parse(pairs, now) {
        pace.on_rate_limit(&limits);
    }
}

/// The error of an answer with a status that is not a success: the status, its
/// `Retry-After` and the issue codes of an `OperationOutcome` body.
pub(crate) async fn status_error(
    method: Method,
    path: String,
    response: reqwest::Response,
) -> FhirError {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // The outcome is a courtesy: a body cut off or failing is no reason to lose the status.
    let body = HttpClient::body(response, ERROR_BODY_LIMIT)
        .await
        .unwrap_or_default();
    FhirError::Status {
        method,
        path,
        status,
        retry_after,
        outcome: OutcomeSummary::from_body(&body),
    }
}

pub(crate) fn reqwest_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Put => reqwest::Method::PUT,
        Method::Delete => reqwest::Method::DELETE,
        Method::Post => reqwest::Method::POST,
        Method::Patch => reqwest::Method::PATCH,
    }
}

/// A client error as this crate's: refused and unresolved names never reached the server;
/// a timeout or a connection closed mid-answer may have; TLS problems are their own kind.
/// The client's own text (which names the whole URL, query included) is not kept.
pub(crate) fn transport(method: Method, path: String, err: &steadfast_http::Error) -> FhirError {
    use steadfast_http::Error as E;
    let io = |phase, kind, text: &str| FhirError::Transport {
        method,
        path: path.clone(),
        phase,
        source: IoError::new(kind, text.to_owned()),
    };
    match err {
        E::Refused { .. } => io(
            Phase::Connect,
            ErrorKind::ConnectionRefused,
            "connection refused",
        ),
        E::Dns { .. } => io(Phase::Connect, ErrorKind::NotFound, "name not resolved"),
        E::Timeout { .. } => io(Phase::Request, ErrorKind::TimedOut, "timed out"),
        E::Request { source, .. } if source.is_connect() => {
            io(Phase::Connect, ErrorKind::NotConnected, "could not connect")
        }
        E::Request { source, .. } if source.is_timeout() => {
            io(Phase::Request, ErrorKind::TimedOut, "timed out")
        }
        E::Request { .. } => io(
            Phase::Request,
            ErrorKind::ConnectionReset,
            "the connection closed before the answer was complete",
        ),
        E::CertificateNotTrusted { .. } | E::Tls { .. } => FhirError::Tls {
            method,
            path,
            reason: err.reason(),
        },
        _ => io(Phase::Request, ErrorKind::Other, err.reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use steadfast_retry::Decision;

    #[test]
    fn transport_errors_keep_their_decisions_and_no_url() {
        let url = "http://127.0.0.1:1/fhir/Patient?name=Ada".to_owned();
        let refused = transport(
            Method::Get,
            "Patient?name=…".into(),
            &steadfast_http::Error::Refused { url: url.clone() },
        );
        assert_eq!(
            Method::Post.idempotency().classify(&refused),
            Decision::Retry
        );
        assert_eq!(
            refused.to_string(),
            "GET Patient?name=…: connection refused"
        );
        let untrusted = transport(
            Method::Get,
            "Patient".into(),
            &steadfast_http::Error::CertificateNotTrusted {
                url,
                detail: "UnknownIssuer".into(),
            },
        );
        assert_eq!(
            Method::Get.idempotency().classify(&untrusted),
            Decision::Stop
        );
        assert!(!untrusted.to_string().contains("Ada"));
    }
}
