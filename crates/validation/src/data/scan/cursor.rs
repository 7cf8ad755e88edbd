//! The scanner's position in a line and the tokens read from it: whitespace, strings (their
//! ends found through the line's stops), literals and numbers. A [`Cursor`] is a copy type
//! of three words, so a loop can hold it in registers (`skip.rs` copies it into a local);
//! what is out of line takes and returns positions, never the cursor's address.

/// Why a line is not a JSON object: the message and the 0-based byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub(crate) at: usize,
    pub(crate) message: &'static str,
}

/// A line, the position in it and the line's string stops (see `classify.rs`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Cursor<'a> {
    pub(super) s: &'a [u8],
    pub(super) i: usize,
    /// One bit per byte that ends a run of plain string content, 64 bytes to a word.
    words: &'a [u64],
}

impl<'a> Cursor<'a> {
    pub(super) fn new(s: &'a [u8], words: &'a [u64]) -> Self {
        Self { s, i: 0, words }
    }

    #[inline(always)]
    pub(super) fn err(&self, message: &'static str) -> ScanError {
        ScanError {
            at: self.i,
            message,
        }
    }

    #[inline(always)]
    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Moves past any whitespace.
    pub(super) fn ws(&mut self) {
        self.i = past_ws(self.s, self.i);
    }

    /// The next byte that is not whitespace, the position moved to it: one check inline
    /// (NDJSON is mostly written without whitespace), the loop out of line.
    #[inline(always)]
    pub(super) fn peek_past_ws(&mut self) -> Option<u8> {
        match self.peek() {
            Some(b' ' | b'\t' | b'\r' | b'\n') => {
                self.i = past_ws(self.s, self.i);
                self.peek()
            }
            b => b,
        }
    }

    /// The first stop at or after byte `from`.
    #[inline(always)]
    pub(super) fn next_stop(&self, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut bits = self.words.get(w)? & (u64::MAX << (from % 64));
        loop {
            if bits != 0 {
                let at = w * 64 + bits.trailing_zeros() as usize;
                return (at < self.s.len()).then_some(at);
            }
            w += 1;
            bits = *self.words.get(w)?;
        }
    }

    /// Skips a string starting at its opening quote; returns whether it had escapes.
    /// Inlined everywhere: a call's register saves cost a fifth of a string's scan.
    #[inline(always)]
    pub(super) fn string(&mut self) -> Result<bool, ScanError> {
        self.i += 1;
        let mut escaped = false;
        loop {
            let Some(at) = self.next_stop(self.i) else {
                self.i = self.s.len();
                return Err(self.err("a string is not closed"));
            };
            self.i = at;
            match self.s[at] {
                b'"' => {
                    self.i += 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.i = escape(self.s, at)?;
                }
                _ => return Err(self.err("a control character must be escaped in a string")),
            }
        }
    }

    /// `true`, `false` or `null` (`word`).
    #[inline(always)]
    pub(super) fn literal(&mut self, word: &[u8]) -> Result<(), ScanError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("expected true, false or null"))
        }
    }

    /// A number (RFC 8259's grammar), out of line: FHIR resources hold few.
    #[inline(always)]
    pub(super) fn number(&mut self) -> Result<(), ScanError> {
        self.i = number(self.s, self.i)?;
        Ok(())
    }
}

/// The position of the first byte at or after `i` that is not whitespace.
#[cold]
#[inline(never)]
fn past_ws(s: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = s.get(i) {
        i += 1;
    }
    i
}

/// The end of the digits from `i`.
fn digits(s: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = s.get(i) {
        i += 1;
    }
    i
}

/// The end of the number starting at `i`.
#[inline(never)]
fn number(s: &[u8], mut i: usize) -> Result<usize, ScanError> {
    let err = |at, message| ScanError { at, message };
    if s.get(i) == Some(&b'-') {
        i += 1;
    }
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(s, i),
        _ => return Err(err(i, "expected a digit")),
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        let end = digits(s, i);
        if end == i {
            return Err(err(i, "expected a digit after the decimal point"));
        }
        i = end;
    }
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = s.get(i) {
            i += 1;
        }
        let end = digits(s, i);
        if end == i {
            return Err(err(i, "expected a digit in the exponent"));
        }
        i = end;
    }
    Ok(i)
}

/// Four hex digits as a number.
fn hex4(digits: Option<&[u8]>) -> Option<u16> {
    let digits = std::str::from_utf8(digits?).ok()?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

/// The end of the escape whose backslash is at `at`. `\uXXXX` is a character, or a high
/// surrogate followed by `\u` and a low one: an unpaired surrogate is no character, so no
/// string holds it. Out of line: escapes are rare, and [`Cursor::string`] is the hottest
/// loop.
#[inline(never)]
fn escape(s: &[u8], at: usize) -> Result<usize, ScanError> {
    let i = at + 1;
    match s.get(i) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => return Ok(i + 1),
        Some(b'u') => {}
        _ => {
            return Err(ScanError {
                at: i,
                message: "unknown escape in a string",
            });
        }
    }
    let Some(unit) = hex4(s.get(i + 1..i + 5)) else {
        return Err(ScanError {
            at: i,
            message: "expected four hex digits after \\u",
        });
    };
    let lone = ScanError {
        at,
        message: "a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair) is not a character",
    };
    match unit {
        0xd800..=0xdbff => {
            let paired = s.get(i + 5..i + 7) == Some(b"\\u".as_slice())
                && hex4(s.get(i + 7..i + 11)).is_some_and(|low| (0xdc00..=0xdfff).contains(&low));
            if paired { Ok(i + 11) } else { Err(lone) }
        }
        0xdc00..=0xdfff => Err(lone),
        _ => Ok(i + 5),
    }
}
