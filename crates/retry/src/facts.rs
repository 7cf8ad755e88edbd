//! What is known of a failure beyond its text: [`ErrorFacts`] (kind, HTTP status,
//! `Retry-After`, the FHIR resource) and [`Facts`], an error that can say them — for a
//! policy's hooks and listeners and for the dead-letter queue.

/// What a caller knows about a failure, for
/// [`push_failed_with`](crate::DeadLetterQueue::push_failed_with): the queue keeps the kind,
/// status and resource type, and only a keyed hash of the resource id.
///
/// ```
/// use steadfast_retry::ErrorFacts;
///
/// let facts = ErrorFacts::http(404).resource("Patient", "p1");
/// let io = ErrorFacts::io(&std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
/// # let _ = (facts, io);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorFacts {
    pub(crate) kind: Option<String>,
    pub(crate) status: Option<u16>,
    pub(crate) resource_type: Option<String>,
    pub(crate) resource_id: Option<String>,
    pub(crate) retry_after: Option<std::time::Duration>,
}

impl ErrorFacts {
    /// Nothing known yet: the queue works out what it can from the error and the item.
    pub fn new() -> Self {
        Self::default()
    }

    /// An HTTP answer with `status` (kind `http_4xx`, `http_5xx`, …).
    pub fn http(status: u16) -> Self {
        Self {
            kind: Some(http_kind(status)),
            status: Some(status),
            ..Self::default()
        }
    }

    /// An I/O error (kind `io_` and the error's kind: `io_timed_out`).
    pub fn io(error: &std::io::Error) -> Self {
        Self {
            kind: Some(format!("io_{}", snake(&format!("{:?}", error.kind())))),
            ..Self::default()
        }
    }

    /// The failure's kind, a word of `[a-z0-9_]` (at most 32); anything else is kept as
    /// `error`, so no text can ride in it.
    #[must_use]
    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = Some(kind.to_owned());
        self
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The wait the server asked for (`Retry-After`), as the hooks of a retrying call see
    /// it ([`RetryEvent::retry_after`](crate::RetryEvent::retry_after)); never stored in a
    /// dead letter.
    #[must_use]
    pub fn retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The FHIR resource the item concerns; the id is kept only as a keyed hash.
    #[must_use]
    pub fn resource(mut self, resource_type: &str, id: &str) -> Self {
        self.resource_type = Some(resource_type.to_owned());
        self.resource_id = Some(id.to_owned());
        self
    }
}

/// An error that knows its HTTP status, `Retry-After` or I/O kind. Implement it for an
/// HTTP client's error (this crate depends on no client) and classify with
/// [`Classify::with_facts`](crate::Classify::with_facts): every [`RetryEvent`](crate::RetryEvent) and
/// [`GiveUpEvent`](crate::GiveUpEvent) then carries the status and the server's wait.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::{Classify, Decision, ErrorFacts, Facts, ManualClock, RetryPolicy};
///
/// #[derive(Debug)]
/// struct HttpError { status: u16 }
/// impl std::fmt::Display for HttpError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "HTTP {}", self.status)
///     }
/// }
/// impl Facts for HttpError {
///     fn facts(&self) -> ErrorFacts {
///         ErrorFacts::http(self.status).retry_after(Duration::from_secs(1))
///     }
/// }
///
/// let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let policy = RetryPolicy::constant(Duration::from_secs(1))
///     .manual_clock(&ManualClock::new())
///     .on_retry(move |e| log.lock().unwrap().push((e.status, e.retry_after)));
/// let classify = |_: &HttpError| Decision::Retry;
/// let _ = policy.retry_if(classify.with_facts(), |_| Err::<(), _>(HttpError { status: 503 }));
/// assert_eq!(seen.lock().unwrap()[0], (Some(503), Some(Duration::from_secs(1))));
/// ```
pub trait Facts {
    /// What this error knows about itself (nothing, by default of a field).
    fn facts(&self) -> ErrorFacts;
}

/// Kind `io_<kind>` (`io_connection_refused`).
impl Facts for std::io::Error {
    fn facts(&self) -> ErrorFacts {
        ErrorFacts::io(self)
    }
}

impl<T: Facts + ?Sized> Facts for &T {
    fn facts(&self) -> ErrorFacts {
        (**self).facts()
    }
}

impl<T: Facts + ?Sized> Facts for Box<T> {
    fn facts(&self) -> ErrorFacts {
        (**self).facts()
    }
}

pub(crate) fn http_kind(status: u16) -> String {
    format!("http_{}xx", status / 100)
}

/// `ConnectionRefused` → `connection_refused`.
pub(crate) fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        }
    }
    out
}
