//! Owner-written counters: only the owning thread adds, any thread reads — a plain load and
//! store, no bus-locked read-modify-write. Shared by the shards and the call-path slots.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Adds `by` to `a`; only `a`'s owning thread may call it.
#[inline]
pub(crate) fn bump(a: &AtomicU64, by: u64) {
    a.store(a.load(Relaxed).wrapping_add(by), Relaxed);
}
