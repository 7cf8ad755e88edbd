//! Integration tests of `steadfast-metrics` on a real file system, with real threads and a
//! real crashing process.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod durability;
mod families;
mod hot_paths;
mod recording;
