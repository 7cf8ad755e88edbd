//! Injected time: a `Clock` to read and a `Sleeper` to wait, so tests never sleep for real.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// Waits, blocking the thread.
pub trait Sleeper: Send + Sync {
    /// Blocks for `d`.
    fn sleep(&self, d: Duration);
}

/// The real clock: [`Instant::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// The real sleeper: blocks the calling thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, d: Duration) {
        #[allow(clippy::disallowed_methods, reason = "this is the one real sleeper")]
        std::thread::sleep(d);
    }
}

/// A clock that only moves when told to — or when something sleeps on it, which moves it
/// forward instantly. For tests of anything that waits: a retry with five backoffs runs in
/// microseconds and the total waited is exact.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::{Clock, ManualClock, Sleeper};
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.sleep(Duration::from_secs(90)); // returns at once
/// assert_eq!(clock.now() - start, Duration::from_secs(90));
/// assert_eq!(clock.slept(), Duration::from_secs(90));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<ManualInner>,
}

#[derive(Debug)]
struct ManualInner {
    origin: Instant,
    offset_ns: AtomicU64,
    slept_ns: AtomicU64,
}

impl ManualClock {
    /// A clock standing at an arbitrary instant.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(ManualInner {
                origin: Instant::now(),
                offset_ns: AtomicU64::new(0),
                slept_ns: AtomicU64::new(0),
            }),
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.inner.offset_ns.fetch_add(nanos(d), Ordering::SeqCst);
    }

    /// The total time slept on this clock.
    pub fn slept(&self) -> Duration {
        Duration::from_nanos(self.inner.slept_ns.load(Ordering::SeqCst))
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.origin + Duration::from_nanos(self.inner.offset_ns.load(Ordering::SeqCst))
    }
}

impl Sleeper for ManualClock {
    fn sleep(&self, d: Duration) {
        self.inner.slept_ns.fetch_add(nanos(d), Ordering::SeqCst);
        self.advance(d);
    }
}

impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> Instant {
        (**self).now()
    }
}

impl<T: Sleeper + ?Sized> Sleeper for Arc<T> {
    fn sleep(&self, d: Duration) {
        (**self).sleep(d);
    }
}
