//! Component health checks and an HTTP server for `/health`, `/health/live`,
//! `/health/ready`, `/health/startup` and `/metrics`.
//!
//! **Status: foundation only.** This crate will hold (issue "steadfast-healthcheck"):
//!
//! - an async `Check` trait with built-ins (disk, memory, TCP, HTTP, FHIR `/metadata`,
//!   PostgreSQL, Redis, pipeline staleness), groups, criticality, timeouts and damping;
//! - probes answered from a snapshot refreshed in the background, so a hung dependency never
//!   slows an endpoint and a probe storm never reaches a database;
//! - `application/health+json` bodies in the IETF draft's shape, with reasons withheld from
//!   the public body.
//!
//! Checks speak the shared [`Status`](steadfast_core::Status), and the body's words are its
//! serialisation:
//!
//! ```
//! let body = serde_json::json!({ "status": steadfast_core::Status::Warn });
//! assert_eq!(body.to_string(), r#"{"status":"warn"}"#);
//! ```
