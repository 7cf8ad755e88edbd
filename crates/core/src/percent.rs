//! `SizeOrPercent`: a limit written as an absolute size (`10GiB`) or a percentage (`85%`).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::Error;
use crate::size::ByteSize;

/// A limit given either as an absolute size (`10GiB`) or as a percentage (`85%`).
///
/// Disk watermarks and memory limits use it; what the percentage is of (used space, total
/// memory) is up to the crate that reads it.
///
/// ```
/// use steadfast_core::{ByteSize, SizeOrPercent};
///
/// assert_eq!("85%".parse::<SizeOrPercent>()?, SizeOrPercent::Percent(85.0));
/// assert_eq!("10GiB".parse::<SizeOrPercent>()?, SizeOrPercent::Size(ByteSize::gib(10)));
/// # Ok::<(), steadfast_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeOrPercent {
    /// An absolute number of bytes.
    Size(ByteSize),
    /// A percentage in `0.0..=100.0`.
    Percent(f64),
}

impl fmt::Display for SizeOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Size(size) => size.fmt(f),
            Self::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl FromStr for SizeOrPercent {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let Some(number) = trimmed.strip_suffix('%') else {
            return trimmed.parse().map(Self::Size).map_err(|e| match e {
                Error::InvalidSize { reason, .. } => Error::InvalidSizeOrPercent {
                    text: text.to_owned(),
                    reason,
                },
                other => other,
            });
        };
        let err = |reason: &str| Error::InvalidSizeOrPercent {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let value: f64 = number
            .trim()
            .parse()
            .map_err(|_| err("the part before `%` is not a number"))?;
        if !(0.0..=100.0).contains(&value) {
            return Err(err("a percentage must be between 0 and 100"));
        }
        Ok(Self::Percent(value))
    }
}

impl Serialize for SizeOrPercent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SizeOrPercent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SizeOrPercent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size like \"10GiB\" or a percentage like \"85%\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SizeOrPercent, E> {
                Ok(SizeOrPercent::Size(ByteSize::new(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SizeOrPercent, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_accepts_strings_and_numbers() {
        let v: Vec<SizeOrPercent> = serde_json::from_str(r#"["85%", "1GiB", 4096]"#).unwrap();
        assert_eq!(
            v,
            [
                SizeOrPercent::Percent(85.0),
                SizeOrPercent::Size(ByteSize::gib(1)),
                SizeOrPercent::Size(ByteSize::new(4096))
            ]
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"["85%","1GiB","4KiB"]"#
        );
    }

    #[test]
    fn percent_bounds() {
        assert!("101%".parse::<SizeOrPercent>().is_err());
        assert!("abc%".parse::<SizeOrPercent>().is_err());
        let err = "10 GBB".parse::<SizeOrPercent>().unwrap_err();
        assert!(err.to_string().contains("unknown unit `GBB`"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,12}") {
            let _ = text.parse::<SizeOrPercent>();
        }
    }
}
