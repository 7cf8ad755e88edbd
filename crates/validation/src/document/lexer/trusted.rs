//! `Trusted`: the tokens of a value already known to be valid JSON — the quick check has
//! walked every byte of it — read straight from its bytes: no copy into a buffer, no
//! grammar, escape or UTF-8 check, no refills. For valid JSON it gives exactly the tokens
//! and positions the strict [`Lexer`](super::Lexer) gives (`tests_trusted.rs` compares
//! them); on other bytes its tokens mean nothing, but it never panics and always ends.

use super::super::event::{Pos, Str, Token};
use super::super::lex_scan::{number_end, string_end};

/// Tokens of one valid JSON value (whitespace around it allowed) that starts at `origin`
/// in its document.
pub(crate) struct Trusted<'a> {
    bytes: &'a [u8],
    i: usize,
    /// Document offset of `bytes[0]`.
    base: u64,
    line: u64,
    /// Document offset of the current line's first byte.
    line_start: u64,
    /// Open containers, true for an object (the vector is kept from value to value).
    stack: Vec<bool>,
    /// A member name comes next.
    key: bool,
}

impl<'a> Trusted<'a> {
    /// The tokens of `bytes`, positioned from `origin`; `stack` is an earlier reader's
    /// (from [`into_stack`](Self::into_stack)) or empty.
    pub(crate) fn new(bytes: &'a [u8], origin: Pos, mut stack: Vec<bool>) -> Self {
        stack.clear();
        Self {
            bytes,
            i: 0,
            base: origin.offset,
            line: origin.line,
            line_start: origin.line_start(),
            stack,
            key: false,
        }
    }

    /// The stack's vector, for the next value's reader.
    pub(crate) fn into_stack(self) -> Vec<bool> {
        self.stack
    }

    fn pos(&self) -> Pos {
        Pos::on_line(self.base + self.i as u64, self.line, self.line_start)
    }

    /// Past whitespace; newlines counted (JSON has them nowhere else).
    #[inline]
    fn ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.i) {
            match b {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.base + self.i as u64;
                }
                _ => return,
            }
        }
    }

    /// The next token and where it starts; None at the end of the bytes.
    #[inline]
    pub(crate) fn next(&mut self) -> Option<(Token<'a>, Pos)> {
        loop {
            self.ws();
            let b = *self.bytes.get(self.i)?;
            let at = self.pos();
            let token = match b {
                b'"' => {
                    let s = self.string();
                    if std::mem::take(&mut self.key) {
                        // The `:` after the name is part of the key token, as in the lexer.
                        self.ws();
                        if self.bytes.get(self.i) == Some(&b':') {
                            self.i += 1;
                        }
                        Token::Key(s)
                    } else {
                        Token::String(s)
                    }
                }
                b',' => {
                    self.i += 1;
                    self.key = self.stack.last() == Some(&true);
                    continue;
                }
                b'{' | b'[' => {
                    self.i += 1;
                    let object = b == b'{';
                    self.stack.push(object);
                    self.key = object;
                    if object {
                        Token::BeginObject
                    } else {
                        Token::BeginArray
                    }
                }
                b'}' | b']' => {
                    self.i += 1;
                    self.stack.pop();
                    self.key = false;
                    if b == b'}' {
                        Token::EndObject
                    } else {
                        Token::EndArray
                    }
                }
                b'-' | b'0'..=b'9' => {
                    let rest = &self.bytes[self.i..];
                    let len = number_end(rest).unwrap_or(rest.len());
                    self.i += len;
                    Token::Number(&rest[..len])
                }
                b't' | b'n' => {
                    self.i += 4;
                    if b == b't' {
                        Token::Bool(true)
                    } else {
                        Token::Null
                    }
                }
                b'f' => {
                    self.i += 5;
                    Token::Bool(false)
                }
                // Not JSON (never in a walked value): passed over.
                _ => {
                    self.i += 1;
                    continue;
                }
            };
            return Some((token, at));
        }
    }

    /// The string whose opening quote is at `self.i`; `self.i` ends after its closing one.
    #[inline]
    fn string(&mut self) -> Str<'a> {
        let rest = &self.bytes[self.i..];
        let (found, escaped) = string_end(rest, 1);
        let close = found.unwrap_or(rest.len()).max(1);
        self.i += close + 1;
        Str {
            raw: rest.get(1..close).unwrap_or_default(),
            escaped,
        }
    }
}
