//! [`RequestMetricsLayer`]: a tower layer over any `http::Request<B>` → `http::Response<B>`
//! service (axum, hyper, tonic) recording [`RequestMetrics`](crate::RequestMetrics)' series
//! and, optionally, `X-Response-Time` in seconds. The health server uses it too.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};

use http::{HeaderValue, Request, Response};

use crate::request_series::{RouteSeries, Series, UNMATCHED_ROUTE, method_index};

/// Records every request's series; made by
/// [`RequestMetrics::register`](crate::RequestMetrics::register).
///
/// The `route` label is the matched route template — axum's `MatchedPath`, so with axum add
/// it with `Router::layer` (after `nest`/`merge`, so it wraps every route) — or the first of
/// the configured [`routes`](crate::RequestMetrics::routes) the path matches (for hyper,
/// tonic, or a layer around a whole router, which sees no `MatchedPath`: the health server
/// does this, saving axum's per-route boxing); anything else is `unmatched`. Never the raw
/// path: a client cannot mint series, and no identifier in a path reaches a label.
///
/// ```
/// use axum::{Router, routing::get};
/// use steadfast_healthcheck::RequestMetrics;
///
/// let prom = prometheus::Registry::new();
/// let app: Router = Router::new()
///     .route("/patients/{id}", get(|| async { "{}" }))
///     .layer(RequestMetrics::default().register(&prom, &steadfast_core::Prefix::default())?);
/// # let _ = app;
/// # Ok::<(), steadfast_healthcheck::Error>(())
/// ```
#[derive(Clone)]
pub struct RequestMetricsLayer {
    shared: Arc<Shared>,
}

/// What every request of a layer reads: one reference count per request.
struct Shared {
    series: Series,
    response_time: bool,
    routes: Box<[Box<str>]>,
    /// The configured routes' series, resolved once (`None` past the resolved-route bound).
    known: Box<[Option<Arc<RouteSeries>>]>,
    unmatched: Option<Arc<RouteSeries>>,
}

impl std::fmt::Debug for RequestMetricsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestMetricsLayer")
            .field("response_time", &self.shared.response_time)
            .field("routes", &self.shared.routes.len())
            .finish_non_exhaustive()
    }
}

impl RequestMetricsLayer {
    pub(crate) fn new(series: Series, response_time: bool, routes: Box<[Box<str>]>) -> Self {
        let known = routes.iter().map(|r| series.route(r)).collect();
        let unmatched = series.route(UNMATCHED_ROUTE);
        Self {
            shared: Arc::new(Shared {
                series,
                response_time,
                routes,
                known,
                unmatched,
            }),
        }
    }
}

impl<S> tower_layer::Layer<S> for RequestMetricsLayer {
    type Service = RequestMetricsService<S>;
    fn layer(&self, inner: S) -> RequestMetricsService<S> {
        RequestMetricsService {
            inner,
            layer: self.clone(),
            #[cfg(feature = "server")]
            last: Arc::default(),
        }
    }
}

/// The service [`RequestMetricsLayer`] wraps around another.
#[derive(Clone, Debug)]
pub struct RequestMetricsService<S> {
    inner: S,
    layer: RequestMetricsLayer,
    /// The matched route this service saw first, with its series: with `Router::layer`
    /// axum wraps each route in its own service, which then sees only that route (told
    /// apart by the address of axum's shared route string, which this clone keeps alive).
    #[cfg(feature = "server")]
    last: Arc<OnceLock<(axum::extract::MatchedPath, Arc<RouteSeries>)>>,
}

/// The route label of one request whose series are not resolved.
enum Route {
    Unmatched,
    Known(usize),
    #[cfg(feature = "server")]
    Matched(axum::extract::MatchedPath),
}

/// Where one request's answer is recorded.
enum Resolved {
    Series(Arc<RouteSeries>),
    Label(Route),
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for RequestMetricsService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = RequestMetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let start = quanta::Instant::now();
        let shared = &self.layer.shared;
        let route = resolve(
            &request,
            shared,
            #[cfg(feature = "server")]
            &self.last,
        );
        let method = method_index(request.method());
        shared.series.in_flight.inc();
        RequestMetricsFuture {
            inner: self.inner.call(request),
            state: Some(Pending {
                start,
                route,
                method,
                shared: Arc::clone(shared),
            }),
        }
    }
}

fn resolve<B>(
    request: &Request<B>,
    shared: &Shared,
    #[cfg(feature = "server")] last: &OnceLock<(axum::extract::MatchedPath, Arc<RouteSeries>)>,
) -> Resolved {
    #[cfg(feature = "server")]
    if let Some(matched) = request.extensions().get::<axum::extract::MatchedPath>() {
        if let Some((seen, series)) = last.get()
            && std::ptr::eq(seen.as_str(), matched.as_str())
        {
            return Resolved::Series(Arc::clone(series));
        }
        return match shared.series.route(matched.as_str()) {
            Some(series) => {
                let _ = last.set((matched.clone(), Arc::clone(&series)));
                Resolved::Series(series)
            }
            None => Resolved::Label(Route::Matched(matched.clone())),
        };
    }
    let path = request.uri().path();
    match shared.routes.iter().position(|r| matches(r, path)) {
        Some(i) => match shared.known.get(i) {
            Some(Some(series)) => Resolved::Series(Arc::clone(series)),
            _ => Resolved::Label(Route::Known(i)),
        },
        None => match &shared.unmatched {
            Some(series) => Resolved::Series(Arc::clone(series)),
            None => Resolved::Label(Route::Unmatched),
        },
    }
}

/// Whether `path` matches the route `template`: segments equal, `{name}` one non-empty
/// segment, `{*rest}` whatever remains (axum's syntax).
fn matches(template: &str, path: &str) -> bool {
    if template == path {
        return true;
    }
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with("{*") => return !ps.is_empty(),
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') => {
                if ps.is_empty() {
                    return false;
                }
            }
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
}

/// What an answer needs recorded; dropped unanswered (the client went away), it still
/// takes its request out of the in-flight gauge.
struct Pending {
    start: quanta::Instant,
    route: Resolved,
    method: u8,
    shared: Arc<Shared>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.shared.series.in_flight.dec();
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, then the series and the header.
    pub struct RequestMetricsFuture<F> {
        #[pin]
        inner: F,
        state: Option<Pending>,
    }
}

impl<F, ResBody, E> Future for RequestMetricsFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let Some(p) = this.state.take() else {
            return Poll::Ready(result);
        };
        let took = p.start.elapsed();
        let status = result.as_ref().ok().map(|r| r.status().as_u16());
        match &p.route {
            Resolved::Series(series) => series.answered(&p.shared.series, p.method, status, took),
            Resolved::Label(route) => {
                let route = match route {
                    Route::Unmatched => UNMATCHED_ROUTE,
                    Route::Known(i) => p.shared.routes.get(*i).map_or(UNMATCHED_ROUTE, |r| &**r),
                    #[cfg(feature = "server")]
                    Route::Matched(m) => m.as_str(),
                };
                p.shared.series.answered(route, p.method, status, took);
            }
        }
        let mut result = result;
        if p.shared.response_time
            && let Ok(response) = result.as_mut()
        {
            let (buf, len) = seconds(took);
            if let Ok(v) = HeaderValue::from_bytes(&buf[..len]) {
                response.headers_mut().insert(RESPONSE_TIME, v);
            }
        }
        Poll::Ready(result)
    }
}

/// `X-Response-Time`.
pub const RESPONSE_TIME: http::HeaderName = http::HeaderName::from_static("x-response-time");

/// `took` in seconds with six decimals (`0.000029`), written without the formatting
/// machinery: this runs on every request.
pub(crate) fn seconds(took: std::time::Duration) -> ([u8; 32], usize) {
    let mut out = [0u8; 32];
    let mut digits = [0u8; 20];
    let mut n = 0;
    let mut x = took.as_secs();
    loop {
        digits[n] = b'0' + u8::try_from(x % 10).unwrap_or(0);
        n += 1;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    let mut len = 0;
    for d in digits[..n].iter().rev() {
        out[len] = *d;
        len += 1;
    }
    out[len] = b'.';
    len += 1;
    let mut micros = took.subsec_micros();
    for i in (0..6).rev() {
        out[len + i] = b'0' + u8::try_from(micros % 10).unwrap_or(0);
        micros /= 10;
    }
    (out, len + 6)
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_match_segments() {
        use super::matches;
        assert!(matches("/health", "/health"));
        assert!(matches("/health/checks/{name}", "/health/checks/db:ping"));
        assert!(!matches("/health/checks/{name}", "/health/checks/"));
        assert!(!matches("/health/checks/{name}", "/health/checks/a/b"));
        assert!(matches("/health/{group}", "/health/batch"));
        assert!(!matches("/health/{group}", "/health/"));
        assert!(!matches("/health/{group}", "/health"));
        assert!(matches("/files/{*rest}", "/files/a/b/c"));
        assert!(!matches("/files/{*rest}", "/files/"));
        assert!(!matches("/metrics", "/metricsx"));
    }

    #[test]
    fn seconds_are_written_like_format() {
        for micros in [0u64, 7, 29, 999_999, 1_000_000, 12_345_678, 98_765_432_101] {
            let d = std::time::Duration::from_micros(micros);
            let want = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
            let (buf, len) = super::seconds(d);
            assert_eq!(std::str::from_utf8(&buf[..len]).unwrap(), want);
        }
        let (buf, len) = super::seconds(std::time::Duration::MAX);
        assert!(
            std::str::from_utf8(&buf[..len])
                .unwrap()
                .starts_with("18446744073709551615.")
        );
    }
}
