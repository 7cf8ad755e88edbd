//! `record_batch`: many samples under one thread-local access, for pipelines that
//! accumulate their own records (the seed's `record_metrics_batch`).

use crate::error::Error;
use crate::key::{Kind, SeriesKey};
use crate::local::with_local;
use crate::recorder::{Recorder, check_counter};

/// One sample of a batch.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// The step.
    pub step: &'a str,
    /// The metric name.
    pub name: &'a str,
    /// Its labels.
    pub labels: &'a [(&'a str, &'a str)],
    /// What to record.
    pub value: Value,
}

/// What a [`Sample`] records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Add to a counter.
    Add(f64),
    /// Set a gauge.
    Set(f64),
    /// Observe into a histogram.
    Observe(f64),
}

/// What a batch did: every sample is either recorded or listed with its error.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Samples recorded.
    pub recorded: usize,
    /// Samples refused, by index in the batch.
    pub rejected: Vec<(usize, Error)>,
}

fn split(value: Value) -> (Kind, f64) {
    match value {
        Value::Add(v) => (Kind::Counter, v),
        Value::Set(v) => (Kind::Gauge, v),
        Value::Observe(v) => (Kind::Histogram, v),
    }
}

impl Recorder {
    /// Records many samples with one thread-local access.
    ///
    /// ```
    /// use steadfast_metrics::{Recorder, Sample, Value};
    ///
    /// let rec = Recorder::in_memory();
    /// let patient = [("resource_type", "Patient")];
    /// let batch = [
    ///     Sample { step: "bronze", name: "records", labels: &patient, value: Value::Add(500.0) },
    ///     Sample { step: "bronze", name: "records", labels: &patient, value: Value::Add(700.0) },
    ///     Sample { step: "bronze", name: "records", labels: &patient, value: Value::Add(f64::NAN) },
    /// ];
    /// let outcome = rec.record_batch(&batch);
    /// assert_eq!(outcome.recorded, 2);
    /// assert_eq!(outcome.rejected[0].0, 2);
    /// assert_eq!(rec.snapshot().total("bronze", "records"), 1200.0);
    /// ```
    pub fn record_batch(&self, samples: &[Sample<'_>]) -> BatchOutcome {
        let shared = &self.shared;
        let mut outcome = BatchOutcome::default();
        let mut gauges = Vec::new();
        with_local(shared, |local| {
            for (i, s) in samples.iter().enumerate() {
                let (kind, v) = split(s.value);
                if kind == Kind::Counter
                    && let Err(e) = check_counter(s.name, v)
                {
                    outcome.rejected.push((i, e));
                    continue;
                }
                if local.record_cached(s.step, s.name, s.labels, kind, v) {
                    outcome.recorded += 1;
                    continue;
                }
                // First use on this thread, a gauge, or an error.
                match local.resolve(shared, s.step, s.name, s.labels, kind) {
                    Ok((r, shard)) => {
                        if !crate::local::record_into(shard, r, v)
                            && let Some(g) = &r.gauge
                        {
                            gauges.push((g.clone(), v));
                        }
                        outcome.recorded += 1;
                    }
                    Err(e) => outcome.rejected.push((i, e)),
                }
            }
        });
        for (g, v) in gauges {
            g.set(v);
        }
        if shared.raw.is_some() {
            let rejected: std::collections::HashSet<usize> =
                outcome.rejected.iter().map(|(i, _)| *i).collect();
            for (_, s) in samples
                .iter()
                .enumerate()
                .filter(|(i, _)| !rejected.contains(i))
            {
                let (kind, v) = split(s.value);
                crate::raw::record(shared, &SeriesKey::new(s.step, s.name, s.labels), kind, v);
            }
        }
        outcome
    }
}
