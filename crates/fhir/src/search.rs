//! `Search`: the pages of a FHIR search, one `Bundle` at a time, following
//! `Bundle.link[relation=next]` on the server's own origin only; and `bundle_resources`,
//! a page's resources.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use serde_json::Value;
use steadfast_http::reqwest::Url;

use crate::client::FhirClient;
use crate::error::FhirError;
use crate::location::{resource_type_name, same_origin};
use crate::method::Method;

/// The most pages a search follows unless [`Search::max_pages`] says otherwise.
pub const MAX_PAGES: usize = 1_000_000;

/// The pages of a search ([`FhirClient::search`]): an iterator of `Result<Bundle>` that
/// blocks, or [`Search::next_async`] in async code. After an error it ends.
///
/// A `next` link back to a page already fetched ends the search with
/// [`FhirError::NextLinkCycle`] (a link to the page itself simply ends it), and more than
/// [`Search::max_pages`] pages ([`MAX_PAGES`] by default) with [`FhirError::TooManyPages`].
#[derive(Debug)]
pub struct Search<'a> {
    client: &'a FhirClient,
    resource_type: String,
    next: Option<Url>,
    pending: Option<FhirError>,
    pages: usize,
    max_pages: usize,
    /// Hashes of the URLs of the pages fetched.
    visited: HashSet<u64>,
}

/// A page URL's hash, for the set of pages visited (a million URLs would not fit).
fn url_hash(url: &Url) -> u64 {
    let mut h = DefaultHasher::new();
    url.as_str().hash(&mut h);
    h.finish()
}

impl<'a> Search<'a> {
    pub(crate) fn new(
        client: &'a FhirClient,
        resource_type: &str,
        first: Result<Url, FhirError>,
    ) -> Self {
        let (next, pending) = match first {
            Ok(url) => (Some(url), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            client,
            resource_type: resource_type.to_owned(),
            next,
            pending,
            pages: 0,
            max_pages: MAX_PAGES,
            visited: HashSet::new(),
        }
    }

    /// The search that goes on after `page`, a `Bundle` fetched from `url` outside it (a
    /// replayed dead letter): its next link, under the same origin and cycle guards.
    pub(crate) fn after(
        client: &'a FhirClient,
        resource_type: &str,
        url: &Url,
        page: Value,
    ) -> Result<Self, FhirError> {
        let mut search = Self {
            client,
            resource_type: resource_type.to_owned(),
            next: None,
            pending: None,
            pages: 0,
            max_pages: MAX_PAGES,
            visited: HashSet::new(),
        };
        search.accept(url, page)?;
        search.pages = 0;
        Ok(search)
    }

    /// Stops after `n` pages with [`FhirError::TooManyPages`] (default [`MAX_PAGES`]).
    ///
    /// ```
    /// # let client = steadfast_fhir::FhirClient::new("http://127.0.0.1:1/fhir",
    /// #     &steadfast_http::HttpSettings::default(), steadfast_retry::RetryPolicy::exponential())?;
    /// let search = client.search("Patient", &[]).max_pages(10);
    /// assert_eq!(search.pages(), 0);
    /// # Ok::<(), steadfast_fhir::FhirError>(())
    /// ```
    #[must_use]
    pub fn max_pages(mut self, n: usize) -> Self {
        self.max_pages = n;
        self
    }

    /// The URL of the page [`Iterator::next`] fetches next, if any.
    pub(crate) fn next_url(&self) -> Option<&Url> {
        if self.pending.is_some() {
            None
        } else {
            self.next.as_ref()
        }
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// The next page, fetched without blocking the thread; `None` after the last page or
    /// an error.
    ///
    /// ```no_run
    /// # async fn f(client: &steadfast_fhir::FhirClient) -> Result<(), steadfast_fhir::FhirError> {
    /// let mut search = client.search("Observation", &[("_count", "100")]);
    /// while let Some(page) = search.next_async().await {
    ///     for resource in steadfast_fhir::bundle_resources(&page?) {
    ///         println!("{}", resource["id"]);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next_async(&mut self) -> Option<Result<Value, FhirError>> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        let url = self.next.take()?;
        let page = self
            .client
            .call_async(Method::Get, &url, Some(&self.resource_type), None)
            .await;
        Some(page.and_then(|p| self.accept(&url, p)))
    }

    /// Checks a fetched page and finds its next link.
    fn accept(&mut self, url: &Url, page: Value) -> Result<Value, FhirError> {
        let path = || self.client.base.shown(url);
        let found = page.get("resourceType").and_then(Value::as_str);
        if found != Some("Bundle") {
            return Err(FhirError::NotABundle {
                path: path(),
                found: found
                    .and_then(resource_type_name)
                    .unwrap_or("no resourceType")
                    .to_owned(),
            });
        }
        self.pages += 1;
        self.visited.insert(url_hash(url));
        if let Some(link) = next_link(&page) {
            match url.join(link) {
                Err(_) => self.pending = Some(FhirError::InvalidNextLink { path: path() }),
                Ok(next) if !same_origin(&next, self.client.base_url()) => {
                    self.pending = Some(FhirError::ForeignNextLink {
                        path: path(),
                        origin: next.origin().ascii_serialization(),
                    });
                }
                // A server that links a page to itself would page forever.
                Ok(next) if next == *url => {}
                Ok(next) if self.visited.contains(&url_hash(&next)) => {
                    self.pending = Some(FhirError::NextLinkCycle {
                        path: path(),
                        next: self.client.base.shown(&next),
                    });
                }
                Ok(_) if self.pages >= self.max_pages => {
                    self.pending = Some(FhirError::TooManyPages {
                        path: path(),
                        limit: self.max_pages,
                    });
                }
                Ok(next) => self.next = Some(next),
            }
        }
        Ok(page)
    }
}

impl Iterator for Search<'_> {
    type Item = Result<Value, FhirError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        let url = self.next.take()?;
        let page = self
            .client
            .call(Method::Get, &url, Some(&self.resource_type), None);
        Some(page.and_then(|p| self.accept(&url, p)))
    }
}

impl FhirClient {
    /// Searches `resource_type` with `params`: the pages of the result, each a `Bundle`,
    /// following `Bundle.link[relation=next]` (never to another origin). Iterate it to
    /// block, or call [`Search::next_async`]. A page the policy gives up on ends the
    /// search with its error (dead-lettered when a queue is set).
    pub fn search(&self, resource_type: &str, params: &[(&str, &str)]) -> Search<'_> {
        let first = resource_type_name(resource_type)
            .ok_or_else(|| FhirError::InvalidResourceType(resource_type.to_owned()))
            .and_then(|t| {
                let mut url = self.base.join(t).ok_or(FhirError::InvalidBase {
                    reason: "the resource path leaves the base URL",
                })?;
                if !params.is_empty() {
                    url.query_pairs_mut().extend_pairs(params);
                }
                Ok(url)
            });
        Search::new(self, resource_type, first)
    }
}

/// `Bundle.link[relation=next].url`, if any.
fn next_link(page: &Value) -> Option<&str> {
    page.get("link")?
        .as_array()?
        .iter()
        .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))?
        .get("url")?
        .as_str()
}

/// The resources of a `Bundle` page (`entry[].resource`).
///
/// ```
/// let page = serde_json::json!({"resourceType": "Bundle", "entry": [
///     {"resource": {"resourceType": "Patient", "id": "p1"}},
///     {"fullUrl": "urn:uuid:x"}]});
/// let ids: Vec<_> = steadfast_fhir::bundle_resources(&page).map(|r| &r["id"]).collect();
/// assert_eq!(ids, ["p1"]);
/// ```
pub fn bundle_resources(page: &Value) -> impl Iterator<Item = &Value> {
    page.get("entry")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("resource"))
}
