//! The state behind a [`Health`](crate::Health) and one run of a check: a concurrency
//! permit, the check in a task of its own (a panic is a `fail`), its timeout — on which that
//! task is aborted, so a black-hole dependency costs no task or socket past it — damping,
//! and when the result goes stale or too old. Times are nanoseconds since `Inner::epoch` in
//! atomics, so probes read them without a lock.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{
    AtomicBool, AtomicU64, Ordering::AcqRel, Ordering::Relaxed, Ordering::Release,
};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use steadfast_core::Status;
use tokio::sync::{Semaphore, broadcast};
use tokio::task::{AbortHandle, JoinError, JoinHandle};
use tokio::time::Instant;

use crate::clock::nanos;
use crate::damping::{State, record};
use crate::event::StatusChange;
use crate::{CheckOutput, Registration};

/// "Never" in the nanosecond atomics.
const NEVER: u64 = u64::MAX;

/// One registered check and what is known about it.
pub(crate) struct Entry {
    pub(crate) reg: Registration,
    pub(crate) timeout: Duration,
    pub(crate) ttl: Duration,
    pub(crate) max_stale: Duration,
    pub(crate) state: Mutex<State>,
    refreshing: AtomicBool,
    pub(crate) runs: AtomicU64,
    /// When the latest result goes stale (0: no result yet).
    pub(crate) fresh_until: AtomicU64,
    /// When the latest result becomes too old to serve ([`NEVER`] while not due).
    too_old_at: AtomicU64,
    /// Whether the generation was bumped for the current `too_old_at`.
    expired: AtomicBool,
    /// The task of the run in flight, aborted by [`Inner::close`].
    task: Mutex<Option<AbortHandle>>,
}

impl Entry {
    /// `reg` with its timeout, TTL and `max_stale` resolved against the registry's defaults.
    pub(crate) fn new(reg: Registration, defaults: &Defaults) -> Self {
        let timeout = reg.timeout.unwrap_or(defaults.timeout);
        let ttl = reg.ttl.unwrap_or(defaults.ttl);
        // An interval check refreshes every interval, a TTL check every TTL (when probed).
        let period = reg.interval.unwrap_or(ttl);
        // A registry-wide default never fails a check between two on-time runs.
        let floor = period.saturating_add(timeout);
        let max_stale = reg.max_stale.unwrap_or_else(|| match defaults.max_stale {
            Some(d) => d.max(floor),
            None => period.max(timeout).saturating_mul(3),
        });
        Self {
            reg,
            timeout,
            ttl,
            max_stale,
            state: Mutex::new(State::default()),
            refreshing: AtomicBool::new(false),
            runs: AtomicU64::new(0),
            fresh_until: AtomicU64::new(0),
            too_old_at: AtomicU64::new(NEVER),
            expired: AtomicBool::new(false),
            task: Mutex::new(None),
        }
    }

    /// Whether the latest result is too old to serve at `now` (nanoseconds).
    pub(crate) fn too_old(&self, now: u64) -> bool {
        now >= self.too_old_at.load(Relaxed)
    }
}

/// HealthRegistry-wide defaults of registrations that leave them unset.
#[derive(Debug, Clone)]
pub(crate) struct Defaults {
    pub(crate) timeout: Duration,
    pub(crate) ttl: Duration,
    pub(crate) max_stale: Option<Duration>,
    pub(crate) max_concurrent: usize,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            ttl: Duration::from_secs(5),
            max_stale: None,
            max_concurrent: 16,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) entries: Vec<Entry>,
    /// The origin of every nanosecond atomic.
    pub(crate) epoch: Instant,
    /// Bumped whenever a report could change: a result recorded, a result too old,
    /// shutdown begun.
    pub(crate) generation: AtomicU64,
    pub(crate) shutting_down: AtomicBool,
    closed: AtomicBool,
    /// Bounds the checks running at once.
    permits: Arc<Semaphore>,
    /// The interval checks' timers, aborted by [`Inner::close`].
    timers: Mutex<Vec<AbortHandle>>,
    pub(crate) version: Option<String>,
    pub(crate) service_id: Option<String>,
    /// Damped status changes for subscribers; taken by [`Inner::close`], which ends every
    /// subscription.
    pub(crate) events: Mutex<Option<broadcast::Sender<StatusChange>>>,
    /// The check series, once exported (before or after start): set once, read by every
    /// finishing run without a lock.
    #[cfg(feature = "prometheus")]
    pub(crate) metrics: std::sync::OnceLock<crate::metrics::CheckMetrics>,
    /// Held while series are being exported, so two exports never race.
    #[cfg(feature = "prometheus")]
    pub(crate) exporting: Mutex<()>,
}

/// Events a slow subscriber may fall behind by before it re-reads the current statuses.
const EVENTS: usize = 256;

/// A spawned task that is aborted when this handle is dropped (on timeout, or when the run
/// awaiting it is itself aborted).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Inner {
    pub(crate) fn new(
        entries: Vec<Entry>,
        max_concurrent: usize,
        version: Option<String>,
        service_id: Option<String>,
    ) -> Self {
        Self {
            entries,
            epoch: Instant::now(),
            generation: AtomicU64::new(0),
            shutting_down: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            permits: Arc::new(Semaphore::new(
                max_concurrent.clamp(1, Semaphore::MAX_PERMITS),
            )),
            timers: Mutex::new(Vec::new()),
            version,
            service_id,
            events: Mutex::new(Some(broadcast::channel(EVENTS).0)),
            #[cfg(feature = "prometheus")]
            metrics: std::sync::OnceLock::new(),
            #[cfg(feature = "prometheus")]
            exporting: Mutex::new(()),
        }
    }

    /// Now, in nanoseconds since the epoch.
    pub(crate) fn now(&self) -> u64 {
        nanos(Instant::now().duration_since(self.epoch))
    }

    /// Starts one run of check `i` unless one is in flight or the checks are closed.
    pub(crate) fn refresh(self: &Arc<Self>, i: usize) {
        let entry = &self.entries[i];
        // Acquire pairs with the Release that ended the previous run: its stores to
        // `too_old_at` come before this run's.
        if self.closed.load(Relaxed) || entry.refreshing.swap(true, AcqRel) {
            return;
        }
        if entry.reg.interval.is_none() {
            // A TTL check was due and a probe asked: the result is too old if no new one
            // comes within max_stale − ttl.
            let budget = entry.max_stale.saturating_sub(entry.ttl);
            let at = self.now().saturating_add(nanos(budget));
            entry.too_old_at.store(at, Relaxed);
            entry.expired.store(false, Relaxed);
        }
        // Held across the spawn, so a later run's handle is never overwritten by this one.
        let mut slot = entry.task.lock().unwrap_or_else(PoisonError::into_inner);
        let task = tokio::spawn(Arc::clone(self).run(i));
        if self.closed.load(Relaxed) {
            task.abort();
        }
        *slot = Some(task.abort_handle());
    }

    /// One run of check `i`: wait for a permit, run the check in its own task under its
    /// timeout (aborting it when the timeout passes), record the result.
    async fn run(self: Arc<Self>, i: usize) {
        let entry = &self.entries[i];
        let permit = Arc::clone(&self.permits).acquire_owned().await.ok();
        let started = Instant::now();
        let check = Arc::clone(&entry.reg.check);
        // The check runs in its own task: a panic is caught as a JoinError.
        let mut run = AbortOnDrop(tokio::spawn(async move { check.check().await }));
        let (output, outcome) = match tokio::time::timeout(entry.timeout, &mut run).await {
            Ok(Ok(output)) => (output, "completed"),
            Ok(Err(_)) => (CheckOutput::fail("check panicked"), "panic"),
            Err(_) => {
                // Dropping a JoinHandle only detaches the task: abort it, so its socket
                // closes now instead of when the dependency answers (never, for a black hole).
                run.0.abort();
                (CheckOutput::fail("timed out"), "timeout")
            }
        };
        drop(run);
        drop(permit);
        self.finish(i, output, started, outcome);
    }

    fn finish(&self, i: usize, output: CheckOutput, started: Instant, outcome: &str) {
        let entry = &self.entries[i];
        entry.runs.fetch_add(1, Relaxed);
        let reason = output.output;
        let mut state = entry.state.lock().unwrap_or_else(PoisonError::into_inner);
        let before = state.reported;
        record(&mut state, &entry.reg, output);
        let status = state.reported.unwrap_or(Status::Fail);
        // Under the state's lock, so subscribers see one check's changes in order.
        self.announce(entry, &mut state, status);
        drop(state);
        // The reason goes to the log, which operators read; public bodies withhold it.
        if before != Some(status) {
            let name = entry.reg.name.as_str();
            let reason = reason.unwrap_or("");
            match status {
                Status::Fail => tracing::warn!(check = name, reason, "health check failing"),
                Status::Warn => tracing::warn!(check = name, reason, "health check warning"),
                Status::Pass => tracing::info!(check = name, "health check passing"),
            }
        }
        let now = self.now();
        entry
            .fresh_until
            .store(now.saturating_add(nanos(entry.ttl)), Relaxed);
        let too_old_at = match entry.reg.interval {
            Some(_) => now.saturating_add(nanos(entry.max_stale)),
            None => NEVER,
        };
        entry.too_old_at.store(too_old_at, Relaxed);
        entry.expired.store(false, Relaxed);
        self.generation.fetch_add(1, Relaxed);
        #[cfg(feature = "prometheus")]
        if let Some(m) = self.metrics.get() {
            m.finished(&entry.reg.name, status, started.elapsed(), outcome);
        }
        #[cfg(not(feature = "prometheus"))]
        let _ = (status, started, outcome);
        entry.refreshing.store(false, Release);
    }

    /// Bumps the generation once for each result that became too old since the last call,
    /// so a server's rendered bodies change when a result expires; its status series turns
    /// `fail` with it.
    pub(crate) fn expire(&self) {
        let now = self.now();
        for e in &self.entries {
            if e.too_old(now) && !e.expired.swap(true, Relaxed) {
                self.generation.fetch_add(1, Relaxed);
                let mut state = e.state.lock().unwrap_or_else(PoisonError::into_inner);
                self.announce(e, &mut state, Status::Fail);
                drop(state);
                #[cfg(feature = "prometheus")]
                if let Some(m) = self.metrics.get() {
                    m.status(&e.reg.name, Status::Fail);
                }
            }
        }
    }

    /// Tells subscribers that `entry` now reports `status`, unless that is what they last
    /// heard.
    fn announce(&self, entry: &Entry, state: &mut State, status: Status) {
        if state.announced == Some(status) {
            return;
        }
        let previous = state.announced.replace(status);
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = events.as_ref() {
            // No subscriber is not an error.
            let _ = tx.send(StatusChange {
                check: entry.reg.name.clone(),
                status,
                previous,
            });
        }
    }

    /// Starts the background timer of interval check `i` (with up to 10% jitter per check,
    /// so checks do not all fire together).
    pub(crate) fn start_timer(self: &Arc<Self>, i: usize, every: Duration) {
        let weak = Arc::downgrade(self);
        let timer = tokio::spawn(async move {
            #[allow(clippy::cast_precision_loss, reason = "a jitter fraction")]
            let jitter = every.mul_f64((i * 7919 % 1000) as f64 / 10_000.0);
            tokio::time::sleep(every.saturating_add(jitter)).await;
            loop {
                let Some(inner) = weak.upgrade() else { return };
                inner.refresh(i);
                drop(inner);
                tokio::time::sleep(every).await;
            }
        });
        self.timers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(timer.abort_handle());
    }

    /// Stops every check: runs in flight are aborted (and their checks' tasks with them),
    /// timers end, no run starts again.
    pub(crate) fn close(&self) {
        self.closed.store(true, Relaxed);
        // Subscriptions end once they have read what was sent.
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        for timer in self
            .timers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            timer.abort();
        }
        for e in &self.entries {
            if let Some(task) = e.task.lock().unwrap_or_else(PoisonError::into_inner).take() {
                task.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_stale(reg: Registration, default: Option<Duration>) -> Duration {
        let defaults = Defaults {
            max_stale: default,
            ..Defaults::default()
        };
        Entry::new(reg, &defaults).max_stale
    }

    #[test]
    fn max_stale_defaults_to_three_periods_and_a_shared_default_never_undercuts_a_period() {
        let secs = Duration::from_secs;
        let reg = || Registration::new("x", || async { CheckOutput::pass() });
        // TTL 5 s, timeout 2 s: 15 s; an interval of 30 s: 90 s; a long timeout counts.
        assert_eq!(max_stale(reg(), None), secs(15));
        assert_eq!(max_stale(reg().interval(secs(30)), None), secs(90));
        assert_eq!(max_stale(reg().timeout(secs(10)), None), secs(30));
        // A registry-wide 20 s: kept for a 5 s TTL, raised to 32 s for a 30 s interval.
        assert_eq!(max_stale(reg(), Some(secs(20))), secs(20));
        assert_eq!(
            max_stale(reg().interval(secs(30)), Some(secs(20))),
            secs(32)
        );
        // The check's own value is taken as given.
        assert_eq!(
            max_stale(reg().interval(secs(30)).max_stale(secs(1)), None),
            secs(1)
        );
        assert_eq!(max_stale(reg().ttl(Duration::MAX), None), Duration::MAX);
    }
}
