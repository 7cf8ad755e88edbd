//! Human durations (`250ms`, `30s`, `5m`, `1h 30m`; a plain number is seconds), with serde.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::Error;

/// A [`Duration`] that parses and prints the way configuration files write it.
///
/// Accepts `250ms`, `30s`, `5m`, `2h`, `1h 30m`, `1d` and plain numbers of seconds (`600`,
/// `0.5`). Prints in the same form (`1h 30m`), so a saved configuration reads like the one
/// the user wrote.
///
/// ```
/// use std::time::Duration;
/// use steadfast_core::HumanDuration;
///
/// let d: HumanDuration = "5m".parse()?;
/// assert_eq!(d.get(), Duration::from_secs(300));
/// assert_eq!("600".parse::<HumanDuration>()?.get(), Duration::from_secs(600));
/// assert_eq!(HumanDuration::from(Duration::from_millis(1500)).to_string(), "1s 500ms");
/// # Ok::<(), steadfast_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct HumanDuration(Duration);

impl HumanDuration {
    /// The longest duration a configuration may say: 100 years. Anything longer is a
    /// mistake, and adding it to a clock reading could overflow (`Instant + Duration` panics).
    pub const MAX: Duration = Duration::from_secs(100 * 365 * 24 * 3600 + 25 * 24 * 3600);

    /// Wraps `d`.
    pub const fn new(d: Duration) -> Self {
        Self(d)
    }

    /// `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }

    /// The wrapped [`Duration`].
    pub const fn get(self) -> Duration {
        self.0
    }

    /// The duration rounded for people, at most two units: `250ns`, `29.4µs`, `850ms`,
    /// `12.3s`, `4m 05s`, `2h 03m`, `3d 04h` — the one compact form every message, report
    /// and page uses
    /// ([`Display`](std::fmt::Display) writes the exact, parseable form instead).
    ///
    /// ```
    /// use std::time::Duration;
    /// use steadfast_core::HumanDuration;
    ///
    /// let approx = |ms| HumanDuration::from_millis(ms).approx();
    /// assert_eq!(approx(850), "850ms");
    /// assert_eq!(approx(12_340), "12.3s");
    /// assert_eq!(approx(245_000), "4m 05s");
    /// assert_eq!(approx(7_380_000), "2h 03m");
    /// assert_eq!(approx(273_600_000), "3d 04h");
    /// assert_eq!(HumanDuration::new(Duration::from_nanos(29_400)).approx(), "29.4µs");
    /// assert_eq!(HumanDuration::new(Duration::from_nanos(250)).approx(), "250ns");
    /// ```
    pub fn approx(self) -> String {
        let d = self.0;
        let (ms, secs) = (d.as_millis(), d.as_secs());
        if d.as_nanos() < 1000 && !d.is_zero() {
            format!("{}ns", d.as_nanos())
        } else if ms == 0 && !d.is_zero() {
            format!("{:.1}µs", d.as_secs_f64() * 1e6)
        } else if ms < 1000 {
            format!("{ms}ms")
        } else if secs < 60 {
            format!("{:.1}s", d.as_secs_f64())
        } else if secs < 3600 {
            format!("{}m {:02}s", secs / 60, secs % 60)
        } else if secs < 86_400 {
            format!("{}h {:02}m", secs / 3600, (secs / 60) % 60)
        } else {
            format!("{}d {:02}h", secs / 86_400, (secs / 3600) % 24)
        }
    }
}

impl From<Duration> for HumanDuration {
    fn from(d: Duration) -> Self {
        Self(d)
    }
}

impl From<HumanDuration> for Duration {
    fn from(d: HumanDuration) -> Self {
        d.0
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_zero() {
            return f.write_str("0s");
        }
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

fn duration_error(text: &str, reason: impl Into<String>) -> Error {
    let mut reason = reason.into();
    // humantime lists its units; our message says what to write instead.
    if let Some(i) = reason.find(", supported units") {
        reason.truncate(i);
    }
    if reason.starts_with("expected number at") {
        "it does not start with a number".clone_into(&mut reason);
    }
    Error::InvalidDuration {
        text: text.to_owned(),
        reason,
    }
}

/// Refuses a duration longer than [`HumanDuration::MAX`].
fn bounded(text: &str, d: Duration) -> Result<HumanDuration, Error> {
    if d > HumanDuration::MAX {
        return Err(duration_error(
            text,
            "it is longer than 100 years, the most allowed",
        ));
    }
    Ok(HumanDuration(d))
}

impl FromStr for HumanDuration {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_unbounded(text).and_then(|d| bounded(text, d.0))
    }
}

impl HumanDuration {
    fn parse_unbounded(text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(duration_error(text, "it is empty"));
        }
        if trimmed.starts_with('-') {
            return Err(duration_error(text, "a duration cannot be negative"));
        }
        if trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            let secs: f64 = trimmed
                .parse()
                .map_err(|_| duration_error(text, format!("`{trimmed}` is not a number")))?;
            return Duration::try_from_secs_f64(secs)
                .map(Self)
                .map_err(|_| duration_error(text, "it is too large"));
        }
        humantime::parse_duration(trimmed)
            .map(Self)
            .map_err(|e| duration_error(text, e.to_string()))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration like \"30s\" or \"5m\", or a number of seconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<HumanDuration, E> {
                bounded(&v.to_string(), Duration::from_secs(v)).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HumanDuration, E> {
                let secs = u64::try_from(v).map_err(|_| {
                    E::custom(format!(
                        "invalid duration {v}: a duration cannot be negative"
                    ))
                })?;
                self.visit_u64(secs)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<HumanDuration, E> {
                let d = Duration::try_from_secs_f64(v).map_err(|_| {
                    E::custom(format!("invalid duration {v}: expected seconds ≥ 0"))
                })?;
                bounded(&v.to_string(), d).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_forms() {
        let cases = [
            ("30s", 30_000),
            ("5m", 300_000),
            ("250ms", 250),
            ("1h 30m", 5_400_000),
            ("600", 600_000),
            ("0.5", 500),
            ("1d", 86_400_000),
        ];
        for (text, ms) in cases {
            let d: HumanDuration = text.parse().unwrap();
            assert_eq!(d.get(), Duration::from_millis(ms), "{text}");
        }
    }

    #[test]
    fn durations_that_would_overflow_a_clock_are_refused() {
        let err = "300000000000years".parse::<HumanDuration>().unwrap_err();
        assert!(err.to_string().contains("longer than 100 years"), "{err}");
        assert!("18446744073709551615".parse::<HumanDuration>().is_err());
        assert!("100y".parse::<HumanDuration>().is_ok());
        let err = serde_json::from_str::<HumanDuration>("18446744073709551615").unwrap_err();
        assert!(err.to_string().contains("longer than 100 years"), "{err}");
        // The largest allowed still fits on any clock reading of this machine.
        assert!(
            std::time::Instant::now()
                .checked_add(HumanDuration::MAX)
                .is_some()
        );
    }

    #[test]
    fn rejects_bad_durations_with_reasons() {
        let messages: Vec<String> = ["", "-5s", "5 parsecs", "1.2.3", "s"]
            .iter()
            .map(|t| t.parse::<HumanDuration>().unwrap_err().to_string())
            .collect();
        insta::assert_snapshot!(messages.join("\n"));
    }

    #[test]
    fn serde_forms() {
        #[derive(Deserialize, Serialize)]
        struct C {
            a: HumanDuration,
            b: HumanDuration,
            c: HumanDuration,
        }
        let c: C = serde_json::from_str(r#"{"a":"5m","b":30,"c":0.25}"#).unwrap();
        assert_eq!(c.a.get(), Duration::from_secs(300));
        assert_eq!(c.b.get(), Duration::from_secs(30));
        assert_eq!(c.c.get(), Duration::from_millis(250));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"a":"5m","b":"30s","c":"250ms"}"#
        );
    }

    proptest! {
        #[test]
        fn display_round_trips(ms in 0u64..10_000_000_000) {
            let d = HumanDuration::from_millis(ms);
            prop_assert_eq!(d.to_string().parse::<HumanDuration>().unwrap(), d);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,12}") {
            let _ = text.parse::<HumanDuration>();
        }
    }
}
