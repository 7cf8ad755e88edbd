//! `Recorder`: the cheap, cloneable front of the crate — counters, gauges, histograms,
//! pre-resolved handles and batches — and the shared state behind it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use steadfast_core::RunDir;

use crate::background::Background;
use crate::config::MetricsConfig;
use crate::error::Error;
use crate::flush::FlushState;
use crate::handles::{Counter, Gauge, Handle, Histogram};
use crate::key::{Kind, SeriesKey};
use crate::labeled::Labeled;
use crate::local::{Fallback, ThreadShards, with_local};
use crate::raw::RawQueue;
use crate::registry::{Registry, Resolved};
use crate::shard::Shard;
use crate::stats::Stats;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Shared {
    pub(crate) id: u64,
    pub(crate) max_series: usize,
    pub(crate) registry: RwLock<Registry>,
    /// Every shard, for the flusher: one per thread slot that has recorded, and the fallback.
    pub(crate) shards: Mutex<Vec<Arc<Shard>>>,
    pub(crate) threads: ThreadShards,
    pub(crate) fallback: Fallback,
    pub(crate) flush: Mutex<FlushState>,
    pub(crate) stats: Stats,
    pub(crate) raw: Option<RawQueue>,
    pub(crate) closed: AtomicBool,
    pub(crate) background: Mutex<Option<Background>>,
    #[cfg_attr(
        not(feature = "prometheus"),
        allow(dead_code, reason = "read by the Prometheus exporter only")
    )]
    pub(crate) prefix: String,
}

impl Shared {
    pub(crate) fn stats_snapshot(&self) -> crate::stats::RecorderStats {
        let overflowed = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .overflowed;
        let shards = self
            .shards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        self.stats
            .snapshot(overflowed, u64::try_from(shards).unwrap_or(u64::MAX))
    }

    pub(crate) fn resolve_slow(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
    ) -> Result<(SeriesKey, Resolved), Error> {
        if let Some(meta) = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .lookup(step, name, labels)
        {
            return Ok((meta.key.clone(), meta.resolved.clone()));
        }
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .resolve(step, name, labels, kind)
    }
}

/// Records metrics from any number of threads into the run's `metrics.ndjson`.
///
/// Recording aggregates in per-thread memory (no global lock, no allocation once a series
/// is known); a background thread writes each series' aggregate every `flush_interval`
/// (counter deltas, changed gauges, histogram deltas) in one batched write and fsync.
/// `flush()` and `close()` return only after the data is on disk. Dropping the last clone
/// closes the recorder.
///
/// ```
/// use steadfast_metrics::{Recorder, read_run};
///
/// let dir = tempfile::tempdir()?;
/// let rec = Recorder::to_file(dir.path().join("metrics.ndjson"))?;
/// rec.counter("bronze", "records").label("resource_type", "Patient").add(1200);
/// let bytes = rec.counter_handle("bronze", "bytes", &[])?; // for hot loops
/// bytes.add(4096);
/// rec.gauge("bronze", "queue_depth").set(3.0);
/// rec.histogram("bronze", "page_seconds").observe(0.2);
/// rec.close()?;
///
/// let metrics = steadfast_metrics::read_file(dir.path().join("metrics.ndjson"))?;
/// assert_eq!(metrics.total("bronze", "records"), 1200.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Recorder {
    pub(crate) shared: Arc<Shared>,
    _life: Arc<Lifetime>,
}

struct Lifetime(Arc<Shared>);

impl Drop for Lifetime {
    fn drop(&mut self) {
        // Dropped without `close()`: flush now; a failure has no caller to return to.
        if let Err(e) = crate::background::close(&self.0) {
            #[cfg(feature = "tracing")]
            tracing::error!(error = %e, "metrics recorder dropped and its final flush failed; call close() to handle this");
            #[cfg(not(feature = "tracing"))]
            let _ = e;
        }
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("id", &self.shared.id)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder writing to the run's `metrics.ndjson` with the default configuration.
    ///
    /// # Errors
    /// [`Error::Persist`] if the file cannot be opened.
    pub fn to_run_dir(run: &RunDir) -> Result<Self, Error> {
        Self::with_config(Some(run.metrics_path()), &MetricsConfig::default())
    }

    /// A recorder writing to `path` with the default configuration.
    ///
    /// # Errors
    /// [`Error::Persist`] if the file cannot be opened.
    pub fn to_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::with_config(Some(path.as_ref().to_path_buf()), &MetricsConfig::default())
    }

    /// A recorder that keeps everything in memory (for Prometheus only, or tests).
    pub fn in_memory() -> Self {
        // No file: nothing can fail to open.
        match Self::with_config(None, &MetricsConfig::default()) {
            Ok(r) => r,
            Err(_) => unreachable!("an in-memory recorder opens no file"),
        }
    }

    /// A recorder with `config`, writing to `sink` if given.
    ///
    /// # Errors
    /// [`Error::Persist`] if the file cannot be opened; [`Error::InvalidName`] for bad
    /// histogram buckets in the configuration.
    pub fn with_config(sink: Option<PathBuf>, config: &MetricsConfig) -> Result<Self, Error> {
        for (name, b) in &config.buckets {
            Registry::check_bounds(name, b)?;
        }
        let flush = FlushState::open(sink)?;
        let buckets: HashMap<String, Vec<f64>> = config.buckets.clone().into_iter().collect();
        let shared = Arc::new(Shared {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            max_series: config.max_series,
            registry: RwLock::new(Registry::new(
                config.max_series,
                config.max_series_per_metric,
                buckets,
            )),
            shards: Mutex::new(Vec::new()),
            threads: ThreadShards::new(),
            fallback: Mutex::new(None),
            flush: Mutex::new(flush),
            stats: Stats::default(),
            raw: config
                .raw
                .then(|| RawQueue::new(config.raw_queue_capacity, config.on_full)),
            closed: AtomicBool::new(false),
            background: Mutex::new(None),
            prefix: config.prometheus_prefix.clone(),
        });
        crate::background::start(&shared, config.flush_interval.get());
        Ok(Self {
            _life: Arc::new(Lifetime(shared.clone())),
            shared,
        })
    }

    /// A counter of `step`/`name`; add labels, then `add`.
    #[inline]
    pub fn counter<'a>(&'a self, step: &'a str, name: &'a str) -> Labeled<'a> {
        Labeled::new(self, step, name, Kind::Counter)
    }

    /// A gauge of `step`/`name`; add labels, then `set`.
    #[inline]
    pub fn gauge<'a>(&'a self, step: &'a str, name: &'a str) -> Labeled<'a> {
        Labeled::new(self, step, name, Kind::Gauge)
    }

    /// A histogram of `step`/`name`; add labels, then `observe`.
    #[inline]
    pub fn histogram<'a>(&'a self, step: &'a str, name: &'a str) -> Labeled<'a> {
        Labeled::new(self, step, name, Kind::Histogram)
    }

    fn handle(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
    ) -> Result<Handle, Error> {
        let resolved = with_local(&self.shared, |l| {
            l.resolve(&self.shared, step, name, labels, kind)
                .map(|(r, _)| r.clone())
        })?;
        let key = SeriesKey::new(step, name, labels);
        Ok(Handle {
            shared: self.shared.clone(),
            resolved,
            key,
        })
    }

    /// A pre-resolved counter for hot loops: `add` is a thread-local lookup and a store.
    ///
    /// # Errors
    /// [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn counter_handle(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<Counter, Error> {
        self.handle(step, name, labels, Kind::Counter).map(Counter)
    }

    /// A pre-resolved gauge.
    ///
    /// # Errors
    /// [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn gauge_handle(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<Gauge, Error> {
        self.handle(step, name, labels, Kind::Gauge).map(Gauge)
    }

    /// A pre-resolved histogram.
    ///
    /// # Errors
    /// [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn histogram_handle(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<Histogram, Error> {
        self.handle(step, name, labels, Kind::Histogram)
            .map(Histogram)
    }

    /// Writes everything recorded so far and waits until it is on disk.
    ///
    /// # Errors
    /// [`Error::Persist`] if the write or fsync fails; nothing is lost — the next flush
    /// writes everything since the last successful one.
    pub fn flush(&self) -> Result<(), Error> {
        crate::flush::flush(&self.shared)
    }

    /// Stops the background flusher, flushes, and refuses further flushes.
    ///
    /// # Errors
    /// As [`Recorder::flush`].
    pub fn close(&self) -> Result<(), Error> {
        crate::background::close(&self.shared)
    }

    /// Counters of the recorder's own work.
    pub fn stats(&self) -> crate::stats::RecorderStats {
        self.shared.stats_snapshot()
    }

    /// The flush interval's default.
    pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
}

#[inline]
pub(crate) fn check_counter(name: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid_value(name, v))
    }
}

#[cold]
fn invalid_value(name: &str, v: f64) -> Error {
    Error::InvalidValue {
        name: name.to_owned(),
        value: v,
    }
}
