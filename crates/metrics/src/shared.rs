//! `Shared`: the state behind every clone of a recorder, and its raw-mode queueing —
//! what the recording, flushing and export modules all work on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use steadfast_core::Timestamp;

use crate::background::Background;
use crate::error::Error;
use crate::key::{Kind, SeriesKey};
use crate::local::{Fallback, Owner, ThreadShards};
use crate::raw::{RawEvent, RawQueue};
use crate::registry::{Registry, Resolved};
use crate::shard::Shard;
use crate::sink::FlushState;
use crate::stats::Stats;

/// What every clone of a [`Recorder`](crate::Recorder) shares: the registry, every
/// thread's shard, the flush state and the background flusher.
pub(crate) struct Shared {
    pub(crate) id: u64,
    pub(crate) max_series: usize,
    pub(crate) registry: RwLock<Registry>,
    /// Every shard, for the flusher: one per thread slot that has recorded, and the fallback.
    pub(crate) shards: Mutex<Vec<Arc<Shard>>>,
    pub(crate) threads: ThreadShards,
    pub(crate) fallback: Fallback,
    pub(crate) flush: Mutex<FlushState>,
    pub(crate) stats: Stats,
    pub(crate) raw: Option<RawQueue>,
    pub(crate) closed: AtomicBool,
    pub(crate) background: Mutex<Option<Background>>,
}

impl Shared {
    /// Counters of the recorder's own work.
    pub(crate) fn stats_snapshot(&self) -> crate::stats::RecorderStats {
        let overflowed = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .overflowed;
        let shards = self
            .shards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        self.stats
            .snapshot(overflowed, u64::try_from(shards).unwrap_or(u64::MAX))
    }

    /// The registry's limit of series per metric name.
    pub(crate) fn per_metric_limit(&self) -> usize {
        self.registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .per_metric_limit
    }

    /// Queues one raw event if raw mode is on.
    #[inline]
    pub(crate) fn record_raw(&self, key: &SeriesKey, kind: Kind, value: f64) {
        if let Some(q) = &self.raw {
            self.queue_raw(q, key, kind, value);
        }
    }

    /// Raw mode's side of [`Shared::record_raw`], kept out of the hot path.
    #[cold]
    #[inline(never)]
    fn queue_raw(&self, q: &RawQueue, key: &SeriesKey, kind: Kind, value: f64) {
        let event = RawEvent {
            ts: Timestamp::now(),
            key: key.clone(),
            kind,
            value,
        };
        if !q.push(event, &self.closed, || self.wake_flusher()) {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Asks the background flusher to run now.
    pub(crate) fn wake_flusher(&self) {
        if let Some(bg) = self
            .background
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            bg.wake();
        }
    }
}

impl Owner for Shared {
    fn id(&self) -> u64 {
        self.id
    }

    fn threads(&self) -> &ThreadShards {
        &self.threads
    }

    fn fallback(&self) -> &Fallback {
        &self.fallback
    }

    fn new_shard(&self) -> Arc<Shard> {
        let shard = Arc::new(Shard::new(self.max_series));
        self.shards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(shard.clone());
        shard
    }

    fn resolve_slow(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
    ) -> Result<(SeriesKey, Resolved), Error> {
        if let Some(meta) = self
            .registry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .lookup(step, name, labels)
        {
            return Ok((meta.key.clone(), meta.resolved.clone()));
        }
        self.registry
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .resolve(step, name, labels, kind)
    }
}
