//! HTTP status classification and `Retry-After` parsing (seconds or HTTP-date, RFC 9110).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::classify::Decision;

/// Classifies an HTTP response status: 408, 425, 429, 500, 502, 503 and 504 are transient;
/// every other status is permanent. A valid `Retry-After` on a transient status turns the
/// decision into [`Decision::RetryAfter`]; an invalid one is ignored.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::{Decision, classify_http};
///
/// assert_eq!(classify_http(503, Some("7")), Decision::RetryAfter(Duration::from_secs(7)));
/// assert_eq!(classify_http(502, None), Decision::Retry);
/// assert_eq!(classify_http(404, Some("7")), Decision::Stop);
/// ```
pub fn classify_http(status: u16, retry_after: Option<&str>) -> Decision {
    classify_http_at(status, retry_after, SystemTime::now())
}

/// [`classify_http`] with the current time given (for an HTTP-date `Retry-After`).
pub fn classify_http_at(status: u16, retry_after: Option<&str>, now: SystemTime) -> Decision {
    if !matches!(status, 408 | 425 | 429 | 500 | 502 | 503 | 504) {
        return Decision::Stop;
    }
    match retry_after.and_then(|v| parse_retry_after(v, now)) {
        Some(d) => Decision::RetryAfter(d),
        None => Decision::Retry,
    }
}

/// Parses a `Retry-After` value: delay-seconds (`120`) or an HTTP-date in any of the three
/// forms RFC 9110 §5.6.7 requires recipients to accept (IMF-fixdate, RFC 850, asctime).
/// A date in the past means "now" (zero).
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use steadfast_retry::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_717); // Sun, 06 Nov 1994 08:48:37 GMT
/// assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(60)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok().map(Duration::from_secs);
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime), always GMT.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let (day, month, year, time) = match parts.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [wd, d, m, y, t, "GMT"] if wd.ends_with(',') => (*d, *m, y.parse().ok()?, *t),
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [wd, date, t, "GMT"] if wd.ends_with(',') => {
            let mut it = date.split('-');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?);
            let yy: i64 = y.parse().ok()?;
            // RFC 9110: a two-digit year more than 50 years in the future is in the past.
            let year = if y.len() == 2 {
                if yy < 70 { 2000 + yy } else { 1900 + yy }
            } else {
                yy
            };
            (d, m, year, *t)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_, m, d, t, y] => (*d, *m, y.parse().ok()?, *t),
        _ => return None,
    };
    let month = MONTHS.iter().position(|n| *n == month)? + 1;
    let day: u32 = day.parse().ok()?;
    let mut hms = time.split(':').map(|p| p.parse::<u32>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || !(1..=31).contains(&day) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(year, u32::try_from(month).ok()?, day);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + se);
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn the_three_date_forms_agree() {
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(s), Some(at(NOW)), "{s}");
        }
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(at(1_835_438_400))
        );
    }

    #[test]
    fn bad_dates_are_none() {
        for s in [
            "",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "-5",
            "1.5",
        ] {
            assert_eq!(parse_retry_after(s, at(NOW)), None, "{s}");
        }
    }

    #[test]
    fn past_dates_mean_now_and_statuses() {
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at(NOW + 10)),
            Some(Duration::ZERO)
        );
        for s in [408, 425, 429, 500, 502, 503, 504] {
            assert_eq!(classify_http_at(s, None, at(NOW)), Decision::Retry, "{s}");
        }
        for s in [200, 301, 400, 401, 403, 404, 409, 410, 422, 501, 505] {
            assert_eq!(
                classify_http_at(s, Some("1"), at(NOW)),
                Decision::Stop,
                "{s}"
            );
        }
        assert_eq!(
            classify_http_at(429, Some("garbage"), at(NOW)),
            Decision::Retry
        );
    }
}
