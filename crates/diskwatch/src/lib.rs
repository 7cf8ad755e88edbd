//! Disk checks before big work, watermark monitoring, fill-time prediction, and safe
//! cleanup of old runs.
//!
//! - [`check`]: total, free, available and inode counts of the filesystem a path is on, by
//!   a direct `statvfs`, with the mount it is on; a missing path checks its nearest existing
//!   ancestor and says so. Feature `sysinfo` adds `all_disks()`.
//! - [`Preflight`]: "need 12 GiB on /data and 4 GiB of memory" → ok, or an error naming
//!   what is needed, what is there, and which old runs would free enough.
//! - [`Watermarks`]: low / high / flood-stage, as used percentages or free sizes, for bytes
//!   and inodes, with hysteresis; levels speak [`Status`](steadfast_core::Status).
//! - [`Monitor`]: a background sampler delivering [`DiskEvent`]s to callbacks, a channel and
//!   `disk-events.ndjson`, with [`FillPredictor`] ("full in 37 min").
//! - [`clean_runs`]: retention that keeps evidence — old runs go only under disk pressure
//!   (below a free-space target or past the high watermark, down to the low one, with a
//!   cooldown) or past a cap that is set (`max_total`, `max_age`); never the newest N, never
//!   one younger than a minimum age, never one on hold (`.hold`), never an active run; only
//!   Steadfast runs (a `run.json` naming the directory) of the pipeline in scope, never
//!   through a symlink, never outside the root; every deletion recorded with its size and
//!   reason; leftovers of crashes (`.creating-*`, `.deleting-*`) removed once unlocked.
//! - Feature `prometheus`: `DiskMetrics` (space, inode, level and prediction gauges) and
//!   `CleanupMetrics`; feature `tokio`: `Monitor::spawn` as a task.
//!
//! ```
//! use steadfast_core::ByteSize;
//! use steadfast_diskwatch::{Level, Watermarks, check};
//!
//! let space = check(std::env::temp_dir())?;
//! let level = Watermarks::default().level_of(&space);
//! println!("{} available, {level:?}", ByteSize::new(space.available).human());
//! # Ok::<(), steadfast_diskwatch::Error>(())
//! ```

mod cleanup;
mod config;
mod config_keys;
mod error;
mod events;
mod events_read;
#[cfg(feature = "prometheus")]
mod metrics;
mod monitor;
mod monitor_cleanup;
mod monitor_run;
mod mounts;
mod predict;
mod preflight;
pub mod series;
mod space;
mod watermark;

pub use cleanup::{
    CleanupPolicy, CleanupReport, CleanupScope, DELETING_PREFIX, RunDecision, SkipReason,
    clean_runs, dir_size,
};
pub use config::DiskConfig;
pub use error::Error;
pub use events::{DeleteReason, DiskEvent};
pub use events_read::{BadEventLine, DiskEventsRead, read_events};
#[cfg(feature = "prometheus")]
pub use metrics::{CleanupMetrics, DiskMetrics};
pub use monitor::{Monitor, MonitorBuilder};
pub use monitor_run::MonitorHandle;
#[cfg(feature = "tokio")]
pub use monitor_run::MonitorTask;
pub use mounts::MountInfo;
pub use predict::FillPredictor;
pub use preflight::{Preflight, available_memory};
#[cfg(feature = "sysinfo")]
pub use space::all_disks;
pub use space::{DiskSpace, SpaceSource, Statvfs, check};
pub use watermark::{Level, Watermarks};
