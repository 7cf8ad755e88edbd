//! Sampled component timing with percentiles, bottleneck and regression detection.
//!
//! **Status: foundation only.** This crate will hold (issue "steadfast-perf-profiler"):
//!
//! - `Profiler` with `span`, `time` and `record`; per-thread HDR histograms merged on
//!   snapshot; sampling decided by a per-thread countdown (no lock, no random draw, no clock
//!   read on an untimed call);
//! - snapshots with p50/p90/p95/p99, bottleneck ranking, Apdex-based health score, SLO alerts;
//! - baselines compared with a noise-robust statistical test, for CI gates;
//! - the run's `profile.json`, text tables, flame graphs.
//!
//! Its snapshot lives at a fixed place in the run directory:
//!
//! ```
//! assert_eq!(steadfast_core::files::PROFILE, "profile.json");
//! ```
