//! [`RequestMetrics`]: the request series of an HTTP service — a counter by method, route
//! template and status, a duration histogram and an in-flight gauge — and how they are
//! configured. [`RequestMetricsLayer`](crate::RequestMetricsLayer) records into them.

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts};

use crate::layer::RequestMetricsLayer;
use crate::request_series::Series;
use crate::series;

/// The default duration buckets, seconds: 1 ms to 10 s, with a bound at 1 s for the
/// latency alert.
pub const DEFAULT_BUCKETS: [f64; 13] = [
    0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How request series are named and labelled; [`register`](Self::register) makes the layer.
///
/// ```
/// use steadfast_healthcheck::RequestMetrics;
///
/// let prom = prometheus::Registry::new();
/// let prefix = steadfast_core::Prefix::default(); // [metrics] prometheus_prefix
/// let layer = RequestMetrics::default()
///     .listener("api")
///     .response_time_header(true)
///     .register(&prom, &prefix)?;
/// // axum: Router::new().route("/patients/{id}", get(handler)).layer(layer)
/// # let _ = layer;
/// # Ok::<(), steadfast_healthcheck::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    listener: String,
    buckets: Vec<f64>,
    response_time_header: bool,
    routes: Vec<String>,
}

impl Default for RequestMetrics {
    /// Listener `main`, [`DEFAULT_BUCKETS`], no `X-Response-Time`
    /// header, no known routes (axum's matched route only).
    fn default() -> Self {
        Self {
            listener: "main".to_owned(),
            buckets: DEFAULT_BUCKETS.to_vec(),
            response_time_header: false,
            routes: Vec::new(),
        }
    }
}

impl RequestMetrics {
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

    /// Route templates, in axum's syntax (`/patients/{id}`, `/files/{*rest}`, exact paths),
    /// tried in order where no router names the route: hyper, tonic
    /// (`/package.Service/Method`), or this layer around a whole axum router. A request's
    /// `MatchedPath`, when there is one, comes first.
    #[must_use]
    pub fn routes<I, S>(mut self, routes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.routes = routes.into_iter().map(Into::into).collect();
        self
    }

    /// Registers the series into `registry` under `prefix` (`[metrics] prometheus_prefix`)
    /// and returns the layer that records them.
    ///
    /// # Errors
    /// [`Error::Metrics`](crate::Error::Metrics) when series of the same name and listener
    /// are already registered there, or the buckets are not increasing.
    pub fn register(
        self,
        registry: &prometheus::Registry,
        prefix: &steadfast_core::Prefix,
    ) -> Result<RequestMetricsLayer, crate::Error> {
        let requests = IntCounterVec::new(
            Opts::new(
                prefix.name(series::HTTP_REQUESTS_TOTAL),
                "HTTP requests answered, by method, route template and status",
            )
            .const_label("listener", &self.listener),
            &["method", "route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                prefix.name(series::HTTP_REQUEST_DURATION_SECONDS),
                "Time from a request's arrival to its answer's head, by method and route template",
            )
            .const_label("listener", &self.listener)
            .buckets(self.buckets),
            &["method", "route"],
        )?;
        let in_flight = IntGauge::with_opts(
            Opts::new(
                prefix.name(series::HTTP_REQUESTS_IN_FLIGHT),
                "HTTP requests being answered now",
            )
            .const_label("listener", &self.listener),
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        let series = Series::new(requests, duration, in_flight);
        Ok(RequestMetricsLayer::new(
            series,
            self.response_time_header,
            self.routes
                .into_iter()
                .map(String::into_boxed_str)
                .collect(),
        ))
    }
}
