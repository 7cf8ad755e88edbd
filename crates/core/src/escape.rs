//! Escaping names and other strings from outside, one helper per target: a terminal (so a
//! file called `x\e]0;pwned\a.ndjson` or `a\nFAIL b` cannot move the cursor, retitle the
//! window or forge a report line) and markup — HTML, SVG and XML (run pages, flame graphs,
//! JUnit reports) — so a name cannot open a tag or end an attribute.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal raw: C0 and C1 control characters (ESC, newline,
/// carriage return, tab, BEL, DEL, CSI …) and the Unicode bidirectional controls that can
/// reorder what a line appears to say.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `s` with every control character written as an escape — `\n`, `\r`, `\t`, and `\u{1b}`
/// style for the rest, including the Unicode bidirectional controls — so it prints on one
/// line and cannot drive the terminal. Borrowed when there is nothing to escape, which is
/// the common case. Backslashes are left alone: the result is for people, not for parsing
/// back.
///
/// ```
/// use steadfast_core::escape_terminal;
///
/// assert_eq!(escape_terminal("Patient.ndjson"), "Patient.ndjson");
/// assert_eq!(escape_terminal("a\u{1b}[2Jb.ndjson"), "a\\u{1b}[2Jb.ndjson");
/// assert_eq!(escape_terminal("x\nFAIL y\r\t"), "x\\nFAIL y\\r\\t");
/// assert_eq!(escape_terminal("evil\u{202e}lmth.ndjson"), "evil\\u{202e}lmth.ndjson");
/// assert!(matches!(escape_terminal("plain"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn escape_terminal(s: &str) -> Cow<'_, str> {
    let Some(first) = s.find(needs_escape) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` safe inside HTML, SVG or XML text and quoted attribute values: `& < > " '` as
/// entities, and the control characters XML 1.0 forbids (all but tab, newline and carriage
/// return) dropped. Borrowed when there is nothing to change.
///
/// ```
/// use steadfast_core::escape_markup;
///
/// assert_eq!(escape_markup("Patient"), "Patient");
/// assert_eq!(escape_markup(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// assert_eq!(escape_markup("a\u{1b}b\tc"), "ab\tc");
/// ```
pub fn escape_markup(s: &str) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\'')
            || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    };
    let Some(first) = s.find(special) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if special(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape_terminal;

    #[test]
    fn every_control_character_is_escaped() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            let raw = format!("a{c}b");
            let escaped = escape_terminal(&raw);
            assert!(!escaped.chars().any(char::is_control), "{c:?}: {escaped}");
            assert!(
                escaped.starts_with('a') && escaped.ends_with('b'),
                "{escaped}"
            );
        }
        assert_eq!(escape_terminal("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape_terminal("é 日本 ✓"), "é 日本 ✓");
    }
}
