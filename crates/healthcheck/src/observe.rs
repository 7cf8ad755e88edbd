//! The server's per-request layer: `X-Response-Time`, `Cache-Control: no-store`, and the
//! request series by route, method and status. A hand-written service around the whole
//! router, not `axum::middleware::from_fn` or `Router::layer`: those box and clone per
//! request and per route, which cost the server a sixth of its throughput.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::http::{HeaderValue, Method, header};
use axum::response::Response;

use crate::metrics::HttpMetrics;

/// Wraps every route of the server.
#[derive(Clone)]
pub(crate) struct ObserveLayer {
    pub(crate) http: Option<Arc<HttpMetrics>>,
    pub(crate) serve_metrics: bool,
}

impl<S> tower_layer::Layer<S> for ObserveLayer {
    type Service = Observe<S>;
    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct Observe<S> {
    inner: S,
    layer: ObserveLayer,
}

impl<S, B> tower_service::Service<axum::http::Request<B>> for Observe<S>
where
    S: tower_service::Service<axum::http::Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let start = quanta::Instant::now();
        // Routes are exact paths, so the path is the route; anything else is one series,
        // and so is any unusual method: a client cannot mint new series.
        let route = match request.uri().path() {
            "/health" => "/health",
            "/health/live" => "/health/live",
            "/health/ready" => "/health/ready",
            "/health/startup" => "/health/startup",
            "/metrics" if self.layer.serve_metrics => "/metrics",
            _ => "unmatched",
        };
        let method = match *request.method() {
            Method::GET => "GET",
            Method::HEAD => "HEAD",
            Method::POST => "POST",
            Method::PUT => "PUT",
            Method::DELETE => "DELETE",
            Method::OPTIONS => "OPTIONS",
            _ => "other",
        };
        Answer {
            inner: self.inner.call(request),
            start,
            route,
            method,
            http: self.layer.http.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, then the headers and series.
    pub(crate) struct Answer<F> {
        #[pin]
        inner: F,
        start: quanta::Instant,
        route: &'static str,
        method: &'static str,
        http: Option<Arc<HttpMetrics>>,
    }
}

impl<F> Future for Answer<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(mut response) = ready!(this.inner.poll(cx));
        let took = this.start.elapsed();
        if let Some(http) = this.http.as_ref() {
            http.answered(this.route, this.method, response.status().as_u16(), took);
        }
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Ok(v) = HeaderValue::from_maybe_shared(axum::body::Bytes::from(milliseconds(took))) {
            headers.insert("x-response-time", v);
        }
        Poll::Ready(Ok(response))
    }
}

/// `12.345ms`, written without the formatting machinery (this runs on every request).
fn milliseconds(took: std::time::Duration) -> Vec<u8> {
    let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    let (ms, frac) = (micros / 1000, micros % 1000);
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut x = ms;
    loop {
        digits[n] = b'0' + u8::try_from(x % 10).unwrap_or(0);
        n += 1;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    let mut out = Vec::with_capacity(n + 6);
    out.extend(digits[..n].iter().rev());
    out.push(b'.');
    for d in [frac / 100, frac / 10 % 10, frac % 10] {
        out.push(b'0' + u8::try_from(d).unwrap_or(0));
    }
    out.extend_from_slice(b"ms");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn milliseconds_are_written_like_format() {
        for micros in [0u64, 7, 999, 1000, 12_345, 98_765_432] {
            let d = std::time::Duration::from_micros(micros);
            let want = format!("{}.{:03}ms", micros / 1000, micros % 1000);
            assert_eq!(String::from_utf8(super::milliseconds(d)).unwrap(), want);
        }
    }
}
