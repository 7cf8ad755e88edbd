//! Integration tests of `steadfast-retry`: policies on an injected clock, properties of the
//! backoff, the breaker under threads, the dead-letter file, and a real flaky HTTP server.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod breaker;
mod breaker_config;
mod breaker_options;
mod breakers;
mod dead_letter;
mod keyed;
#[cfg(feature = "tower")]
mod layer;
mod listen;
mod policy;
mod poll;
mod properties;
#[cfg(feature = "tokio")]
mod reliability;
mod replay;
mod replay_crash;
mod wait_open;
