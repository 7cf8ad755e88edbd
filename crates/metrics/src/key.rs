//! Series keys (step + name + labels), name validation and sanitisation, and the check
//! of a counter's increment.

use std::fmt;

use crate::error::Error;

/// The kind of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Only goes up; flushed as deltas.
    Counter,
    /// Set to a value; flushed when it changed.
    Gauge,
    /// Observations in buckets, with count, sum, min and max.
    Histogram,
}

impl Kind {
    /// `counter`, `gauge` or `histogram`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A series: step, metric name, and labels sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    /// The pipeline step (`bronze`, `silver`, `gold`).
    pub step: String,
    /// The metric name.
    pub name: String,
    /// Label pairs, sorted by label name.
    pub labels: Vec<(String, String)>,
}

impl SeriesKey {
    /// A key from borrowed parts; labels are sorted.
    pub fn new(step: &str, name: &str, labels: &[(&str, &str)]) -> Self {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.sort();
        Self {
            step: step.to_owned(),
            name: name.to_owned(),
            labels,
        }
    }
}

/// Checks a name is usable: non-empty, and with at least one character Prometheus keeps.
pub(crate) fn validate(what: &'static str, name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if !name.bytes().any(|b| b.is_ascii_alphanumeric()) {
        Some("it has no letter or digit")
    } else if name.len() > 200 {
        Some("it is longer than 200 bytes")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidName {
            what,
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A Prometheus-safe form of `name`: `[a-zA-Z_][a-zA-Z0-9_]*`, every other character `_`.
pub fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A counter only goes up: its increment must be finite and ≥ 0.
#[inline]
pub(crate) fn check_counter(name: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid_value(name, v))
    }
}

#[cold]
fn invalid_value(name: &str, v: f64) -> Error {
    Error::InvalidValue {
        name: name.to_owned(),
        value: v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizing() {
        assert_eq!(sanitize("records.in"), "records_in");
        assert_eq!(sanitize("2xx-rate"), "_2xx_rate");
        assert_eq!(sanitize("ok_name"), "ok_name");
        assert!(validate("name", "").is_err());
        assert!(validate("name", "--").is_err());
        let key = SeriesKey::new("s", "n", &[("b", "2"), ("a", "1")]);
        assert_eq!(key.labels[0].0, "a");
    }
}
