//! `BreakerKey`: what a request's breaker, retry budget and rate limiter are keyed on — the
//! server's base URL, the resource type and the FHIR interaction — so one registry can serve
//! the clients of several servers.

use std::fmt;
use std::sync::Arc;

use steadfast_http::reqwest::Url;

use crate::method::Method;

/// The key of a request in a client's keyed registries
/// ([`FhirClient::breakers`](crate::FhirClient::breakers),
/// [`budgets`](crate::FhirClient::budgets),
/// [`rate_limiters`](crate::FhirClient::rate_limiters)): the server's base URL (without
/// credentials), the resource type (empty for system-level requests) and the interaction —
/// `read`, `search`, `create`, `update`, `patch` or `delete`. Never an id or a query value.
///
/// ```
/// use steadfast_fhir::FhirClient;
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::RetryPolicy;
///
/// let client = FhirClient::new("https://ehr.example/fhir", &HttpSettings::default(),
///     RetryPolicy::exponential())?;
/// let key = client.key("Observation", "search");
/// assert_eq!((key.base(), key.resource_type(), key.interaction()),
///     ("https://ehr.example/fhir/", "Observation", "search"));
/// assert_eq!(key.to_string(), "https://ehr.example/fhir/Observation search");
/// # Ok::<(), steadfast_fhir::FhirError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BreakerKey {
    base: Arc<str>,
    resource_type: String,
    interaction: &'static str,
}

impl BreakerKey {
    /// The key of `resource_type` × `interaction` on the server whose key base is `base`
    /// (see [`key_base`]).
    pub(crate) fn new(base: &Arc<str>, resource_type: &str, interaction: &'static str) -> Self {
        Self {
            base: base.clone(),
            resource_type: resource_type.to_owned(),
            interaction,
        }
    }

    /// The key of a request: its resource type and its FHIR interaction.
    pub(crate) fn of(
        base: &Arc<str>,
        method: Method,
        resource_type: Option<&str>,
        id: Option<&str>,
    ) -> Self {
        let interaction = match (method, id) {
            (Method::Get | Method::Head, Some(_)) => "read",
            (Method::Get | Method::Head, None) => "search",
            (Method::Put, _) => "update",
            (Method::Delete, _) => "delete",
            (Method::Patch, _) => "patch",
            (Method::Post, _) => "create",
        };
        Self::new(base, resource_type.unwrap_or_default(), interaction)
    }

    /// The server's base URL, its path ending in `/`, without credentials.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The resource type (empty for system-level requests).
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The interaction: `read`, `search`, `create`, `update`, `patch` or `delete`.
    pub fn interaction(&self) -> &'static str {
        self.interaction
    }
}

impl fmt::Display for BreakerKey {
    /// `<base><resource type> <interaction>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{} {}",
            self.base, self.resource_type, self.interaction
        )
    }
}

/// The base part of a client's keys: its base URL without user name or password.
pub(crate) fn key_base(base: &Url) -> Arc<str> {
    let mut url = base.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Arc::from(url.as_str())
}
