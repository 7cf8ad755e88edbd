//! [`RateLimitHeaders`]: what a server's rate-limit headers say — the IETF draft's
//! `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset` and its structured
//! `RateLimit: limit=…, remaining=…, reset=…` (or `…;r=…;t=…`), and the vendor
//! `X-RateLimit-*` / `X-Rate-Limit-*` (GitHub, Epic, Cerner, Azure API for FHIR) whose reset is
//! seconds from now or a Unix time — and how they steer an [`AdaptiveRateLimiter`].

use std::time::Duration;

use crate::rate_limit::AdaptiveRateLimiter;

/// A reset this far away or more is read as a Unix time, not a delta in seconds (no window
/// lasts 31 years; GitHub sends epoch seconds).
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// The longest reset honoured: a server saying "in a year" is not waited for.
const MAX_RESET: Duration = Duration::from_secs(24 * 3600);

/// A server's rate-limit state as its headers tell it.
///
/// ```
/// use std::time::Duration;
/// use steadfast_retry::RateLimitHeaders;
///
/// let h = RateLimitHeaders::parse(
///     [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000030")],
///     1_700_000_000, // now, Unix seconds
/// ).unwrap();
/// assert_eq!(h.remaining, Some(0));
/// assert_eq!(h.reset, Some(Duration::from_secs(30)));
/// let h = RateLimitHeaders::parse([("RateLimit", "limit=100, remaining=50, reset=10")], 0).unwrap();
/// assert_eq!((h.limit, h.remaining, h.reset), (Some(100), Some(50), Some(Duration::from_secs(10))));
/// assert!(RateLimitHeaders::parse([("Content-Type", "application/fhir+json")], 0).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimitHeaders {
    /// Calls allowed in the window.
    pub limit: Option<u64>,
    /// Calls left in the current window.
    pub remaining: Option<u64>,
    /// Time until the window resets (capped at a day).
    pub reset: Option<Duration>,
}

impl RateLimitHeaders {
    /// Reads `headers` (name, value; names in any case); `now_unix` turns a Unix-time reset
    /// into a delay. `None` when no rate-limit header is there or none could be read.
    pub fn parse<'a, I>(headers: I, now_unix: u64) -> Option<Self>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut out = Self::default();
        for (name, value) in headers {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            let field = name
                .strip_prefix("x-ratelimit-")
                .or_else(|| name.strip_prefix("x-rate-limit-"))
                .or_else(|| name.strip_prefix("ratelimit-"));
            match (name.as_str(), field) {
                ("ratelimit", _) => out.structured(value, now_unix),
                (_, Some("limit")) => out.limit = number(value).or(out.limit),
                (_, Some("remaining")) => out.remaining = number(value).or(out.remaining),
                (_, Some("reset")) => out.reset = reset(value, now_unix).or(out.reset),
                _ => {}
            }
        }
        (out != Self::default()).then_some(out)
    }

    /// `limit=100, remaining=50, reset=10` or the later drafts' `"policy";r=50;t=10`.
    fn structured(&mut self, value: &str, now_unix: u64) {
        for item in value.split([',', ';']) {
            let Some((key, v)) = item.split_once('=') else {
                continue;
            };
            match key.trim().to_ascii_lowercase().as_str() {
                "limit" | "l" => self.limit = number(v).or(self.limit),
                "remaining" | "r" => self.remaining = number(v).or(self.remaining),
                "reset" | "t" => self.reset = reset(v, now_unix).or(self.reset),
                _ => {}
            }
        }
    }

    /// The pace these numbers allow: `remaining` calls spread over `reset`; `None` when
    /// either is unknown.
    pub fn allowed_rate(&self) -> Option<f64> {
        let (remaining, reset) = (self.remaining?, self.reset?);
        let secs = reset.as_secs_f64().max(1.0);
        #[allow(clippy::cast_precision_loss, reason = "a rate")]
        Some(remaining as f64 / secs)
    }
}

/// A non-negative integer (a header may quote it).
fn number(v: &str) -> Option<u64> {
    v.trim().trim_matches('"').parse().ok()
}

/// Seconds from now, or a Unix time (seconds, or milliseconds for some vendors).
fn reset(v: &str, now_unix: u64) -> Option<Duration> {
    let v = v.trim().trim_matches('"');
    let secs: u64 = match v.parse::<u64>() {
        Ok(n) => n,
        // `12.5` seconds: round up, never wait less than asked.
        Err(_) => v
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "checked above"
                )]
                let s = f.ceil() as u64;
                s
            })?,
    };
    let delta = if secs >= EPOCH_THRESHOLD * 1000 {
        (secs / 1000).saturating_sub(now_unix)
    } else if secs >= EPOCH_THRESHOLD {
        secs.saturating_sub(now_unix)
    } else {
        secs
    };
    Some(Duration::from_secs(delta).min(MAX_RESET))
}

impl AdaptiveRateLimiter {
    /// Follows what the server's rate-limit headers say: with calls left, the rate becomes
    /// no more than `remaining / reset` (within the limiter's bounds); with none left, no
    /// call is let through before the reset. Headers that say nothing usable change nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use steadfast_retry::{AdaptiveRateLimiter, ManualClock, RateLimitHeaders};
    ///
    /// let clock = ManualClock::new();
    /// let limiter = AdaptiveRateLimiter::new(50.0, 0.1, 100.0).clock(clock.clone());
    /// let h = RateLimitHeaders::parse([("RateLimit-Remaining", "0"), ("RateLimit-Reset", "20")], 0).unwrap();
    /// limiter.on_rate_limit(&h);
    /// assert_eq!(limiter.reserve(), Duration::from_secs(20)); // nothing before the reset
    /// let h = RateLimitHeaders::parse([("RateLimit-Remaining", "10"), ("RateLimit-Reset", "20")], 0).unwrap();
    /// limiter.on_rate_limit(&h);
    /// assert_eq!(limiter.rate(), 0.5);
    /// ```
    pub fn on_rate_limit(&self, headers: &RateLimitHeaders) {
        match (headers.remaining, headers.reset) {
            (Some(0), Some(reset)) => self.pause_for(reset),
            _ => {
                if let Some(rate) = headers.allowed_rate() {
                    self.cap_rate(rate);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(h: &[(&str, &str)]) -> Option<RateLimitHeaders> {
        RateLimitHeaders::parse(h.iter().copied(), 1_700_000_000)
    }

    #[test]
    fn every_dialect_reads_the_same() {
        let want = RateLimitHeaders {
            limit: Some(100),
            remaining: Some(7),
            reset: Some(Duration::from_secs(30)),
        };
        for h in [
            &[
                ("RateLimit-Limit", "100"),
                ("RateLimit-Remaining", "7"),
                ("RateLimit-Reset", "30"),
            ][..],
            &[
                ("x-ratelimit-limit", "100"),
                ("X-RATELIMIT-REMAINING", "7"),
                ("X-RateLimit-Reset", "1700000030"),
            ],
            &[
                ("X-Rate-Limit-Limit", "100"),
                ("X-Rate-Limit-Remaining", "7"),
                ("X-Rate-Limit-Reset", "1700000030000"),
            ],
            &[("RateLimit", "limit=100, remaining=7, reset=30")],
            &[("RateLimit", "\"default\";l=100;r=7;t=30")],
            &[
                ("RateLimit-Limit", "\"100\""),
                ("RateLimit-Remaining", " 7 "),
                ("RateLimit-Reset", "29.2"),
            ],
        ] {
            assert_eq!(parse(h), Some(want), "{h:?}");
        }
    }

    #[test]
    fn what_cannot_be_read_is_left_out() {
        assert_eq!(parse(&[("RateLimit-Remaining", "many")]), None);
        assert_eq!(parse(&[("RateLimit-Reset", "-5")]), None);
        assert_eq!(parse(&[("RateLimit", "garbage")]), None);
        // A reset in the past is now; one years away is capped at a day.
        assert_eq!(
            parse(&[("X-RateLimit-Reset", "1600000000")]).unwrap().reset,
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse(&[("RateLimit-Reset", "999999999")]).unwrap().reset,
            Some(MAX_RESET)
        );
        assert_eq!(
            parse(&[("RateLimit-Reset", "18446744073709551615")])
                .unwrap()
                .reset,
            Some(MAX_RESET)
        );
    }

    #[test]
    fn the_limiter_follows_the_server() {
        use crate::clock::ManualClock;
        let clock = ManualClock::new();
        let l = AdaptiveRateLimiter::new(50.0, 0.5, 100.0).clock(clock.clone());
        // 100 left over 10 s: at most 10 per second.
        l.on_rate_limit(
            &parse(&[("RateLimit-Remaining", "100"), ("RateLimit-Reset", "10")]).unwrap(),
        );
        assert_eq!(l.rate(), 10.0);
        // More allowed than the limiter's pace: the pace stays.
        l.on_rate_limit(
            &parse(&[("RateLimit-Remaining", "1000"), ("RateLimit-Reset", "10")]).unwrap(),
        );
        assert_eq!(l.rate(), 10.0);
        // Never below the minimum.
        l.on_rate_limit(
            &parse(&[("RateLimit-Remaining", "1"), ("RateLimit-Reset", "100")]).unwrap(),
        );
        assert_eq!(l.rate(), 0.5);
        // Spent: nothing before the reset, then the pace again.
        l.on_rate_limit(&parse(&[("RateLimit-Remaining", "0"), ("RateLimit-Reset", "5")]).unwrap());
        assert_eq!(l.reserve(), Duration::from_secs(5));
        // Only a limit: nothing to act on.
        l.on_rate_limit(&parse(&[("RateLimit-Limit", "10")]).unwrap());
        assert_eq!(l.rate(), 0.5);
    }
}
