//! Prometheus series (feature `prometheus`): each check's status, run time and outcomes,
//! updated when a check finishes — a scrape never runs a check — and the server's requests
//! by route, method and status.

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};
use steadfast_core::Status;

/// Check series, registered by [`Registry::metrics`](crate::Registry::metrics).
#[derive(Debug, Clone)]
pub(crate) struct CheckMetrics {
    status: IntGaugeVec,
    duration: HistogramVec,
    runs: IntCounterVec,
    last_run: prometheus::GaugeVec,
}

const STATUSES: [Status; 3] = [Status::Pass, Status::Warn, Status::Fail];

impl CheckMetrics {
    pub(crate) fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let status = IntGaugeVec::new(
            Opts::new(
                "steadfast_health_check_status",
                "1 for each check's current (damped) status, 0 for its other statuses",
            ),
            &["check", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "steadfast_health_check_duration_seconds",
                "How long each check run took (timeouts count their full timeout)",
            )
            .buckets(vec![
                0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["check"],
        )?;
        let runs = IntCounterVec::new(
            Opts::new(
                "steadfast_health_check_runs_total",
                "Check runs by how they ended: completed, timeout or panic",
            ),
            &["check", "outcome"],
        )?;
        let last_run = prometheus::GaugeVec::new(
            Opts::new(
                "steadfast_health_check_last_run_timestamp_seconds",
                "Unix time when each check last finished",
            ),
            &["check"],
        )?;
        registry.register(Box::new(status.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(runs.clone()))?;
        registry.register(Box::new(last_run.clone()))?;
        Ok(Self {
            status,
            duration,
            runs,
            last_run,
        })
    }

    /// Creates every series of `check`, so dashboards see it before its first run.
    pub(crate) fn declare(&self, check: &str) {
        for s in STATUSES {
            self.status.with_label_values(&[check, s.as_str()]).set(0);
        }
        for outcome in ["completed", "timeout", "panic"] {
            let _ = self.runs.with_label_values(&[check, outcome]);
        }
    }

    /// The status `check` reports now (a finished run's, or `fail` for a result too old).
    pub(crate) fn status(&self, check: &str, status: Status) {
        for s in STATUSES {
            self.status
                .with_label_values(&[check, s.as_str()])
                .set(i64::from(s == status));
        }
    }

    /// One finished run of `check`: its damped status, how long it took, how it ended.
    pub(crate) fn finished(&self, check: &str, status: Status, took: Duration, outcome: &str) {
        self.status(check, status);
        self.duration
            .with_label_values(&[check])
            .observe(took.as_secs_f64());
        self.runs.with_label_values(&[check, outcome]).inc();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        self.last_run
            .with_label_values(&[check])
            .set(now.as_secs_f64());
    }
}

/// Request series of one listener.
#[cfg(feature = "server")]
#[derive(Debug, Clone)]
pub(crate) struct HttpMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
    /// Resolved series by (route, method, status): a short scan instead of hashing labels
    /// on every request. Bounded: routes and methods are fixed sets, statuses few.
    resolved: std::sync::Arc<std::sync::RwLock<Vec<Resolved>>>,
}

#[cfg(feature = "server")]
type Resolved = (
    (&'static str, &'static str, u16),
    prometheus::IntCounter,
    prometheus::Histogram,
);

#[cfg(feature = "server")]
impl HttpMetrics {
    /// Registers the series with a `listener` label, so a second listener on the same
    /// registry has its own.
    pub(crate) fn register(registry: &Registry, listener: &str) -> Result<Self, prometheus::Error> {
        let requests = IntCounterVec::new(
            Opts::new(
                "steadfast_http_requests_total",
                "Requests answered by the health server, by route, method and status",
            )
            .const_label("listener", listener),
            &["route", "method", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "steadfast_http_request_duration_seconds",
                "Time to answer a request, by route and method",
            )
            .const_label("listener", listener)
            .buckets(vec![
                0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1,
            ]),
            &["route", "method"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self {
            requests,
            duration,
            resolved: std::sync::Arc::default(),
        })
    }

    /// One answered request. `route` is the matched route or `unmatched`, and `method` one
    /// of the standard methods or `other`, so a client cannot mint new series.
    pub(crate) fn answered(
        &self,
        route: &'static str,
        method: &'static str,
        status: u16,
        took: Duration,
    ) {
        let key = (route, method, status);
        let seconds = took.as_secs_f64();
        {
            let resolved = self
                .resolved
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((_, count, time)) = resolved.iter().find(|(k, _, _)| *k == key) {
                count.inc();
                time.observe(seconds);
                return;
            }
        }
        let code = status.to_string();
        let count = self
            .requests
            .with_label_values(&[route, method, code.as_str()]);
        let time = self.duration.with_label_values(&[route, method]);
        count.inc();
        time.observe(seconds);
        let mut resolved = self
            .resolved
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if resolved.len() < 256 && !resolved.iter().any(|(k, _, _)| *k == key) {
            resolved.push((key, count, time));
        }
    }
}
