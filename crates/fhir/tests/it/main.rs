//! Integration tests of steadfast-fhir against a real FHIR-ish server on 127.0.0.1.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod auth;
mod breakers;
mod bulk;
mod bulk_edges;
mod bulk_http;
mod bulk_more;
mod bulk_resume;
mod bulk_server;
mod chaos;
mod download;
mod download_redirect;
#[cfg(feature = "reqwest-middleware")]
mod middleware;
mod pace;
mod replay;
mod search;
mod server;
mod smart_server;
