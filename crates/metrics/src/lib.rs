//! Cheap metric recording from many threads, batched, persisted durably next to each run.
//!
//! - [`Recorder`] (`Clone + Send + Sync`): counters, gauges and histograms addressed by
//!   step + name + labels; pre-resolved handles ([`Counter`], [`Gauge`], [`Histogram`]) for
//!   hot loops; families ([`CounterFamily`], [`GaugeFamily`], [`HistogramFamily`]) when
//!   only the label values change from call to call; [`Recorder::record_batch`] for many
//!   samples at once; `flush()` and
//!   `close()` that return once the data is on disk.
//! - Recording aggregates in per-thread memory, with no global lock; a background thread
//!   writes each series' aggregate to the run's `metrics.ndjson` every `flush_interval`.
//!   Raw mode writes every event instead, through a bounded queue (backpressure by default,
//!   or drop and count).
//! - A cardinality guard: past `max_series_per_metric` label sets, new ones fold into one
//!   `overflow="true"` series, so an identifier that slipped into a label cannot blow up
//!   memory or leak into dashboards. The run id is never a label.
//! - [`read_run`]: per-series totals and raw records, a torn tail skipped and reported.
//! - Feature `prometheus`: every series exposed through a `prometheus::Registry`.
//!
//! ```
//! use steadfast_core::RunDir;
//! use steadfast_metrics::{Recorder, read_run};
//!
//! let root = tempfile::tempdir()?;
//! let run = RunDir::create(root.path(), "epic-fhir")?;
//! let rec = Recorder::to_run_dir(&run)?;
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| {
//!             for _ in 0..1000 {
//!                 rec.counter("bronze", "records").label("resource_type", "Patient").add(1);
//!             }
//!         });
//!     }
//! });
//! rec.close()?;
//! assert_eq!(read_run(&run)?.total("bronze", "records"), 4000.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod background;
mod batch;
mod cache;
mod config;
mod config_keys;
mod error;
mod family;
mod flush;
mod handles;
mod key;
mod labeled;
mod local;
#[cfg(feature = "prometheus")]
mod prometheus_export;
mod raw;
mod record;
mod recorder;
mod registry;
pub mod series;
mod shard;
mod shared;
mod sink;
mod stats;
mod totals;

pub use batch::{BatchOutcome, Sample, Value};
pub use config::{MetricsConfig, OnFull};
pub use error::Error;
pub use family::{CounterFamily, GaugeFamily, HistogramFamily};
pub use handles::{Counter, Gauge, Histogram};
pub use key::{Kind, SeriesKey, sanitize};
pub use labeled::Labeled;
pub use record::MetricRecord;
pub use recorder::Recorder;
pub use registry::DEFAULT_BUCKETS;
pub use stats::RecorderStats;
pub use totals::{MetricTotals, RunMetrics, SeriesTotal, read_file, read_run};
