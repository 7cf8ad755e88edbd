//! The two HTTP exchanges of SMART Backend Services: finding the token endpoint in
//! `<base>/.well-known/smart-configuration`, and the `client_credentials` token request
//! with its signed assertion. Every failure is a [`FhirError::Token`] that names the URL
//! (scheme, host, port, path), the status and the OAuth `error` code — never the
//! assertion, the token or the server's free text.

use std::fmt;
use std::io::{Error as IoError, ErrorKind};
use std::time::{Duration, Instant};

use serde::Deserialize;
use steadfast_http::{HttpClient, reqwest};

use crate::error::FhirError;
use crate::location::Base;

/// How much of a token or discovery answer is read.
const ANSWER_LIMIT: usize = 64 << 10;

/// The lifetime assumed for a token whose answer has no `expires_in` (the spec's
/// recommended maximum).
const ASSUMED_LIFETIME: Duration = Duration::from_secs(300);

/// The longest lifetime believed: a day (a server's `expires_in` cannot overflow the clock).
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A token is refreshed this long before it expires: a tenth of its lifetime, at most a
/// minute.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// An access token as a server issued it; its `Debug` hides the token.
pub(crate) struct Issued {
    pub(crate) access_token: String,
    /// `expires_in`, in seconds, when the server sent one.
    pub(crate) expires_in: Option<u64>,
}

impl Issued {
    /// When a token asked for at `asked` is to be replaced: a tenth of its lifetime (at most
    /// 60 s) before it expires, counted from the request — the server's clock started no
    /// earlier.
    pub(crate) fn refresh_at(&self, asked: Instant) -> Instant {
        let lifetime = self
            .expires_in
            .map_or(ASSUMED_LIFETIME, Duration::from_secs)
            .min(MAX_LIFETIME);
        let margin = (lifetime / 10).min(MAX_REFRESH_MARGIN);
        asked + (lifetime - margin)
    }
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// The token endpoint named by the server's `.well-known/smart-configuration`. It must be
/// `https` when the base is (no downgrade of where the assertion goes).
pub(crate) async fn discover(http: &HttpClient, base: &Base) -> Result<reqwest::Url, FhirError> {
    let well_known = base
        .url()
        .join(".well-known/smart-configuration")
        .map_err(|_| FhirError::InvalidBase {
            reason: "the base URL cannot have a path",
        })?;
    let fail = |problem, status| token_error(&well_known, problem, status, None, None);
    let request = http
        .get(well_known.clone())
        .header(reqwest::header::ACCEPT, "application/json");
    let response = http
        .send(request)
        .await
        .map_err(|e| transport(&well_known, &e))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(fail(
            "the smart-configuration could not be read",
            Some(status),
        ));
    }
    let body = HttpClient::body(response, ANSWER_LIMIT)
        .await
        .map_err(|e| transport(&well_known, &e))?;
    #[derive(Deserialize)]
    struct Configuration {
        token_endpoint: Option<String>,
    }
    let config: Configuration = serde_json::from_slice(&body)
        .map_err(|_| fail("the smart-configuration is not a JSON object", None))?;
    let endpoint = config
        .token_endpoint
        .ok_or_else(|| fail("the smart-configuration names no token_endpoint", None))?;
    let url = reqwest::Url::parse(&endpoint).map_err(|_| {
        fail(
            "the smart-configuration's token_endpoint is not a URL",
            None,
        )
    })?;
    let secure_enough = match url.scheme() {
        "https" => true,
        "http" => base.url().scheme() == "http",
        _ => false,
    };
    if !secure_enough || url.host_str().is_none() {
        return Err(fail(
            "the smart-configuration's token_endpoint must be https (or http when the base is)",
            None,
        ));
    }
    Ok(url)
}

/// POSTs `form` (`grant_type=client_credentials`, the assertion …) to `token_url`.
pub(crate) async fn request_token(
    http: &HttpClient,
    token_url: &reqwest::Url,
    form: &[(&str, &str)],
) -> Result<Issued, FhirError> {
    let request = http
        .request(reqwest::Method::POST, token_url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form_body(token_url, form));
    let response = http
        .send(request)
        .await
        .map_err(|e| transport(token_url, &e))?;
    let status = response.status().as_u16();
    let body = HttpClient::body(response, ANSWER_LIMIT)
        .await
        .map_err(|e| transport(token_url, &e))?;
    #[derive(Deserialize)]
    struct Answer {
        access_token: Option<String>,
        token_type: Option<String>,
        expires_in: Option<serde_json::Value>,
        error: Option<String>,
    }
    let answer: Option<Answer> = serde_json::from_slice(&body).ok();
    if !(200..300).contains(&status) {
        let code = answer.and_then(|a| a.error).and_then(|c| oauth_code(&c));
        return Err(token_error(
            token_url,
            "the token request was refused",
            Some(status),
            code,
            None,
        ));
    }
    let fail = |problem| token_error(token_url, problem, Some(status), None, None);
    let answer = answer.ok_or_else(|| fail("the token answer is not a JSON object"))?;
    let access_token = answer
        .access_token
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| fail("the token answer has no usable access_token"))?;
    if answer
        .token_type
        .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
    {
        return Err(fail("the token answer's token_type is not bearer"));
    }
    let expires_in = match answer.expires_in {
        None => None,
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        // Some servers send the number as a string.
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    Ok(Issued {
        access_token,
        expires_in,
    })
}

/// `url` as errors show it: scheme, host, port and path — no credentials, no query.
pub(crate) fn shown(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    steadfast_http::shown_url(&url)
}

/// `application/x-www-form-urlencoded` text of `pairs` (the URL's own serializer).
fn form_body(any_url: &reqwest::Url, pairs: &[(&str, &str)]) -> String {
    let mut url = any_url.clone();
    url.set_query(None);
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.query().unwrap_or_default().to_owned()
}

/// An OAuth error code if it is one (RFC 6749 §5.2: a short ASCII word); anything else
/// from the server is not repeated.
fn oauth_code(code: &str) -> Option<String> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    ok.then(|| code.to_owned())
}

fn token_error(
    url: &reqwest::Url,
    problem: &'static str,
    status: Option<u16>,
    code: Option<String>,
    io: Option<IoError>,
) -> FhirError {
    FhirError::Token {
        url: shown(url),
        problem,
        status,
        code,
        io,
    }
}

/// A transport failure of a token or discovery request, as an I/O error of the kind
/// `classify_io` knows (the client's own text, which names the URL, is not kept).
fn transport(url: &reqwest::Url, err: &steadfast_http::Error) -> FhirError {
    use steadfast_http::Error as E;
    let (problem, kind) = match err {
        E::Refused { .. } => ("connection refused", ErrorKind::ConnectionRefused),
        E::Dns { .. } => ("name not resolved", ErrorKind::NotFound),
        E::Timeout { .. } => ("timed out", ErrorKind::TimedOut),
        E::Request { source, .. } if source.is_connect() => {
            ("could not connect", ErrorKind::NotConnected)
        }
        E::Request { source, .. } if source.is_timeout() => ("timed out", ErrorKind::TimedOut),
        E::Request { .. } => (
            "the connection closed before the answer was complete",
            ErrorKind::ConnectionReset,
        ),
        E::CertificateNotTrusted { .. } | E::Tls { .. } => {
            return token_error(url, err.reason(), None, None, None);
        }
        _ => (err.reason(), ErrorKind::Other),
    };
    token_error(url, problem, None, None, Some(IoError::new(kind, problem)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_code_shaped_error_is_kept() {
        assert_eq!(
            oauth_code("invalid_client").as_deref(),
            Some("invalid_client")
        );
        assert_eq!(oauth_code("eyJhbGciOi.x y"), None);
        assert_eq!(oauth_code(""), None);
    }

    #[test]
    fn tokens_are_refreshed_a_tenth_early_at_most_a_minute() {
        let at = Instant::now();
        let issued = |expires_in| Issued {
            access_token: "t".into(),
            expires_in,
        };
        let ahead = |expires_in| issued(expires_in).refresh_at(at) - at;
        assert_eq!(ahead(Some(300)), Duration::from_secs(270));
        assert_eq!(ahead(Some(3600)), Duration::from_secs(3540));
        assert_eq!(ahead(None), Duration::from_secs(270));
        assert_eq!(ahead(Some(0)), Duration::ZERO);
        // A server's absurd lifetime is capped, not an overflow.
        assert_eq!(ahead(Some(u64::MAX)), Duration::from_secs(86_340));
        assert!(!format!("{:?}", issued(None)).contains("\"t\""));
    }

    #[test]
    fn urls_are_shown_without_credentials_or_query() {
        let url = reqwest::Url::parse("https://u:p@auth.example:8443/token?x=secret").unwrap();
        assert_eq!(shown(&url), "https://auth.example:8443/token");
        let body = form_body(&url, &[("scope", "system/*.rs"), ("a", "b c&d")]);
        assert_eq!(body, "scope=system%2F*.rs&a=b+c%26d");
    }
}
