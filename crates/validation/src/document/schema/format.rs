//! The formats checked as Python `jsonschema`'s `FORMAT_CHECKER` checks them (`date`, and
//! `uri` as the `rfc3987` package's `URI` rule), and patterns translated to Python's `re`.

/// A `format` with a checker; any other format is accepted, as Python accepts formats it
/// has no checker for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// `YYYY-MM-DD`, a real calendar date (year 1 to 9999).
    Date,
    /// An absolute URI (RFC 3986 `URI`).
    Uri,
}

impl Format {
    /// The checker of a format name, None for the ones not checked.
    pub(super) fn named(name: &str) -> Option<Self> {
        match name {
            "date" => Some(Self::Date),
            "uri" => Some(Self::Uri),
            _ => None,
        }
    }

    /// True when `s` conforms.
    pub(super) fn check(self, s: &[u8]) -> bool {
        match self {
            Self::Date => is_date(s),
            Self::Uri => is_uri(s.strip_suffix(b"\n").unwrap_or(s)),
        }
    }

    /// The name as written in schemas.
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Date => "date",
            Self::Uri => "uri",
        }
    }
}

fn is_date(b: &[u8]) -> bool {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

fn sub_delim(c: u8) -> bool {
    matches!(
        c,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// True when every byte is `allowed` or part of a `%XX` escape.
fn chars_ok(s: &[u8], allowed: impl Fn(u8) -> bool) -> bool {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            if i + 2 >= s.len() || !s[i + 1].is_ascii_hexdigit() || !s[i + 2].is_ascii_hexdigit() {
                return false;
            }
            i += 3;
        } else if allowed(s[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn pchar(c: u8) -> bool {
    unreserved(c) || sub_delim(c) || c == b':' || c == b'@'
}

fn is_uri(s: &[u8]) -> bool {
    let Some(colon) = s.iter().position(|&c| c == b':') else {
        return false;
    };
    let scheme = &s[..colon];
    if !scheme.first().is_some_and(u8::is_ascii_alphabetic)
        || !scheme
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let rest = &s[colon + 1..];
    let (rest, fragment) = match rest.iter().position(|&c| c == b'#') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (hier, query) = match rest.iter().position(|&c| c == b'?') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let tail_ok =
        |t: Option<&[u8]>| t.is_none_or(|t| chars_ok(t, |c| pchar(c) || c == b'/' || c == b'?'));
    if !tail_ok(query) || !tail_ok(fragment) {
        return false;
    }
    if let Some(after) = hier.strip_prefix(b"//") {
        let end = after.iter().position(|&c| c == b'/').unwrap_or(after.len());
        authority_ok(&after[..end]) && chars_ok(&after[end..], |c| pchar(c) || c == b'/')
    } else {
        // path-absolute ("/" not followed by "/"), path-rootless or path-empty.
        chars_ok(hier, |c| pchar(c) || c == b'/')
    }
}

fn authority_ok(a: &[u8]) -> bool {
    let (userinfo, hostport) = match a.iter().rposition(|&c| c == b'@') {
        Some(i) => (Some(&a[..i]), &a[i + 1..]),
        None => (None, a),
    };
    if userinfo.is_some_and(|u| !chars_ok(u, |c| unreserved(c) || sub_delim(c) || c == b':')) {
        return false;
    }
    let (host, port) = if hostport.first() == Some(&b'[') {
        let Some(close) = hostport.iter().position(|&c| c == b']') else {
            return false;
        };
        if !ip_literal_ok(&hostport[1..close]) {
            return false;
        }
        match &hostport[close + 1..] {
            [] => (&[][..], None),
            [b':', port @ ..] => (&[][..], Some(port)),
            _ => return false,
        }
    } else {
        match hostport.iter().position(|&c| c == b':') {
            Some(i) => (&hostport[..i], Some(&hostport[i + 1..])),
            None => (hostport, None),
        }
    };
    chars_ok(host, |c| unreserved(c) || sub_delim(c))
        && port.is_none_or(|p| p.iter().all(u8::is_ascii_digit))
}

fn ip_literal_ok(s: &[u8]) -> bool {
    if let [b'v' | b'V', rest @ ..] = s {
        let Some(dot) = rest.iter().position(|&c| c == b'.') else {
            return false;
        };
        return dot > 0
            && rest[..dot].iter().all(u8::is_ascii_hexdigit)
            && dot + 1 < rest.len()
            && rest[dot + 1..]
                .iter()
                .all(|&c| unreserved(c) || sub_delim(c) || c == b':');
    }
    std::str::from_utf8(s).is_ok_and(|s| s.parse::<std::net::Ipv6Addr>().is_ok())
}

/// Translates a pattern from Python's `re` dialect to the `regex` crate's where they
/// differ: outside a class, `$` also matches before a final newline in Python.
pub(super) fn python_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars();
    let mut class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '[' if !class => {
                class = true;
                out.push(c);
                // A `]` first in a class is a literal.
                let rest = chars.as_str();
                let skip = if rest.starts_with("^]") {
                    2
                } else {
                    usize::from(rest.starts_with(']'))
                };
                for _ in 0..skip {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
            }
            ']' if class => {
                class = false;
                out.push(c);
            }
            '$' if !class => out.push_str(r"(?:\n?\z)"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_date(b"2024-02-29"));
        assert!(!is_date(b"2023-02-29"));
        assert!(!is_date(b"2024-02-30"));
        assert!(!is_date(b"0000-01-01"));
        assert!(!is_date(b"2024-13-01"));
        assert!(!is_date(b"2024-1-01x"));
    }

    #[test]
    fn uris() {
        for ok in [
            "https://a\n",
            "a:",
            "http://[::1]/x",
            "http://[v1.x]/",
            "HTTP://a:80/p?q#f",
            "mailto:x@y",
        ] {
            assert!(Format::Uri.check(ok.as_bytes()), "{ok:?}");
        }
        for bad in [
            "http://a b",
            "http://%zz",
            "http://a#f#g",
            "http://ü.de",
            "//a",
            "1a:b",
            "http://[::1",
        ] {
            assert!(!Format::Uri.check(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn dollar_before_newline() {
        let re = regex::Regex::new(&python_pattern("^ab$")).unwrap();
        assert!(re.is_match("ab\n"));
        assert!(!re.is_match("ab\nc"));
        assert_eq!(python_pattern("[$]"), "[$]");
    }
}
