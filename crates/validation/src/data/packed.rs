//! 128-bit hashes with a few 64-bit words each, packed little-endian as hex — how a
//! partial-result file carries id and reference sets (`partial.rs`).

fn hex(bytes: &[u8], out: &mut String) {
    use std::fmt::Write as _;
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

pub(crate) fn hash_hex(h: u128) -> String {
    let mut out = String::with_capacity(32);
    hex(&h.to_le_bytes(), &mut out);
    out
}

/// `entries` (hash, then 8-byte words) packed little-endian as hex, sorted by hash.
pub(crate) fn pack<const W: usize>(mut entries: Vec<(u128, [u64; W])>) -> String {
    entries.sort_unstable_by_key(|e| e.0);
    let mut out = String::with_capacity(entries.len() * (32 + 16 * W));
    for (h, words) in entries {
        hex(&h.to_le_bytes(), &mut out);
        for w in words {
            hex(&w.to_le_bytes(), &mut out);
        }
    }
    out
}

/// The inverse of [`pack`]; `None` when the text is not such a packing.
pub(crate) fn unpack<const W: usize>(text: &str) -> Option<Vec<(u128, [u64; W])>> {
    let bytes = text.as_bytes();
    let width = 32 + 16 * W;
    if !bytes.len().is_multiple_of(width) || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let byte = |i: usize| -> Option<u8> {
        let s = std::str::from_utf8(bytes.get(i..i + 2)?).ok()?;
        u8::from_str_radix(s, 16).ok()
    };
    let mut out = Vec::with_capacity(bytes.len() / width);
    for entry in bytes.chunks(width) {
        let base = out.len() * width;
        let mut h = [0u8; 16];
        for (k, b) in h.iter_mut().enumerate() {
            *b = byte(base + 2 * k)?;
        }
        let mut words = [0u64; W];
        for (w, word) in words.iter_mut().enumerate() {
            let mut le = [0u8; 8];
            for (k, b) in le.iter_mut().enumerate() {
                *b = byte(base + 32 + 16 * w + 2 * k)?;
            }
            *word = u64::from_le_bytes(le);
        }
        debug_assert_eq!(entry.len(), width);
        out.push((u128::from_le_bytes(h), words));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_sorted_and_refuses_garbage() {
        let packed = pack(vec![(u128::MAX, [7u64, 0]), (1, [u64::MAX, 3])]);
        assert_eq!(packed.len(), 2 * (32 + 32));
        assert_eq!(
            unpack::<2>(&packed),
            Some(vec![(1, [u64::MAX, 3]), (u128::MAX, [7, 0])])
        );
        assert_eq!(unpack::<1>(&packed[..10]), None);
        assert_eq!(unpack::<0>(&"zz".repeat(16)), None);
        assert_eq!(unpack::<0>(&hash_hex(42)), Some(vec![(42, [])]));
    }
}
