//! The monitor's background sampling: `Monitor::start` (a thread) and `Monitor::spawn` (a
//! tokio task, feature `tokio`), the handles that stop them; the builder's clock and
//! per-sample callbacks.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

use crate::monitor::{Monitor, MonitorBuilder};
use crate::space::DiskSpace;

impl Monitor {
    /// Samples every interval as a tokio task until the returned task is stopped (feature
    /// `tokio`). A sample is one `statvfs` (microseconds), so it runs inline on the runtime.
    #[cfg(feature = "tokio")]
    pub fn spawn(&self) -> MonitorTask {
        let stop = Arc::new(tokio::sync::Notify::new());
        let (me, s, interval) = (self.clone(), stop.clone(), self.interval);
        let handle = tokio::spawn(async move {
            let origin = tokio::time::Instant::now();
            loop {
                let _ = me.tick(origin.elapsed());
                tokio::select! {
                    () = s.notified() => return,
                    () = tokio::time::sleep(interval) => {}
                }
            }
        });
        MonitorTask { stop, handle }
    }

    /// Samples every interval on a background thread until the handle is stopped.
    pub fn start(&self) -> MonitorHandle {
        let signal = Arc::new((Mutex::new(false), Condvar::new()));
        let (sig, me, interval) = (signal.clone(), self.clone(), self.interval);
        let thread = std::thread::Builder::new()
            .name("steadfast-diskwatch".into())
            .spawn(move || {
                let origin = Instant::now();
                loop {
                    let _ = me.tick(origin.elapsed());
                    let (lock, cv) = &*sig;
                    let stop = lock.lock().unwrap_or_else(PoisonError::into_inner);
                    let (stop, _) = cv
                        .wait_timeout_while(stop, interval, |s| !*s)
                        .unwrap_or_else(PoisonError::into_inner);
                    if *stop {
                        return;
                    }
                }
            })
            .ok();
        MonitorHandle { signal, thread }
    }
}

/// Stops a started monitor; dropping it stops it too.
pub struct MonitorHandle {
    signal: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl MonitorHandle {
    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let (lock, cv) = &*self.signal;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MonitorHandle {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// A monitor running as a tokio task (feature `tokio`).
#[cfg(feature = "tokio")]
pub struct MonitorTask {
    stop: Arc<tokio::sync::Notify>,
    handle: tokio::task::JoinHandle<()>,
}

#[cfg(feature = "tokio")]
impl MonitorTask {
    /// Stops the task and waits for it.
    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.handle.await;
    }
}

impl MonitorBuilder {
    /// The wall clock cleanup reads for run ages and its cooldown (default
    /// `SystemTime::now`); tests inject one.
    #[must_use]
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Call `f` with every sample the monitor takes (a run's disk-free gauge, say): the
    /// space as measured, before watermarks and cleanup.
    ///
    /// ```
    /// use std::sync::{Arc, atomic::{AtomicU64, Ordering::Relaxed}};
    ///
    /// let seen = Arc::new(AtomicU64::new(0));
    /// let last = Arc::clone(&seen);
    /// let dir = tempfile::tempdir()?;
    /// let monitor = steadfast_diskwatch::Monitor::builder(dir.path())
    ///     .on_sample(move |space| last.store(space.available, Relaxed))
    ///     .build()?;
    /// monitor.tick(std::time::Duration::ZERO)?;
    /// assert!(seen.load(Relaxed) > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn on_sample(mut self, f: impl Fn(&DiskSpace) + Send + 'static) -> Self {
        self.samplers.push(Box::new(f));
        self
    }
}
