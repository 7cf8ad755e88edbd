//! The origin side of a miss: ask (conditionally when a stored entry has validators),
//! refresh on `304`, store what may be stored — in memory, and in Redis unless `private` —
//! and count what may not.

use std::future::Future;
use std::sync::Arc;

use crate::cache::{Inner, Outcome};
use crate::cached::{Cached, Source};
use crate::entry::Entry;
use crate::error::OriginError;
use crate::key::CacheKey;
use crate::policy::{Skip, decide};
use crate::response::{Conditional, Response};
use crate::stats::{Tier, bump};

impl Inner {
    /// Asks the origin (conditionally when `candidate` has validators) and stores.
    pub(crate) async fn ask_origin<F, Fut>(
        &self,
        key: CacheKey,
        candidate: Option<Arc<Entry>>,
        origin: F,
    ) -> Outcome
    where
        F: FnOnce(Conditional) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Response, OriginError>> + Send + 'static,
    {
        let conditional = candidate
            .as_ref()
            .map(|c| c.conditional())
            .unwrap_or_default();
        bump(&self.counters.loads);
        let response = match origin(conditional.clone()).await {
            Ok(r) => r,
            Err(e) => {
                bump(&self.counters.load_errors);
                return Err(Arc::new(e));
            }
        };
        let now = self.clock.now_ms();
        if response.status == 304
            && let Some(old) = candidate.filter(|_| !conditional.is_empty())
        {
            let mut merged = old.headers.clone();
            for (n, v) in &response.headers {
                merged.retain(|(m, _)| m != n);
                merged.push((n.clone(), v.clone()));
            }
            return match decide(old.status, &merged, old.body.len(), now, &self.limits) {
                Ok(keep) => {
                    bump(&self.counters.revalidations);
                    let entry = Arc::new(old.refreshed(&response.headers, keep, now));
                    self.store(&key, &entry).await;
                    Ok(Cached {
                        entry,
                        source: Source::Revalidated,
                    })
                }
                Err(skip) => {
                    self.not_stored(&key, skip).await;
                    Ok(Cached {
                        entry: old,
                        source: Source::Revalidated,
                    })
                }
            };
        }
        match decide(
            response.status,
            &response.headers,
            response.body.len(),
            now,
            &self.limits,
        ) {
            Ok(keep) => {
                let entry = Arc::new(Entry::new(&response, keep, now, key.resource_type));
                self.store(&key, &entry).await;
                Ok(Cached {
                    entry,
                    source: Source::Origin,
                })
            }
            Err(skip) => {
                self.not_stored(&key, skip).await;
                Ok(Cached {
                    entry: Arc::new(Entry::passing(response)),
                    source: Source::Origin,
                })
            }
        }
    }

    async fn store(&self, key: &CacheKey, entry: &Arc<Entry>) {
        if let Some(m) = &self.memory {
            m.insert(key, Arc::clone(entry));
            self.counters.insert(Tier::Memory);
        }
        if let Some(s) = &self.shared {
            if entry.private {
                // `private` stays in process, under its scope; drop an older shared copy.
                s.remove(key).await;
            } else {
                s.set(key, entry).await;
            }
        }
    }

    /// Counts an answer not stored; one that forbids storing (`no-store`) also drops what
    /// was stored before. A failed status (5xx) leaves a stored entry alone.
    async fn not_stored(&self, key: &CacheKey, skip: Skip) {
        let i = match skip {
            Skip::Status => 0,
            Skip::Directive => 1,
            Skip::Oversize => 2,
        };
        bump(&self.counters.not_stored[i]);
        if skip != Skip::Status {
            if let Some(m) = &self.memory {
                m.remove(key);
            }
            if let Some(s) = &self.shared {
                s.remove(key).await;
            }
        }
    }
}
