//! [`AlertInputs`]: the configuration sections alert rules are generated from, borrowed —
//! so this crate needs no composed settings type, and any caller can build them.

use std::time::Duration;

use steadfast_core::Prefix;
use steadfast_perf_profiler::SloConfig;
use steadfast_validation::Thresholds;

/// What [`alert_rules`](crate::alert_rules) reads: the `[metrics]` prefix of series names,
/// the `[validation]` thresholds, the `[disk]` prediction horizon and the `[profiler]` SLOs.
///
/// ```
/// use std::time::Duration;
/// use steadfast_prometheus::AlertInputs;
/// use steadfast_validation::Thresholds;
///
/// let thresholds = Thresholds::default();
/// let inputs = AlertInputs::new(&thresholds)
///     .prefix(steadfast_core::Prefix::new("etl")?)
///     .disk_horizon(Duration::from_secs(3600));
/// assert_eq!(inputs.prefix.as_str(), "etl");
/// assert!(inputs.slos.is_empty());
/// # Ok::<(), steadfast_core::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AlertInputs<'a> {
    /// The prefix of every series name (`[metrics] prometheus_prefix`, default `steadfast`).
    pub prefix: Prefix,
    /// The thresholds that validate runs (`[validation]`).
    pub thresholds: &'a Thresholds,
    /// How far ahead a disk predicted full raises an alert (`[disk] horizon`, default 4 h).
    pub disk_horizon: Duration,
    /// The profiler's SLOs (`[profiler] slos`); p50, p90, p95 and p99 become alerts.
    pub slos: &'a [SloConfig],
}

impl<'a> AlertInputs<'a> {
    /// Inputs with `thresholds` and every other section at its documented default.
    pub fn new(thresholds: &'a Thresholds) -> Self {
        Self {
            prefix: Prefix::default(),
            thresholds,
            disk_horizon: steadfast_diskwatch::DiskConfig::default().horizon.get(),
            slos: &[],
        }
    }

    /// The prefix of series names (`[metrics] prometheus_prefix`).
    #[must_use]
    pub fn prefix(mut self, prefix: Prefix) -> Self {
        self.prefix = prefix;
        self
    }

    /// The disk prediction horizon (`[disk] horizon`).
    #[must_use]
    pub fn disk_horizon(mut self, horizon: Duration) -> Self {
        self.disk_horizon = horizon;
        self
    }

    /// The profiler's SLOs (`[profiler] slos`).
    #[must_use]
    pub fn slos(mut self, slos: &'a [SloConfig]) -> Self {
        self.slos = slos;
        self
    }
}
