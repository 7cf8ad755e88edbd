//! Integration tests of the facade: the shipped `configs/steadfast.toml` is the composition
//! of every crate's section, each equal to that crate's documented defaults.
#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use serde::de::DeserializeOwned;

mod hostile_config;

#[cfg(all(
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
mod run;

#[cfg(all(
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler",
    feature = "report"
))]
mod run_retries;

#[cfg(all(
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
mod shared_root;

#[cfg(all(
    feature = "prometheus",
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
mod push;

#[cfg(all(
    feature = "prometheus",
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
mod series;

#[cfg(all(
    feature = "server",
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
mod serve;

#[cfg(all(
    feature = "db",
    feature = "prometheus",
    feature = "report",
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler"
))]
mod run_db;

// The example needs every integration.
#[cfg(all(
    feature = "server",
    feature = "fhir",
    feature = "metrics",
    feature = "retry",
    feature = "diskwatch",
    feature = "validation",
    feature = "perf-profiler",
    feature = "report"
))]
mod first_pipeline;

fn section<T: DeserializeOwned>(doc: &mut toml::Table, name: &str) -> T {
    let value = doc
        .remove(name)
        .unwrap_or_else(|| panic!("configs/steadfast.toml has no [{name}] section"));
    value
        .try_into()
        .unwrap_or_else(|e| panic!("[{name}] in configs/steadfast.toml: {e}"))
}

#[test]
fn shipped_config_is_every_section_at_its_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../configs/steadfast.toml");
    let mut doc: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    assert_eq!(
        section::<steadfast::RunConfig>(&mut doc, "run"),
        Default::default(),
        "[run] drifted from the defaults"
    );
    #[cfg(feature = "metrics")]
    assert_eq!(
        section::<steadfast::metrics::MetricsConfig>(&mut doc, "metrics"),
        Default::default(),
        "[metrics] drifted from the defaults"
    );
    #[cfg(feature = "retry")]
    assert_eq!(
        section::<steadfast::retry::RetryConfig>(&mut doc, "retry"),
        Default::default(),
        "[retry] drifted from the defaults"
    );
    #[cfg(feature = "diskwatch")]
    assert_eq!(
        section::<steadfast::diskwatch::DiskConfig>(&mut doc, "disk"),
        Default::default(),
        "[disk] drifted from the defaults"
    );
    #[cfg(feature = "validation")]
    assert_eq!(
        section::<steadfast::validation::Thresholds>(&mut doc, "validation"),
        Default::default(),
        "[validation] drifted from the defaults"
    );
    #[cfg(feature = "perf-profiler")]
    assert_eq!(
        section::<steadfast::perf_profiler::ProfilerConfig>(&mut doc, "profiler"),
        Default::default(),
        "[profiler] drifted from the defaults"
    );
    #[cfg(feature = "healthcheck")]
    assert_eq!(
        section::<steadfast::healthcheck::HealthConfig>(&mut doc, "health"),
        Default::default(),
        "[health] drifted from the defaults"
    );
    // Every section left must have an owner: a typo'd or orphaned section fails here.
    #[cfg(all(
        feature = "metrics",
        feature = "retry",
        feature = "diskwatch",
        feature = "validation",
        feature = "perf-profiler",
        feature = "healthcheck"
    ))]
    assert!(
        doc.is_empty(),
        "sections without an owner in configs/steadfast.toml: {:?}",
        doc.keys().collect::<Vec<_>>()
    );
}
