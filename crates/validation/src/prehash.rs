//! Hash maps keyed by 128-bit keys that already are hashes (xxh3 of an id) or small
//! integers (a `provider_group_id`): the key is not hashed again, only its two halves mixed
//! once so that small sequential ids spread over the table.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The hasher of [`HashSet128`].
#[derive(Default)]
pub(crate) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the halves of a key, mixed, are a hash"
    )]
    fn write_u128(&mut self, n: u128) {
        self.0 = ((n as u64) ^ ((n >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by 128-bit keys.
pub(crate) type HashSet128<V> = HashMap<u128, V, BuildHasherDefault<PreHashed>>;

/// A [`HashSet128`] in 64 shards, each behind its own lock, chosen by the key's top bits:
/// one table for all the workers of a run, so two workers rarely wait on each other and no
/// table is ever copied into another (a table per worker, merged at the end, held both and
/// the merged one at once, and merged on one thread).
#[derive(Debug)]
pub(crate) struct Sharded<V> {
    shards: Box<[Mutex<HashSet128<V>>]>,
}

/// Shards of a [`Sharded`] table: a power of two, many times the workers.
const SHARDS: usize = 64;

/// The shard of `key`: the top bits of its high half (the table's own hash mixes both
/// halves, so a shard's keys still spread over its buckets).
fn shard_of(key: u128) -> usize {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "six bits, below SHARDS by construction"
    )]
    let at = (key >> (128 - SHARDS.trailing_zeros())) as usize;
    at % SHARDS
}

/// Keys a worker inserts into one shard before taking its lock.
const BATCH: usize = 32;

/// One worker's insertions into a [`Sharded`] table, held back per shard and inserted
/// [`BATCH`] at a time: a worker takes a shard's lock once per batch instead of once per
/// key. A lock taken per key cost more than the insertion — its atomic exchange waits for
/// the table's cache misses, and the lock's cache line moves between the cores (~70 % of
/// the time of a FHIR export's id sets). The table is complete only after
/// [`flush`](Batched::flush); a caller whose answer does not depend on the order of the
/// insertions (first sightings kept by location, duplicates counted) may batch them.
#[derive(Debug)]
pub(crate) struct Batched<V> {
    shards: Vec<Vec<(u128, V)>>,
}

impl<V> Default for Batched<V> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Vec::new()).collect(),
        }
    }
}

impl<V> Batched<V> {
    /// Queues `(key, value)` for `table`, inserting its shard's batch when it is full;
    /// `seen` is called as in [`flush`](Self::flush).
    #[inline]
    pub(crate) fn push(
        &mut self,
        table: &Sharded<V>,
        key: u128,
        value: V,
        mut seen: impl FnMut(&mut V, u128, V),
    ) {
        let at = shard_of(key);
        let batch = &mut self.shards[at];
        if batch.capacity() == 0 {
            batch.reserve_exact(BATCH);
        }
        batch.push((key, value));
        if batch.len() >= BATCH {
            table.insert_batch(at, batch, &mut seen);
        }
    }

    /// Inserts everything queued into `table`; for a key already there (inserted by any
    /// worker, or earlier in the same batch), `seen(present, key, value)` decides what
    /// stays.
    pub(crate) fn flush(&mut self, table: &Sharded<V>, mut seen: impl FnMut(&mut V, u128, V)) {
        for (at, batch) in self.shards.iter_mut().enumerate() {
            if !batch.is_empty() {
                table.insert_batch(at, batch, &mut seen);
            }
        }
    }

    /// Whether nothing waits to be inserted.
    pub(crate) fn is_empty(&self) -> bool {
        self.shards.iter().all(Vec::is_empty)
    }
}

impl<V> Default for Sharded<V> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl<V> Sharded<V> {
    /// The shard holding `key`, locked ([`shard_of`]).
    pub(crate) fn shard(&self, key: u128) -> MutexGuard<'_, HashSet128<V>> {
        self.shards[shard_of(key)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Inserts the keys of `batch` (all of shard `shard`, which it leaves empty) under one
    /// lock; for a key already there, `seen(present, key, value)` decides what stays.
    fn insert_batch(
        &self,
        shard: usize,
        batch: &mut Vec<(u128, V)>,
        seen: &mut impl FnMut(&mut V, u128, V),
    ) {
        let mut table = self.shards[shard % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (key, value) in batch.drain(..) {
            match table.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(mut slot) => seen(slot.get_mut(), key, value),
            }
        }
    }

    /// How many keys the table holds.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Takes every entry out, shard by shard (each shard's memory is freed as it is
    /// drained, so a caller inserting them elsewhere never holds two copies).
    pub(crate) fn drain(&self) -> impl Iterator<Item = (u128, V)> + '_ {
        self.shards
            .iter()
            .flat_map(|s| std::mem::take(&mut *s.lock().unwrap_or_else(PoisonError::into_inner)))
    }
}

#[cfg(test)]
mod tests {
    use super::{BATCH, Batched, Sharded};

    /// Two workers' batched sightings, in any interleaving, leave the table a direct
    /// insertion leaves (the earliest location per key) and report every repeat once.
    #[test]
    fn batched_insertions_end_where_direct_ones_do() {
        let keys: Vec<(u128, u64)> = (0..5_000u64)
            .map(|i| {
                // Every seventh key is an earlier one again; keys spread over every shard.
                let id = if i % 7 == 6 { i / 3 } else { i };
                (
                    u128::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835),
                    i,
                )
            })
            .collect();
        let direct = Sharded::<u64>::default();
        let mut direct_repeats = 0;
        for &(k, at) in &keys {
            let mut shard = direct.shard(k);
            match shard.get_mut(&k) {
                Some(seen) => {
                    *seen = (*seen).min(at);
                    direct_repeats += 1;
                }
                None => {
                    shard.insert(k, at);
                }
            }
        }
        let table = Sharded::<u64>::default();
        let (mut a, mut b) = (Batched::default(), Batched::default());
        let mut repeats = 0;
        let mut seen = |present: &mut u64, _: u128, at: u64| {
            *present = (*present).min(at);
            repeats += 1;
        };
        for (i, &(k, at)) in keys.iter().enumerate().rev() {
            let worker = if i % 3 == 0 { &mut a } else { &mut b };
            worker.push(&table, k, at, &mut seen);
        }
        assert!(
            !a.is_empty() || !b.is_empty(),
            "a batch of {BATCH} was left to flush"
        );
        a.flush(&table, &mut seen);
        b.flush(&table, &mut seen);
        assert!(a.is_empty() && b.is_empty());
        assert_eq!(repeats, direct_repeats);
        let mut got: Vec<_> = table.drain().collect();
        let mut want: Vec<_> = direct.drain().collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }
}
