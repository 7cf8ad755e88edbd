//! The `[metrics]` configuration section.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use steadfast_core::HumanDuration;
use steadfast_core::config::keys::{Documented, KeySpec, ValueType, serde_variants};

use crate::config_keys as keys;

/// What raw mode does when its queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFull {
    /// Recording waits until the flusher has made room (nothing is lost).
    #[default]
    Backpressure,
    /// The event is dropped and counted in `stats().dropped`.
    Drop,
}

/// `[metrics]`.
///
/// ```
/// let cfg: steadfast_metrics::MetricsConfig = toml::from_str(r#"
///     flush_interval = "500ms"
///     max_series_per_metric = 200
///     [buckets]
///     page_seconds = [0.1, 0.5, 1.0, 5.0]
/// "#)?;
/// assert_eq!(cfg.flush_interval.get().as_millis(), 500);
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// How often the background thread writes aggregates. Default `1s`.
    pub flush_interval: HumanDuration,
    /// Series the recorder keeps at most, all metrics together. Default `100000`; at most
    /// 262144.
    pub max_series: usize,
    /// Label combinations per metric name before new ones fold into its
    /// `overflow="true"` series. Default `1000`.
    pub max_series_per_metric: usize,
    /// Write every event as its own line instead of aggregates. Default `false`.
    pub raw: bool,
    /// Raw mode: events buffered at most between flushes. Default `1000000`.
    pub raw_queue_capacity: usize,
    /// Raw mode: `backpressure` (default) or `drop` when the queue is full.
    pub on_full: OnFull,
    /// Prefix of Prometheus names. Default `steadfast`.
    pub prometheus_prefix: String,
    /// Histogram bucket bounds by metric name (1–16 increasing bounds); others use the
    /// Prometheus defaults (5 ms … 10 s).
    pub buckets: BTreeMap<String, Vec<f64>>,
    /// A Pushgateway (`http://host:port` or `https://host:port`) that receives the run's metrics when it finishes
    /// (the facade pushes, grouped by pipeline and instance). Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushgateway: Option<String>,
    /// A node_exporter textfile (`…/steadfast.prom`) rewritten with the run's metrics when
    /// it finishes. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub textfile: Option<std::path::PathBuf>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            flush_interval: HumanDuration::from_secs(1),
            max_series: 100_000,
            max_series_per_metric: 1000,
            raw: false,
            raw_queue_capacity: 1_000_000,
            on_full: OnFull::Backpressure,
            prometheus_prefix: "steadfast".to_owned(),
            buckets: BTreeMap::new(),
            pushgateway: None,
            textfile: None,
        }
    }
}

impl MetricsConfig {
    /// The recorder can hold at most this many series.
    pub const MAX_SERIES_LIMIT: usize = keys::MAX_SERIES_LIMIT;

    /// `prometheus_prefix`, checked: what every crate's `register_prometheus` and the alert
    /// rules put in front of their series names.
    ///
    /// ```
    /// let config = steadfast_metrics::MetricsConfig::default();
    /// assert_eq!(config.prefix()?.name("disk_level"), "steadfast_disk_level");
    /// # Ok::<(), steadfast_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`steadfast_core::Error::InvalidPrefix`] (a loaded configuration has been checked).
    pub fn prefix(&self) -> Result<steadfast_core::Prefix, steadfast_core::Error> {
        steadfast_core::Prefix::new(self.prometheus_prefix.as_str())
    }
}

/// Loaded as `[metrics]` through `steadfast_core::config::Loader`, with its ranges checked.
impl steadfast_core::config::Config for MetricsConfig {
    fn check(&self, problems: &mut steadfast_core::config::Problems) {
        problems.check_range(&keys::FLUSH_INTERVAL, self.flush_interval);
        if let Some(url) = &self.pushgateway
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            problems.error(
                "pushgateway",
                "expected http://host:port or https://host:port",
            );
        }
        if let Some(why) = steadfast_core::series::problem(&self.prometheus_prefix) {
            problems.error(
                "prometheus_prefix",
                format!("{why}; a series prefix is [a-zA-Z_][a-zA-Z0-9_]*"),
            );
        }
        if let Some(path) = &self.textfile
            && path.extension().is_none_or(|e| e != "prom")
        {
            problems.error(
                "textfile",
                "node_exporter's textfile collector reads only files ending in .prom",
            );
        }
        problems.check_range(&keys::MAX_SERIES, self.max_series);
        problems.check_range(&keys::MAX_SERIES_PER_METRIC, self.max_series_per_metric);
    }
}

// The documented keys: the ranged ones from `config_keys.rs`, which `check` reads too.
impl Documented for MetricsConfig {
    const KEYS: &'static [KeySpec] = &[
        keys::FLUSH_INTERVAL,
        keys::MAX_SERIES,
        keys::MAX_SERIES_PER_METRIC,
        KeySpec::new("raw", ValueType::Bool),
        KeySpec::new("raw_queue_capacity", ValueType::Integer),
        KeySpec::new("on_full", ValueType::Choice(serde_variants::<OnFull>)),
        KeySpec::new("prometheus_prefix", ValueType::Text),
        KeySpec::new(
            "buckets",
            ValueType::Map(&ValueType::List(&ValueType::Number)),
        ),
        KeySpec::new("pushgateway", ValueType::Url),
        KeySpec::new("textfile", ValueType::Path),
    ];
}

#[cfg(test)]
mod documented_tests {
    use steadfast_core::config::keys::table;

    use super::*;

    #[test]
    fn every_key_has_a_spec() {
        assert_eq!(
            table::<MetricsConfig>().coverage_problems(),
            Vec::<String>::new()
        );
    }
}
