//! `Timestamp`: a UTC instant that serialises as RFC 3339 with milliseconds.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A UTC instant, written `2025-09-29T10:00:00.123Z` in every file Steadfast writes.
///
/// ```
/// use steadfast_core::Timestamp;
///
/// let t: Timestamp = "2025-09-29T10:00:00.123Z".parse().unwrap();
/// assert_eq!(t.to_string(), "2025-09-29T10:00:00.123Z");
/// assert_eq!(t.compact(), "20250929T100000Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(SystemTime);

impl Timestamp {
    /// The current time, from the system clock, to the millisecond — the precision every
    /// file writes — so a timestamp survives a write and a read unchanged.
    pub fn now() -> Self {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let millis = Duration::from_millis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX));
        Self(UNIX_EPOCH + millis)
    }

    /// Wraps a [`SystemTime`].
    pub const fn from_system(t: SystemTime) -> Self {
        Self(t)
    }

    /// `secs` seconds after the Unix epoch.
    pub fn from_unix_secs(secs: u64) -> Self {
        Self(UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// The wrapped [`SystemTime`].
    pub const fn system_time(self) -> SystemTime {
        self.0
    }

    /// The time since `earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: Self) -> Duration {
        self.0.duration_since(earlier.0).unwrap_or_default()
    }

    /// The form used in run directory names: `YYYYMMDDTHHMMSSZ`.
    pub fn compact(self) -> String {
        let full = humantime::format_rfc3339_seconds(self.0).to_string();
        full.chars().filter(|c| *c != '-' && *c != ':').collect()
    }

    /// Parses the run-directory form `YYYYMMDDTHHMMSSZ`.
    pub fn parse_compact(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        if !s[..8]
            .bytes()
            .chain(s[9..15].bytes())
            .all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let rfc = format!(
            "{}-{}-{}T{}:{}:{}Z",
            &s[0..4],
            &s[4..6],
            &s[6..8],
            &s[9..11],
            &s[11..13],
            &s[13..15]
        );
        humantime::parse_rfc3339(&rfc).ok().map(Self)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_rfc3339_millis(self.0))
    }
}

/// The error of parsing a [`Timestamp`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid timestamp {text:?}: expected RFC 3339 in UTC, like `2025-09-29T10:00:00.123Z`")]
pub struct ParseTimestampError {
    text: String,
}

impl FromStr for Timestamp {
    type Err = ParseTimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_rfc3339_weak(s.trim_end_matches('Z'))
            .or_else(|_| humantime::parse_rfc3339(s))
            .map(Self)
            .map_err(|_| ParseTimestampError { text: s.to_owned() })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_round_trip() {
        let t = Timestamp::from_unix_secs(1_759_140_000);
        assert_eq!(t.compact(), "20250929T100000Z");
        assert_eq!(Timestamp::parse_compact(&t.compact()), Some(t));
        assert_eq!(Timestamp::parse_compact("20250929T100000"), None);
        assert_eq!(Timestamp::parse_compact("2025092xT100000Z"), None);
    }

    #[test]
    fn serde_rfc3339_millis() {
        let t: Timestamp = serde_json::from_str("\"2025-09-29T10:00:00.123Z\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2025-09-29T10:00:00.123Z\""
        );
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert_eq!(
            t.since(Timestamp::from_unix_secs(1_759_140_000)),
            Duration::from_millis(123)
        );
    }
}
