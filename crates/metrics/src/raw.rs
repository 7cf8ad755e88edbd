//! Raw mode (opt-in): every event also goes to a bounded queue and is written as its own
//! line. When the queue is full the configured policy applies: wait for the flusher
//! (backpressure, the default) or drop the event and count it.

use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use steadfast_core::Timestamp;

use crate::config::OnFull;
use crate::key::{Kind, SeriesKey};
use crate::recorder::Shared;

pub(crate) struct RawEvent {
    pub(crate) ts: Timestamp,
    pub(crate) key: SeriesKey,
    pub(crate) kind: Kind,
    pub(crate) value: f64,
}

pub(crate) struct RawQueue {
    events: Mutex<Vec<RawEvent>>,
    space: Condvar,
    capacity: usize,
    on_full: OnFull,
}

impl RawQueue {
    pub(crate) fn new(capacity: usize, on_full: OnFull) -> Self {
        Self {
            events: Mutex::new(Vec::new()),
            space: Condvar::new(),
            capacity: capacity.max(1),
            on_full,
        }
    }

    pub(crate) fn drain(&self) -> Vec<RawEvent> {
        let taken =
            std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner));
        self.space.notify_all();
        taken
    }

    /// Puts back events a failed flush could not write, ahead of newer ones.
    pub(crate) fn restore(&self, mut events: Vec<RawEvent>) {
        let mut q = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.append(&mut q);
        *q = events;
    }
}

/// Queues one raw event if raw mode is on.
#[inline]
pub(crate) fn record(shared: &Shared, key: &SeriesKey, kind: Kind, value: f64) {
    if let Some(q) = &shared.raw {
        queue(shared, q, key, kind, value);
    }
}

/// Raw mode's side of [`record`], kept out of the hot path.
#[cold]
#[inline(never)]
fn queue(shared: &Shared, q: &RawQueue, key: &SeriesKey, kind: Kind, value: f64) {
    let event = RawEvent {
        ts: Timestamp::now(),
        key: key.clone(),
        kind,
        value,
    };
    let mut events = q.events.lock().unwrap_or_else(PoisonError::into_inner);
    while events.len() >= q.capacity {
        if q.on_full == OnFull::Drop || shared.closed.load(Ordering::Acquire) {
            shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        drop(events);
        crate::background::wake(shared);
        events = q.events.lock().unwrap_or_else(PoisonError::into_inner);
        if events.len() >= q.capacity {
            events = q
                .space
                .wait_timeout(events, Duration::from_millis(50))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
    events.push(event);
}
