//! Sampled component timing with percentiles, bottleneck and regression detection, at a
//! cost a production pipeline can leave on.
//!
//! A [`Profiler`] times named components: a [`span`](Profiler::span) guard,
//! [`time`](Profiler::time) around a closure, or [`record`](Profiler::record) of a duration
//! measured elsewhere. Nested spans give parent/child and self vs total time. Each thread
//! aggregates into its own HDR-style histograms (no lock, no read-modify-write on the hot
//! path), merged only when a [`Snapshot`] is taken.
//!
//! Counts are exact; durations are sampled by a per-thread countdown — no random draw, no
//! lock and no clock read on an untimed call — at a fixed rate or adaptively, each
//! component's interval tuned so the profiler's own cost stays under a budget (1%).
//!
//! ```
//! use steadfast_perf_profiler::{Profiler, Slo, compare, CompareOptions};
//!
//! let profiler = Profiler::new();
//! let evaluate = profiler.component("evaluate");
//! for i in 0..10_000u64 {
//!     let _span = evaluate.span();
//!     std::hint::black_box(i * i);
//! }
//! let snapshot = profiler.snapshot();
//! let stats = snapshot.component("evaluate").unwrap();
//! assert_eq!(stats.calls, 10_000);                  // exact
//! assert!(stats.sampled >= 1);                       // timed calls
//! println!("{}", snapshot.to_text());
//!
//! let health = snapshot.health_score(&[Slo::new("evaluate", 0.95, std::time::Duration::from_millis(5))]);
//! assert!(health.score <= 100.0);
//! let same = compare(&snapshot, &snapshot, &CompareOptions::default());
//! assert_eq!(same.exit_code(), 0);
//! ```

#[cfg(feature = "alloc")]
mod alloc;
mod analysis;
mod baseline;
mod config;
mod config_keys;
mod error;
#[cfg(feature = "flamegraph")]
mod flamegraph;
mod histogram;
mod local;
mod memory;
mod owned;
mod paths;
mod profiler;
#[cfg(feature = "prometheus")]
mod prometheus_export;
mod sampling;
pub mod series;
mod shard;
mod shared;
mod snapshot;
mod span;
#[cfg(feature = "tracing")]
mod tracing_layer;

#[cfg(feature = "alloc")]
pub use alloc::CountingAlloc;
pub use analysis::{Bottleneck, HealthScore, Slo, SloResult, Trend};
pub use baseline::{
    CompareOptions, Comparison, ComponentChange, Verdict, compare, judge_changes, mann_whitney,
};
pub use config::{ProfilerConfig, SamplingKind, SloConfig};
pub use error::Error;
pub use histogram::Histogram;
#[cfg(feature = "memory")]
pub use memory::MemorySampler;
pub use memory::MemoryStats;
pub use profiler::{Profiler, ProfilerBuilder};
pub use sampling::{Level, SampleRate};
pub use snapshot::{ComponentStats, PROFILE_FORMAT_VERSION, Snapshot, fmt_ns};
pub use span::{Component, Span};
#[cfg(feature = "tracing")]
pub use tracing_layer::ProfilerLayer;
