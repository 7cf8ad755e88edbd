//! Prometheus series naming shared by every crate: the checked [`Prefix`] (`[metrics]
//! prometheus_prefix`) that each crate's `register_prometheus(&Registry, &Prefix)` puts in
//! front of the series names it owns (each crate's `series` module), and that alert rules
//! put in front of the same constants — so a run's series and the rules watching them can
//! never disagree about a name.

use std::fmt;

use crate::Error;

/// A checked Prometheus series-name prefix: `[a-zA-Z_][a-zA-Z0-9_]*` (no `:`, reserved for
/// recording rules), at most 64 characters, not starting with `__` (reserved by Prometheus).
///
/// ```
/// use steadfast_core::Prefix;
///
/// let acme = Prefix::new("acme")?;
/// assert_eq!(acme.name("retry_give_ups_total"), "acme_retry_give_ups_total");
/// assert_eq!(Prefix::default().as_str(), "steadfast");
/// assert!(Prefix::new("acme-etl").is_err());
/// # Ok::<(), steadfast_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prefix(String);

impl Prefix {
    /// The prefix every series carries unless configured otherwise.
    pub const DEFAULT: &'static str = "steadfast";

    /// Checks `prefix`.
    ///
    /// # Errors
    /// [`Error::InvalidPrefix`] naming what is wrong and what is allowed.
    pub fn new(prefix: impl Into<String>) -> Result<Self, Error> {
        let prefix = prefix.into();
        match problem(&prefix) {
            None => Ok(Self(prefix)),
            Some(reason) => Err(Error::InvalidPrefix { prefix, reason }),
        }
    }

    /// The prefix itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `<prefix>_<series>`: the full name of one of a crate's series.
    ///
    /// ```
    /// assert_eq!(steadfast_core::Prefix::default().name("disk_level"), "steadfast_disk_level");
    /// ```
    pub fn name(&self, series: &str) -> String {
        format!("{}_{series}", self.0)
    }
}

impl Default for Prefix {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Prefix {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What is wrong with `prefix` as a series-name prefix, if anything.
///
/// ```
/// assert_eq!(steadfast_core::series::problem("ok_1"), None);
/// assert!(steadfast_core::series::problem("1x").is_some());
/// ```
pub fn problem(prefix: &str) -> Option<&'static str> {
    let mut chars = prefix.chars();
    match chars.next() {
        None => Some("it is empty"),
        Some(_) if prefix.len() > 64 => Some("it is longer than 64 characters"),
        Some(_) if prefix.starts_with("__") => {
            Some("names starting with '__' are reserved by Prometheus")
        }
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            Some("it must start with a letter or '_'")
        }
        Some(_) if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Some("only letters, digits and '_' are allowed")
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_problems() {
        assert_eq!(Prefix::new("a").unwrap().name("x_total"), "a_x_total");
        for bad in ["", "9a", "a-b", "a:b", "__a", &"a".repeat(65), "é"] {
            assert!(Prefix::new(bad).is_err(), "{bad:?}");
        }
        let e = Prefix::new("acme-etl").unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid series prefix \"acme-etl\": only letters, digits and '_' are allowed; use [a-zA-Z_][a-zA-Z0-9_]*"
        );
    }
}
