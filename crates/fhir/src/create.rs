//! `Create` and `Created`: a resource created with `POST [base]/[type]`, and the conditional
//! create (`If-None-Exist`) that makes a create safe to send again — a server that supports
//! it answers a repeat whose query matches with the existing resource (`200`) instead of
//! creating a duplicate, so a create that failed ambiguously (a 5xx, a connection dropped
//! after sending) is retried instead of dead-lettered.

use std::fmt;

use serde_json::Value;

use crate::client::FhirClient;
use crate::error::FhirError;
use crate::location::resource_type_name;
use crate::method::Method;
use crate::transport::{Answer, Outgoing};

/// The longest `If-None-Exist` query sent.
const MAX_CONDITION: usize = 4096;

/// A resource to create, optionally only if none matches a search query.
///
/// A plain create is unsafe ([`Idempotency::Unsafe`](crate::Idempotency::Unsafe)): after a
/// 5xx or a connection closed once the request was sent it may have been committed, so it is
/// never sent again but dead-lettered as ambiguous. With [`Create::if_none_exist`] (or
/// [`Create::if_none_exist_identifier`]) it becomes a conditional create, idempotent and
/// retried like a `PUT` — use it only with a server whose `CapabilityStatement` says
/// `conditionalCreate: true`: a server that ignores the header creates a duplicate on each
/// repeat.
///
/// `Debug` shows the resource type, the body's size and whether there is a condition —
/// never the body or the query, which name a patient.
///
/// ```
/// use std::sync::Arc;
/// use steadfast_fhir::{Create, FhirClient, FhirError, Idempotency, read_request_letters};
/// use steadfast_http::HttpSettings;
/// use steadfast_retry::{DeadLetterQueue, ManualClock, RetryPolicy};
///
/// let patient = serde_json::json!({"resourceType": "Patient",
///     "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"}]});
/// let create = Create::new(&patient)?.if_none_exist_identifier()?;
/// assert_eq!(create.condition(), Some("identifier=urn:oid:1.2.36.146.595.217.0.1|12345"));
///
/// // Nothing listens on port 1: refused, retried, given up and kept as a dead letter.
/// let dir = tempfile::tempdir()?;
/// let queue = Arc::new(DeadLetterQueue::open(dir.path().join("deadletter.ndjson"))?);
/// let policy = RetryPolicy::exponential().max_retries(2).manual_clock(&ManualClock::new());
/// let client = FhirClient::new("http://127.0.0.1:1/fhir", &HttpSettings::default().no_proxy(), policy)?
///     .dead_letters(queue.clone());
/// match client.create(&create) {
///     Ok(created) => println!("created: {}", created.is_new()),
///     Err(FhirError::GaveUp { attempts, dead_lettered, .. }) => assert!(attempts == 3 && dead_lettered),
///     Err(other) => return Err(other.into()),
/// }
/// let letter = &read_request_letters(queue.path())?.requests[0].item;
/// assert_eq!((letter.url.as_str(), letter.idempotency), ("Patient", Idempotency::Idempotent));
/// assert_eq!(letter.if_none_exist.as_deref(), create.condition());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Create {
    resource_type: String,
    body: Vec<u8>,
    identifier: Option<String>,
    if_none_exist: Option<String>,
}

impl Create {
    /// A create of `resource`, its type its `resourceType`.
    ///
    /// # Errors
    /// [`FhirError::InvalidCreate`] when `resource` has no `resourceType`;
    /// [`FhirError::InvalidResourceType`] when it is not a type name.
    pub fn new(resource: &Value) -> Result<Self, FhirError> {
        let found = resource.get("resourceType").and_then(Value::as_str).ok_or(
            FhirError::InvalidCreate {
                reason: "the resource has no resourceType",
            },
        )?;
        let resource_type = resource_type_name(found)
            .ok_or_else(|| FhirError::InvalidResourceType(found.to_owned()))?
            .to_owned();
        let body = serde_json::to_vec(resource).map_err(|_| FhirError::InvalidCreate {
            reason: "the resource cannot be written as JSON",
        })?;
        Ok(Self {
            resource_type,
            body,
            identifier: identifier_query(resource),
            if_none_exist: None,
        })
    }

    /// Makes it a conditional create: sent with `If-None-Exist: query`, a search query
    /// without the `?` (`identifier=http://hospital.example/mrn|12345`), its values
    /// percent-encoded where a URL needs it.
    ///
    /// # Errors
    /// [`FhirError::InvalidCreate`] when `query` is empty, starts with `?`, has no `=`, holds
    /// a space or a character a header cannot carry, or is longer than 4096 bytes.
    pub fn if_none_exist(mut self, query: &str) -> Result<Self, FhirError> {
        let header_safe = query.bytes().all(|b| b.is_ascii_graphic());
        if query.starts_with('?') || !query.contains('=') || !header_safe {
            return Err(FhirError::InvalidCreate {
                reason: "an If-None-Exist query is `name=value[&…]`: no `?`, no spaces, ASCII only (percent-encode the rest)",
            });
        }
        if query.len() > MAX_CONDITION {
            return Err(FhirError::InvalidCreate {
                reason: "the If-None-Exist query is longer than 4096 bytes",
            });
        }
        self.if_none_exist = Some(query.to_owned());
        Ok(self)
    }

    /// Makes it a conditional create on the resource's first `identifier`:
    /// `If-None-Exist: identifier=<system>|<value>`, FHIR's search escapes (`\|`, `\,`,
    /// `\$`, `\\`) and percent-encoding applied to both.
    ///
    /// ```
    /// use steadfast_fhir::Create;
    ///
    /// let obs = serde_json::json!({"resourceType": "Observation",
    ///     "identifier": [{"system": "https://lab.example/ids", "value": "A|7 &8"}]});
    /// let create = Create::new(&obs)?.if_none_exist_identifier()?;
    /// assert_eq!(create.condition(), Some("identifier=https://lab.example/ids|A%5C%7C7%20%268"));
    /// let none = Create::new(&serde_json::json!({"resourceType": "Patient"}))?;
    /// assert!(none.if_none_exist_identifier().is_err());
    /// # Ok::<(), steadfast_fhir::FhirError>(())
    /// ```
    ///
    /// # Errors
    /// [`FhirError::InvalidCreate`] when the resource has no `identifier`, or its first has
    /// no `system` or no `value` (a value alone could match another system's identifier).
    pub fn if_none_exist_identifier(mut self) -> Result<Self, FhirError> {
        let Some(query) = self.identifier.take() else {
            return Err(FhirError::InvalidCreate {
                reason: "the resource's first identifier needs a system and a value",
            });
        };
        self.if_none_exist(&query)
    }

    /// The resource type created.
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The `If-None-Exist` query, when it is a conditional create.
    pub fn condition(&self) -> Option<&str> {
        self.if_none_exist.as_deref()
    }

    /// The request as the client sends it.
    fn outgoing<'a>(&'a self, url: &'a steadfast_http::reqwest::Url) -> Outgoing<'a> {
        Outgoing {
            method: Method::Post,
            url,
            body: Some(&self.body),
            if_none_exist: self.if_none_exist.as_deref(),
        }
    }
}

impl fmt::Debug for Create {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Create")
            .field("resource_type", &self.resource_type)
            .field("body_bytes", &self.body.len())
            .field("conditional", &self.if_none_exist.is_some())
            .finish()
    }
}

/// The answer to a [`Create`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Created {
    /// `201` when the server created the resource; `200` when a conditional create matched
    /// an existing one — which may be the one an earlier attempt of the same create
    /// committed before its answer was lost.
    pub status: u16,
    /// The `Location` header relative to the base (`Patient/123/_history/1`), when the
    /// server sent one on the base's origin.
    pub location: Option<String>,
    /// The resource the server returned, when it returned one (not with
    /// `Prefer: return=minimal`).
    pub resource: Option<Value>,
}

impl Created {
    /// Whether this request created the resource (`201`), rather than finding it (`200`).
    pub fn is_new(&self) -> bool {
        self.status == 201
    }

    /// The resource's id: the returned resource's `id`, else the `Location`'s.
    pub fn id(&self) -> Option<&str> {
        let from_body = self.resource.as_ref().and_then(|r| r.get("id")?.as_str());
        from_body.or_else(|| self.location.as_deref()?.split('/').nth(1))
    }
}

impl FhirClient {
    /// Creates `create`'s resource (blocking): `POST [base]/[type]`, through the policy —
    /// a plain create as an unsafe request, a conditional one as an idempotent one
    /// ([`Create`]). A create the policy gives up on is dead-lettered without its body
    /// (the item keeps the `If-None-Exist` query).
    ///
    /// # Errors
    /// [`FhirError::GaveUp`] (with the last attempt's error) when the policy gave up;
    /// [`FhirError::DeadLetter`] when it could not be kept.
    pub fn create(&self, create: &Create) -> Result<Created, FhirError> {
        let url = self.create_url(create)?;
        let answer = self.call_out(&create.outgoing(&url), Some(&create.resource_type), None);
        Ok(self.created(answer?))
    }

    /// [`FhirClient::create`] for async code.
    ///
    /// # Errors
    /// As [`FhirClient::create`].
    pub async fn create_async(&self, create: &Create) -> Result<Created, FhirError> {
        let url = self.create_url(create)?;
        let out = create.outgoing(&url);
        let answer = self
            .call_out_async(&out, Some(&create.resource_type), None)
            .await;
        Ok(self.created(answer?))
    }

    fn create_url(&self, create: &Create) -> Result<steadfast_http::reqwest::Url, FhirError> {
        self.base
            .join(&create.resource_type)
            .ok_or(FhirError::InvalidBase {
                reason: "the base URL cannot have a path",
            })
    }

    fn created(&self, answer: Answer) -> Created {
        let location = answer.location.as_deref().and_then(|l| self.base.join(l));
        Created {
            status: answer.status,
            location: location.map(|url| self.base.relative(&url)),
            resource: Some(answer.body).filter(|b| !b.is_null()),
        }
    }
}

/// `identifier=<system>|<value>` of `resource`'s first identifier, escaped.
fn identifier_query(resource: &Value) -> Option<String> {
    let first = resource.get("identifier")?.get(0)?;
    let part = |name| {
        let text = first.get(name)?.as_str()?;
        (!text.is_empty()).then(|| encode(&fhir_escape(text)))
    };
    Some(format!("identifier={}|{}", part("system")?, part("value")?))
}

/// FHIR search escaping of a token's part: `\`, `|`, `,` and `$` get a backslash.
fn fhir_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '|' | ',' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Percent-encodes every byte but unreserved ones, `:` and `/` (which read well in a system
/// URI and mean nothing in a query value).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::Idempotency;
    use serde_json::json;

    #[test]
    fn a_create_is_unsafe_and_a_conditional_one_idempotent() {
        let url = steadfast_http::reqwest::Url::parse("http://h/fhir/Patient").unwrap();
        let patient =
            json!({"resourceType": "Patient", "identifier": [{"system": "s", "value": "v"}]});
        let plain = Create::new(&patient).unwrap();
        assert_eq!(plain.outgoing(&url).class(), Idempotency::Unsafe);
        let conditional = plain.clone().if_none_exist_identifier().unwrap();
        assert_eq!(conditional.outgoing(&url).class(), Idempotency::Idempotent);
        assert_eq!(conditional.condition(), Some("identifier=s|v"));
        let shown = format!("{conditional:?}");
        assert!(
            !shown.contains("identifier") && !shown.contains("\"v\""),
            "{shown}"
        );
    }

    #[test]
    fn refuses_what_cannot_be_sent() {
        assert!(matches!(
            Create::new(&json!({"name": "Ada"})),
            Err(FhirError::InvalidCreate { .. })
        ));
        assert!(matches!(
            Create::new(&json!({"resourceType": "../x"})),
            Err(FhirError::InvalidResourceType(_))
        ));
        let p = Create::new(&json!({"resourceType": "Patient",
            "identifier": [{"value": "12345"}, {"system": "s", "value": "v"}]}))
        .unwrap();
        // The first identifier has no system: not matched on its value alone.
        assert!(p.clone().if_none_exist_identifier().is_err());
        for bad in [
            "",
            "?identifier=a|b",
            "identifier",
            "name=Ada Jones",
            "name=Zoë",
        ] {
            let e = p.clone().if_none_exist(bad).unwrap_err();
            assert!(!e.to_string().contains("Ada"), "{e}");
        }
        assert!(p.clone().if_none_exist(&"a=".repeat(3000)).is_err());
        assert!(p.if_none_exist("identifier=s|v&birthdate=1970").is_ok());
    }

    #[test]
    fn escapes_fhir_and_url_specials() {
        assert_eq!(fhir_escape(r"a|b,c$d\e"), r"a\|b\,c\$d\\e");
        assert_eq!(encode("urn:x/y z&=#%é"), "urn:x/y%20z%26%3D%23%25%C3%A9");
    }

    #[test]
    fn created_names_its_id() {
        let from_location = Created {
            status: 201,
            location: Some("Patient/42/_history/1".into()),
            resource: None,
        };
        assert_eq!(
            (from_location.id(), from_location.is_new()),
            (Some("42"), true)
        );
        let from_body = Created {
            status: 200,
            location: None,
            resource: Some(json!({"resourceType": "Patient", "id": "7"})),
        };
        assert_eq!((from_body.id(), from_body.is_new()), (Some("7"), false));
    }
}
