//! Equality of short byte strings (JSON member names) without a `memcmp` call: both
//! scanners compare every member name they read against the few names a node knows, and a
//! library call per comparison cost more than the comparison (3–4 % of a FHIR export's
//! required + unique checks).

/// Whether `a` and `b` are equal: by overlapping words of 8, 4, 2 or 1 bytes whatever the
/// length, so a name of any length is two loads from each side, a longer one a few more.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1 => a[0] == b[0],
        2..=3 => word::<2>(a, 0) == word::<2>(b, 0) && word::<2>(a, n - 2) == word::<2>(b, n - 2),
        4..=7 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        _ => {
            let mut i = 0;
            while i + 8 < n {
                if word::<8>(a, i) != word::<8>(b, i) {
                    return false;
                }
                i += 8;
            }
            word::<8>(a, n - 8) == word::<8>(b, n - 8)
        }
    }
}

/// Code points of a checked UTF-8 string.
pub(crate) fn code_points(s: &[u8]) -> u64 {
    s.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

/// `N` bytes of `s` from `i` as one little-endian number (`None` past the end, which the
/// callers' lengths rule out).
#[inline(always)]
fn word<const N: usize>(s: &[u8], i: usize) -> Option<u64> {
    let mut w = [0u8; 8];
    w[..N].copy_from_slice(s.get(i..i + N)?);
    Some(u64::from_le_bytes(w))
}

#[cfg(test)]
mod tests {
    use super::same_bytes;

    #[test]
    fn same_bytes_is_equality_at_every_length_and_position() {
        for n in 0..40usize {
            let a: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz"
                .iter()
                .copied()
                .cycle()
                .take(n)
                .collect();
            assert!(same_bytes(&a, &a.clone()), "{n}");
            assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0, "{n}");
            for k in 0..n {
                let mut b = a.clone();
                b[k] ^= 0x01;
                assert!(!same_bytes(&a, &b), "length {n}, byte {k}");
                b[k] ^= 0x81;
                assert!(!same_bytes(&a, &b), "length {n}, byte {k}, high bit");
            }
        }
    }
}
