//! What a caller asks of a [`FhirError`]: its HTTP status, its OAuth error code and its
//! I/O kind — each also through a `GaveUp` to the last attempt's error.

use crate::error::FhirError;

impl FhirError {
    /// The HTTP status of the error, or of the last attempt's error when the policy gave up.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::GaveUp { last: Some(l), .. } => l.status(),
            _ => None,
        }
    }

    /// The OAuth `error` code of a refused token request (`invalid_client`), also when the
    /// policy gave up on a request for it.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Self::Token { code, .. } => code.as_deref(),
            Self::GaveUp { last: Some(l), .. } => l.oauth_error(),
            _ => None,
        }
    }

    /// The I/O kind of a transport failure, or of the last attempt's when the policy gave up.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Self::Transport { source, .. } => Some(source.kind()),
            Self::GaveUp { last: Some(l), .. } => l.io_kind(),
            _ => None,
        }
    }
}
