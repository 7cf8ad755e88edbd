//! The monitor: samples a path's space at an interval on a background thread, evaluates
//! watermarks and the fill-time prediction, and delivers events to callbacks, a channel and
//! the run's `disk-events.ndjson`. `tick` runs one sample on demand (tests drive it with an
//! injected space source and times, never sleeping).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use steadfast_core::{NdjsonWriter, Timestamp};

use crate::error::Error;
use crate::events::DiskEvent;
use crate::predict::FillPredictor;
use crate::space::{DiskSpace, SpaceSource, Statvfs};
use crate::watermark::{Level, Watermarks};

type Callback = Box<dyn Fn(&DiskEvent) + Send>;

struct State {
    path: PathBuf,
    source: Arc<dyn SpaceSource>,
    watermarks: Watermarks,
    predictor: FillPredictor,
    horizon: Duration,
    predicted: bool,
    writer: Option<NdjsonWriter>,
    callbacks: Vec<Callback>,
    channel: Option<Sender<DiskEvent>>,
    last: Option<(DiskSpace, Level)>,
}

/// A disk monitor for one path.
///
/// ```
/// use std::time::Duration;
/// use steadfast_diskwatch::{DiskEvent, DiskSpace, Level, Monitor};
///
/// // Injected space: 1000 bytes, available falling from 300 by 100 each sample.
/// let avail = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(300));
/// let a = avail.clone();
/// let monitor = Monitor::builder("/data")
///     .source(move |p: &std::path::Path| {
///         Ok(DiskSpace::new(p, 1000, a.fetch_sub(100, std::sync::atomic::Ordering::SeqCst)))
///     })
///     .build()?;
/// let mut events = Vec::new();
/// for s in 0..4 {
///     events.extend(monitor.tick(Duration::from_secs(s * 60))?);
/// }
/// assert!(events.iter().any(|e| matches!(e, DiskEvent::Crossed { level: Level::Flood, .. })));
/// assert!(events.iter().any(|e| matches!(e, DiskEvent::FillPredicted { .. })));
/// # Ok::<(), steadfast_diskwatch::Error>(())
/// ```
#[derive(Clone)]
pub struct Monitor {
    state: Arc<Mutex<State>>,
    interval: Duration,
}

/// Builds a [`Monitor`].
pub struct MonitorBuilder {
    path: PathBuf,
    source: Arc<dyn SpaceSource>,
    watermarks: Watermarks,
    interval: Duration,
    horizon: Duration,
    window: Duration,
    events_file: Option<PathBuf>,
    callbacks: Vec<Callback>,
    channel: Option<Sender<DiskEvent>>,
}

impl MonitorBuilder {
    /// Where space numbers come from (default: `statvfs`).
    #[must_use]
    pub fn source(mut self, source: impl SpaceSource + 'static) -> Self {
        self.source = Arc::new(source);
        self
    }

    /// The watermarks (default: 85% / 90% / 95%).
    #[must_use]
    pub fn watermarks(mut self, w: Watermarks) -> Self {
        self.watermarks = w;
        self
    }

    /// Time between samples on the background thread (default 60 s).
    #[must_use]
    pub fn interval(mut self, d: Duration) -> Self {
        self.interval = d;
        self
    }

    /// Warn when the disk is predicted full within this (default 4 h).
    #[must_use]
    pub fn horizon(mut self, d: Duration) -> Self {
        self.horizon = d;
        self
    }

    /// Fit the prediction on samples of this window (default 30 min).
    #[must_use]
    pub fn prediction_window(mut self, d: Duration) -> Self {
        self.window = d;
        self
    }

    /// Append every event to this file (a run's `disk-events.ndjson`).
    #[must_use]
    pub fn events_file(mut self, path: impl AsRef<Path>) -> Self {
        self.events_file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Call `f` with every event.
    #[must_use]
    pub fn on_event(mut self, f: impl Fn(&DiskEvent) + Send + 'static) -> Self {
        self.callbacks.push(Box::new(f));
        self
    }

    /// Send every event on `tx`.
    #[must_use]
    pub fn channel(mut self, tx: Sender<DiskEvent>) -> Self {
        self.channel = Some(tx);
        self
    }

    /// The monitor.
    ///
    /// # Errors
    /// [`Error::Core`] if the events file cannot be opened.
    pub fn build(self) -> Result<Monitor, Error> {
        let writer = self
            .events_file
            .as_ref()
            .map(NdjsonWriter::open)
            .transpose()?;
        Ok(Monitor {
            interval: self.interval,
            state: Arc::new(Mutex::new(State {
                path: self.path,
                source: self.source,
                watermarks: self.watermarks,
                predictor: FillPredictor::new(self.window),
                horizon: self.horizon,
                predicted: false,
                writer,
                callbacks: self.callbacks,
                channel: self.channel,
                last: None,
            })),
        })
    }
}

impl Monitor {
    /// A builder for watching `path`.
    pub fn builder(path: impl AsRef<Path>) -> MonitorBuilder {
        MonitorBuilder {
            path: path.as_ref().to_path_buf(),
            source: Arc::new(Statvfs),
            watermarks: Watermarks::default(),
            interval: Duration::from_secs(60),
            horizon: Duration::from_secs(4 * 3600),
            window: Duration::from_secs(30 * 60),
            events_file: None,
            callbacks: Vec::new(),
            channel: None,
        }
    }

    /// The watched path.
    pub fn path(&self) -> PathBuf {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .path
            .clone()
    }

    /// The last sample and its level.
    pub fn last(&self) -> Option<(DiskSpace, Level)> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last
            .clone()
    }

    /// The predicted time until full, from the samples so far (`None` while not filling).
    pub fn time_to_full(&self) -> Option<Duration> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .predictor
            .time_to_full()
    }

    /// Delivers events from elsewhere (a cleanup's deletions) like the monitor's own: to the
    /// callbacks, the channel and the events file.
    ///
    /// # Errors
    /// [`Error::Core`] if the events file cannot be written.
    pub fn publish(&self, events: &[DiskEvent]) -> Result<(), Error> {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        deliver(&mut st, events)
    }

    /// Takes one sample at `at` (time since any fixed origin) and returns its events.
    ///
    /// # Errors
    /// The space source's error, or [`Error::Core`] if the events file cannot be written
    /// (the events were still delivered to callbacks and the channel).
    pub fn tick(&self, at: Duration) -> Result<Vec<DiskEvent>, Error> {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let space = st.source.space(&st.path)?;
        let before = st.watermarks.current().unwrap_or(Level::Ok);
        let level = st.watermarks.evaluate(&space);
        let ts = Timestamp::now();
        let path = st.path.clone();
        let mut events = Vec::new();
        if level > before {
            events.push(DiskEvent::Crossed {
                ts,
                path: path.clone(),
                level,
                from: before,
                available: space.available,
            });
        } else if level < before {
            events.push(DiskEvent::Recovered {
                ts,
                path: path.clone(),
                level,
                from: before,
                available: space.available,
            });
        }
        st.predictor.push(at, space.available);
        let soon = st.predictor.time_to_full().filter(|t| *t < st.horizon);
        match soon {
            Some(t) if !st.predicted => {
                st.predicted = true;
                events.push(DiskEvent::FillPredicted {
                    ts,
                    path,
                    seconds_to_full: t.as_secs(),
                    available: space.available,
                });
            }
            None => st.predicted = false,
            Some(_) => {}
        }
        st.last = Some((space, level));
        deliver(&mut st, &events)?;
        Ok(events)
    }

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

fn deliver(st: &mut State, events: &[DiskEvent]) -> Result<(), Error> {
    for e in events {
        for cb in &st.callbacks {
            cb(e);
        }
        if let Some(tx) = &st.channel {
            let _ = tx.send(e.clone());
        }
    }
    if let (Some(w), false) = (st.writer.as_mut(), events.is_empty()) {
        for e in events {
            w.append(e)?;
        }
        w.sync()?;
    }
    Ok(())
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
