//! The allowed ranges of `[retry]`, `[retry.breaker]` and `[retry.budget]` keys: the one
//! table that `RetryConfig::validate` and `Config::check` enforce and that `config.rs`'s
//! `Documented` impls hand to `cargo xtask docs` for `docs/configuration.md`.

use steadfast_core::config::keys::{KeySpec, Range, ValueType};

pub(crate) const INITIAL_INTERVAL: KeySpec =
    KeySpec::new("initial_interval", ValueType::Duration).range(Range::NONZERO_DURATION);
pub(crate) const MULTIPLIER: KeySpec =
    KeySpec::new("multiplier", ValueType::Number).range(Range::at_least(1.0));
pub(crate) const RANDOMIZATION_FACTOR: KeySpec =
    KeySpec::new("randomization_factor", ValueType::Number).range(Range::RATIO);

/// `[retry.breaker]`.
pub(crate) mod breaker {
    use super::{KeySpec, Range, ValueType};

    pub(crate) const FAILURE_RATE: KeySpec =
        KeySpec::new("failure_rate", ValueType::Number).range(Range::RATIO);
    pub(crate) const WINDOW: KeySpec =
        KeySpec::new("window", ValueType::Integer).range(Range::at_least(1.0));
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
