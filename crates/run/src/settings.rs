//! [`Settings`]: every crate's section composed into one `steadfast.toml`, loaded through
//! `steadfast_core::config` like each section alone.

use serde::{Deserialize, Serialize};
use steadfast_core::config::{Config, ConfigError, Effective, Loader, Problems};

/// The whole `steadfast.toml`: one field per enabled crate's section. An unknown section
/// is an error that names the nearest known one.
///
/// ```
/// use steadfast_run::Settings;
/// use steadfast_core::config::Loader;
///
/// # #[cfg(feature = "validation")] {
/// let loader = Loader::new()
///     .toml_str("steadfast.toml", "[validation]\nrow_count_threshold = 0.9\n")
///     .env_vars::<_, String, String>([]);
/// let settings = Settings::load(&loader)?;
/// assert_eq!(settings.value().validation.row_count_threshold, 0.9);
///
/// let typo = Loader::new().toml_str("s.toml", "[validaton]\n").env_vars::<_, String, String>([]);
/// assert!(Settings::load(&typo).unwrap_err().to_string().contains("did you mean 'validation'?"));
/// # }
/// # Ok::<(), steadfast_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// `[run]`: the runs root, the free space a run needs.
    pub run: crate::RunConfig,
    /// `[metrics]`.
    #[cfg(feature = "metrics")]
    pub metrics: steadfast_metrics::MetricsConfig,
    /// `[retry]`.
    #[cfg(feature = "retry")]
    pub retry: steadfast_retry::RetryConfig,
    /// `[disk]`.
    #[cfg(feature = "diskwatch")]
    pub disk: steadfast_diskwatch::DiskConfig,
    /// `[validation]`.
    #[cfg(feature = "validation")]
    pub validation: steadfast_validation::Thresholds,
    /// `[profiler]`.
    #[cfg(feature = "perf-profiler")]
    pub profiler: steadfast_perf_profiler::ProfilerConfig,
    /// `[health]`.
    #[cfg(feature = "healthcheck")]
    pub health: steadfast_healthcheck::HealthConfig,
    /// `[cache]`.
    #[cfg(feature = "cache")]
    pub cache: steadfast_cache::CacheConfig,
}

impl Settings {
    /// Loads every section through `loader`.
    ///
    /// # Errors
    /// [`ConfigError`] with every problem in every section, each located.
    pub fn load(loader: &Loader) -> Result<Effective<Self>, ConfigError> {
        loader.load()
    }
}

impl Config for Settings {
    fn check(&self, problems: &mut Problems) {
        problems.nested("run", |p| self.run.check(p));
        #[cfg(feature = "metrics")]
        problems.nested("metrics", |p| self.metrics.check(p));
        #[cfg(feature = "retry")]
        problems.nested("retry", |p| self.retry.check(p));
        #[cfg(feature = "diskwatch")]
        problems.nested("disk", |p| self.disk.check(p));
        #[cfg(feature = "validation")]
        problems.nested("validation", |p| self.validation.check(p));
        #[cfg(feature = "perf-profiler")]
        problems.nested("profiler", |p| self.profiler.check(p));
        #[cfg(feature = "healthcheck")]
        problems.nested("health", |p| self.health.check(p));
        #[cfg(feature = "cache")]
        problems.nested("cache", |p| self.cache.check(p));
        let _ = problems;
    }
}

/// The sections, for `cargo xtask docs`: each one's keys are in its own crate's table.
impl steadfast_core::config::keys::Documented for Settings {
    const KEYS: &'static [steadfast_core::config::keys::KeySpec] = {
        use steadfast_core::config::keys::{KeySpec, ValueType::Table, table};
        &[
            KeySpec::new("run", Table(table::<crate::RunConfig>)),
            #[cfg(feature = "metrics")]
            KeySpec::new("metrics", Table(table::<steadfast_metrics::MetricsConfig>)),
            #[cfg(feature = "retry")]
            KeySpec::new("retry", Table(table::<steadfast_retry::RetryConfig>)),
            #[cfg(feature = "diskwatch")]
            KeySpec::new("disk", Table(table::<steadfast_diskwatch::DiskConfig>)),
            #[cfg(feature = "validation")]
            KeySpec::new(
                "validation",
                Table(table::<steadfast_validation::Thresholds>),
            ),
            #[cfg(feature = "perf-profiler")]
            KeySpec::new(
                "profiler",
                Table(table::<steadfast_perf_profiler::ProfilerConfig>),
            ),
            #[cfg(feature = "healthcheck")]
            KeySpec::new(
                "health",
                Table(table::<steadfast_healthcheck::HealthConfig>),
            ),
            #[cfg(feature = "cache")]
            KeySpec::new("cache", Table(table::<steadfast_cache::CacheConfig>)),
        ]
    };
}
