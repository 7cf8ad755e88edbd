//! The allowed ranges of `[validation]` and `[[validation.rules]]` keys: the one table that
//! `Thresholds`' `Config::check` enforces and that `thresholds.rs`'s `Documented` impls
//! hand to `cargo xtask docs`.

use steadfast_core::config::keys::{KeySpec, Range, ValueType};

pub(crate) const ROW_COUNT_THRESHOLD: KeySpec =
    KeySpec::new("row_count_threshold", ValueType::Number).range(Range::RATIO);
pub(crate) const EXTRACT_TIME_THRESHOLD: KeySpec =
    KeySpec::new("extract_time_threshold", ValueType::Duration).range(Range::NONZERO_DURATION);

/// `[[validation.rules]]` (the ranges of the `change` check's keys).
pub(crate) mod rule {
    use super::{KeySpec, Range, ValueType};

    pub(crate) const HISTORY: KeySpec =
        KeySpec::new("history", ValueType::Integer).range(Range::at_least(1.0));
    pub(crate) const MAX_CHANGE_PERCENT: KeySpec =
        KeySpec::new("max_change_percent", ValueType::Number).range(Range::greater_than(0.0));
    pub(crate) const MAX_STDDEVS: KeySpec =
        KeySpec::new("max_stddevs", ValueType::Number).range(Range::greater_than(0.0));
}
