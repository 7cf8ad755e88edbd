//! Feature `prometheus`: a monitor's space, inode and prediction gauges — read at scrape
//! time from its last sample — and cleanup counters.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{GaugeVec, IntCounter, IntGauge, Opts, Registry};
use steadfast_core::Prefix;

use crate::cleanup::CleanupReport;
use crate::monitor::Monitor;
use crate::series;

/// `<prefix>_disk_*` series of one monitored path, labelled `path` (names in [`series`]).
///
/// | series | type |
/// |---|---|
/// | `steadfast_disk_total_bytes`, `_free_bytes`, `_available_bytes` | gauge |
/// | `steadfast_disk_inodes`, `_inodes_free` | gauge |
/// | `steadfast_disk_level` (0 ok, 1 low, 2 high, 3 flood) | gauge |
/// | `steadfast_disk_predicted_seconds_to_full` (`+Inf` unless filling) | gauge |
///
/// ```
/// use steadfast_diskwatch::{DiskMetrics, DiskSpace, Monitor};
///
/// let monitor = Monitor::builder("/data")
///     .source(|p: &std::path::Path| Ok(DiskSpace::new(p, 1000, 100)))
///     .build()?;
/// monitor.tick(std::time::Duration::ZERO)?;
/// let registry = prometheus::Registry::new();
/// monitor.register_prometheus(&registry, &steadfast_core::Prefix::default())?;
/// let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather())?;
/// assert!(text.contains(r#"steadfast_disk_available_bytes{path="/data"} 100"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DiskMetrics {
    monitor: Monitor,
    gauges: Vec<IntGauge>,
    ttf: GaugeVec,
    path: String,
}

const SERIES: [(&str, &str); 6] = [
    (
        series::DISK_TOTAL_BYTES,
        "Bytes in the filesystem of a monitored path.",
    ),
    (
        series::DISK_FREE_BYTES,
        "Bytes free, root's reserve included.",
    ),
    (
        series::DISK_AVAILABLE_BYTES,
        "Bytes available to the pipeline's user.",
    ),
    (series::DISK_INODES, "Inodes in the filesystem."),
    (series::DISK_INODES_FREE, "Inodes free."),
    (
        series::DISK_LEVEL,
        "Watermark level: 0 ok, 1 low, 2 high, 3 flood stage.",
    ),
];

impl Monitor {
    /// Registers this monitor's gauges into `registry` under `prefix` — the registration
    /// every crate offers (`register_prometheus(&Registry, &Prefix)`).
    ///
    /// # Errors
    /// [`prometheus::Error`] if they are already registered for this path.
    pub fn register_prometheus(
        &self,
        registry: &Registry,
        prefix: &Prefix,
    ) -> prometheus::Result<()> {
        DiskMetrics::register(registry, prefix, self)
    }
}

impl DiskMetrics {
    /// Registers the gauges of `monitor` into `registry` under `prefix`.
    ///
    /// # Errors
    /// [`prometheus::Error`] if they are already registered for this path.
    pub fn register(
        registry: &Registry,
        prefix: &Prefix,
        monitor: &Monitor,
    ) -> prometheus::Result<()> {
        let path = monitor.path().display().to_string();
        let gauges = SERIES
            .iter()
            .map(|(name, help)| {
                IntGauge::with_opts(Opts::new(prefix.name(name), *help).const_label("path", &path))
            })
            .collect::<prometheus::Result<Vec<_>>>()?;
        let ttf = GaugeVec::new(
            Opts::new(
                prefix.name(series::DISK_PREDICTED_SECONDS_TO_FULL),
                "Seconds until the disk is full at the recent rate; +Inf while it is not filling.",
            ),
            &["path"],
        )?;
        registry.register(Box::new(Self {
            monitor: monitor.clone(),
            gauges,
            ttf,
            path,
        }))
    }
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Collector for DiskMetrics {
    fn desc(&self) -> Vec<&Desc> {
        let mut d: Vec<&Desc> = self.gauges.iter().flat_map(Collector::desc).collect();
        d.extend(self.ttf.desc());
        d
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut out = Vec::new();
        if let Some((s, level)) = self.monitor.last() {
            let values = [
                s.total,
                s.free,
                s.available,
                s.inodes_total,
                s.inodes_free,
                level as u64,
            ];
            for (g, v) in self.gauges.iter().zip(values) {
                g.set(clamp(v));
                out.extend(g.collect());
            }
        }
        // Always there (an alert's comparison needs the series to exist): +Inf while the
        // disk is not filling, so `< horizon` holds only for a real prediction.
        let seconds = self
            .monitor
            .time_to_full()
            .map_or(f64::INFINITY, |t| t.as_secs_f64().floor());
        self.ttf
            .with_label_values(&[self.path.as_str()])
            .set(seconds);
        out.extend(self.ttf.collect());
        out
    }
}

/// Cleanup counters: `<prefix>_disk_cleanup_deleted_runs_total`,
/// `<prefix>_disk_cleanup_freed_bytes_total`, `<prefix>_disk_cleanup_failures_total`.
#[derive(Clone, Debug)]
pub struct CleanupMetrics {
    deleted: IntCounter,
    freed: IntCounter,
    failures: IntCounter,
}

impl CleanupMetrics {
    /// Registers the counters into `registry` under `prefix`.
    ///
    /// # Errors
    /// [`prometheus::Error`] if they are already registered.
    pub fn register(registry: &Registry, prefix: &Prefix) -> prometheus::Result<Self> {
        let me = Self {
            deleted: IntCounter::new(
                prefix.name(series::DISK_CLEANUP_DELETED_RUNS_TOTAL),
                "Runs deleted by cleanup.",
            )?,
            freed: IntCounter::new(
                prefix.name(series::DISK_CLEANUP_FREED_BYTES_TOTAL),
                "Bytes freed by cleanup.",
            )?,
            failures: IntCounter::new(
                prefix.name(series::DISK_CLEANUP_FAILURES_TOTAL),
                "Run deletions that failed.",
            )?,
        };
        registry.register(Box::new(me.deleted.clone()))?;
        registry.register(Box::new(me.freed.clone()))?;
        registry.register(Box::new(me.failures.clone()))?;
        Ok(me)
    }

    /// Counts what a (non-dry) cleanup did.
    pub fn record(&self, report: &CleanupReport) {
        if report.dry_run {
            return;
        }
        self.deleted.inc_by(report.deleted.len() as u64);
        self.freed.inc_by(report.bytes_freed);
        self.failures.inc_by(report.failed.len() as u64);
    }
}
