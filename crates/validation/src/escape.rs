//! JSON string escapes decoded, one way for every reader of the crate (the NDJSON scanner,
//! the conformance walk, the JSON-document lexer and checks).
//!
//! A string's bytes are checked as JSON before they get here. What `serde_json` refuses
//! and these decoders keep: an escaped lone surrogate (`"\ud800"`, a high half with no low
//! half after it, or a low half alone). JSON allows it (RFC 8259 §8.2) and Python's `json`
//! keeps it as one character; UTF-8 cannot hold it, so it becomes U+FFFD — one character,
//! so lengths agree with Python, and never an empty string or a missing value.

use std::borrow::Cow;

/// The value of a string body (the bytes between its quotes), its escapes decoded:
/// `a\u00e9\n\ud83d\ude00\ud800` is `aé`, a newline, `😀` and U+FFFD.
pub(crate) fn unescape(body: &[u8]) -> String {
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let Some(at) = memchr::memchr(b'\\', &body[i..]).map(|p| i + p) else {
            out.push_str(&String::from_utf8_lossy(&body[i..]));
            break;
        };
        out.push_str(&String::from_utf8_lossy(&body[i..at]));
        let (c, len) = escape_at(body, at);
        out.push(c);
        i = at + len;
    }
    out
}

/// [`unescape`] for a string with its quotes, borrowed when it has no escape.
pub(crate) fn unquote(quoted: &[u8]) -> Cow<'_, str> {
    let body = quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default();
    if body.contains(&b'\\') {
        Cow::Owned(unescape(body))
    } else {
        String::from_utf8_lossy(body)
    }
}

/// The character of the escape whose `\` is at `at`, and the escape's length in bytes.
fn escape_at(body: &[u8], at: usize) -> (char, usize) {
    let c = match body.get(at + 1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let Some(unit) = hex4(body, at + 2) else {
                return ('\u{fffd}', body.len() - at);
            };
            if (0xD800..0xDC00).contains(&unit)
                && body.get(at + 6) == Some(&b'\\')
                && body.get(at + 7) == Some(&b'u')
                && let Some(low) = hex4(body, at + 8)
                && (0xDC00..0xE000).contains(&low)
            {
                let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                return (char::from_u32(c).unwrap_or('\u{fffd}'), 12);
            }
            // A lone half of a surrogate pair is not a `char`: U+FFFD.
            return (char::from_u32(unit).unwrap_or('\u{fffd}'), 6);
        }
        _ => return ('\u{fffd}', (body.len() - at).min(2)),
    };
    (c, 2)
}

/// The four hex digits at `at` as a number.
fn hex4(body: &[u8], at: usize) -> Option<u32> {
    let digits = body.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |n, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(n * 16 + v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_escape_and_surrogate() {
        assert_eq!(
            unescape(br#"a\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00z"#),
            "a\"\\/\u{8}\u{c}\n\r\té€😀z"
        );
        // Lone halves: one U+FFFD each, never dropped.
        assert_eq!(unescape(br"\ud800"), "\u{fffd}");
        assert_eq!(unescape(br"\udc00x"), "\u{fffd}x");
        assert_eq!(unescape(br"\ud800\ud800"), "\u{fffd}\u{fffd}");
        assert_eq!(unescape(br"\ud800\u0041"), "\u{fffd}A");
        // Not JSON (never reaches here): no panic, nothing lost silently.
        assert_eq!(unescape(br"\u12"), "\u{fffd}");
        assert_eq!(unescape(br"a\"), "a\u{fffd}");
        assert_eq!(unquote(br#""plain""#), "plain");
        assert_eq!(unquote(br#""\u0041""#), "A");
        assert_eq!(unquote(b"\""), "");
    }

    #[test]
    fn agrees_with_serde_json_wherever_it_decodes() {
        let samples: [&[u8]; 6] = [
            br"plain",
            br"\u0000\u001f\u007f",
            br"\uD834\uDD1E and \uFFFF",
            "é \\\" \\n 😀".as_bytes(),
            br"\\u0041",
            br"\/\/",
        ];
        for body in samples {
            let quoted = [b"\"", body, b"\""].concat();
            let serde: String = serde_json::from_slice(&quoted).unwrap_or_default();
            assert_eq!(unescape(body), serde, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn a_lone_surrogate_is_one_character_as_in_python() -> Result<(), Box<dyn std::error::Error>> {
        use crate::document::{DocumentCheck, JsonSchema};
        let schema = JsonSchema::from_slice(
            "s",
            br#"{"properties": {"items": {"items": {"maxLength": 3, "minLength": 1}}}}"#,
        )?;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("doc.json");
        // Python: 1, 1, 2, 4 and 3 characters; only the 4 is too long.
        let doc = r#"{"items": ["\ud800", "\udc00", "\ud800\ud800", "\ud800\ud800\ud800\ud800", "a\ud83d\ude00b"]}"#;
        steadfast_core::atomic_write(&path, doc)?;
        let report = DocumentCheck::new(&schema)
            .records(["$.items"])
            .threads(1)
            .run(&path)?;
        assert_eq!(report.violations("#/properties/items/items/maxLength"), 1);
        assert_eq!(report.violations("#/properties/items/items/minLength"), 0);
        Ok(())
    }
}
