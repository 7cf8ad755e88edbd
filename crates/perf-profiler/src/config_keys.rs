//! The allowed ranges of `[profiler]` and `[[profiler.slos]]` keys: the one table that
//! `Config::check` enforces and that `config.rs`'s `Documented` impls hand to
//! `cargo xtask docs`.

use std::ops::Bound::{Excluded, Included};

use steadfast_core::config::keys::{KeySpec, Range, ValueType};

pub(crate) const OVERHEAD_BUDGET: KeySpec = KeySpec::new("overhead_budget", ValueType::Number)
    .range(Range::number(Excluded(0.0), Excluded(1.0)))
    .example("0.01");
pub(crate) const EVERY_NTH: KeySpec =
    KeySpec::new("every_nth", ValueType::Integer).range(Range::at_least(1.0));
pub(crate) const RATIO: KeySpec =
    KeySpec::new("ratio", ValueType::Number).range(Range::number(Excluded(0.0), Included(1.0)));
pub(crate) const MEMORY_INTERVAL: KeySpec =
    KeySpec::new("memory_interval", ValueType::Duration).range(Range::NONZERO_DURATION);

/// `[[profiler.slos]]`.
pub(crate) mod slo {
    use super::{Excluded, Included, KeySpec, Range, ValueType};

    pub(crate) const PERCENTILE: KeySpec = KeySpec::new("percentile", ValueType::Number)
        .range(Range::number(Excluded(0.0), Included(100.0)))
        .example("95");
    pub(crate) const TARGET: KeySpec =
        KeySpec::new("target", ValueType::Duration).range(Range::NONZERO_DURATION);
}
