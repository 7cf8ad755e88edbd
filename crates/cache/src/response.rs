//! What the origin answers ([`Response`]) and what the cache asks it to revalidate with
//! ([`Conditional`]).

use bytes::Bytes;

/// Headers as (lower-case name, value) pairs.
pub(crate) type Headers = Vec<(Box<str>, Box<str>)>;

/// The first value of header `name` (lower-case).
pub(crate) fn header<'h>(headers: &'h [(Box<str>, Box<str>)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.as_ref() == name)
        .map(|(_, v)| v.as_ref())
}

/// An origin's answer: status, headers, body.
///
/// ```
/// use steadfast_cache::Response;
/// let r = Response::new(200, "{}").header("Cache-Control", "max-age=60").header("ETag", "\"v1\"");
/// assert_eq!(r.header_value("etag"), Some("\"v1\""));
/// ```
#[derive(Clone)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Headers,
    pub(crate) body: Bytes,
}

impl std::fmt::Debug for Response {
    // The body and header values can be patient data: only their sizes are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers.len())
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Response {
    /// A response with `status` and `body`.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// With one more header (the name is stored lower-cased).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase().into(), value.into()));
        self
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        header(&self.headers, &name.to_ascii_lowercase())
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }
}

/// The validators of a stored entry the origin is asked with: send them as
/// `If-None-Match` and `If-Modified-Since`; a `304 Not Modified` refreshes the entry.
///
/// ```
/// let none = steadfast_cache::Conditional::default();
/// assert_eq!(none.headers().count(), 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditional {
    /// The entry's `ETag`.
    pub if_none_match: Option<Box<str>>,
    /// The entry's `Last-Modified`.
    pub if_modified_since: Option<Box<str>>,
}

impl Conditional {
    /// The request headers to send: `("if-none-match", …)`, `("if-modified-since", …)`.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("if-none-match", self.if_none_match.as_deref()),
            ("if-modified-since", self.if_modified_since.as_deref()),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n, v)))
    }

    /// Whether there is anything to revalidate with.
    pub fn is_empty(&self) -> bool {
        self.if_none_match.is_none() && self.if_modified_since.is_none()
    }
}
