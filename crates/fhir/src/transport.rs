//! One attempt of one request: send it, read the answer, and turn every failure into a
//! typed [`FhirError`] — transport failures as `std::io::Error`s of the kind
//! `steadfast_retry::classify_io` knows, with the phase that tells an unsafe request whether
//! the server can have seen it.

use std::io::{Error as IoError, ErrorKind};

use serde_json::Value;
use steadfast_http::{HttpClient, reqwest};

use crate::error::{FhirError, Phase};
use crate::location::Base;
use crate::method::Method;
use crate::outcome::OutcomeSummary;

/// How much of an error answer's body is read (for its `OperationOutcome`).
const ERROR_BODY_LIMIT: usize = 64 << 10;

/// Sends `method url` once, with `Authorization: Bearer <bearer>` when given; the JSON body
/// of a 2xx answer (`null` for `HEAD`).
pub(crate) async fn send_once(
    http: &HttpClient,
    base: &Base,
    method: Method,
    url: &reqwest::Url,
    max_body: usize,
    bearer: Option<&str>,
) -> Result<Value, FhirError> {
    let path = || base.shown(url);
    let mut request = http
        .request(reqwest_method(method), url.clone())
        .header(reqwest::header::ACCEPT, "application/fhir+json");
    if let Some(token) = bearer {
        // reqwest marks the header sensitive: it is left out of its Debug output.
        request = request.bearer_auth(token);
    }
    let response = http
        .send(request)
        .await
        .map_err(|e| transport(method, path(), &e))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // The outcome is a courtesy: a body cut off or failing is no reason to lose the status.
        let body = HttpClient::body(response, ERROR_BODY_LIMIT)
            .await
            .unwrap_or_default();
        return Err(FhirError::Status {
            method,
            path: path(),
            status,
            retry_after,
            outcome: OutcomeSummary::from_body(&body),
        });
    }
    let body = HttpClient::body(response, max_body)
        .await
        .map_err(|e| transport(method, path(), &e))?;
    if method == Method::Head {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&body).map_err(|e| FhirError::Malformed {
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

fn reqwest_method(method: Method) -> reqwest::Method {
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
