//! Integration tests of steadfast-cache: a real origin on 127.0.0.1, real Redis (the
//! machine's for sharing between processes, one started here to be killed mid-run).
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod behaviour;
mod config;
mod front;
#[cfg(feature = "prometheus")]
mod observe;
mod redis;
mod support;
