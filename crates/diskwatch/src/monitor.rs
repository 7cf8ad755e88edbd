//! The monitor: samples a path's space at an interval on a background thread, evaluates
//! watermarks and the fill-time prediction, and delivers events to callbacks, a channel and
//! the run's `disk-events.ndjson`. `tick` runs one sample on demand (tests drive it with an
//! injected space source and times, never sleeping).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use steadfast_core::{NdjsonWriter, Timestamp};

use crate::cleanup::{CleanupPolicy, CleanupReport};
use crate::error::Error;
use crate::events::DiskEvent;
use crate::monitor_cleanup::{CleanupCallback, Clock, MonitorCleanup};
use crate::predict::FillPredictor;
use crate::space::{DiskSpace, SpaceSource, Statvfs};
use crate::watermark::{Level, Watermarks};

type Callback = Box<dyn Fn(&DiskEvent) + Send>;
/// Called with every sample (`MonitorBuilder::on_sample`).
pub(crate) type SampleCallback = Box<dyn Fn(&DiskSpace) + Send>;

struct State {
    path: PathBuf,
    source: Arc<dyn SpaceSource>,
    watermarks: Watermarks,
    predictor: FillPredictor,
    horizon: Duration,
    predicted: bool,
    writer: Option<NdjsonWriter>,
    callbacks: Vec<Callback>,
    samplers: Vec<SampleCallback>,
    channel: Option<Sender<DiskEvent>>,
    last: Option<(DiskSpace, Level)>,
    cleanup: Option<MonitorCleanup>,
    clock: Clock,
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
    pub(crate) interval: Duration,
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
    pub(crate) samplers: Vec<SampleCallback>,
    channel: Option<Sender<DiskEvent>>,
    pub(crate) cleanup: Option<(PathBuf, CleanupPolicy)>,
    pub(crate) cleanup_callbacks: Vec<CleanupCallback>,
    pub(crate) clock: Clock,
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

    /// Clean the runs under `root` by `policy` on every tick that finds the disk under
    /// pressure — past the monitor's `high` watermark, or below the policy's `target_free`
    /// — within that tick: down to below the `low` watermark (past its hysteresis) or to
    /// `target_free`, plus `min_reclaim`, at most once per `cooldown`. The policy's scope
    /// is kept as given (use [`CleanupPolicy::for_run_of`] or
    /// [`DiskConfig::cleanup_for`](crate::DiskConfig::cleanup_for)); its watermarks are
    /// the monitor's. An active run (its lock held, as a running `Run` holds its own) and
    /// a run on hold are never deleted. Each deletion is delivered as a
    /// [`DiskEvent::Deleted`](crate::DiskEvent::Deleted) with its reason.
    ///
    /// ```
    /// use steadfast_core::{RunDir, RunManifest, Timestamp};
    /// use steadfast_diskwatch::{CleanupPolicy, DiskEvent, DiskSpace, Level, Monitor};
    ///
    /// let root = tempfile::tempdir()?;
    /// for h in 0..3 {
    ///     let started = Timestamp::from_unix_secs(1_759_140_000 + h * 3600);
    ///     let run = RunDir::create_at(root.path(), "epic", started)?;
    ///     run.write_manifest(&RunManifest::new(run.id(), "epic", started))?;
    /// }
    /// // 1000 bytes, 50 available (95% used) until a run is deleted: then 500.
    /// let runs = root.path().to_path_buf();
    /// let source = move |p: &std::path::Path| {
    ///     let left = RunDir::list(&runs).map_or(0, |r| r.len());
    ///     Ok(DiskSpace::new(p, 1000, if left == 3 { 50 } else { 500 }))
    /// };
    /// let policy = CleanupPolicy { keep_newest: 1, ..CleanupPolicy::default() };
    /// let monitor = Monitor::builder(root.path())
    ///     .source(source)
    ///     .cleanup(root.path(), policy.for_run_of("epic"))
    ///     .build()?;
    /// let events = monitor.tick(std::time::Duration::ZERO)?;
    /// assert!(events.iter().any(|e| matches!(e, DiskEvent::Deleted { .. })));
    /// assert_eq!(monitor.last().unwrap().1, Level::Ok);
    /// assert_eq!(RunDir::list(root.path())?.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn cleanup(mut self, root: impl AsRef<Path>, policy: CleanupPolicy) -> Self {
        self.cleanup = Some((root.as_ref().to_path_buf(), policy));
        self
    }

    /// Call `f` with the report of every cleanup the monitor runs (to count it in
    /// [`CleanupMetrics`](crate::CleanupMetrics), say). Needs [`cleanup`](Self::cleanup).
    #[must_use]
    pub fn on_cleanup(mut self, f: impl Fn(&CleanupReport) + Send + 'static) -> Self {
        self.cleanup_callbacks.push(Box::new(f));
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
                samplers: self.samplers,
                channel: self.channel,
                last: None,
                cleanup: self
                    .cleanup
                    .map(|c| MonitorCleanup::new(c, self.cleanup_callbacks)),
                clock: self.clock,
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
            samplers: Vec::new(),
            channel: None,
            cleanup: None,
            cleanup_callbacks: Vec::new(),
            clock: Arc::new(SystemTime::now),
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

    /// The report of the last cleanup this monitor ran under pressure
    /// ([`MonitorBuilder::cleanup`]).
    pub fn last_cleanup(&self) -> Option<CleanupReport> {
        let st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.cleanup.as_ref().and_then(|c| c.last.clone())
    }

    /// Takes one sample at `at` (time since any fixed origin) and returns its events. With
    /// [`MonitorBuilder::cleanup`], a sample under pressure cleans the runs root within the
    /// tick: its deletions follow, and the space is sampled again (a recovery is an event
    /// of this tick too).
    ///
    /// # Errors
    /// The space source's error, cleanup's error (the sample's events were delivered), or
    /// [`Error::Core`] if the events file cannot be written (the events were still
    /// delivered to callbacks and the channel).
    pub fn tick(&self, at: Duration) -> Result<Vec<DiskEvent>, Error> {
        let (mut events, job, delivered) = {
            let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let space = st.source.space(&st.path)?;
            for f in &st.samplers {
                f(&space);
            }
            let events = observe(&mut st, space, at);
            let job = match (&st.cleanup, &st.last) {
                (Some(c), Some((space, _))) => c.job(space, &st.watermarks, &st.source, &st.clock),
                _ => None,
            };
            // A full disk may refuse the events file: cleanup still runs, the error after.
            let delivered = deliver(&mut st, &events);
            (events, job, delivered)
        };
        // Runs are deleted without the state's lock: `last`, scrapes and `publish` go on.
        let Some(job) = job else {
            return delivered.map(|()| events);
        };
        let report = job.run()?;
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut more = report.events();
        if !report.deleted.is_empty() && !report.dry_run {
            // Sampled again for the recovery; a failed read keeps the deletions' events.
            if let Ok(space) = st.source.space(&st.path) {
                more.extend(observe(&mut st, space, at));
            }
        }
        if let Some(c) = st.cleanup.as_mut() {
            for cb in &c.callbacks {
                cb(&report);
            }
            c.last = Some(report);
        }
        let more_delivered = deliver(&mut st, &more);
        events.extend(more);
        delivered.and(more_delivered).map(|()| events)
    }
}

/// Evaluates one sample: the level (a crossing or recovery event), the prediction.
fn observe(st: &mut State, space: DiskSpace, at: Duration) -> Vec<DiskEvent> {
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
    events
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
