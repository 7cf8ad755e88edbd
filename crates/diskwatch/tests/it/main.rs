//! Integration tests of `steadfast-diskwatch` on real file systems: cleanup safety rules,
//! a size-limited tmpfs filled past each watermark, preflight messages.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod cleanup;
mod monitor;
mod tmpfs;
