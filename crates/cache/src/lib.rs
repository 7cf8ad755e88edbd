//! A FHIR response cache with statistics: an in-process tier on `moka` and a shared tier on
//! Redis, alone or together (read-through memory → Redis → origin).
//!
//! - **Keys from the request** ([`CacheKey`]): GET/HEAD only; scheme and host lower-cased,
//!   default port dropped, query parameters sorted (repeats kept, values verbatim),
//!   `_format`/`_pretty` dropped and the media type added, and the caller's [`Scope`] — one
//!   user's data never serves another. Redis holds a sha256, never query text; values there
//!   are sealed with AES-256-GCM when a key is configured ([`Sealer`]).
//! - **Correct under load**: single flight (concurrent misses of one key → one origin
//!   fetch), stale-while-revalidate, `ETag`/`Last-Modified` revalidation, negative caching of
//!   404/410, `Cache-Control` honoured; 5xx, 429 and transport errors never cached.
//! - **Faults never reach the caller**: Redis down or slow, a damaged value — counted in
//!   [`CacheStats`] and the Prometheus series ([`series`]), answered from memory or the origin.
//!
//! ```
//! use steadfast_cache::{Cache, Request, Response, Scope, Source};
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let cache = Cache::builder().memory(64 << 20).build()?;
//! let scope = Scope::tenant("acme");
//! let req = Request::get("https://ehr.example/fhir/Patient?family=smith", &scope)
//!     .accept("application/fhir+json");
//! let answer = cache
//!     .fetch(&req, |conditional| async move {
//!         // Call the EHR here, sending `conditional.headers()` along.
//!         let _ = conditional;
//!         Ok(Response::new(200, "{}").header("cache-control", "max-age=300"))
//!     })
//!     .await?;
//! assert_eq!(answer.source(), Source::Origin);
//! assert_eq!(cache.stats().loads, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod cache;
mod cached;
mod canonical;
#[cfg(feature = "healthcheck")]
mod check;
mod clock;
mod config;
mod config_keys;
mod entry;
mod error;
mod httpdate;
mod key;
mod memo;
mod memory;
#[cfg(feature = "prometheus")]
mod metrics;
mod origin;
mod policy;
mod query;
#[cfg(feature = "metrics")]
mod recorded;
mod request;
mod response;
mod seal;
pub mod series;
mod shared;
mod stats;

pub use builder::CacheBuilder;
pub use cache::Cache;
pub use cached::{Cached, Source};
#[cfg(feature = "healthcheck")]
#[cfg_attr(docsrs, doc(cfg(feature = "healthcheck")))]
pub use check::CacheCheck;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{CacheConfig, Tiers};
pub use entry::Entry;
pub use error::{Error, OriginError};
pub use key::{CacheKey, ResourceType};
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub use recorded::RecordedCache;
pub use request::{Request, Scope};
pub use response::{Conditional, Response};
pub use seal::Sealer;
pub use stats::{CacheStats, Tier, TierStats};

/// The memory tier's key of `request` on its own (a 128-bit keyed SipHash of the canonical
/// form, through this thread's memo): what a memory hit computes, exposed for the benchmarks' breakdown only.
#[doc(hidden)]
pub fn memory_key_for_bench(request: &Request<'_>) -> u128 {
    memo::memory_key(request).0
}
