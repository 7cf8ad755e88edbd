//! The line's string stops found before the scan, sixteen bytes at a time: one bit per byte
//! that ends a run of plain string content (`"`, `\` or a control character), so the scanner
//! finds a string's end with a bit search instead of a byte loop; and whether the line has a
//! byte at or above 0x80, so UTF-8 is validated only when it can be invalid.

use wide::u8x16;

/// The stops of one line, 64 bytes to a word (bit `i % 64` of word `i / 64` is byte `i`).
#[derive(Debug, Default)]
pub(super) struct Stops {
    words: Vec<u64>,
}

impl Stops {
    /// Classifies `line`; returns whether it holds a byte at or above 0x80.
    pub(super) fn fill(&mut self, line: &[u8]) -> bool {
        self.words.clear();
        let mut high = 0u64;
        let mut blocks = line.chunks_exact(64);
        for block in &mut blocks {
            let (stops, h) = block64(block);
            self.words.push(stops);
            high |= h;
        }
        let rest = blocks.remainder();
        if !rest.is_empty() && line.len() >= 64 {
            // The last 64 bytes of the line, its tail's bits shifted down: no copy.
            let (stops, h) = block64(&line[line.len() - 64..]);
            self.words.push(stops >> (64 - rest.len()));
            high |= h;
        } else if !rest.is_empty() {
            let mut padded = [b' '; 64];
            padded[..rest.len()].copy_from_slice(rest);
            let (stops, h) = block64(&padded);
            // The padding is spaces: no stops, no high bytes.
            self.words.push(stops);
            high |= h;
        }
        high != 0
    }

    /// The stops, 64 bytes to a word; the last word's bits past the line are clear.
    pub(super) fn words(&self) -> &[u64] {
        &self.words
    }
}

/// Stops of 64 bytes as a bit mask, and whether any of them is at or above 0x80 (nonzero).
#[inline]
fn block64(block: &[u8]) -> (u64, u64) {
    let mut stops = 0u64;
    let mut high = u8x16::splat(0);
    for (k, part) in block.chunks_exact(16).enumerate() {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(part);
        let v = u8x16::new(bytes);
        stops |= u64::from(block16(v)) << (16 * k);
        high |= v;
    }
    (stops, u64::from(high.to_bitmask()))
}

/// Stops of 16 bytes: three vector compares and a mask extraction (SSE2 on x86-64, NEON on
/// aarch64, through `wide`'s safe API).
#[inline]
#[allow(
    clippy::cast_possible_truncation,
    reason = "a 16-lane mask fills the low 16 bits"
)]
fn block16(v: u8x16) -> u16 {
    let limit = u8x16::splat(0x1f);
    let stops = v.simd_eq(u8x16::splat(b'"'))
        | v.simd_eq(u8x16::splat(b'\\'))
        | v.max(limit).simd_eq(limit);
    stops.to_bitmask() as u16
}
