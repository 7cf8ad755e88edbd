//! `SmartAuth`: SMART Backend Services authorization (SMART App Launch 2.x, "Backend
//! Services"). The client asks the token endpoint for an access token with
//! `grant_type=client_credentials` and a `private_key_jwt` assertion it signs (RS384 or
//! ES384), keeps the token until shortly before it expires, and lets one request at a time
//! fetch a new one. [`FhirClient::auth`](crate::FhirClient::auth) puts it on every request.

use std::fmt;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::Header;
use serde::Serialize;
use steadfast_http::{HttpClient, reqwest};
use steadfast_retry::{Clock, SystemClock};
use tokio::sync::Mutex;

use crate::error::FhirError;
use crate::location::Base;
use crate::private_key::PrivateKey;
use crate::token_request::{discover, request_token};

/// The scope asked for when none is set: read and search of every resource type.
pub const DEFAULT_SCOPE: &str = "system/*.rs";

/// How far ahead of now an assertion expires: under the spec's five minutes, so a client
/// clock a minute fast is still accepted.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(240);

/// SMART Backend Services authorization for a [`FhirClient`](crate::FhirClient): an
/// access token from the token endpoint, asked for with a client assertion signed by the
/// client's private key, cached and refreshed before it expires.
///
/// The token endpoint is the one configured with [`SmartAuthBuilder::token_url`], else the
/// `token_endpoint` of the server's `<base>/.well-known/smart-configuration` (read once).
/// A token is refreshed a tenth of its lifetime (at most 60 s) before `expires_in` runs
/// out, by the first request that needs it; the others wait for that one token. A request
/// answered 401 gets one new token and is sent once more (see
/// [`FhirClient::auth`](crate::FhirClient::auth)).
///
/// `Debug` shows the client id, key id, scope, token URL and the key's algorithm and
/// origin — never the key or a token.
///
/// ```
/// use steadfast_fhir::{FhirClient, PrivateKey, SmartAuth};
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::RetryPolicy;
///
/// # fn key() -> Result<PrivateKey, steadfast_fhir::FhirError> {
/// #     let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
/// #     PrivateKey::from_pem(&pair.serialize_pem())
/// # }
/// // In production: PrivateKey::from_file("/run/secrets/smart.pem")? or ::from_env("SMART_KEY")?
/// let key = key()?;
/// assert_eq!(key.algorithm(), "ES384");
/// let auth = SmartAuth::builder("my-client-id")
///     .token_url("https://ehr.example/oauth2/token") // else from .well-known/smart-configuration
///     .scope("system/Patient.rs system/Observation.rs")
///     .kid("key-2026-12")
///     .key(key)
///     .build()?;
/// assert!(!format!("{auth:?}").contains("PRIVATE KEY"));
/// let client = FhirClient::new("https://ehr.example/fhir/r4", &HttpSettings::default(), RetryPolicy::exponential())?
///     .auth(auth);
/// # Ok::<(), steadfast_fhir::FhirError>(())
/// ```
pub struct SmartAuth {
    client_id: String,
    kid: String,
    scope: String,
    jku: Option<String>,
    key: PrivateKey,
    configured_url: Option<reqwest::Url>,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    fetched: AtomicU64,
}

/// What the token lock guards: the endpoint once known, the current token.
#[derive(Default)]
struct State {
    endpoint: Option<reqwest::Url>,
    token: Option<Bearer>,
    generation: u64,
}

/// An access token handed to a request; `Debug` hides it.
#[derive(Clone)]
pub(crate) struct Bearer {
    value: Arc<str>,
    refresh_at: Instant,
    generation: u64,
}

impl Bearer {
    pub(crate) fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer([redacted])")
    }
}

/// Builds a [`SmartAuth`]: the client id, a key and its `kid` are required.
#[must_use]
pub struct SmartAuthBuilder {
    client_id: String,
    kid: Option<String>,
    scope: String,
    jku: Option<String>,
    key: Option<PrivateKey>,
    token_url: Option<String>,
    clock: Option<Arc<dyn Clock>>,
}

impl SmartAuth {
    /// Starts the configuration of the client registered as `client_id`.
    pub fn builder(client_id: impl Into<String>) -> SmartAuthBuilder {
        SmartAuthBuilder {
            client_id: client_id.into(),
            kid: None,
            scope: DEFAULT_SCOPE.to_owned(),
            jku: None,
            key: None,
            token_url: None,
            clock: None,
        }
    }

    /// How many tokens this client has been issued so far.
    pub fn tokens_fetched(&self) -> u64 {
        self.fetched.load(Ordering::SeqCst)
    }

    /// A token fresh enough to send: the cached one, or a new one fetched by this caller
    /// while the others wait for it.
    pub(crate) async fn bearer(&self, http: &HttpClient, base: &Base) -> Result<Bearer, FhirError> {
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token
            && self.clock.now() < token.refresh_at
        {
            return Ok(token.clone());
        }
        self.fetch(&mut state, http, base).await
    }

    /// A new token after the server refused `rejected` (401): fetched unless another
    /// request already replaced that token.
    pub(crate) async fn refresh_after_rejection(
        &self,
        http: &HttpClient,
        base: &Base,
        rejected: &Bearer,
    ) -> Result<Bearer, FhirError> {
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token
            && token.generation != rejected.generation
        {
            return Ok(token.clone());
        }
        state.token = None;
        self.fetch(&mut state, http, base).await
    }

    async fn fetch(
        &self,
        state: &mut State,
        http: &HttpClient,
        base: &Base,
    ) -> Result<Bearer, FhirError> {
        let url = match (&self.configured_url, &state.endpoint) {
            (Some(url), _) | (None, Some(url)) => url.clone(),
            (None, None) => {
                let url = discover(http, base).await?;
                state.endpoint = Some(url.clone());
                url
            }
        };
        let assertion = self.assertion(&url)?;
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", self.scope.as_str()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
        ];
        let asked = self.clock.now();
        let issued = request_token(http, &url, &form).await?;
        self.fetched.fetch_add(1, Ordering::SeqCst);
        state.generation += 1;
        let token = Bearer {
            refresh_at: issued.refresh_at(asked),
            value: issued.access_token.into(),
            generation: state.generation,
        };
        state.token = Some(token.clone());
        Ok(token)
    }

    /// The signed client assertion for the token endpoint `aud`.
    fn assertion(&self, aud: &reqwest::Url) -> Result<String, FhirError> {
        #[derive(Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            sub: &'a str,
            aud: &'a str,
            exp: u64,
            iat: u64,
            jti: String,
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // `alg` is the key's (RS384 or ES384), set when it signs.
        let header = Header {
            typ: Some("JWT".to_owned()),
            kid: Some(self.kid.clone()),
            jku: self.jku.clone(),
            ..Header::default()
        };
        let claims = Claims {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: aud.as_str(),
            exp: (now + ASSERTION_LIFETIME).as_secs(),
            iat: now.as_secs(),
            jti: jti(now),
        };
        self.key.sign(header, &claims)
    }
}

/// A `jti` no other assertion of this process (or, with overwhelming odds, of another)
/// carries: the process's random hash keys, the time, and a counter.
fn jti(now: Duration) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:016x}-{:x}-{n:x}", hasher.finish(), now.as_nanos())
}

impl fmt::Debug for SmartAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmartAuth")
            .field("client_id", &self.client_id)
            .field("kid", &self.kid)
            .field("scope", &self.scope)
            .field(
                "token_url",
                &self
                    .configured_url
                    .as_ref()
                    .map_or_else(|| "discovered".to_owned(), crate::token_request::shown),
            )
            .field("key", &self.key)
            .field("tokens_fetched", &self.tokens_fetched())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SmartAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmartAuthBuilder")
            .field("client_id", &self.client_id)
            .field("kid", &self.kid)
            .field("scope", &self.scope)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl SmartAuthBuilder {
    /// The token endpoint; without it, the `token_endpoint` of
    /// `<base>/.well-known/smart-configuration` is used.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// The scopes asked for, space-separated ([`DEFAULT_SCOPE`], `system/*.rs`, unless
    /// set).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// The `kid` of the key in the client's registered JWK set.
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The `jku` header: where the server fetches the client's JWK set, when it was
    /// registered by URL.
    pub fn jku(mut self, url: impl Into<String>) -> Self {
        self.jku = Some(url.into());
        self
    }

    /// The key assertions are signed with.
    pub fn key(mut self, key: PrivateKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The clock token expiry is measured on (tests pass a
    /// [`ManualClock`](steadfast_retry::ManualClock)); the system's by default.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The configured [`SmartAuth`].
    ///
    /// # Errors
    /// [`FhirError::InvalidAuth`] when the client id, key or `kid` is missing or empty,
    /// or the token URL (or `jku`) is not an `http`/`https` URL.
    pub fn build(self) -> Result<SmartAuth, FhirError> {
        let invalid = |reason| FhirError::InvalidAuth { reason };
        if self.client_id.trim().is_empty() {
            return Err(invalid("the client id is empty"));
        }
        let kid = self
            .kid
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| invalid("no kid: the id of the key in the client's JWK set"))?;
        let key = self.key.ok_or_else(|| invalid("no private key"))?;
        if self.scope.trim().is_empty() {
            return Err(invalid("the scope is empty"));
        }
        let web_url = |text: &str| {
            reqwest::Url::parse(text)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        };
        let configured_url = match &self.token_url {
            Some(text) => {
                Some(web_url(text).ok_or_else(|| invalid("the token URL is not an http(s) URL"))?)
            }
            None => None,
        };
        if self.jku.as_deref().is_some_and(|j| web_url(j).is_none()) {
            return Err(invalid("the jku is not an http(s) URL"));
        }
        Ok(SmartAuth {
            client_id: self.client_id,
            kid,
            scope: self.scope,
            jku: self.jku,
            key,
            configured_url,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            state: Mutex::new(State::default()),
            fetched: AtomicU64::new(0),
        })
    }
}
