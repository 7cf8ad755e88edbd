//! The monitor's cleanup under pressure (`MonitorBuilder::cleanup`): on a tick that finds
//! the disk past the `high` watermark (or below `target_free`), the runs root is cleaned by
//! its policy within that tick — its deletions delivered like the monitor's own events, the
//! level sampled again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::cleanup::{CleanupPolicy, CleanupReport, clean_runs, under_pressure};
use crate::error::Error;
use crate::space::{DiskSpace, SpaceSource};
use crate::watermark::Watermarks;

/// The wall clock cleanup reads (run ages, the cooldown).
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

pub(crate) type CleanupCallback = Box<dyn Fn(&CleanupReport) + Send>;

/// What the monitor cleans, and how it reports it.
pub(crate) struct MonitorCleanup {
    root: PathBuf,
    policy: CleanupPolicy,
    pub(crate) callbacks: Vec<CleanupCallback>,
    pub(crate) last: Option<CleanupReport>,
}

/// One cleanup the monitor is about to run, taken out of its state so the state's lock is
/// not held while runs are deleted.
pub(crate) struct CleanupJob {
    root: PathBuf,
    policy: CleanupPolicy,
    source: Arc<dyn SpaceSource>,
    now: SystemTime,
}

impl MonitorCleanup {
    pub(crate) fn new(
        (root, policy): (PathBuf, CleanupPolicy),
        callbacks: Vec<CleanupCallback>,
    ) -> Self {
        Self {
            root,
            policy,
            callbacks,
            last: None,
        }
    }

    /// The cleanup to run now, if `space` is under pressure by the policy and `watermarks`.
    pub(crate) fn job(
        &self,
        space: &DiskSpace,
        watermarks: &Watermarks,
        source: &Arc<dyn SpaceSource>,
        clock: &Clock,
    ) -> Option<CleanupJob> {
        let policy = self.policy.clone().with_watermarks(watermarks);
        under_pressure(&policy, space).then(|| CleanupJob {
            root: self.root.clone(),
            policy,
            source: source.clone(),
            now: clock(),
        })
    }
}

impl CleanupJob {
    /// Cleans the root.
    pub(crate) fn run(&self) -> Result<CleanupReport, Error> {
        clean_runs(&self.root, &self.policy, self.source.as_ref(), self.now)
    }
}
