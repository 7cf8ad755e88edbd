//! The formats checked as Python `jsonschema`'s `FORMAT_CHECKER` checks them with its
//! `format` extras installed (`date`, `date-time` and `time` as `rfc3339-validator`,
//! `email`, `ipv4` and `ipv6` as the standard library's `ipaddress`, `uri` and
//! `uri-reference` as the `rfc3987` package's rules, `json-pointer` as `jsonpointer`), and
//! patterns translated to Python's `re`.

use super::uri::{is_relative_ref, is_uri};

/// A `format` with a checker. A format without one (`hostname`, `regex`, `uri-template`,
/// a name no draft defines …) is accepted, as Python accepts formats it has no checker
/// for, and listed in the report as not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// `YYYY-MM-DD`, a real calendar date (year 1 to 9999).
    Date,
    /// RFC 3339 `date-time` (no leap second; `t` and `z` in either case).
    DateTime,
    /// RFC 3339 `full-time`, with its offset.
    Time,
    /// An absolute URI (RFC 3986 `URI`).
    Uri,
    /// A URI or a relative reference (RFC 3986 `URI-reference`).
    UriReference,
    /// `email`: has an `@` (all Python checks).
    Email,
    /// `idn-email`: as `email`.
    IdnEmail,
    /// Dotted-quad IPv4, no leading zeros.
    Ipv4,
    /// IPv6 text form, an IPv4 tail allowed, no zone.
    Ipv6,
    /// RFC 6901 JSON Pointer.
    JsonPointer,
}

impl Format {
    /// The checker of a format name, None for the ones not checked.
    pub(super) fn named(name: &str) -> Option<Self> {
        Some(match name {
            "date" => Self::Date,
            "date-time" => Self::DateTime,
            "time" => Self::Time,
            "uri" => Self::Uri,
            "uri-reference" => Self::UriReference,
            "email" => Self::Email,
            "idn-email" => Self::IdnEmail,
            "ipv4" => Self::Ipv4,
            "ipv6" => Self::Ipv6,
            "json-pointer" => Self::JsonPointer,
            _ => return None,
        })
    }

    /// True when `s` (a decoded string) conforms.
    pub(super) fn check(self, s: &[u8]) -> bool {
        // Python's `$` (in the `rfc3987` and `rfc3339` patterns) also matches before a
        // final newline.
        let before_newline = s.strip_suffix(b"\n").unwrap_or(s);
        match self {
            Self::Date => is_date(s),
            Self::DateTime => is_date_time(before_newline),
            Self::Time => is_full_time(before_newline),
            Self::Uri => is_uri(before_newline),
            Self::UriReference => is_uri(before_newline) || is_relative_ref(before_newline),
            Self::Email | Self::IdnEmail => s.contains(&b'@'),
            Self::Ipv4 => is_ipv4(s),
            Self::Ipv6 => is_ipv6(s),
            Self::JsonPointer => is_json_pointer(s),
        }
    }

    /// The name as written in schemas.
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Date => "date",
            Self::DateTime => "date-time",
            Self::Time => "time",
            Self::Uri => "uri",
            Self::UriReference => "uri-reference",
            Self::Email => "email",
            Self::IdnEmail => "idn-email",
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::JsonPointer => "json-pointer",
        }
    }
}

/// `digits` ASCII digits at the start of `s` as a number, and the rest.
fn digits(s: &[u8], digits: usize) -> Option<(u32, &[u8])> {
    let (head, rest) = s.split_at_checked(digits)?;
    let n = head.iter().try_fold(0u32, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })?;
    Some((n, rest))
}

/// `HH:MM:SS[.frac](Z|±HH:MM)` with hours 00–23, minutes and seconds 00–59.
fn is_full_time(s: &[u8]) -> bool {
    fn two(s: &[u8], max: u32) -> Option<(u32, &[u8])> {
        digits(s, 2).filter(|&(n, _)| n <= max)
    }
    fn colon(s: &[u8]) -> Option<&[u8]> {
        s.strip_prefix(b":")
    }
    let Some(rest) = two(s, 23)
        .and_then(|(_, r)| colon(r))
        .and_then(|r| two(r, 59))
        .and_then(|(_, r)| colon(r))
        .and_then(|r| two(r, 59))
        .map(|(_, r)| r)
    else {
        return false;
    };
    let rest = match rest.strip_prefix(b".") {
        Some(frac) => {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            &frac[n..]
        }
        None => rest,
    };
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', offset @ ..] => two(offset, 23)
            .and_then(|(_, r)| colon(r))
            .and_then(|r| two(r, 59))
            .is_some_and(|(_, r)| r.is_empty()),
        _ => false,
    }
}

fn is_date_time(s: &[u8]) -> bool {
    s.len() > 11 && is_date(&s[..10]) && matches!(s[10], b'T' | b't') && is_full_time(&s[11..])
}

/// Four decimal octets, each 0–255 written without leading zeros (as `ipaddress`).
fn is_ipv4(s: &[u8]) -> bool {
    let mut octets = 0;
    for octet in s.split(|&c| c == b'.') {
        octets += 1;
        let ok = !octet.is_empty()
            && octet.len() <= 3
            && octet.iter().all(u8::is_ascii_digit)
            && (octet == b"0" || octet[0] != b'0')
            && digits(octet, octet.len()).is_some_and(|(n, _)| n <= 255);
        if !ok {
            return false;
        }
    }
    octets == 4
}

/// IPv6 as Python's `ipaddress` reads it (colon-separated hextets, at most one `::`, an
/// IPv4 tail), with no `%zone` (the format checker refuses a scoped address).
fn is_ipv6(s: &[u8]) -> bool {
    if s.contains(&b'%') {
        return false;
    }
    let mut parts: Vec<&[u8]> = s.split(|&c| c == b':').collect();
    if parts.len() < 3 {
        return false;
    }
    if parts.last().is_some_and(|p| p.contains(&b'.')) {
        if !parts.pop().is_some_and(is_ipv4) {
            return false;
        }
        // Two hextets stand for the IPv4 tail.
        parts.extend([&b"0"[..], b"0"]);
    }
    if parts.len() > 9 {
        return false;
    }
    let mut skip = None;
    for (i, part) in parts.iter().enumerate().take(parts.len() - 1).skip(1) {
        if part.is_empty() {
            if skip.is_some() {
                return false;
            }
            skip = Some(i);
        }
    }
    let n = parts.len();
    let (hi, lo) = match skip {
        Some(at) => {
            let (mut hi, mut lo) = (at, n - at - 1);
            if parts[0].is_empty() {
                hi -= 1;
                if hi > 0 {
                    return false;
                }
            }
            if parts[n - 1].is_empty() {
                lo -= 1;
                if lo > 0 {
                    return false;
                }
            }
            if hi + lo >= 8 {
                return false;
            }
            (hi, lo)
        }
        None => {
            if n != 8 || parts[0].is_empty() || parts[n - 1].is_empty() {
                return false;
            }
            (n, 0)
        }
    };
    let hextet = |p: &&[u8]| !p.is_empty() && p.len() <= 4 && p.iter().all(u8::is_ascii_hexdigit);
    parts[..hi].iter().all(hextet) && parts[n - lo..].iter().all(hextet)
}

/// Empty, or `/`-separated reference tokens whose `~` is always `~0` or `~1`.
fn is_json_pointer(s: &[u8]) -> bool {
    let escapes_ok = s
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c == b'~')
        .all(|(i, _)| matches!(s.get(i + 1), Some(b'0' | b'1')));
    escapes_ok && (s.is_empty() || s[0] == b'/')
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
