//! `Status`: the pass/warn/fail verdict every crate speaks, with worst-wins aggregation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The verdict of a check, a rule, a watermark or a whole run.
///
/// Ordered `Pass < Warn < Fail`, so the worst of many is their maximum. Serialises as
/// `pass`, `warn`, `fail`: the words of the IETF health-check draft.
///
/// ```
/// use steadfast_core::Status;
///
/// assert_eq!(Status::worst([Status::Pass, Status::Warn, Status::Pass]), Status::Warn);
/// assert_eq!(Status::worst([]), Status::Pass);
/// assert_eq!(Status::Fail.to_string(), "fail");
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// All is well.
    #[default]
    Pass,
    /// Degraded, or worth a look; does not fail a run.
    Warn,
    /// Broken.
    Fail,
}

impl Status {
    /// The worst status of `items`; `Pass` when there are none.
    pub fn worst(items: impl IntoIterator<Item = Self>) -> Self {
        items.into_iter().max().unwrap_or(Self::Pass)
    }

    /// The worse of `self` and `other`.
    #[must_use]
    pub fn and(self, other: Self) -> Self {
        self.max(other)
    }

    /// The lowercase word: `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }

    /// Whether this is [`Status::Fail`].
    pub fn is_fail(self) -> bool {
        self == Self::Fail
    }
}

impl FromIterator<Self> for Status {
    fn from_iter<I: IntoIterator<Item = Self>>(iter: I) -> Self {
        Self::worst(iter)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The error of parsing a [`Status`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid status {0:?}: expected `pass`, `warn` or `fail`")]
pub struct ParseStatusError(String);

impl FromStr for Status {
    type Err = ParseStatusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pass" => Ok(Self::Pass),
            "warn" => Ok(Self::Warn),
            "fail" => Ok(Self::Fail),
            _ => Err(ParseStatusError(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_wins() {
        assert_eq!(
            Status::worst([Status::Warn, Status::Fail, Status::Pass]),
            Status::Fail
        );
        assert_eq!(
            [Status::Pass, Status::Pass].into_iter().collect::<Status>(),
            Status::Pass
        );
        assert_eq!(Status::Pass.and(Status::Warn), Status::Warn);
        assert_eq!(Status::Fail.and(Status::Warn), Status::Fail);
    }

    #[test]
    fn serde_words() {
        assert_eq!(serde_json::to_string(&Status::Warn).unwrap(), "\"warn\"");
        let s: Status = serde_json::from_str("\"fail\"").unwrap();
        assert_eq!(s, Status::Fail);
        assert!(serde_json::from_str::<Status>("\"FAIL\"").is_err());
    }

    #[test]
    fn parse_text() {
        assert_eq!(" Pass ".parse::<Status>().unwrap(), Status::Pass);
        let err = "ok".parse::<Status>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid status \"ok\": expected `pass`, `warn` or `fail`"
        );
    }
}
