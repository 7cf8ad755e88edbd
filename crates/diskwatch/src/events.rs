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
    },
}
