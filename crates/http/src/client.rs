//! [`HttpClient`]: a reqwest client built from [`HttpSettings`](crate::HttpSettings), whose
//! failures come back as typed [`Error`]s.

use crate::Error;

/// The workspace's HTTP client. Cheap to clone (connections are pooled and shared).
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
    inner: reqwest::Client,
}

impl HttpClient {
    pub(crate) fn from_reqwest(inner: reqwest::Client) -> Self {
        Self { inner }
    }

    /// The reqwest client underneath, for what this type does not wrap.
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

    /// Sends `request`; any status is a response, the failures on the way are typed.
    ///
    /// # Errors
    /// [`Error::CertificateNotTrusted`], [`Error::Tls`], [`Error::Dns`], [`Error::Refused`],
    /// [`Error::Timeout`] or [`Error::Request`], each naming the URL (credentials
    /// redacted).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, Error> {
        let request = request.build().map_err(|e| {
            let url = e.url().map_or_else(String::new, ToString::to_string);
            Error::from_request(&url, e)
        })?;
        let url = request.url().to_string();
        self.inner
            .execute(request)
            .await
            .map_err(|e| Error::from_request(&url, e))
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
