//! The `[cache]` configuration section, and the [`CacheBuilder`] it gives.

use serde::{Deserialize, Serialize};
use steadfast_core::config::keys::{Documented, KeySpec, ValueType, serde_variants};
use steadfast_core::{ByteSize, HumanDuration};

use crate::builder::CacheBuilder;
use crate::cache::Cache;
use crate::config_keys as keys;
use crate::error::Error;
use crate::seal::Sealer;

/// Which tiers a configured cache uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tiers {
    /// In-process only.
    #[default]
    Memory,
    /// Redis only.
    Redis,
    /// In-process in front of Redis.
    Both,
}

/// `[cache]`: on/off, tiers, capacity, lifetimes, Redis and sealing.
/// `STEADFAST_CACHE__ENABLED=false` turns it off.
///
/// ```
/// let cfg: steadfast_cache::CacheConfig = toml::from_str(r#"
///     enabled = true
///     tiers = "both"
///     capacity = "512MiB"
///     ttl = "10m"
///     redis_url = "redis://127.0.0.1:6379"
/// "#)?;
/// assert_eq!(cfg.tiers, steadfast_cache::Tiers::Both);
/// assert!(cfg.cache().is_ok());
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Whether to cache at all. Default `false`: caching patient data is opted into.
    pub enabled: bool,
    /// `memory`, `redis` or `both`. Default `memory`.
    pub tiers: Tiers,
    /// The in-process tier's size, bodies and headers weighed. Default `256MiB`.
    pub capacity: ByteSize,
    /// Bodies larger than this are never stored. Default `8MiB`.
    pub max_entry: ByteSize,
    /// Freshness of a response that states none. Default `5m`.
    pub ttl: HumanDuration,
    /// The most freshness any response gets. Default `24h`.
    pub max_ttl: HumanDuration,
    /// Stale-while-revalidate window when a response states none. Default `30s`.
    pub swr: HumanDuration,
    /// Freshness of 404/410 answers. Default `30s`.
    pub negative_ttl: HumanDuration,
    /// How long an entry with a validator is kept past its stale window to revalidate.
    /// Default `10m`.
    pub retain: HumanDuration,
    /// An in-process entry unread this long is dropped. Default `1h`.
    pub time_to_idle: HumanDuration,
    /// `redis://host:port/db` or `rediss://` (TLS). Needed by tiers `redis` and `both`.
    pub redis_url: Option<String>,
    /// A Redis password sent with `AUTH` (`redis_password_file` reads it from a file).
    pub redis_password: Option<String>,
    /// A PEM file of the CA to trust for `rediss://` instead of the system's roots.
    pub redis_ca_file: Option<std::path::PathBuf>,
    /// The most a Redis call may take before it counts as a fault. Default `250ms`.
    pub redis_timeout: HumanDuration,
    /// Redis key prefix. Default `steadfast:cache`.
    pub key_prefix: String,
    /// AES-256-GCM key (64 hex digits) sealing values in Redis; `seal_secret_file` reads
    /// it from a file. Sealing is on whenever a key is set.
    pub seal_secret: Option<String>,
    /// The health check warns when the hit ratio over the window falls below this.
    /// Default `0.5`.
    pub hit_ratio_warn: f64,
    /// The health check's window. Default `15m`.
    pub hit_ratio_window: HumanDuration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            tiers: Tiers::Memory,
            capacity: ByteSize::mib(256),
            max_entry: ByteSize::mib(8),
            ttl: HumanDuration::from_secs(300),
            max_ttl: HumanDuration::from_secs(86_400),
            swr: HumanDuration::from_secs(30),
            negative_ttl: HumanDuration::from_secs(30),
            retain: HumanDuration::from_secs(600),
            time_to_idle: HumanDuration::from_secs(3600),
            redis_url: None,
            redis_password: None,
            redis_ca_file: None,
            redis_timeout: HumanDuration::from_millis(250),
            key_prefix: "steadfast:cache".into(),
            seal_secret: None,
            hit_ratio_warn: 0.5,
            hit_ratio_window: HumanDuration::from_secs(900),
        }
    }
}

impl CacheConfig {
    /// A builder set from this section.
    ///
    /// # Errors
    /// [`Error::Setting`] when a Redis tier has no `redis_url`; [`Error::SealKey`] for a
    /// malformed `seal_secret`.
    pub fn builder(&self) -> Result<CacheBuilder, Error> {
        let mut b = Cache::builder()
            .enabled(self.enabled)
            .time_to_idle(self.time_to_idle.get())
            .ttl(self.ttl.get())
            .max_ttl(self.max_ttl.get())
            .swr(self.swr.get())
            .negative_ttl(self.negative_ttl.get())
            .retain(self.retain.get())
            .max_entry(usize::try_from(self.max_entry.bytes()).unwrap_or(usize::MAX))
            .redis_timeout(self.redis_timeout.get())
            .key_prefix(self.key_prefix.clone());
        b = match self.tiers {
            Tiers::Redis => b.no_memory(),
            Tiers::Memory | Tiers::Both => b.memory(self.capacity.bytes()),
        };
        if self.tiers != Tiers::Memory {
            let Some(url) = &self.redis_url else {
                return Err(Error::Setting(
                    "tiers \"redis\" and \"both\" need redis_url",
                ));
            };
            b = b.redis(url.clone());
            if let Some(p) = &self.redis_password {
                b = b.redis_password(p.clone());
            }
            if let Some(ca) = &self.redis_ca_file {
                b = b.redis_ca_file(ca.clone());
            }
            if let Some(secret) = &self.seal_secret {
                b = b.sealer(Sealer::from_hex(secret)?);
            }
        }
        Ok(b)
    }

    /// The cache this section describes.
    ///
    /// # Errors
    /// As [`CacheConfig::builder`] and [`CacheBuilder::build`].
    pub fn cache(&self) -> Result<Cache, Error> {
        self.builder()?.build()
    }
}

/// Loaded as `[cache]` through `steadfast_core::config::Loader`, with its ranges checked.
impl steadfast_core::config::Config for CacheConfig {
    fn check(&self, problems: &mut steadfast_core::config::Problems) {
        problems.check_range(&keys::TTL, self.ttl);
        problems.check_range(&keys::MAX_TTL, self.max_ttl);
        problems.check_range(&keys::SWR, self.swr);
        problems.check_range(&keys::NEGATIVE_TTL, self.negative_ttl);
        problems.check_range(&keys::TIME_TO_IDLE, self.time_to_idle);
        problems.check_range(&keys::REDIS_TIMEOUT, self.redis_timeout);
        problems.check_range(&keys::HIT_RATIO_WARN, self.hit_ratio_warn);
        problems.check_range(&keys::HIT_RATIO_WINDOW, self.hit_ratio_window);
        if self.enabled && self.tiers != Tiers::Memory && self.redis_url.is_none() {
            problems.error("tiers", "tiers \"redis\" and \"both\" need redis_url");
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            problems.error(
                "redis_url",
                "a Redis URL starts with redis:// or rediss:// (TLS)",
            );
        }
        if self
            .seal_secret
            .as_deref()
            .is_some_and(|s| Sealer::from_hex(s).is_err())
        {
            problems.error("seal_secret", "expected 64 hexadecimal digits (32 bytes)");
        }
        if crate::shared::check_prefix(&self.key_prefix).is_err() {
            problems.error(
                "key_prefix",
                "printable ASCII without * ? [ ] \\, like \"steadfast:cache\"",
            );
        }
        if self.capacity.bytes() == 0 && self.tiers != Tiers::Redis {
            problems.error("capacity", "must be above zero for an in-process tier");
        }
    }
}

// The documented keys: the ranged ones from `config_keys.rs`, which `check` reads too.
impl Documented for CacheConfig {
    const KEYS: &'static [KeySpec] = &[
        KeySpec::new("enabled", ValueType::Bool),
        KeySpec::new("tiers", ValueType::Choice(serde_variants::<Tiers>)),
        KeySpec::new("capacity", ValueType::Size),
        KeySpec::new("max_entry", ValueType::Size),
        keys::TTL,
        keys::MAX_TTL,
        keys::SWR,
        keys::NEGATIVE_TTL,
        KeySpec::new("retain", ValueType::Duration),
        keys::TIME_TO_IDLE,
        KeySpec::new("redis_url", ValueType::Url),
        KeySpec::new("redis_password", ValueType::Text),
        KeySpec::new("redis_ca_file", ValueType::Path),
        keys::REDIS_TIMEOUT,
        KeySpec::new("key_prefix", ValueType::Text),
        KeySpec::new("seal_secret", ValueType::Text),
        keys::HIT_RATIO_WARN,
        keys::HIT_RATIO_WINDOW,
    ];
}

#[cfg(test)]
mod documented_tests {
    use super::*;
    use steadfast_core::config::keys::table;

    #[test]
    fn every_key_has_a_spec() {
        assert_eq!(
            table::<CacheConfig>().coverage_problems(),
            Vec::<String>::new()
        );
    }
}
