//! `Recorder`: the cheap, cloneable front of the crate — opening, flushing and closing.
//! Its recording methods sit beside what they hand out: counters, gauges and histograms
//! in `labeled.rs`, pre-resolved handles in `handles.rs`, batches in `batch.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use steadfast_core::RunDir;

use crate::config::MetricsConfig;
use crate::error::Error;
use crate::local::ThreadShards;
use crate::raw::RawQueue;
use crate::registry::Registry;
use crate::shared::Shared;
use crate::sink::FlushState;
use crate::stats::Stats;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

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
        if let Err(e) = crate::flush::close(&self.0) {
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
        });
        crate::flush::start_background(&shared, config.flush_interval.get());
        Ok(Self {
            _life: Arc::new(Lifetime(shared.clone())),
            shared,
        })
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
        crate::flush::close(&self.shared)
    }

    /// Counters of the recorder's own work.
    pub fn stats(&self) -> crate::stats::RecorderStats {
        self.shared.stats_snapshot()
    }

    /// The flush interval's default.
    pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
}
