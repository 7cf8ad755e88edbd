//! [`Health`]: started checks, answered from their latest results without waiting — stale
//! ones refreshed in the background, too old ones reported as `fail`.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use steadfast_core::Status;
use tokio::time::Instant;

use crate::inner::Inner;
use crate::report::{CheckReport, HealthReport};
use crate::{CheckOutput, Group};

/// The output of a check whose latest result is older than its `max_stale`.
pub(crate) const TOO_OLD: &str = "result too old";

/// Started checks; cheap to clone. Reports never wait for a check. When the last clone is
/// dropped, runs in flight are aborted and timers stop (see [`Health::close`]).
#[derive(Clone)]
pub struct Health {
    pub(crate) inner: Arc<Inner>,
    _owner: Arc<Owner>,
}

/// Closes the checks when the last [`Health`] goes (background tasks hold only `Inner`).
struct Owner(Arc<Inner>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("checks", &self.inner.entries.len())
            .finish_non_exhaustive()
    }
}

impl Health {
    pub(crate) fn new(inner: Arc<Inner>) -> Self {
        Self {
            _owner: Arc::new(Owner(Arc::clone(&inner))),
            inner,
        }
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

    /// Stops every check: runs in flight are aborted (closing their connections), interval
    /// timers end and no run starts again. Reports keep answering from the last results,
    /// which turn `fail` ("result too old") after their `max_stale`. Dropping the last
    /// clone of a `Health` does the same.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use steadfast_healthcheck::{CheckOutput, Registration, HealthRegistry};
    ///
    /// let health = HealthRegistry::new()
    ///     .register(Registration::new("db:ping", || std::future::pending::<CheckOutput>()))?
    ///     .start();
    /// health.close(); // the pending run is aborted
    /// assert_eq!(health.runs("db:ping"), 0);
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn close(&self) {
        self.inner.close();
    }

    /// Changes whenever a report could change: a check finished, a result became too old,
    /// or shutdown began. A server renders a report once per generation and serves the
    /// bytes until the next.
    pub fn generation(&self) -> u64 {
        self.inner.expire();
        self.inner.generation.load(Relaxed)
    }

    /// Starts a background run of every stale check of `group` (every check when `None`)
    /// that refreshes on demand, without taking any lock: what a probe does before it
    /// answers from a rendered report.
    pub fn refresh_stale(&self, group: Option<&Group>) {
        let now = self.inner.now();
        for (i, e) in self.inner.entries.iter().enumerate() {
            if e.reg.interval.is_none()
                && now >= e.fresh_until.load(Relaxed)
                && group.is_none_or(|g| e.reg.groups.contains(g))
            {
                self.inner.refresh(i);
            }
        }
    }

    /// Whether [`begin_shutdown`](Self::begin_shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Relaxed)
    }

    /// Waits until every check has a first result (or `limit` passes).
    pub async fn first_round(&self, limit: Duration) {
        let deadline = crate::clock::deadline(Instant::now(), limit);
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
    /// whose result is older than their TTL are refreshed in the background, and a result
    /// older than its `max_stale` is a `fail` ("result too old").
    pub fn report(&self, group: Option<&Group>) -> HealthReport {
        self.report_where(group, |_| true)
    }

    /// The report of the one check `name` (its status is the check's own, counted as
    /// critical), or `None` when there is no such check.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use steadfast_core::Status;
    /// use steadfast_healthcheck::{CheckOutput, Registration, HealthRegistry};
    ///
    /// let health = HealthRegistry::new()
    ///     .register(Registration::new("cache:ping", || async { CheckOutput::fail("timed out") }).critical(false))?
    ///     .start();
    /// health.first_round(std::time::Duration::from_secs(1)).await;
    /// assert_eq!(health.report_check("cache:ping").unwrap().status, Status::Fail);
    /// assert!(health.report_check("nope").is_none());
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn report_check(&self, name: &str) -> Option<HealthReport> {
        let mut report = self.report_where(None, |n| n == name);
        let check = report.checks.get(name)?.first()?;
        report.status = check.result.status;
        Some(report)
    }

    /// The names of the checks of `group` (every check when `None`).
    #[cfg(feature = "server")]
    pub(crate) fn names_in(&self, group: Option<&Group>) -> HashSet<&str> {
        self.inner
            .entries
            .iter()
            .filter(|e| group.is_none_or(|g| e.reg.groups.contains(g)))
            .map(|e| e.reg.name.as_str())
            .collect()
    }

    /// Whether any check belongs to `group` (a custom group is served only then).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use steadfast_healthcheck::{CheckOutput, Group, Registration, HealthRegistry};
    ///
    /// let batch = Group::Custom("batch".into());
    /// let health = HealthRegistry::new()
    ///     .register(Registration::new("pipeline:staleness", || async { CheckOutput::pass() }).groups([batch.clone()]))?
    ///     .start();
    /// assert!(health.has_group(&batch) && !health.has_group(&Group::Startup));
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn has_group(&self, group: &Group) -> bool {
        self.inner
            .entries
            .iter()
            .any(|e| e.reg.groups.contains(group))
    }

    /// The report of `group` over the checks whose names `keep` admits.
    pub(crate) fn report_where(
        &self,
        group: Option<&Group>,
        keep: impl Fn(&str) -> bool,
    ) -> HealthReport {
        let now = self.inner.now();
        let mut checks = BTreeMap::new();
        let mut statuses = Vec::new();
        for (i, e) in self.inner.entries.iter().enumerate() {
            if group.is_some_and(|g| !e.reg.groups.contains(g)) || !keep(&e.reg.name) {
                continue;
            }
            let state = e.state.lock().unwrap_or_else(PoisonError::into_inner);
            let report = match (&state.last, state.reported) {
                (Some(o), _) if e.too_old(now) => CheckReport {
                    result: CheckOutput::fail(TOO_OLD),
                    time: Some(o.time),
                },
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
            if e.reg.interval.is_none() && now >= e.fresh_until.load(Relaxed) {
                self.inner.refresh(i);
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
            notes: Vec::new(),
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
