//! `Labeled`: a metric being addressed by labels, then recorded — the convenient form,
//! resolved through the per-thread cache on every call.

use crate::error::Error;
use crate::key::{Kind, SeriesKey};
use crate::local::with_local;
use crate::recorder::{Recorder, check_counter};

/// Labels held without allocating; up to [`MAX_LABELS`] spill to the heap.
const INLINE_LABELS: usize = 4;
/// Labels allowed on one series.
const MAX_LABELS: usize = 8;

/// A metric being addressed: add up to 8 labels, then record. From [`Recorder::counter`],
/// [`Recorder::gauge`] and [`Recorder::histogram`].
#[must_use = "a labeled metric records nothing until add/set/observe"]
pub struct Labeled<'a> {
    rec: &'a Recorder,
    step: &'a str,
    name: &'a str,
    kind: Kind,
    labels: [(&'a str, &'a str); INLINE_LABELS],
    len: usize,
    spilled: Vec<(&'a str, &'a str)>,
    too_many: bool,
}

impl<'a> Labeled<'a> {
    pub(crate) fn new(rec: &'a Recorder, step: &'a str, name: &'a str, kind: Kind) -> Self {
        Self {
            rec,
            step,
            name,
            kind,
            labels: [("", ""); INLINE_LABELS],
            len: 0,
            spilled: Vec::new(),
            too_many: false,
        }
    }

    /// Adds a label. More than 8 labels is refused (a series with that many is almost
    /// always a mistake) and counted as rejected.
    #[inline]
    pub fn label(mut self, key: &'a str, value: &'a str) -> Self {
        if self.len < INLINE_LABELS {
            self.labels[self.len] = (key, value);
        } else if self.len < MAX_LABELS {
            if self.spilled.is_empty() {
                self.spilled.extend_from_slice(&self.labels);
            }
            self.spilled.push((key, value));
        } else {
            self.too_many = true;
        }
        self.len += 1;
        self
    }

    #[inline]
    fn label_slice(&self) -> &[(&'a str, &'a str)] {
        if self.len <= INLINE_LABELS {
            &self.labels[..self.len]
        } else {
            &self.spilled
        }
    }

    #[inline]
    fn apply(&self, v: f64) -> Result<(), Error> {
        let shared = &self.rec.shared;
        let labels = self.label_slice();
        let done = !self.too_many
            && self.kind != Kind::Gauge
            && with_local(shared, |l| {
                l.record_cached(self.step, self.name, labels, self.kind, v)
            });
        if !done {
            return self.apply_slow(v);
        }
        self.record_raw(labels, v);
        Ok(())
    }

    /// Raw mode: queues the event as its own line.
    #[inline]
    fn record_raw(&self, labels: &[(&str, &str)], v: f64) {
        let shared = &self.rec.shared;
        if shared.raw.is_some() {
            crate::raw::record(
                shared,
                &SeriesKey::new(self.step, self.name, labels),
                self.kind,
                v,
            );
        }
    }

    /// First use on this thread, gauges, and every error.
    #[cold]
    fn apply_slow(&self, v: f64) -> Result<(), Error> {
        if self.too_many {
            return Err(Error::InvalidName {
                what: "label set of",
                name: self.name.to_owned(),
                reason: "more than 8 labels",
            });
        }
        let shared = &self.rec.shared;
        let labels = self.label_slice();
        let gauge = with_local(shared, |l| {
            let (r, shard) = l.resolve(shared, self.step, self.name, labels, self.kind)?;
            crate::local::record_into(shard, r, v);
            Ok::<_, Error>(r.gauge.clone())
        })?;
        if let Some(g) = gauge {
            g.set(v);
        }
        self.record_raw(labels, v);
        Ok(())
    }

    /// Counter: adds `n`. An invalid name is counted in `stats().rejected` and warned about.
    #[inline]
    pub fn add(self, n: u64) {
        // A whole number is always a valid increment: no value check.
        if let Err(e) = self.apply(crate::handles::whole(n)) {
            self.rec.shared.stats.note_rejected(Err(e));
        }
    }

    /// Counter: adds `v`.
    ///
    /// # Errors
    /// [`Error::InvalidValue`], [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn try_add_f64(&self, v: f64) -> Result<(), Error> {
        check_counter(self.name, v)?;
        self.apply(v)
    }

    /// Gauge: sets `v`. Errors are counted as with [`Labeled::add`].
    pub fn set(self, v: f64) {
        let r = self.apply(v);
        self.rec.shared.stats.note_rejected(r);
    }

    /// Histogram: records `v`. Errors are counted as with [`Labeled::add`].
    #[inline]
    pub fn observe(self, v: f64) {
        let r = if v.is_nan() { Ok(()) } else { self.apply(v) };
        self.rec.shared.stats.note_rejected(r);
    }

    /// Like `add`/`set`/`observe`, returning the error instead of counting it.
    ///
    /// # Errors
    /// [`Error::InvalidValue`], [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn try_record(&self, v: f64) -> Result<(), Error> {
        if self.kind == Kind::Counter {
            check_counter(self.name, v)?;
        }
        self.apply(v)
    }
}
