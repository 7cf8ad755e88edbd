//! Production-grade healthcare data pipelines: one import for the whole Steadfast toolkit.
//!
//! Each part is its own crate, re-exported here behind a cargo feature of the same name, so a
//! user who wants only retries depends on `steadfast-retry` alone, and one who wants it all
//! depends on `steadfast`:
//!
//! | module | crate | feature |
//! |---|---|---|
//! | [`run`] | `steadfast-core`: run directories, manifests, sizes, durations, `Status` | always |
//! | `metrics` | `steadfast-metrics` | `metrics` |
//! | `retry` | `steadfast-retry` | `retry` |
//! | `diskwatch` | `steadfast-diskwatch` | `diskwatch` |
//! | `validation` | `steadfast-validation` | `validation` |
//! | `perf_profiler` | `steadfast-perf-profiler` | `perf-profiler` |
//! | `healthcheck` | `steadfast-healthcheck` | `healthcheck` |
//! | `http` | `steadfast-http`: the HTTP client (rustls, system roots + a CA file, mTLS) | `http` (with `prometheus`) |
//! | `fhir` | `steadfast-fhir`: a resilient FHIR client (paged search, reads, replayable dead letters) | `fhir` |
//! | `report` | `steadfast-report`: a run's HTML page, two runs compared | `report` |
//! | `prometheus` | `steadfast-prometheus`: alert rules from the thresholds, Pushgateway, node_exporter textfile | `prometheus` |
//! | `cache` | `steadfast-cache`: a FHIR response cache, in process (moka) and shared through Redis | `cache` |
//! | `db` | `steadfast-db`: statement fingerprints, an instrumented tokio-postgres client (with `postgres`), pg_stat_statements and DuckDB profiles | `db` |
//!
//! And what only the facade can do, since it sees every crate: [`Run`], a pipeline run
//! wired end to end (its page written by `steadfast-report`, its metrics pushed by
//! `steadfast-prometheus` when those features are on).
//!
//! ```
//! use steadfast::prelude::*;
//!
//! let root = tempfile::tempdir()?;
//! let run = RunDir::create(root.path(), "epic-fhir")?;
//! let min_free: ByteSize = "10GiB".parse()?;
//! assert!(run.id().starts_with("epic-fhir-"));
//! assert_eq!(Status::worst([Status::Pass, Status::Fail]), Status::Fail);
//! # let _ = min_free;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The run-directory contract and shared vocabulary (`steadfast-core`).
///
/// Named `run` rather than `core` so it does not shadow Rust's built-in `core`.
#[doc(inline)]
pub use steadfast_core as run;

#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
#[doc(inline)]
pub use steadfast_metrics as metrics;

#[cfg(feature = "retry")]
#[cfg_attr(docsrs, doc(cfg(feature = "retry")))]
#[doc(inline)]
pub use steadfast_retry as retry;

#[cfg(feature = "diskwatch")]
#[cfg_attr(docsrs, doc(cfg(feature = "diskwatch")))]
#[doc(inline)]
pub use steadfast_diskwatch as diskwatch;

#[cfg(feature = "validation")]
#[cfg_attr(docsrs, doc(cfg(feature = "validation")))]
#[doc(inline)]
pub use steadfast_validation as validation;

#[cfg(feature = "perf-profiler")]
#[cfg_attr(docsrs, doc(cfg(feature = "perf-profiler")))]
#[doc(inline)]
pub use steadfast_perf_profiler as perf_profiler;

#[cfg(feature = "healthcheck")]
#[cfg_attr(docsrs, doc(cfg(feature = "healthcheck")))]
#[doc(inline)]
pub use steadfast_healthcheck as healthcheck;

#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
#[doc(inline)]
pub use steadfast_http as http;

#[cfg(feature = "cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
#[doc(inline)]
pub use steadfast_cache as cache;

#[cfg(feature = "db")]
#[cfg_attr(docsrs, doc(cfg(feature = "db")))]
#[doc(inline)]
pub use steadfast_db as db;

#[cfg(feature = "fhir")]
#[cfg_attr(docsrs, doc(cfg(feature = "fhir")))]
#[doc(inline)]
pub use steadfast_fhir as fhir;

#[cfg(feature = "report")]
#[cfg_attr(docsrs, doc(cfg(feature = "report")))]
#[doc(inline)]
pub use steadfast_report as report;

#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
#[doc(inline)]
pub use steadfast_prometheus as prometheus;

/// [`Settings`] and the Run API (`steadfast-run`): `Run`, `RunBuilder`, `RunReport`, `Step`,
/// `RunError`, `ExportError` (the Run API when `metrics`, `retry`, `diskwatch`,
/// `validation` and `perf-profiler` are on).
#[doc(inline)]
pub use steadfast_run::*;

/// The names most pipelines use, for `use steadfast::prelude::*`.
pub mod prelude {
    pub use steadfast_core::{
        ByteSize, HumanDuration, RunDir, RunManifest, RunState, SizeOrPercent, Status, Timestamp,
    };
}
