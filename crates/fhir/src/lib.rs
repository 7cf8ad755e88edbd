//! A resilient FHIR client: reads and paged searches through a Steadfast retry policy,
//! retried by each request's idempotency class, with every request that fails for good
//! kept in the run's dead-letter queue as a replayable [`RequestItem`].
//!
//! - [`FhirClient`]: base URL, [`steadfast_http::HttpSettings`], a
//!   [`steadfast_retry::RetryPolicy`] (a run's `run.retry()`), an optional
//!   [`steadfast_retry::DeadLetterQueue`]; blocking methods for synchronous pipelines and
//!   `_async` ones. Resources are `serde_json::Value`s (no FHIR model).
//! - [`Search`]: the pages of a search, following `Bundle.link[relation=next]`, never to
//!   another origin; [`bundle_resources`] lists a page's resources.
//! - [`Idempotency`]: GET/HEAD are safe and PUT/DELETE idempotent — retried on 408, 425,
//!   429, 5xx and transient transport errors; POST/PATCH are unsafe — retried only on a
//!   connect-phase error or 429, anything else is ambiguous and dead-lettered. `Retry-After`
//!   on 429/503 is honoured by the policy.
//! - [`Create`], [`Created`]: `POST [base]/[type]`; with `If-None-Exist`
//!   ([`Create::if_none_exist`], [`Create::if_none_exist_identifier`]) a conditional
//!   create, idempotent, so a dropped connection or a 5xx is retried without a duplicate.
//! - `RetryMiddleware` (feature `reqwest-middleware`): the same policy and idempotency
//!   classes on a `reqwest_middleware` client, in one line.
//! - [`FhirError`]: typed, with the HTTP status, `Retry-After` and the
//!   `OperationOutcome`'s issue codes; its `Display` never holds query values, outcome text
//!   or credentials.
//! - [`SmartAuth`], [`PrivateKey`]: SMART Backend Services — an access token asked for
//!   with a signed client assertion (RS384/ES384), cached, refreshed before it expires,
//!   and a 401 answered by one new token and one more try; keys never shown.
//! - [`BulkExport`]: a Bulk Data v2 `$export` into a local directory — polling that
//!   honours `Retry-After`, parallel resumable downloads, sha256 and counts in a local
//!   `manifest.json`, kill -9 safe through a state file ([`STATE_FILE`]).
//! - [`Download`]: any `http`/`https` URL into a verified local file — the same resumable
//!   download as the bulk export's files (`Range` resume, read-idle timeout, size and
//!   sha256 checked, atomic rename), for price-transparency files and the like.
//! - [`RequestItem`], [`read_request_letters`]: the dead letters a client writes, read
//!   back; [`replay_requests`] sends them again through a replay's policy and breaker
//!   (what `steadfast deadletter replay` does).
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use steadfast_fhir::{FhirClient, FhirError, read_request_letters};
//! use steadfast_http::HttpSettings;
//! use steadfast_retry::{DeadLetterQueue, ManualClock, RetryPolicy};
//!
//! let dir = tempfile::tempdir()?;
//! let queue = Arc::new(DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?);
//! let policy = RetryPolicy::exponential().max_retries(3).manual_clock(&ManualClock::new());
//! // Nothing listens on port 1: the first page fails for good and becomes a dead letter.
//! let client = FhirClient::new("http://127.0.0.1:1/fhir", &HttpSettings::default().no_proxy(), policy)?
//!     .dead_letters(queue.clone());
//! let mut resources = 0;
//! for page in client.search("Patient", &[("_count", "100")]) {
//!     match page {
//!         Ok(bundle) => resources += steadfast_fhir::bundle_resources(&bundle).count(),
//!         Err(FhirError::GaveUp { dead_lettered, .. }) => assert!(dead_lettered),
//!         Err(other) => return Err(other.into()),
//!     }
//! }
//! assert_eq!(resources, 0);
//! let letters = read_request_letters(queue.path())?;
//! assert_eq!(letters.requests[0].item.url, "Patient?_count=100");
//! assert_eq!(letters.requests[0].letter.error.kind, "io_connection_refused");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod auth;
mod bulk;
mod client;
mod client_options;
mod create;
mod dead_letters;
mod download;
mod error;
mod error_facts;
mod idempotency;
mod location;
mod method;
#[cfg(feature = "reqwest-middleware")]
mod middleware;
mod outcome;
mod private_key;
mod replay;
mod request_item;
mod request_key;
mod search;
mod token_request;
mod transport;

pub use auth::{DEFAULT_SCOPE, SmartAuth, SmartAuthBuilder};
pub use bulk::{
    BulkEvent, BulkExport, ExportLevel, ExportSummary, ExportedFile, PollTiming, STATE_FILE,
    export_in_progress,
};
pub use client::FhirClient;
pub use create::{Create, Created};
pub use download::{Download, DownloadEvent, Downloaded};
pub use error::{FhirError, Phase};
pub use method::{Idempotency, Method};
#[cfg(feature = "reqwest-middleware")]
pub use middleware::RetryMiddleware;
pub use outcome::OutcomeSummary;
pub use private_key::PrivateKey;
pub use replay::{RequestReplayReport, replay_requests};
pub use request_item::{RequestItem, RequestLetter, RequestLetters, read_request_letters};
pub use request_key::BreakerKey;
pub use search::{MAX_PAGES, Search, bundle_resources};
