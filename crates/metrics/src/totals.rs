//! Per-series totals — from a run's file (`read_run`) or from a live recorder
//! (`Recorder::snapshot`) — in the one shape validation and reports consume.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::PoisonError;

use steadfast_core::{RunDir, TornLine, read_ndjson};

use crate::error::Error;
use crate::flush::merge;
use crate::key::{Kind, SeriesKey};
use crate::record::MetricRecord;
use crate::recorder::Recorder;
use crate::shard::HistSnapshot;

/// One series' total.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SeriesTotal {
    /// Its kind.
    pub kind: Kind,
    /// Counter: the sum of all increases. Gauge: the last value. Histogram: the sum.
    pub value: f64,
    /// Histogram: observations.
    pub count: u64,
    /// Histogram: smallest observation (0 when none).
    pub min: f64,
    /// Histogram: largest observation (0 when none).
    pub max: f64,
    /// Histogram: bucket bounds.
    pub bounds: Vec<f64>,
    /// Histogram: observations per bucket (one more than bounds: the last is `+Inf`).
    pub bucket_counts: Vec<u64>,
}

impl SeriesTotal {
    fn empty(kind: Kind) -> Self {
        Self {
            kind,
            value: 0.0,
            count: 0,
            min: 0.0,
            max: 0.0,
            bounds: Vec::new(),
            bucket_counts: Vec::new(),
        }
    }
}

/// Every series' total, by key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricTotals {
    /// Totals by series.
    pub series: BTreeMap<SeriesKey, SeriesTotal>,
}

impl MetricTotals {
    /// The total of `step`/`name` over all its label sets (counter sum, gauge sum of last
    /// values, histogram sum); 0 when absent.
    pub fn total(&self, step: &str, name: &str) -> f64 {
        self.series
            .iter()
            .filter(|(k, _)| k.step == step && k.name == name)
            .map(|(_, t)| t.value)
            .sum()
    }

    /// The total of `step`/`name` with exactly these labels, if present.
    pub fn get(&self, step: &str, name: &str, labels: &[(&str, &str)]) -> Option<&SeriesTotal> {
        self.series.get(&SeriesKey::new(step, name, labels))
    }

    /// The steps that recorded `name`, in order of name.
    pub fn steps_of(&self, name: &str) -> Vec<&str> {
        let mut steps: Vec<&str> = self
            .series
            .keys()
            .filter(|k| k.name == name)
            .map(|k| k.step.as_str())
            .collect();
        steps.dedup();
        steps
    }

    fn add_record(&mut self, r: &MetricRecord) {
        let labels: Vec<(&str, &str)> = r
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let key = SeriesKey::new(&r.step, &r.name, &labels);
        let t = self
            .series
            .entry(key)
            .or_insert_with(|| SeriesTotal::empty(r.kind));
        match r.kind {
            Kind::Counter => t.value += r.value.unwrap_or(0.0),
            Kind::Gauge => t.value = r.value.unwrap_or(t.value),
            Kind::Histogram => {
                let n = r.count.unwrap_or(0);
                if n > 0 {
                    t.min = if t.count == 0 {
                        r.min.unwrap_or(0.0)
                    } else {
                        t.min.min(r.min.unwrap_or(t.min))
                    };
                    t.max = t.max.max(r.max.unwrap_or(t.max));
                }
                t.count += n;
                t.value += r.sum.unwrap_or(0.0);
                if let (Some(b), Some(c)) = (&r.bounds, &r.bucket_counts) {
                    if t.bounds.is_empty() {
                        t.bounds.clone_from(b);
                        t.bucket_counts = vec![0; c.len()];
                    }
                    for (a, x) in t.bucket_counts.iter_mut().zip(c) {
                        *a += x;
                    }
                }
            }
        }
    }
}

/// A run's metrics as read back: the raw records, per-series totals, and any torn tail.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunMetrics {
    /// Every record, in file order.
    pub records: Vec<MetricRecord>,
    /// Per-series totals.
    pub totals: MetricTotals,
    /// The torn last line left by a crash, if any (skipped).
    pub torn_tail: Option<TornLine>,
}

impl std::ops::Deref for RunMetrics {
    type Target = MetricTotals;
    fn deref(&self) -> &MetricTotals {
        &self.totals
    }
}

/// Reads a run's `metrics.ndjson`.
///
/// # Errors
/// [`Error::Read`] naming the file (and line and column for a malformed line).
pub fn read_run(run: &RunDir) -> Result<RunMetrics, Error> {
    read_file(run.metrics_path())
}

/// Reads a metrics file.
///
/// # Errors
/// [`Error::Read`] naming the file (and line and column for a malformed line).
pub fn read_file(path: impl AsRef<Path>) -> Result<RunMetrics, Error> {
    let read = read_ndjson::<MetricRecord>(path)?;
    let mut totals = MetricTotals::default();
    for r in &read.records {
        totals.add_record(r);
    }
    Ok(RunMetrics {
        records: read.records,
        totals,
        torn_tail: read.torn_tail,
    })
}

impl Recorder {
    /// Cumulative totals of every series now, flushed or not.
    pub fn snapshot(&self) -> MetricTotals {
        snapshot(&self.shared)
    }
}

/// Cumulative totals of every series of `shared`.
pub(crate) fn snapshot(shared: &crate::shared::Shared) -> MetricTotals {
    let shards = shared
        .shards
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let registry = shared
        .registry
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    let mut out = MetricTotals::default();
    for meta in &registry.metas {
        let r = &meta.resolved;
        let slot = r.slot as usize;
        let mut t = SeriesTotal::empty(r.kind);
        match r.kind {
            Kind::Counter => {
                t.value = shards.iter().map(|s| s.counter_value(r.slot)).sum::<f64>();
            }
            Kind::Gauge => t.value = r.gauge.as_ref().map_or(0.0, |g| g.get()),
            Kind::Histogram => {
                let mut h = HistSnapshot::default();
                for s in &shards {
                    if let Some(c) = s.hists.peek(slot) {
                        merge(&mut h, &c.snapshot());
                    }
                }
                let bounds = r.bounds.as_deref().unwrap_or(&[]);
                t.value = h.sum;
                t.count = h.count;
                (t.min, t.max) = (h.min, h.max);
                t.bounds = bounds.to_vec();
                t.bucket_counts = h.buckets[..=bounds.len()].to_vec();
            }
        }
        out.series.insert(meta.key.clone(), t);
    }
    out
}
