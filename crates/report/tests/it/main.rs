//! Integration tests of `steadfast-report`: the run page and the comparison page of fixed
//! synthetic runs.
#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod report;
