//! Call paths of timed spans, kept at every level: each timed frame carries a path id
//! resolved from its parent's, each handle adds own time per path into slots of its own
//! shard, and a profiler's [`PathTable`] (behind a lock taken only for a path new to a
//! handle) maps ids back to component sequences, up to a bound.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{
    AtomicU32, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};
use std::sync::{Arc, Mutex, PoisonError};

use crate::owned::bump;

/// The parent of a frame with no timed parent of the same profiler.
pub(crate) const ROOT: u32 = 0;
/// The path every call path past the bound folds into (`[other]` in folded stacks), and
/// its callees' paths too.
pub(crate) const OTHER: u32 = u32::MAX;
/// No path: an empty slot, never a frame's parent, so a lookup never matches it.
pub(crate) const NONE: u32 = u32::MAX - 1;
/// Distinct call paths a profiler keeps at level basic; more fold into `[other]`.
pub(crate) const MAX_PATHS: usize = 1024;
/// Distinct call paths a profiler keeps at level detailed.
pub(crate) const MAX_PATHS_DETAILED: usize = 65_536;
/// Paths a handle keeps in its own slots; a handle met under more parents keeps the rest
/// in a map behind a lock of its own shard.
const SLOTS: usize = 8;

/// Path ids are unique in the process, so a parent frame of another profiler on the same
/// thread is never mistaken for one of this profiler's paths.
static NEXT_PATH: AtomicU32 = AtomicU32::new(1);

/// One handle's call paths: its parents' paths, its own paths under them and the own time
/// of its timed calls on each. Written by the owning thread only (plain load + store);
/// snapshots read `used` slots.
pub(crate) struct PathSlots {
    parent: [AtomicU32; SLOTS],
    path: [AtomicU32; SLOTS],
    own: [AtomicU64; SLOTS],
    used: AtomicUsize,
    /// Past the slots: parent → path (owner only) and path → own time.
    more: Mutex<(HashMap<u32, u32>, HashMap<u32, u64>)>,
}

impl PathSlots {
    pub(crate) fn new() -> Self {
        Self {
            parent: [const { AtomicU32::new(NONE) }; SLOTS],
            path: [const { AtomicU32::new(NONE) }; SLOTS],
            own: [const { AtomicU64::new(0) }; SLOTS],
            used: AtomicUsize::new(0),
            more: Mutex::new((HashMap::new(), HashMap::new())),
        }
    }

    /// Owner: the path under `parent` if slot `hint` holds it (the hot path's one check).
    #[inline]
    pub(crate) fn hit(&self, hint: usize, parent: u32) -> Option<u32> {
        let i = hint % SLOTS;
        (self.parent[i].load(Relaxed) == parent).then(|| self.path[i].load(Relaxed))
    }

    /// Owner: adds `own` ns to `path` if slot `hint` holds it; false if it does not.
    #[inline]
    pub(crate) fn add_at(&self, hint: usize, path: u32, own: u64) -> bool {
        let i = hint % SLOTS;
        let hit = self.path[i].load(Relaxed) == path;
        if hit {
            bump(&self.own[i], own);
        }
        hit
    }

    /// Owner: the path under `parent` and its slot (`SLOTS` when kept past the slots),
    /// resolved through `table` the first time this handle meets `parent`.
    #[inline(never)]
    pub(crate) fn find(&self, parent: u32, resolve: impl FnOnce() -> u32) -> (u32, usize) {
        let used = self.used.load(Relaxed);
        if let Some(i) = (0..used).find(|i| self.parent[*i].load(Relaxed) == parent) {
            return (self.path[i].load(Relaxed), i);
        }
        let mut more = self.more.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(path) = more.0.get(&parent) {
            return (*path, SLOTS);
        }
        let path = resolve();
        if used < SLOTS {
            self.parent[used].store(parent, Relaxed);
            self.path[used].store(path, Relaxed);
            self.used.store(used + 1, Release);
            (path, used)
        } else {
            more.0.insert(parent, path);
            (path, SLOTS)
        }
    }

    /// Owner: adds `own` ns to `path`, wherever this handle keeps it.
    #[inline(never)]
    pub(crate) fn add(&self, path: u32, own: u64) -> usize {
        let used = self.used.load(Relaxed);
        if let Some(i) = (0..used).find(|i| self.path[*i].load(Relaxed) == path) {
            bump(&self.own[i], own);
            return i;
        }
        let mut more = self.more.lock().unwrap_or_else(PoisonError::into_inner);
        *more.1.entry(path).or_insert(0) += own;
        SLOTS
    }

    /// Any thread: adds every path's own time into `acc`.
    pub(crate) fn read_into(&self, acc: &mut HashMap<u32, u64>) {
        let used = self.used.load(Acquire).min(SLOTS);
        for i in 0..used {
            let own = self.own[i].load(Relaxed);
            if own > 0 {
                *acc.entry(self.path[i].load(Relaxed)).or_insert(0) += own;
            }
        }
        let more = self.more.lock().unwrap_or_else(PoisonError::into_inner);
        for (path, own) in &more.1 {
            *acc.entry(*path).or_insert(0) += own;
        }
    }
}

/// A profiler's call paths: id → (parent path, component) and back, at most a bound of
/// them; the rest fold into [`OTHER`], counted.
#[derive(Default)]
pub(crate) struct PathTable {
    nodes: HashMap<u32, (u32, u32)>,
    ids: HashMap<(u32, u32), u32>,
    /// Paths refused at the bound, remembered (up to the bound) so each counts once.
    refused: HashSet<(u32, u32)>,
    folded: u64,
}

impl PathTable {
    /// The path of component `comp` under `parent`, a new id the first time.
    pub(crate) fn resolve(&mut self, parent: u32, comp: u32, bound: usize) -> u32 {
        if parent == OTHER {
            return OTHER;
        }
        // A parent of another profiler on this thread: this profiler's path starts here.
        let parent = if self.nodes.contains_key(&parent) {
            parent
        } else {
            ROOT
        };
        let key = (parent, comp);
        if let Some(id) = self.ids.get(&key) {
            return *id;
        }
        if self.nodes.len() < bound {
            let next = NEXT_PATH.fetch_update(Relaxed, Relaxed, |n| (n < NONE).then_some(n + 1));
            if let Ok(id) = next {
                self.nodes.insert(id, key);
                self.ids.insert(key, id);
                return id;
            }
        }
        if self.refused.len() >= bound || self.refused.insert(key) {
            self.folded += 1;
        }
        OTHER
    }

    /// Distinct call paths folded into `[other]` (exact up to the bound, then an upper
    /// bound).
    pub(crate) fn folded(&self) -> u64 {
        self.folded
    }

    /// Folded lines `outer;inner ns`, sorted, from each path's time.
    pub(crate) fn lines(&self, times: &HashMap<u32, u64>, names: &[Arc<str>]) -> Vec<String> {
        let mut lines: Vec<String> = times
            .iter()
            .filter(|(_, ns)| **ns > 0)
            .map(|(path, ns)| format!("{} {ns}", self.frames(*path, names).join(";")))
            .collect();
        lines.sort();
        lines
    }

    /// The component names of `path`, outermost first.
    fn frames<'a>(&self, mut path: u32, names: &'a [Arc<str>]) -> Vec<&'a str> {
        if path == OTHER {
            return vec!["[other]"];
        }
        let mut frames = Vec::new();
        while let Some((parent, comp)) = self.nodes.get(&path) {
            frames.push(names.get(*comp as usize).map_or("?", |n| &**n));
            path = *parent;
        }
        frames.reverse();
        frames
    }
}
