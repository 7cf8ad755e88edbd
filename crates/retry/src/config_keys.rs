//! The allowed ranges of `[retry]`, `[retry.breaker]` and `[retry.budget]` keys: the one
//! table that `RetryConfig::validate` and `Config::check` enforce and that the `Documented`
//! impls of `config.rs` and `config_breaker.rs` hand to `cargo xtask docs` for
//! `docs/configuration.md`.

use steadfast_core::config::keys::{KeySpec, Range, ValueType};

pub(crate) const INITIAL_INTERVAL: KeySpec =
    KeySpec::new("initial_interval", ValueType::Duration).range(Range::NONZERO_DURATION);
pub(crate) const MULTIPLIER: KeySpec =
    KeySpec::new("multiplier", ValueType::Number).range(Range::at_least(1.0));
pub(crate) const RANDOMIZATION_FACTOR: KeySpec =
    KeySpec::new("randomization_factor", ValueType::Number).range(Range::RATIO);

/// `[retry.breaker]`.
pub(crate) mod breaker {
    use std::ops::Bound::Included;
    use std::time::Duration;

    use super::{KeySpec, Range, ValueType};
    use crate::breaker_window::MAX_WINDOW_SECS;

    pub(crate) const FAILURE_RATE: KeySpec =
        KeySpec::new("failure_rate", ValueType::Number).range(Range::RATIO);
    pub(crate) const WINDOW: KeySpec =
        KeySpec::new("window", ValueType::Integer).range(Range::at_least(1.0));
    /// Whole seconds of the breaker's per-second buckets, as many as it keeps at most.
    pub(crate) const TIME_WINDOW: KeySpec = KeySpec::new("time_window", ValueType::Duration)
        .range(Range::Duration {
            min: Included(Duration::from_secs(1)),
            max: Included(Duration::from_secs(MAX_WINDOW_SECS as u64)),
        })
        .example("`1m`");
    pub(crate) const SLOW_CALL_DURATION: KeySpec =
        KeySpec::new("slow_call_duration", ValueType::Duration).range(Range::NONZERO_DURATION);
    pub(crate) const SLOW_CALL_RATE: KeySpec =
        KeySpec::new("slow_call_rate", ValueType::Number).range(Range::RATIO);
    pub(crate) const MAX_WAIT_IN_HALF_OPEN: KeySpec =
        KeySpec::new("max_wait_in_half_open", ValueType::Duration).range(Range::NONZERO_DURATION);
    pub(crate) const HALF_OPEN_CALLS: KeySpec =
        KeySpec::new("half_open_calls", ValueType::Integer).range(Range::at_least(1.0));
}

/// `[retry.budget]`.
pub(crate) mod budget {
    use super::{KeySpec, Range, ValueType};

    pub(crate) const RATIO: KeySpec =
        KeySpec::new("ratio", ValueType::Number).range(Range::at_least(0.0));
    pub(crate) const MIN_PER_SEC: KeySpec =
        KeySpec::new("min_per_sec", ValueType::Number).range(Range::at_least(0.0));
}
