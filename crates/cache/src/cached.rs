//! What a caller gets back: [`Cached`], a handle on an entry, and its [`Source`].

use std::sync::Arc;

use bytes::Bytes;

use crate::entry::Entry;
use crate::response::header;

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A fresh entry of the in-process tier.
    Memory,
    /// A fresh entry of the shared (Redis) tier.
    Redis,
    /// A stale entry inside its stale-while-revalidate window; a refresh runs behind it.
    Stale,
    /// The origin, with a full answer (stored or not, as its status and headers allow).
    Origin,
    /// A stored entry the origin confirmed with `304 Not Modified`.
    Revalidated,
    /// Not a cacheable request (a method other than GET/HEAD, or the cache is off).
    Bypass,
}

/// An answer: a handle on the entry (cheap to clone) and where it came from.
#[derive(Debug, Clone)]
pub struct Cached {
    pub(crate) entry: Arc<Entry>,
    pub(crate) source: Source,
}

impl Cached {
    /// Where the answer came from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.entry.status
    }

    /// The body (a shared handle, not a copy).
    pub fn body(&self) -> &Bytes {
        &self.entry.body
    }

    /// The first value of a stored header (lower-case name). Only `content-type`,
    /// `content-location`, `location`, `etag`, `last-modified`, `cache-control`, `expires`
    /// and `vary` are stored.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.entry.headers, name)
    }

    /// Whether it came from the cache without a trip to the origin.
    pub fn is_hit(&self) -> bool {
        matches!(self.source, Source::Memory | Source::Redis | Source::Stale)
    }
}
