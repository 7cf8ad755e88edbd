//! The lexer's byte-level scans, each over a slice: where a string or number ends, and
//! whether its bytes follow RFC 8259 (escapes, UTF-8, the number grammar).

use super::event::Token;
use super::lex_error::Found;

pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit of each byte of `v` equal to `b` (exact for the lowest one).
#[inline]
pub(crate) fn bytes_eq(v: u64, b: u8) -> u64 {
    let x = v ^ (LO * u64::from(b));
    x.wrapping_sub(LO) & !x & HI
}

/// The eight bytes at `i` as a little-endian word, when there are eight.
#[inline]
pub(crate) fn word(buf: &[u8], i: usize) -> Option<u64> {
    buf.get(i..i + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map(u64::from_le_bytes)
}

/// The first `"` or `\\` at or after `i`: short strings word by word, long ones by memchr.
#[inline]
pub(crate) fn quote_or_escape(buf: &[u8], mut i: usize) -> Option<usize> {
    for _ in 0..4 {
        let Some(v) = word(buf, i) else { break };
        let m = bytes_eq(v, b'"') | bytes_eq(v, b'\\');
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\\', &buf[i.min(buf.len())..]).map(|j| i + j)
}

/// The index of the closing quote of the string whose opening quote is `bytes[0]`, when
/// every byte before it is printable ASCII other than `\\` (so the string is valid and
/// has no escapes) and it lies within the first 64 bytes; None otherwise (the caller
/// takes the general path, which finds errors and escapes).
#[inline]
pub(crate) fn plain_string_end(bytes: &[u8]) -> Option<usize> {
    let mut i = 1;
    for _ in 0..8 {
        let v = word(bytes, i)?;
        let stop = bytes_eq(v, b'"');
        // A backslash, a control byte (its subtraction borrows into the high bit) or a
        // byte >= 0x80.
        let odd = bytes_eq(v, b'\\') | ((v.wrapping_sub(LO * 0x20) & !v) | v) & HI;
        if stop != 0 {
            let first = stop.trailing_zeros();
            // Bits below the quote's (borrows only run upward, so they are exact there).
            let before = odd & ((1u64 << first) - 1);
            return (before == 0).then_some(i + (first / 8) as usize);
        }
        if odd != 0 {
            return None;
        }
        i += 8;
    }
    None
}

/// A grammar error inside a token: its index, what was expected, what was found.
pub(crate) type Bad = (usize, &'static str, Found);

/// Finds the closing quote of the string whose opening quote is `bytes[0]`, scanning from
/// `from`: `Ok(index)`, or `Err(resume)` when more bytes are needed; and whether a `\`
/// was passed.
pub(crate) fn string_end(bytes: &[u8], from: usize) -> (Result<usize, usize>, bool) {
    let mut i = from;
    let mut escaped = false;
    while let Some(at) = quote_or_escape(bytes, i.min(bytes.len())) {
        if bytes[at] == b'"' {
            return (Ok(at), escaped);
        }
        escaped = true;
        if at + 1 >= bytes.len() {
            return (Err(at), escaped);
        }
        i = at + 2;
    }
    (Err(bytes.len().max(from)), escaped)
}

/// True when every byte is printable ASCII (the common case, checked a word at a time).
#[inline]
fn printable_ascii(body: &[u8]) -> bool {
    let mut i = 0;
    while let Some(v) = word(body, i) {
        // A high bit, or a byte below 0x20 (its subtraction borrows into its high bit).
        if (v | (v.wrapping_sub(LO * 0x20) & !v)) & HI != 0 {
            return false;
        }
        i += 8;
    }
    body[i..].iter().all(|&b| (0x20..0x80).contains(&b))
}

/// Checks a string's body: no control characters, UTF-8, valid escapes.
pub(crate) fn valid_string(body: &[u8], escaped: bool) -> Result<(), Bad> {
    if !printable_ascii(body) {
        if let Some(i) = body.iter().position(|&b| b < 0x20) {
            return Err((i, "a string character", Found::Control));
        }
        if let Err(e) = std::str::from_utf8(body) {
            return Err((e.valid_up_to(), "UTF-8 text", Found::InvalidUtf8));
        }
    }
    if escaped {
        for i in memchr::memchr_iter(b'\\', body) {
            // `memchr_iter` also yields the second `\` of `\\`: skip escaped ones.
            let mut run = 0;
            while run < i && body[i - 1 - run] == b'\\' {
                run += 1;
            }
            if run % 2 == 1 {
                continue;
            }
            match body.get(i + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                Some(b'u') => {
                    for k in 0..4 {
                        match body.get(i + 2 + k) {
                            Some(h) if h.is_ascii_hexdigit() => {}
                            Some(&h) => {
                                return Err((i + 2 + k, "four hex digits after \\u", Found::of(h)));
                            }
                            None => {
                                return Err((
                                    i + 2 + k,
                                    "four hex digits after \\u",
                                    Found::Punct(b'"'),
                                ));
                            }
                        }
                    }
                }
                Some(&b) => {
                    return Err((
                        i + 1,
                        "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)",
                        Found::of(b),
                    ));
                }
                None => return Err((i + 1, "an escape", Found::Punct(b'"'))),
            }
        }
    }
    Ok(())
}

fn number_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
}

/// The length of the number at the start of `bytes`, or None when every byte could still
/// belong to it (more input is needed).
pub(crate) fn number_end(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| !number_byte(b))
}

/// Checks a number against RFC 8259's grammar:
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
pub(crate) fn valid_number(s: &[u8]) -> Result<(), Bad> {
    let found = |i: usize| s.get(i).map_or(Found::End, |&b| Found::of(b));
    let digits = |mut i: usize| {
        let start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i > start)
    };
    let mut i = usize::from(s.first() == Some(&b'-'));
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i).0,
        _ => return Err((i, "a digit", found(i))),
    }
    if s.get(i) == Some(&b'.') {
        let (j, any) = digits(i + 1);
        if !any {
            return Err((i + 1, "a digit after '.'", found(i + 1)));
        }
        i = j;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (j, any) = digits(i);
        if !any {
            return Err((i, "a digit in the exponent", found(i)));
        }
        i = j;
    }
    if i < s.len() {
        return Err((i, "the end of the number", found(i)));
    }
    Ok(())
}

/// Reads `true`, `false` or `null` at the start of `bytes`.
pub(crate) fn literal_at(bytes: &[u8]) -> Result<(Token<'static>, usize), Bad> {
    let (word, token): (&[u8], _) = match bytes.first() {
        Some(b't') => (b"true", Token::Bool(true)),
        Some(b'f') => (b"false", Token::Bool(false)),
        _ => (b"null", Token::Null),
    };
    for (i, &w) in word.iter().enumerate() {
        match bytes.get(i) {
            Some(&b) if b == w => {}
            Some(&b) => return Err((i, "true, false or null", Found::of(b))),
            None => return Err((i, "true, false or null", Found::End)),
        }
    }
    Ok((token, word.len()))
}
