//! The health server's outer service: `Cache-Control: no-store` on every answer, so no proxy
//! serves a stale status. A hand-written service around the whole router rather than
//! `axum::middleware::map_response`, which boxes per request. The request series and
//! `X-Response-Time` come from [`RequestMetricsLayer`](crate::RequestMetricsLayer), the
//! same layer an application puts on its own routes.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::{HeaderValue, Request, Response, header};

/// Wraps the server's router.
#[derive(Clone)]
pub(crate) struct NoStore<S> {
    pub(crate) inner: S,
}

impl<S, B, R> tower_service::Service<Request<B>> for NoStore<S>
where
    S: tower_service::Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = NoStoreFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        NoStoreFuture {
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner answer with the header added.
    pub(crate) struct NoStoreFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F, R, E> Future for NoStoreFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = Result<Response<R>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut result = ready!(self.project().inner.poll(cx));
        if let Ok(response) = result.as_mut() {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Poll::Ready(result)
    }
}
