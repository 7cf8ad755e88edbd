//! Database observability for Steadfast runs: where a run spent its time in PostgreSQL and
//! DuckDB.
//!
//! - [`fingerprint()`] takes every value out of a statement, so one statement with many
//!   values is one [`Fingerprint`] and no patient value reaches a label, a log or a file.
//! - [`DbObserver`] records statements by fingerprint — calls, errors by SQLSTATE class,
//!   rows, a duration histogram — from every [`InstrumentedClient`] (feature `postgres`,
//!   over `tokio-postgres` clients and pooled connections); slow calls are logged with the
//!   fingerprint and duration only. Into a run's metrics (feature `metrics`) and Prometheus
//!   (feature `prometheus`, names in [`series`]).
//! - [`PgStatSnapshot`] (feature `postgres`): `pg_stat_statements` at a run's start and
//!   finish; the delta per query id is the run's [`PgProfile`].
//! - [`DuckDbQuery`]: DuckDB's JSON profiling output, read without linking DuckDB.
//! - [`DbProfile`]: all of it as the run's `db-profile.json`, written atomically and read
//!   back typed.
//!
//! ```
//! use steadfast_db::{DbObserver, DbProfile, DuckDbQuery};
//! let observer = DbObserver::default();
//! // … clients wrapped with `observer.wrap(client)` run their statements …
//! let mut profile = DbProfile::default();
//! profile.statements = observer.statements();
//! profile.duckdb.push(DuckDbQuery::parse(r#"{"query": {"sql": "SELECT 42"}, "operator": []}"#)?);
//! let run = tempfile::tempdir()?;
//! profile.write(run.path())?;
//! assert_eq!(DbProfile::read(run.path())?.unwrap().duckdb[0].text, "select ?");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "postgres")]
mod client;
mod duckdb;
mod error;
mod fingerprint;
mod observer;
#[cfg(feature = "postgres")]
mod pg_stat;
mod profile;
#[cfg(feature = "prometheus")]
mod prometheus_export;
#[cfg(feature = "metrics")]
mod recorded;
pub mod series;
mod stats;

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use client::{CLASS_CLIENT, CLASS_CONNECTION, InstrumentedClient, Prepared, sqlstate_class};
pub use duckdb::{DuckDbOperator, DuckDbQuery};
pub use error::Error;
pub use fingerprint::{Fingerprint, MAX_TEXT, OTHER_STATEMENTS, fingerprint};
pub use observer::{CLASS_OTHER, DbObserver, DbObserverBuilder};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use pg_stat::PgStatSnapshot;
pub use profile::{DbProfile, FORMAT_VERSION, PgProfile, PgStatement};
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use recorded::{RecordedStatement, RecordedStatements};
pub use stats::{DURATION_BUCKETS, StatementStats};
