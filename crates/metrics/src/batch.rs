//! `record_batch`: many samples under one thread-local access, for pipelines that
//! accumulate their own records (the seed's `record_metrics_batch`).

use crate::error::Error;
use crate::key::check_counter;
use crate::key::{Kind, SeriesKey};
use crate::local::with_local;
use crate::recorder::Recorder;
use crate::registry::Resolved;

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

/// Series already resolved in this batch, by the addresses of a sample's parts. While the
/// batch is borrowed its strings cannot change, so parts at the same address and of the same
/// length are the same text: a sample whose parts were seen earlier in the batch is found
/// without reading them.
struct Seen {
    slots: Box<[Option<(PartsAt, Resolved)>]>,
}

/// Where a sample's step, name and label list are, and how long each is.
struct PartsAt([usize; 6]);

impl PartsAt {
    fn of(s: &Sample<'_>) -> Self {
        Self([
            s.step.as_ptr() as usize,
            s.step.len(),
            s.name.as_ptr() as usize,
            s.name.len(),
            s.labels.as_ptr() as usize,
            s.labels.len(),
        ])
    }

    #[inline]
    fn slot(&self) -> usize {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let [a, b, c, d, e, f] = self.0.map(|w| w as u64);
        let h = (a ^ b.rotate_left(11) ^ c.rotate_left(22) ^ d.rotate_left(33))
            ^ (e.rotate_left(44) ^ f.rotate_left(55));
        // The top bits of a product depend on every bit of the input.
        #[allow(clippy::cast_possible_truncation, reason = "six bits")]
        let i = (h.wrapping_mul(K) >> (64 - SEEN_BITS)) as usize;
        i
    }

    /// Equality without a branch per word (or a call to `memcmp`).
    #[inline]
    fn is(&self, other: &Self) -> bool {
        self.0.iter().zip(&other.0).fold(0, |d, (a, b)| d | (a ^ b)) == 0
    }
}

/// Series a batch remembers at once. When a series finds its slots taken, it replaces the
/// one in its own slot, which is then resolved again through the thread's cache.
const SEEN_SLOTS: usize = 1 << SEEN_BITS;
const SEEN_BITS: u32 = 6;
/// Slots tried for one series.
const SEEN_PROBES: usize = 4;

impl Default for Seen {
    fn default() -> Self {
        Self {
            slots: (0..SEEN_SLOTS).map(|_| None).collect(),
        }
    }
}

impl Seen {
    /// The slots a sample's parts may occupy: its own and the next few (linear probing, so
    /// two series with the same slot do not evict each other in turn).
    fn window(at: &PartsAt) -> impl Iterator<Item = usize> {
        let i = at.slot();
        (0..SEEN_PROBES).map(move |d| (i + d) & (SEEN_SLOTS - 1))
    }

    #[inline]
    fn get(&self, s: &Sample<'_>) -> Option<&Resolved> {
        let at = PartsAt::of(s);
        for i in Self::window(&at) {
            match self.slots.get(i)? {
                Some((k, r)) if k.is(&at) => return Some(r),
                Some(_) => {}
                None => return None,
            }
        }
        None
    }

    fn put(&mut self, s: &Sample<'_>, r: Resolved) -> &Resolved {
        let at = PartsAt::of(s);
        // The first free slot of the window, or (all taken) the sample's own.
        let i = Self::window(&at)
            .find(|&i| self.slots[i].is_none())
            .unwrap_or_else(|| at.slot());
        let (_, r) = self.slots[i].insert((at, r));
        r
    }
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
            let mut seen = Seen::default();
            for (i, s) in samples.iter().enumerate() {
                let (kind, v) = split(s.value);
                if kind == Kind::Counter
                    && let Err(e) = check_counter(s.name, v)
                {
                    outcome.rejected.push((i, e));
                    continue;
                }
                let r = match seen.get(s) {
                    Some(r) if r.kind == kind => r,
                    // First use in this batch, or an error.
                    _ => match local.resolve(shared, s.step, s.name, s.labels, kind) {
                        Ok((r, _)) => seen.put(s, r.clone()),
                        Err(e) => {
                            outcome.rejected.push((i, e));
                            continue;
                        }
                    },
                };
                if !crate::local::record_into(&local.shard, r, v)
                    && let Some(g) = &r.gauge
                {
                    gauges.push((g.clone(), v));
                }
                outcome.recorded += 1;
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
                shared.record_raw(&SeriesKey::new(s.step, s.name, s.labels), kind, v);
            }
        }
        outcome
    }
}
