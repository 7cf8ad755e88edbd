//! `Method` and `Idempotency`: an HTTP method of a FHIR interaction and its idempotency
//! class (RFC 9110 §9.2) — safe, idempotent or unsafe.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An HTTP method of a FHIR interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Method {
    /// `GET`: read, search, history.
    Get,
    /// `HEAD`.
    Head,
    /// `PUT`: update, conditional update.
    Put,
    /// `DELETE`.
    Delete,
    /// `POST`: create, search by POST, operations, batch.
    Post,
    /// `PATCH`.
    Patch,
}

impl Method {
    /// The method's name (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Post => "POST",
            Self::Patch => "PATCH",
        }
    }

    /// The method's idempotency class.
    ///
    /// ```
    /// use steadfast_fhir::{Idempotency, Method};
    /// assert_eq!(Method::Get.idempotency(), Idempotency::Safe);
    /// assert_eq!(Method::Post.idempotency(), Idempotency::Unsafe);
    /// ```
    pub fn idempotency(self) -> Idempotency {
        match self {
            Self::Get | Self::Head => Idempotency::Safe,
            Self::Put | Self::Delete => Idempotency::Idempotent,
            Self::Post | Self::Patch => Idempotency::Unsafe,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether sending a request twice can do harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Idempotency {
    /// Changes nothing on the server (GET, HEAD).
    Safe,
    /// Sending it twice has the effect of sending it once (PUT, DELETE).
    Idempotent,
    /// Sending it twice may do it twice (POST, PATCH): a duplicate create.
    Unsafe,
}

impl Idempotency {
    /// Whether a request of this class may be sent again after any failure.
    pub fn is_repeatable(self) -> bool {
        !matches!(self, Self::Unsafe)
    }

    /// The class of a request with `method`, sent with an `If-None-Exist` header when
    /// `if_none_exist`: a conditional create is idempotent — a server that supports it
    /// answers a repeat whose query matches with the resource the first one created
    /// (`200`), not a second resource — so its ambiguous failures are retried.
    ///
    /// ```
    /// use steadfast_fhir::{Idempotency, Method};
    /// assert_eq!(Idempotency::of_request(Method::Post, false), Idempotency::Unsafe);
    /// assert_eq!(Idempotency::of_request(Method::Post, true), Idempotency::Idempotent);
    /// assert_eq!(Idempotency::of_request(Method::Patch, true), Idempotency::Unsafe);
    /// ```
    pub fn of_request(method: Method, if_none_exist: bool) -> Self {
        match method {
            Method::Post if if_none_exist => Self::Idempotent,
            _ => method.idempotency(),
        }
    }
}
