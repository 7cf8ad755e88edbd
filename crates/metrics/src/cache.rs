//! The per-thread series cache: an open-addressing table from (step, name, labels) to a
//! resolved series, hashed cheaply (length and first/last 8 bytes of each part) and always
//! verified against the full text, so a collision costs a probe, never a wrong series.

use crate::registry::Resolved;

/// The first and last 8 bytes of `b` as words, read with fixed-width loads (a
/// variable-length copy through the stack stalls store forwarding on every call). Shorter
/// slices overlap or are packed byte by byte; together the two words cover `b` entirely
/// when it is at most 16 bytes long.
#[inline]
fn ends(b: &[u8]) -> (u64, u64) {
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

/// A lookup key: the hash of the parts (each part's words are recomputed when verifying;
/// keeping them costs more in stores than the loads they would save).
pub(crate) struct Probe {
    pub(crate) hash: u64,
    n: usize,
}

impl Probe {
    #[inline]
    pub(crate) fn new(step: &str, name: &str, labels: &[(&str, &str)]) -> Self {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut p = Self { hash: 0, n: 0 };
        let mut add = |s: &str| {
            let (first, last) = ends(s.as_bytes());
            p.n += 1;
            let x = first ^ last.rotate_left(29) ^ (s.len() as u64);
            p.hash = (p.hash ^ x).wrapping_mul(K).rotate_left(31);
        };
        add(step);
        add(name);
        for (k, v) in labels {
            add(k);
            add(v);
        }
        p
    }
}

#[cfg(test)]
pub(crate) fn hash(step: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    Probe::new(step, name, labels).hash
}

/// Whether part `p` equals the stored part `j` of `e`: its words for parts up to 16 bytes
/// (which cover them entirely), the bytes beyond that.
#[inline]
fn part_eq(e: &Entry, j: usize, p: &str) -> bool {
    let Some(w) = e.words.get(j) else {
        return false;
    };
    if w.2 != p.len() {
        return false;
    }
    let (first, last) = ends(p.as_bytes());
    if w.0 != first || w.1 != last {
        return false;
    }
    p.len() <= 16
        || e.long
            .get(j)
            .and_then(Option::as_deref)
            .is_some_and(|t| t == p.as_bytes())
}

#[inline]
fn key_eq(e: &Entry, probe: &Probe, step: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    if e.words.len() != probe.n || !part_eq(e, 0, step) || !part_eq(e, 1, name) {
        return false;
    }
    labels
        .iter()
        .enumerate()
        .all(|(i, (k, v))| part_eq(e, 2 + 2 * i, k) && part_eq(e, 3 + 2 * i, v))
}

fn parts<'a>(
    step: &'a str,
    name: &'a str,
    labels: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = &'a str> {
    [step, name]
        .into_iter()
        .chain(labels.iter().flat_map(|(k, v)| [*k, *v]))
}

struct Entry {
    hash: u64,
    /// (first 8 bytes, last 8 bytes, length) of each part, in the caller's order.
    words: Box<[(u64, u64, usize)]>,
    /// The bytes of parts longer than 16 bytes (`None` for the others).
    long: Box<[Option<Box<[u8]>>]>,
    resolved: Resolved,
}

/// The table. Capacity is a power of two, kept under 50% full.
#[derive(Default)]
pub(crate) struct SeriesCache {
    slots: Vec<Option<Entry>>,
    len: usize,
}

impl SeriesCache {
    /// The slot index of the entry for these parts.
    #[inline]
    pub(crate) fn find(
        &self,
        probe: &Probe,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Option<usize> {
        let h = probe.hash;
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let mut i = (h as usize) & mask;
        loop {
            match &self.slots[i] {
                None => return None,
                Some(e) if e.hash == h && key_eq(e, probe, step, name, labels) => return Some(i),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    /// The series at a slot index from [`SeriesCache::find`] or [`SeriesCache::insert`].
    #[inline]
    pub(crate) fn at(&self, i: usize) -> Option<&Resolved> {
        self.slots.get(i)?.as_ref().map(|e| &e.resolved)
    }

    #[cfg(test)]
    fn get(&self, _h: u64, step: &str, name: &str, labels: &[(&str, &str)]) -> Option<&Resolved> {
        self.find(&Probe::new(step, name, labels), step, name, labels)
            .and_then(|i| self.at(i))
    }

    /// Inserts and returns the slot index.
    #[cold]
    pub(crate) fn insert(
        &mut self,
        h: u64,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        resolved: Resolved,
    ) -> usize {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let entry = Entry {
            hash: h,
            words: parts(step, name, labels)
                .map(|p| {
                    let (first, last) = ends(p.as_bytes());
                    (first, last, p.len())
                })
                .collect(),
            long: parts(step, name, labels)
                .map(|p| (p.len() > 16).then(|| Box::<[u8]>::from(p.as_bytes())))
                .collect(),
            resolved,
        };
        self.len += 1;
        self.place(entry)
    }

    fn place(&mut self, entry: Entry) -> usize {
        let mask = self.slots.len() - 1;
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let mut i = (entry.hash as usize) & mask;
        while self.slots[i].is_some() {
            i = (i + 1) & mask;
        }
        self.slots[i] = Some(entry);
        i
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, (0..cap).map(|_| None).collect());
        for e in old.into_iter().flatten() {
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
            let slot = u32::try_from(i).unwrap();
            c.insert(hash("s", w, &[]), "s", w, &[], resolved(slot));
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(c.get(0, "s", w, &[]).unwrap().slot as usize, i, "{w:?}");
        }
    }

    #[test]
    fn verifies_every_byte_and_survives_growth() {
        let mut c = SeriesCache::default();
        // Same length, same first and last 8 bytes: same hash, different series.
        let a = "abcdefgh-1-stuvwxyz";
        let b = "abcdefgh-2-stuvwxyz";
        assert_eq!(hash("s", "n", &[("p", a)]), hash("s", "n", &[("p", b)]));
        c.insert(
            hash("s", "n", &[("p", a)]),
            "s",
            "n",
            &[("p", a)],
            resolved(1),
        );
        assert!(
            c.get(hash("s", "n", &[("p", b)]), "s", "n", &[("p", b)])
                .is_none()
        );
        c.insert(
            hash("s", "n", &[("p", b)]),
            "s",
            "n",
            &[("p", b)],
            resolved(2),
        );
        for i in 0..1000u32 {
            let v = i.to_string();
            c.insert(
                hash("s", "m", &[("k", &v)]),
                "s",
                "m",
                &[("k", &v)],
                resolved(i + 10),
            );
        }
        assert_eq!(
            c.get(hash("s", "n", &[("p", a)]), "s", "n", &[("p", a)])
                .unwrap()
                .slot,
            1
        );
        assert_eq!(
            c.get(hash("s", "n", &[("p", b)]), "s", "n", &[("p", b)])
                .unwrap()
                .slot,
            2
        );
        assert_eq!(
            c.get(hash("s", "m", &[("k", "999")]), "s", "m", &[("k", "999")])
                .unwrap()
                .slot,
            1009
        );
        // Parts do not run into each other.
        assert!(
            c.get(hash("sn", "", &[("p", a)]), "sn", "", &[("p", a)])
                .is_none()
        );
    }
}
