//! One request of a Bulk Data export (kick-off, status poll, file download, job delete):
//! sent through the client's HTTP client with its SMART bearer token when one is wanted —
//! only ever to the base URL's origin — and after a 401 once more with a new token.

use std::time::Duration;

use steadfast_http::reqwest::{self, Url};

use crate::client::FhirClient;
use crate::download::DOWNLOAD_TOTAL;
pub(crate) use crate::download::header;
use crate::error::FhirError;
use crate::location::same_origin;
use crate::method::Method;
use crate::transport::{reqwest_method, transport};

/// Sends `method url` with `headers`; with `Authorization: Bearer` when `bearer` and the
/// client has SMART auth. Any status is returned as an answer: the caller judges it.
///
/// # Errors
/// A transport failure, typed as [`FhirError::Transport`] (or `Tls`), or a token failure.
pub(crate) async fn send(
    client: &FhirClient,
    method: Method,
    url: &Url,
    headers: &[(&'static str, String)],
    bearer: bool,
) -> Result<reqwest::Response, FhirError> {
    send_timed(client, method, url, headers, bearer, None).await
}

/// [`send`] for a file: no total timeout (the client's, 30 s by default, would cut every
/// file that takes longer); the caller bounds each wait for data instead.
pub(crate) async fn send_download(
    client: &FhirClient,
    method: Method,
    url: &Url,
    headers: &[(&'static str, String)],
    bearer: bool,
) -> Result<reqwest::Response, FhirError> {
    send_timed(client, method, url, headers, bearer, Some(DOWNLOAD_TOTAL)).await
}

async fn send_timed(
    client: &FhirClient,
    method: Method,
    url: &Url,
    headers: &[(&'static str, String)],
    bearer: bool,
    total: Option<Duration>,
) -> Result<reqwest::Response, FhirError> {
    let build = |token: Option<&str>| {
        let mut request = client.http().request(reqwest_method(method), url.clone());
        if let Some(total) = total {
            request = request.timeout(total);
        }
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    };
    let path = || client.base.shown(url);
    let auth = client.smart_auth().filter(|_| bearer);
    let Some(auth) = auth else {
        return client
            .http()
            .send(build(None))
            .await
            .map_err(|e| transport(method, path(), &e));
    };
    if !same_origin(url, client.base.url()) {
        return Err(FhirError::BulkProtocol {
            step: "request",
            problem: format!(
                "{} is on another origin than the server and needs the access token; the token is never sent elsewhere",
                path()
            ),
        });
    }
    let token = auth.bearer(client.http(), &client.base).await?;
    let answer = client
        .http()
        .send(build(Some(token.value())))
        .await
        .map_err(|e| transport(method, path(), &e))?;
    if answer.status().as_u16() != 401 {
        return Ok(answer);
    }
    let token = auth
        .refresh_after_rejection(client.http(), &client.base, &token)
        .await?;
    client
        .http()
        .send(build(Some(token.value())))
        .await
        .map_err(|e| transport(method, path(), &e))
}
