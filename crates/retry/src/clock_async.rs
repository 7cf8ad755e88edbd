//! Waiting without blocking a thread: the `AsyncSleeper` trait and its tokio implementation.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::clock::{Clock, ManualClock, Sleeper};

/// A boxed, sendable future of a wait.
pub type SleepFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Waits asynchronously.
pub trait AsyncSleeper: Send + Sync {
    /// A future that completes after `d`.
    fn sleep(&self, d: Duration) -> SleepFuture;
}

/// Waits on tokio's timer (so `tokio::time::pause` works in tests too).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl AsyncSleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> SleepFuture {
        Box::pin(tokio::time::sleep(d))
    }
}

impl AsyncSleeper for ManualClock {
    fn sleep(&self, d: Duration) -> SleepFuture {
        Sleeper::sleep(self, d);
        Box::pin(std::future::ready(()))
    }
}

/// Reads tokio's clock, which `tokio::time::pause` stops and advances: pair it with
/// [`TokioSleeper`] in tests on paused time.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}
