//! The series registry: key → slot, kinds, histogram bounds, gauges, and the cardinality
//! guard that folds an unexpected explosion of label values into one `overflow="true"`
//! series per metric.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;
use crate::key::{Kind, SeriesKey, validate};
use crate::shard::MAX_BUCKETS;

/// A resolved series: what the hot path needs.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) kind: Kind,
    pub(crate) slot: u32,
    pub(crate) bounds: Option<Arc<[f64]>>,
    pub(crate) gauge: Option<Arc<GaugeCell>>,
}

/// A gauge's value, shared by every thread (last write wins).
#[derive(Debug, Default)]
pub(crate) struct GaugeCell {
    pub(crate) bits: AtomicU64,
    pub(crate) version: AtomicU64,
}

impl GaugeCell {
    pub(crate) fn set(&self, v: f64) {
        self.bits.store(v.to_bits(), Ordering::Relaxed);
        self.version.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn add(&self, d: f64) {
        let _ = self
            .bits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some((f64::from_bits(b) + d).to_bits())
            });
        self.version.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }
}

/// One registered series.
pub(crate) struct Meta {
    pub(crate) key: SeriesKey,
    pub(crate) resolved: Resolved,
}

/// The Prometheus default buckets, in seconds.
pub const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub(crate) struct Registry {
    map: HashMap<SeriesKey, usize>,
    pub(crate) metas: Vec<Meta>,
    per_metric: HashMap<String, usize>,
    counters: u32,
    hists: u32,
    pub(crate) max_series: usize,
    pub(crate) per_metric_limit: usize,
    pub(crate) overflowed: u64,
    buckets: HashMap<String, Arc<[f64]>>,
    default_bounds: Arc<[f64]>,
}

impl Registry {
    pub(crate) fn new(
        max_series: usize,
        per_metric_limit: usize,
        buckets: HashMap<String, Vec<f64>>,
    ) -> Self {
        Self {
            map: HashMap::new(),
            metas: Vec::new(),
            per_metric: HashMap::new(),
            counters: 0,
            hists: 0,
            max_series,
            per_metric_limit,
            overflowed: 0,
            buckets: buckets
                .into_iter()
                .map(|(k, v)| (k, Arc::from(v)))
                .collect(),
            default_bounds: Arc::from(DEFAULT_BUCKETS.to_vec()),
        }
    }

    /// Checks histogram bounds: finite, strictly increasing, at most [`MAX_BUCKETS`].
    pub(crate) fn check_bounds(name: &str, b: &[f64]) -> Result<(), Error> {
        let ok = !b.is_empty()
            && b.len() <= MAX_BUCKETS
            && b.iter().all(|x| x.is_finite())
            && b.windows(2).all(|w| w[0] < w[1]);
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidName {
                what: "histogram buckets for",
                name: name.to_owned(),
                reason: "bounds must be 1 to 16 finite numbers in increasing order",
            })
        }
    }

    pub(crate) fn lookup(&self, step: &str, name: &str, labels: &[(&str, &str)]) -> Option<&Meta> {
        // Only used on a cache miss; building the key here is fine.
        let key = SeriesKey::new(step, name, labels);
        self.map.get(&key).map(|&i| &self.metas[i])
    }

    /// Finds or registers a series. Over the per-metric limit (or the total), the series is
    /// folded into the metric's `overflow="true"` series: its values are kept, its labels not.
    pub(crate) fn resolve(
        &mut self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
    ) -> Result<(SeriesKey, Resolved), Error> {
        if let Some(meta) = self.lookup(step, name, labels) {
            return check_kind(meta, kind).map(|r| (meta.key.clone(), r));
        }
        validate("step", step)?;
        validate("name", name)?;
        for (k, _) in labels {
            validate("label name", k)?;
        }
        let used = self.per_metric.get(name).copied().unwrap_or(0);
        let key = if used >= self.per_metric_limit || self.metas.len() >= self.max_series {
            self.overflowed += 1;
            if self.overflowed == 1 || self.overflowed.is_power_of_two() {
                warn_overflow(name, self.per_metric_limit);
            }
            let key = SeriesKey::new(step, name, &[("overflow", "true")]);
            if let Some(&i) = self.map.get(&key) {
                let meta = &self.metas[i];
                return check_kind(meta, kind).map(|r| (meta.key.clone(), r));
            }
            key
        } else {
            *self.per_metric.entry(name.to_owned()).or_insert(0) += 1;
            SeriesKey::new(step, name, labels)
        };
        let resolved = match kind {
            Kind::Counter => {
                self.counters += 1;
                Resolved {
                    kind,
                    slot: self.counters - 1,
                    bounds: None,
                    gauge: None,
                }
            }
            Kind::Histogram => {
                self.hists += 1;
                let bounds = self
                    .buckets
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| self.default_bounds.clone());
                Resolved {
                    kind,
                    slot: self.hists - 1,
                    bounds: Some(bounds),
                    gauge: None,
                }
            }
            Kind::Gauge => Resolved {
                kind,
                slot: 0,
                bounds: None,
                gauge: Some(Arc::new(GaugeCell::default())),
            },
        };
        self.map.insert(key.clone(), self.metas.len());
        self.metas.push(Meta {
            key: key.clone(),
            resolved: resolved.clone(),
        });
        Ok((key, resolved))
    }
}

fn check_kind(meta: &Meta, kind: Kind) -> Result<Resolved, Error> {
    if meta.resolved.kind == kind {
        Ok(meta.resolved.clone())
    } else {
        Err(Error::KindMismatch {
            name: meta.key.name.clone(),
            existing: meta.resolved.kind.as_str(),
            requested: kind.as_str(),
        })
    }
}

fn warn_overflow(name: &str, limit: usize) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        metric = name,
        limit,
        "metric has more label combinations than allowed; new ones are counted in its overflow=\"true\" series"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (name, limit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_folds_excess_series_into_overflow() {
        let mut r = Registry::new(1000, 3, HashMap::new());
        let ids: Vec<u32> = (0..10)
            .map(|i| {
                let v = i.to_string();
                r.resolve("bronze", "records", &[("patient", &v)], Kind::Counter)
                    .unwrap()
                    .1
                    .slot
            })
            .collect();
        assert_eq!(&ids[..3], &[0, 1, 2]);
        assert!(ids[3..].iter().all(|&s| s == 3), "{ids:?}");
        assert_eq!(r.overflowed, 7);
        assert_eq!(
            r.metas[3].key.labels,
            vec![("overflow".to_owned(), "true".to_owned())]
        );
        // Another metric has its own allowance.
        assert_eq!(
            r.resolve("bronze", "bytes", &[("x", "1")], Kind::Counter)
                .unwrap()
                .1
                .slot,
            4
        );
    }

    #[test]
    fn kinds_do_not_mix() {
        let mut r = Registry::new(100, 100, HashMap::new());
        r.resolve("s", "n", &[], Kind::Counter).unwrap();
        let err = r.resolve("s", "n", &[], Kind::Gauge).unwrap_err();
        assert_eq!(
            err.to_string(),
            "metric \"n\" is a counter, not a gauge; use another name"
        );
    }
}
