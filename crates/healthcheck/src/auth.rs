//! Who may see details (observed values, reasons, `details`): nobody, holders of a bearer
//! token, whoever an [`Authorizer`] admits, or everyone on a private listener.

use std::path::Path;
use std::sync::Arc;

use axum::http::{HeaderMap, header};

/// Decides whether a request may see details: implement it for mTLS subjects, an
/// identity-aware proxy's headers, a token rotated from a vault.
///
/// ```
/// use axum::http::HeaderMap;
/// use steadfast_healthcheck::Authorizer;
///
/// #[derive(Debug)]
/// struct FromProxy;
/// impl Authorizer for FromProxy {
///     fn may_see_details(&self, headers: &HeaderMap) -> bool {
///         headers.get("x-forwarded-groups").and_then(|v| v.to_str().ok()).is_some_and(|g| g.split(',').any(|g| g == "sre"))
///     }
/// }
/// ```
pub trait Authorizer: Send + Sync + std::fmt::Debug + 'static {
    /// Whether the request with `headers` may see details.
    fn may_see_details(&self, headers: &HeaderMap) -> bool;
}

/// `Authorization: Bearer <token>`, compared in constant time; the token never appears in
/// `Debug` output.
///
/// ```
/// use steadfast_healthcheck::{Authorizer, BearerToken};
/// let auth = BearerToken::new("s3cret");
/// let mut headers = axum::http::HeaderMap::new();
/// headers.insert("authorization", "Bearer s3cret".parse().unwrap());
/// assert!(auth.may_see_details(&headers));
/// assert!(!format!("{auth:?}").contains("s3cret"));
/// ```
#[derive(Clone)]
pub struct BearerToken(String);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl BearerToken {
    /// A fixed token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token in environment variable `name` (`None` when unset or empty).
    pub fn from_env(name: &str) -> Option<Self> {
        std::env::vars_os()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.into_string().ok())
            .filter(|v| !v.is_empty())
            .map(Self)
    }

    /// The token in a file (a mounted secret), surrounding whitespace trimmed.
    ///
    /// # Errors
    /// The file cannot be read.
    pub fn from_file(path: impl AsRef<Path>) -> std::io::Result<Self> {
        Ok(Self(std::fs::read_to_string(path)?.trim().to_owned()))
    }
}

impl Authorizer for BearerToken {
    fn may_see_details(&self, headers: &HeaderMap) -> bool {
        !self.0.is_empty()
            && headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .is_some_and(|given| constant_time_eq(given.as_bytes(), self.0.as_bytes()))
    }
}

/// Compares without stopping at the first difference, so timing does not leak the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Who may see observed values and reasons.
#[derive(Clone, Default)]
pub enum ShowDetails {
    /// Never (default): failing checks say only `reason withheld`.
    #[default]
    Never,
    /// With `Authorization: Bearer <token>` (a [`BearerToken`]).
    WhenAuthorized(String),
    /// Whoever the authorizer admits.
    With(Arc<dyn Authorizer>),
    /// Always (a private listener).
    Always,
}

impl std::fmt::Debug for ShowDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Never => f.write_str("Never"),
            Self::WhenAuthorized(_) => f.write_str("WhenAuthorized(<redacted>)"),
            Self::With(a) => write!(f, "With({a:?})"),
            Self::Always => f.write_str("Always"),
        }
    }
}

impl ShowDetails {
    /// Whether a request with `headers` may see details.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        match self {
            Self::Never => false,
            Self::Always => true,
            Self::WhenAuthorized(token) => {
                BearerToken::new(token.as_str()).may_see_details(headers)
            }
            Self::With(auth) => auth.may_see_details(headers),
        }
    }
}
