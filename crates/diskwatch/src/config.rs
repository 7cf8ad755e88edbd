//! The `[disk]` configuration section.

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::keys::{Documented, KeySpec, ValueType, serde_variants, table};

use crate::cleanup::{CleanupPolicy, CleanupScope};
use crate::config_keys as keys;
use crate::watermark::Watermarks;

/// `[disk]`: monitoring interval, prediction, watermarks and cleanup.
///
/// ```
/// let cfg: steadfast_diskwatch::DiskConfig = toml::from_str(r#"
///     interval = "30s"
///     [watermarks]
///     flood = "1GiB"
///     [cleanup]
///     keep_newest = 10
/// "#)?;
/// assert_eq!(cfg.cleanup.keep_newest, 10);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiskConfig {
    /// Time between samples. Default `1m`.
    pub interval: HumanDuration,
    /// Warn when predicted full within this. Default `4h`.
    pub horizon: HumanDuration,
    /// Samples the prediction is fitted on. Default `30m`.
    pub prediction_window: HumanDuration,
    /// `[disk.watermarks]`.
    pub watermarks: Watermarks,
    /// `[disk.cleanup]`.
    pub cleanup: CleanupPolicy,
}

impl Default for DiskConfig {
    fn default() -> Self {
        Self {
            interval: HumanDuration::from_secs(60),
            horizon: HumanDuration::from_secs(4 * 3600),
            prediction_window: HumanDuration::from_secs(30 * 60),
            watermarks: Watermarks::default(),
            cleanup: CleanupPolicy::default(),
        }
    }
}

impl DiskConfig {
    /// The cleanup a run of `pipeline` applies: `[disk.cleanup]` scoped by its `scope`
    /// ([`CleanupPolicy::for_run_of`]), with `[disk.watermarks]` deciding disk pressure
    /// ([`CleanupPolicy::with_watermarks`]). The one policy for a run's start-up cleanup
    /// and its monitor's.
    ///
    /// ```
    /// let disk = steadfast_diskwatch::DiskConfig::default();
    /// let policy = disk.cleanup_for("epic");
    /// assert_eq!(policy.pipeline.as_deref(), Some("epic"));
    /// assert_eq!(policy.watermarks.as_ref(), Some(&disk.watermarks));
    /// ```
    pub fn cleanup_for(&self, pipeline: &str) -> CleanupPolicy {
        self.cleanup
            .clone()
            .for_run_of(pipeline)
            .with_watermarks(&self.watermarks)
    }
}

/// Loaded as `[disk]` through `steadfast_core::config::Loader`, with its ranges checked.
impl steadfast_core::config::Config for DiskConfig {
    fn check(&self, problems: &mut steadfast_core::config::Problems) {
        problems.check_range(&keys::INTERVAL, self.interval);
        problems.check_range(&keys::PREDICTION_WINDOW, self.prediction_window);
    }
}

// The documented keys: the ranged ones from `config_keys.rs`, which `check` reads too.
impl Documented for DiskConfig {
    const KEYS: &'static [KeySpec] = &[
        keys::INTERVAL,
        KeySpec::new("horizon", ValueType::Duration),
        keys::PREDICTION_WINDOW,
        KeySpec::new("watermarks", ValueType::Table(table::<Watermarks>)),
        KeySpec::new("cleanup", ValueType::Table(table::<CleanupPolicy>)),
    ];
}

impl Documented for Watermarks {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("low", ValueType::SizeOrPercent),
        KeySpec::new("high", ValueType::SizeOrPercent),
        KeySpec::new("flood", ValueType::SizeOrPercent),
        KeySpec::new("inodes_low", ValueType::SizeOrPercent),
        KeySpec::new("inodes_high", ValueType::SizeOrPercent),
        KeySpec::new("inodes_flood", ValueType::SizeOrPercent),
        KeySpec::new("hysteresis_percent", ValueType::Number),
    ];
}

impl Documented for CleanupPolicy {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("keep_newest", ValueType::Integer),
        KeySpec::new("min_age", ValueType::Duration),
        KeySpec::new("target_free", ValueType::Size),
        KeySpec::new("min_reclaim", ValueType::Size),
        KeySpec::new("max_total", ValueType::Size),
        KeySpec::new("max_age", ValueType::Duration),
        KeySpec::new("cooldown", ValueType::Duration),
        KeySpec::new("dry_run", ValueType::Bool),
        KeySpec::new("scope", ValueType::Choice(serde_variants::<CleanupScope>)),
    ];
}

#[cfg(test)]
mod documented_tests {
    use super::*;

    #[test]
    fn every_key_has_a_spec() {
        assert_eq!(
            table::<DiskConfig>().coverage_problems(),
            Vec::<String>::new()
        );
    }
}
