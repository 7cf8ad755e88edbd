//! Why a document cannot be read as JSON, and where: never the bytes themselves (they may
//! be patient data), only what kind of byte stood where something else was expected.

use std::fmt;

use super::event::Pos;

/// What stood where the lexer expected something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// The input ended.
    End,
    /// A structural or punctuation byte (shown: it is not a value).
    Punct(u8),
    /// A letter.
    Letter,
    /// A digit.
    Digit,
    /// A control character (a raw newline or tab in a string, a NUL).
    Control,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A byte of a multi-byte UTF-8 character.
    NonAscii,
}

impl Found {
    /// Describes byte `b`.
    pub(crate) fn of(b: u8) -> Self {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' => Self::Letter,
            b'0'..=b'9' => Self::Digit,
            0..=0x1f | 0x7f => Self::Control,
            0x80..=0xff => Self::NonAscii,
            _ => Self::Punct(b),
        }
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::End => f.write_str("the end of input"),
            Self::Punct(b' ') => f.write_str("a space"),
            Self::Punct(b) => write!(f, "'{}'", char::from(*b)),
            Self::Letter => f.write_str("a letter"),
            Self::Digit => f.write_str("a digit"),
            Self::Control => f.write_str("a control character"),
            Self::InvalidUtf8 => f.write_str("bytes that are not UTF-8"),
            Self::NonAscii => f.write_str("a non-ASCII character"),
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LexErrorKind {
    /// The bytes are not JSON.
    Syntax {
        /// What the grammar allows here.
        expected: &'static str,
        /// What stood there.
        found: Found,
    },
    /// One token is longer than the limit.
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// Arrays and objects nest deeper than the limit.
    TooDeep {
        /// The limit in levels.
        limit: usize,
    },
    /// The input could not be read (or decompressed).
    Io(String),
}

/// A document that cannot be read further, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    /// Where the problem is.
    pub(crate) pos: Pos,
    /// What it is.
    pub(crate) kind: LexErrorKind,
}

impl LexError {
    /// The problem without its position.
    pub(crate) fn message(&self) -> String {
        match &self.kind {
            LexErrorKind::Syntax { expected, found } => {
                format!("expected {expected}, found {found}")
            }
            LexErrorKind::TooLong { limit } => {
                format!("a single token is longer than {limit} bytes (the max_token_bytes limit)")
            }
            LexErrorKind::TooDeep { limit } => {
                format!("arrays and objects nest deeper than {limit} levels")
            }
            LexErrorKind::Io(e) => format!("cannot read the input: {e}"),
        }
    }
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {}): {}",
            self.pos.line,
            self.pos.column,
            self.pos.offset,
            self.message()
        )
    }
}

impl std::error::Error for LexError {}
