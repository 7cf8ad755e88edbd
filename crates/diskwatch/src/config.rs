//! The `[disk]` configuration section.

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;

use crate::cleanup::CleanupPolicy;
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

/// Loaded as `[disk]` through `steadfast_core::config::Loader`, with its ranges checked.
impl steadfast_core::config::Config for DiskConfig {
    fn check(&self, problems: &mut steadfast_core::config::Problems) {
        problems.nonzero_duration("interval", self.interval.get());
        problems.nonzero_duration("prediction_window", self.prediction_window.get());
    }
}
