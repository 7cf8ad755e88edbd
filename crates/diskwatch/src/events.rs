//! Disk events: watermark crossings and recoveries, predictions, and deletions — delivered
//! to callbacks and channels and appended to the run's `disk-events.ndjson`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use steadfast_core::Timestamp;

use crate::watermark::Level;

/// Something the monitor or cleanup noticed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiskEvent {
    /// Usage rose past a watermark.
    Crossed {
        /// When.
        ts: Timestamp,
        /// The watched path.
        path: PathBuf,
        /// The level reached.
        level: Level,
        /// The level before.
        from: Level,
        /// Available bytes then.
        available: u64,
    },
    /// Usage fell back below a watermark (past the hysteresis).
    Recovered {
        /// When.
        ts: Timestamp,
        /// The watched path.
        path: PathBuf,
        /// The level now.
        level: Level,
        /// The level before.
        from: Level,
        /// Available bytes then.
        available: u64,
    },
    /// The predicted time to full fell under the horizon.
    FillPredicted {
        /// When.
        ts: Timestamp,
        /// The watched path.
        path: PathBuf,
        /// Seconds until full at the recent rate.
        seconds_to_full: u64,
        /// Available bytes then.
        available: u64,
    },
    /// Cleanup deleted a run.
    Deleted {
        /// When.
        ts: Timestamp,
        /// The run id.
        run: String,
        /// Bytes it held.
        bytes: u64,
        /// Why it went (absent in files written before reasons were recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<DeleteReason>,
    },
}

/// Why cleanup deleted a run (or a leftover of a crash).
///
/// ```
/// use steadfast_diskwatch::DeleteReason;
///
/// assert_eq!(serde_json::to_string(&DeleteReason::MaxTotal)?, r#""max_total""#);
/// assert_eq!(DeleteReason::MaxTotal.as_str(), "max_total");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeleteReason {
    /// Disk pressure: available space below `target_free`, or the disk past the `high`
    /// watermark.
    Pressure,
    /// Its pipeline's runs held more than `max_total`.
    MaxTotal,
    /// Older than `max_age`.
    MaxAge,
    /// What a crash left: a run never finished being created (`.creating-…`) or deleted
    /// (`.deleting-…`). Not evidence: never a usable run.
    Leftover,
}

impl DeleteReason {
    /// The reason as written in files (`pressure`, `max_total`, `max_age`, `leftover`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pressure => "pressure",
            Self::MaxTotal => "max_total",
            Self::MaxAge => "max_age",
            Self::Leftover => "leftover",
        }
    }

    /// The reason in words, for a person.
    ///
    /// ```
    /// assert_eq!(steadfast_diskwatch::DeleteReason::MaxAge.describe(), "older than max_age");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            Self::Pressure => "disk pressure",
            Self::MaxTotal => "its pipeline's runs over max_total",
            Self::MaxAge => "older than max_age",
            Self::Leftover => "leftover of a crash",
        }
    }
}
