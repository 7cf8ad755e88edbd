//! `RequestItem`: an HTTP request kept as a dead letter's item, and its typed reader —
//! what `steadfast deadletter replay` sends again. The URL is relative to the server's base
//! (no scheme, host or credentials), so a replay can aim the same request at any base.

use std::path::Path;

use serde::{Deserialize, Serialize};
use steadfast_retry::{DeadLetter, read_dead_letters};

use crate::error::FhirError;
use crate::location::resource_type_name;
use crate::method::{Idempotency, Method};

/// One HTTP request that failed for good, as a dead letter's item:
/// `{"method":"GET","url":"Patient?_count=50&page=3","resource_type":"Patient","idempotency":"safe"}`.
///
/// ```
/// use steadfast_fhir::{Idempotency, Method, RequestItem};
///
/// let item = RequestItem::new(Method::Get, "Patient?_count=50", Some("Patient"));
/// assert_eq!(item.idempotency, Idempotency::Safe);
/// let value = serde_json::to_value(&item)?;
/// assert_eq!(value["url"], "Patient?_count=50");
/// assert_eq!(RequestItem::from_value(&value)?, item);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RequestItem {
    /// The method.
    pub method: Method,
    /// Path and query relative to the base URL (`Patient?_count=50`), or from the origin's
    /// root when the server paged outside the base (`/paging/abc?page=3`).
    pub url: String,
    /// The resource type the request reads or searches, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The method's idempotency class: a replay sends only `safe` and `idempotent` items
    /// unless told otherwise.
    pub idempotency: Idempotency,
    /// A conditional create's `If-None-Exist` query (`identifier=sys|val`), which makes the
    /// `POST` idempotent. Like `url`'s query, it may name a patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_none_exist: Option<String>,
}

impl RequestItem {
    /// An item for `method` on `url` (relative to the base), its class the method's.
    pub fn new(method: Method, url: &str, resource_type: Option<&str>) -> Self {
        Self {
            method,
            url: url.to_owned(),
            resource_type: resource_type.map(str::to_owned),
            idempotency: method.idempotency(),
            if_none_exist: None,
        }
    }

    /// The item of a conditional create: a `POST` sent with `If-None-Exist: query`, which
    /// makes it [`Idempotency::Idempotent`] (a repeat whose query matches is answered with
    /// the resource the first one created); other methods keep their class.
    ///
    /// ```
    /// use steadfast_fhir::{Idempotency, Method, RequestItem};
    ///
    /// let item = RequestItem::new(Method::Post, "Patient", Some("Patient"))
    ///     .if_none_exist("identifier=urn:mrn|12345");
    /// assert_eq!(item.idempotency, Idempotency::Idempotent);
    /// let value = serde_json::to_value(&item)?;
    /// assert_eq!(value["if_none_exist"], "identifier=urn:mrn|12345");
    /// assert_eq!(RequestItem::from_value(&value)?, item);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn if_none_exist(mut self, query: &str) -> Self {
        self.if_none_exist = Some(query.to_owned());
        self.idempotency = Idempotency::of_request(self.method, true);
        self
    }

    /// Reads a dead letter's item; checks that the resource type is a type name and that
    /// the class is not more permissive than the request's (a `POST` marked `safe`, or
    /// `idempotent` without `if_none_exist`, is not an item this crate wrote).
    ///
    /// # Errors
    /// [`FhirError::NotARequestItem`] saying what is wrong (never repeating the item).
    pub fn from_value(value: &serde_json::Value) -> Result<Self, FhirError> {
        let item = Self::deserialize(value).map_err(|e| FhirError::NotARequestItem {
            reason: match e.classify() {
                serde_json::error::Category::Data => {
                    "its fields are not method, url, resource_type and idempotency".to_owned()
                }
                _ => "it is not a JSON object".to_owned(),
            },
        })?;
        if let Some(t) = &item.resource_type
            && resource_type_name(t).is_none()
        {
            return Err(FhirError::NotARequestItem {
                reason: "its resource_type is not a FHIR type name".to_owned(),
            });
        }
        if item.if_none_exist.is_some() && item.method != Method::Post {
            return Err(FhirError::NotARequestItem {
                reason: format!("a {} cannot carry If-None-Exist", item.method),
            });
        }
        let class = Idempotency::of_request(item.method, item.if_none_exist.is_some());
        if (item.idempotency.is_repeatable() && !class.is_repeatable())
            || (item.idempotency == Idempotency::Safe && class != Idempotency::Safe)
        {
            return Err(FhirError::NotARequestItem {
                reason: format!("a {} cannot be {:?}", item.method, item.idempotency),
            });
        }
        Ok(item)
    }
}

/// A dead letter whose item is a [`RequestItem`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestLetter {
    /// The letter as stored.
    pub letter: DeadLetter,
    /// Its item, read.
    pub item: RequestItem,
}

/// The HTTP-request dead letters of a queue file.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RequestLetters {
    /// The letters whose item is a request, in file order.
    pub requests: Vec<RequestLetter>,
    /// Letters whose item is something else (another stage's items).
    pub other: usize,
    /// Lines that are not dead letters, and a torn last line.
    pub unreadable: usize,
}

/// Every HTTP-request dead letter in `path` (a run's `deadletter.ndjson`); a missing file
/// holds none.
///
/// ```
/// use steadfast_fhir::{Method, RequestItem, read_request_letters};
/// use steadfast_retry::DeadLetter;
///
/// let dir = tempfile::tempdir()?;
/// let dlq = steadfast_retry::DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?;
/// let item = RequestItem::new(Method::Get, "Patient?page=2", Some("Patient"));
/// let now = steadfast_core::Timestamp::now();
/// dlq.push(&DeadLetter::new(&item, &"HTTP 503", 4, now, "exhausted")?)?;
/// dlq.push(&DeadLetter::new(&"a row", &"bad row", 1, now, "permanent")?)?;
/// let read = read_request_letters(dlq.path())?;
/// assert_eq!((read.requests.len(), read.other), (1, 1));
/// assert_eq!(read.requests[0].item, item);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`FhirError::DeadLetter`] when the file exists but cannot be read.
pub fn read_request_letters(path: impl AsRef<Path>) -> Result<RequestLetters, FhirError> {
    let read = read_dead_letters(path).map_err(FhirError::DeadLetter)?;
    let mut out = RequestLetters {
        unreadable: read.malformed.len() + usize::from(read.torn_tail.is_some()),
        ..RequestLetters::default()
    };
    for letter in read.records {
        match RequestItem::from_value(&letter.item) {
            Ok(item) => out.requests.push(RequestLetter { letter, item }),
            Err(_) => out.other += 1,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refuses_what_this_crate_never_writes() {
        let bad = [
            json!({"method": "POST", "url": "Patient", "idempotency": "safe"}),
            json!({"method": "GET", "url": "x", "resource_type": "../etc", "idempotency": "safe"}),
            json!({"method": "GET", "url": "x", "idempotency": "safe", "extra": 1}),
            json!({"method": "BREW", "url": "x", "idempotency": "safe"}),
            json!({"method": "POST", "url": "Patient", "idempotency": "idempotent"}),
            json!({"method": "POST", "url": "Patient", "idempotency": "safe", "if_none_exist": "identifier=a|b"}),
            json!({"method": "PUT", "url": "Patient/1", "idempotency": "idempotent", "if_none_exist": "identifier=a|b"}),
            json!("Ada Jones"),
        ];
        for v in bad {
            let e = RequestItem::from_value(&v).unwrap_err();
            assert!(!e.to_string().contains("Ada"), "{e}");
            assert!(!e.to_string().contains("etc"), "{e}");
        }
        let post = json!({"method": "POST", "url": "Patient", "idempotency": "unsafe"});
        assert_eq!(
            RequestItem::from_value(&post).unwrap().idempotency,
            Idempotency::Unsafe
        );
        // A conditional create's letter: still POST, repeatable because of its condition.
        let conditional = json!({"method": "POST", "url": "Patient", "idempotency": "idempotent",
            "if_none_exist": "identifier=urn:mrn|1"});
        let item = RequestItem::from_value(&conditional).unwrap();
        assert_eq!(item.if_none_exist.as_deref(), Some("identifier=urn:mrn|1"));
    }
}
