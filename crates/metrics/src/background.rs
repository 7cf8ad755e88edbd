//! The background flusher thread: flushes every interval or when woken, stops and joins
//! cleanly on close.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::Error;
use crate::recorder::Shared;

#[derive(Default)]
struct Flags {
    stop: bool,
    wake: bool,
}

pub(crate) struct Background {
    signal: Arc<(Mutex<Flags>, Condvar)>,
    handle: Option<JoinHandle<()>>,
}

pub(crate) fn start(shared: &Arc<Shared>, interval: Duration) {
    let signal = Arc::new((Mutex::new(Flags::default()), Condvar::new()));
    let weak = Arc::downgrade(shared);
    let sig = signal.clone();
    let handle = std::thread::Builder::new()
        .name("steadfast-metrics-flush".into())
        .spawn(move || {
            loop {
                {
                    let (lock, cv) = &*sig;
                    let mut flags = lock.lock().unwrap_or_else(PoisonError::into_inner);
                    if !flags.stop && !flags.wake {
                        flags = cv.wait_timeout(flags, interval).unwrap_or_else(PoisonError::into_inner).0;
                    }
                    if flags.stop {
                        return;
                    }
                    flags.wake = false;
                }
                let Some(shared) = weak.upgrade() else { return };
                match crate::flush::flush(&shared) {
                    Ok(()) => {}
                    Err(Error::Closed) => return,
                    Err(e) => {
                        #[cfg(feature = "tracing")]
                        tracing::warn!(error = %e, "metrics flush failed; recording continues in memory and the next flush retries");
                        #[cfg(not(feature = "tracing"))]
                        let _ = e;
                    }
                }
            }
        })
        .ok();
    *shared
        .background
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(Background { signal, handle });
}

/// Asks the flusher to run now.
pub(crate) fn wake(shared: &Shared) {
    if let Some(bg) = shared
        .background
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
    {
        let (lock, cv) = &*bg.signal;
        lock.lock().unwrap_or_else(PoisonError::into_inner).wake = true;
        cv.notify_one();
    }
}

/// Stops the thread, joins it, flushes a last time, and marks the recorder closed.
pub(crate) fn close(shared: &Shared) -> Result<(), Error> {
    let bg = shared
        .background
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(mut bg) = bg {
        {
            let (lock, cv) = &*bg.signal;
            lock.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
            cv.notify_all();
        }
        if let Some(h) = bg.handle.take()
            && h.thread().id() != std::thread::current().id()
        {
            let _ = h.join();
        }
    }
    if shared.closed.load(Ordering::Acquire) {
        return Ok(());
    }
    // Closed only once everything is on disk: after a failed final flush (a full disk),
    // `close` or `flush` can be called again and nothing recorded is lost.
    let result = crate::flush::flush(shared);
    if result.is_ok() {
        shared.closed.store(true, Ordering::Release);
    }
    result
}
