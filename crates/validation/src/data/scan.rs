//! A validating JSON scanner that captures only the fields the rules ask for.
//!
//! Each NDJSON line is checked to be one well-formed JSON object (strict RFC 8259: string
//! escapes, number grammar, no trailing commas, nothing after the object), and the values at
//! the paths in a [`Paths`] trie are captured as byte spans into the line. Everything else is
//! skipped without building a value or allocating, which is what makes the checks faster
//! than parsing each line into a tree.

mod classify;
mod cursor;
mod object;
mod skip;
mod trie;

use trie::Node;
pub(crate) use trie::Paths;

use std::ops::Range;

use classify::Stops;
use cursor::Cursor;
pub(crate) use cursor::ScanError;

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
            Some(crate::escape::unquote(raw))
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

/// The message of a repeated member name; the error is at the name's opening quote.
pub(crate) const DUPLICATE_KEY: &str = "duplicate key";

const MAX_DEPTH: u32 = 128;

/// The state of one scan. `keys` holds the spans (with quotes) of the resource's top-level
/// member names seen so far, and `bloom` one bit per name's tag bucket, so a repeated name
/// is found without comparing every pair.
struct Scanner<'a, 'p> {
    c: Cursor<'a>,
    depth: u32,
    paths: &'p Paths,
    slots: &'p mut [Option<Captured>],
    keys: &'p mut Vec<(u32, u32)>,
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
        c: Cursor::new(line, stops.words()),
        depth: 0,
        paths,
        slots,
        keys,
        bloom: 0,
    };
    sc.c.ws();
    if sc.c.peek() != Some(b'{') {
        return Err(sc
            .c
            .err("expected a JSON object (one FHIR resource per line)"));
    }
    sc.resource()?;
    sc.c.ws();
    if sc.c.i != line.len() {
        return Err(sc.c.err("unexpected text after the JSON object"));
    }
    Ok(())
}

impl Scanner<'_, '_> {
    /// A value the rules may read, from the caller's copy of the cursor: captured into
    /// `n`'s slot when it has one.
    #[inline(always)]
    fn on_path(&mut self, c: &mut Cursor<'_>, n: u32) -> Result<(), ScanError> {
        let first = c.peek_past_ws();
        let start = c.i;
        let (kind, escaped, empty) = match first {
            Some(b'"') => {
                let escaped = c.string()?;
                (Kind::String, escaped, c.i - start == 2)
            }
            Some(open @ (b'{' | b'[')) => {
                let (kind, close) = if open == b'{' {
                    (Kind::Object, b'}')
                } else {
                    (Kind::Array, b']')
                };
                self.c.i = c.i;
                let empty = self.container(n, close)?;
                c.i = self.c.i;
                (kind, false, empty)
            }
            Some(b't') => {
                c.literal(b"true")?;
                (Kind::Bool, false, false)
            }
            Some(b'f') => {
                c.literal(b"false")?;
                (Kind::Bool, false, false)
            }
            Some(b'n') => {
                c.literal(b"null")?;
                (Kind::Null, false, false)
            }
            Some(b'-' | b'0'..=b'9') => {
                c.number()?;
                (Kind::Number, false, false)
            }
            Some(_) => return Err(c.err("expected a JSON value")),
            None => return Err(c.err("the line ends where a value was expected")),
        };
        self.capture(n, start..c.i, kind, escaped, empty);
        Ok(())
    }

    /// Puts the value at `span` into `n`'s slot, if it has one.
    #[inline(always)]
    fn capture(&mut self, n: u32, span: Range<usize>, kind: Kind, escaped: bool, empty: bool) {
        if let Some(slot) = self.paths.nodes[n as usize].slot {
            #[allow(
                clippy::cast_possible_truncation,
                reason = "lines are at most max_line_bytes, itself at most 1 GiB"
            )]
            let captured = Captured {
                start: span.start as u32,
                end: span.end as u32,
                kind,
                escaped,
                empty,
            };
            self.slots[usize::from(slot)] = Some(captured);
        }
    }
}

#[cfg(test)]
mod tests;
