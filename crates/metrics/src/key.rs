//! Series keys (step + name + labels), name validation and sanitisation, and the fast hash
//! the per-thread cache uses.

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

    /// Whether this key equals the borrowed parts (labels in any order).
    pub(crate) fn matches(&self, step: &str, name: &str, labels: &[(&str, &str)]) -> bool {
        self.step == step
            && self.name == name
            && self.labels.len() == labels.len()
            && labels
                .iter()
                .all(|(k, v)| self.labels.iter().any(|(sk, sv)| sk == k && sv == v))
    }
}

/// FxHash-style mixing: fast and good enough for a cache that verifies its hits.
pub(crate) fn hash_parts(step: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    #[inline]
    fn eat(mut h: u64, bytes: &[u8]) -> u64 {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let mut tail = 0u64;
        for (i, b) in chunks.remainder().iter().enumerate() {
            tail |= u64::from(*b) << (8 * i);
        }
        (h.rotate_left(5) ^ tail ^ ((bytes.len() as u64) << 56)).wrapping_mul(K)
    }
    let mut h = eat(eat(0, step.as_bytes()), name.as_bytes());
    // Order-independent over labels, so callers need not sort.
    let mut acc = 0u64;
    for (k, v) in labels {
        acc = acc.wrapping_add(eat(eat(1, k.as_bytes()), v.as_bytes()));
    }
    h ^= acc;
    h.wrapping_mul(K)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_label_order_and_sees_every_part() {
        let a = hash_parts("bronze", "records", &[("a", "1"), ("b", "2")]);
        assert_eq!(
            a,
            hash_parts("bronze", "records", &[("b", "2"), ("a", "1")])
        );
        assert_ne!(
            a,
            hash_parts("bronze", "records", &[("a", "1"), ("b", "3")])
        );
        assert_ne!(
            a,
            hash_parts("silver", "records", &[("a", "1"), ("b", "2")])
        );
        assert_ne!(hash_parts("ab", "c", &[]), hash_parts("a", "bc", &[]));
    }

    #[test]
    fn sanitizing() {
        assert_eq!(sanitize("records.in"), "records_in");
        assert_eq!(sanitize("2xx-rate"), "_2xx_rate");
        assert_eq!(sanitize("ok_name"), "ok_name");
        assert!(validate("name", "").is_err());
        assert!(validate("name", "--").is_err());
        let key = SeriesKey::new("s", "n", &[("b", "2"), ("a", "1")]);
        assert_eq!(key.labels[0].0, "a");
        assert!(key.matches("s", "n", &[("a", "1"), ("b", "2")]));
        assert!(!key.matches("s", "n", &[("a", "1")]));
    }
}
