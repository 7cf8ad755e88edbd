//! Integration tests of steadfast-fhir against a real FHIR-ish server on 127.0.0.1.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod auth;
mod breakers;
mod replay;
mod search;
mod server;
mod smart_server;
