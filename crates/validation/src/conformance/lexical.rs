//! The lexical rules of FHIR R4's primitive types, written out by hand from the
//! specification's regular expressions, with real calendar dates where those only bound
//! the digits.

/// An integer as FHIR writes it: no fraction, no exponent, no leading zeros; `+` allowed
/// before a positiveInt's digits (`signed` allows `-`).
pub(crate) fn int(v: &str, signed: bool) -> Option<i64> {
    let b = v.as_bytes();
    let digits = match b.first()? {
        b'-' if signed => &b[1..],
        _ => b,
    };
    if digits.is_empty()
        || digits.len() > 11
        || !digits.iter().all(u8::is_ascii_digit)
        || (digits.len() > 1 && digits[0] == b'0')
    {
        return None;
    }
    v.parse().ok()
}

pub(crate) fn code(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && !b[0].is_ascii_whitespace()
        && !b[b.len() - 1].is_ascii_whitespace()
        && !b
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
}

pub(crate) fn oid(v: &str) -> bool {
    let Some(rest) = v.strip_prefix("urn:oid:") else {
        return false;
    };
    let mut parts = rest.split('.');
    let first_ok = matches!(parts.next(), Some("0" | "1" | "2"));
    let mut n = 0;
    first_ok
        && parts.all(|p| {
            n += 1;
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p == "0" || !p.starts_with('0'))
        })
        && n > 0
}

pub(crate) fn uuid(v: &str) -> bool {
    let Some(rest) = v.strip_prefix("urn:uuid:") else {
        return false;
    };
    let b = rest.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

/// Base64 with whitespace allowed between characters (the R4 expression forgets `/`,
/// which every encoder emits; the HL7 validator accepts it too).
pub(crate) fn base64(v: &str) -> bool {
    let mut n = 0usize;
    let mut pad = 0usize;
    for b in v.bytes() {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'=' => {
                pad += 1;
                n += 1;
            }
            _ if pad > 0 => return false,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => n += 1,
            _ => return false,
        }
    }
    n > 0 && n.is_multiple_of(4) && pad <= 2
}

fn digits(b: &[u8], n: usize) -> Option<(u32, &[u8])> {
    let head = b.get(..n)?;
    if !head.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = head
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    Some((value, &b[n..]))
}

fn days_in(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY(-MM(-DD)?)?` with a real month and day (year 0001 on); returns what follows.
/// The second value says whether the day was given.
fn date_parts(b: &[u8]) -> Option<(&[u8], bool)> {
    let (year, rest) = digits(b, 4)?;
    if year == 0 {
        return None;
    }
    let Some(rest) = rest.strip_prefix(b"-") else {
        return Some((rest, false));
    };
    let (month, rest) = digits(rest, 2)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let Some(rest) = rest.strip_prefix(b"-") else {
        return Some((rest, false));
    };
    let (day, rest) = digits(rest, 2)?;
    if day == 0 || day > days_in(year, month) {
        return None;
    }
    Some((rest, true))
}

pub(crate) fn date(b: &[u8]) -> Option<&[u8]> {
    date_parts(b).map(|(rest, _)| rest)
}

/// `hh:mm:ss(.s+)?` (hours 00–23, seconds up to 60 for a leap second); returns the rest.
pub(crate) fn time(b: &[u8]) -> Option<&[u8]> {
    let (h, rest) = digits(b, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (m, rest) = digits(rest, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (s, mut rest) = digits(rest, 2)?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    Some(rest)
}

/// `Z` or `(+|-)hh:mm` up to +14:00.
fn zone(b: &[u8]) -> bool {
    if b == b"Z" {
        return true;
    }
    let Some((&sign, rest)) = b.split_first() else {
        return false;
    };
    if sign != b'+' && sign != b'-' {
        return false;
    }
    let Some((h, rest)) = digits(rest, 2) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b":") else {
        return false;
    };
    matches!(digits(rest, 2), Some((m, [])) if m <= 59 && (h < 14 || (h == 14 && m == 0)))
}

/// A dateTime (partial dates allowed, a time needs a zone) or, `instant`, a full one.
pub(crate) fn date_time(b: &[u8], instant: bool) -> bool {
    let Some((rest, full_date)) = date_parts(b) else {
        return false;
    };
    if rest.is_empty() {
        return !instant;
    }
    if !full_date {
        return false;
    }
    let Some(rest) = rest.strip_prefix(b"T") else {
        return false;
    };
    time(rest).is_some_and(zone)
}
