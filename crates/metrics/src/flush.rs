//! Flushing: read every thread's cells, turn them into per-series deltas, write them in one
//! batch and fsync — and only then remember them as written, so a failed write (vanished
//! directory, full disk) loses nothing: the next flush writes the larger delta.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use steadfast_core::Timestamp;

use crate::background::Background;
use crate::error::Error;
use crate::key::{Kind, SeriesKey};
use crate::record::MetricRecord;
use crate::shard::{HistSnapshot, MAX_BUCKETS};
use crate::shared::Shared;
use crate::sink::{Seen, write};

fn grow<T: Default + Clone>(v: &mut Vec<T>, len: usize) {
    if v.len() < len {
        v.resize(len, T::default());
    }
}

pub(crate) fn merge(into: &mut HistSnapshot, s: &HistSnapshot) {
    if s.count == 0 {
        return;
    }
    if into.count == 0 || s.min < into.min {
        into.min = s.min;
    }
    if into.count == 0 || s.max > into.max {
        into.max = s.max;
    }
    into.count += s.count;
    into.sum += s.sum;
    for (a, b) in into.buckets.iter_mut().zip(&s.buckets) {
        *a += b;
    }
}

/// Writes everything recorded since the last successful flush.
pub(crate) fn flush(shared: &Shared) -> Result<(), Error> {
    let started = Instant::now();
    let mut st = shared.flush.lock().unwrap_or_else(PoisonError::into_inner);
    if shared.closed.load(Ordering::Acquire) {
        return Err(Error::Closed);
    }
    // Pick up shards created since the last flush. Shards are never removed: a thread's
    // slot, and with it its shard, passes to the next thread when it ends.
    {
        let shards = shared.shards.lock().unwrap_or_else(PoisonError::into_inner);
        for s in shards.iter() {
            if !st.seen.iter().any(|x| Arc::ptr_eq(&x.shard, s)) {
                st.seen.push(Seen {
                    shard: s.clone(),
                    counters: Vec::new(),
                    hists: Vec::new(),
                });
            }
        }
    }
    let ts = Timestamp::now();
    let registry = shared
        .registry
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    let mut records = Vec::new();
    let mut new_counters: Vec<Vec<f64>> = st.seen.iter().map(|s| s.counters.clone()).collect();
    let mut new_hists: Vec<Vec<HistSnapshot>> = st.seen.iter().map(|s| s.hists.clone()).collect();
    let mut new_versions = st.gauge_versions.clone();
    grow(&mut new_versions, registry.metas.len());
    for (i, meta) in registry.metas.iter().enumerate() {
        let r = &meta.resolved;
        let slot = r.slot as usize;
        match r.kind {
            Kind::Counter => {
                let mut delta = 0.0;
                for (j, s) in st.seen.iter().enumerate() {
                    let cur = s.shard.counter_value(r.slot);
                    let last = s.counters.get(slot).copied().unwrap_or(0.0);
                    delta += cur - last;
                    grow(&mut new_counters[j], slot + 1);
                    new_counters[j][slot] = cur;
                }
                if delta != 0.0 {
                    records.push(MetricRecord::scalar(ts, &meta.key, Kind::Counter, delta));
                }
            }
            Kind::Histogram => {
                let mut delta = HistSnapshot::default();
                let mut total = HistSnapshot::default();
                for (j, s) in st.seen.iter().enumerate() {
                    let cur = s
                        .shard
                        .hists
                        .peek(slot)
                        .map(|c| c.snapshot())
                        .unwrap_or_default();
                    let last = s.hists.get(slot).copied().unwrap_or_default();
                    delta.count += cur.count - last.count;
                    delta.sum += cur.sum - last.sum;
                    for k in 0..=MAX_BUCKETS {
                        delta.buckets[k] += cur.buckets[k] - last.buckets[k];
                    }
                    merge(&mut total, &cur);
                    grow(&mut new_hists[j], slot + 1);
                    new_hists[j][slot] = cur;
                }
                if delta.count > 0 {
                    records.push(histogram_record(
                        ts,
                        &meta.key,
                        r.bounds.as_deref().unwrap_or(&[]),
                        &delta,
                        &total,
                    ));
                }
            }
            Kind::Gauge => {
                if let Some(g) = &r.gauge {
                    let v = g.version.load(Ordering::Acquire);
                    if v != st.gauge_versions.get(i).copied().unwrap_or(0) {
                        records.push(MetricRecord::scalar(ts, &meta.key, Kind::Gauge, g.get()));
                        new_versions[i] = v;
                    }
                }
            }
        }
    }
    drop(registry);

    let raw_events = shared.raw.as_ref().map(crate::raw::RawQueue::drain);
    if let Some(events) = &raw_events {
        // Raw mode: the file gets every event instead of the aggregates.
        records = events
            .iter()
            .map(|e| MetricRecord::scalar(e.ts, &e.key, e.kind, e.value))
            .collect();
    }

    let n = records.len() as u64;
    if let Err(e) = write(&mut st, &records) {
        shared.stats.flush_errors.fetch_add(1, Ordering::Relaxed);
        if let (Some(q), Some(events)) = (&shared.raw, raw_events) {
            q.restore(events);
        }
        return Err(e);
    }

    // Written and synced: remember what was written.
    for (j, s) in st.seen.iter_mut().enumerate() {
        s.counters = std::mem::take(&mut new_counters[j]);
        s.hists = std::mem::take(&mut new_hists[j]);
    }
    st.gauge_versions = new_versions;
    shared.stats.flushed(n, started.elapsed());
    Ok(())
}

fn histogram_record(
    ts: Timestamp,
    key: &SeriesKey,
    bounds: &[f64],
    d: &HistSnapshot,
    total: &HistSnapshot,
) -> MetricRecord {
    let mut r = MetricRecord::scalar(ts, key, Kind::Histogram, 0.0);
    r.value = None;
    r.count = Some(d.count);
    r.sum = Some(d.sum);
    r.min = Some(total.min);
    r.max = Some(total.max);
    r.bounds = Some(bounds.to_vec());
    r.bucket_counts = Some(d.buckets[..=bounds.len()].to_vec());
    r
}

/// Starts `shared`'s background flusher: a flush every `interval`, until the recorder
/// is gone or closed.
pub(crate) fn start_background(shared: &Arc<Shared>, interval: Duration) {
    let weak = Arc::downgrade(shared);
    let background = Background::start(interval, move || {
        let Some(shared) = weak.upgrade() else {
            return false;
        };
        match flush(&shared) {
            Ok(()) => true,
            Err(Error::Closed) => false,
            Err(e) => {
                #[cfg(feature = "tracing")]
                tracing::warn!(error = %e, "metrics flush failed; recording continues in memory and the next flush retries");
                #[cfg(not(feature = "tracing"))]
                let _ = e;
                true
            }
        }
    });
    *shared
        .background
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(background);
}

/// Stops the background flusher, flushes a last time, and marks the recorder closed.
pub(crate) fn close(shared: &Shared) -> Result<(), Error> {
    let background = shared
        .background
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(background) = background {
        background.stop();
    }
    if shared.closed.load(Ordering::Acquire) {
        return Ok(());
    }
    // Closed only once everything is on disk: after a failed final flush (a full disk),
    // `close` or `flush` can be called again and nothing recorded is lost.
    let result = flush(shared);
    if result.is_ok() {
        shared.closed.store(true, Ordering::Release);
    }
    result
}
