//! [`RequestMetrics`]: the request series of an HTTP service — a counter by method, route
//! template and status, a duration histogram and an in-flight gauge — and how they are
//! configured. [`RequestMetricsLayer`](crate::RequestMetricsLayer) records into them.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts};

use crate::layer::RequestMetricsLayer;
use crate::series;

/// The label of a request no route matched: one series, whatever the path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The default duration buckets, seconds: 1 ms to 10 s, with a bound at 1 s for the
/// latency alert.
pub const DEFAULT_BUCKETS: [f64; 13] = [
    0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The method labels: the standard methods, every other one `OTHER`, so a client cannot
/// mint series.
pub(crate) const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER",
];

/// The index of `method` in [`METHODS`].
pub(crate) fn method_index(method: &http::Method) -> u8 {
    match *method {
        http::Method::GET => 0,
        http::Method::HEAD => 1,
        http::Method::POST => 2,
        http::Method::PUT => 3,
        http::Method::DELETE => 4,
        http::Method::PATCH => 5,
        http::Method::OPTIONS => 6,
        http::Method::CONNECT => 7,
        http::Method::TRACE => 8,
        _ => 9,
    }
}

/// How request series are named and labelled; [`register`](Self::register) makes the layer.
///
/// ```
/// use steadfast_healthcheck::RequestMetrics;
///
/// let prom = prometheus::Registry::new();
/// let layer = RequestMetrics::default()
///     .prefix("steadfast")
///     .listener("api")
///     .response_time_header(true)
///     .register(&prom)?;
/// // axum: Router::new().route("/patients/{id}", get(handler)).layer(layer)
/// # let _ = layer;
/// # Ok::<(), steadfast_healthcheck::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    prefix: String,
    listener: String,
    buckets: Vec<f64>,
    response_time_header: bool,
    routes: Vec<String>,
}

impl Default for RequestMetrics {
    /// Prefix `steadfast`, listener `main`, [`DEFAULT_BUCKETS`], no `X-Response-Time`
    /// header, no known routes (axum's matched route only).
    fn default() -> Self {
        Self {
            prefix: series::DEFAULT_PREFIX.to_owned(),
            listener: "main".to_owned(),
            buckets: DEFAULT_BUCKETS.to_vec(),
            response_time_header: false,
            routes: Vec::new(),
        }
    }
}

impl RequestMetrics {
    /// The series prefix (`[metrics] prometheus_prefix`).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The `listener` label, so two listeners (or the health server and your API) can
    /// share one Prometheus registry.
    #[must_use]
    pub fn listener(mut self, listener: impl Into<String>) -> Self {
        self.listener = listener.into();
        self
    }

    /// The duration histogram's upper bounds, seconds, increasing.
    #[must_use]
    pub fn buckets(mut self, buckets: impl Into<Vec<f64>>) -> Self {
        self.buckets = buckets.into();
        self
    }

    /// Adds `X-Response-Time: <seconds>` (e.g. `0.000029`) to every answer.
    #[must_use]
    pub fn response_time_header(mut self, on: bool) -> Self {
        self.response_time_header = on;
        self
    }

    /// Exact paths that are their own route label where no router names the route (hyper,
    /// tonic: `/package.Service/Method`). Under axum the matched template is used first.
    #[must_use]
    pub fn routes<I, S>(mut self, routes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.routes = routes.into_iter().map(Into::into).collect();
        self
    }

    /// Registers the series into `registry` and returns the layer that records them.
    ///
    /// # Errors
    /// [`Error::Metrics`](crate::Error::Metrics) when series of the same name and listener
    /// are already registered there, or the buckets are not increasing.
    pub fn register(
        self,
        registry: &prometheus::Registry,
    ) -> Result<RequestMetricsLayer, crate::Error> {
        let p = &self.prefix;
        let requests = IntCounterVec::new(
            Opts::new(
                series::name(p, series::HTTP_REQUESTS_TOTAL),
                "HTTP requests answered, by method, route template and status",
            )
            .const_label("listener", &self.listener),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                series::name(p, series::HTTP_REQUEST_DURATION_SECONDS),
                "Time from a request's arrival to its answer's head, by method and route template",
            )
            .const_label("listener", &self.listener)
            .buckets(self.buckets),
            &["method", "route"],
        )?;
        let in_flight = IntGauge::with_opts(
            Opts::new(
                series::name(p, series::HTTP_REQUESTS_IN_FLIGHT),
                "HTTP requests being answered now",
            )
            .const_label("listener", &self.listener),
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        let series = Series {
            requests,
            duration,
            in_flight,
            resolved: RwLock::default(),
        };
        Ok(RequestMetricsLayer::new(
            Arc::new(series),
            self.response_time_header,
            self.routes.into_iter().map(String::into_boxed_str).collect(),
        ))
    }
}

/// The most routes whose series are kept resolved (routes are templates: a real router has
/// far fewer); beyond it series are still recorded, looked up by label each time.
const RESOLVED_ROUTES: usize = 1024;

/// Series resolved for one (method, status) of a route.
type PerRoute = Vec<(u8, u16, IntCounter, Histogram)>;

/// The registered series, and the resolved ones by route: a hash of the route and a short
/// scan instead of hashing every label set on every request.
#[derive(Debug)]
pub(crate) struct Series {
    requests: IntCounterVec,
    duration: HistogramVec,
    pub(crate) in_flight: IntGauge,
    resolved: RwLock<HashMap<Box<str>, PerRoute>>,
}

impl Series {
    /// One answered request; `status` is `None` when the service failed instead of answering.
    pub(crate) fn answered(&self, route: &str, method: u8, status: Option<u16>, took: Duration) {
        let seconds = took.as_secs_f64();
        let code = status.unwrap_or(0);
        {
            let resolved = self.resolved.read().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, _, count, time)) = resolved
                .get(route)
                .and_then(|r| r.iter().find(|(m, s, _, _)| *m == method && *s == code))
            {
                count.inc();
                time.observe(seconds);
                return;
            }
        }
        let status_label = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        let method_label = METHODS[usize::from(method).min(METHODS.len() - 1)];
        let count = self
            .requests
            .with_label_values(&[method_label, route, status_label.as_str()]);
        let time = self.duration.with_label_values(&[method_label, route]);
        count.inc();
        time.observe(seconds);
        let mut resolved = self.resolved.write().unwrap_or_else(PoisonError::into_inner);
        if resolved.len() >= RESOLVED_ROUTES && !resolved.contains_key(route) {
            return;
        }
        let per = resolved.entry(route.into()).or_default();
        if !per.iter().any(|(m, s, _, _)| *m == method && *s == code) {
            per.push((method, code, count, time));
        }
    }
}
