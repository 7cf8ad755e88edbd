//! Integration tests of `steadfast-report`: the run page and the comparison page of fixed
//! synthetic runs; the database section of runs with a `db-profile.json`.
#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod db;
mod report;
