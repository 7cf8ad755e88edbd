//! A profiler's shared state — level, sampling, component names, every handle's shard —
//! and the process-wide count of profilers that are on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};

use crate::paths::PathTable;
use crate::sampling::SampleRate;
use crate::shard::{CompShard, Totals};

/// How many profilers in the process have a level other than off.
pub(crate) static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Component names, by id and by name.
#[derive(Default)]
pub(crate) struct Names {
    pub(crate) names: Vec<Arc<str>>,
    pub(crate) by_name: HashMap<Arc<str>, u32>,
}

/// What every clone of a profiler shares.
pub(crate) struct Shared {
    pub(crate) id: u64,
    /// 0 off, 1 basic, 2 detailed; with [`ACTIVE`] kept in step by `set_level`, the
    /// builder and `Drop`.
    pub(crate) level: AtomicU8,
    pub(crate) clock: quanta::Clock,
    pub(crate) rate: SampleRate,
    /// Measured cost of one timed span, for adaptive sampling.
    pub(crate) timed_cost_ns: f64,
    pub(crate) names: RwLock<Names>,
    /// The interval a new handle starts with.
    pub(crate) initial_interval: u32,
    /// Every live handle's shard, by component id.
    pub(crate) shards: Mutex<Vec<(u32, Arc<CompShard>)>>,
    pub(crate) retired: Mutex<Vec<Totals>>,
    /// Call paths by id, resolved once per handle and parent (`paths.rs`).
    pub(crate) paths: Mutex<PathTable>,
    pub(crate) started: quanta::Instant,
    pub(crate) memory: Mutex<Option<crate::MemoryStats>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.level.load(Relaxed) != 0 {
            ACTIVE.fetch_sub(1, Relaxed);
        }
    }
}
