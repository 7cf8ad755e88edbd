//! [`HealthRegistry`]: collects registrations and the defaults they share (timeout, TTL,
//! `max_stale`, how many checks run at once), then starts them as a [`Health`].

use std::sync::Arc;

use crate::inner::{Defaults, Entry, Inner};
use crate::{Error, Group, Health, HealthConfig, Registration};

/// Collects registrations, then starts them as a [`Health`].
///
/// ```
/// use steadfast_healthcheck::{CheckOutput, External, Group, Registration, HealthRegistry};
///
/// let live_db = Registration::new("db:ping", External(|| async { CheckOutput::pass() }))
///     .groups([Group::Live]);
/// let err = HealthRegistry::new().register(live_db).unwrap_err();
/// assert!(err.to_string().contains("liveness"));
/// ```
#[derive(Debug, Default)]
pub struct HealthRegistry {
    regs: Vec<Registration>,
    version: Option<String>,
    service_id: Option<String>,
    defaults: Defaults,
    declare: crate::declared_build::Context,
    #[cfg(feature = "prometheus")]
    metrics: Option<crate::metrics::CheckMetrics>,
}

impl HealthRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry with the defaults of a `[health]` section: `check_timeout`, `check_ttl`,
    /// `check_max_stale` for registrations that leave them unset, and
    /// `max_concurrent_checks`.
    ///
    /// ```
    /// use steadfast_healthcheck::{HealthConfig, HealthRegistry};
    ///
    /// let cfg = HealthConfig { max_concurrent_checks: 4, ..HealthConfig::default() };
    /// let registry = HealthRegistry::from_config(&cfg);
    /// # let _ = registry;
    /// ```
    pub fn from_config(cfg: &HealthConfig) -> Self {
        Self {
            defaults: Defaults {
                timeout: cfg.check_timeout.get(),
                ttl: cfg.check_ttl.get(),
                max_stale: cfg.check_max_stale.map(steadfast_core::HumanDuration::get),
                max_concurrent: cfg.max_concurrent_checks,
            },
            ..Self::default()
        }
    }

    /// At most `n` checks run at once (default 16; at least 1); the others wait for a turn
    /// before their timeout starts. A fleet of slow dependencies then costs a bounded number
    /// of connections and tasks.
    ///
    /// ```
    /// let registry = steadfast_healthcheck::HealthRegistry::new().max_concurrent(4);
    /// # let _ = registry;
    /// ```
    #[must_use]
    pub fn max_concurrent(mut self, n: usize) -> Self {
        self.defaults.max_concurrent = n.max(1);
        self
    }

    /// The watermarks of declared disk checks without `min_free` (default:
    /// [`Watermarks::default`](steadfast_diskwatch::Watermarks::default)); pass `[disk]`'s.
    ///
    /// ```
    /// let registry = steadfast_healthcheck::HealthRegistry::new()
    ///     .disk_watermarks(steadfast_diskwatch::Watermarks::default());
    /// # let _ = registry;
    /// ```
    #[cfg(feature = "diskwatch")]
    #[must_use]
    pub fn disk_watermarks(mut self, watermarks: steadfast_diskwatch::Watermarks) -> Self {
        self.declare.watermarks = watermarks;
        self
    }

    /// Registers the checks declared in `[[health.checks]]` (`cfg.checks`), after the same
    /// checks `steadfast config check` runs; their unset timeout, TTL and `max_stale` take
    /// this registry's defaults.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use steadfast_core::config::Loader;
    /// use steadfast_healthcheck::{HealthConfig, HealthRegistry};
    ///
    /// let toml = "[[health.checks]]\nname = \"memory:available\"\nkind = \"memory\"\nmin_available = \"1MiB\"\n";
    /// let cfg = Loader::new().toml_str("s.toml", toml).load_section::<HealthConfig>("health")?;
    /// let health = HealthRegistry::from_config(cfg.value()).declare(&cfg.value().checks)?.start();
    /// assert!(health.names().contains("memory:available"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidCheck`] for the first entry that is invalid (its key path and what is
    /// wrong), [`Error::ExternalInLiveness`] and [`Error::DuplicateCheck`] as for
    /// [`register`](Self::register).
    pub fn declare(mut self, checks: &[crate::CheckSpec]) -> Result<Self, Error> {
        let ttl = steadfast_core::HumanDuration::from(self.defaults.ttl);
        if let Some((path, message)) = crate::declared_check::check_all(checks, ttl)
            .into_iter()
            .next()
        {
            return Err(Error::InvalidCheck { path, message });
        }
        for (i, spec) in checks.iter().enumerate() {
            let reg =
                crate::declared_build::registration(spec, &self.declare).map_err(|message| {
                    Error::InvalidCheck {
                        path: format!("checks[{i}]"),
                        message,
                    }
                })?;
            self = self.register(reg)?;
        }
        Ok(self)
    }

    /// Adds a check.
    ///
    /// # Errors
    /// [`Error::ExternalInLiveness`] for an external check in the live group (a restart
    /// cannot fix a database), [`Error::DuplicateCheck`] for a name used twice.
    pub fn register(mut self, reg: Registration) -> Result<Self, Error> {
        if reg.check.is_external() && reg.groups.contains(&Group::Live) {
            return Err(Error::ExternalInLiveness { name: reg.name });
        }
        if self.regs.iter().any(|r| r.name == reg.name) {
            return Err(Error::DuplicateCheck { name: reg.name });
        }
        self.regs.push(reg);
        Ok(self)
    }

    /// The version shown in reports.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The service id shown in reports.
    #[must_use]
    pub fn service_id(mut self, id: impl Into<String>) -> Self {
        self.service_id = Some(id.into());
        self
    }

    /// Exports every check's status, run time and outcomes into `registry` under `prefix`
    /// (`<prefix>_health_check_*`, and the process's memory and its limit), updated when a
    /// check finishes — a scrape never runs a check. A started [`Health`] exports the same
    /// series with [`Health::metrics`].
    ///
    /// ```
    /// use steadfast_healthcheck::HealthRegistry;
    ///
    /// let (prom, prefix) = (prometheus::Registry::new(), steadfast_core::Prefix::default());
    /// let registry = HealthRegistry::new().metrics(&prom, &prefix)?;
    /// assert!(HealthRegistry::new().metrics(&prom, &prefix).is_err()); // once per prometheus registry
    /// # let _ = registry;
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Metrics`] when the series are already registered there.
    #[cfg(feature = "prometheus")]
    pub fn metrics(
        mut self,
        registry: &prometheus::Registry,
        prefix: &steadfast_core::Prefix,
    ) -> Result<Self, Error> {
        self.metrics = Some(crate::metrics::CheckMetrics::register(registry, prefix)?);
        Ok(self)
    }

    /// Starts every check once, and the interval checks' background timers. Must be called
    /// inside a tokio runtime.
    pub fn start(mut self) -> Health {
        let regs = std::mem::take(&mut self.regs);
        let entries: Vec<Entry> = regs
            .into_iter()
            .map(|reg| Entry::new(reg, &self.defaults))
            .collect();
        let inner = Inner::new(
            entries,
            self.defaults.max_concurrent,
            self.version,
            self.service_id,
        );
        // Declared before the first run, so dashboards see every check from the start.
        #[cfg(feature = "prometheus")]
        if let Some(m) = self.metrics {
            inner.export(m);
        }
        let inner = Arc::new(inner);
        for (i, entry) in inner.entries.iter().enumerate() {
            inner.refresh(i);
            if let Some(every) = entry.reg.interval {
                inner.start_timer(i, every);
            }
        }
        Health::new(inner)
    }
}
