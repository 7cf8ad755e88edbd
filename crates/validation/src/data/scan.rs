//! A validating JSON scanner that captures only the fields the rules ask for.
//!
//! Each NDJSON line is checked to be one well-formed JSON object (strict RFC 8259: string
//! escapes, number grammar, no trailing commas, nothing after the object), and the values at
//! the paths in a [`Paths`] trie are captured as byte spans into the line. Everything else is
//! skipped without building a value or allocating, which is what makes the checks faster
//! than parsing each line into a tree.

mod classify;
mod object;
mod skip;
mod trie;

use trie::Node;
pub(crate) use trie::Paths;

use classify::Stops;

/// The JSON type of a captured value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Number,
    Bool,
    Null,
    Object,
    Array,
}

/// A captured value: its span in the line and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Captured {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) kind: Kind,
    /// A string with escapes: its raw span must be decoded before comparing.
    pub(crate) escaped: bool,
    /// An empty string, array or object.
    pub(crate) empty: bool,
}

impl Captured {
    /// The string's content (without quotes), decoded when it had escapes.
    pub(crate) fn text<'a>(&self, line: &'a [u8]) -> Option<std::borrow::Cow<'a, str>> {
        if self.kind != Kind::String {
            return None;
        }
        let raw = &line[self.start as usize..self.end as usize];
        if self.escaped {
            let s = std::str::from_utf8(raw).ok()?;
            serde_json::from_str::<String>(s).ok().map(Into::into)
        } else {
            std::str::from_utf8(&raw[1..raw.len() - 1])
                .ok()
                .map(Into::into)
        }
    }

    /// The value as written.
    pub(crate) fn raw<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start as usize..self.end as usize]
    }
}

/// Why a line is not a JSON object: the message and the 0-based byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanError {
    pub(crate) at: usize,
    pub(crate) message: &'static str,
}

/// The message of a repeated member name; the error is at the name's opening quote.
pub(crate) const DUPLICATE_KEY: &str = "duplicate key";

const MAX_DEPTH: u32 = 128;

/// The state of one scan. `keys` holds the spans (with quotes) of the resource's top-level
/// member names seen so far, and `bloom` one bit per name's tag bucket, so a repeated name
/// is found without comparing every pair.
struct Scanner<'a, 'p> {
    s: &'a [u8],
    i: usize,
    depth: u32,
    paths: &'p Paths,
    slots: &'p mut [Option<Captured>],
    keys: &'p mut Vec<(u32, u32)>,
    stops: &'p Stops,
    bloom: u64,
}

/// The scanner's scratch space, kept between lines: the resource's top-level member names
/// and the line's string stops.
#[derive(Debug, Default)]
pub(crate) struct ScanScratch {
    keys: Vec<(u32, u32)>,
    stops: Stops,
}

/// Scans `line` (without its newline); on success every slot whose path is present holds its
/// value.
///
/// Beyond RFC 8259, a line is refused when its resource repeats a top-level member name or
/// a member name on a path the rules read (readers disagree on which value wins), and when
/// a string holds an unpaired UTF-16 surrogate escape (it is not a character; serde_json
/// refuses it too).
pub(crate) fn scan(
    line: &[u8],
    paths: &Paths,
    slots: &mut [Option<Captured>],
    scratch: &mut ScanScratch,
) -> Result<(), ScanError> {
    let ScanScratch { keys, stops } = scratch;
    if stops.fill(line)
        && let Err(e) = std::str::from_utf8(line)
    {
        return Err(ScanError {
            at: e.valid_up_to(),
            message: "invalid UTF-8",
        });
    }
    slots.iter_mut().for_each(|s| *s = None);
    keys.clear();
    let mut sc = Scanner {
        s: line,
        i: 0,
        depth: 0,
        paths,
        slots,
        keys,
        stops,
        bloom: 0,
    };
    sc.ws();
    if sc.peek() != Some(b'{') {
        return Err(sc.err("expected a JSON object (one FHIR resource per line)"));
    }
    sc.resource()?;
    sc.ws();
    if sc.i != sc.s.len() {
        return Err(sc.err("unexpected text after the JSON object"));
    }
    Ok(())
}

impl Scanner<'_, '_> {
    fn err(&self, message: &'static str) -> ScanError {
        ScanError {
            at: self.i,
            message,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
            self.i += 1;
        }
    }

    /// The next byte that is not whitespace, the position moved to it: one check inline
    /// (NDJSON is mostly written without whitespace), the loop out of line.
    #[inline(always)]
    fn peek_past_ws(&mut self) -> Option<u8> {
        match self.peek() {
            Some(b' ' | b'\t' | b'\r' | b'\n') => self.past_ws(),
            b => b,
        }
    }

    #[cold]
    #[inline(never)]
    fn past_ws(&mut self) -> Option<u8> {
        self.ws();
        self.peek()
    }

    fn value(&mut self, node: Option<u32>) -> Result<(), ScanError> {
        if node.is_none() {
            return self.skip();
        }
        let first = self.peek_past_ws();
        let start = self.i;
        let (kind, escaped, empty) = match first {
            Some(b'"') => {
                let escaped = self.string()?;
                (Kind::String, escaped, self.i - start == 2)
            }
            Some(b'{') => {
                let empty = self.container(node, b'}')?;
                (Kind::Object, false, empty)
            }
            Some(b'[') => {
                let empty = self.container(node, b']')?;
                (Kind::Array, false, empty)
            }
            Some(b't') => (self.literal(b"true", Kind::Bool)?, false, false),
            Some(b'f') => (self.literal(b"false", Kind::Bool)?, false, false),
            Some(b'n') => (self.literal(b"null", Kind::Null)?, false, false),
            Some(b'-' | b'0'..=b'9') => (self.number()?, false, false),
            Some(_) => return Err(self.err("expected a JSON value")),
            None => return Err(self.err("the line ends where a value was expected")),
        };
        if let Some(n) = node
            && let Some(slot) = self.paths.nodes[n as usize].slot
        {
            #[allow(
                clippy::cast_possible_truncation,
                reason = "lines are at most max_line_bytes, itself at most 1 GiB"
            )]
            let captured = Captured {
                start: start as u32,
                end: self.i as u32,
                kind,
                escaped,
                empty,
            };
            self.slots[usize::from(slot)] = Some(captured);
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<Kind, ScanError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(kind)
        } else {
            Err(self.err("expected true, false or null"))
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - from
    }

    fn number(&mut self) -> Result<Kind, ScanError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("expected a digit in the exponent"));
            }
        }
        Ok(Kind::Number)
    }
}

#[cfg(test)]
mod tests;
