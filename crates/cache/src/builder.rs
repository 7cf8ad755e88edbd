//! [`CacheBuilder`]: tiers, lifetimes, Redis, sealing and the clock, from code or from a
//! [`CacheConfig`](crate::CacheConfig).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::cache::{Cache, Inner};
use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::memory::Memory;
use crate::policy::Limits;
use crate::seal::Sealer;
use crate::shared::Shared;
use crate::stats::Counters;

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Builds a [`Cache`]. Defaults: enabled, memory tier of 256 MiB, no Redis, ttl 5 min,
/// max ttl 24 h, stale-while-revalidate 30 s, negative ttl 30 s, retention for
/// revalidation 10 min, time-to-idle 1 h, entries up to 8 MiB, Redis timeout 250 ms, key
/// prefix `steadfast:cache`.
///
/// ```
/// use std::time::Duration;
/// use steadfast_cache::Cache;
/// let cache = Cache::builder()
///     .memory(128 << 20)
///     .ttl(Duration::from_secs(60))
///     .negative_ttl(Duration::from_secs(5))
///     .build()?;
/// assert!(cache.is_enabled());
/// assert!(Cache::builder().redis("http://nope").build().is_err());
/// # Ok::<(), steadfast_cache::Error>(())
/// ```
#[must_use]
pub struct CacheBuilder {
    enabled: bool,
    memory: Option<u64>,
    time_to_idle: Duration,
    front_slots: usize,
    redis: Option<String>,
    redis_password: Option<String>,
    redis_ca_file: Option<std::path::PathBuf>,
    redis_timeout: Duration,
    prefix: String,
    sealer: Option<Sealer>,
    limits: Limits,
    clock: Arc<dyn Clock>,
    count_evictions: bool,
}

impl std::fmt::Debug for CacheBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheBuilder")
            .field("enabled", &self.enabled)
            .field("memory", &self.memory)
            .field("redis", &self.redis.is_some())
            .field("sealed", &self.sealer.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for CacheBuilder {
    fn default() -> Self {
        Self {
            enabled: true,
            memory: Some(256 << 20),
            time_to_idle: Duration::from_secs(3600),
            front_slots: crate::memo::DEFAULT_SLOTS,
            redis: None,
            redis_password: None,
            redis_ca_file: None,
            redis_timeout: Duration::from_millis(250),
            prefix: "steadfast:cache".into(),
            sealer: None,
            limits: Limits {
                ttl: 300_000,
                max_ttl: 86_400_000,
                swr: 30_000,
                negative_ttl: 30_000,
                retain: 600_000,
                max_entry: 8 << 20,
            },
            clock: Arc::new(SystemClock),
            count_evictions: true,
        }
    }
}

impl Cache {
    /// A builder with the documented defaults.
    pub fn builder() -> CacheBuilder {
        CacheBuilder::default()
    }

    /// A cache that stores nothing: every call goes to the origin.
    ///
    /// ```
    /// assert!(!steadfast_cache::Cache::disabled().is_enabled());
    /// ```
    pub fn disabled() -> Self {
        let b = Self::builder();
        Self {
            inner: Arc::new(Inner {
                enabled: false,
                memory: None,
                shared: None,
                limits: b.limits,
                clock: b.clock,
                counters: Arc::default(),
                flights: Mutex::default(),
                refreshing: Mutex::default(),
            }),
        }
    }
}

impl CacheBuilder {
    /// Whether to cache at all.
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = on;
        self
    }

    /// The in-process tier, holding at most `bytes` (bodies and headers weighed).
    pub fn memory(mut self, bytes: u64) -> Self {
        self.memory = Some(bytes);
        self
    }

    /// No in-process tier (Redis alone).
    pub fn no_memory(mut self) -> Self {
        self.memory = None;
        self
    }

    /// An in-process entry unread for this long is dropped.
    pub fn time_to_idle(mut self, d: Duration) -> Self {
        self.time_to_idle = d;
        self
    }

    /// Slots of each thread's front of the in-process tier (default 16,384 of 64 bytes:
    /// 1 MiB, allocated on a thread's first request, freed with the cache): a request
    /// this thread made before, written the same way, is answered from its slot without
    /// building its key or asking moka. Rounded up to a power of two (at most 2²⁰); 0 turns
    /// the fronts off. Size it near the number of hot keys. The front never holds a body
    /// alive, but a slot naming an entry the tier dropped keeps the entry's fixed part
    /// (about 160 bytes): at most slots × 224 bytes per thread, outside the byte bound.
    /// docs/cache.md says what the front may serve and what it costs moka's eviction.
    ///
    /// ```
    /// // About 2,000 hot keys: 128 KiB per thread.
    /// let cache = steadfast_cache::Cache::builder().memory(64 << 20).front_slots(2_048).build()?;
    /// # Ok::<(), steadfast_cache::Error>(())
    /// ```
    pub fn front_slots(mut self, slots: usize) -> Self {
        self.front_slots = if slots == 0 {
            0
        } else {
            slots.min(1 << 20).next_power_of_two()
        };
        self
    }

    /// The shared tier at `url` (`redis://` or `rediss://` for TLS).
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.redis = Some(url.into());
        self
    }

    /// A Redis password sent with `AUTH` (instead of one in the URL).
    pub fn redis_password(mut self, password: impl Into<String>) -> Self {
        self.redis_password = Some(password.into());
        self
    }

    /// Trusts the CA in this PEM file for `rediss://` instead of the system's roots (read
    /// by [`CacheBuilder::build`]).
    pub fn redis_ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.redis_ca_file = Some(path.into());
        self
    }

    /// The most any Redis call may take before it counts as a fault.
    pub fn redis_timeout(mut self, d: Duration) -> Self {
        self.redis_timeout = d;
        self
    }

    /// The Redis key prefix (`<prefix>:<type>:<sha256>`).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Seals values in Redis with this key.
    pub fn sealer(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(sealer);
        self
    }

    /// Freshness of a response that states none.
    pub fn ttl(mut self, d: Duration) -> Self {
        self.limits.ttl = ms(d);
        self
    }

    /// The most freshness any response gets.
    pub fn max_ttl(mut self, d: Duration) -> Self {
        self.limits.max_ttl = ms(d);
        self
    }

    /// The stale-while-revalidate window when a response states none.
    pub fn swr(mut self, d: Duration) -> Self {
        self.limits.swr = ms(d);
        self
    }

    /// Freshness of 404 and 410 answers (a cap on what they state).
    pub fn negative_ttl(mut self, d: Duration) -> Self {
        self.limits.negative_ttl = ms(d);
        self
    }

    /// How long past its stale window an entry with a validator is kept to revalidate.
    pub fn retain(mut self, d: Duration) -> Self {
        self.limits.retain = ms(d);
        self
    }

    /// Bodies larger than this are never stored.
    pub fn max_entry(mut self, bytes: usize) -> Self {
        self.limits.max_entry = bytes;
        self
    }

    /// Whether to count the memory tier's evictions (default on). Counting needs moka's
    /// eviction listener, whose maintenance allocates about 16 bytes per read, amortised;
    /// off, a memory hit allocates nothing.
    pub fn count_evictions(mut self, on: bool) -> Self {
        self.count_evictions = on;
        self
    }

    /// The clock (tests turn a [`ManualClock`](crate::ManualClock)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The cache. Nothing is connected yet: Redis is reached on first use, and a Redis
    /// that is down then only costs the tier's help.
    ///
    /// # Errors
    /// [`Error::RedisUrl`] for a URL that cannot be used (or a CA file with `redis://`),
    /// [`Error::RedisCaFile`] for a CA file that cannot be read, [`Error::Setting`] for a
    /// bad key prefix or a zero timeout.
    pub fn build(self) -> Result<Cache, Error> {
        let counters = Arc::new(Counters::default());
        if self.redis_timeout.is_zero() {
            return Err(Error::Setting("redis_timeout must be above zero"));
        }
        let ca = match &self.redis_ca_file {
            Some(path) if self.enabled && self.redis.is_some() => Some(
                steadfast_core::read_regular(path, steadfast_core::Links::Follow, 1 << 20)
                    .map_err(|source| Error::RedisCaFile {
                        path: path.clone(),
                        source: Arc::new(source),
                    })?,
            ),
            _ => None,
        };
        let shared = match &self.redis {
            Some(url) if self.enabled => Some(Shared::new(
                url,
                self.redis_password.as_deref(),
                ca,
                self.prefix.clone(),
                self.redis_timeout,
                self.sealer.clone(),
                Arc::clone(&self.clock),
                Arc::clone(&counters),
            )?),
            _ => None,
        };
        let memory = self.memory.filter(|_| self.enabled).map(|bytes| {
            Memory::new(
                bytes,
                self.time_to_idle,
                self.front_slots,
                Arc::clone(&self.clock),
                self.count_evictions.then(|| Arc::clone(&counters)),
            )
        });
        Ok(Cache {
            inner: Arc::new(Inner {
                enabled: self.enabled && (memory.is_some() || shared.is_some()),
                memory,
                shared,
                limits: self.limits,
                clock: self.clock,
                counters,
                flights: Mutex::default(),
                refreshing: Mutex::default(),
            }),
        })
    }
}
