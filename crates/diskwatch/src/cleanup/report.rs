//! What a cleanup decided: `CleanupReport`, `RunDecision`, `SkipReason`; and the logging
//! of each deletion and failure as it is reported.

use serde::Serialize;
use steadfast_core::Timestamp;

use crate::error::Error;
use crate::events::DeleteReason;

/// Why a run was left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// Among the newest `keep_newest`.
    KeptNewest,
    /// Younger than `min_age`.
    TooYoung,
    /// Its `.active` lock is held by a live process.
    Active,
    /// Not inside the canonical root (a path trick), or the root itself.
    OutsideRoot,
    /// Free space had reached the target.
    TargetReached,
    /// Named like a run but not a Steadfast run: no `run.json` that parses and names this
    /// directory and its pipeline. Never deleted by any cleanup.
    NotARun,
    /// Its `.active` is not a regular file (a symbolic link, a FIFO) or cannot be probed:
    /// its lock cannot be taken, so it is never deleted. Look at it by hand.
    LockUnusable,
    /// It disappeared while cleanup ran (another cleanup deleted it first).
    Vanished,
    /// It holds a `.hold` marker (a legal hold): never deleted while the marker is there.
    Held,
    /// The disk has room and no cap (`max_total`, `max_age`) asks for it.
    NoPressure,
    /// The disk is under pressure, but a cleanup deleted under pressure less than
    /// `cooldown` ago ([`CleanupReport::cooling_down_until`]).
    CoolingDown,
}

impl SkipReason {
    /// The reason in words, for a person.
    ///
    /// ```
    /// assert_eq!(steadfast_diskwatch::SkipReason::Active.describe(), "active: its lock is held");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            Self::KeptNewest => "among the newest kept",
            Self::TooYoung => "younger than the minimum age",
            Self::Active => "active: its lock is held",
            Self::OutsideRoot => "outside the root",
            Self::TargetReached => "target free space reached",
            Self::NotARun => "not a Steadfast run: no run.json naming it",
            Self::LockUnusable => "its .active is not a usable lock file; check it by hand",
            Self::Vanished => "already gone (deleted by another cleanup)",
            Self::Held => "on hold: it holds a .hold marker",
            Self::NoPressure => "the disk has room and no cap applies",
            Self::CoolingDown => "under pressure, but within the cooldown of the last cleanup",
        }
    }
}

/// One run cleanup decided about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDecision {
    /// The run id (for a leftover, its directory name: `.creating-…`, `.deleting-…`).
    pub id: String,
    /// Its size on disk.
    pub bytes: u64,
    /// Why it was deleted (or, in a dry run, would be); `None` for a run left alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<DeleteReason>,
}

impl RunDecision {
    /// The same run, left alone (no deletion reason).
    pub(crate) fn kept(self) -> Self {
        Self {
            reason: None,
            ..self
        }
    }
}

/// What a cleanup did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CleanupReport {
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Runs deleted (or that would be), oldest first, then leftovers of crashes.
    pub deleted: Vec<RunDecision>,
    /// Runs left alone, with why.
    pub skipped: Vec<(RunDecision, SkipReason)>,
    /// Runs whose deletion failed, with the error (which says whether the run is partly
    /// deleted and where what is left lies).
    pub failed: Vec<(RunDecision, String)>,
    /// Bytes the deleted runs held.
    pub bytes_freed: u64,
    /// Available bytes before.
    pub available_before: u64,
    /// Available bytes after (estimated in a dry run).
    pub available_after: u64,
    /// Whether the disk was under pressure when the cleanup started (below `target_free`,
    /// or past the `high` watermark).
    pub under_pressure: bool,
    /// Set when the disk was under pressure but pressure deletions waited: a cleanup
    /// deleted under pressure less than `cooldown` ago; none goes before this time.
    pub cooling_down_until: Option<Timestamp>,
    /// Records that could not be written — the root's audit trail, the cooldown stamp —
    /// each with why. The deletions themselves happened (they are in `deleted`).
    pub not_recorded: Vec<String>,
}

impl CleanupReport {
    /// One `deleted` event per run deleted, for [`Monitor::publish`](crate::Monitor::publish)
    /// (none for a dry run).
    ///
    /// ```
    /// use steadfast_diskwatch::{CleanupReport, DeleteReason, DiskEvent, RunDecision};
    ///
    /// let report = CleanupReport {
    ///     deleted: vec![RunDecision {
    ///         id: "epic-20250929T100000Z-a1b2c3".into(),
    ///         bytes: 10,
    ///         reason: Some(DeleteReason::MaxAge),
    ///     }],
    ///     ..CleanupReport::default()
    /// };
    /// assert!(matches!(
    ///     report.events()[0],
    ///     DiskEvent::Deleted { bytes: 10, reason: Some(DeleteReason::MaxAge), .. }
    /// ));
    /// ```
    pub fn events(&self) -> Vec<crate::DiskEvent> {
        if self.dry_run {
            return Vec::new();
        }
        let ts = Timestamp::now();
        self.deleted
            .iter()
            .map(|d| crate::DiskEvent::Deleted {
                ts,
                run: d.id.clone(),
                bytes: d.bytes,
                reason: d.reason,
            })
            .collect()
    }
}

/// Logs a deletion with its reason (feature `tracing`).
pub(super) fn log_deleted(d: &RunDecision) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        run = %d.id,
        bytes = d.bytes,
        reason = d.reason.map_or("", DeleteReason::as_str),
        "cleanup deleted a run: {}",
        d.reason.map_or("", DeleteReason::describe)
    );
    #[cfg(not(feature = "tracing"))]
    let _ = d;
}

/// Lists a failed deletion in the report, and logs it (feature `tracing`).
pub(super) fn record_failure(report: &mut CleanupReport, d: RunDecision, e: &Error) {
    #[cfg(feature = "tracing")]
    tracing::warn!(run = %d.id, "{e}");
    report.failed.push((d, e.to_string()));
}
