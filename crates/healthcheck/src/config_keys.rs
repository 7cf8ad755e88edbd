//! The allowed ranges of `[health]` and `[[health.checks]]` keys: the one table that
//! `HealthConfig`'s `Config::check` (with `declared_check.rs` for the entries) enforces and
//! that `config.rs`'s `Documented` impls hand to `cargo xtask docs`.

use std::time::Duration;

use steadfast_core::config::keys::{KeySpec, Range, ValueType};

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

pub(crate) const DRAIN: KeySpec = KeySpec::new("drain", ValueType::Duration)
    .range(Range::duration_at_most(HOUR))
    .example("`5s`");
pub(crate) const CHECK_TIMEOUT: KeySpec = KeySpec::new("check_timeout", ValueType::Duration)
    .range(Range::nonzero_duration_at_most(HOUR))
    .example("`5s`");
pub(crate) const CHECK_TTL: KeySpec = KeySpec::new("check_ttl", ValueType::Duration)
    .range(Range::duration_at_most(DAY))
    .example("`5s`");
pub(crate) const CHECK_MAX_STALE: KeySpec = KeySpec::new("check_max_stale", ValueType::Duration)
    .range(Range::duration_at_most(Duration::from_secs(30 * 24 * 3600)))
    .example("`5s`");
pub(crate) const MAX_CONCURRENT_CHECKS: KeySpec =
    KeySpec::new("max_concurrent_checks", ValueType::Integer)
        .range(Range::between(1.0, 1024.0))
        .example("16");
pub(crate) const HEADER_READ_TIMEOUT: KeySpec =
    KeySpec::new("header_read_timeout", ValueType::Duration)
        .range(Range::nonzero_duration_at_most(HOUR))
        .example("`5s`");

/// `[[health.checks]]`: the ranges `declared_check.rs` enforces.
pub(crate) mod check {
    use super::{DAY, Duration, HOUR, KeySpec, Range, ValueType};

    const fn duration(key: &'static str, max: Duration) -> KeySpec {
        KeySpec::new(key, ValueType::Duration).range(Range::nonzero_duration_at_most(max))
    }

    pub(crate) const TIMEOUT: KeySpec = duration("timeout", HOUR);
    pub(crate) const TTL: KeySpec = duration("ttl", DAY);
    pub(crate) const INTERVAL: KeySpec = duration("interval", DAY);
    pub(crate) const MAX_STALE: KeySpec =
        duration("max_stale", Duration::from_secs(30 * 24 * 3600));
    pub(crate) const MAX_AGE: KeySpec = duration("max_age", Duration::from_secs(365 * 24 * 3600));
    pub(crate) const WARN_LAG: KeySpec = duration("warn_lag", HOUR);
    pub(crate) const FAIL_LAG: KeySpec = duration("fail_lag", HOUR);
    pub(crate) const FAIL_AFTER: KeySpec = KeySpec::new("fail_after", ValueType::Integer)
        .range(Range::between(1.0, 100.0))
        .example("3");
    pub(crate) const PASS_AFTER: KeySpec = KeySpec::new("pass_after", ValueType::Integer)
        .range(Range::between(1.0, 100.0))
        .example("3");
    pub(crate) const EXPECT_STATUS: KeySpec = KeySpec::new("expect_status", ValueType::Integer)
        .range(Range::between(100.0, 599.0))
        .example("200");
}
