//! Feature `prometheus`: a monitor's space, inode and prediction gauges — read at scrape
//! time from its last sample — and cleanup counters.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, IntGauge, IntGaugeVec, Opts, Registry};

use crate::cleanup::CleanupReport;
use crate::monitor::Monitor;

/// `steadfast_disk_*` series of one monitored path, labelled `path`.
///
/// | series | type |
/// |---|---|
/// | `steadfast_disk_total_bytes`, `_free_bytes`, `_available_bytes` | gauge |
/// | `steadfast_disk_inodes_total`, `_inodes_free` | gauge |
/// | `steadfast_disk_level` (0 ok, 1 low, 2 high, 3 flood) | gauge |
/// | `steadfast_disk_predicted_seconds_to_full` (only while filling) | gauge |
///
/// ```
/// use steadfast_diskwatch::{DiskMetrics, DiskSpace, Monitor};
///
/// let monitor = Monitor::builder("/data")
///     .source(|p: &std::path::Path| Ok(DiskSpace::new(p, 1000, 100)))
///     .build()?;
/// monitor.tick(std::time::Duration::ZERO)?;
/// let registry = prometheus::Registry::new();
/// DiskMetrics::register(&registry, &monitor)?;
/// let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather())?;
/// assert!(text.contains(r#"steadfast_disk_available_bytes{path="/data"} 100"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DiskMetrics {
    monitor: Monitor,
    gauges: Vec<IntGauge>,
    ttf: IntGaugeVec,
    path: String,
}

const SERIES: [(&str, &str); 6] = [
    (
        "total_bytes",
        "Bytes in the filesystem of a monitored path.",
    ),
    ("free_bytes", "Bytes free, root's reserve included."),
    ("available_bytes", "Bytes available to the pipeline's user."),
    ("inodes_total", "Inodes in the filesystem."),
    ("inodes_free", "Inodes free."),
    (
        "level",
        "Watermark level: 0 ok, 1 low, 2 high, 3 flood stage.",
    ),
];

impl DiskMetrics {
    /// Registers the gauges of `monitor` into `registry`.
    ///
    /// # Errors
    /// [`prometheus::Error`] if they are already registered for this path.
    pub fn register(registry: &Registry, monitor: &Monitor) -> prometheus::Result<()> {
        let path = monitor.path().display().to_string();
        let gauges = SERIES
            .iter()
            .map(|(name, help)| {
                IntGauge::with_opts(
                    Opts::new(format!("steadfast_disk_{name}"), *help).const_label("path", &path),
                )
            })
            .collect::<prometheus::Result<Vec<_>>>()?;
        let ttf = IntGaugeVec::new(
            Opts::new(
                "steadfast_disk_predicted_seconds_to_full",
                "Seconds until the disk is full at the recent rate.",
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
        self.ttf.reset();
        if let Some(t) = self.monitor.time_to_full() {
            self.ttf
                .with_label_values(&[self.path.as_str()])
                .set(clamp(t.as_secs()));
            out.extend(self.ttf.collect());
        }
        out
    }
}

/// Cleanup counters: `steadfast_disk_cleanup_deleted_runs_total`,
/// `steadfast_disk_cleanup_freed_bytes_total`, `steadfast_disk_cleanup_failures_total`.
#[derive(Clone)]
pub struct CleanupMetrics {
    deleted: IntCounter,
    freed: IntCounter,
    failures: IntCounter,
}

impl CleanupMetrics {
    /// Registers the counters into `registry`.
    ///
    /// # Errors
    /// [`prometheus::Error`] if they are already registered.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let me = Self {
            deleted: IntCounter::new(
                "steadfast_disk_cleanup_deleted_runs_total",
                "Runs deleted by cleanup.",
            )?,
            freed: IntCounter::new(
                "steadfast_disk_cleanup_freed_bytes_total",
                "Bytes freed by cleanup.",
            )?,
            failures: IntCounter::new(
                "steadfast_disk_cleanup_failures_total",
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
