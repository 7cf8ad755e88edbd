//! [`Health::subscribe`]: damped status changes as they happen, with gRPC health `Watch`
//! semantics — every check's current status first, then one event per change.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, PoisonError};

use steadfast_core::Status;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::Health;
use crate::event::StatusChange;
use crate::inner::Inner;

/// A stream of [`StatusChange`]s from [`Health::subscribe`]. It does not keep the checks
/// running: when the last [`Health`] is dropped or closed, [`next`](Self::next) returns
/// `None` after the events already sent.
pub struct Subscription {
    inner: Arc<Inner>,
    rx: Option<broadcast::Receiver<StatusChange>>,
    pending: VecDeque<StatusChange>,
    /// What this subscriber last heard per check: events repeating it are skipped.
    heard: HashMap<String, Status>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Subscribes to status changes: first one event per check that has a result (its
    /// current status, `previous: None`), then one per damped change — a flapping check
    /// under `damping(3, 2)` yields an event only when its reported status changes, and a
    /// result too old is a change to `fail` (seen when a probe or scrape notices it).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use steadfast_core::Status;
    /// use steadfast_healthcheck::{CheckOutput, Registration, HealthRegistry};
    ///
    /// let health = HealthRegistry::new()
    ///     .register(Registration::new("db:ping", || async { CheckOutput::pass() }))?
    ///     .start();
    /// health.first_round(std::time::Duration::from_secs(1)).await;
    /// let mut changes = health.subscribe();
    /// let now = changes.next().await.unwrap();
    /// assert_eq!((now.check.as_str(), now.status, now.previous), ("db:ping", Status::Pass, None));
    /// # Ok::<(), steadfast_healthcheck::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn subscribe(&self) -> Subscription {
        // The receiver first: a change after the snapshot is never missed (one racing it is
        // heard twice and skipped the second time).
        let rx = self
            .inner
            .events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(broadcast::Sender::subscribe);
        let mut sub = Subscription {
            inner: Arc::clone(&self.inner),
            rx,
            pending: VecDeque::new(),
            heard: HashMap::new(),
        };
        sub.resync();
        sub
    }
}

impl Subscription {
    /// Queues every check whose status differs from what this subscriber last heard.
    fn resync(&mut self) {
        let now = self.inner.now();
        for e in &self.inner.entries {
            let state = e.state.lock().unwrap_or_else(PoisonError::into_inner);
            let status = match state.reported {
                Some(_) if e.too_old(now) => Status::Fail,
                Some(status) => status,
                None => continue,
            };
            drop(state);
            let previous = self.heard.get(&e.reg.name).copied();
            if previous != Some(status) {
                self.pending.push_back(StatusChange {
                    check: e.reg.name.clone(),
                    status,
                    previous,
                });
            }
        }
    }

    /// The next change, or `None` once the checks are closed and every sent change was read.
    pub async fn next(&mut self) -> Option<StatusChange> {
        loop {
            if let Some(mut change) = self.pending.pop_front() {
                let previous = self.heard.insert(change.check.clone(), change.status);
                if previous == Some(change.status) {
                    continue;
                }
                change.previous = previous;
                return Some(change);
            }
            let rx = self.rx.as_mut()?;
            match rx.recv().await {
                Ok(change) => self.pending.push_back(change),
                // Fell behind: read the current statuses instead of the lost changes.
                Err(RecvError::Lagged(_)) => self.resync(),
                Err(RecvError::Closed) => {
                    self.rx = None;
                    return None;
                }
            }
        }
    }
}
