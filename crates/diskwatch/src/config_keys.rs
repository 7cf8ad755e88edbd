//! The allowed ranges of `[disk]` keys: the one table that `Config::check` enforces and
//! that `config.rs`'s `Documented` impls hand to `cargo xtask docs`.

use steadfast_core::config::keys::{KeySpec, Range, ValueType};

pub(crate) const INTERVAL: KeySpec =
    KeySpec::new("interval", ValueType::Duration).range(Range::NONZERO_DURATION);
pub(crate) const PREDICTION_WINDOW: KeySpec =
    KeySpec::new("prediction_window", ValueType::Duration).range(Range::NONZERO_DURATION);
