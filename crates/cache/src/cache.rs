//! [`Cache`]: read-through memory → Redis → origin, with single flight, stale-while-
//! revalidate, revalidation with validators, negative caching and invalidation.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use crate::cached::{Cached, Source};
use crate::clock::Clock;
use crate::entry::{Entry, Freshness};
use crate::error::{Error, OriginError};
use crate::key::{CacheKey, ResourceType};
use crate::memory::Memory;
use crate::policy::Limits;
use crate::request::Request;
use crate::response::{Conditional, Response};
use crate::shared::Shared;
use crate::stats::{CacheStats, Counters, Tier, bump};

/// What one flight ends with, shared by every caller waiting on it.
pub(crate) type Outcome = Result<Cached, Arc<OriginError>>;
type Flights = Mutex<HashMap<[u8; 32], Arc<tokio::sync::OnceCell<Outcome>>>>;

/// A FHIR response cache: an in-process tier, a shared Redis tier, or both, in front of an
/// origin the caller supplies per request. Cheap to clone (one shared state).
///
/// ```
/// use steadfast_cache::{Cache, Request, Response, Scope, Source};
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let cache = Cache::builder().memory(64 << 20).build()?;
/// let scope = Scope::tenant("acme");
/// let req = Request::get("https://ehr.example/fhir/Patient?name=smith", &scope);
/// let origin = |_conditional| async {
///     Ok(Response::new(200, "{\"resourceType\":\"Bundle\"}").header("cache-control", "max-age=60"))
/// };
/// assert_eq!(cache.fetch(&req, origin).await?.source(), Source::Origin);
/// let again = cache.fetch(&req, origin).await?;
/// assert_eq!(again.source(), Source::Memory);
/// assert_eq!(again.body().as_ref(), b"{\"resourceType\":\"Bundle\"}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Cache {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("enabled", &self.inner.enabled)
            .field("memory", &self.inner.memory.is_some())
            .field("redis", &self.inner.shared)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) enabled: bool,
    pub(crate) memory: Option<Memory>,
    pub(crate) shared: Option<Shared>,
    pub(crate) limits: Limits,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) flights: Flights,
    pub(crate) refreshing: Mutex<HashSet<[u8; 32]>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes a flight from the map when its caller is done (or cancelled).
struct Landing<'a> {
    flights: &'a Flights,
    digest: [u8; 32],
    cell: Arc<tokio::sync::OnceCell<Outcome>>,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        let mut map = lock(self.flights);
        if map
            .get(&self.digest)
            .is_some_and(|c| Arc::ptr_eq(c, &self.cell))
        {
            map.remove(&self.digest);
        }
    }
}

impl Cache {
    /// Answers `request` from the cache, or through `origin` — called with the validators
    /// of a stored entry when there is one to revalidate — and stores what may be stored.
    /// Concurrent callers missing one key share one origin fetch. A fault of the cache
    /// (Redis down, a damaged value) never fails the call: it is counted.
    ///
    /// # Errors
    /// [`Error::Origin`] when the origin fetch fails (never cached).
    pub async fn fetch<F, Fut>(&self, request: &Request<'_>, origin: F) -> Result<Cached, Error>
    where
        F: FnOnce(Conditional) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Response, OriginError>> + Send + 'static,
    {
        let inner = &self.inner;
        if !inner.enabled || !request.is_cacheable() {
            bump(&inner.counters.bypassed);
            let response = origin(Conditional::default())
                .await
                .map_err(|e| Error::Origin {
                    source: Arc::new(e),
                })?;
            return Ok(Cached {
                entry: Arc::new(Entry::passing(response)),
                source: Source::Bypass,
            });
        }
        bump(&inner.counters.requests);
        let mut candidate = None;
        if let Some(memory) = &inner.memory {
            // A hit needs only the memory tier's key; the sha256 is for what follows.
            let now = inner.clock.now_ms();
            match memory.lookup(request, now) {
                Some(entry) => match entry.freshness(now) {
                    Freshness::Fresh => {
                        inner.counters.hit(Tier::Memory);
                        return Ok(Cached {
                            entry,
                            source: Source::Memory,
                        });
                    }
                    Freshness::Stale => {
                        inner.counters.stale(Tier::Memory);
                        let key = CacheKey::new(request);
                        Inner::refresh_behind(inner, key, Arc::clone(&entry), origin);
                        return Ok(Cached {
                            entry,
                            source: Source::Stale,
                        });
                    }
                    Freshness::Expired => {
                        inner.counters.miss(Tier::Memory);
                        candidate = Some(entry);
                    }
                },
                None => inner.counters.miss(Tier::Memory),
            }
        }
        // Boxed: the miss path's state stays out of the hit path's future.
        Box::pin(self.miss(CacheKey::new(request), candidate, origin)).await
    }

    /// A miss: one flight per key, whoever asks.
    async fn miss<F, Fut>(
        &self,
        key: CacheKey,
        candidate: Option<Arc<Entry>>,
        origin: F,
    ) -> Result<Cached, Error>
    where
        F: FnOnce(Conditional) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Response, OriginError>> + Send + 'static,
    {
        let inner = &self.inner;
        let cell = Arc::clone(lock(&inner.flights).entry(key.digest).or_default());
        let landing = Landing {
            flights: &inner.flights,
            digest: key.digest,
            cell: Arc::clone(&cell),
        };
        let outcome = cell
            .get_or_init(|| Inner::resolve(inner, key, candidate, origin))
            .await
            .clone();
        drop(landing);
        outcome.map_err(|source| Error::Origin { source })
    }

    /// Drops the entry of `request` from every tier.
    pub async fn invalidate(&self, request: &Request<'_>) {
        self.invalidate_key(&CacheKey::new(request)).await;
    }

    /// Drops the entry under `key` from every tier.
    pub async fn invalidate_key(&self, key: &CacheKey) {
        if let Some(m) = &self.inner.memory {
            m.remove(key);
        }
        if let Some(s) = &self.inner.shared {
            s.remove(key).await;
        }
    }

    /// Drops every entry whose request path names `resource_type` (`Patient`), in every
    /// tier. `false` when it is not a resource type's name.
    pub async fn invalidate_type(&self, resource_type: &str) -> bool {
        let Some(rt) = ResourceType::new(resource_type) else {
            return false;
        };
        if let Some(m) = &self.inner.memory {
            m.remove_type(rt);
        }
        if let Some(s) = &self.inner.shared {
            s.remove_type(rt).await;
        }
        true
    }

    /// Drops every entry of every tier (in Redis: the keys under this cache's prefix).
    pub async fn invalidate_all(&self) {
        if let Some(m) = &self.inner.memory {
            m.clear();
        }
        if let Some(s) = &self.inner.shared {
            s.clear().await;
        }
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> CacheStats {
        let bytes = self.inner.memory.as_ref().map_or(0, Memory::bytes);
        self.inner.counters.snapshot(bytes)
    }

    /// Whether the cache stores anything (`false`: every call goes to the origin).
    pub fn is_enabled(&self) -> bool {
        self.inner.enabled
    }
}

impl Inner {
    /// A flight: the shared tier, then the origin.
    async fn resolve<F, Fut>(
        self: &Arc<Self>,
        key: CacheKey,
        mut candidate: Option<Arc<Entry>>,
        origin: F,
    ) -> Outcome
    where
        F: FnOnce(Conditional) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Response, OriginError>> + Send + 'static,
    {
        if let Some(shared) = &self.shared {
            match shared.get(&key).await {
                Some(found) => {
                    let found = Arc::new(found);
                    match found.freshness(self.clock.now_ms()) {
                        Freshness::Fresh => {
                            self.counters.hit(Tier::Redis);
                            self.remember(&key, &found);
                            return Ok(Cached {
                                entry: found,
                                source: Source::Redis,
                            });
                        }
                        Freshness::Stale => {
                            self.counters.stale(Tier::Redis);
                            self.remember(&key, &found);
                            Self::refresh_behind(self, key, Arc::clone(&found), origin);
                            return Ok(Cached {
                                entry: found,
                                source: Source::Stale,
                            });
                        }
                        Freshness::Expired => {
                            self.counters.miss(Tier::Redis);
                            if candidate
                                .as_ref()
                                .is_none_or(|c| c.stored_at < found.stored_at)
                            {
                                candidate = Some(found);
                            }
                        }
                    }
                }
                None => self.counters.miss(Tier::Redis),
            }
        }
        self.ask_origin(key, candidate, origin).await
    }

    /// Puts a Redis entry into the memory tier.
    fn remember(&self, key: &CacheKey, entry: &Arc<Entry>) {
        if let Some(m) = &self.memory {
            m.insert(key, Arc::clone(entry));
        }
    }

    /// Refreshes a stale entry in the background, at most once at a time per key.
    fn refresh_behind<F, Fut>(self: &Arc<Self>, key: CacheKey, stale: Arc<Entry>, origin: F)
    where
        F: FnOnce(Conditional) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Response, OriginError>> + Send + 'static,
    {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if !lock(&self.refreshing).insert(key.digest) {
            return;
        }
        let inner = Arc::clone(self);
        runtime.spawn(async move {
            let _ = inner.ask_origin(key, Some(stale), origin).await;
            lock(&inner.refreshing).remove(&key.digest);
        });
    }
}
