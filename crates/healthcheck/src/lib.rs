//! Component health checks answered from a snapshot, and an HTTP server for `/health`,
//! `/health/live`, `/health/ready`, `/health/startup` and `/metrics`.
//!
//! Checks ([`Check`], or any async closure) are registered with a name, groups,
//! criticality, a timeout, freshness (a TTL, refreshed stale-while-revalidate with one run
//! in flight, or a background interval) and damping. Probes never run a check themselves:
//! a hung dependency costs a probe nothing, and 40 pods' probes never become 40 database
//! pings a second. A check's panic is a `fail`; a run past its timeout is aborted (its
//! connection with it); a result older than its `max_stale` is a `fail`; checks that read
//! files do so off the async workers; an external check cannot join the liveness group. Bodies follow the IETF health-check draft (`application/health+json`), with
//! observed values and reasons withheld unless the caller may see details.
//!
//! Checks can also be declared in configuration (`[[health.checks]]`: [`CheckSpec`],
//! registered by [`HealthRegistry::declare`]); the endpoints mount inside an application under any
//! prefix with `Health::router` (feature `server`), with per-check routes, custom groups,
//! `?exclude=` and `?verbose`; [`Health::subscribe`] follows damped status changes.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::time::Duration;
//! use steadfast_core::Status;
//! use steadfast_healthcheck::{CheckOutput, External, Group, Registration, HealthRegistry};
//!
//! let health = HealthRegistry::new()
//!     .version("1.4.2")
//!     .register(Registration::new("process:alive", || async { CheckOutput::pass() }).groups([Group::Live]))?
//!     .register(Registration::new("ehr:metadata", External(|| async { CheckOutput::fail("timed out") })).critical(false))?
//!     .start();
//! health.first_round(Duration::from_secs(1)).await;
//! assert_eq!(health.report(Some(&Group::Live)).status, Status::Pass);
//! // A failing non-critical dependency degrades readiness to warn, never to fail.
//! assert_eq!(health.report(Some(&Group::Ready)).status, Status::Warn);
//! # Ok::<(), steadfast_healthcheck::Error>(())
//! # }).unwrap();
//! ```

#[cfg(feature = "server")]
mod auth;
mod blocking;
mod builtin;
mod check;
mod clock;
#[cfg(feature = "server")]
mod codes;
mod config;
mod config_keys;
mod damping;
mod declared;
mod declared_build;
mod declared_check;
mod error;
mod event;
mod failure_log;
mod health;
#[cfg(feature = "prometheus")]
mod health_metrics;
mod http_check;
mod inner;
#[cfg(feature = "layer")]
mod layer;
mod local;
#[cfg(feature = "prometheus")]
mod metrics;
#[cfg(feature = "server")]
mod observe;
#[cfg(feature = "postgres")]
mod pg_tls;
mod pool_adapters;
#[cfg(feature = "prometheus")]
mod pool_metrics;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "prometheus")]
mod process_memory;
#[cfg(feature = "server")]
mod query;
#[cfg(feature = "redis")]
mod redis_check;
mod registration;
mod registry;
mod report;
#[cfg(feature = "layer")]
mod request_metrics;
#[cfg(feature = "layer")]
mod request_series;
#[cfg(feature = "server")]
mod router;
mod runtime;
pub mod series;
#[cfg(feature = "server")]
mod server;
// `HealthRegistry::standard_checks`: the default checks of a Steadfast process (a disk check).
#[cfg(feature = "diskwatch")]
mod standard;
mod subscribe;
mod target;

#[cfg(feature = "server")]
pub use auth::{Authorizer, BearerToken, ShowDetails};
pub use blocking::BlockingCheck;
pub use builtin::TcpCheck;
pub use check::{BoxFuture, Check, CheckOutput, External};
#[cfg(feature = "server")]
pub use codes::StatusCodes;
pub use config::{DetailVisibility, HealthConfig};
pub use declared::{CheckKind, CheckSpec};
pub use error::Error;
pub use event::StatusChange;
pub use health::Health;
pub use http_check::{FhirCheck, HttpCheck};
#[cfg(feature = "layer")]
pub use layer::{RESPONSE_TIME, RequestMetricsFuture, RequestMetricsLayer, RequestMetricsService};
#[cfg(feature = "diskwatch")]
pub use local::DiskCheck;
pub use local::{MemoryCheck, StalenessCheck};
#[cfg(feature = "prometheus")]
pub use pool_metrics::{AcquireError, DEFAULT_WAIT_BUCKETS, PoolMetrics};
#[cfg(feature = "postgres")]
pub use postgres::PostgresCheck;
#[cfg(feature = "prometheus")]
pub use process_memory::ProcessMemory;
#[cfg(feature = "redis")]
pub use redis_check::RedisCheck;
pub use registration::{Group, Registration};
pub use registry::HealthRegistry;
pub use report::{CheckReport, HealthReport};
#[cfg(feature = "layer")]
pub use request_metrics::{DEFAULT_BUCKETS, RequestMetrics};
#[cfg(feature = "layer")]
pub use request_series::UNMATCHED_ROUTE;
#[cfg(feature = "server")]
pub use router::RouterOptions;
pub use runtime::{PoolCheck, PoolStats, PoolStatus, RuntimeStallCheck};
#[cfg(feature = "server")]
pub use server::{Server, ServerOptions, serve, shutdown_signal};
pub use steadfast_http::{HttpClient, HttpSettings};
pub use subscribe::Subscription;
