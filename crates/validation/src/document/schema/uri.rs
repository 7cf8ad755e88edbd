//! RFC 3986 URIs and relative references, as the `rfc3987` package's `URI` and
//! `URI_reference` rules match them (ASCII only: an IRI's characters are refused).

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

pub(super) fn is_uri(s: &[u8]) -> bool {
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
    // path-absolute ("/" not followed by "/"), path-rootless or path-empty after "//".
    after_scheme(&s[colon + 1..], |_| true)
}

/// RFC 3986 `relative-ref`: a reference without a scheme (its first segment has no `:`).
pub(super) fn is_relative_ref(s: &[u8]) -> bool {
    after_scheme(s, |path| {
        let first = path.iter().position(|&c| c == b'/').unwrap_or(path.len());
        !path[..first].contains(&b':')
    })
}

/// What follows a URI's scheme (or all of a relative reference): `//authority` and a
/// path, or a path `path_ok` accepts, then `?query` and `#fragment`.
fn after_scheme(s: &[u8], path_ok: impl Fn(&[u8]) -> bool) -> bool {
    let (rest, fragment) = match s.iter().position(|&c| c == b'#') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (path, query) = match rest.iter().position(|&c| c == b'?') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let tail_ok =
        |t: Option<&[u8]>| t.is_none_or(|t| chars_ok(t, |c| pchar(c) || c == b'/' || c == b'?'));
    if !tail_ok(query) || !tail_ok(fragment) {
        return false;
    }
    if let Some(after) = path.strip_prefix(b"//") {
        let end = after.iter().position(|&c| c == b'/').unwrap_or(after.len());
        return authority_ok(&after[..end]) && chars_ok(&after[end..], |c| pchar(c) || c == b'/');
    }
    path_ok(path) && chars_ok(path, |c| pchar(c) || c == b'/')
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
