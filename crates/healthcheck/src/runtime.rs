//! In-process checks: a tokio runtime stalled by blocking code, and a connection pool
//! running dry.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Once, Weak};
use std::time::Duration;

use crate::{BoxFuture, Check, CheckOutput};

/// Scheduling lag of the tokio runtime: a probe task wakes every `period` and measures how
/// late it woke. Blocking code on a runtime thread (a synchronous driver call, a long
/// computation) shows up here before it shows up as timeouts everywhere. Not external, so
/// it may join the liveness group: a runtime stuck for good is what a restart fixes.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use steadfast_healthcheck::{Check, RuntimeStallCheck};
/// use steadfast_core::Status;
///
/// let check = RuntimeStallCheck::start(Duration::from_millis(20), Duration::from_millis(100), Duration::from_secs(1));
/// tokio::time::sleep(Duration::from_millis(60)).await;
/// assert_eq!(check.check().await.status, Status::Pass);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeStallCheck {
    worst_us: Arc<AtomicU64>,
    probe: Arc<Once>,
    period: Duration,
    warn: Duration,
    fail: Duration,
}

impl RuntimeStallCheck {
    /// A check that warns when a wake-up was `warn` late since the previous check and fails
    /// when `fail` late. Its probe starts on the runtime that first runs the check, and ends
    /// when the check is dropped.
    pub fn new(period: Duration, warn: Duration, fail: Duration) -> Self {
        Self {
            worst_us: Arc::new(AtomicU64::new(0)),
            probe: Arc::new(Once::new()),
            period,
            warn,
            fail,
        }
    }

    /// A check whose probe starts now, on the current runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start(period: Duration, warn: Duration, fail: Duration) -> Self {
        let check = Self::new(period, warn, fail);
        check.start_probe();
        check
    }

    fn start_probe(&self) {
        let weak: Weak<AtomicU64> = Arc::downgrade(&self.worst_us);
        let period = self.period;
        self.probe.call_once(|| {
            tokio::spawn(async move {
                loop {
                    let due = crate::clock::deadline(tokio::time::Instant::now(), period);
                    tokio::time::sleep_until(due).await;
                    let late = tokio::time::Instant::now().saturating_duration_since(due);
                    let Some(worst) = weak.upgrade() else { return };
                    let us = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
                    worst.fetch_max(us, Relaxed);
                }
            });
        });
    }
}

impl Default for RuntimeStallCheck {
    /// A probe every 100 ms; warn at 100 ms late, fail at 1 s.
    fn default() -> Self {
        Self::new(
            Duration::from_millis(100),
            Duration::from_millis(100),
            Duration::from_secs(1),
        )
    }
}

impl Check for RuntimeStallCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            self.start_probe();
            // The worst lag since the previous check, then start a new window.
            let worst = Duration::from_micros(self.worst_us.swap(0, Relaxed));
            let out = if worst >= self.fail {
                CheckOutput::fail("runtime stalled")
            } else if worst >= self.warn {
                CheckOutput::warn("runtime lagging")
            } else {
                CheckOutput::pass()
            };
            out.observed(worst.as_secs_f64() * 1000.0, "ms")
        })
    }
}

/// A connection pool's state, as any pool can report it (deadpool's `Pool::status()`,
/// bb8's `Pool::state()`, r2d2's `Pool::state()` map onto it in a few lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStatus {
    /// Connections open.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Callers waiting for a connection.
    pub waiting: u32,
    /// The pool's limit.
    pub max: u32,
}

/// Implemented by whatever holds a pool.
///
/// ```
/// use steadfast_healthcheck::{PoolStats, PoolStatus};
///
/// struct MyPool; // e.g. a deadpool_postgres::Pool
/// impl PoolStats for MyPool {
///     fn status(&self) -> PoolStatus {
///         // let s = self.0.status(); PoolStatus { size: s.size as u32, idle: s.available as u32, waiting: s.waiting as u32, max: s.max_size as u32 }
///         PoolStatus { size: 4, idle: 1, waiting: 0, max: 10 }
///     }
/// }
/// ```
pub trait PoolStats: Send + Sync + 'static {
    /// The pool's state now (cheap; no connection is made).
    fn status(&self) -> PoolStatus;

    /// Waits for a connection that timed out, when the pool counts them itself (bb8 does);
    /// `None` (the default) lets [`PoolMetrics::acquire`](crate::PoolMetrics) count them.
    fn timeouts(&self) -> Option<u64> {
        None
    }
}

impl<P: PoolStats> PoolStats for Arc<P> {
    fn status(&self) -> PoolStatus {
        (**self).status()
    }
    fn timeouts(&self) -> Option<u64> {
        (**self).timeouts()
    }
}

impl PoolStatus {
    /// Connections in use: open and not idle.
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }

    /// The share of the limit in use, 0 to 1 (0 for a pool without a limit).
    pub fn in_use_ratio(&self) -> f64 {
        if self.max == 0 {
            0.0
        } else {
            f64::from(self.in_use()) / f64::from(self.max)
        }
    }
}

/// Pool statistics as check output: in-use share of the limit as the observed value, and
/// size, idle, waiting and max as details; `warn` when callers wait for a connection.
pub(crate) fn pool_output(out: CheckOutput, s: PoolStatus) -> CheckOutput {
    let in_use = s.in_use();
    let out = if out.status == steadfast_core::Status::Pass && s.waiting > 0 {
        CheckOutput::warn("pool exhausted: callers waiting")
    } else {
        out
    };
    out.detail("pool_size", f64::from(s.size))
        .detail("pool_idle", f64::from(s.idle))
        .detail("pool_in_use", f64::from(in_use))
        .detail("pool_waiting", f64::from(s.waiting))
        .detail("pool_max", f64::from(s.max))
}

/// A pool on its own: in process, so not external. `warn` from 80 % of the limit in use or
/// any caller waiting, `fail` from 95 % or 10 callers waiting; each bound configurable.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use steadfast_healthcheck::{Check, PoolCheck, PoolStats, PoolStatus};
/// use steadfast_core::Status;
///
/// struct Busy;
/// impl PoolStats for Busy {
///     fn status(&self) -> PoolStatus { PoolStatus { size: 10, idle: 1, waiting: 3, max: 10 } }
/// }
/// let out = PoolCheck::new(Busy).check().await;
/// assert_eq!(out.status, Status::Warn); // 90 % in use, 3 waiting
/// assert_eq!(out.details["pool_waiting"], 3.0);
/// let strict = PoolCheck::new(Busy).fail_at(0.9).fail_waiters(2);
/// assert_eq!(strict.check().await.status, Status::Fail);
/// # });
/// ```
#[derive(Clone)]
pub struct PoolCheck {
    pool: Arc<dyn PoolStats>,
    warn_at: f64,
    fail_at: f64,
    fail_waiters: u32,
}

impl std::fmt::Debug for PoolCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolCheck")
            .field("status", &self.pool.status())
            .field("warn_at", &self.warn_at)
            .field("fail_at", &self.fail_at)
            .field("fail_waiters", &self.fail_waiters)
            .finish()
    }
}

impl PoolCheck {
    /// A check of `pool` with the default bounds: warn at 0.8 in use, fail at 0.95 or 10
    /// callers waiting.
    pub fn new(pool: impl PoolStats) -> Self {
        Self {
            pool: Arc::new(pool),
            warn_at: 0.8,
            fail_at: 0.95,
            fail_waiters: 10,
        }
    }

    /// Warn from this share of the limit in use (0 to 1).
    #[must_use]
    pub fn warn_at(mut self, ratio: f64) -> Self {
        self.warn_at = ratio;
        self
    }

    /// Fail from this share of the limit in use (0 to 1).
    #[must_use]
    pub fn fail_at(mut self, ratio: f64) -> Self {
        self.fail_at = ratio;
        self
    }

    /// Fail from this many callers waiting for a connection (any caller waiting warns).
    #[must_use]
    pub fn fail_waiters(mut self, waiters: u32) -> Self {
        self.fail_waiters = waiters;
        self
    }
}

impl Check for PoolCheck {
    fn check(&self) -> BoxFuture<'_, CheckOutput> {
        Box::pin(async move {
            let s = self.pool.status();
            let used = s.in_use_ratio();
            let out = if used >= self.fail_at {
                CheckOutput::fail("pool saturated")
            } else if s.waiting >= self.fail_waiters.max(1) {
                CheckOutput::fail("pool exhausted: too many callers waiting")
            } else if s.waiting > 0 {
                CheckOutput::warn("pool exhausted: callers waiting")
            } else if used >= self.warn_at {
                CheckOutput::warn("pool nearly full")
            } else {
                CheckOutput::pass()
            };
            pool_output(out.observed(used, "ratio"), s)
        })
    }
}
