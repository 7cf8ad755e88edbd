//! Integration tests of `steadfast-http`, one binary: https against a local server whose
//! certificate comes from a CA generated in the test; redirects across two local origins.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod redirect;
mod tls;
