//! Cheap metric recording from many threads, batched, persisted durably next to each run.
//!
//! **Status: foundation only.** This crate will hold (issue "steadfast-metrics"):
//!
//! - `Recorder`: counters, gauges and histograms addressed by step + name + labels, with
//!   pre-resolved handles for hot loops and `record_batch` for many records at once;
//!   per-thread aggregation without a global lock, flushed by a background thread into the
//!   run's `metrics.ndjson` (see [`steadfast_core::files::METRICS`]);
//! - `read_run(dir)`: per-series totals and raw records, tolerant of a torn tail;
//! - feature `prometheus`: every series registered into a user's `prometheus::Registry`, with a
//!   cardinality guard so an unexpected identifier cannot become a label.
//!
//! The record format it will write is fixed by the run-directory contract:
//!
//! ```
//! let line = r#"{"ts":"2025-09-29T10:00:00.123Z","step":"bronze","name":"records","kind":"counter","value":1200,"labels":{"resource_type":"Patient"}}"#;
//! let v: serde_json::Value = serde_json::from_str(line).unwrap();
//! assert_eq!(v["kind"], "counter");
//! assert_eq!(steadfast_core::files::METRICS, "metrics.ndjson");
//! ```
