//! Prometheus series of checks (feature `prometheus`): each check's status, run time and
//! outcomes, updated when a check finishes — a scrape never runs a check. Request series are
//! [`RequestMetrics`](crate::RequestMetrics)' (feature `layer`), pool series
//! [`PoolMetrics`](crate::PoolMetrics)'; every name is in [`series`](crate::series).

use std::time::{Duration, SystemTime};

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};
use steadfast_core::Status;

use steadfast_core::Prefix;

use crate::series;

/// Check series, registered by [`HealthRegistry::metrics`](crate::HealthRegistry::metrics)
/// or [`Health::metrics`](crate::Health::metrics).
#[derive(Debug, Clone)]
pub(crate) struct CheckMetrics {
    status: IntGaugeVec,
    duration: HistogramVec,
    runs: IntCounterVec,
    last_run: prometheus::GaugeVec,
}

const STATUSES: [Status; 3] = [Status::Pass, Status::Warn, Status::Fail];

impl CheckMetrics {
    pub(crate) fn register(
        registry: &Registry,
        prefix: &Prefix,
    ) -> Result<Self, prometheus::Error> {
        let status = IntGaugeVec::new(
            Opts::new(
                prefix.name(series::HEALTH_CHECK_STATUS),
                "1 for each check's current (damped) status, 0 for its other statuses",
            ),
            &["check", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                prefix.name(series::HEALTH_CHECK_DURATION_SECONDS),
                "How long each check run took (timeouts count their full timeout)",
            )
            .buckets(vec![
                0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["check"],
        )?;
        let runs = IntCounterVec::new(
            Opts::new(
                prefix.name(series::HEALTH_CHECK_RUNS_TOTAL),
                "Check runs by how they ended: completed, timeout or panic",
            ),
            &["check", "outcome"],
        )?;
        let last_run = prometheus::GaugeVec::new(
            Opts::new(
                prefix.name(series::HEALTH_CHECK_LAST_RUN_TIMESTAMP_SECONDS),
                "Unix time when each check last finished",
            ),
            &["check"],
        )?;
        registry.register(Box::new(status.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(runs.clone()))?;
        registry.register(Box::new(last_run.clone()))?;
        // The process's memory and its limit ride along: the memory alert divides them.
        crate::process_memory::ProcessMemory::register_into(registry, prefix)?;
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

    /// What is known of `check` as its series are exported: its series declared, its
    /// status (none before a first result) and when it last finished.
    pub(crate) fn current(
        &self,
        check: &str,
        status: Option<Status>,
        last_run: Option<SystemTime>,
    ) {
        self.declare(check);
        if let Some(status) = status {
            self.status(check, status);
        }
        if let Some(at) = last_run {
            self.last_run.with_label_values(&[check]).set(unix_secs(at));
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
        self.last_run
            .with_label_values(&[check])
            .set(unix_secs(SystemTime::now()));
    }
}

/// `at` as Unix seconds.
fn unix_secs(at: SystemTime) -> f64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}
