//! Byte sizes (`10GiB`, `500MB`, `1048576`), with serde.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::Error;

const UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("k", 1_000),
    ("kb", 1_000),
    ("m", 1_000_000),
    ("mb", 1_000_000),
    ("g", 1_000_000_000),
    ("gb", 1_000_000_000),
    ("t", 1_000_000_000_000),
    ("tb", 1_000_000_000_000),
    ("p", 1_000_000_000_000_000),
    ("pb", 1_000_000_000_000_000),
    ("ki", 1 << 10),
    ("kib", 1 << 10),
    ("mi", 1 << 20),
    ("mib", 1 << 20),
    ("gi", 1 << 30),
    ("gib", 1 << 30),
    ("ti", 1 << 40),
    ("tib", 1 << 40),
    ("pi", 1 << 50),
    ("pib", 1 << 50),
];

/// A number of bytes, written the way people write it: `10GiB`, `500MB`, `1.5GiB`, `4096`.
///
/// Binary units (`KiB` … `PiB`, or `Ki` … `Pi`) are powers of 1024, decimal ones (`KB` …
/// `PB`, or `K` … `P`) powers of 1000; units are case-insensitive and may be separated from
/// the number by a space. A plain number is bytes. `Display` writes the shortest exact form,
/// so a parsed value prints back to something that parses to the same value.
///
/// ```
/// use steadfast_core::ByteSize;
///
/// let s: ByteSize = "10GiB".parse()?;
/// assert_eq!(s.bytes(), 10 * 1024 * 1024 * 1024);
/// assert_eq!("500 MB".parse::<ByteSize>()?.to_string(), "500MB");
/// assert_eq!(ByteSize::new(1536).to_string(), "1536B");
/// assert_eq!(ByteSize::new(1536).human(), "1.5 KiB");
/// # Ok::<(), steadfast_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(u64);

impl ByteSize {
    /// `bytes` bytes.
    pub const fn new(bytes: u64) -> Self {
        Self(bytes)
    }

    /// `n` KiB.
    pub const fn kib(n: u64) -> Self {
        Self(n << 10)
    }

    /// `n` MiB.
    pub const fn mib(n: u64) -> Self {
        Self(n << 20)
    }

    /// `n` GiB.
    pub const fn gib(n: u64) -> Self {
        Self(n << 30)
    }

    /// The number of bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// An approximate form for people, with one decimal: `1.5 GiB`, `312 B`.
    pub fn human(self) -> String {
        const NAMES: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit < NAMES.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 {
            format!("{} B", self.0)
        } else {
            format!("{value:.1} {}", NAMES[unit])
        }
    }
}

impl From<u64> for ByteSize {
    fn from(bytes: u64) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const BINARY: [(&str, u64); 5] = [
            ("PiB", 1 << 50),
            ("TiB", 1 << 40),
            ("GiB", 1 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
        ];
        const DECIMAL: [(&str, u64); 5] = [
            ("PB", 1_000_000_000_000_000),
            ("TB", 1_000_000_000_000),
            ("GB", 1_000_000_000),
            ("MB", 1_000_000),
            ("KB", 1_000),
        ];
        if self.0 != 0 {
            for (name, factor) in BINARY.into_iter().chain(DECIMAL) {
                if self.0.is_multiple_of(factor) {
                    return write!(f, "{}{name}", self.0 / factor);
                }
            }
        }
        write!(f, "{}B", self.0)
    }
}

/// Splits `text` into its number and its unit, both trimmed.
fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .map_or(text.len(), |(i, _)| i);
    (text[..end].trim(), text[end..].trim())
}

fn size_error(text: &str, reason: impl Into<String>) -> Error {
    Error::InvalidSize {
        text: text.to_owned(),
        reason: reason.into(),
    }
}

impl FromStr for ByteSize {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(size_error(text, "it is empty"));
        }
        if trimmed.starts_with('-') {
            return Err(size_error(text, "a size cannot be negative"));
        }
        let (number, unit) = split_number(trimmed);
        let number = number.replace('_', "");
        if number.is_empty() {
            return Err(size_error(text, "it does not start with a number"));
        }
        let factor = if unit.is_empty() {
            1
        } else {
            let lower = unit.to_ascii_lowercase();
            UNITS
                .iter()
                .find(|(name, _)| *name == lower)
                .map(|&(_, factor)| factor)
                .ok_or_else(|| {
                    size_error(
                        text,
                        format!(
                            "unknown unit `{unit}` (known: B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB)"
                        ),
                    )
                })?
        };
        if let Ok(whole) = number.parse::<u64>() {
            return whole
                .checked_mul(factor)
                .map(Self)
                .ok_or_else(|| size_error(text, "it is larger than 16EiB"));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| size_error(text, format!("`{number}` is not a number")))?;
        let bytes = (value * factor as f64).round();
        if factor == 1 && value.fract() != 0.0 {
            return Err(size_error(text, "a number of bytes must be whole"));
        }
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(size_error(text, "it is larger than 16EiB"));
        }
        // In range and rounded just above, so the cast is exact.
        #[allow(clippy::cast_possible_truncation, reason = "checked to be in range")]
        Ok(Self(bytes as u64))
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size like \"10GiB\" or \"500MB\", or a number of bytes")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom(format!("invalid size {v}: a size cannot be negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
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
    fn parses_units() {
        let cases = [
            ("0", 0),
            ("4096", 4096),
            ("1_000", 1000),
            ("12B", 12),
            ("1KiB", 1024),
            ("1 kib", 1024),
            ("500MB", 500_000_000),
            ("500M", 500_000_000),
            ("10GiB", 10 << 30),
            ("10Gi", 10 << 30),
            ("1.5GiB", 3 << 29),
            ("2TB", 2_000_000_000_000),
            ("1PiB", 1 << 50),
        ];
        for (text, bytes) in cases {
            assert_eq!(text.parse::<ByteSize>().unwrap().bytes(), bytes, "{text}");
        }
    }

    #[test]
    fn rejects_bad_sizes_with_reasons() {
        let messages: Vec<String> = [
            "10 GBB",
            "",
            "-5MB",
            "GiB",
            "1.5",
            "99999999999PiB",
            "1..2GB",
        ]
        .iter()
        .map(|t| t.parse::<ByteSize>().unwrap_err().to_string())
        .collect();
        insta::assert_snapshot!(messages.join("\n"));
    }

    #[test]
    fn display_is_exact_and_short() {
        assert_eq!(ByteSize::gib(10).to_string(), "10GiB");
        assert_eq!(ByteSize::new(500_000_000).to_string(), "500MB");
        assert_eq!(ByteSize::new(0).to_string(), "0B");
        assert_eq!(ByteSize::new(1023).to_string(), "1023B");
        assert_eq!(ByteSize::new(3 << 29).to_string(), "1536MiB");
    }

    #[test]
    fn serde_accepts_strings_and_numbers() {
        #[derive(Debug, Deserialize, Serialize)]
        struct C {
            a: ByteSize,
            b: ByteSize,
        }
        let c: C = serde_json::from_str(r#"{"a":"10GiB","b":4096}"#).unwrap();
        assert_eq!(c.a, ByteSize::gib(10));
        assert_eq!(c.b, ByteSize::new(4096));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"a":"10GiB","b":"4KiB"}"#
        );
        let err = serde_json::from_str::<C>(r#"{"a":-1,"b":1}"#).unwrap_err();
        assert!(err.to_string().contains("cannot be negative"), "{err}");
    }

    proptest! {
        #[test]
        fn display_round_trips(bytes in any::<u64>()) {
            let size = ByteSize::new(bytes);
            prop_assert_eq!(size.to_string().parse::<ByteSize>().unwrap(), size);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,12}") {
            let _ = text.parse::<ByteSize>();
        }

        #[test]
        fn whole_units_multiply(n in 0u64..10_000, unit in 0usize..UNITS.len()) {
            let (name, factor) = UNITS[unit];
            let parsed: ByteSize = format!("{n}{name}").parse().unwrap();
            prop_assert_eq!(parsed.bytes(), n * factor);
        }
    }
}
