//! The per-thread and per-handle side: a component handle's own shard and sampling
//! countdown (plain `Cell`s, so an untimed call is a decrement and a store), the thread's
//! stack of open timed spans, and the thread's cache of handles for spans opened by name.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, PoisonError, Weak};

use crate::paths::{MAX_PATHS, MAX_PATHS_DETAILED, ROOT};
use crate::shard::{CompShard, Totals};
use crate::shared::Shared;

/// An open timed span on this thread.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub(crate) comp: u32,
    /// The frame's call path (`paths.rs`), resolved at entry from its parent's.
    pub(crate) path: u32,
    pub(crate) start: u64,
    pub(crate) child_ns: u64,
    /// Bytes allocated while this frame was innermost (feature `alloc`).
    pub(crate) alloc: u64,
}

/// Timed spans open at once on a thread at most; deeper spans are counted, not timed.
pub(crate) const MAX_DEPTH: usize = 64;

const EMPTY: Frame = Frame {
    comp: 0,
    path: ROOT,
    start: 0,
    child_ns: 0,
    alloc: 0,
};

thread_local! {
    /// Open timed spans, innermost at `DEPTH - 1` (all profilers of the thread together).
    /// A fixed array of `Cell`s: no destructor to register, no borrow flag to check.
    pub(crate) static STACK: [Cell<Frame>; MAX_DEPTH] = const { [const { Cell::new(EMPTY) }; MAX_DEPTH] };
    /// How many frames of `STACK` are open.
    pub(crate) static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Handles for spans opened by name, per profiler.
    static NAMED: RefCell<Vec<NamedHandles>> = const { RefCell::new(Vec::new()) };
}

/// Adds `bytes` to the innermost open timed span of this thread, if any (the counting
/// allocator's hook: touches only const thread-locals, never allocates).
#[cfg(feature = "alloc")]
#[inline]
pub(crate) fn count_alloc(bytes: usize) {
    let depth = DEPTH.try_with(Cell::get).unwrap_or(0) as usize;
    if depth == 0 || depth > MAX_DEPTH {
        return;
    }
    let _ = STACK.try_with(|s| {
        let mut f = s[depth - 1].get();
        f.alloc = f.alloc.saturating_add(bytes as u64);
        s[depth - 1].set(f);
    });
}

/// A thread's handles for one profiler: its id, the profiler, handles by component id.
type NamedHandles = (u64, Weak<Shared>, Vec<Option<Rc<CompState>>>);

/// One handle's state: its shard (registered with the profiler for snapshots) and its
/// sampling countdown. Not `Sync`: exactly one thread writes it at a time.
pub(crate) struct CompState {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: u32,
    pub(crate) shard: Arc<CompShard>,
    /// Calls left until the next timed one.
    pub(crate) countdown: Cell<u32>,
    /// Current interval: one call in `interval` is timed.
    pub(crate) interval: Cell<u32>,
    /// Running mean of timed durations (adaptive sampling).
    pub(crate) mean_ns: Cell<f64>,
    pub(crate) timed: Cell<u32>,
    /// The slot of the shard's call paths this handle used last.
    path_hint: Cell<usize>,
    rng: Cell<u64>,
}

impl CompState {
    pub(crate) fn new(shared: &Arc<Shared>, id: u32) -> Self {
        let shard = Arc::new(CompShard::new());
        shared
            .shards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, Arc::clone(&shard)));
        Self {
            shared: Arc::clone(shared),
            id,
            shard,
            countdown: Cell::new(1),
            interval: Cell::new(shared.initial_interval),
            mean_ns: Cell::new(0.0),
            timed: Cell::new(0),
            path_hint: Cell::new(0),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (u64::from(id) << 17) ^ shared.id),
        }
    }

    /// The call path of a timed call of this handle under `parent` (a frame's path, or
    /// [`ROOT`]): one compare when the handle was last met under the same parent; the
    /// profiler's table is locked only the first time this handle meets a parent.
    #[inline]
    pub(crate) fn path_under(&self, parent: u32) -> u32 {
        match self.shard.paths.hit(self.path_hint.get(), parent) {
            Some(path) => path,
            None => self.path_under_new_parent(parent),
        }
    }

    /// [`path_under`](Self::path_under) off the hot path: a parent this handle met before
    /// in another slot, or a new one resolved through the profiler's table.
    #[cold]
    #[inline(never)]
    fn path_under_new_parent(&self, parent: u32) -> u32 {
        let (path, slot) = self.shard.paths.find(parent, || {
            let bound = if self.shared.level.load(Relaxed) == 2 {
                MAX_PATHS_DETAILED
            } else {
                MAX_PATHS
            };
            self.shared
                .paths
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .resolve(parent, self.id, bound)
        });
        self.path_hint.set(slot);
        path
    }

    /// Adds `own` ns of a timed call to `path` (one of [`path_under`](Self::path_under)'s).
    #[inline]
    pub(crate) fn add_path_time(&self, path: u32, own: u64) {
        let paths = &self.shard.paths;
        if !paths.add_at(self.path_hint.get(), path, own) {
            self.path_hint.set(paths.add(path, own));
        }
    }

    /// A cheap pseudo-random number (xorshift64) for reservoir slots; only timed calls draw.
    #[inline]
    pub(crate) fn random(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        x
    }
}

impl std::fmt::Debug for CompState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompState")
            .field("id", &self.id)
            .field("interval", &self.interval.get())
            .finish_non_exhaustive()
    }
}

impl Drop for CompState {
    fn drop(&mut self) {
        // The handle is gone: fold its shard into the retired totals so memory stays bounded.
        let mut shards = self
            .shared
            .shards
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shards.retain(|(_, s)| !Arc::ptr_eq(s, &self.shard));
        let mut retired = self
            .shared
            .retired
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let i = self.id as usize;
        if retired.len() <= i {
            retired.resize_with(i + 1, Totals::default);
        }
        let mut t = Totals::default();
        self.shard.read_into(&mut t);
        retired[i].add(&t);
    }
}

/// This thread's handle for component `id` of `shared`, created on first use.
pub(crate) fn named(shared: &Arc<Shared>, id: u32) -> Option<Rc<CompState>> {
    NAMED
        .try_with(|cell| {
            let mut all = cell.try_borrow_mut().ok()?;
            let pos = match all.iter().position(|(pid, _, _)| *pid == shared.id) {
                Some(p) => p,
                None => {
                    // Forget the handles of profilers that no longer exist.
                    all.retain(|(_, w, _)| w.strong_count() > 0);
                    all.push((shared.id, Arc::downgrade(shared), Vec::new()));
                    all.len() - 1
                }
            };
            let comps = &mut all[pos].2;
            let i = id as usize;
            if comps.len() <= i {
                comps.resize_with(i + 1, || None);
            }
            Some(Rc::clone(
                comps[i].get_or_insert_with(|| Rc::new(CompState::new(shared, id))),
            ))
        })
        .ok()
        .flatten()
}
