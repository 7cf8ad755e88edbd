//! The background flusher thread: runs its task every interval or when woken, stops and
//! joins cleanly on close. What the task does (flush the recorder) is the caller's.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Default)]
struct Flags {
    stop: bool,
    wake: bool,
}

pub(crate) struct Background {
    signal: Arc<(Mutex<Flags>, Condvar)>,
    handle: Option<JoinHandle<()>>,
}

impl Background {
    /// Starts the thread: `tick` runs every `interval`, or sooner when woken, until it
    /// returns `false` or the thread is stopped.
    pub(crate) fn start(
        interval: Duration,
        mut tick: impl FnMut() -> bool + Send + 'static,
    ) -> Self {
        let signal = Arc::new((Mutex::new(Flags::default()), Condvar::new()));
        let sig = signal.clone();
        let handle = std::thread::Builder::new()
            .name("steadfast-metrics-flush".into())
            .spawn(move || {
                loop {
                    {
                        let (lock, cv) = &*sig;
                        let mut flags = lock.lock().unwrap_or_else(PoisonError::into_inner);
                        if !flags.stop && !flags.wake {
                            flags = cv
                                .wait_timeout(flags, interval)
                                .unwrap_or_else(PoisonError::into_inner)
                                .0;
                        }
                        if flags.stop {
                            return;
                        }
                        flags.wake = false;
                    }
                    if !tick() {
                        return;
                    }
                }
            })
            .ok();
        Self { signal, handle }
    }

    /// Asks the thread to run its task now.
    pub(crate) fn wake(&self) {
        let (lock, cv) = &*self.signal;
        lock.lock().unwrap_or_else(PoisonError::into_inner).wake = true;
        cv.notify_one();
    }

    /// Stops the thread and joins it (unless called from the thread itself).
    pub(crate) fn stop(mut self) {
        {
            let (lock, cv) = &*self.signal;
            lock.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
            cv.notify_all();
        }
        if let Some(h) = self.handle.take()
            && h.thread().id() != std::thread::current().id()
        {
            let _ = h.join();
        }
    }
}
