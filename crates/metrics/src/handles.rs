//! Pre-resolved handles ([`Counter`], [`Gauge`], [`Histogram`]) for hot loops: the series
//! is looked up once; each record is a thread-local access and a store.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::key::check_counter;
use crate::key::{Kind, SeriesKey};
use crate::local::with_local;
use crate::recorder::Recorder;
use crate::registry::Resolved;
use crate::shard::Shard;
use crate::shared::Shared;

/// A series resolved once, recorded many times.
/// `n` as `f64`: through `i64` when it fits (one signed convert instruction on x86-64; the
/// unsigned conversion takes eight).
#[inline]
pub(crate) fn whole(n: u64) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "exact up to 2^53, far above any increment"
    )]
    match i64::try_from(n) {
        Ok(i) => i as f64,
        Err(_) => n as f64,
    }
}

#[derive(Clone)]
pub(crate) struct Handle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) resolved: Resolved,
    pub(crate) key: SeriesKey,
}

impl Handle {
    /// The calling thread's shard, found by its thread slot; the first record of a thread
    /// into this recorder (or one without a slot) goes through [`with_local`].
    #[inline]
    fn counter_add(&self, v: f64) {
        match self.shared.threads.current() {
            Some(shard) => shard.counter_add(self.resolved.slot, v),
            None => self.counter_add_slow(v),
        }
        self.shared.record_raw(&self.key, Kind::Counter, v);
    }

    #[cold]
    fn counter_add_slow(&self, v: f64) {
        with_local(&self.shared, |l| l.shard.counter_add(self.resolved.slot, v));
    }
}

impl Recorder {
    fn handle(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
        kind: Kind,
    ) -> Result<Handle, Error> {
        let resolved = with_local(&self.shared, |l| {
            l.resolve(&self.shared, step, name, labels, kind)
                .map(|(r, _)| r.clone())
        })?;
        let key = SeriesKey::new(step, name, labels);
        Ok(Handle {
            shared: self.shared.clone(),
            resolved,
            key,
        })
    }

    /// A pre-resolved counter for hot loops: `add` is a thread-local lookup and a store.
    ///
    /// # Errors
    /// [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn counter_handle(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<Counter, Error> {
        self.handle(step, name, labels, Kind::Counter).map(Counter)
    }

    /// A pre-resolved gauge.
    ///
    /// # Errors
    /// [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn gauge_handle(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<Gauge, Error> {
        self.handle(step, name, labels, Kind::Gauge).map(Gauge)
    }

    /// A pre-resolved histogram.
    ///
    /// # Errors
    /// [`Error::InvalidName`] or [`Error::KindMismatch`].
    pub fn histogram_handle(
        &self,
        step: &str,
        name: &str,
        labels: &[(&str, &str)],
    ) -> Result<Histogram, Error> {
        self.handle(step, name, labels, Kind::Histogram)
            .map(Histogram)
    }
}

/// A pre-resolved counter (from [`Recorder::counter_handle`](crate::Recorder::counter_handle)).
#[derive(Clone)]
pub struct Counter(pub(crate) Handle);

/// A pre-resolved gauge (from [`Recorder::gauge_handle`](crate::Recorder::gauge_handle)).
#[derive(Clone)]
pub struct Gauge(pub(crate) Handle);

/// A pre-resolved histogram (from [`Recorder::histogram_handle`](crate::Recorder::histogram_handle)).
#[derive(Clone)]
pub struct Histogram(pub(crate) Handle);

impl Counter {
    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.counter_add(whole(n));
    }

    /// Adds `v`, which must be finite and ≥ 0.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] for NaN, infinite or negative values; nothing is recorded.
    pub fn add_f64(&self, v: f64) -> Result<(), Error> {
        check_counter(&self.0.key.name, v)?;
        self.0.counter_add(v);
        Ok(())
    }
}

impl Gauge {
    /// Sets the value.
    pub fn set(&self, v: f64) {
        if let Some(g) = &self.0.resolved.gauge {
            g.set(v);
            self.0.shared.record_raw(&self.0.key, Kind::Gauge, v);
        }
    }

    /// Adds `d` (may be negative).
    pub fn add(&self, d: f64) {
        if let Some(g) = &self.0.resolved.gauge {
            g.add(d);
            self.0.shared.record_raw(&self.0.key, Kind::Gauge, g.get());
        }
    }
}

impl Histogram {
    /// Records one observation.
    #[inline]
    pub fn observe(&self, v: f64) {
        let h = &self.0;
        if let Some(bounds) = &h.resolved.bounds {
            let observe = |shard: &Shard| {
                if let Some(c) = shard.hists.get(h.resolved.slot as usize) {
                    c.observe(bounds, v);
                }
            };
            match h.shared.threads.current() {
                Some(shard) => observe(shard),
                None => with_local(&h.shared, |l| observe(&l.shard)),
            }
            h.shared.record_raw(&h.key, Kind::Histogram, v);
        }
    }

    /// Records a duration in seconds.
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }
}
