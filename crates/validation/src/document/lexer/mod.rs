//! A strict (RFC 8259) pull lexer over any reader, with its own refilling buffer, and a
//! fast path that hands a whole value's raw bytes on without tokenizing it (`skip_value`).
//!
//! Newlines can only stand in whitespace (a string cannot hold a raw one), so lines are
//! counted where whitespace is skipped, and by a count over the bytes a skip passes.

use std::io::Read;

use super::event::{Pos, Token};
pub(crate) use super::lex_error::{Found, LexError, LexErrorKind};

mod skip;
mod token;
mod trusted;

pub(crate) use trusted::Trusted;

/// The buffer's starting size.
pub(crate) const BUFFER_BYTES: usize = 256 * 1024;
/// The longest token read by default (a longer one is an error, not an unbounded buffer).
pub(crate) const MAX_TOKEN_BYTES: usize = 64 * 1024 * 1024;
/// The deepest nesting of arrays and objects a tokenized value may have.
pub(crate) const MAX_DEPTH: usize = 1024;

/// What may come next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (the root, after `:` or after `,` in an array).
    Value,
    /// A value or `]` (just after `[`).
    ValueOrEnd,
    /// A key or `}` (just after `{`).
    KeyOrEnd,
    /// A key (after `,` in an object).
    Key,
    /// `,` or the end of the container.
    CommaOrEnd,
    /// Nothing but whitespace (the root value is complete).
    Done,
}

/// A pull lexer: [`next`](Self::next) returns one token at a time with where it starts.
pub(crate) struct Lexer<R> {
    src: R,
    buf: Vec<u8>,
    /// The next unread byte.
    pos: usize,
    /// The end of the bytes read.
    end: usize,
    eof: bool,
    /// Document offset of `buf[0]`.
    base: u64,
    line: u64,
    /// Document offset of the current line's first byte.
    line_start: u64,
    /// Open containers: true for an object.
    stack: Vec<bool>,
    expect: Expect,
    max_token: usize,
    started: bool,
}

impl<R: Read> Lexer<R> {
    /// A lexer over a whole document.
    pub(crate) fn new(src: R) -> Self {
        Self::with_origin(
            src,
            Pos {
                offset: 0,
                line: 1,
                column: 1,
            },
        )
    }

    /// A lexer over bytes that start at `origin` in a larger document (a record's bytes),
    /// so every position it reports is the document's.
    pub(crate) fn with_origin(src: R, origin: Pos) -> Self {
        Self::with_origin_buf(src, origin, vec![0; BUFFER_BYTES])
    }

    fn with_origin_buf(src: R, origin: Pos, buf: Vec<u8>) -> Self {
        Self {
            src,
            buf,
            pos: 0,
            end: 0,
            eof: false,
            base: origin.offset,
            line: origin.line,
            line_start: origin.line_start(),
            stack: Vec::new(),
            expect: Expect::Value,
            max_token: MAX_TOKEN_BYTES,
            started: origin.offset != 0,
        }
    }

    /// Like [`with_origin`](Self::with_origin), reusing a buffer from
    /// [`into_buffer`](Self::into_buffer) (a worker lexes many records).
    pub(crate) fn with_buffer(src: R, origin: Pos, mut buf: Vec<u8>) -> Self {
        if buf.len() < BUFFER_BYTES {
            buf.resize(BUFFER_BYTES, 0);
        }
        let mut lexer = Self::with_origin_buf(src, origin, buf);
        lexer.started = true;
        lexer
    }

    /// The reader it reads.
    pub(crate) fn source(&self) -> &R {
        &self.src
    }

    /// The buffer, for the next lexer.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Sets the longest token allowed.
    pub(crate) fn max_token_bytes(mut self, limit: usize) -> Self {
        self.max_token = limit.max(16);
        self
    }

    /// Bytes consumed so far (a document offset).
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Where the next byte is.
    pub(crate) fn here(&self) -> Pos {
        self.pos_of(self.pos)
    }

    fn pos_of(&self, i: usize) -> Pos {
        Pos::on_line(self.base + i as u64, self.line, self.line_start)
    }

    fn error(&self, i: usize, expected: &'static str, found: Found) -> LexError {
        LexError {
            pos: self.pos_of(i),
            kind: LexErrorKind::Syntax { expected, found },
        }
    }

    /// Reads more, keeping `buf[keep..]`; false at the end of input.
    fn refill(&mut self, keep: usize) -> Result<bool, LexError> {
        if self.eof {
            return Ok(false);
        }
        if keep > 0 {
            self.buf.copy_within(keep..self.end, 0);
            self.end -= keep;
            self.pos -= keep;
            self.base += keep as u64;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= self.max_token {
                return Err(LexError {
                    pos: self.pos_of(0),
                    kind: LexErrorKind::TooLong {
                        limit: self.max_token,
                    },
                });
            }
            let grown = (self.buf.len() * 2).min(self.max_token);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(LexError {
                        pos: self.pos_of(self.end),
                        kind: LexErrorKind::Io(e.to_string()),
                    });
                }
            }
        }
    }

    /// Skips whitespace; the next byte, or None at the end of input.
    #[inline]
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, LexError> {
        // Compact JSON: the next byte is the token's own, already read.
        if self.started
            && let Some(&b) = self.buf[..self.end].get(self.pos)
            && !matches!(b, b' ' | b'\t' | b'\r' | b'\n')
        {
            return Ok(Some(b));
        }
        self.peek_slow()
    }

    /// [`peek`](Self::peek) past whitespace, a refill or the byte-order mark.
    #[inline(never)]
    fn peek_slow(&mut self) -> Result<Option<u8>, LexError> {
        if !self.started {
            self.started = true;
            while self.end < 3 && self.refill(0)? {}
            if self.buf[..self.end].starts_with(b"\xEF\xBB\xBF") {
                self.pos = 3;
                self.line_start = self.base + 3;
            }
        }
        loop {
            while self.pos < self.end {
                let b = self.buf[self.pos];
                match b {
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                        self.line_start = self.base + self.pos as u64;
                    }
                    _ => return Ok(Some(b)),
                }
            }
            let keep = self.pos;
            if !self.refill(keep)? {
                return Ok(None);
            }
        }
    }

    /// The state after a value closes.
    fn after_value(&mut self) {
        self.expect = if self.stack.is_empty() {
            Expect::Done
        } else {
            Expect::CommaOrEnd
        };
    }

    /// Consumes whitespace and a separating `,`; true when a value comes next (false before
    /// a closing bracket or at the end).
    pub(crate) fn next_is_value(&mut self) -> Result<bool, LexError> {
        let Some(b) = self.peek()? else {
            return Ok(false);
        };
        if self.expect == Expect::CommaOrEnd && b == b',' && self.stack.last() == Some(&false) {
            self.pos += 1;
            self.expect = Expect::Value;
            let next = self.peek()?;
            return Ok(next.is_some_and(|b| b != b']' && b != b'}'));
        }
        Ok(matches!(self.expect, Expect::Value | Expect::ValueOrEnd) && b != b']')
    }

    /// The next token and where it starts; None after the root value and trailing
    /// whitespace.
    pub(crate) fn next(&mut self) -> Result<Option<(Token<'_>, Pos)>, LexError> {
        let Some(mut b) = self.peek()? else {
            return match self.expect {
                Expect::Done => Ok(None),
                Expect::Value | Expect::ValueOrEnd => {
                    Err(self.error(self.pos, "a value", Found::End))
                }
                Expect::Key | Expect::KeyOrEnd => Err(self.error(self.pos, "a key", Found::End)),
                Expect::CommaOrEnd => {
                    Err(self.error(self.pos, "',' or a closing bracket", Found::End))
                }
            };
        };
        match self.expect {
            Expect::Done => return Err(self.error(self.pos, "the end of input", Found::of(b))),
            Expect::CommaOrEnd => {
                let object = self.stack.last() == Some(&true);
                match (b, object) {
                    (b',', true) => self.expect = Expect::Key,
                    (b',', false) => self.expect = Expect::Value,
                    (b'}', true) | (b']', false) => return Ok(Some(self.close())),
                    (_, true) => return Err(self.error(self.pos, "',' or '}'", Found::of(b))),
                    (_, false) => return Err(self.error(self.pos, "',' or ']'", Found::of(b))),
                }
                self.pos += 1;
                b = match self.peek()? {
                    Some(b) => b,
                    None => return Err(self.error(self.pos, "a value or key", Found::End)),
                };
            }
            _ => {}
        }
        match self.expect {
            Expect::KeyOrEnd if b == b'}' => Ok(Some(self.close())),
            Expect::ValueOrEnd if b == b']' => Ok(Some(self.close())),
            Expect::Key | Expect::KeyOrEnd => {
                if b != b'"' {
                    return Err(self.error(self.pos, "a key (a string)", Found::of(b)));
                }
                self.key().map(Some)
            }
            _ => self.value(b).map(Some),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_trusted;
