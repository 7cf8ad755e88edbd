//! The lexer's fast path: a whole value's raw bytes handed on in pieces without
//! tokenizing them, aware only of strings, escapes and nesting depth — what lets one
//! reader feed several workers. Lines are still counted, so positions after it stay right.

use std::io::Read;

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
        loop {
            let end = self.end;
            let buf = &self.buf[..end];
            while i < end {
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
        }
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
