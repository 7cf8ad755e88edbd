//! The recorder's own health: records written, flushes, flush latency, drops, rejections.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::error::Error;

#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) records_written: AtomicU64,
    pub(crate) flushes: AtomicU64,
    pub(crate) flush_errors: AtomicU64,
    pub(crate) last_flush_ns: AtomicU64,
    pub(crate) max_flush_ns: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) rejected: AtomicU64,
    warned: AtomicBool,
}

/// What the recorder has done, for its own dashboards and health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RecorderStats {
    /// Lines written to the metrics file.
    pub records_written: u64,
    /// Successful flushes.
    pub flushes: u64,
    /// Flushes that failed (and will be retried by the next).
    pub flush_errors: u64,
    /// How long the last flush took, write and fsync included.
    pub last_flush: Duration,
    /// The longest flush so far.
    pub max_flush: Duration,
    /// Raw events dropped because the queue was full under the `drop` policy.
    pub dropped: u64,
    /// Recordings refused (invalid name or value, kind mismatch).
    pub rejected: u64,
    /// Recordings folded into an `overflow="true"` series by the cardinality guard.
    pub overflowed: u64,
    /// Per-thread blocks of cells held: one per thread slot that has recorded (a slot, and
    /// its block, passes to the next thread when one ends), plus the shared fallback.
    pub thread_shards: u64,
}

impl Stats {
    pub(crate) fn note_rejected(&self, r: Result<(), Error>) {
        if let Err(e) = r {
            self.rejected.fetch_add(1, Relaxed);
            if !self.warned.swap(true, Relaxed) {
                #[cfg(feature = "tracing")]
                tracing::warn!(error = %e, "metric recording rejected; further rejections are only counted");
                #[cfg(not(feature = "tracing"))]
                let _ = e;
            }
        }
    }

    pub(crate) fn flushed(&self, records: u64, took: Duration) {
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.records_written.fetch_add(records, Relaxed);
        self.flushes.fetch_add(1, Relaxed);
        self.last_flush_ns.store(ns, Relaxed);
        self.max_flush_ns.fetch_max(ns, Relaxed);
    }

    pub(crate) fn snapshot(&self, overflowed: u64, thread_shards: u64) -> RecorderStats {
        RecorderStats {
            records_written: self.records_written.load(Relaxed),
            flushes: self.flushes.load(Relaxed),
            flush_errors: self.flush_errors.load(Relaxed),
            last_flush: Duration::from_nanos(self.last_flush_ns.load(Relaxed)),
            max_flush: Duration::from_nanos(self.max_flush_ns.load(Relaxed)),
            dropped: self.dropped.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            overflowed,
            thread_shards,
        }
    }
}
