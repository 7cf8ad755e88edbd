//! The options of a [`FhirClient`]: pacing, breakers, budgets and limiters per key, dead
//! letters, SMART auth, the body cap — each off (or at its default) until asked for.

use std::sync::Arc;

use steadfast_retry::{
    AdaptiveRateLimiter, BreakerRegistry, BudgetRegistry, DeadLetterQueue, LimiterRegistry,
};

use crate::auth::SmartAuth;
use crate::client::FhirClient;
use crate::request_key::BreakerKey;

impl FhirClient {
    /// Paces every request with `limiter` (shared by its clones: one pace per server), which
    /// follows the server's answers — a 429 halves the pace, a success raises it, and
    /// rate-limit headers (`RateLimit-*`, `X-RateLimit-*`: calls left, time to reset)
    /// cap it; no call goes out before a spent window resets. Off by default.
    ///
    /// ```
    /// use steadfast_fhir::FhirClient;
    /// use steadfast_http::HttpSettings;
    /// use steadfast_retry::{AdaptiveRateLimiter, RetryPolicy};
    ///
    /// let client = FhirClient::new("https://ehr.example/fhir", &HttpSettings::default(),
    ///     RetryPolicy::exponential())?
    ///     .rate_limiter(AdaptiveRateLimiter::new(20.0, 0.5, 100.0));
    /// # let _ = client;
    /// # Ok::<(), steadfast_fhir::FhirError>(())
    /// ```
    #[must_use]
    pub fn rate_limiter(mut self, limiter: AdaptiveRateLimiter) -> Self {
        self.pace = Some(limiter);
        self
    }

    /// Gives every [`BreakerKey`] — this server × resource type × interaction — a circuit
    /// breaker of its own, from `breakers`, in place of the policy's breaker: a failing
    /// `Observation` search opens only its breaker while `Patient` reads go on. One registry
    /// can be shared by the clients of several servers (the key holds the base URL). Off by
    /// default — a client keeps the policy's single breaker — and the registry is the
    /// caller's to size (its bound is on keys; an evicted key's breaker state is lost).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use steadfast_fhir::FhirClient;
    /// use steadfast_http::HttpSettings;
    /// use steadfast_retry::{BreakerRegistry, CircuitBreaker, RetryPolicy};
    ///
    /// let breakers = Arc::new(BreakerRegistry::new(
    ///     CircuitBreaker::builder().consecutive_failures(5), 256));
    /// let client = FhirClient::new("https://ehr.example/fhir", &HttpSettings::default(),
    ///     RetryPolicy::exponential())?
    ///     .breakers(breakers.clone());
    /// assert!(client.breaker_registry().is_some_and(|b| b.is_empty()));
    /// # Ok::<(), steadfast_fhir::FhirError>(())
    /// ```
    #[must_use]
    pub fn breakers(mut self, breakers: Arc<BreakerRegistry<BreakerKey>>) -> Self {
        self.keyed = self.keyed.breakers(breakers);
        self
    }

    /// The client's keyed breakers, when set ([`FhirClient::breakers`]; its example).
    pub fn breaker_registry(&self) -> Option<&Arc<BreakerRegistry<BreakerKey>>> {
        self.keyed.breaker_registry()
    }

    /// Gives every [`BreakerKey`] a retry budget of its own, from `budgets`, in place of the
    /// policy's budget: each request deposits into its key's budget and each retry
    /// withdraws from it, so a failing `Observation` search spends only Observation's
    /// retries. Off by default.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use steadfast_fhir::FhirClient;
    /// use steadfast_http::HttpSettings;
    /// use steadfast_retry::{BudgetRegistry, RetryBudget, RetryPolicy};
    ///
    /// let client = FhirClient::new("https://ehr.example/fhir", &HttpSettings::default(),
    ///     RetryPolicy::exponential())?
    ///     .budgets(Arc::new(BudgetRegistry::new(RetryBudget::new(0.2, 5.0), 256)));
    /// assert!(client.budget_registry().is_some());
    /// # Ok::<(), steadfast_fhir::FhirError>(())
    /// ```
    #[must_use]
    pub fn budgets(mut self, budgets: Arc<BudgetRegistry<BreakerKey>>) -> Self {
        self.keyed = self.keyed.budgets(budgets);
        self
    }

    /// The client's keyed retry budgets, when set ([`FhirClient::budgets`]).
    pub fn budget_registry(&self) -> Option<&Arc<BudgetRegistry<BreakerKey>>> {
        self.keyed.budget_registry()
    }

    /// Paces every request with its [`BreakerKey`]'s limiter too, from `limiters`, which
    /// follows the answers to that key's requests as [`rate_limiter`](Self::rate_limiter)'s
    /// follows all of them (a 429 halves it, a success raises it, rate-limit headers cap
    /// it): a throttled resource type slows down alone. Both apply when both are set. Off
    /// by default.
    #[must_use]
    pub fn rate_limiters(mut self, limiters: Arc<LimiterRegistry<BreakerKey>>) -> Self {
        self.limiters = Some(limiters);
        self
    }

    /// The client's keyed rate limiters, when set ([`FhirClient::rate_limiters`]).
    pub fn limiter_registry(&self) -> Option<&Arc<LimiterRegistry<BreakerKey>>> {
        self.limiters.as_ref()
    }

    /// The key of `resource_type` × `interaction` (`read`, `search`, `create`, `update`,
    /// `patch`, `delete`) on this client's server, as its keyed registries hold it (see
    /// [`BreakerKey`]).
    pub fn key(&self, resource_type: &str, interaction: &'static str) -> BreakerKey {
        BreakerKey::new(&self.key_base, resource_type, interaction)
    }

    /// Keeps each request the policy gives up on in `queue` (a run's
    /// `DeadLetterQueue::in_run`), as a [`RequestItem`](crate::RequestItem).
    #[must_use]
    pub fn dead_letters(mut self, queue: Arc<DeadLetterQueue>) -> Self {
        self.dead_letters = Some(queue);
        self
    }

    /// Authorizes every request with SMART Backend Services: `Authorization: Bearer` with
    /// `auth`'s access token, fetched on first need and refreshed before it expires. A
    /// request answered 401 gets one new token and is sent once more, inside the same
    /// attempt (not a retry of the policy); a second 401 is that attempt's error, which is
    /// never retried.
    #[must_use]
    pub fn auth(mut self, auth: SmartAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The client's SMART Backend Services authorization, when set.
    pub fn smart_auth(&self) -> Option<&SmartAuth> {
        self.auth.as_ref()
    }

    /// Reads at most `bytes` of a response body (64 MiB by default); a longer one is cut
    /// and fails as malformed JSON.
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }
}
