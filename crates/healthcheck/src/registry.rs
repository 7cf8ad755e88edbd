//! [`Registry`] and [`Health`]: checks refreshed in the background or on demand
//! (stale-while-revalidate, one run in flight per check), bounded by their timeouts, panics
//! isolated into `fail`, damped; probes answered from the latest results without waiting.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use steadfast_core::Status;
use tokio::time::Instant;

use crate::damping::{State, record};
use crate::report::{CheckReport, HealthReport};
use crate::{CheckOutput, Error, Group, Registration};

/// Collects registrations, then starts them as a [`Health`].
///
/// ```
/// use steadfast_healthcheck::{CheckOutput, External, Group, Registration, Registry};
///
/// let live_db = Registration::new("db:ping", External(|| async { CheckOutput::pass() }))
///     .groups([Group::Live]);
/// let err = Registry::new().register(live_db).unwrap_err();
/// assert!(err.to_string().contains("liveness"));
/// ```
#[derive(Debug, Default)]
pub struct Registry {
    regs: Vec<Registration>,
    version: Option<String>,
    service_id: Option<String>,
    #[cfg(feature = "prometheus")]
    metrics: Option<crate::metrics::CheckMetrics>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
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

    /// Exports every check's status, run time and outcomes into `registry`
    /// (`steadfast_health_check_*`), updated when a check finishes — a scrape never runs a
    /// check.
    ///
    /// ```
    /// use steadfast_healthcheck::Registry;
    ///
    /// let prom = prometheus::Registry::new();
    /// let registry = Registry::new().metrics(&prom)?;
    /// assert!(Registry::new().metrics(&prom).is_err()); // once per prometheus registry
    /// # let _ = registry;
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Metrics`] when the series are already registered there.
    #[cfg(feature = "prometheus")]
    pub fn metrics(mut self, registry: &prometheus::Registry) -> Result<Self, Error> {
        self.metrics = Some(crate::metrics::CheckMetrics::register(registry)?);
        Ok(self)
    }

    /// Starts every check once, and the interval checks' background timers. Must be called
    /// inside a tokio runtime.
    pub fn start(mut self) -> Health {
        let regs = std::mem::take(&mut self.regs);
        #[cfg(feature = "prometheus")]
        if let Some(m) = &self.metrics {
            for reg in &regs {
                m.declare(&reg.name);
            }
        }
        let entries = regs
            .into_iter()
            .map(|reg| Entry {
                reg,
                state: Mutex::new(State::default()),
                refreshing: AtomicBool::new(false),
                runs: AtomicU64::new(0),
                fresh_until: AtomicU64::new(0),
            })
            .collect();
        let health = Health {
            inner: Arc::new(Inner {
                entries,
                epoch: Instant::now(),
                generation: AtomicU64::new(0),
                shutting_down: AtomicBool::new(false),
                version: self.version,
                service_id: self.service_id,
                #[cfg(feature = "prometheus")]
                metrics: self.metrics,
            }),
        };
        for i in 0..health.inner.entries.len() {
            health.refresh(i);
            if let Some(every) = health.inner.entries[i].reg.interval {
                let weak = Arc::downgrade(&health.inner);
                tokio::spawn(async move {
                    // Up to 10% jitter per check, so checks do not all fire together.
                    #[allow(clippy::cast_precision_loss, reason = "a jitter fraction")]
                    let jitter = every.mul_f64((i * 7919 % 1000) as f64 / 10_000.0);
                    tokio::time::sleep(every + jitter).await;
                    loop {
                        let Some(inner) = weak.upgrade() else { return };
                        let h = Health { inner };
                        h.refresh(i);
                        drop(h);
                        tokio::time::sleep(every).await;
                    }
                });
            }
        }
        health
    }
}

struct Entry {
    reg: Registration,
    state: Mutex<State>,
    refreshing: AtomicBool,
    runs: AtomicU64,
    /// Nanoseconds after `Inner::epoch` when the latest result goes stale (0: no result).
    fresh_until: AtomicU64,
}

struct Inner {
    entries: Vec<Entry>,
    /// The origin of `fresh_until`.
    epoch: Instant,
    /// Bumped whenever a result is recorded or shutdown begins: a report rendered at one
    /// generation is the same until the next.
    generation: AtomicU64,
    shutting_down: AtomicBool,
    version: Option<String>,
    service_id: Option<String>,
    #[cfg(feature = "prometheus")]
    metrics: Option<crate::metrics::CheckMetrics>,
}

/// Started checks; cheap to clone. Reports never wait for a check.
#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("checks", &self.inner.entries.len())
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Starts one run of check `i` unless one is in flight.
    fn refresh(&self, i: usize) {
        let entry = &self.inner.entries[i];
        if entry.refreshing.swap(true, Relaxed) {
            return;
        }
        let inner = Arc::clone(&self.inner);
        tokio::spawn(async move {
            let entry = &inner.entries[i];
            let check = Arc::clone(&entry.reg.check);
            // The check runs in its own task: a panic is caught as a JoinError.
            let started = Instant::now();
            let run = tokio::spawn(async move { check.check().await });
            let (output, outcome) = match tokio::time::timeout(entry.reg.timeout, run).await {
                Ok(Ok(output)) => (output, "completed"),
                Ok(Err(_)) => (CheckOutput::fail("check panicked"), "panic"),
                Err(_) => (CheckOutput::fail("timed out"), "timeout"),
            };
            entry.runs.fetch_add(1, Relaxed);
            let reason = output.output;
            let mut state = entry.state.lock().unwrap_or_else(PoisonError::into_inner);
            let before = state.reported;
            record(&mut state, &entry.reg, output);
            let status = state.reported.unwrap_or(Status::Fail);
            drop(state);
            // The reason goes to the log, which operators read; public bodies withhold it.
            if before != Some(status) {
                let name = entry.reg.name.as_str();
                match status {
                    Status::Fail => tracing::warn!(
                        check = name,
                        reason = reason.unwrap_or(""),
                        "health check failing"
                    ),
                    Status::Warn => tracing::warn!(
                        check = name,
                        reason = reason.unwrap_or(""),
                        "health check warning"
                    ),
                    Status::Pass => tracing::info!(check = name, "health check passing"),
                }
            }
            let until = (Instant::now() + entry.reg.ttl).duration_since(inner.epoch);
            entry
                .fresh_until
                .store(u64::try_from(until.as_nanos()).unwrap_or(u64::MAX), Relaxed);
            inner.generation.fetch_add(1, Relaxed);
            #[cfg(feature = "prometheus")]
            if let Some(m) = &inner.metrics {
                m.finished(&entry.reg.name, status, started.elapsed(), outcome);
            }
            #[cfg(not(feature = "prometheus"))]
            let _ = (status, started, outcome);
            entry.refreshing.store(false, Relaxed);
        });
    }

    /// How many times check `name` has run (for tests and metrics).
    pub fn runs(&self, name: &str) -> u64 {
        self.inner
            .entries
            .iter()
            .find(|e| e.reg.name == name)
            .map_or(0, |e| e.runs.load(Relaxed))
    }

    /// Readiness turns `fail` ("shutting down"); liveness is unaffected.
    pub fn begin_shutdown(&self) {
        self.inner.shutting_down.store(true, Relaxed);
        self.inner.generation.fetch_add(1, Relaxed);
    }

    /// Changes whenever a report could change: a check finished, or shutdown began. A
    /// server renders a report once per generation and serves the bytes until the next.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Relaxed)
    }

    /// Starts a background run of every stale check of `group` (every check when `None`)
    /// that refreshes on demand, without taking any lock: what a probe does before it
    /// answers from a rendered report.
    pub fn refresh_stale(&self, group: Option<&Group>) {
        let now = Instant::now().duration_since(self.inner.epoch);
        let now = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        for (i, e) in self.inner.entries.iter().enumerate() {
            if e.reg.interval.is_none()
                && now >= e.fresh_until.load(Relaxed)
                && group.is_none_or(|g| e.reg.groups.contains(g))
            {
                self.refresh(i);
            }
        }
    }

    /// Whether [`begin_shutdown`](Self::begin_shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Relaxed)
    }

    /// Waits until every check has a first result (or `limit` passes).
    pub async fn first_round(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let done = self.inner.entries.iter().all(|e| {
                e.state
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .last
                    .is_some()
            });
            if done {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The report of `group` (every check when `None`) from the latest results; checks
    /// whose result is older than their TTL are refreshed in the background.
    pub fn report(&self, group: Option<&Group>) -> HealthReport {
        let now = Instant::now();
        let mut checks = BTreeMap::new();
        let mut statuses = Vec::new();
        for (i, e) in self.inner.entries.iter().enumerate() {
            if group.is_some_and(|g| !e.reg.groups.contains(g)) {
                continue;
            }
            let state = e.state.lock().unwrap_or_else(PoisonError::into_inner);
            let stale = state
                .last
                .as_ref()
                .is_none_or(|o| now.duration_since(o.at) >= e.reg.ttl);
            let report = match (&state.last, state.reported) {
                (Some(o), Some(status)) => CheckReport {
                    result: CheckOutput {
                        status,
                        ..o.output.clone()
                    },
                    time: Some(o.time),
                },
                _ => CheckReport {
                    result: CheckOutput::fail("not checked yet"),
                    time: None,
                },
            };
            drop(state);
            if stale && e.reg.interval.is_none() {
                self.refresh(i);
            }
            let counted = match (report.result.status, e.reg.critical, e.reg.fail_open) {
                (Status::Fail, false, _) | (Status::Fail, _, true) => Status::Warn,
                (s, _, _) => s,
            };
            statuses.push(counted);
            checks.insert(e.reg.name.clone(), vec![report]);
        }
        let mut status = Status::worst(statuses);
        let mut output = None;
        if group == Some(&Group::Ready) && self.is_shutting_down() {
            status = Status::Fail;
            output = Some("shutting down");
        }
        HealthReport {
            status,
            version: self.inner.version.clone(),
            service_id: self.inner.service_id.clone(),
            output,
            checks,
        }
    }

    /// Names of every check, for metrics.
    pub fn names(&self) -> HashSet<String> {
        self.inner
            .entries
            .iter()
            .map(|e| e.reg.name.clone())
            .collect()
    }

    /// Each check's latest damped status and when it ran, without running anything.
    pub fn latest(&self) -> Vec<(String, Option<Status>, u64)> {
        self.inner
            .entries
            .iter()
            .map(|e| {
                let s = e.state.lock().unwrap_or_else(PoisonError::into_inner);
                (e.reg.name.clone(), s.reported, e.runs.load(Relaxed))
            })
            .collect()
    }
}
