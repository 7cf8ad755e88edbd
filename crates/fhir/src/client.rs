//! `FhirClient`: reads and search pages through a retry policy chosen by each request's
//! idempotency class, over the workspace's HTTP client; a blocking API (on a runtime of its
//! own, made on first use) for synchronous pipelines, and async methods.

use std::sync::{Arc, OnceLock};

use serde_json::Value;
use steadfast_core::Timestamp;
use steadfast_http::{HttpClient, HttpSettings, reqwest};
use steadfast_retry::Classify as _;
use steadfast_retry::{
    AdaptiveRateLimiter, DeadLetterQueue, KeyedResilience, LimiterRegistry, RetryError, RetryPolicy,
};

use crate::auth::SmartAuth;
use crate::dead_letters::push_request;
use crate::error::FhirError;
use crate::location::{Base, resource_type_name};
use crate::method::Method;
use crate::request_item::RequestItem;
use crate::request_key::{BreakerKey, key_base};
use crate::transport::{Answer, Outgoing, exchange};

/// The default cap on one response body: 64 MiB.
const DEFAULT_MAX_BODY: usize = 64 << 20;

/// A FHIR client of one server: every request goes through the retry policy, classified by
/// its idempotency ([`Idempotency::classify`](crate::Idempotency::classify)); a request the
/// policy gives up on is pushed to the dead-letter queue, when one is set, as a
/// [`RequestItem`].
///
/// The blocking methods ([`FhirClient::read`], [`FhirClient::search`]'s iterator) run the
/// request on a runtime the client makes on first use; never call them from async code
/// (use the `_async` methods there), and drop a client that used them outside async code.
///
/// ```
/// use std::time::Duration;
/// use steadfast_fhir::FhirClient;
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::{ManualClock, RetryPolicy};
///
/// // Nothing listens on port 1: every attempt is refused, retried, then given up.
/// let policy = RetryPolicy::constant(Duration::from_secs(1)).max_retries(2)
///     .manual_clock(&ManualClock::new());
/// let client = FhirClient::new("http://127.0.0.1:1/fhir", &HttpSettings::default().no_proxy(), policy)?;
/// let err = client.read("Patient", "p1").unwrap_err();
/// assert_eq!(err.to_string(),
///     "GET Patient/p1: gave up after 3 attempt(s) (exhausted): GET Patient/p1: connection refused");
/// # Ok::<(), steadfast_fhir::FhirError>(())
/// ```
#[derive(Debug)]
pub struct FhirClient {
    pub(crate) base: Base,
    http: HttpClient,
    policy: RetryPolicy,
    /// Keyed breakers and budgets, for the policy's loop.
    pub(crate) keyed: KeyedResilience<BreakerKey>,
    /// Keyed limiters, for each attempt's exchange.
    pub(crate) limiters: Option<Arc<LimiterRegistry<BreakerKey>>>,
    /// The base URL as keys hold it (no credentials).
    pub(crate) key_base: Arc<str>,
    pub(crate) dead_letters: Option<Arc<DeadLetterQueue>>,
    pub(crate) auth: Option<SmartAuth>,
    pub(crate) pace: Option<AdaptiveRateLimiter>,
    pub(crate) max_body: usize,
    runtime: OnceLock<tokio::runtime::Runtime>,
}

impl FhirClient {
    /// A client of the server at `base` (`https://ehr.example/fhir/r4`), its HTTP client
    /// built from `settings`, every request retried by `policy` (a run's `run.retry()`).
    ///
    /// # Errors
    /// [`FhirError::InvalidBase`] when `base` is not an `http`/`https` URL with a host and
    /// no query; [`FhirError::Client`] when the settings cannot build a client.
    pub fn new(
        base: &str,
        settings: &HttpSettings,
        policy: RetryPolicy,
    ) -> Result<Self, FhirError> {
        let base = Base::parse(base)?;
        Ok(Self {
            key_base: key_base(base.url()),
            base,
            http: settings.build().map_err(FhirError::Client)?,
            policy,
            keyed: KeyedResilience::new(),
            limiters: None,
            dead_letters: None,
            auth: None,
            pace: None,
            max_body: DEFAULT_MAX_BODY,
            runtime: OnceLock::new(),
        })
    }

    /// The base URL, its path ending in `/`.
    pub fn base_url(&self) -> &reqwest::Url {
        self.base.url()
    }

    /// Reads `resource_type/id` (blocking).
    ///
    /// # Errors
    /// [`FhirError::InvalidResourceType`]; [`FhirError::GaveUp`] (with the last attempt's
    /// error) when the policy gave up, after the request was dead-lettered;
    /// [`FhirError::DeadLetter`] when it could not be.
    pub fn read(&self, resource_type: &str, id: &str) -> Result<Value, FhirError> {
        let url = self.read_url(resource_type, id)?;
        self.call(Method::Get, &url, Some(resource_type), Some(id))
    }

    /// [`FhirClient::read`] for async code.
    ///
    /// # Errors
    /// As [`FhirClient::read`].
    pub async fn read_async(&self, resource_type: &str, id: &str) -> Result<Value, FhirError> {
        let url = self.read_url(resource_type, id)?;
        self.call_async(Method::Get, &url, Some(resource_type), Some(id))
            .await
    }

    /// Sends `item` once, without retries (a replay drives each item through its own
    /// policy); the body of a successful answer. Only `GET` and `HEAD` can be sent again:
    /// an item keeps no request body.
    ///
    /// # Errors
    /// [`FhirError::UnsupportedMethod`] for other methods; [`FhirError::NotARequestItem`]
    /// when its URL would leave the base's origin; else the attempt's error, unretried.
    pub fn send(&self, item: &RequestItem) -> Result<Value, FhirError> {
        let url = self.item_url(item)?;
        let runtime = self.runtime()?;
        let out = Outgoing::new(item.method, &url);
        runtime.block_on(self.attempt(&out, None)).map(|a| a.body)
    }

    /// [`FhirClient::send`] for async code.
    ///
    /// # Errors
    /// As [`FhirClient::send`].
    pub async fn send_async(&self, item: &RequestItem) -> Result<Value, FhirError> {
        let url = self.item_url(item)?;
        let out = Outgoing::new(item.method, &url);
        self.attempt(&out, None).await.map(|a| a.body)
    }

    /// One attempt of `out`, paced by the client's limiter and `limiter` (the key's): with
    /// a bearer token when the client has [`SmartAuth`], and after a 401 once more with a
    /// new token.
    async fn attempt(
        &self,
        out: &Outgoing<'_>,
        limiter: Option<&AdaptiveRateLimiter>,
    ) -> Result<Answer, FhirError> {
        let (http, base, max_body) = (&self.http, &self.base, self.max_body);
        let pace = [self.pace.as_ref(), limiter];
        let Some(auth) = &self.auth else {
            return exchange(http, base, out, max_body, None, pace).await;
        };
        let token = auth.bearer(http, base).await?;
        match exchange(http, base, out, max_body, Some(token.value()), pace).await {
            Err(e) if e.status() == Some(401) => {
                let token = auth.refresh_after_rejection(http, base, &token).await?;
                exchange(http, base, out, max_body, Some(token.value()), pace).await
            }
            answer => answer,
        }
    }

    pub(crate) fn item_url(&self, item: &RequestItem) -> Result<reqwest::Url, FhirError> {
        if !matches!(item.method, Method::Get | Method::Head) {
            return Err(FhirError::UnsupportedMethod {
                method: item.method,
                path: crate::location::elide_query_values(&item.url),
            });
        }
        self.base
            .join(&item.url)
            .ok_or_else(|| FhirError::NotARequestItem {
                reason: "its url leaves the server's origin".to_owned(),
            })
    }

    fn read_url(&self, resource_type: &str, id: &str) -> Result<reqwest::Url, FhirError> {
        let t = resource_type_name(resource_type)
            .ok_or_else(|| FhirError::InvalidResourceType(resource_type.to_owned()))?;
        let mut url = self.base.url().clone();
        url.path_segments_mut()
            .map_err(|()| FhirError::InvalidBase {
                reason: "the base URL cannot have a path",
            })?
            .pop_if_empty()
            .push(t)
            .push(id);
        Ok(url)
    }

    /// The HTTP client requests go through.
    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The retry policy requests go through.
    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The blocking API's runtime, made on first use.
    pub(crate) fn runtime(&self) -> Result<&tokio::runtime::Runtime, FhirError> {
        if let Some(rt) = self.runtime.get() {
            return Ok(rt);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(FhirError::Runtime)?;
        Ok(self.runtime.get_or_init(|| rt))
    }

    /// One request through the policy (blocking).
    pub(crate) fn call(
        &self,
        method: Method,
        url: &reqwest::Url,
        resource_type: Option<&str>,
        id: Option<&str>,
    ) -> Result<Value, FhirError> {
        let out = Outgoing::new(method, url);
        self.call_out(&out, resource_type, id).map(|a| a.body)
    }

    /// One request through the policy (async).
    pub(crate) async fn call_async(
        &self,
        method: Method,
        url: &reqwest::Url,
        resource_type: Option<&str>,
        id: Option<&str>,
    ) -> Result<Value, FhirError> {
        let out = Outgoing::new(method, url);
        let answer = self.call_out_async(&out, resource_type, id).await;
        answer.map(|a| a.body)
    }

    /// `out` through the policy, classified by its idempotency class (blocking).
    pub(crate) fn call_out(
        &self,
        out: &Outgoing<'_>,
        resource_type: Option<&str>,
        id: Option<&str>,
    ) -> Result<Answer, FhirError> {
        let runtime = self.runtime()?;
        let class = out.class();
        let first = Timestamp::now();
        let classify = (|e: &FhirError| class.classify(e)).with_facts();
        let key = self.request_key(out, resource_type, id);
        let limiter = self.key_limiter(key.as_ref());
        let op = |_| runtime.block_on(self.attempt(out, limiter.as_ref()));
        match &key {
            None => self.policy.retry_if(classify, op),
            Some(key) => self.policy.retry_if_keyed(&self.keyed, key, classify, op),
        }
        .map_err(|err| self.give_up(out, resource_type, id, first, err))
    }

    /// `out` through the policy, classified by its idempotency class (async).
    pub(crate) async fn call_out_async(
        &self,
        out: &Outgoing<'_>,
        resource_type: Option<&str>,
        id: Option<&str>,
    ) -> Result<Answer, FhirError> {
        let class = out.class();
        let first = Timestamp::now();
        let classify = (|e: &FhirError| class.classify(e)).with_facts();
        let key = self.request_key(out, resource_type, id);
        let limiter = self.key_limiter(key.as_ref());
        let op = |_| self.attempt(out, limiter.as_ref());
        match &key {
            None => self.policy.retry_async_if(classify, op).await,
            Some(key) => {
                let policy = &self.policy;
                policy
                    .retry_async_if_keyed(&self.keyed, key, classify, op)
                    .await
            }
        }
        .map_err(|err| self.give_up(out, resource_type, id, first, err))
    }

    /// The key of a request, when the client keys anything (breakers, budgets, limiters).
    fn request_key(
        &self,
        out: &Outgoing<'_>,
        resource_type: Option<&str>,
        id: Option<&str>,
    ) -> Option<BreakerKey> {
        let keyed = &self.keyed;
        let any = keyed.breaker_registry().is_some()
            || keyed.budget_registry().is_some()
            || self.limiters.is_some();
        any.then(|| BreakerKey::of(&self.key_base, out.method, resource_type, id))
    }

    /// The limiter of `key`, when the client keys limiters.
    fn key_limiter(&self, key: Option<&BreakerKey>) -> Option<AdaptiveRateLimiter> {
        Some(self.limiters.as_ref()?.get(key?))
    }

    /// The error of a request the policy gave up on, after keeping it as a dead letter.
    fn give_up(
        &self,
        out: &Outgoing<'_>,
        resource_type: Option<&str>,
        id: Option<&str>,
        first: Timestamp,
        err: RetryError<FhirError>,
    ) -> FhirError {
        let (method, url) = (out.method, out.url);
        let mut dead_lettered = false;
        if let Some(queue) = &self.dead_letters {
            let mut item = RequestItem::new(method, &self.base.relative(url), resource_type);
            if let Some(query) = out.if_none_exist {
                item = item.if_none_exist(query);
            }
            if let Err(e) = push_request(queue, &item, id, &err, first) {
                return e;
            }
            dead_lettered = true;
        }
        FhirError::GaveUp {
            method,
            path: self.base.shown(url),
            attempts: err.attempts(),
            reason: err.reason(),
            dead_lettered,
            last: err.into_last_error().map(Box::new),
        }
    }
}
