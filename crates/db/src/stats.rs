//! Per-statement counters: [`Entry`], written by every call with relaxed atomics, and
//! [`StatementStats`], its snapshot (the client side of a run's `db-profile.json`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;

/// The upper bounds (seconds) of the duration histogram's buckets, Prometheus' `le`; a last
/// bucket takes what is slower.
pub const DURATION_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One fingerprint's live counters.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) fingerprint: Fingerprint,
    pub(crate) name: Mutex<Option<String>>,
    calls: AtomicU64,
    rows: AtomicU64,
    nanos: AtomicU64,
    buckets: [AtomicU64; DURATION_BUCKETS.len() + 1],
    errors: Mutex<BTreeMap<String, u64>>,
}

impl Entry {
    pub(crate) fn new(fingerprint: Fingerprint) -> Self {
        Self {
            fingerprint,
            name: Mutex::new(None),
            calls: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            errors: Mutex::new(BTreeMap::new()),
        }
    }

    /// One call: its duration, rows, and the SQLSTATE class of its error if it failed.
    pub(crate) fn record(&self, took: Duration, rows: u64, error_class: Option<&str>) {
        self.calls.fetch_add(1, Relaxed);
        self.rows.fetch_add(rows, Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(nanos, Relaxed);
        let secs = took.as_secs_f64();
        let bucket = DURATION_BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(DURATION_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        if let Some(class) = error_class {
            let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
            *errors.entry(class.to_owned()).or_insert(0) += 1;
        }
    }

    pub(crate) fn snapshot(&self) -> StatementStats {
        let name = self.name.lock().unwrap_or_else(|p| p.into_inner()).clone();
        StatementStats {
            id: self.fingerprint.id_hex(),
            text: self.fingerprint.text().to_owned(),
            name,
            calls: self.calls.load(Relaxed),
            errors: self
                .errors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            rows: self.rows.load(Relaxed),
            total_seconds: Duration::from_nanos(self.nanos.load(Relaxed)).as_secs_f64(),
            buckets: self.buckets.iter().map(|b| b.load(Relaxed)).collect(),
        }
    }
}

/// One statement's totals as the client saw them.
///
/// ```
/// let s = steadfast_db::StatementStats::default();
/// assert_eq!(s.error_count(), 0);
/// assert_eq!(s.quantile(0.95), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatementStats {
    /// The fingerprint's id, 16 hex digits.
    pub id: String,
    /// The fingerprint's text (values replaced by `?`).
    pub text: String,
    /// The caller's name for the statement, if given (lines it up across engines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Calls, failed ones included.
    pub calls: u64,
    /// Failed calls by SQLSTATE class (`23`: integrity, `40`: rollback, …; `connection`
    /// for failures without a SQLSTATE).
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    /// Rows returned or affected.
    pub rows: u64,
    /// Time spent in calls, seconds.
    pub total_seconds: f64,
    /// Calls per duration bucket ([`DURATION_BUCKETS`], then the rest).
    #[serde(default)]
    pub buckets: Vec<u64>,
}

impl StatementStats {
    /// Failed calls, all classes.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Mean call time, seconds (`None` before the first call).
    pub fn mean_seconds(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss, reason = "a mean shown, not summed")]
        (self.calls > 0).then(|| self.total_seconds / self.calls as f64)
    }

    /// The `q` quantile of call time, as the upper bound of the bucket it falls in
    /// (Prometheus' `histogram_quantile` without interpolation); `None` without calls, or
    /// `+Inf` beyond the last bound.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        #[allow(clippy::cast_precision_loss, reason = "counts well below 2^53")]
        let rank = (q.clamp(0.0, 1.0) * total as f64).ceil().max(1.0);
        let mut seen = 0u64;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            #[allow(clippy::cast_precision_loss, reason = "counts well below 2^53")]
            if seen as f64 >= rank {
                return Some(DURATION_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::fingerprint;

    #[test]
    fn calls_land_in_their_buckets_and_quantiles_read_them() {
        let e = Entry::new(fingerprint("select 1"));
        for _ in 0..94 {
            e.record(Duration::from_micros(300), 1, None);
        }
        for _ in 0..6 {
            e.record(Duration::from_millis(30), 0, Some("57"));
        }
        let s = e.snapshot();
        assert_eq!((s.calls, s.rows, s.error_count()), (100, 94, 6));
        assert_eq!(s.errors.get("57"), Some(&6));
        assert_eq!(s.quantile(0.5), Some(0.0005));
        assert_eq!(s.quantile(0.95), Some(0.05));
        assert_eq!(s.buckets.len(), DURATION_BUCKETS.len() + 1);
        e.record(Duration::from_secs(60), 0, None);
        assert_eq!(e.snapshot().quantile(1.0), Some(f64::INFINITY));
    }
}
