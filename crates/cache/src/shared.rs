//! The shared tier on Redis (the `redis` crate, async, `rediss://` over rustls): values
//! under `<prefix>:<resource type>:<sha256 hex>` — never query text — sealed when a key is
//! configured. Every call is bounded by a timeout; after a fault the tier is skipped for a
//! growing pause (100 ms doubling to 10 s), so a down or slow Redis costs callers nothing
//! but the cache's help. Faults are counted, never returned.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::clock::Clock;
use crate::entry::Entry;
use crate::error::Error;
use crate::key::{CacheKey, ResourceType};
use crate::seal::Sealer;
use crate::stats::{Counters, Tier, bump};

/// The shared tier.
pub(crate) struct Shared {
    client: redis::Client,
    manager: tokio::sync::OnceCell<ConnectionManager>,
    prefix: String,
    timeout: Duration,
    sealer: Option<Sealer>,
    down_until: AtomicU64,
    failures: AtomicU32,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field(
                "addr",
                &self.client.get_connection_info().addr().to_string(),
            )
            .field("prefix", &self.prefix)
            .field("sealed", &self.sealer.is_some())
            .finish_non_exhaustive()
    }
}

/// Checks a key prefix: printable, no glob characters (SCAN patterns are built from it).
pub(crate) fn check_prefix(prefix: &str) -> Result<(), Error> {
    if prefix.is_empty()
        || !prefix
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '*' | '?' | '[' | ']' | '\\'))
    {
        return Err(Error::Setting(
            "key_prefix: printable ASCII without * ? [ ] \\, like \"steadfast:cache\"",
        ));
    }
    Ok(())
}

impl Shared {
    #[allow(clippy::too_many_arguments, reason = "one call site, the builder's")]
    pub(crate) fn new(
        url: &str,
        password: Option<&str>,
        ca: Option<Vec<u8>>,
        prefix: String,
        timeout: Duration,
        sealer: Option<Sealer>,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
    ) -> Result<Self, Error> {
        use redis::IntoConnectionInfo as _;
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(Error::RedisUrl {
                reason: "a Redis URL starts with redis:// or rediss:// (TLS)".into(),
            });
        }
        let mut info = url.into_connection_info().map_err(|e| Error::RedisUrl {
            reason: format!(
                "{}; expected redis[s]://[user:password@]host[:port][/db]",
                e.category()
            ),
        })?;
        if let Some(password) = password {
            let settings = info.redis_settings().clone().set_password(password);
            info = info.set_redis_settings(settings);
        }
        let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
        let client = match ca {
            None => redis::Client::open(info),
            Some(_) if !tls => {
                return Err(Error::RedisUrl {
                    reason: "a CA file needs a rediss:// URL: redis:// does not use TLS".into(),
                });
            }
            Some(pem) => redis::Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem),
                },
            ),
        }
        .map_err(|e| Error::RedisUrl {
            reason: e.category().to_owned(),
        })?;
        check_prefix(&prefix)?;
        Ok(Self {
            client,
            manager: tokio::sync::OnceCell::new(),
            prefix,
            timeout,
            sealer,
            down_until: AtomicU64::new(0),
            failures: AtomicU32::new(0),
            clock,
            counters,
        })
    }

    fn redis_key(&self, key: &CacheKey) -> String {
        let rt = key.resource_type.as_ref().map_or("-", |t| t.as_str());
        format!("{}:{rt}:{}", self.prefix, key.hex())
    }

    /// A connection, unless the tier is pausing after a fault.
    async fn connection(&self) -> Option<ConnectionManager> {
        if self.clock.now_ms() < self.down_until.load(Relaxed) {
            return None;
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(self.timeout);
        let init = async {
            tokio::time::timeout(
                self.timeout,
                ConnectionManager::new_with_config(self.client.clone(), config),
            )
            .await
            .map_err(|_| ())?
            .map_err(|_| ())
        };
        match self.manager.get_or_try_init(|| init).await {
            Ok(m) => Some(m.clone()),
            Err(()) => {
                self.fault();
                None
            }
        }
    }

    fn fault(&self) {
        bump(&self.counters.redis_errors);
        let n = self.failures.fetch_add(1, Relaxed).min(7);
        let pause = (100u64 << n).min(10_000);
        self.down_until
            .store(self.clock.now_ms().saturating_add(pause), Relaxed);
        tracing::warn!(
            pause_ms = pause,
            "cache: Redis unavailable, skipping the shared tier"
        );
    }

    fn ok(&self) {
        if self.failures.load(Relaxed) != 0 {
            self.failures.store(0, Relaxed);
        }
    }

    /// Runs `cmd` bounded by the timeout; `None` (counted) on any fault.
    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        let mut conn = self.connection().await?;
        // The manager bounds every response by `timeout` (`set_response_timeout`): a second
        // timer of our own around it cost each hit a timer registration for nothing.
        match cmd.query_async::<T>(&mut conn).await {
            Ok(v) => {
                self.ok();
                Some(v)
            }
            _ => {
                self.fault();
                None
            }
        }
    }

    /// The entry under `key`; a value that will not open or decode is deleted and counted.
    pub(crate) async fn get(&self, key: &CacheKey) -> Option<Entry> {
        let rkey = self.redis_key(key);
        let raw: Option<Vec<u8>> = self.run(redis::cmd("GET").arg(&rkey)).await?;
        let raw = raw?;
        let plain = match &self.sealer {
            Some(s) => s.open(&raw, &key.digest).map(Bytes::from),
            None => Some(Bytes::from(raw)),
        };
        match plain.as_ref().and_then(Entry::decode) {
            Some(e) if !e.private => Some(e),
            _ => {
                bump(&self.counters.decode_errors);
                let _: Option<i64> = self.run(redis::cmd("UNLINK").arg(&rkey)).await;
                None
            }
        }
    }

    /// Stores `entry` under `key` until its retention ends.
    pub(crate) async fn set(&self, key: &CacheKey, entry: &Entry) {
        let ttl = entry.retain_until.saturating_sub(self.clock.now_ms());
        if ttl == 0 {
            return;
        }
        let plain = entry.encode();
        let value = match &self.sealer {
            Some(s) => match s.seal(&plain, &key.digest) {
                Some(v) => v,
                None => return,
            },
            None => plain,
        };
        let len = value.len() as u64;
        let done: Option<()> = self
            .run(
                redis::cmd("SET")
                    .arg(self.redis_key(key))
                    .arg(value)
                    .arg("PX")
                    .arg(ttl),
            )
            .await;
        if done.is_some() {
            self.counters.insert(Tier::Redis);
            self.counters.add_bytes(Tier::Redis, len);
        }
    }

    pub(crate) async fn remove(&self, key: &CacheKey) {
        let _: Option<i64> = self
            .run(redis::cmd("UNLINK").arg(self.redis_key(key)))
            .await;
    }

    /// Deletes every key under `pattern` (SCAN, then UNLINK in batches); how many.
    async fn remove_matching(&self, pattern: &str) -> Option<u64> {
        let mut cursor = 0u64;
        let mut removed = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = self
                .run(
                    redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(pattern)
                        .arg("COUNT")
                        .arg(1000),
                )
                .await?;
            if !keys.is_empty() {
                removed += self.run::<u64>(redis::cmd("UNLINK").arg(&keys)).await?;
            }
            if next == 0 {
                return Some(removed);
            }
            cursor = next;
        }
    }

    pub(crate) async fn remove_type(&self, resource_type: ResourceType) -> Option<u64> {
        let pattern = format!("{}:{}:*", self.prefix, resource_type.as_str());
        self.remove_matching(&pattern).await
    }

    pub(crate) async fn clear(&self) -> Option<u64> {
        let pattern = format!("{}:*", self.prefix);
        self.remove_matching(&pattern).await
    }
}
