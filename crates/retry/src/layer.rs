//! `RetryLayer` (feature `tower`): a [`RetryPolicy`] — with the breaker and budget it was
//! built with — and a [`Classify`] applied to any tower service in one line.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::classify::Classify;
use crate::error::RetryError;
use crate::policy::RetryPolicy;

/// A tower [`Layer`] that retries the services it wraps through `policy`, each failed
/// call's error judged by `classify` (a closure `Fn(&E) -> Decision`, [`crate::IoErrors`],
/// …). The policy's breaker, budget, deadline and `Retry-After` handling apply as in
/// [`RetryPolicy::retry_async_if`]; the service's error becomes a [`RetryError`].
///
/// Each attempt calls a clone of the inner service (awaiting its readiness first) with a
/// clone of the request, so both must be `Clone`; `poll_ready` of the wrapper is always
/// ready. A service that answers failures as `Ok` (an HTTP client's 503 response) needs
/// them turned into errors first (e.g. tower's `and_then`) for the layer to see them.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use steadfast_retry::{CircuitBreaker, Decision, ManualClock, RetryLayer, RetryPolicy};
/// use tower_layer::Layer as _;
/// use tower_service::Service as _;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let policy = RetryPolicy::exponential().max_retries(3).manual_clock(&ManualClock::new())
///     .circuit_breaker(CircuitBreaker::builder().consecutive_failures(5).build());
/// // One line: policy, breaker and classifier around any service.
/// let layer = RetryLayer::new(policy, |e: &String| {
///     if e.starts_with("busy") { Decision::Retry } else { Decision::Stop }
/// });
///
/// let calls = Arc::new(AtomicU32::new(0));
/// let inner = tower::service_fn({
///     let calls = calls.clone();
///     move |name: &'static str| {
///         let n = calls.fetch_add(1, Ordering::SeqCst);
///         async move { if n < 2 { Err(format!("busy ({n})")) } else { Ok(format!("hello {name}")) } }
///     }
/// });
/// let mut service = layer.layer(inner);
/// assert_eq!(service.call("Ada").await.unwrap(), "hello Ada");
/// assert_eq!(calls.load(Ordering::SeqCst), 3);
/// # }
/// ```
#[derive(Clone)]
pub struct RetryLayer<C> {
    policy: RetryPolicy,
    classify: C,
}

impl<C> RetryLayer<C> {
    /// A layer retrying through `policy`, deciding with `classify`.
    pub fn new(policy: RetryPolicy, classify: C) -> Self {
        Self { policy, classify }
    }
}

impl<C> fmt::Debug for RetryLayer<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryLayer").finish_non_exhaustive()
    }
}

impl<S, C: Clone> Layer<S> for RetryLayer<C> {
    type Service = Retry<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry {
            inner,
            policy: self.policy.clone(),
            classify: self.classify.clone(),
        }
    }
}

/// The service [`RetryLayer`] makes: `inner`, retried.
#[derive(Clone)]
pub struct Retry<S, C> {
    inner: S,
    policy: RetryPolicy,
    classify: C,
}

impl<S: fmt::Debug, C> fmt::Debug for Retry<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The future of a [`Retry`] call.
pub type RetryFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, RetryError<E>>> + Send>>;

impl<S, C, Req> Service<Req> for Retry<S, C>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send,
    S::Error: fmt::Display + Send,
    C: Classify<S::Error> + Clone + Send + Sync + 'static,
    Req: Clone + Send + 'static,
{
    type Response = S::Response;
    type Error = RetryError<S::Error>;
    type Future = RetryFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is awaited on each attempt's clone, inside the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let inner = self.inner.clone();
        let policy = self.policy.clone();
        let classify = self.classify.clone();
        Box::pin(async move {
            let attempt = move |_| {
                let mut service = inner.clone();
                let request = request.clone();
                async move {
                    std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
                    service.call(request).await
                }
            };
            policy.retry_async_if(classify, attempt).await
        })
    }
}
