//! The per-thread side. Each recording thread holds a *thread slot* — a small index, unique
//! among live threads and reused after a thread ends — and each recorder keeps one shard per
//! slot, so a pre-resolved handle finds its thread's cells with one thread-local read and an
//! index. Each thread also keeps, per recorder, a cache from label set to series, so the
//! labeled path takes no lock and allocates nothing after the first use.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use crate::cache::{SeriesCache, hash};
use crate::error::Error;
use crate::key::{Kind, SeriesKey};
use crate::registry::Resolved;
use crate::shard::Shard;

/// What the per-thread side needs from the recorder that owns it.
pub(crate) trait Owner: Send + Sync + 'static {
    /// The recorder's id, unique in the process.
    fn id(&self) -> u64;
    /// The recorder's shard per thread slot.
    fn threads(&self) -> &ThreadShards;
    /// The recorder's state for threads without a slot.
    fn fallback(&self) -> &Fallback;
    /// A new shard, registered with the recorder for the flusher.
    fn new_shard(&self) -> Arc<Shard>;
    /// The series for these parts, from the recorder's registry (added if new).
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::KindMismatch`], or a limit reached.
    fn resolve_slow(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
    ) -> Result<(SeriesKey, Resolved), Error>;
}

/// Threads that can record at once through their own cells. Beyond this (or while a thread
/// is being torn down), recording goes through one shared shard under a lock: slower,
/// never lost.
pub(crate) const MAX_THREADS: usize = 1024;

/// "This thread holds no slot."
const NO_SLOT: usize = usize::MAX;

/// Slots handed out so far and those returned by ended threads.
struct SlotPool {
    next: usize,
    free: Vec<usize>,
}

static POOL: Mutex<SlotPool> = Mutex::new(SlotPool {
    next: 0,
    free: Vec::new(),
});

/// One thread's recording state: its slot and its per-recorder caches.
struct ThreadState {
    slot: usize,
    locals: Vec<Local>,
}

impl ThreadState {
    /// This thread's slot, taking one from the pool on first use; `None` when every slot is
    /// held by a live thread.
    fn slot(&mut self) -> Option<usize> {
        if self.slot != NO_SLOT {
            return Some(self.slot);
        }
        let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = match pool.free.pop() {
            Some(s) => s,
            None if pool.next < MAX_THREADS => {
                pool.next += 1;
                pool.next - 1
            }
            None => return None,
        };
        self.slot = slot;
        SLOT.set(slot);
        Some(slot)
    }
}

impl Drop for ThreadState {
    fn drop(&mut self) {
        self.locals.clear();
        if self.slot != NO_SLOT {
            // The next holder of the slot continues this thread's cells; the pool's lock
            // orders this thread's last writes before that thread's first.
            SLOT.set(NO_SLOT);
            POOL.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .free
                .push(self.slot);
        }
    }
}

thread_local! {
    static STATE: RefCell<ThreadState> = const {
        RefCell::new(ThreadState { slot: NO_SLOT, locals: Vec::new() })
    };
    /// A copy of the state's slot, in a thread-local with no destructor: reading it is one
    /// load, with no "initialised yet?" check.
    static SLOT: Cell<usize> = const { Cell::new(NO_SLOT) };
}

/// Per recorder: each thread slot's shard, created when a thread in that slot first records.
pub(crate) struct ThreadShards {
    by_slot: Box<[OnceLock<Arc<Shard>>]>,
}

impl ThreadShards {
    pub(crate) fn new() -> Self {
        Self {
            by_slot: (0..MAX_THREADS).map(|_| OnceLock::new()).collect(),
        }
    }

    /// The calling thread's shard, if it has recorded into this recorder before (the hot
    /// path of handles). Only the slot's holder writes to it.
    #[inline]
    pub(crate) fn current(&self) -> Option<&Shard> {
        self.by_slot.get(SLOT.get())?.get().map(|s| &**s)
    }
}

pub(crate) struct Local {
    id: u64,
    /// The owning recorder, only to tell whether it still exists.
    owner: Weak<dyn Owner>,
    pub(crate) shard: Arc<Shard>,
    cache: SeriesCache,
}

impl Local {
    /// Hot path: records `v` into a cached counter or histogram; `false` when the series is
    /// not cached (or of another kind), for the caller's slow path.
    #[inline]
    pub(crate) fn record_cached<const N: usize>(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str); N],
        kind: Kind,
        v: f64,
    ) -> bool {
        let Some(r) = self.cache.lookup(step, name, labels) else {
            return false;
        };
        if r.kind != kind {
            return false;
        }
        record_into(&self.shard, r, v)
    }

    /// The series for these parts, from the cache or (once per thread) the registry.
    #[inline]
    pub(crate) fn resolve(
        &mut self,
        shared: &Arc<impl Owner>,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
    ) -> Result<(&Resolved, &Shard), Error> {
        let h = hash(step, name, labels);
        if self.cache.probe(h, step, name, labels).is_none() {
            let (_, resolved) = shared.resolve_slow(step, name, labels, kind)?;
            // Cached under the caller's own parts: an overflowed series caches its folding.
            self.cache.insert(h, step, name, labels, resolved);
        }
        let Some(r) = self.cache.probe(h, step, name, labels) else {
            unreachable!("a series was just cached");
        };
        if r.kind != kind {
            return Err(Error::KindMismatch {
                name: name.to_owned(),
                existing: r.kind.as_str(),
                requested: kind.as_str(),
            });
        }
        Ok((r, &*self.shard))
    }
}

/// Adds to a counter or observes into a histogram; `false` for a gauge (shared, not
/// per-thread).
#[inline(always)]
pub(crate) fn record_into(shard: &Shard, r: &Resolved, v: f64) -> bool {
    match r.kind {
        Kind::Counter => {
            shard.counter_add(r.slot, v);
            true
        }
        Kind::Histogram => {
            if let (Some(b), Some(c)) = (&r.bounds, shard.hists.get(r.slot as usize)) {
                c.observe(b, v);
            }
            true
        }
        Kind::Gauge => false,
    }
}

/// Runs `f` with this thread's existing state for the recorder `id` (the hot path of the
/// labeled API); `None` when there is none yet, for the caller's slow path.
#[inline]
pub(crate) fn with_existing<R>(id: u64, f: impl FnOnce(&Local) -> R) -> Option<R> {
    STATE
        .try_with(|cell| {
            let st = cell.try_borrow().ok()?;
            let local = st.locals.iter().find(|l| l.id == id)?;
            Some(f(local))
        })
        .ok()
        .flatten()
}

/// Runs `f` with this thread's state for `shared`, creating it on first use. A thread
/// without a slot (all taken, or being torn down) uses the recorder's shared fallback
/// state under its lock.
pub(crate) fn with_local<O: Owner, R>(shared: &Arc<O>, f: impl FnOnce(&mut Local) -> R) -> R {
    let mut f = Some(f);
    let done = STATE.try_with(|cell| {
        let mut st = cell.try_borrow_mut().ok()?;
        let st = &mut *st;
        let i = match st.locals.iter().position(|l| l.id == shared.id()) {
            Some(i) => i,
            None => {
                let slot = st.slot()?;
                st.locals.retain(|l| l.owner.strong_count() > 0);
                st.locals.push(new_local(shared, Some(slot)));
                st.locals.len() - 1
            }
        };
        let local = st.locals.get_mut(i)?;
        let f = f.take()?;
        Some(f(local))
    });
    match (done, f) {
        (Ok(Some(r)), _) => r,
        (_, Some(f)) => {
            let mut fallback = shared
                .fallback()
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let local = fallback.get_or_insert_with(|| new_local(shared, None));
            f(local)
        }
        // `f` was taken and ran, yet returned nothing: impossible (it returns R).
        (_, None) => unreachable!("with_local ran its closure without a result"),
    }
}

/// A thread's state for `shared`: the slot's shard, or (no slot) a fresh fallback shard.
fn new_local<O: Owner>(shared: &Arc<O>, slot: Option<usize>) -> Local {
    let create = || shared.new_shard();
    let shard = match slot.and_then(|s| shared.threads().by_slot.get(s)) {
        Some(cell) => cell.get_or_init(create).clone(),
        None => create(),
    };
    let owner: Weak<O> = Arc::downgrade(shared);
    Local {
        id: shared.id(),
        owner,
        shard,
        cache: SeriesCache::default(),
    }
}

/// The fallback state for threads without a slot.
pub(crate) type Fallback = Mutex<Option<Local>>;
