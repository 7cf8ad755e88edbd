//! Integration tests of `steadfast-core` against the real file system.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod config;
mod run_dir;
