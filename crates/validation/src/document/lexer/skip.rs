//! The lexer's fast path: a whole value's raw bytes handed on in pieces without
//! tokenizing them, aware only of strings, escapes and nesting depth — what lets one
//! reader feed several workers. Lines are still counted, so positions after it stay right.
//! A 64-byte block without a `\` is read by bit masks (quotes, brackets, newlines found
//! by vector compares; strings by the parity of the quotes before each byte); any other
//! byte by the byte loop.

use std::io::Read;

use wide::u8x16;

use super::{Expect, Found, LexError, Lexer};
use crate::document::event::Pos;
use crate::document::lex_scan::{LO, bytes_eq, quote_or_escape, word};

/// Bytes that matter outside strings while skipping: 1 for a quote, 2 opening, 3 closing,
/// 4 a newline.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = 1;
    t[b'[' as usize] = 2;
    t[b'{' as usize] = 2;
    t[b']' as usize] = 3;
    t[b'}' as usize] = 3;
    t[b'\n' as usize] = 4;
    t
};

impl<R: Read> Lexer<R> {
    /// Consumes the next value (which must be allowed here) without tokenizing it, handing
    /// its raw bytes to `sink` in pieces as they are read; returns where it starts. A
    /// scalar is lexed (and so checked); an array or object is only matched for its end,
    /// so its content is checked by whoever lexes the pieces.
    pub(crate) fn skip_value(&mut self, sink: &mut impl FnMut(&[u8])) -> Result<Pos, LexError> {
        let b = match self.peek()? {
            Some(b) if matches!(self.expect, Expect::Value | Expect::ValueOrEnd) && b != b']' => b,
            Some(b) => return Err(self.error(self.pos, "a value", Found::of(b))),
            None => return Err(self.error(self.pos, "a value", Found::End)),
        };
        let at = self.here();
        if b != b'[' && b != b'{' {
            // The scalar was lexed whole from one buffer: it ends at `pos`.
            let before = self.pos;
            let base = self.base;
            self.value(b)?;
            let start = before - usize::try_from(self.base - base).unwrap_or(before);
            sink(&self.buf[start..self.pos]);
            return Ok(at);
        }
        let mut depth: u64 = 0;
        let mut in_string = false;
        let mut i = self.pos;
        let mut piece = self.pos;
        // Blocks with a `\` are read by the byte loop up to here.
        let mut bytewise_until = 0;
        loop {
            let end = self.end;
            let buf = &self.buf[..end];
            while i < end {
                // Whole 64-byte blocks without a `\` go by bit masks (most of a record).
                if i >= bytewise_until
                    && let Some(bytes) = buf.get(i..i + 64)
                {
                    let m = Masks::of(bytes);
                    // Escapes are rare: such a block is read byte by byte.
                    bytewise_until = i + 64;
                    if m.backslash == 0 {
                        let step = block(&m, &mut depth, &mut in_string);
                        if step.newlines != 0 {
                            self.line += u64::from(step.newlines.count_ones());
                            let last = 63 - step.newlines.leading_zeros() as usize;
                            self.line_start = self.base + (i + last) as u64 + 1;
                        }
                        if let Some(bit) = step.end {
                            i += bit as usize + 1;
                            sink(&buf[piece..i]);
                            self.pos = i;
                            self.after_value();
                            return Ok(at);
                        }
                        i += 64;
                        continue;
                    }
                }
                if in_string {
                    match quote_or_escape(buf, i) {
                        Some(j) if buf[j] == b'"' => {
                            i = j + 1;
                            in_string = false;
                        }
                        Some(j) if j + 1 < end => i = j + 2,
                        // A `\` at the buffer's end: read on from it.
                        Some(j) => {
                            i = j;
                            break;
                        }
                        None => i = end,
                    }
                    continue;
                }
                i = structural(buf, i);
                if i == end {
                    break;
                }
                match CLASS[usize::from(buf[i])] {
                    1 => in_string = true,
                    2 => depth += 1,
                    3 => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            sink(&buf[piece..i]);
                            self.pos = i;
                            self.after_value();
                            return Ok(at);
                        }
                    }
                    0 => {}
                    _ => {
                        self.line += 1;
                        self.line_start = self.base + i as u64 + 1;
                    }
                }
                i += 1;
            }
            // Hand on what was scanned, keep an unfinished escape, and read on.
            if i > piece {
                sink(&self.buf[piece..i]);
            }
            self.pos = i;
            let keep = i;
            if !self.refill(keep)? {
                return Err(self.error(self.end, "the end of the value", Found::End));
            }
            i = self.pos;
            piece = self.pos;
            bytewise_until = 0;
        }
    }
}

/// Where the bytes that matter to a skip are in one 64-byte block (bit `k` is byte `k`).
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
    newline: u64,
}

impl Masks {
    /// Five vector compares per sixteen bytes (SSE2 on x86-64, NEON on aarch64, through
    /// `wide`'s safe API).
    #[inline]
    fn of(block: &[u8]) -> Self {
        let mut m = Self {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
            newline: 0,
        };
        for (k, part) in block.chunks_exact(16).enumerate() {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(part);
            let v = u8x16::new(bytes);
            // A 16-lane mask fills the low 16 bits of `to_bitmask`.
            let bits = |mask: u8x16| u64::from(mask.to_bitmask()) << (16 * k);
            // `[`/`{` and `]`/`}` differ from each other only in bit 5.
            let folded = v | u8x16::splat(0x20);
            m.quote |= bits(v.simd_eq(u8x16::splat(b'"')));
            m.backslash |= bits(v.simd_eq(u8x16::splat(b'\\')));
            m.open |= bits(folded.simd_eq(u8x16::splat(b'{')));
            m.close |= bits(folded.simd_eq(u8x16::splat(b'}')));
            m.newline |= bits(v.simd_eq(u8x16::splat(b'\n')));
        }
        m
    }
}

/// Bit `k` set when an odd number of bits at or below `k` are set in `x`.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// What one block did to a skip.
struct Step {
    /// The bit of the bracket that closes the value, if it is in this block.
    end: Option<u32>,
    /// Newlines outside strings before that end (or in the whole block).
    newlines: u64,
}

/// One 64-byte block without a `\\`: strings by the parity of the quotes before each byte,
/// brackets outside them counted into `depth`, `in_string` carried to the next block.
#[inline]
fn block(m: &Masks, depth: &mut u64, in_string: &mut bool) -> Step {
    let inside = prefix_xor(m.quote) ^ if *in_string { u64::MAX } else { 0 };
    let open = m.open & !inside;
    let close = m.close & !inside;
    let newlines = m.newline & !inside;
    if u64::from(close.count_ones()) < *depth {
        // It cannot reach depth 0 in this block.
        *depth = *depth + u64::from(open.count_ones()) - u64::from(close.count_ones());
    } else {
        let mut brackets = open | close;
        while brackets != 0 {
            let bit = brackets.trailing_zeros();
            brackets &= brackets - 1;
            if open & (1 << bit) != 0 {
                *depth += 1;
            } else {
                *depth -= 1;
                if *depth == 0 {
                    return Step {
                        end: Some(bit),
                        newlines: newlines & ((1u64 << bit) - 1),
                    };
                }
            }
        }
    }
    *in_string ^= m.quote.count_ones() % 2 == 1;
    Step {
        end: None,
        newlines,
    }
}

/// The first byte at or after `i` that may matter outside a string (`"`, a newline, or a
/// byte like a bracket: `b & 0xD9 == 0x59` holds for `[ ] { }` and a few letters, which
/// the caller's table tells apart), eight bytes at a time; `buf.len()` when none.
#[inline]
fn structural(buf: &[u8], mut i: usize) -> usize {
    while let Some(v) = word(buf, i) {
        let m = bytes_eq(v, b'"') | bytes_eq(v, b'\n') | bytes_eq(v & (LO * 0xD9), 0x59);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < buf.len() && CLASS[usize::from(buf[i])] == 0 {
        i += 1;
    }
    i
}
