//! Canonical hashes of JSON values for `enum`, `const` and `uniqueItems`: equal under JSON
//! equality (`1 == 1.0`, `true != 1`, members in any order) means an equal hash. A value is
//! hashed from its tokens as they stream (containers fold their children's hashes), so no
//! value is kept.

use std::hash::{BuildHasher, Hasher};

use xxhash_rust::xxh3::{xxh3_128, xxh3_128_with_seed};

use super::number::Num;

const NULL: u64 = 1;
const BOOL: u64 = 2;
const NUMBER: u64 = 3;
const STRING: u64 = 4;
const ARRAY: u64 = 5;
const OBJECT: u64 = 6;
const MEMBER: u64 = 7;
const ELEMENT: u64 = 8;

/// The hash of `null`.
pub(super) fn null() -> u128 {
    xxh3_128_with_seed(b"", NULL)
}

/// The hash of a boolean.
pub(super) fn boolean(b: bool) -> u128 {
    xxh3_128_with_seed(&[u8::from(b)], BOOL)
}

/// The hash of a number, equal for every spelling of the same value.
pub(super) fn number(num: &Num<'_>, scratch: &mut Vec<u8>) -> u128 {
    scratch.clear();
    num.canonical(scratch);
    xxh3_128_with_seed(scratch, NUMBER)
}

/// The hash of a decoded string.
pub(super) fn string(s: &str) -> u128 {
    string_bytes(s.as_bytes())
}

/// The hash of a decoded string's UTF-8 bytes.
pub(super) fn string_bytes(s: &[u8]) -> u128 {
    xxh3_128_with_seed(s, STRING)
}

fn pair(a: u128, b: u128, seed: u64) -> u128 {
    // A multiply-xorshift mix of both halves: cheap, and every input bit reaches every
    // output bit (no allocation, no buffer).
    const K1: u128 = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834;
    const K2: u128 = 0xC2B2_AE3D_27D4_EB4F_1656_67B1_9E37_79F9;
    let mut x = a ^ b.rotate_left(61) ^ u128::from(seed).wrapping_mul(K2);
    x = x.wrapping_mul(K1);
    x ^= x >> 67;
    x = x.wrapping_mul(K2);
    x ^= x >> 59;
    x = (x ^ b).wrapping_mul(K1);
    x ^ (x >> 64)
}

/// Folds an object member into its object's accumulator (order-independent).
pub(super) fn member(acc: u128, key: u128, value: u128) -> u128 {
    acc.wrapping_add(pair(key, value, MEMBER))
}

/// Folds an array element into its array's accumulator (in order).
pub(super) fn element(acc: u128, value: u128) -> u128 {
    pair(acc, value, ELEMENT)
}

/// The hash of a container from its accumulator and its number of children.
pub(super) fn container(object: bool, acc: u128, count: u64) -> u128 {
    pair(acc, u128::from(count), if object { OBJECT } else { ARRAY })
}

/// The hash of a whole value (for the schema's own `enum`/`const` values and tests).
pub(super) fn value(v: &serde_json::Value) -> u128 {
    match v {
        serde_json::Value::Null => null(),
        serde_json::Value::Bool(b) => boolean(*b),
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            match Num::parse(text.as_bytes()) {
                Some(num) => number(&num, &mut Vec::new()),
                None => xxh3_128(text.as_bytes()),
            }
        }
        serde_json::Value::String(s) => string(s),
        serde_json::Value::Array(items) => {
            let acc = items.iter().fold(0, |acc, item| element(acc, value(item)));
            container(false, acc, items.len() as u64)
        }
        serde_json::Value::Object(members) => {
            let acc = members
                .iter()
                .fold(0, |acc, (k, v)| member(acc, string(k), value(v)));
            container(true, acc, members.len() as u64)
        }
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default, Clone, Copy)]
pub(super) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        let bytes = n.to_le_bytes();
        self.0 = u64::from_le_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]);
    }
}

impl BuildHasher for Prehashed {
    type Hasher = Self;
    fn build_hasher(&self) -> Self {
        Self(0)
    }
}

/// A set of element hashes.
pub(super) type HashSet = std::collections::HashSet<u128, Prehashed>;
