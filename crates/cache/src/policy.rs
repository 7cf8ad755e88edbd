//! What may be stored and for how long (RFC 9111): the status, `Cache-Control` (`no-store`,
//! `private`, `no-cache`, `max-age`, `s-maxage`, `must-revalidate`,
//! `stale-while-revalidate`), `Expires`, `Age` and `Vary` of an origin response.

use crate::response::header;

/// The configured lifetimes, in milliseconds, and the size cap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Freshness when the response states none.
    pub(crate) ttl: u64,
    /// The most freshness any response gets.
    pub(crate) max_ttl: u64,
    /// Stale-while-revalidate window when the response states none.
    pub(crate) swr: u64,
    /// Freshness of a 404/410 (a cap on what the response states).
    pub(crate) negative_ttl: u64,
    /// How long past its stale window an entry with a validator is kept to revalidate.
    pub(crate) retain: u64,
    /// Bodies larger than this are never stored.
    pub(crate) max_entry: usize,
}

/// Why a response was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// A status that is never cached (5xx, 429, 401, …).
    Status,
    /// `no-store`, `Vary: *` or a `Vary` on a header the key does not hold.
    Directive,
    /// Larger than `max_entry`.
    Oversize,
}

/// How a storable response is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keep {
    pub(crate) fresh: u64,
    pub(crate) swr: u64,
    pub(crate) retain: u64,
    pub(crate) private: bool,
    pub(crate) negative: bool,
}

/// Whether the statuses positive caching stores (RFC 9111 §4.2.2's heuristically
/// cacheable ones, minus the errors).
fn positive(status: u16) -> bool {
    matches!(status, 200 | 203 | 204 | 300 | 301 | 308)
}

/// `Cache-Control` directives, named and with their value, without allocating.
fn directives(headers: &[(Box<str>, Box<str>)]) -> impl Iterator<Item = (&str, Option<&str>)> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cache-control"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| match d.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (d, None),
        })
}

fn seconds(v: Option<&str>) -> Option<u64> {
    v.and_then(|v| v.parse::<u64>().ok())
        .map(|s| s.saturating_mul(1000))
}

/// The decision for a response with `status`, `headers` (lower-case names) and a body of
/// `len` bytes, received at `now`.
pub(crate) fn decide(
    status: u16,
    headers: &[(Box<str>, Box<str>)],
    len: usize,
    now: u64,
    limits: &Limits,
) -> Result<Keep, Skip> {
    let negative = matches!(status, 404 | 410);
    if !positive(status) && !negative {
        return Err(Skip::Status);
    }
    let (mut max_age, mut s_maxage, mut swr) = (None, None, None);
    let (mut private, mut no_cache, mut must_revalidate) = (false, false, false);
    for (name, value) in directives(headers) {
        match name.to_ascii_lowercase().as_str() {
            "no-store" => return Err(Skip::Directive),
            "private" => private = true,
            "no-cache" => no_cache = true,
            "must-revalidate" | "proxy-revalidate" => must_revalidate = true,
            "max-age" => max_age = seconds(value).or(Some(0)),
            "s-maxage" => s_maxage = seconds(value).or(Some(0)),
            "stale-while-revalidate" => swr = seconds(value),
            _ => {}
        }
    }
    for vary in header(headers, "vary")
        .into_iter()
        .flat_map(|v| v.split(','))
    {
        let vary = vary.trim();
        if !(vary.is_empty()
            || vary.eq_ignore_ascii_case("accept")
            || vary.eq_ignore_ascii_case("accept-encoding"))
        {
            return Err(Skip::Directive);
        }
    }
    if len > limits.max_entry {
        return Err(Skip::Oversize);
    }
    let validator = header(headers, "etag").is_some() || header(headers, "last-modified").is_some();
    // A shared tier reads s-maxage first; the explicit lifetime otherwise; `Expires`
    // without either; the configured ttl when the response says nothing.
    let explicit = if private {
        max_age
    } else {
        s_maxage.or(max_age)
    };
    let explicit = explicit.or_else(|| {
        header(headers, "expires")
            .map(|e| crate::httpdate::parse_ms(e).map_or(0, |at| at.saturating_sub(now)))
    });
    let age = seconds(header(headers, "age")).unwrap_or(0);
    let mut fresh = explicit.unwrap_or(limits.ttl).min(limits.max_ttl);
    if negative {
        fresh = fresh.min(limits.negative_ttl);
    }
    if no_cache {
        fresh = 0;
    }
    fresh = fresh.saturating_sub(age);
    let swr = if must_revalidate || no_cache || negative {
        0
    } else {
        swr.unwrap_or(limits.swr).min(limits.max_ttl)
    };
    if fresh == 0 && !validator {
        // Nothing to serve and nothing to revalidate with.
        return Err(Skip::Directive);
    }
    Ok(Keep {
        fresh,
        swr,
        retain: if validator { limits.retain } else { 0 },
        private,
        negative,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        ttl: 60_000,
        max_ttl: 3_600_000,
        swr: 10_000,
        negative_ttl: 5_000,
        retain: 600_000,
        max_entry: 1000,
    };

    fn h(pairs: &[(&str, &str)]) -> Vec<(Box<str>, Box<str>)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect()
    }

    fn decide_with(status: u16, pairs: &[(&str, &str)]) -> Result<Keep, Skip> {
        decide(status, &h(pairs), 10, 0, &LIMITS)
    }

    #[test]
    fn errors_and_throttling_are_never_stored() {
        for status in [500, 502, 503, 504, 429, 401, 403, 400, 206, 302] {
            assert_eq!(decide_with(status, &[]), Err(Skip::Status), "{status}");
        }
    }

    #[test]
    fn cache_control_is_honoured() {
        assert_eq!(
            decide_with(200, &[("cache-control", "no-store")]),
            Err(Skip::Directive)
        );
        let k = decide_with(200, &[("cache-control", "max-age=30, private")]).unwrap();
        assert_eq!((k.fresh, k.private), (30_000, true));
        let k = decide_with(200, &[("cache-control", "max-age=30, s-maxage=90")]).unwrap();
        assert_eq!(k.fresh, 90_000);
        let k = decide_with(200, &[("cache-control", "max-age=99999999")]).unwrap();
        assert_eq!(k.fresh, LIMITS.max_ttl);
        let k = decide_with(200, &[]).unwrap();
        assert_eq!((k.fresh, k.swr, k.retain), (LIMITS.ttl, LIMITS.swr, 0));
        let k = decide_with(
            200,
            &[("cache-control", "max-age=10, stale-while-revalidate=3")],
        )
        .unwrap();
        assert_eq!(k.swr, 3000);
        let k = decide_with(200, &[("cache-control", "max-age=10, must-revalidate")]).unwrap();
        assert_eq!(k.swr, 0);
        let k = decide_with(200, &[("cache-control", "max-age=10"), ("age", "4")]).unwrap();
        assert_eq!(k.fresh, 6000);
    }

    #[test]
    fn no_cache_keeps_only_what_can_be_revalidated() {
        assert_eq!(
            decide_with(200, &[("cache-control", "no-cache")]),
            Err(Skip::Directive)
        );
        let k = decide_with(200, &[("cache-control", "no-cache"), ("etag", "\"v1\"")]).unwrap();
        assert_eq!((k.fresh, k.retain), (0, LIMITS.retain));
    }

    #[test]
    fn negative_answers_get_the_short_ttl() {
        let k = decide_with(404, &[]).unwrap();
        assert_eq!((k.fresh, k.swr, k.negative), (LIMITS.negative_ttl, 0, true));
        let k = decide_with(410, &[("cache-control", "max-age=2")]).unwrap();
        assert_eq!(k.fresh, 2000);
    }

    #[test]
    fn vary_and_size() {
        assert_eq!(decide_with(200, &[("vary", "*")]), Err(Skip::Directive));
        assert_eq!(
            decide_with(200, &[("vary", "Cookie")]),
            Err(Skip::Directive)
        );
        assert!(decide_with(200, &[("vary", "Accept, Accept-Encoding")]).is_ok());
        assert_eq!(decide(200, &[], 1001, 0, &LIMITS), Err(Skip::Oversize));
    }

    #[test]
    fn expires_counts_from_now() {
        let now = crate::httpdate::parse_ms("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let k = decide(
            200,
            &h(&[("expires", "Sun, 06 Nov 1994 08:50:37 GMT")]),
            1,
            now,
            &LIMITS,
        )
        .unwrap();
        assert_eq!(k.fresh, 60_000);
        assert_eq!(
            decide(200, &h(&[("expires", "0")]), 1, now, &LIMITS),
            Err(Skip::Directive)
        );
    }
}
