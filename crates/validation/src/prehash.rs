//! Hash maps keyed by 128-bit keys that already are hashes (xxh3 of an id) or small
//! integers (a `provider_group_id`): the key is not hashed again, only its two halves mixed
//! once so that small sequential ids spread over the table.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The hasher of [`HashSet128`] and [`KeySet`].
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

/// A set of 128-bit keys.
pub(crate) type KeySet = HashSet<u128, BuildHasherDefault<PreHashed>>;
