//! The allowed ranges of `[cache]` keys: the one table that `Config::check` enforces and
//! that `config.rs`'s `Documented` impl hands to `cargo xtask docs`.

use std::time::Duration;

use steadfast_core::config::keys::{KeySpec, Range, ValueType};

pub(crate) const TTL: KeySpec = KeySpec::new("ttl", ValueType::Duration).range(
    Range::nonzero_duration_at_most(Duration::from_secs(365 * 86_400)),
);
pub(crate) const MAX_TTL: KeySpec = KeySpec::new("max_ttl", ValueType::Duration).range(
    Range::nonzero_duration_at_most(Duration::from_secs(365 * 86_400)),
);
pub(crate) const SWR: KeySpec = KeySpec::new("swr", ValueType::Duration)
    .range(Range::duration_at_most(Duration::from_secs(86_400)));
pub(crate) const NEGATIVE_TTL: KeySpec = KeySpec::new("negative_ttl", ValueType::Duration)
    .range(Range::duration_at_most(Duration::from_secs(86_400)));
pub(crate) const TIME_TO_IDLE: KeySpec =
    KeySpec::new("time_to_idle", ValueType::Duration).range(Range::NONZERO_DURATION);
pub(crate) const REDIS_TIMEOUT: KeySpec = KeySpec::new("redis_timeout", ValueType::Duration)
    .range(Range::nonzero_duration_at_most(Duration::from_secs(60)));
pub(crate) const HIT_RATIO_WARN: KeySpec =
    KeySpec::new("hit_ratio_warn", ValueType::Number).range(Range::RATIO);
pub(crate) const HIT_RATIO_WINDOW: KeySpec =
    KeySpec::new("hit_ratio_window", ValueType::Duration).range(Range::NONZERO_DURATION);
