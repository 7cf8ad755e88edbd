//! Integration tests of steadfast-db: a real PostgreSQL with `pg_stat_statements` loaded,
//! DuckDB's profiling output from the `duckdb` Python package, and the Prometheus
//! exposition through promtool.
#![allow(clippy::unwrap_used, reason = "tests")]

mod duckdb;
#[cfg(feature = "prometheus")]
mod exposition;
#[cfg(feature = "postgres")]
mod pg_stat;
#[cfg(feature = "postgres")]
mod pool;
#[cfg(all(feature = "postgres", feature = "metrics"))]
mod postgres;
