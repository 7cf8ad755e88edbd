//! The demo's response cache (`demo --cache memory|redis://…`, or `[cache]`): its search
//! GETs answered from memory, from Redis, or by the mock server through
//! `steadfast::cache`, keyed on the mock EHR's data set rather than its port (new on every
//! run), so a second run is answered from Redis; the statistics go into the run's metrics
//! for its page.

use steadfast::Run;
use steadfast::cache::{Cache, CacheConfig, CacheStats, Error, Request, Response, Scope, Tiers};

use super::client::{Client, FHIR_JSON, FetchError, page_json};

/// The tenant whose data the mock EHR holds: the scope of every entry.
const TENANT: &str = "demo-ehr";

/// The cache in front of the mock server.
pub(crate) struct DemoCache {
    cache: Cache,
    scope: Scope,
    /// The mock EHR's base URL as keys see it: the same on every run with the same data.
    base: String,
    tiers: Tiers,
}

impl DemoCache {
    /// The cache `[cache]` describes, in front of the mock EHR holding `dataset`; `None`
    /// when the section is off (the default).
    ///
    /// # Errors
    /// When `[cache]` cannot be built (a Redis URL it cannot use, an unreadable CA file).
    pub(crate) fn new(config: &CacheConfig, dataset: &str) -> Result<Option<Self>, Error> {
        if !config.enabled {
            return Ok(None);
        }
        Ok(Some(Self {
            cache: config.cache()?,
            scope: Scope::tenant(TENANT),
            base: format!("http://mock-ehr.invalid/{dataset}"),
            tiers: config.tiers,
        }))
    }

    /// Its tiers, in words.
    pub(crate) fn tiers(&self) -> &'static str {
        match self.tiers {
            Tiers::Memory => "memory",
            Tiers::Redis => "Redis",
            Tiers::Both => "memory, then Redis",
        }
    }

    /// GETs `path` through the cache: from a tier, or (a miss) from the mock server through
    /// `client`, whose answer is stored as its headers allow — never a 503, 429 or
    /// transport error. A fault of the cache (Redis down) is counted, never returned.
    pub(crate) fn get_json(
        &self,
        client: &Client,
        path: &str,
    ) -> Result<(serde_json::Value, usize), FetchError> {
        let url = format!("{}{path}", self.base);
        let request = Request::get(&url, &self.scope).accept(FHIR_JSON);
        let origin = client.origin(path);
        let answer = client.block_on(self.cache.fetch(&request, move |conditional| async move {
            let page = origin.get(conditional.headers()).await?;
            Ok(page
                .headers
                .iter()
                .fold(Response::new(page.status, page.body), |r, (name, value)| {
                    r.header(name, value)
                }))
        }));
        match answer {
            Ok(a) => page_json(a.status(), a.header("retry-after"), a.body()),
            // The origin's own error, for the retry policy to classify.
            Err(e) => Err(e
                .origin()
                .and_then(|o| o.downcast_ref::<FetchError>())
                .map_or_else(|| FetchError::Malformed(e.to_string()), FetchError::copy)),
        }
    }

    /// The summary line's words for `s`: how many search GETs the cache answered, from
    /// which of its tiers, and how many went to the mock server.
    pub(crate) fn summary(&self, s: &CacheStats) -> String {
        let (memory, redis) = (s.memory.hits + s.memory.stale, s.redis.hits + s.redis.stale);
        let by_tier = match self.tiers {
            Tiers::Memory => format!("memory {memory}"),
            Tiers::Redis => format!("Redis {redis}"),
            Tiers::Both => format!("memory {memory}, Redis {redis}"),
        };
        let ratio = s
            .hit_ratio()
            .map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0));
        format!(
            "{:>6} of {} search GETs from the cache ({ratio}: {by_tier}); {} to the mock server; {} cache errors",
            memory + redis,
            s.requests,
            s.loads,
            s.redis_errors + s.decode_errors,
        )
    }

    /// Records the statistics into the run's `metrics.ndjson` (steadfast-cache's
    /// `series::RUN_*`), once its search GETs are done; the snapshot recorded.
    pub(crate) fn record(&self, run: &Run) -> CacheStats {
        self.cache.record(run.metrics())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_unless_enabled_and_keyed_on_the_data_set() {
        let mut config = CacheConfig::default();
        assert!(DemoCache::new(&config, "d").unwrap().is_none());
        config.enabled = true;
        let cache = DemoCache::new(&config, "seed-1-patients-5")
            .unwrap()
            .unwrap();
        assert_eq!(cache.base, "http://mock-ehr.invalid/seed-1-patients-5");
        assert_eq!(cache.tiers(), "memory");
        let s = CacheStats {
            requests: 4,
            memory: steadfast::cache::TierStats {
                hits: 3,
                ..Default::default()
            },
            loads: 1,
            ..Default::default()
        };
        assert_eq!(
            cache.summary(&s),
            "     3 of 4 search GETs from the cache (75.0%: memory 3); 1 to the mock server; 0 cache errors"
        );
    }
}
