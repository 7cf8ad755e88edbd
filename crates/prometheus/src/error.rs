//! The error type of `steadfast-prometheus`.

use std::path::PathBuf;

/// Why metrics could not be exported (pushed, written as a textfile, or registered).
///
/// ```
/// let registry = prometheus::Registry::new();
/// let err = steadfast_prometheus::write_textfile(&registry, "/tmp/steadfast.txt").unwrap_err();
/// assert!(matches!(err, steadfast_prometheus::Error::TextfileName { .. }));
/// assert!(err.to_string().contains("reads only files ending in .prom"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The gateway URL is not `http[s]://host:port[/path]`.
    #[error("pushgateway URL '{url}' is not usable: {why}")]
    Url {
        /// The URL, credentials redacted.
        url: String,
        /// What is wrong.
        why: &'static str,
    },
    /// A grouping label would make a new group per run.
    #[error(
        "grouping label '{0}' is not allowed: the Pushgateway never expires groups, so a per-run value leaves one group per run behind; group by pipeline and instance and put the run id in the run directory"
    )]
    PerRunGrouping(String),
    /// A metric could not be registered (a name or label Prometheus refuses, or twice).
    #[error("cannot register the metrics: {0}")]
    Register(#[source] prometheus::Error),
    /// The metrics could not be encoded.
    #[error("cannot encode the metrics: {0}")]
    Encode(#[source] prometheus::Error),
    /// A textfile name the collector would ignore.
    #[error(
        "textfile {} is ignored by node_exporter's textfile collector: it reads only files ending in .prom",
        path.display()
    )]
    TextfileName {
        /// The path given.
        path: PathBuf,
    },
    /// The textfile could not be written.
    #[error("cannot write the textfile {}: {source}", path.display())]
    Textfile {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: steadfast_core::Error,
    },
    /// The HTTP client could not be built (the system's roots unreadable).
    #[cfg(feature = "push")]
    #[error("cannot set up the push: {0}")]
    Client(#[from] steadfast_http::Error),
    /// The push's own runtime could not start.
    #[error("cannot start the push's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The push failed after retries (or at once on a 4xx or an untrusted certificate).
    #[error("push to {url} failed: {reason}")]
    Failed {
        /// The URL, credentials redacted.
        url: String,
        /// The last failure.
        reason: String,
    },
}
