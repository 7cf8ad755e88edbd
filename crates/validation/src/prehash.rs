//! Hash maps keyed by 128-bit keys that already are hashes (xxh3 of an id) or small
//! integers (a `provider_group_id`): the key is not hashed again, only its two halves mixed
//! once so that small sequential ids spread over the table.

use std::collections::HashMap;
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

impl<V> Default for Sharded<V> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl<V> Sharded<V> {
    /// The shard of `key`: the top bits of its high half (the table's own hash mixes both
    /// halves, so a shard's keys still spread over its buckets).
    pub(crate) fn shard(&self, key: u128) -> MutexGuard<'_, HashSet128<V>> {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "six bits, below SHARDS by construction"
        )]
        let at = (key >> (128 - SHARDS.trailing_zeros())) as usize;
        self.shards[at % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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
