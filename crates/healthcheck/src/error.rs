//! The one error type of `steadfast-healthcheck`.

/// Everything that can go wrong registering checks or serving health.
///
/// ```
/// let err = steadfast_healthcheck::Error::DuplicateCheck { name: "db:ping".into() };
/// assert!(err.to_string().contains("db:ping"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An external check was put in the liveness group.
    #[error(
        "check '{name}' touches an external system and cannot be in the liveness group: a restart cannot fix a dependency; put it in the ready group"
    )]
    ExternalInLiveness {
        /// The check.
        name: String,
    },
    /// Two checks share a name.
    #[error("check '{name}' is registered twice; names identify checks in reports")]
    DuplicateCheck {
        /// The name.
        name: String,
    },
    /// A declared check (`[[health.checks]]`) is invalid; `steadfast config check` shows
    /// where it was written.
    #[error("invalid check at [health] {path}: {message}")]
    InvalidCheck {
        /// The key path inside `[health]` (`checks[2].addr`).
        path: String,
        /// What is wrong and how to fix it (never a password).
        message: String,
    },
    /// A check's URL is not one it can use.
    #[error("{reason}")]
    InvalidUrl {
        /// The URL, credentials redacted.
        url: String,
        /// What is wrong and how to fix it, the URL (redacted) included.
        reason: String,
    },
    /// A datastore connection string (PostgreSQL, Redis) is not usable; the string is not
    /// repeated (it may hold a password).
    #[error("invalid {kind} connection string: {reason}")]
    InvalidConnectionString {
        /// `PostgreSQL` or `Redis`.
        kind: &'static str,
        /// What is wrong and how to fix it (never the password).
        reason: String,
    },
    /// The HTTP client or a datastore's TLS could not be set up (a CA or key file).
    #[error(transparent)]
    Http(#[from] steadfast_http::Error),
    /// The server could not bind its address.
    #[error("cannot listen on {addr}: {source}; pick a free port or address")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The metrics could not be registered (a series of the same name is already there).
    #[cfg(feature = "prometheus")]
    #[error("cannot register health metrics: {0}; register them once per prometheus registry")]
    Metrics(#[from] prometheus::Error),
    /// The checks already export their series (through `HealthRegistry::metrics` or an
    /// earlier `Health::metrics`).
    #[cfg(feature = "prometheus")]
    #[error("these health checks already export their metrics; export them once")]
    MetricsExported,
}
