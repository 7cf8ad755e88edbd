//! The per-thread side: each thread's shard for a recorder and its cache from label set to
//! series, so the hot path takes no lock and allocates nothing after the first use.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::cache::{Probe, SeriesCache};
use crate::error::Error;
use crate::key::Kind;
use crate::recorder::Shared;
use crate::registry::Resolved;
use crate::shard::Shard;

pub(crate) struct Local {
    id: u64,
    shared: Weak<Shared>,
    pub(crate) shard: Arc<Shard>,
    cache: SeriesCache,
}

impl Local {
    /// The cached series for these parts, if this thread has used them before.
    #[inline]
    pub(crate) fn lookup(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Option<&Resolved> {
        let probe = Probe::new(step, name, labels);
        self.cache
            .find(&probe, step, name, labels)
            .and_then(|i| self.cache.at(i))
    }

    /// Hot path: records `v` into a cached counter or histogram; `false` when the series is
    /// not cached (or of another kind), for the caller's slow path.
    #[inline]
    pub(crate) fn record_cached(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
        v: f64,
    ) -> bool {
        let Some(r) = self.lookup(step, name, labels) else {
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
        shared: &Shared,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
    ) -> Result<(&Resolved, &Shard), Error> {
        let probe = Probe::new(step, name, labels);
        let h = probe.hash;
        let i = match self.cache.find(&probe, step, name, labels) {
            Some(i) => i,
            None => {
                let (_, resolved) = shared.resolve_slow(step, name, labels, kind)?;
                // Cached under the caller's own parts: an overflowed series caches its folding.
                self.cache.insert(h, step, name, labels, resolved)
            }
        };
        let shard = &*self.shard;
        match self.cache.at(i) {
            Some(r) if r.kind == kind => Ok((r, shard)),
            Some(r) => Err(Error::KindMismatch {
                name: name.to_owned(),
                existing: r.kind.as_str(),
                requested: kind.as_str(),
            }),
            None => Err(Error::Closed),
        }
    }
}

/// Adds to a counter or observes into a histogram; `false` for a gauge (shared, not
/// per-thread).
#[inline]
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

thread_local! {
    static LOCAL: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's state for `shared`, creating it on first use. During thread
/// teardown (no thread-local left) a shared fallback shard is used under a lock.
#[inline]
pub(crate) fn with_local<R>(shared: &Arc<Shared>, f: impl FnOnce(&mut Local) -> R) -> R {
    let mut f = Some(f);
    let done = LOCAL.try_with(|cell| {
        let Ok(mut list) = cell.try_borrow_mut() else {
            return None;
        };
        let f = f.take()?;
        // Nearly always one recorder per thread: look at the first entry before searching.
        let pos = match list.first() {
            Some(l) if l.id == shared.id => Some(0),
            _ => list.iter().position(|l| l.id == shared.id),
        };
        if let Some(local) = pos.and_then(|i| list.get_mut(i)) {
            return Some(f(local));
        }
        list.retain(|l| l.shared.strong_count() > 0);
        list.push(new_local(shared));
        let local = list.last_mut()?;
        Some(f(local))
    });
    match (done, f) {
        (Ok(Some(r)), _) => r,
        (_, Some(f)) => {
            let mut fallback = shared
                .fallback
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let local = fallback.get_or_insert_with(|| new_local(shared));
            f(local)
        }
        // `f` was taken and ran, yet returned nothing: impossible (it returns R).
        (_, None) => unreachable!("with_local ran its closure without a result"),
    }
}

fn new_local(shared: &Arc<Shared>) -> Local {
    let shard = Arc::new(Shard::new(shared.max_series));
    shared
        .shards
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(shard.clone());
    Local {
        id: shared.id,
        shared: Arc::downgrade(shared),
        shard,
        cache: SeriesCache::default(),
    }
}

/// The fallback state for threads being torn down.
pub(crate) type Fallback = Mutex<Option<Local>>;
