//! Integration tests of `steadfast-diskwatch` on real file systems: cleanup safety rules,
//! a size-limited tmpfs filled past each watermark, preflight messages.
#![allow(
    clippy::unwrap_used,
    reason = "a test fails by panicking; helpers outside #[test] too"
)]

mod cleanup;
mod monitor;
mod retention;
mod retention_monitor;
mod shared_root;
mod stress;
mod tmpfs;

use std::path::Path;

use steadfast_core::{ByteSize, HumanDuration, RunDir, RunManifest, Timestamp};
use steadfast_diskwatch::CleanupPolicy;

/// A Steadfast run of `pipeline` started at `started`: its directory and its `run.json`.
pub(crate) fn run_at(root: &Path, pipeline: &str, started: Timestamp) -> RunDir {
    let run = RunDir::create_at(root, pipeline, started).unwrap();
    run.write_manifest(&RunManifest::new(run.id(), pipeline, started))
        .unwrap();
    run
}

/// The default policy, under disk pressure for good (a free-space target no disk reaches)
/// and without a cooldown: every run past the floors goes.
pub(crate) fn pressing() -> CleanupPolicy {
    CleanupPolicy {
        target_free: Some(ByteSize::new(u64::MAX / 2)),
        cooldown: HumanDuration::from_secs(0),
        ..CleanupPolicy::default()
    }
}
