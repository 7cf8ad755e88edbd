//! Integration tests of `steadfast-prometheus`: pushes to a real Pushgateway and over https;
//! the service rules against a real health server's registry; the db rules against a real
//! observer's registry and promtool.
#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

#[cfg(feature = "db")]
mod db;
#[cfg(feature = "push")]
mod push;

#[cfg(feature = "healthcheck")]
mod service;
