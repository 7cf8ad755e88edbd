//! What the caller asks: [`Scope`] (whose data a response is — part of every key) and
//! [`Request`] (method, URL, `Accept`), borrowed so that building one allocates nothing.

use std::fmt;
use std::sync::Arc;

/// Whose data a response is: part of every key, so one caller's data never serves another.
///
/// ```
/// use steadfast_cache::Scope;
/// assert_ne!(Scope::tenant("a"), Scope::tenant("b"));
/// assert_ne!(Scope::tenant("a"), Scope::subject("a"));
/// assert!(!format!("{:?}", Scope::subject("patient-123")).contains("patient-123"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub(crate) kind: u8,
    pub(crate) id: Arc<str>,
}

impl Scope {
    /// A tenant (an organisation, an EHR instance).
    pub fn tenant(id: impl AsRef<str>) -> Self {
        Self::new(1, id.as_ref())
    }

    /// A token's subject (`sub` claim): responses that depend on who asks.
    pub fn subject(id: impl AsRef<str>) -> Self {
        Self::new(2, id.as_ref())
    }

    /// A partition the caller names (a backend service account, a consent group).
    pub fn partition(id: impl AsRef<str>) -> Self {
        Self::new(3, id.as_ref())
    }

    /// One scope for everyone: only for data that is the same whoever asks
    /// (terminology, `CapabilityStatement`).
    pub fn shared() -> Self {
        Self::new(0, "")
    }

    fn new(kind: u8, id: &str) -> Self {
        Self {
            kind,
            id: Arc::from(id),
        }
    }
}

impl fmt::Debug for Scope {
    // The id can be a user's subject: never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            0 => "shared",
            1 => "tenant",
            2 => "subject",
            _ => "partition",
        };
        write!(f, "Scope({kind})")
    }
}

/// One request as the cache sees it: method, full URL, `Accept` and scope. Borrowed, so
/// building one allocates nothing.
///
/// ```
/// use steadfast_cache::{Request, Scope};
/// let scope = Scope::tenant("acme");
/// let req = Request::get("https://ehr.example/fhir/Patient?name=smith", &scope)
///     .accept("application/fhir+json");
/// assert!(req.is_cacheable());
/// assert!(!Request::new("POST", "https://ehr.example/fhir/Patient", &scope).is_cacheable());
/// assert!(!format!("{req:?}").contains("smith"));
/// ```
#[derive(Clone, Copy)]
pub struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) accept: Option<&'a str>,
    pub(crate) scope: &'a Scope,
}

impl fmt::Debug for Request<'_> {
    // The path and query can carry identifiers: only the method is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("scope", self.scope)
            .finish_non_exhaustive()
    }
}

impl<'a> Request<'a> {
    /// A request with any method (only GET and HEAD are ever cached).
    pub fn new(method: &'a str, url: &'a str, scope: &'a Scope) -> Self {
        Self {
            method,
            url,
            accept: None,
            scope,
        }
    }

    /// A GET.
    pub fn get(url: &'a str, scope: &'a Scope) -> Self {
        Self::new("GET", url, scope)
    }

    /// With the request's `Accept` header.
    #[must_use]
    pub fn accept(mut self, accept: &'a str) -> Self {
        self.accept = Some(accept);
        self
    }

    /// Whether the method is one the cache stores (GET, HEAD).
    pub fn is_cacheable(&self) -> bool {
        self.method.eq_ignore_ascii_case("GET") || self.method.eq_ignore_ascii_case("HEAD")
    }

    /// The request's URL.
    pub fn url(&self) -> &'a str {
        self.url
    }
}
