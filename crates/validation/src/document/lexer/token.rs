//! The lexer's tokens one by one: containers opening and closing, keys with their `:`,
//! strings, numbers and literals, each checked against RFC 8259 where it is read.

use std::io::Read;

use super::{Expect, Found, LexError, LexErrorKind, Lexer, MAX_DEPTH};
use crate::document::event::{Pos, Str, Token};
use crate::document::lex_scan::{
    literal_at, number_end, plain_string_end, string_end, valid_number, valid_string,
};

impl<R: Read> Lexer<R> {
    pub(super) fn close(&mut self) -> (Token<'static>, Pos) {
        let at = self.here();
        let object = self.stack.pop() == Some(true);
        self.pos += 1;
        self.after_value();
        (
            if object {
                Token::EndObject
            } else {
                Token::EndArray
            },
            at,
        )
    }

    pub(super) fn open(&mut self, object: bool) -> Result<(Token<'static>, Pos), LexError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(LexError {
                pos: self.here(),
                kind: LexErrorKind::TooDeep { limit: MAX_DEPTH },
            });
        }
        let at = self.here();
        self.stack.push(object);
        self.pos += 1;
        if object {
            self.expect = Expect::KeyOrEnd;
            Ok((Token::BeginObject, at))
        } else {
            self.expect = Expect::ValueOrEnd;
            Ok((Token::BeginArray, at))
        }
    }

    /// Reads a string at `self.pos` (its opening quote); returns (body start, body end,
    /// escaped) relative to the token's start, which is then at `self.pos`.
    pub(super) fn string(&mut self) -> Result<(usize, usize, bool), LexError> {
        // Most strings are short printable ASCII without escapes: found and checked in
        // one pass.
        if let Some(close) = plain_string_end(&self.buf[self.pos..self.end]) {
            return Ok((1, close, false));
        }
        let mut scanned = 1;
        let mut escaped = false;
        loop {
            let (found, esc) = string_end(&self.buf[self.pos..self.end], scanned);
            escaped |= esc;
            match found {
                Ok(close) => {
                    let body = &self.buf[self.pos + 1..self.pos + close];
                    if let Err((at, expected, f)) = valid_string(body, escaped) {
                        return Err(self.error(self.pos + 1 + at, expected, f));
                    }
                    return Ok((1, close, escaped));
                }
                Err(resume) => {
                    scanned = resume;
                    let keep = self.pos;
                    if !self.refill(keep)? {
                        return Err(self.error(self.end, "the string's closing '\"'", Found::End));
                    }
                }
            }
        }
    }

    pub(super) fn key(&mut self) -> Result<(Token<'_>, Pos), LexError> {
        let at = self.here();
        let (a, z, escaped) = self.string()?;
        // The `:` may need a refill: indices stay relative to the key's start.
        let mut i = z + 1;
        loop {
            while self.pos + i < self.end {
                match self.buf[self.pos + i] {
                    b' ' | b'\t' | b'\r' => i += 1,
                    b'\n' => {
                        i += 1;
                        self.line += 1;
                        self.line_start = self.base + (self.pos + i) as u64;
                    }
                    _ => break,
                }
            }
            if self.pos + i < self.end {
                break;
            }
            let keep = self.pos;
            if !self.refill(keep)? {
                return Err(self.error(self.end, "':' after the key", Found::End));
            }
        }
        let c = self.buf[self.pos + i];
        if c != b':' {
            return Err(self.error(self.pos + i, "':' after the key", Found::of(c)));
        }
        let start = self.pos;
        self.pos += i + 1;
        self.expect = Expect::Value;
        let raw = &self.buf[start + a..start + z];
        Ok((Token::Key(Str { raw, escaped }), at))
    }

    pub(super) fn value(&mut self, b: u8) -> Result<(Token<'_>, Pos), LexError> {
        let at = self.here();
        match b {
            b'{' => self.open(true),
            b'[' => self.open(false),
            b'"' => {
                let (a, z, escaped) = self.string()?;
                let start = self.pos;
                self.pos += z + 1;
                self.after_value();
                Ok((
                    Token::String(Str {
                        raw: &self.buf[start + a..start + z],
                        escaped,
                    }),
                    at,
                ))
            }
            b'-' | b'0'..=b'9' => {
                let len = loop {
                    match number_end(&self.buf[self.pos..self.end]) {
                        Some(len) => break len,
                        None => {
                            let keep = self.pos;
                            if !self.refill(keep)? {
                                break self.end - self.pos;
                            }
                        }
                    }
                };
                let start = self.pos;
                if let Err((i, expected, f)) = valid_number(&self.buf[start..start + len]) {
                    // Past the number's own bytes is what ends it (`,` in `1e,`), not the
                    // end of the input unless nothing follows.
                    let f = match self.buf[..self.end].get(start + i) {
                        Some(&b) if i >= len => Found::of(b),
                        _ => f,
                    };
                    return Err(self.error(start + i, expected, f));
                }
                self.pos += len;
                self.after_value();
                Ok((Token::Number(&self.buf[start..start + len]), at))
            }
            b't' | b'f' | b'n' => {
                while self.end - self.pos < 5 {
                    let keep = self.pos;
                    if !self.refill(keep)? {
                        break;
                    }
                }
                let (token, len) = literal_at(&self.buf[self.pos..self.end])
                    .map_err(|(i, expected, f)| self.error(self.pos + i, expected, f))?;
                self.pos += len;
                self.after_value();
                Ok((token, at))
            }
            _ => Err(self.error(self.pos, "a value", Found::of(b))),
        }
    }
}
