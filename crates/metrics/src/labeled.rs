//! `Labeled`: a metric being addressed by labels, then recorded — the convenient form,
//! resolved through the per-thread cache on every call.
//!
//! The number of labels is part of the type (`Labeled<'a, N>` holds exactly `N`), so the
//! builder is no bigger than what it addresses — on the hot path, every unused slot of a
//! fixed-capacity array was a store per call — and a ninth label is a compile error.

use crate::error::Error;
use crate::key::check_counter;
use crate::key::{Kind, SeriesKey};
use crate::local::{with_existing, with_local};
use crate::recorder::Recorder;

impl Recorder {
    /// A counter of `step`/`name`; add labels, then `add`.
    #[inline]
    pub fn counter<'a>(&'a self, step: &'a str, name: &'a str) -> Labeled<'a> {
        Labeled::new(self, step, name, Kind::Counter)
    }

    /// A gauge of `step`/`name`; add labels, then `set`.
    #[inline]
    pub fn gauge<'a>(&'a self, step: &'a str, name: &'a str) -> Labeled<'a> {
        Labeled::new(self, step, name, Kind::Gauge)
    }

    /// A histogram of `step`/`name`; add labels, then `observe`.
    #[inline]
    pub fn histogram<'a>(&'a self, step: &'a str, name: &'a str) -> Labeled<'a> {
        Labeled::new(self, step, name, Kind::Histogram)
    }
}

/// A metric being addressed: add up to 8 labels with [`label`](Labeled::label), then
/// record. From [`Recorder::counter`], [`Recorder::gauge`] and [`Recorder::histogram`].
///
/// ```
/// let rec = steadfast_metrics::Recorder::in_memory();
/// rec.counter("bronze", "records")
///     .label("resource_type", "Patient")
///     .label("source", "epic")
///     .add(1200);
/// assert_eq!(rec.snapshot().total("bronze", "records"), 1200.0);
/// ```
///
/// A series with more than 8 labels is almost always a mistake; a ninth does not compile:
///
/// ```compile_fail
/// let rec = steadfast_metrics::Recorder::in_memory();
/// rec.counter("s", "n")
///     .label("a", "1").label("b", "2").label("c", "3").label("d", "4")
///     .label("e", "5").label("f", "6").label("g", "7").label("h", "8")
///     .label("i", "9")
///     .add(1);
/// ```
#[must_use = "a labeled metric records nothing until add/set/observe"]
pub struct Labeled<'a, const N: usize = 0> {
    head: Head<'a>,
    labels: [(&'a str, &'a str); N],
}

/// Everything but the labels: what the (non-generic) recording code takes by reference.
struct Head<'a> {
    rec: &'a Recorder,
    step: &'a str,
    name: &'a str,
    kind: Kind,
}

impl<'a> Labeled<'a, 0> {
    #[inline]
    pub(crate) fn new(rec: &'a Recorder, step: &'a str, name: &'a str, kind: Kind) -> Self {
        Self {
            head: Head {
                rec,
                step,
                name,
                kind,
            },
            labels: [],
        }
    }
}

/// `label` for each count of labels below 8: `Labeled<N>` → `Labeled<N + 1>`.
macro_rules! label {
    ($($n:literal => $m:literal),*) => {$(
        impl<'a> Labeled<'a, $n> {
            /// Adds a label (up to 8).
            #[inline]
            pub fn label(self, key: &'a str, value: &'a str) -> Labeled<'a, $m> {
                let mut labels = [(key, value); $m];
                labels[..$n].copy_from_slice(&self.labels);
                Labeled { head: self.head, labels }
            }
        }
    )*};
}
label!(0 => 1, 1 => 2, 2 => 3, 3 => 4, 4 => 5, 5 => 6, 6 => 7, 7 => 8);

impl<const N: usize> Labeled<'_, N> {
    /// Counter: adds `n`. An invalid name is counted in `stats().rejected` and warned about.
    #[inline]
    pub fn add(self, n: u64) {
        // By reference from here on: the builder is not copied into a call.
        self.head
            .counter_add(&self.labels, crate::handles::whole(n));
    }

    /// Counter: adds `v`.
    ///
    /// # Errors
    /// [`Error::InvalidValue`], [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn try_add_f64(&self, v: f64) -> Result<(), Error> {
        check_counter(self.head.name, v)?;
        self.head.apply(&self.labels, v)
    }

    /// Gauge: sets `v`. Errors are counted as with [`Labeled::add`].
    pub fn set(self, v: f64) {
        let r = self.head.apply(&self.labels, v);
        self.head.rec.shared.stats.note_rejected(r);
    }

    /// Histogram: records `v`. Errors are counted as with [`Labeled::add`].
    #[inline]
    pub fn observe(self, v: f64) {
        self.head.observe(&self.labels, v);
    }

    /// Like `add`/`set`/`observe`, returning the error instead of counting it.
    ///
    /// # Errors
    /// [`Error::InvalidValue`], [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn try_record(&self, v: f64) -> Result<(), Error> {
        if self.head.kind == Kind::Counter {
            check_counter(self.head.name, v)?;
        }
        self.head.apply(&self.labels, v)
    }
}

impl Head<'_> {
    /// The hot path: a counter or histogram already in this thread's cache. `false` sends
    /// the caller to [`Head::apply_slow`].
    #[inline(always)]
    fn record_fast<const N: usize>(&self, labels: &[(&str, &str); N], v: f64) -> bool {
        let done = self.kind != Kind::Gauge
            && with_existing(self.rec.shared.id, |l| {
                l.record_cached(self.step, self.name, labels, self.kind, v)
            }) == Some(true);
        if done {
            self.record_raw(labels, v);
        }
        done
    }

    #[inline]
    fn counter_add<const N: usize>(&self, labels: &[(&str, &str); N], v: f64) {
        if !self.record_fast(labels, v) {
            self.counter_add_slow(labels, v);
        }
    }

    #[cold]
    fn counter_add_slow(&self, labels: &[(&str, &str)], v: f64) {
        // A whole number is always a valid increment: no value check.
        if let Err(e) = self.apply_slow(labels, v) {
            self.rec.shared.stats.note_rejected(Err(e));
        }
    }

    fn observe<const N: usize>(&self, labels: &[(&str, &str); N], v: f64) {
        let r = if v.is_nan() {
            Ok(())
        } else {
            self.apply(labels, v)
        };
        self.rec.shared.stats.note_rejected(r);
    }

    fn apply<const N: usize>(&self, labels: &[(&str, &str); N], v: f64) -> Result<(), Error> {
        if self.record_fast(labels, v) {
            Ok(())
        } else {
            self.apply_slow(labels, v)
        }
    }

    /// Raw mode: queues the event as its own line.
    #[inline]
    fn record_raw(&self, labels: &[(&str, &str)], v: f64) {
        if self.rec.shared.raw.is_some() {
            self.queue_raw(labels, v);
        }
    }

    #[cold]
    #[inline(never)]
    fn queue_raw(&self, labels: &[(&str, &str)], v: f64) {
        let key = SeriesKey::new(self.step, self.name, labels);
        self.rec.shared.record_raw(&key, self.kind, v);
    }

    /// First use on this thread, gauges, and every error.
    #[cold]
    fn apply_slow(&self, labels: &[(&str, &str)], v: f64) -> Result<(), Error> {
        let shared = &self.rec.shared;
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
}
