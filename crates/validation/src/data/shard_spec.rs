//! `Shard`: one of N parts of a sharded data check, written `I/N` (1-based) on the command
//! line and in partial-result files.

use std::fmt;
use std::str::FromStr;

/// The most shards a check is split into.
pub const MAX_SHARDS: u32 = 65_536;

/// One of N parts of a check: `I/N`, 1-based (`1/4` … `4/4`).
///
/// ```
/// use steadfast_validation::data::Shard;
///
/// let shard: Shard = "2/4".parse()?;
/// assert_eq!((shard.index(), shard.count()), (2, 4));
/// assert_eq!(shard.to_string(), "2/4");
/// assert!("0/4".parse::<Shard>().is_err()); // 1-based
/// assert!("5/4".parse::<Shard>().is_err());
/// # Ok::<(), steadfast_validation::data::ShardError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// Why a shard spec does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid shard {text:?}: expected I/N with 1 <= I <= N <= {MAX_SHARDS}, like 1/4 (the first of four; I is 1-based)"
)]
pub struct ShardError {
    text: String,
}

impl Shard {
    /// Shard `index` (1-based) of `count`.
    ///
    /// # Errors
    /// [`ShardError`] unless `1 <= index <= count <= MAX_SHARDS`.
    pub fn new(index: u32, count: u32) -> Result<Self, ShardError> {
        if index == 0 || index > count || count > MAX_SHARDS {
            return Err(ShardError {
                text: format!("{index}/{count}"),
            });
        }
        Ok(Self { index, count })
    }

    /// The shard's 1-based index, `I`.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many shards there are, `N`.
    pub fn count(self) -> u32 {
        self.count
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ShardError { text: s.to_owned() };
        let (i, n) = s.trim().split_once('/').ok_or_else(err)?;
        let i: u32 = i.trim().parse().map_err(|_| err())?;
        let n: u32 = n.trim().parse().map_err(|_| err())?;
        Self::new(i, n).map_err(|_| err())
    }
}

impl serde::Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Shard {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
