//! Integration tests of `steadfast-http`, one binary: https against a local server whose
//! certificate comes from a CA generated in the test.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod tls;
