//! A thread's front cache of a keyed registry (`Keyed`): the values this thread looked up, so
//! a lookup of a known key takes no lock and writes no shared memory; dropped whole when the
//! registry evicts a key. And the registry's seeded hasher.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// How many registries a thread keeps a front cache for (the oldest goes first): room for
/// a keyed policy's breakers, budgets and limiters, and as many again.
const REGISTRIES: usize = 8;

/// A key's value and its shared last-use stamp.
pub(crate) type Slot<V> = (V, Arc<AtomicU64>);

/// One registry's cache in one thread.
struct Front {
    registry: u64,
    /// The registry's eviction count when this cache was (re)started.
    generation: u64,
    /// A `HashMap<K, Slot<V>, Seeded>`.
    map: Box<dyn Any>,
}

thread_local! {
    static FRONTS: RefCell<Vec<Front>> = const { RefCell::new(Vec::new()) };
}

/// `f` of `key`'s slot when this thread's cache of `registry` has it and is of
/// `generation`; `None` otherwise (also while the cache is borrowed, or at thread exit).
#[inline]
pub(crate) fn lookup<K: Hash + Eq + 'static, V: 'static, R>(
    registry: u64,
    generation: u64,
    key: &K,
    f: impl FnOnce(&Slot<V>) -> R,
) -> Option<R> {
    FRONTS
        .try_with(|fronts| {
            let fronts = fronts.try_borrow().ok()?;
            let front = fronts.iter().find(|fr| fr.registry == registry)?;
            if front.generation != generation {
                return None;
            }
            let map = front.map.downcast_ref::<HashMap<K, Slot<V>, Seeded>>()?;
            map.get(key).map(f)
        })
        .ok()
        .flatten()
}

/// Keeps `slot` for `key` in this thread's cache of `registry`, restarting the cache when
/// it is of another generation; at most `capacity` keys.
pub(crate) fn remember<K: Hash + Eq + 'static, V: 'static>(
    registry: u64,
    generation: u64,
    capacity: usize,
    key: K,
    slot: Slot<V>,
) {
    let _ = FRONTS.try_with(|fronts| {
        let Ok(mut fronts) = fronts.try_borrow_mut() else {
            return;
        };
        let at = match fronts.iter().position(|fr| fr.registry == registry) {
            Some(at) => at,
            None => {
                if fronts.len() >= REGISTRIES {
                    fronts.remove(0);
                }
                fronts.push(Front {
                    registry,
                    generation,
                    map: Box::new(HashMap::<K, Slot<V>, Seeded>::with_hasher(Seeded::new())),
                });
                fronts.len() - 1
            }
        };
        let front = &mut fronts[at];
        let Some(map) = front.map.downcast_mut::<HashMap<K, Slot<V>, Seeded>>() else {
            return;
        };
        if front.generation != generation {
            map.clear();
            front.generation = generation;
        }
        if map.len() < capacity {
            map.insert(key, slot);
        }
    });
}

/// A fast hasher for short keys (folded multiply, as foldhash), seeded per map.
#[derive(Clone, Copy)]
pub(crate) struct Seeded(u64);

impl Seeded {
    pub(crate) fn new() -> Self {
        let mut h = std::hash::RandomState::new().build_hasher();
        h.write_u64(0x5EED);
        Self(h.finish())
    }
}

impl BuildHasher for Seeded {
    type Hasher = Folded;
    #[inline]
    fn build_hasher(&self) -> Folded {
        Folded(self.0)
    }
}

/// The running state of a [`Seeded`] hash.
pub(crate) struct Folded(u64);

const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    #[expect(clippy::cast_possible_truncation, reason = "the two halves, folded")]
    let (lo, hi) = (p as u64, (p >> 64) as u64);
    lo ^ hi
}

/// Eight little-endian bytes (`bytes` is exactly 8 long).
#[inline]
fn word(bytes: &[u8]) -> u64 {
    bytes.try_into().map_or(0, u64::from_le_bytes)
}

/// Four little-endian bytes (`bytes` is exactly 4 long).
#[inline]
fn half(bytes: &[u8]) -> u64 {
    bytes
        .try_into()
        .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
}

impl Hasher for Folded {
    /// One multiply per 16 bytes; a short tail read as two overlapping words (as foldhash).
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while rest.len() > 16 {
            let (chunk, tail) = rest.split_at(16);
            self.0 = fold(self.0 ^ word(&chunk[..8]), word(&chunk[8..]) ^ MUL);
            rest = tail;
        }
        let n = rest.len();
        let (a, b) = match n {
            8..=16 => (word(&rest[..8]), word(&rest[n - 8..])),
            4..=7 => (half(&rest[..4]), half(&rest[n - 4..])),
            1..=3 => (
                u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16,
                0,
            ),
            _ => (0, 0),
        };
        self.0 = fold(self.0 ^ a ^ (bytes.len() as u64).rotate_left(32), b ^ MUL);
    }

    /// A `str`'s closing `0xff`: its length is already mixed in, a rotate suffices.
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.0 = self.0.rotate_left(8) ^ u64::from(n);
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = fold(self.0 ^ n, MUL);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold(self.0, MUL ^ 0xA076_1D64_78BD_642F).rotate_left(23)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher as _;

    use super::Seeded;

    #[test]
    fn short_keys_of_every_length_hash_apart() {
        let seeded = Seeded::new();
        let mut seen = HashSet::new();
        for len in 0..40 {
            for n in 0..500_u32 {
                let mut s = format!("{n:0>len$}");
                s.truncate(len.max(1));
                let key = (s, "search");
                seen.insert((key.0.clone(), seeded.hash_one(&key)));
            }
        }
        let hashes: HashSet<u64> = seen.iter().map(|(_, h)| *h).collect();
        assert_eq!(
            hashes.len(),
            seen.len(),
            "no two distinct keys share a hash"
        );
        assert_ne!(
            Seeded::new().hash_one("Patient"),
            seeded.hash_one("Patient"),
            "seeded"
        );
    }
}
