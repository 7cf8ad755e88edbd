//! Per-thread storage: each thread writes only its own cells (a plain load and store, no
//! locked instruction), and the flusher reads them. Cells live in lazily allocated chunks
//! that never move, so a reader never races a resize.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Bucket bounds a histogram may have at most (plus the implicit `+Inf`).
pub(crate) const MAX_BUCKETS: usize = 16;

/// A fixed-capacity list of lazily allocated chunks of `N` cells.
pub(crate) struct Chunked<T, const N: usize> {
    chunks: Box<[OnceLock<Box<[T; N]>>]>,
}

impl<T: Default, const N: usize> Chunked<T, N> {
    pub(crate) fn new(max_cells: usize) -> Self {
        let n = max_cells.div_ceil(N).max(1);
        Self {
            chunks: (0..n).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The cell at `i`, allocating its chunk on first use (by the owning thread).
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        let chunk = self.chunks.get(i / N)?;
        let cells = chunk.get_or_init(|| Box::new(std::array::from_fn(|_| T::default())));
        // A fixed-size chunk: the index within it needs no bounds check.
        Some(&cells[i % N])
    }

    /// The cell at `i` if its chunk exists (for readers: never allocates).
    #[inline]
    pub(crate) fn peek(&self, i: usize) -> Option<&T> {
        Some(&self.chunks.get(i / N)?.get()?[i % N])
    }
}

/// One histogram's cumulative state in one thread.
#[derive(Default)]
pub(crate) struct HistCell {
    pub(crate) count: AtomicU64,
    pub(crate) sum: AtomicU64,
    pub(crate) min: AtomicU64,
    pub(crate) max: AtomicU64,
    pub(crate) buckets: [AtomicU64; MAX_BUCKETS + 1],
}

/// A histogram's values at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct HistSnapshot {
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) buckets: [u64; MAX_BUCKETS + 1],
}

impl HistCell {
    /// Owner-only: records `v` into the bucket whose bound is the first ≥ `v`.
    #[inline]
    pub(crate) fn observe(&self, bounds: &[f64], v: f64) {
        let count = self.count.load(Relaxed);
        let i = bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len());
        let b = &self.buckets[i];
        b.store(b.load(Relaxed) + 1, Relaxed);
        let sum = f64::from_bits(self.sum.load(Relaxed)) + v;
        self.sum.store(sum.to_bits(), Relaxed);
        if count == 0 || v < f64::from_bits(self.min.load(Relaxed)) {
            self.min.store(v.to_bits(), Relaxed);
        }
        if count == 0 || v > f64::from_bits(self.max.load(Relaxed)) {
            self.max.store(v.to_bits(), Relaxed);
        }
        // Count last: a reader that sees the new count sees the rest (Release/Acquire).
        self.count
            .store(count + 1, std::sync::atomic::Ordering::Release);
    }

    pub(crate) fn snapshot(&self) -> HistSnapshot {
        let count = self.count.load(std::sync::atomic::Ordering::Acquire);
        let mut s = HistSnapshot {
            count,
            sum: f64::from_bits(self.sum.load(Relaxed)),
            min: f64::from_bits(self.min.load(Relaxed)),
            max: f64::from_bits(self.max.load(Relaxed)),
            buckets: [0; MAX_BUCKETS + 1],
        };
        for (o, b) in s.buckets.iter_mut().zip(&self.buckets) {
            *o = b.load(Relaxed);
        }
        s
    }
}

/// Counter cells per chunk.
const COUNTER_CHUNK: usize = 1024;
/// Histogram cells per chunk (they are ~170 bytes each).
const HIST_CHUNK: usize = 64;

/// One thread's cells for one recorder.
pub(crate) struct Shard {
    pub(crate) counters: Chunked<AtomicU64, COUNTER_CHUNK>,
    pub(crate) hists: Chunked<HistCell, HIST_CHUNK>,
}

impl Shard {
    pub(crate) fn new(max_series: usize) -> Self {
        Self {
            counters: Chunked::new(max_series),
            hists: Chunked::new(max_series),
        }
    }

    /// Owner-only: adds `v` to counter `slot`.
    #[inline]
    pub(crate) fn counter_add(&self, slot: u32, v: f64) {
        if let Some(c) = self.counters.get(slot as usize) {
            c.store((f64::from_bits(c.load(Relaxed)) + v).to_bits(), Relaxed);
        }
    }

    pub(crate) fn counter_value(&self, slot: u32) -> f64 {
        self.counters
            .peek(slot as usize)
            .map_or(0.0, |c| f64::from_bits(c.load(Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_allocate_lazily_and_bound_the_index() {
        let c: Chunked<AtomicU64, 4> = Chunked::new(10);
        assert!(c.peek(5).is_none());
        c.get(5).unwrap().store(3, Relaxed);
        assert_eq!(c.peek(5).unwrap().load(Relaxed), 3);
        assert!(c.peek(4).is_some(), "same chunk");
        assert!(c.peek(0).is_none(), "other chunk");
        assert!(c.get(12).is_none(), "beyond capacity");
    }

    #[test]
    fn histogram_cell_tracks_buckets_and_extremes() {
        let h = HistCell::default();
        let bounds = [1.0, 10.0];
        for v in [0.5, 2.0, 20.0, 10.0] {
            h.observe(&bounds, v);
        }
        let s = h.snapshot();
        assert_eq!(s.count, 4);
        assert_eq!(&s.buckets[..3], &[1, 2, 1]);
        assert_eq!((s.sum, s.min, s.max), (32.5, 0.5, 20.0));
    }
}
