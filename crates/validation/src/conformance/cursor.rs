//! A cursor over JSON the scanner has already checked: skipping strings and values,
//! counting an array's items, finding one member of an object. It never fails; on bytes that end early it stops at the end.

/// A position in one resource's bytes.
pub(crate) struct Cursor<'l> {
    pub(crate) b: &'l [u8],
    pub(crate) i: usize,
}

impl Cursor<'_> {
    pub(crate) fn peek(&self) -> u8 {
        self.b.get(self.i).copied().unwrap_or(b'}')
    }

    pub(crate) fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Skips a string starting at its quote; returns whether it had escapes.
    pub(crate) fn string(&mut self) -> bool {
        let mut escaped = false;
        self.i += 1;
        while let Some(off) = quote_or_backslash(self.b.get(self.i..).unwrap_or_default()) {
            self.i += off;
            if self.b[self.i] == b'\\' {
                escaped = true;
                self.i += 2;
            } else {
                self.i += 1;
                return escaped;
            }
        }
        self.i = self.b.len();
        escaped
    }

    pub(crate) fn skip(&mut self) {
        match self.peek() {
            b'"' => {
                self.string();
            }
            b'{' | b'[' => {
                let mut depth = 0u32;
                while self.i < self.b.len() {
                    match self.b[self.i] {
                        b'"' => {
                            self.string();
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while self.i < self.b.len()
                    && !matches!(
                        self.b[self.i],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
            }
        }
    }

    /// Counts an array's items and skips it.
    pub(crate) fn count_items(&mut self) -> usize {
        self.i += 1;
        self.ws();
        if self.peek() == b']' {
            self.i += 1;
            return 0;
        }
        let mut n = 0;
        loop {
            self.ws();
            self.skip();
            n += 1;
            self.ws();
            let c = self.peek();
            self.i += 1;
            if c != b',' {
                return n;
            }
        }
    }

    /// The content of string member `name` of the object starting at `at` (top level
    /// only, the cursor left where it was), without quotes; an escaped string is decoded.
    pub(crate) fn member_text(&self, at: usize, name: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
        let mut c = Cursor {
            b: self.b,
            i: at + 1,
        };
        loop {
            c.ws();
            if c.peek() != b'"' {
                return None;
            }
            let k0 = c.i;
            c.string();
            let key = self.b.get(k0 + 1..c.i - 1)?;
            c.ws();
            c.i += 1; // ':'
            c.ws();
            let v0 = c.i;
            let escaped = c.peek() == b'"' && c.string();
            if c.i == v0 {
                c.skip();
            }
            if key == name {
                let raw = self.b.get(v0..c.i)?;
                if raw.first() != Some(&b'"') {
                    return None;
                }
                return if escaped {
                    Some(crate::escape::unquote(raw))
                } else {
                    std::str::from_utf8(&raw[1..raw.len() - 1])
                        .ok()
                        .map(Into::into)
                };
            }
            c.ws();
            if c.peek() != b',' {
                return None;
            }
            c.i += 1;
        }
    }
}

/// The first `"` or `\` of `rest`, eight bytes at a time (SWAR: a byte's high bit marks a
/// hit; a false mark can only follow a true one, so the lowest is exact). Most strings of
/// a resource are short, where a call into `memchr` costs more than the search.
#[inline]
pub(crate) fn quote_or_backslash(rest: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut words = rest.chunks_exact(8);
    let mut off = 0;
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let v = u64::from_le_bytes(bytes);
        let quote = v ^ (LO * u64::from(b'"'));
        let slash = v ^ (LO * u64::from(b'\\'));
        let hits = ((quote.wrapping_sub(LO) & !quote) | (slash.wrapping_sub(LO) & !slash)) & HI;
        if hits != 0 {
            return Some(off + (hits.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| off + p)
}
