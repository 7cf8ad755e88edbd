//! A small, fast JSON writer for the generators: compact or pretty (two spaces, one
//! member or element a line, as `serde_json`'s pretty printer), buffered, counting bytes.
//! It writes only what it is told: strings are written as given (the generators' strings
//! need no escapes).

use std::io::{self, Write};

/// Flush to the writer in blocks of about this size.
const BLOCK: usize = 1 << 20;

/// Spaces for indentation, sliced.
const SPACES: &[u8; 128] = &[b' '; 128];

pub(crate) struct Emitter<W: Write> {
    out: W,
    buf: Vec<u8>,
    written: u64,
    pretty: bool,
    depth: usize,
    /// The innermost container has no element yet.
    first: bool,
    /// A key was just written: the value follows on the same line.
    after_key: bool,
}

impl<W: Write> Emitter<W> {
    pub(crate) fn new(out: W, pretty: bool) -> Self {
        Self {
            out,
            buf: Vec::with_capacity(BLOCK + 4096),
            written: 0,
            pretty,
            depth: 0,
            first: true,
            after_key: false,
        }
    }

    /// Bytes emitted so far (flushed or not).
    pub(crate) fn bytes(&self) -> u64 {
        self.written + self.buf.len() as u64
    }

    fn newline(&mut self) {
        self.buf.push(b'\n');
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.buf.extend_from_slice(&SPACES[..k]);
            n -= k;
        }
    }

    /// Before any value or key: the separator and, pretty, the line break.
    fn before(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        if self.pretty && self.depth > 0 {
            self.newline();
        }
    }

    pub(crate) fn key(&mut self, k: &str) {
        self.before();
        self.buf.push(b'"');
        self.buf.extend_from_slice(k.as_bytes());
        self.buf
            .extend_from_slice(if self.pretty { b"\": " } else { b"\":" });
        self.after_key = true;
    }

    pub(crate) fn open(&mut self, brace: u8) {
        self.before();
        self.buf.push(brace);
        self.depth += 1;
        self.first = true;
    }

    pub(crate) fn close(&mut self, brace: u8) -> io::Result<()> {
        self.depth -= 1;
        if self.pretty && !self.first {
            self.newline();
        }
        self.buf.push(brace);
        self.first = false;
        if self.buf.len() >= BLOCK {
            self.flush_block()?;
        }
        Ok(())
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.before();
        self.buf.push(b'"');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'"');
    }

    pub(crate) fn uint(&mut self, n: u64) {
        self.before();
        self.digits(n);
    }

    fn digits(&mut self, mut n: u64) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&tmp[i..]);
    }

    /// An amount in cents, as dollars with two decimals (`1234` → `12.34`), negative when
    /// asked.
    pub(crate) fn cents(&mut self, negative: bool, cents: u64) {
        self.before();
        if negative {
            self.buf.push(b'-');
        }
        self.digits(cents / 100);
        let c = cents % 100;
        self.buf
            .extend_from_slice(&[b'.', b'0' + (c / 10) as u8, b'0' + (c % 10) as u8]);
    }

    /// A `YYYY-MM-DD` string (year of four digits, month and day of up to two).
    pub(crate) fn date(&mut self, y: u64, m: u64, d: u64) {
        self.before();
        let digit = |n: u64| b'0' + (n % 10) as u8;
        self.buf.extend_from_slice(&[
            b'"',
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
            b'"',
        ]);
    }

    fn flush_block(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes what is buffered and a final newline; gives the writer back.
    pub(crate) fn finish(mut self) -> io::Result<(W, u64)> {
        self.buf.push(b'\n');
        self.flush_block()?;
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

#[cfg(test)]
mod tests {
    use super::Emitter;

    fn sample(pretty: bool) -> String {
        let mut e = Emitter::new(Vec::new(), pretty);
        e.open(b'{');
        e.key("a");
        e.open(b'[');
        e.uint(1);
        e.cents(false, 1205);
        e.close(b']').ok();
        e.key("b");
        e.open(b'{');
        e.close(b'}').ok();
        e.key("c");
        e.str("x");
        e.close(b'}').ok();
        let (out, n) = e.finish().expect("vec");
        assert_eq!(n, out.len() as u64);
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn compact_and_pretty_match_serde_json() {
        let v: serde_json::Value = serde_json::from_str(&sample(false)).expect("json");
        assert_eq!(
            sample(false),
            format!("{}\n", serde_json::to_string(&v).expect("json"))
        );
        assert_eq!(
            sample(true),
            format!("{}\n", serde_json::to_string_pretty(&v).expect("json"))
        );
    }
}
