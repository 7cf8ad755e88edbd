//! The per-thread side: each thread's shard for a recorder and its cache from label set to
//! series, so the hot path takes no lock and allocates nothing after the first use.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::error::Error;
use crate::key::{Kind, SeriesKey, hash_parts};
use crate::recorder::Shared;
use crate::registry::Resolved;
use crate::shard::Shard;

/// The keys of the cache are already hashes.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Cache = HashMap<u64, Vec<(SeriesKey, Resolved)>, BuildHasherDefault<IdHasher>>;

pub(crate) struct Local {
    id: u64,
    shared: Weak<Shared>,
    pub(crate) shard: Arc<Shard>,
    cache: Cache,
}

impl Local {
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
        let h = hash_parts(step, name, labels);
        let shard = &*self.shard;
        let entries = self.cache.entry(h).or_default();
        let pos = entries
            .iter()
            .position(|(k, _)| k.matches(step, name, labels));
        let i = match pos {
            Some(i) => i,
            None => {
                let (_, resolved) = shared.resolve_slow(step, name, labels, kind)?;
                // Cache under the caller's own key: an overflowed series caches its folding.
                entries.push((SeriesKey::new(step, name, labels), resolved));
                entries.len() - 1
            }
        };
        let r = &entries[i].1;
        if r.kind != kind {
            return Err(Error::KindMismatch {
                name: name.to_owned(),
                existing: r.kind.as_str(),
                requested: kind.as_str(),
            });
        }
        Ok((r, shard))
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
        if let Some(local) = list.iter_mut().find(|l| l.id == shared.id) {
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
        cache: Cache::default(),
    }
}

/// The fallback state for threads being torn down.
pub(crate) type Fallback = Mutex<Option<Local>>;
