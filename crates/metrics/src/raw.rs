//! Raw mode (opt-in): every event also goes to a bounded queue and is written as its own
//! line. When the queue is full the configured policy applies: wait for the flusher
//! (backpressure, the default) or drop the event and count it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use steadfast_core::Timestamp;

use crate::config::OnFull;
use crate::key::{Kind, SeriesKey};

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

    /// Queues `event`. When the queue is full, either drops it (policy `Drop`, or the
    /// recorder is `closed`) and returns `false`, or calls `wake` (the flusher) and waits
    /// for space.
    pub(crate) fn push(&self, event: RawEvent, closed: &AtomicBool, wake: impl Fn()) -> bool {
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        while events.len() >= self.capacity {
            if self.on_full == OnFull::Drop || closed.load(Ordering::Acquire) {
                return false;
            }
            drop(events);
            wake();
            events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
            if events.len() >= self.capacity {
                events = self
                    .space
                    .wait_timeout(events, Duration::from_millis(50))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
        events.push(event);
        true
    }

    /// Puts back events a failed flush could not write, ahead of newer ones.
    pub(crate) fn restore(&self, mut events: Vec<RawEvent>) {
        let mut q = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.append(&mut q);
        *q = events;
    }
}
