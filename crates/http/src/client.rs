//! [`HttpClient`]: a reqwest client built from [`HttpSettings`](crate::HttpSettings), whose
//! failures come back as typed [`Error`]s, and which requests may follow a redirect to
//! another host.

use crate::{Error, Redirects};

/// The workspace's HTTP client. Cheap to clone (connections are pooled and shared).
///
/// Every request follows same-origin redirects only — [`send`](Self::send),
/// [`reqwest`](Self::reqwest) — except one sent with [`send_following`](Self::send_following)
/// that carries nothing to leak (a plain `GET`/`HEAD`, see [`Redirects`]): when
/// [`HttpSettings::redirects`](crate::HttpSettings::redirects) allows other hosts, such a
/// request goes to its own origin as any other, and a redirect from there to an allowed
/// host is sent on through a second reqwest client that follows redirects to them and
/// presents no client certificate.
///
/// ```no_run
/// # async fn f() -> Result<(), steadfast_http::Error> {
/// let client = steadfast_http::HttpSettings::default().build()?;
/// let response = client.send(client.get("https://ehr.example/fhir/metadata")).await?;
/// println!("{}", response.status());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HttpClient {
    /// Follows same-origin redirects only.
    inner: reqwest::Client,
    /// Follows the redirects the settings allow, for [`send_following`](Self::send_following)
    /// requests without credentials; no client certificate.
    follow: Option<reqwest::Client>,
    /// The redirects the settings allow.
    redirects: Redirects,
}

impl HttpClient {
    pub(crate) fn from_reqwest(
        inner: reqwest::Client,
        follow: Option<reqwest::Client>,
        redirects: Redirects,
    ) -> Self {
        Self {
            inner,
            follow,
            redirects,
        }
    }

    /// The redirects the settings allow to other hosts (for
    /// [`send_following`](Self::send_following) only).
    pub fn redirects(&self) -> &Redirects {
        &self.redirects
    }

    /// The reqwest client underneath, for what this type does not wrap: it follows
    /// same-origin redirects only, whatever the settings allow, because what it is handed
    /// may add credentials this type never sees.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner
    }

    /// Starts a GET of `url`.
    pub fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.inner.get(url)
    }

    /// Starts a request with any method.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: impl reqwest::IntoUrl,
    ) -> reqwest::RequestBuilder {
        self.inner.request(method, url)
    }

    /// Sends `request`, following same-origin redirects only, whatever the settings allow;
    /// any status is a response (a redirect not followed too), the failures on the way are
    /// typed.
    ///
    /// # Errors
    /// [`Error::CertificateNotTrusted`], [`Error::Tls`], [`Error::Dns`], [`Error::Refused`],
    /// [`Error::Timeout`] or [`Error::Request`], each naming the URL (credentials
    /// redacted).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, Error> {
        self.execute(request, false).await
    }

    /// Sends `request` as [`send`](Self::send) does, but following redirects to the hosts
    /// the settings allow when the request has nothing to leak: a `GET` or `HEAD` without
    /// a body, with only harmless headers (`Range`, `If-Range`, `Accept` …, no
    /// `Authorization`, `Cookie`, `X-Api-Key` …) and no user info in its URL. Any other
    /// request follows same-origin redirects only. For downloading a file a server may
    /// redirect to its CDN. The client certificate (mTLS), if any, goes to the request's
    /// own origin only: the hop to another host and everything after it go through a
    /// client without one (and count their redirects afresh, at most
    /// [`MAX_REDIRECTS`](crate::MAX_REDIRECTS) again).
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = steadfast_http::HttpSettings::default()
    ///     .allow_redirect_host("*.cdn.example".parse()?)
    ///     .build()?;
    /// let url = "https://mrf.example/in-network.json.gz";
    /// let response = client.send_following(client.get(url)).await?;
    /// println!("{} from {}", response.status(), response.url());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_following(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Error> {
        self.execute(request, true).await
    }

    /// Sends `request` through the same-origin client (with the client certificate, to the
    /// host the caller named); when `following` is asked for, the request may follow (see
    /// [`may_follow`]) and the answer is a redirect to an allowed host, sends it on to that
    /// host through the following client (no client certificate), which follows further
    /// redirects the settings allow.
    async fn execute(
        &self,
        request: reqwest::RequestBuilder,
        following: bool,
    ) -> Result<reqwest::Response, Error> {
        let request = request.build().map_err(|e| {
            let url = e.url().map_or_else(String::new, ToString::to_string);
            Error::from_request(&url, e)
        })?;
        let follow = self
            .follow
            .as_ref()
            .filter(|_| following && may_follow(&request));
        let Some(follow) = follow else {
            return run(&self.inner, request).await;
        };
        let again = request.try_clone();
        let response = run(&self.inner, request).await?;
        match again.and_then(|r| self.across(&response, r)) {
            Some(next) => run(follow, next).await,
            None => Ok(response),
        }
    }

    /// `request` aimed at where `response` redirects it, when that is another origin whose
    /// host the settings allow and no downgrade from `https` to `http`.
    fn across(
        &self,
        response: &reqwest::Response,
        mut request: reqwest::Request,
    ) -> Option<reqwest::Request> {
        if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
            return None;
        }
        let from = response.url();
        let location = response.headers().get(reqwest::header::LOCATION)?;
        let to = from.join(location.to_str().ok()?).ok()?;
        let scheme_ok = match from.scheme() {
            "https" => to.scheme() == "https",
            _ => matches!(to.scheme(), "http" | "https"),
        };
        let allowed = to.host_str().is_some_and(|h| self.redirects.allows_host(h));
        if !scheme_ok || !allowed || to.origin() == from.origin() {
            return None;
        }
        *request.url_mut() = to;
        Some(request)
    }

    /// Reads at most `limit` bytes of a response's body.
    ///
    /// # Errors
    /// [`Error::Timeout`] or [`Error::Request`] when the body fails on the way; a longer
    /// body is cut at `limit`, not refused.
    pub async fn body(response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Error> {
        let url = response.url().to_string();
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Error::from_request(&url, e))?
        {
            let room = limit.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= limit {
                break;
            }
        }
        Ok(body)
    }
}

/// Sends `request` through `client`, its failure typed and naming its URL.
async fn run(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> Result<reqwest::Response, Error> {
    let url = request.url().to_string();
    client
        .execute(request)
        .await
        .map_err(|e| Error::from_request(&url, e))
}

/// The headers a request may carry and still follow a redirect to another origin:
/// conditions, ranges and content negotiation — nothing that can hold a credential.
const HARMLESS_HEADERS: [&str; 12] = [
    "accept",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "pragma",
    "range",
    "user-agent",
];

/// Whether `request` may follow a redirect to another origin: a `GET` or `HEAD` without a
/// body, with only [`HARMLESS_HEADERS`] and no user info in its URL. reqwest drops
/// `Authorization`, `Cookie` and `Proxy-Authorization` on a hop to another host, but keeps
/// any other header (`X-Api-Key`), re-sends the body on a `307`/`308`, and restores the
/// first request's headers on each further hop (after `a → b`, a `b → b/other` would send
/// `a`'s `Authorization` to `b`) — so only a request with nothing to leak may leave.
fn may_follow(request: &reqwest::Request) -> bool {
    use reqwest::Method;
    matches!(*request.method(), Method::GET | Method::HEAD)
        && request.body().is_none()
        && request
            .headers()
            .keys()
            .all(|name| HARMLESS_HEADERS.contains(&name.as_str()))
        && request.url().username().is_empty()
        && request.url().password().is_none()
}
