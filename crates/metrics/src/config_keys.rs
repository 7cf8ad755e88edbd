//! The allowed ranges of `[metrics]` keys: the one table that `Config::check` enforces and
//! that `config.rs`'s `Documented` impl hands to `cargo xtask docs`.

use steadfast_core::config::keys::{KeySpec, Range, ValueType};

pub(crate) const FLUSH_INTERVAL: KeySpec =
    KeySpec::new("flush_interval", ValueType::Duration).range(Range::NONZERO_DURATION);
/// The most series a recorder can hold (`MetricsConfig::MAX_SERIES_LIMIT`).
pub(crate) const MAX_SERIES_LIMIT: usize = 262_144;
// 262144 is exact in an f64.
pub(crate) const MAX_SERIES: KeySpec = KeySpec::new("max_series", ValueType::Integer)
    .range(Range::between(1.0, MAX_SERIES_LIMIT as f64));
pub(crate) const MAX_SERIES_PER_METRIC: KeySpec =
    KeySpec::new("max_series_per_metric", ValueType::Integer).range(Range::at_least(1.0));
