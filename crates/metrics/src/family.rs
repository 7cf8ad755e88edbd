//! Families: a metric whose step, name and label names are fixed once, addressed on each
//! call by its label *values* only — the shape of most pipeline recording (one series per
//! resource type, per status, per source), and what `prometheus`'s `CounterVec` is.
//!
//! The fixed parts are validated once, at creation; each call hashes only the values. A
//! family keeps one table from values to series, shared by every thread and read without a
//! lock: each bucket is set once (`OnceLock`) and never changes, so a reader needs one
//! acquire load per bucket it looks at. The series' cells are the calling thread's own
//! (its thread slot's shard), as for a pre-resolved handle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::cache::{Part, ends, mix};
use crate::error::Error;
use crate::handles::whole;
use crate::key::{Kind, SeriesKey, check_counter, validate};
use crate::local::{Owner, record_into, with_local};
use crate::recorder::Recorder;
use crate::registry::Resolved;
use crate::shared::Shared;

/// The most members a family's table holds (with [`OVERFLOW_ROOM`]): past it, values are
/// resolved through the recorder on each call — slower, never lost.
const MAX_MEMBERS: usize = 1024;

/// Members kept beyond the recorder's per-metric limit: values that the cardinality guard
/// folded into the `overflow="true"` series are remembered as such, up to this many.
const OVERFLOW_ROOM: usize = 64;

/// One series of a family: its values, for verification byte for byte.
struct Member<const N: usize> {
    hash: u64,
    values: [Part; N],
    resolved: Resolved,
    /// The registered key (the overflow series' if the values were folded), for raw mode.
    key: SeriesKey,
}

struct Family<const N: usize> {
    shared: Arc<Shared>,
    step: Box<str>,
    name: Box<str>,
    keys: [Box<str>; N],
    kind: Kind,
    /// Open addressing, a power of two at least twice [`Family::cap`].
    table: Box<[OnceLock<Box<Member<N>>>]>,
    len: AtomicUsize,
    cap: usize,
}

/// The hash of a family's values, reading each value's words once; `words` receives them
/// for the comparison.
#[inline(always)]
fn hash_values<const N: usize>(values: &[&str; N], words: &mut [(u64, u64); N]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = 0u64;
    for (v, w) in values.iter().zip(words.iter_mut()) {
        *w = ends(v.as_bytes());
        h = h.rotate_left(23) ^ mix(w.0, w.1, v.len());
    }
    let h = h.wrapping_mul(K);
    h ^ (h >> 29)
}

impl<const N: usize> Family<N> {
    fn new(
        rec: &Recorder,
        step: &str,
        name: &str,
        keys: [&str; N],
        kind: Kind,
    ) -> Result<Self, Error> {
        validate("step", step)?;
        validate("name", name)?;
        for k in keys {
            validate("label name", k)?;
        }
        let cap = rec.shared.per_metric_limit().min(MAX_MEMBERS) + OVERFLOW_ROOM;
        let buckets = (2 * cap).next_power_of_two();
        Ok(Self {
            shared: rec.shared.clone(),
            step: step.into(),
            name: name.into(),
            keys: keys.map(Box::from),
            kind,
            table: (0..buckets).map(|_| OnceLock::new()).collect(),
            len: AtomicUsize::new(0),
            cap,
        })
    }

    /// The member for `values`, from the table.
    #[inline(always)]
    fn find(&self, values: &[&str; N]) -> Option<&Member<N>> {
        let mut words = [(0, 0); N];
        let h = hash_values(values, &mut words);
        let mask = self.table.len() - 1;
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let mut i = (h as usize) & mask;
        loop {
            let m = self.table.get(i)?.get()?;
            if m.hash == h
                && m.values
                    .iter()
                    .zip(values)
                    .zip(&words)
                    .fold(true, |same, ((p, v), w)| {
                        same & (p.len == v.len()) & p.is_words(w.0, w.1, v)
                    })
            {
                return Some(m);
            }
            i = (i + 1) & mask;
        }
    }

    /// Records `v` into the series of `values`: the table, else (first use of these values,
    /// or a full table) the recorder.
    #[inline]
    fn record(&self, values: &[&str; N], v: f64) {
        match self.find(values) {
            Some(m) => self.record_into(m, v),
            None => {
                let r = self.record_slow(values, v);
                self.shared.stats.note_rejected(r);
            }
        }
    }

    #[inline(always)]
    fn record_into(&self, m: &Member<N>, v: f64) {
        if m.resolved.kind == Kind::Gauge {
            if let Some(g) = &m.resolved.gauge {
                g.set(v);
            }
        } else {
            match self.shared.threads.current() {
                Some(shard) => {
                    record_into(shard, &m.resolved, v);
                }
                None => self.record_first(m, v),
            }
        }
        self.shared.record_raw(&m.key, m.resolved.kind, v);
    }

    /// The calling thread's first record into this recorder: its shard is created.
    #[cold]
    fn record_first(&self, m: &Member<N>, v: f64) {
        with_local(&self.shared, |l| record_into(&l.shard, &m.resolved, v));
    }

    /// Resolves `values` through the recorder, adds them to the table if there is room,
    /// and records.
    #[cold]
    #[inline(never)]
    fn record_slow(&self, values: &[&str; N], v: f64) -> Result<(), Error> {
        let mut labels = [("", ""); N];
        for ((l, k), v) in labels.iter_mut().zip(&self.keys).zip(values) {
            *l = (&**k, *v);
        }
        let (key, resolved) =
            Owner::resolve_slow(&*self.shared, &self.step, &self.name, &labels, self.kind)?;
        if resolved.kind != self.kind {
            return Err(Error::KindMismatch {
                name: self.name.to_string(),
                existing: resolved.kind.as_str(),
                requested: self.kind.as_str(),
            });
        }
        let mut words = [(0, 0); N];
        let member = Member {
            hash: hash_values(values, &mut words),
            values: values.map(Part::new),
            resolved,
            key,
        };
        if self.len.load(Ordering::Relaxed) >= self.cap {
            self.record_into(&member, v);
            return Ok(());
        }
        let mask = self.table.len() - 1;
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let mut i = (member.hash as usize) & mask;
        let mut member = Some(Box::new(member));
        // Set the first free bucket; a racing thread may take it first, with these values
        // (then use its member) or others (then go on).
        for _ in 0..self.table.len() {
            let Some(bucket) = self.table.get(i) else {
                break;
            };
            if let Some(m) = member.take() {
                match bucket.set(m) {
                    Ok(()) => {
                        self.len.fetch_add(1, Ordering::Relaxed);
                        if let Some(m) = bucket.get() {
                            self.record_into(m, v);
                        }
                        return Ok(());
                    }
                    Err(m) => member = Some(m),
                }
            }
            if let (Some(found), Some(m)) = (bucket.get(), member.as_deref())
                && found.hash == m.hash
                && found.key == m.key
            {
                self.record_into(found, v);
                return Ok(());
            }
            i = (i + 1) & mask;
        }
        if let Some(m) = member {
            self.record_into(&m, v);
        }
        Ok(())
    }
}

macro_rules! family {
    ($(#[$doc:meta])* $ty:ident, $ctor:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $ty<const N: usize>(Arc<Family<N>>);

        impl Recorder {
            #[doc = concat!("A [`", stringify!($ty), "`] of `step`/`name` with the label names `keys`.")]
            ///
            /// ```
            /// let rec = steadfast_metrics::Recorder::in_memory();
            #[doc = concat!("let family = rec.", stringify!($ctor), "(\"extract\", \"pages\", [\"resource_type\", \"status\"])?;")]
            #[doc = concat!("assert!(format!(\"{family:?}\").starts_with(\"", stringify!($ty), "\"));")]
            #[doc = concat!("assert!(rec.", stringify!($ctor), "(\"extract\", \"\", [\"resource_type\"]).is_err());")]
            /// # Ok::<(), steadfast_metrics::Error>(())
            /// ```
            ///
            /// # Errors
            /// [`Error::InvalidName`] for an empty or unprintable step, name or label name.
            pub fn $ctor<const N: usize>(&self, step: &str, name: &str, keys: [&str; N]) -> Result<$ty<N>, Error> {
                Family::new(self, step, name, keys, $kind).map(|f| $ty(Arc::new(f)))
            }
        }

        impl<const N: usize> std::fmt::Debug for $ty<N> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("step", &self.0.step)
                    .field("name", &self.0.name)
                    .field("keys", &self.0.keys)
                    .finish_non_exhaustive()
            }
        }
    };
}

family!(
    /// A counter whose label values vary from call to call (one series per resource
    /// type, say), from [`Recorder::counter_family`]: the step, name and label names are
    /// checked once, and each `add` finds its series by the values alone.
    ///
    /// ```
    /// let rec = steadfast_metrics::Recorder::in_memory();
    /// let records = rec.counter_family("bronze", "records", ["resource_type"])?;
    /// for resource_type in ["Patient", "Observation", "Observation"].map(String::from) {
    ///     records.add([&resource_type], 1);
    /// }
    /// let snap = rec.snapshot();
    /// assert_eq!(snap.total("bronze", "records"), 3.0);
    /// assert_eq!(snap.get("bronze", "records", &[("resource_type", "Observation")]).map(|s| s.value), Some(2.0));
    /// # Ok::<(), steadfast_metrics::Error>(())
    /// ```
    CounterFamily, counter_family, Kind::Counter
);

family!(
    /// A histogram whose label values vary from call to call, from
    /// [`Recorder::histogram_family`].
    ///
    /// ```
    /// let rec = steadfast_metrics::Recorder::in_memory();
    /// let latency = rec.histogram_family("extract", "page_seconds", ["resource_type"])?;
    /// latency.observe(["Patient"], 0.2);
    /// latency.observe(["Encounter"], 0.4);
    /// assert_eq!(rec.snapshot().series.len(), 2);
    /// # Ok::<(), steadfast_metrics::Error>(())
    /// ```
    HistogramFamily, histogram_family, Kind::Histogram
);

family!(
    /// A gauge whose label values vary from call to call, from [`Recorder::gauge_family`].
    ///
    /// ```
    /// let rec = steadfast_metrics::Recorder::in_memory();
    /// let queued = rec.gauge_family("load", "queued", ["table"])?;
    /// queued.set(["patients"], 12.0);
    /// queued.set(["patients"], 7.0);
    /// assert_eq!(rec.snapshot().get("load", "queued", &[("table", "patients")]).map(|s| s.value), Some(7.0));
    /// # Ok::<(), steadfast_metrics::Error>(())
    /// ```
    GaugeFamily, gauge_family, Kind::Gauge
);

impl<const N: usize> CounterFamily<N> {
    /// Adds `n` to the series of `values` (in the order of the family's label names).
    #[inline]
    pub fn add(&self, values: [&str; N], n: u64) {
        self.0.record(&values, whole(n));
    }

    /// Adds `v`, which must be finite and ≥ 0.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] (nothing recorded), or what resolving a new series can
    /// return ([`Error::KindMismatch`] when the name is another kind's).
    pub fn add_f64(&self, values: [&str; N], v: f64) -> Result<(), Error> {
        check_counter(&self.0.name, v)?;
        match self.0.find(&values) {
            Some(m) => {
                self.0.record_into(m, v);
                Ok(())
            }
            None => self.0.record_slow(&values, v),
        }
    }
}

impl<const N: usize> HistogramFamily<N> {
    /// Records one observation into the series of `values`; NaN is ignored.
    #[inline]
    pub fn observe(&self, values: [&str; N], v: f64) {
        if !v.is_nan() {
            self.0.record(&values, v);
        }
    }

    /// Records a duration in seconds.
    pub fn observe_duration(&self, values: [&str; N], d: std::time::Duration) {
        self.observe(values, d.as_secs_f64());
    }
}

impl<const N: usize> GaugeFamily<N> {
    /// Sets the series of `values` to `v`.
    pub fn set(&self, values: [&str; N], v: f64) {
        self.0.record(&values, v);
    }
}
