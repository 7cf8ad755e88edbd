//! [`Error`]: what building a cache or fetching through it can fail with. Faults of the
//! cache itself (Redis down, a damaged value) never reach a caller: they are counted.

use std::path::PathBuf;
use std::sync::Arc;

/// The error an origin fetch returns (a transport error, a timeout): shared by every
/// caller waiting on the same fetch.
pub type OriginError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of steadfast-cache.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The origin fetch failed (never cached; every caller waiting on it gets it).
    #[error("origin fetch failed")]
    Origin {
        /// The origin's error.
        #[source]
        source: Arc<OriginError>,
    },
    /// The Redis URL cannot be used.
    #[error("invalid Redis URL: {reason}")]
    RedisUrl {
        /// What is wrong (never the password).
        reason: String,
    },
    /// The Redis CA file cannot be read.
    #[error("cannot read Redis CA file {}", path.display())]
    RedisCaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Arc<steadfast_core::Error>,
    },
    /// The sealing key is malformed.
    #[error("invalid cache seal key: {reason}")]
    SealKey {
        /// What is wrong (never the key).
        reason: &'static str,
    },
    /// The sealing key file cannot be read.
    #[error("cannot read cache seal key file {}", path.display())]
    SealKeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Arc<steadfast_core::Error>,
    },
    /// A setting is out of its range.
    #[error("invalid cache setting: {0}")]
    Setting(&'static str),
}

impl Error {
    /// The origin's own error, when this is [`Error::Origin`].
    ///
    /// ```
    /// let err = steadfast_cache::Error::Setting("capacity");
    /// assert!(err.origin().is_none());
    /// ```
    pub fn origin(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match self {
            Self::Origin { source } => Some(source.as_ref().as_ref()),
            _ => None,
        }
    }
}
