//! The tokens a streamed JSON document is read as, and where each one starts.
//!
//! The lexer produces them; the schema evaluator and the record checks consume them. A
//! token borrows from the lexer's buffer, so it lives until the next one is read: anything
//! kept longer (an id, a key) is copied or hashed by whoever keeps it.

use std::borrow::Cow;

/// Where a token starts: its byte offset in the (decompressed) document, its line (1-based)
/// and its column (1-based, in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub(crate) offset: u64,
    pub(crate) line: u64,
    pub(crate) column: u32,
}

impl Pos {
    /// `offset` on line `line`, whose first byte is at `line_start` (columns count bytes).
    pub(crate) fn on_line(offset: u64, line: u64, line_start: u64) -> Self {
        let column = offset.saturating_sub(line_start) + 1;
        Self {
            offset,
            line,
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// The offset of the first byte of this position's line.
    pub(crate) fn line_start(&self) -> u64 {
        self.offset
            .saturating_sub(u64::from(self.column.max(1)) - 1)
    }
}

/// A string as written between its quotes: already checked to be valid UTF-8 and valid
/// JSON (escapes included), not yet decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Str<'a> {
    /// The bytes between the quotes.
    pub(crate) raw: &'a [u8],
    /// The string has at least one `\` escape: [`Str::decoded`] must be used to compare.
    pub(crate) escaped: bool,
}

impl<'a> Str<'a> {
    /// The string's value, decoded when it had escapes (an escaped lone surrogate becomes
    /// U+FFFD: see [`crate::escape`]).
    pub(crate) fn decoded(&self) -> Cow<'a, str> {
        if self.escaped {
            decode_escaped(self.raw).into()
        } else {
            // The lexer has checked the bytes are UTF-8.
            String::from_utf8_lossy(self.raw)
        }
    }

    /// The string's value as bytes: the raw bytes when there is no escape (no copy, no
    /// UTF-8 check), else the decoded value.
    pub(crate) fn bytes(&self) -> Cow<'a, [u8]> {
        if self.escaped {
            Cow::Owned(decode_escaped(self.raw).into_bytes())
        } else {
            Cow::Borrowed(self.raw)
        }
    }
}

/// Decodes the JSON escapes of a checked string body.
fn decode_escaped(raw: &[u8]) -> String {
    crate::escape::unescape(raw)
}

/// One token of a JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// `{`
    BeginObject,
    /// `}`
    EndObject,
    /// `[`
    BeginArray,
    /// `]`
    EndArray,
    /// An object member's name (the `:` after it is consumed with it).
    Key(Str<'a>),
    /// A string value.
    String(Str<'a>),
    /// A number as written, its grammar checked (RFC 8259).
    Number(&'a [u8]),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}
