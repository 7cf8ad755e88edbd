//! The per-thread series cache: an open-addressing table from (step, name, labels) to a
//! resolved series, hashed cheaply (length and first/last 8 bytes of each part) and always
//! verified against the full text, so a collision costs a probe, never a wrong series. The
//! series found last is compared first, in the same reading of the parts as the hash.

use std::cell::Cell;

use crate::registry::Resolved;

/// The first and last 8 bytes of `b` as words, read with fixed-width loads (a
/// variable-length copy through the stack stalls store forwarding on every call). Shorter
/// slices overlap or are packed byte by byte; together the two words cover `b` entirely
/// when it is at most 16 bytes long.
#[inline]
pub(crate) fn ends(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    if n >= 8 {
        let first = <[u8; 8]>::try_from(&b[..8]).map_or(0, u64::from_le_bytes);
        let last = <[u8; 8]>::try_from(&b[n - 8..]).map_or(0, u64::from_le_bytes);
        (first, last)
    } else if n >= 4 {
        let lo = <[u8; 4]>::try_from(&b[..4]).map_or(0, u32::from_le_bytes);
        let hi = <[u8; 4]>::try_from(&b[n - 4..]).map_or(0, u32::from_le_bytes);
        let w = u64::from(lo) | (u64::from(hi) << 32);
        (w, w)
    } else {
        let w = b.iter().fold(0u64, |w, &x| (w << 8) | u64::from(x));
        (w, w)
    }
}

/// One part's fingerprint from its words and length.
#[inline]
pub(crate) fn mix(first: u64, last: u64, len: usize) -> u64 {
    first ^ last.rotate_left(29) ^ (len as u64)
}

/// The hash of a series' parts: each part's fingerprint (`at(index, part)`), rotated by its
/// position, then one multiply (a chain of multiplies would put their latency on the hot
/// path).
#[inline]
fn combine(
    step: &str,
    name: &str,
    labels: &[(&str, &str)],
    mut at: impl FnMut(usize, &str) -> u64,
) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = at(0, step) ^ at(1, name).rotate_left(17);
    for (i, (k, v)) in labels.iter().enumerate() {
        h = h.rotate_left(23) ^ at(2 + 2 * i, k) ^ at(3 + 2 * i, v).rotate_left(41);
    }
    let h = h.wrapping_mul(K);
    h ^ (h >> 29)
}

/// The hash of a series' parts.
#[inline]
pub(crate) fn hash(step: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    combine(step, name, labels, |_, p| {
        let (first, last) = ends(p.as_bytes());
        mix(first, last, p.len())
    })
}

/// A stored part: its words (which cover it entirely up to 16 bytes) and, when longer, its
/// bytes.
pub(crate) struct Part {
    first: u64,
    last: u64,
    pub(crate) len: usize,
    long: Option<Box<[u8]>>,
}

impl Part {
    pub(crate) fn new(p: &str) -> Self {
        let (first, last) = ends(p.as_bytes());
        Self {
            first,
            last,
            len: p.len(),
            long: (p.len() > 16).then(|| Box::from(p.as_bytes())),
        }
    }

    /// Whether `p` is this part, byte for byte.
    #[inline]
    fn is(&self, p: &str) -> bool {
        if self.len != p.len() {
            return false;
        }
        let (first, last) = ends(p.as_bytes());
        self.is_words(first, last, p)
    }

    /// [`Part::is`] given the words of `p` (of the same length).
    #[inline]
    pub(crate) fn is_words(&self, first: u64, last: u64, p: &str) -> bool {
        first == self.first
            && last == self.last
            && (p.len() <= 16 || self.long.as_deref() == Some(p.as_bytes()))
    }
}

struct Entry {
    hash: u64,
    /// Step, name, then each label's key and value, in the caller's order.
    parts: Box<[Part]>,
    resolved: Resolved,
}

impl Entry {
    /// The hash of these parts and whether they are this entry's, reading each part once.
    #[inline]
    fn hash_and_compare<const N: usize>(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str); N],
    ) -> (u64, bool) {
        let parts = &*self.parts;
        let mut same = parts.len() == 2 + 2 * N;
        let h = combine(step, name, labels, |j, p| {
            let (first, last) = ends(p.as_bytes());
            // `&=`, not `&&`: no branch per part, whether the parts match or not.
            same &= parts
                .get(j)
                .is_some_and(|s| s.len == p.len() && s.is_words(first, last, p));
            mix(first, last, p.len())
        });
        (h, same)
    }

    /// Whether these are this entry's parts, byte for byte.
    #[inline]
    fn is(&self, step: &str, name: &str, labels: &[(&str, &str)]) -> bool {
        let [s, n, rest @ ..] = &*self.parts else {
            return false;
        };
        // `&`, not `&&`: a branch per part costs more than the comparisons it skips.
        rest.len() == 2 * labels.len()
            && s.is(step) & n.is(name)
            && rest
                .chunks_exact(2)
                .zip(labels)
                .fold(true, |same, (kv, (k, v))| same & kv[0].is(k) & kv[1].is(v))
    }
}

/// The table. Capacity is a power of two, kept under 50% full.
#[derive(Default)]
pub(crate) struct SeriesCache {
    slots: Box<[Option<Entry>]>,
    len: usize,
    /// The slot of the entry found last: tried first, as the same series is usually
    /// recorded several times in a row.
    recent: Cell<usize>,
}

impl SeriesCache {
    /// The series for these parts. The entry found last is compared while the parts are
    /// hashed, in one reading; only when it differs is the table probed (reading the parts
    /// again to verify the entry found).
    #[inline]
    pub(crate) fn lookup<const N: usize>(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str); N],
    ) -> Option<&Resolved> {
        let recent = self.slots.get(self.recent.get()).and_then(Option::as_ref);
        let (h, same) = match recent {
            Some(e) => e.hash_and_compare(step, name, labels),
            None => (hash(step, name, labels), false),
        };
        if same {
            return recent.map(|e| &e.resolved);
        }
        self.probe(h, step, name, labels)
    }

    /// The series for these parts, whose [`hash`] is `h`, from the table.
    #[inline]
    pub(crate) fn probe(
        &self,
        h: u64,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Option<&Resolved> {
        let mask = self.slots.len().wrapping_sub(1);
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let mut i = (h as usize) & mask;
        loop {
            let e = self.slots.get(i)?.as_ref()?;
            if e.hash == h && e.is(step, name, labels) {
                self.recent.set(i);
                return Some(&e.resolved);
            }
            i = (i + 1) & mask;
        }
    }

    /// Inserts (the caller found no entry for these parts).
    #[cold]
    pub(crate) fn insert(
        &mut self,
        h: u64,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        resolved: Resolved,
    ) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let parts = [step, name]
            .into_iter()
            .chain(labels.iter().flat_map(|(k, v)| [*k, *v]))
            .map(Part::new)
            .collect();
        self.len += 1;
        self.place(Entry {
            hash: h,
            parts,
            resolved,
        });
    }

    fn place(&mut self, entry: Entry) {
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let mut i = (entry.hash as usize) & mask;
        while self.slots[i].is_some() {
            i = (i + 1) & mask;
        }
        self.slots[i] = Some(entry);
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, (0..cap).map(|_| None).collect());
        for e in old.into_vec().into_iter().flatten() {
            self.place(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Kind;

    fn resolved(slot: u32) -> Resolved {
        Resolved {
            kind: Kind::Counter,
            slot,
            bounds: None,
            gauge: None,
        }
    }

    fn put(c: &mut SeriesCache, step: &str, name: &str, labels: &[(&str, &str)], slot: u32) {
        c.insert(hash(step, name, labels), step, name, labels, resolved(slot));
    }

    /// Through the thread's most recent series first, as the hot path.
    fn slot<const N: usize>(
        c: &SeriesCache,
        step: &str,
        name: &str,
        labels: &[(&str, &str); N],
    ) -> Option<u32> {
        c.lookup(step, name, labels).map(|r| r.slot)
    }

    /// Through the table only, any number of labels.
    fn probed(c: &SeriesCache, step: &str, name: &str, labels: &[(&str, &str)]) -> Option<u32> {
        c.probe(hash(step, name, labels), step, name, labels)
            .map(|r| r.slot)
    }

    #[test]
    fn short_parts_compare_exactly() {
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "0123456789abcdef",
            "\0a",
            "a\0",
        ];
        let mut c = SeriesCache::default();
        for (i, w) in words.iter().enumerate() {
            put(&mut c, "s", w, &[], u32::try_from(i).unwrap());
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(
                slot(&c, "s", w, &[]),
                Some(u32::try_from(i).unwrap()),
                "{w:?}"
            );
        }
    }

    #[test]
    fn verifies_every_byte_and_survives_growth() {
        let mut c = SeriesCache::default();
        // Same length, same first and last 8 bytes: same hash, different series.
        let a = "abcdefgh-1-stuvwxyz";
        let b = "abcdefgh-2-stuvwxyz";
        assert_eq!(hash("s", "n", &[("p", a)]), hash("s", "n", &[("p", b)]));
        put(&mut c, "s", "n", &[("p", a)], 1);
        assert_eq!(slot(&c, "s", "n", &[("p", b)]), None);
        put(&mut c, "s", "n", &[("p", b)], 2);
        for i in 0..1000u32 {
            put(&mut c, "s", "m", &[("k", &i.to_string())], i + 10);
        }
        assert_eq!(slot(&c, "s", "n", &[("p", a)]), Some(1));
        assert_eq!(slot(&c, "s", "n", &[("p", b)]), Some(2));
        assert_eq!(slot(&c, "s", "m", &[("k", "999")]), Some(1009));
        // Parts do not run into each other.
        assert_eq!(slot(&c, "sn", "", &[("p", a)]), None);
        assert_eq!(slot(&c, "s", "np", &[("", a)]), None);
    }

    #[test]
    fn every_label_count_finds_its_own_series() {
        // Label sets of every size are told apart.
        let kv = [
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
            ("d", "4"),
            ("e", "5"),
            ("f", "6"),
        ];
        let mut c = SeriesCache::default();
        for n in 0..=kv.len() {
            put(&mut c, "s", "n", &kv[..n], u32::try_from(n).unwrap());
        }
        for n in 0..=kv.len() {
            assert_eq!(
                probed(&c, "s", "n", &kv[..n]),
                Some(u32::try_from(n).unwrap())
            );
            let mut other = kv;
            other[n.saturating_sub(1)].1 = "x";
            if n > 0 {
                assert_eq!(probed(&c, "s", "n", &other[..n]), None, "{n} labels");
            }
        }
    }

    #[test]
    fn the_recent_entry_is_verified_byte_for_byte() {
        // Long parts that agree in length and in their first and last 8 bytes.
        let a = "abcdefgh-1-stuvwxyz";
        let b = "abcdefgh-2-stuvwxyz";
        let mut c = SeriesCache::default();
        put(&mut c, "s", "n", &[("p", a)], 1);
        put(&mut c, "s", "n", &[("p", b)], 2);
        for _ in 0..3 {
            assert_eq!(slot(&c, "s", "n", &[("p", a)]), Some(1));
            assert_eq!(
                slot(&c, "s", "n", &[("p", a)]),
                Some(1),
                "from the recent entry"
            );
            assert_eq!(slot(&c, "s", "n", &[("p", b)]), Some(2));
            assert_eq!(
                slot(&c, "s", "n", &[("p", b)]),
                Some(2),
                "from the recent entry"
            );
            assert_eq!(slot(&c, "s", "n", &[("p", "abcdefgh-3-stuvwxyz")]), None);
            assert_eq!(
                slot(&c, "s", "n", &[("p", b), ("q", "1")]),
                None,
                "more parts"
            );
            assert_eq!(slot(&c, "s", "n", &[]), None, "fewer parts");
        }
    }
}
